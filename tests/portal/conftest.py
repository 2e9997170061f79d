"""Fixtures for the portal tests: an enterprise with a member, a second enterprise, stored figures."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from tests.factories import EnterpriseFactory, MembershipFactory, UserFactory, store_profile

PASSWORD = "correct-horse-battery"

# The profile.md example: passes innovative SME and specialised SME under miit-2022, fails little giant.
PROFILE: dict[str, Any] = json.loads(
    (Path(__file__).resolve().parent.parent / "data" / "example_A.json").read_text(encoding="utf-8"))["profile"]


@pytest.fixture
def member(db):
    """An owner account of an enterprise (no figures yet)."""
    return MembershipFactory(user=UserFactory(username="finance"), enterprise=EnterpriseFactory(name="甲精密机械"))


@pytest.fixture
def enterprise(member):
    return member.enterprise


@pytest.fixture
def other_member(db):
    return MembershipFactory(user=UserFactory(username="rival"), enterprise=EnterpriseFactory(name="乙公司"))


@pytest.fixture
def signed_in(client, member):
    client.force_login(member.user)
    return client


@pytest.fixture
def with_figures(enterprise):
    store_profile(enterprise, copy.deepcopy(PROFILE))
    return enterprise


@pytest.fixture
def browser_context_args(browser_context_args: dict) -> dict:
    """The browser asks for Chinese, as the portal's users do (Accept-Language: zh-CN)."""
    return {**browser_context_args, "locale": "zh-CN"}


@pytest.fixture
def loaded_regions(transactional_db) -> None:
    """Regions and role groups come from data migrations; a transactional test that ran earlier flushed them."""
    from django.contrib.auth.models import Group, Permission

    from enterprises.models import Region
    from enterprises.regions import BUNDLED_CSV, load_regions
    from enterprises.roles import GROUP_PERMISSIONS

    if not Region.objects.filter(code="330106").exists():
        load_regions(BUNDLED_CSV)
    for name, perms in GROUP_PERMISSIONS.items():
        group, _created = Group.objects.get_or_create(name=name)
        for perm in perms:
            app_label, codename = perm.split(".")
            group.permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
