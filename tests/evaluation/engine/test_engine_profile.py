"""Bad profiles are refused with a ProfileError naming the field; good ones round-trip canonically."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from engine_factories import profile, star, with_changes

from evaluation.engine import (
    ProfileError,
    UnknownRuleset,
    UnknownTier,
    apply_changes,
    evaluate,
    parse_profile,
    profile_to_dict,
)


def _error(data) -> ProfileError:
    with pytest.raises(ProfileError) as caught:
        parse_profile(data)
    return caught.value


def test_a_missing_fiscal_year_names_the_year():
    data = profile("A")
    data["financials"] = [f for f in data["financials"] if f["year"] != 2024]
    error = _error(data)
    assert error.field == "financials for 2024"
    assert "2025 and the two before" in error.message


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"financials[2025].operating_revenue": 0}, "financials[0].operating_revenue"),
        ({"financials[2025].operating_revenue": None}, "financials[0].operating_revenue"),
        ({"financials[2025].operating_revenue": "abc"}, "financials[0].operating_revenue"),
        ({"financials[2024].rd_expense": "12,5"}, "financials[1].rd_expense"),
        ({"financials[2025].rd_expense": True}, "financials[0].rd_expense"),
        ({"financials[2025].rd_expense": float("nan")}, "financials[0].rd_expense"),
        ({"financials[2025].rd_expense": float("inf")}, "financials[0].rd_expense"),
        ({"financials[2025].rd_expense": "NaN"}, "financials[0].rd_expense"),
        ({"financials[2025].rd_expense": "-Infinity"}, "financials[0].rd_expense"),
        ({"financials[2025].rd_expense": Decimal("sNaN")}, "financials[0].rd_expense"),
        ({"financials[2025].rd_expense": 10**20}, "financials[0].rd_expense"),
        ({"financials[2025].rd_expense": "1e400"}, "financials[0].rd_expense"),
        ({"financials[2025].rd_expense": -1}, "financials[0].rd_expense"),
        ({"financials[2025].main_business_revenue": 3001}, "financials[0].main_business_revenue"),
        ({"financials[2023].total_assets": 0}, "financials[2].total_assets"),
        ({"financials[2024].year": 2026}, "financials[1].year"),
        ({"financials[2024].year": 2025}, "financials[1].year"),
        ({"employees": "many"}, "employees"),
        ({"employees": 12.5}, "employees"),
        ({"employees": None}, "employees"),
        ({"year": None}, "year"),
        ({"rd_staff": 121}, "rd_staff"),
        ({"ip.class_i_self_developed": 4}, "ip.class_i_self_developed"),
        ({"ip.class_ii": -1}, "ip.class_ii"),
        ({"market.national_share_pct": 101}, "market.national_share_pct"),
        ({"market.global_rank": 0}, "market.global_rank"),
        ({"market.niche_years": "seven"}, "market.niche_years"),
        ({"quality.own_brand": "yes"}, "quality.own_brand"),
        ({"rd_institution": "county"}, "rd_institution"),
        ({"awards.chuangke": "top5"}, "awards.chuangke"),
        ({"local_feature_score": 16}, "local_feature_score"),
        ({"platform_score": "n/a"}, "platform_score"),
        ({"held_tiers": ["gazelle"]}, "held_tiers[0]"),
        ({"enterprise.sector": "mining_on_mars"}, "enterprise.sector"),
        ({"enterprise.established_year": 2030}, "enterprise.established_year"),
    ],
)
def test_bad_values_name_their_field(changes, field):
    assert _error(with_changes(profile("A"), changes)).field == field


def test_unknown_keys_are_refused_not_ignored():
    data = profile("A")
    data["finacials"] = []
    assert _error(data).field == "finacials"
    data = profile("A")
    data["ip"]["class_one"] = 3
    assert _error(data).field == "ip.class_one"


def test_not_an_object():
    assert _error([1, 2]).field == ""
    assert _error({**profile("A"), "financials": {"2025": {}}}).field == "financials"


def test_numbers_may_be_decimal_strings_and_stay_exact():
    data = with_changes(
        profile("D"), {"financials[2025].rd_expense": "105.00", "financials[2025].net_profit": 210.0}
    )
    parsed = parse_profile(data)
    assert parsed.financials[0].rd_expense == Decimal("105")
    result = evaluate(parsed, "miit-2022").tiers["innovative_sme"]
    assert result.score == 60


def test_optional_sections_may_be_absent_and_count_as_missing():
    data = profile("A")
    for key in ("ip", "market", "quality", "awards", "compliance"):
        del data[key]
    result = evaluate(data, "miit-2022").tiers["innovative_sme"]
    assert result.status == "failed"
    messages = [u["message"] for u in result.unmet]
    assert "compliance.abnormal_operations_list is missing" in messages
    assert "ip.class_i_high_value is missing" in messages


def test_canonical_dict_round_trips_and_is_stable():
    parsed = parse_profile(star())
    canonical = profile_to_dict(parsed)
    assert parse_profile(canonical) == parsed
    assert json.dumps(canonical, ensure_ascii=False) == json.dumps(
        profile_to_dict(parse_profile(canonical)), ensure_ascii=False
    )
    assert canonical["financials"][0]["operating_revenue"] == "50000"
    assert list(canonical)[:5] == ["enterprise", "year", "employees", "rd_staff", "financials"]


def test_apply_changes_keeps_class_i_consistent():
    parsed = parse_profile(profile("D"))
    changed = apply_changes(parsed, {"ip.class_i_high_value": 1, "financials[year=2025].rd_expense": "126"})
    assert changed.ip.class_i == 1 and changed.ip.class_i_high_value == 1
    assert changed.financials[0].rd_expense == Decimal(126)
    with pytest.raises(ProfileError):
        apply_changes(parsed, {"financials[year=2019].rd_expense": 1})


def test_unknown_tier_codes_are_refused():
    with pytest.raises(UnknownTier) as caught:
        evaluate(profile("A"), "miit-2022", tiers=["innovative_sme", "gazelle"])
    assert caught.value.field == "tiers" and "gazelle" in caught.value.message
    with pytest.raises(ProfileError):
        evaluate(profile("A"), "miit-2022", tiers="innovative_sme")


def test_unknown_ruleset_is_a_profile_error_on_the_ruleset_field():
    with pytest.raises(UnknownRuleset) as caught:
        evaluate(profile("A"), "miit-2099")
    assert isinstance(caught.value, ProfileError)
    assert caught.value.field == "ruleset"
    assert "miit-2022" in caught.value.message


def test_requested_tiers_are_reported_in_ladder_order_with_prerequisites_evaluated():
    result = evaluate(profile("A"), "miit-2022", tiers=(t for t in ["little_giant", "innovative_sme"]))
    assert list(result.tiers) == ["innovative_sme", "little_giant"]
    assert result.tiers["little_giant"].prerequisites == [
        {"tier": "specialised_sme", "met": True, "via": "evaluated"}
    ]
