"""Demo data: deterministic, spread over Zhejiang's 11 cities, with every tier represented."""

from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command

from enterprises.models import Declaration, Enterprise, FinancialYear
from evaluation.models import Assessment

pytestmark = pytest.mark.django_db


def seed(*args: str) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def test_the_same_seed_gives_the_same_enterprises_and_rerunning_adds_nothing():
    seed("--enterprises", "40", "--seed", "11", "--no-assess", "--no-accounts")
    first = sorted(Enterprise.objects.values_list("uscc", "name", "region_id"))
    output = seed("--enterprises", "40", "--seed", "11", "--no-assess", "--no-accounts")
    assert "0 created" in output
    assert sorted(Enterprise.objects.values_list("uscc", "name", "region_id")) == first
    assert FinancialYear.objects.count() == Declaration.objects.count() == 120  # three years each


def test_demo_population_covers_every_city_and_every_tier_and_prints_accounts():
    output = seed("--enterprises", "400", "--seed", "1")
    cities = set(Enterprise.objects.values_list("region__city_code", flat=True))
    assert len(cities) == 11
    passed_tiers = set(Assessment.objects.filter(passed=True).values_list("tier", flat=True))
    assert passed_tiers == {"innovative_sme", "specialised_sme", "hidden_champion", "little_giant",
                            "single_champion"}
    assert set(Enterprise.objects.exclude(current_tier="").values_list("current_tier", flat=True)) == passed_tiers
    assert "Tier-Demo-2025" in output
    for username in ("admin", "province", "hangzhou", "xihu", "enterprise"):
        assert username in output
        assert authenticate(username=username, password="Tier-Demo-2025") is not None
