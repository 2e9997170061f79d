"""Threshold tiers: a profile that passes, and one failing each threshold (with every unmet rule listed)."""

from __future__ import annotations

import pytest
from engine_factories import star, unmet_codes, with_changes

from evaluation.engine import evaluate

F25, F24, F23 = "financials[2025]", "financials[2024]", "financials[2023]"


@pytest.mark.parametrize("ruleset", ["miit-2022", "miit-2026"])
def test_the_star_profile_passes_every_tier(ruleset):
    tiers = evaluate(star(), ruleset).tiers
    assert {code: t.status for code, t in tiers.items()} == dict.fromkeys(tiers, "passed")
    assert tiers["hidden_champion"].route == "thresholds"
    assert tiers["little_giant"].prerequisites == [
        {"tier": "specialised_sme", "met": True, "via": "evaluated"}
    ]


# (ruleset, tier, changes, the unmet code expected)
CASES = [
    # Specialised SME 2022 thresholds (63号 附件2 一).
    ("miit-2022", "specialised_sme", {"market.niche_years": 1}, "niche_years"),
    (
        "miit-2022",
        "specialised_sme",
        {f"{F25}.rd_expense": 99, f"{F25}.operating_revenue": 3000, f"{F25}.main_business_revenue": 2900},
        "rd_amount",
    ),
    ("miit-2022", "specialised_sme", {f"{F25}.rd_expense": "1499.99"}, "rd_ratio"),
    (
        "miit-2022",
        "specialised_sme",
        {f"{F25}.operating_revenue": 999, f"{F25}.main_business_revenue": 900, f"{F25}.rd_expense": 100},
        "revenue_or_equity",
    ),
    ("miit-2022", "specialised_sme", {"held_tiers": ["little_giant"]}, "excluded_higher_tier"),
    (
        "miit-2022",
        "specialised_sme",
        {"compliance.tax_evasion_3y": True},
        ("prerequisite.innovative_sme", "tax_evasion_3y"),
    ),
    # Hidden champion 2025.
    ("miit-2022", "hidden_champion", {"enterprise.region_code": "320106"}, "zhejiang_registered"),
    ("miit-2022", "hidden_champion", {"enterprise.established_year": 2016}, "operating_years"),
    (
        "miit-2022",
        "hidden_champion",
        {f"{F25}.operating_revenue": 4999, f"{F25}.main_business_revenue": 4000, f"{F25}.rd_expense": 300},
        ("revenue_min", "revenue_grew"),
    ),
    ("miit-2022", "hidden_champion", {f"{F24}.operating_revenue": 50000}, "revenue_grew"),
    ("miit-2022", "hidden_champion", {f"{F25}.net_profit": 4749}, "net_profit_growth_2y"),
    ("miit-2022", "hidden_champion", {f"{F25}.total_liabilities": "42000.01"}, "debt_ratio"),
    ("miit-2022", "hidden_champion", {"credit_ok": False}, "credit"),
    ("miit-2022", "hidden_champion", {"market.niche_years": 9}, "niche_years"),
    ("miit-2022", "hidden_champion", {"market.main_products": 4}, "main_products"),
    ("miit-2022", "hidden_champion", {f"{F25}.main_business_revenue": 34999}, "main_share"),
    ("miit-2022", "hidden_champion", {"market.global_rank": 11, "market.national_rank": 4}, "market_rank"),
    ("miit-2022", "hidden_champion", {f"{F25}.rd_expense": 1999}, "rd_ratio"),
    ("miit-2022", "hidden_champion", {f"{F24}.rd_expense": 1839}, "rd_ratio_prev"),
    ("miit-2022", "hidden_champion", {"ip.invention_patents_applied": 3}, "invention_patents"),
    # Little giant 2022 (63号 附件3).
    ("miit-2022", "little_giant", {"market.niche_years": 2}, "niche_years"),
    (
        "miit-2022",
        "little_giant",
        {f"{F25}.operating_revenue": 64000, f"{F25}.main_business_revenue": 44799},
        "main_share",
    ),
    ("miit-2022", "little_giant", {f"{F25}.main_business_revenue": 43999}, "main_growth_2y"),
    ("miit-2022", "little_giant", {"it_system": False}, "it_system"),
    (
        "miit-2022",
        "little_giant",
        {"quality.management_certified": False, "quality.international_cert": False},
        "certification",
    ),
    ("miit-2022", "little_giant", {f"{F25}.total_liabilities": "42000.01"}, "debt_ratio"),
    ("miit-2022", "little_giant", {"market.national_share_pct": "9.99"}, "national_share"),
    ("miit-2022", "little_giant", {"quality.own_brand": False}, "own_brand"),
    ("miit-2022", "little_giant", {"ip.class_i_applied": 1}, "innovation"),
    ("miit-2022", "little_giant", {"rd_institution": "none"}, "innovation"),
    ("miit-2022", "little_giant", {f"{F24}.rd_expense": 1379}, "innovation"),
    ("miit-2022", "little_giant", {"product_field.chain_role": False}, "chain_role"),
    ("miit-2022", "little_giant", {"product_field.key_field": False}, "key_field"),
    (
        "miit-2022",
        "little_giant",
        {"held_tiers": ["single_champion"]},
        ("prerequisite.specialised_sme", "excluded_single_champion"),
    ),
    # Single champion 2023 (138号).
    ("miit-2022", "single_champion", {"market.field_years": 9}, "field_years"),
    ("miit-2022", "single_champion", {f"{F25}.main_business_revenue": 35000}, "main_revenue_avg_3y"),
    ("miit-2022", "single_champion", {"market.global_rank": 4}, "global_rank"),
    ("miit-2022", "single_champion", {"single_champion.intl_advanced_tech": False}, "intl_advanced_tech"),
    ("miit-2022", "single_champion", {"single_champion.energy_advanced": False}, "energy_advanced"),
    ("miit-2022", "single_champion", {"rd_institution": "none"}, "rd_institution"),
    ("miit-2022", "single_champion", {"single_champion.core_ip": False}, "core_ip"),
    ("miit-2022", "single_champion", {"quality.standards": 0}, "standards"),
    ("miit-2022", "single_champion", {"compliance.data_fraud_3y": True}, "data_fraud_3y"),
    # Specialised SME 2026 (2号文).
    ("miit-2026", "specialised_sme", {"market.niche_years": 2}, "niche_years"),
    (
        "miit-2026",
        "specialised_sme",
        {f"{F25}.operating_revenue": 1499, f"{F25}.main_business_revenue": 1400, f"{F25}.rd_expense": 100},
        "revenue_or_equity",
    ),
    ("miit-2026", "specialised_sme", {f"{F25}.main_business_revenue": 39999}, "main_share"),
    ("miit-2026", "specialised_sme", {f"{F25}.total_liabilities": "48000.01"}, "debt_ratio"),
    ("miit-2026", "specialised_sme", {f"{F24}.rd_expense": 99}, ("rd_amount_prev", "rd_ratio_prev")),
    ("miit-2026", "specialised_sme", {f"{F24}.rd_expense": 1379}, "rd_ratio_prev"),
    ("miit-2026", "specialised_sme", {"ip.class_i_applied": 0, "rd_institution": "municipal"}, "class_i_ip"),
    ("miit-2026", "specialised_sme", {"platform_score": "49.5"}, "platform_score"),
    # Little giant 2026 (2号文 附件2).
    (
        "miit-2026",
        "little_giant",
        {f"{F25}.operating_revenue": 4999, f"{F25}.main_business_revenue": 4900, f"{F25}.rd_expense": 1000},
        ("revenue_min", "revenue_growth_2y"),
    ),
    ("miit-2026", "little_giant", {f"{F25}.main_business_revenue": 44999}, "main_share"),
    (
        "miit-2026",
        "little_giant",
        {f"{F25}.operating_revenue": 46000, f"{F25}.main_business_revenue": 46000},
        "revenue_growth_2y",
    ),
    ("miit-2026", "little_giant", {f"{F25}.total_liabilities": "45000.01"}, "debt_ratio"),
    ("miit-2026", "little_giant", {"ip.class_i_applied": 3}, "class_i_ip"),
    (
        "miit-2026",
        "little_giant",
        {"market.national_share_pct": 9, "market.national_rank": 4},
        "market_position",
    ),
    (
        "miit-2026",
        "little_giant",
        {"product_field.six_basics": False, "product_field.key_chain_results": False},
        "product_field",
    ),
    ("miit-2026", "little_giant", {"platform_score": 59}, "platform_score"),
    # Hidden champion 2026 additions.
    ("miit-2026", "hidden_champion", {f"{F25}.total_liabilities": "45000.01"}, "debt_ratio"),
    ("miit-2026", "hidden_champion", {"quality.international_cert": False}, "international_cert"),
    ("miit-2026", "hidden_champion", {"quality.standards": 0}, "standards"),
    ("miit-2026", "hidden_champion", {"held_tiers": ["little_giant"]}, "excluded_higher_tier"),
    ("miit-2026", "hidden_champion", {"compliance.data_fraud_3y": True}, "data_fraud_3y"),
]


@pytest.mark.parametrize(
    ("ruleset", "tier", "changes", "code"),
    CASES,
    ids=[f"{c[0]}-{c[1]}-{c[3] if isinstance(c[3], str) else c[3][-1]}" for c in CASES],
)
def test_each_threshold_fails_alone_and_is_named(ruleset, tier, changes, code):
    """Each change breaks one threshold (or, where the figures are linked, the ones listed)."""
    result = evaluate(with_changes(star(), changes), ruleset).tiers[tier]
    assert result.status == "failed"
    assert result.route is None
    assert unmet_codes(result) == ([code] if isinstance(code, str) else list(code))
    assert all(u["message"] for u in result.unmet)


def test_every_failed_threshold_is_listed_not_only_the_first():
    changes = {
        "market.niche_years": 2,
        "it_system": False,
        "quality.own_brand": False,
        "market.national_share_pct": 5,
        f"{F25}.total_liabilities": 50000,
    }
    result = evaluate(with_changes(star(), changes), "miit-2022").tiers["little_giant"]
    assert unmet_codes(result) == ["niche_years", "it_system", "debt_ratio", "national_share", "own_brand"]
    messages = [u["message"] for u in result.unmet]
    assert "debt-to-asset ratio 83.33% is above 70%" in messages


def test_the_lower_revenue_band_of_the_little_giant_needs_equity_rd_total_and_staff():
    changes = {
        f"{F25}.operating_revenue": 4000,
        f"{F25}.main_business_revenue": 3900,
        f"{F25}.rd_expense": 1000,
        f"{F24}.operating_revenue": 3000,
        f"{F24}.main_business_revenue": 2900,
        f"{F24}.rd_expense": 2000,
        f"{F23}.operating_revenue": 2500,
        f"{F23}.main_business_revenue": 2400,
        "equity_financing.last_2y": 8000,
        "rd_staff": 450,
    }
    data = with_changes(star(), changes)
    assert evaluate(data, "miit-2022").tiers["little_giant"].passed  # R&D 1000 + 2000 over 2 years = 3000
    short = evaluate(with_changes(data, {"rd_staff": 449}), "miit-2022").tiers["little_giant"]
    assert unmet_codes(short) == ["innovation"]
    assert "R&D staff share 49.89% is below 50%" in short.unmet[0]["message"]


def test_little_giant_direct_innovation_route_replaces_the_general_conditions():
    data = with_changes(
        star(), {"rd_institution": "none", "ip.class_i_applied": 0, "awards.chuangke": "top50"}
    )
    assert evaluate(data, "miit-2022").tiers["little_giant"].passed


def test_reviewer_judgement_left_open_makes_the_little_giant_pending():
    result = evaluate(with_changes(star(), {"product_field.chain_role": None}), "miit-2022").tiers[
        "little_giant"
    ]
    assert result.status == "pending" and not result.passed and result.route is None
    assert unmet_codes(result) == ["chain_role"]
    assert "not judged yet" in result.unmet[0]["message"]


def test_a_missing_figure_is_unmet_naming_it_never_zero():
    data = with_changes(star(), {f"{F23}.main_business_revenue": None})
    tiers = evaluate(data, "miit-2022").tiers
    messages = [u["message"] for u in tiers["little_giant"].unmet]
    assert messages == ["financials for 2023: main_business_revenue is missing"]
    assert tiers["single_champion"].status == "failed"
    specialised = tiers["specialised_sme"]
    growth = next(i for i in specialised.indicators if i["code"] == "main_growth_2y")
    assert growth["value"] is None and growth["points"] == 0


def test_prerequisite_held_counts_and_says_so():
    data = with_changes(star(), {"held_tiers": ["specialised_sme"], "market.niche_years": 1})
    little_giant = evaluate(data, "miit-2022").tiers["little_giant"]
    assert little_giant.prerequisites == [{"tier": "specialised_sme", "met": True, "via": "held"}]
    assert "niche_years" in unmet_codes(little_giant)


def test_single_champion_reduced_revenue_threshold_is_off_by_default_and_configurable():
    from evaluation.engine import load_ruleset, ruleset_from_dict

    changes = {
        f"{F25}.main_business_revenue": 25000,
        f"{F24}.main_business_revenue": 25000,
        f"{F23}.main_business_revenue": 25000,
    }
    data = with_changes(star(), changes)
    assert evaluate(data, "miit-2022").tiers["single_champion"].status == "failed"
    rules = load_ruleset("miit-2022").data
    rule = next(
        r for r in rules["tiers"]["single_champion"]["rules"] if r.get("code") == "main_revenue_avg_3y"
    )
    rule["any"][1]["enabled"] = True
    reduced = evaluate(data, ruleset_from_dict(rules)).tiers["single_champion"]
    assert reduced.passed  # 2.5亿 ≥ 2亿 for a firm meeting the specialised tier in the same evaluation
