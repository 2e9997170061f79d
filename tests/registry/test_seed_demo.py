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
    for username in ("admin", "province", "hangzhou", "xihu", "enterprise", "consultant", "expert"):
        assert f"  {username} " in output
        assert authenticate(username=username, password="Tier-Demo-2025") is not None


def test_the_demo_consultant_acts_for_two_enterprises_and_every_account_is_listed(client):
    from django.contrib.auth import get_user_model

    from enterprises.models import Membership

    output = seed("--enterprises", "40", "--seed", "11", "--no-assess")
    consultant = get_user_model().objects.get(username="consultant")
    memberships = list(Membership.objects.filter(user=consultant).select_related("enterprise"))
    assert len(memberships) == 2
    assert not Membership.objects.filter(user__username="enterprise",
                                         enterprise__in=[m.enterprise for m in memberships]).exists()
    accounts = output.split("demo accounts (username, password, role):\n", 1)[1]
    lines = {line.split()[0]: line for line in accounts.splitlines() if line.startswith("  ")}
    assert "consultant (service agency) for 2 enterprises" in lines["consultant"]
    assert all(m.enterprise.name in lines["consultant"] for m in memberships)
    assert "superuser" in lines["admin"] and "registry staff" in lines["staff"]
    assert "reviewer (province, 330000)" in lines["province"] and "reviewer (city, 330100)" in lines["hangzhou"]
    assert "reviewer (county, 330106)" in lines["xihu"] and "enterprise member of" in lines["enterprise"]
    assert authenticate(username="consultant", password="Tier-Demo-2025") is not None
    # The portal shows the consultant the switcher between their two enterprises.
    client.force_login(consultant)
    home = client.get("/").content.decode()
    assert 'id="enterprise-switch"' in home and all(f'value="{m.enterprise_id}"' in home for m in memberships)
    # Running it again adds nothing.
    seed("--enterprises", "40", "--seed", "11", "--no-assess")
    assert Membership.objects.filter(user=consultant).count() == 2
    assert get_user_model().objects.filter(username="consultant").count() == 1
