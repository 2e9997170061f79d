"""Fixtures for the review workflow: enterprises with the worked-example figures, reviewers at each level."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from enterprises.models import Region
from tests.factories import EnterpriseFactory, MembershipFactory, UserFactory, reviewer, store_profile

DATA = Path(__file__).resolve().parent.parent / "data"
YEAR = 2025  # the figures year of the worked examples


def example_profile(name: str) -> dict[str, Any]:
    """The profile of worked example ``name`` (criteria.md §9), copied into tests/data."""
    return json.loads((DATA / f"example_{name}.json").read_text(encoding="utf-8"))["profile"]


def make_enterprise(example: str = "A", region: str = "330106", owner: str | None = None) -> Any:
    enterprise = EnterpriseFactory(region=Region.objects.get(code=region))
    store_profile(enterprise, example_profile(example))
    user = UserFactory(username=owner) if owner else UserFactory()
    MembershipFactory(user=user, enterprise=enterprise)
    enterprise.owner = user
    return enterprise


@pytest.fixture
def enterprise_a(db: Any) -> Any:
    return make_enterprise("A", owner="owner-a")


@pytest.fixture
def county(db: Any) -> Any:
    return reviewer("county", "330106", username="county-xihu")


@pytest.fixture
def city(db: Any) -> Any:
    return reviewer("city", "330100", username="city-hangzhou")


@pytest.fixture
def province(db: Any) -> Any:
    return reviewer("province", "330000", username="province-zj")


@pytest.fixture
def other_city(db: Any) -> Any:
    return reviewer("city", "330200", username="city-ningbo")


def file_annual_updates(enterprise: Any, years: Any) -> None:
    """The enterprise filed its annual update (a financial row and a declaration) for each of ``years``: copies
    of the worked example's ``YEAR`` figures where a year is missing."""
    from enterprises.models import Declaration, FinancialYear

    for model in (FinancialYear, Declaration):
        source = model.objects.get(enterprise=enterprise, year=YEAR)
        for year in years:
            if not model.objects.filter(enterprise=enterprise, year=year).exists():
                source.pk = None
                source._state.adding = True
                source.year = year
                source.save()
