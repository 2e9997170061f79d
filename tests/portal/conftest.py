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
