"""build_profile(Enterprise, year) builds exactly the profile of profile.md from stored data."""

import json
from pathlib import Path

import pytest

from enterprises.models import Region
from evaluation.profiles import ProfileUnavailable, build_profile, build_profiles
from tests.factories import EnterpriseFactory, store_profile

pytestmark = pytest.mark.django_db
DATA = Path(__file__).resolve().parent.parent / "data"


@pytest.mark.parametrize("name", ["A", "B", "C", "D"])
def test_stored_figures_give_back_the_worked_example_profile(name):
    example = json.loads((DATA / f"example_{name}.json").read_text(encoding="utf-8"))["profile"]
    enterprise = EnterpriseFactory(region=Region.objects.get(code=example["enterprise"]["region_code"]),
                                   established_year=example["enterprise"]["established_year"],
                                   name=example["enterprise"]["name"])
    store_profile(enterprise, example)
    built = json.loads(json.dumps(build_profile(enterprise, 2025), default=str))
    expected = {**example, "enterprise": {**example["enterprise"], "uscc": enterprise.uscc},
                "platform_score_previous": None,
                # The worked examples predate the 2026 declared items: stored, they read as not declared.
                "market": {**example["market"], "niche_share_leading": None, "international_share_pct": None},
                "confirmations": {}}
    assert built == json.loads(json.dumps(expected))


def test_a_young_enterprise_is_evaluated_with_the_missing_year_named_not_refused():
    from evaluation.services import evaluate_enterprise
    from evaluation.versions import get_ruleset_version

    example = json.loads((DATA / "example_A.json").read_text(encoding="utf-8"))["profile"]
    example = {**example, "financials": example["financials"][:2]}  # no figures for 2023
    enterprise = EnterpriseFactory()
    store_profile(enterprise, example)
    profile = build_profile(enterprise, 2025)
    assert profile["financials"][2] == {"year": 2023, "operating_revenue": None, "main_business_revenue": None,
                                        "rd_expense": None, "net_profit": None, "total_assets": None,
                                        "total_liabilities": None}
    result = evaluate_enterprise(enterprise, 2025, get_ruleset_version("miit-2022")).to_dict()
    assert result["tiers"]["innovative_sme"]["passed"] is True  # needs only 2025 and 2024
    growth = next(i for i in result["tiers"]["specialised_sme"]["indicators"] if i["code"] == "main_growth_2y")
    assert growth["points"] == 0  # the 2-year growth needs 2023: no points, no crash
    messages = [u["message"] for u in result["tiers"]["hidden_champion"]["unmet"]]
    assert "financials for 2023: net_profit is missing" in messages


def test_last_years_platform_score_is_carried_for_re_review():
    example = json.loads((DATA / "example_A.json").read_text(encoding="utf-8"))["profile"]
    enterprise = EnterpriseFactory()
    store_profile(enterprise, example)
    store_profile(enterprise, {**example, "year": 2024, "financials": [], "platform_score": 64})
    assert build_profile(enterprise, 2025)["platform_score_previous"] == 64


def test_a_year_without_a_declaration_names_what_is_missing():
    enterprise = EnterpriseFactory()
    with pytest.raises(ProfileUnavailable, match="no declaration for 2025"):
        build_profile(enterprise, 2025)


def test_profiles_of_many_enterprises_take_a_constant_number_of_queries(django_assert_max_num_queries):
    example = json.loads((DATA / "example_A.json").read_text(encoding="utf-8"))["profile"]
    enterprises = [EnterpriseFactory() for _ in range(12)]
    for enterprise in enterprises:
        store_profile(enterprise, example)
    with django_assert_max_num_queries(3):
        profiles = build_profiles(enterprises, 2025)
    assert len(profiles) == 12 and all(isinstance(p, dict) for p in profiles.values())
