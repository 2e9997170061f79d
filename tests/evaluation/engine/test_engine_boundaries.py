"""Band edges (criteria.md §0.3: a value on an edge earns the better band), SME size edges, niche years."""

from __future__ import annotations

from decimal import Decimal

import pytest
from engine_factories import profile

from evaluation.engine import evaluate, size_class


def _indicator(data, tier, code, ruleset="miit-2022"):
    result = evaluate(data, ruleset, tiers=[tier]).tiers[tier]
    return next(i for i in result.indicators if i["code"] == code)["points"]


# Example D: operating revenue 2100, main revenue y-1 1400, total assets 2000; the figures hit edges.
@pytest.mark.parametrize(
    ("rd_expense", "points"),
    [
        (105, 20),  # exactly 5%
        ("104.99", 15),
        (63, 15),  # exactly 3%
        ("62.99", 10),
        (42, 10),  # exactly 2%
        (21, 5),  # exactly 1%
        ("20.99", 0),
    ],
)
def test_innovative_rd_ratio_edges(rd_expense, points):
    assert (
        _indicator(profile("D", **{"financials[2025].rd_expense": rd_expense}), "innovative_sme", "rd_ratio")
        == points
    )


@pytest.mark.parametrize(
    ("liabilities", "points"),
    [
        (1100, 10),  # exactly 55%
        ("1100.01", 5),
        (1500, 5),  # exactly 75%
        ("1500.01", 0),
    ],
)
def test_innovative_debt_ratio_edges(liabilities, points):
    data = profile("D", **{"financials[2025].total_liabilities": liabilities})
    assert _indicator(data, "innovative_sme", "debt_ratio") == points


@pytest.mark.parametrize(
    ("main_revenue", "points"),
    [
        (1470, 20),  # exactly 70%
        ("1469.99", 15),
        (1260, 15),  # exactly 60%
        (1155, 10),  # exactly 55%
        (1050, 5),  # exactly 50%
        ("1049.99", 0),
    ],
)
def test_innovative_main_share_edges(main_revenue, points):
    data = profile("D", **{"financials[2025].main_business_revenue": main_revenue})
    assert _indicator(data, "innovative_sme", "main_share") == points


@pytest.mark.parametrize(
    ("main_revenue", "points"),
    [
        (1610, 20),  # exactly 15% over 1400
        (1540, 15),  # exactly 10%
        (1470, 10),  # exactly 5%
        ("1469.99", 5),
        (1400, 5),  # exactly 0%: the 0–5% band, not "below 0%"
        ("1399.99", 0),
    ],
)
def test_innovative_growth_edges(main_revenue, points):
    data = profile(
        "D",
        **{
            "financials[2025].main_business_revenue": main_revenue,
            "financials[2025].operating_revenue": 2100,
        },
    )
    assert _indicator(data, "innovative_sme", "main_growth") == points


@pytest.mark.parametrize(
    ("main_revenue", "points"),
    [
        (1680, 5),  # exactly 80%
        ("1679.99", 3),
        (1470, 3),  # exactly 70%
        (1260, 1),  # exactly 60%
        ("1259.99", 0),
    ],
)
def test_specialised_main_share_edges(main_revenue, points):
    data = profile("D", **{"financials[2025].main_business_revenue": main_revenue})
    assert _indicator(data, "specialised_sme", "main_share") == points


@pytest.mark.parametrize(
    ("liabilities", "points"), [(1000, 5), ("1000.01", 3), (1200, 3), (1400, 1), ("1400.01", 0)]
)
def test_specialised_debt_edges(liabilities, points):
    data = profile("D", **{"financials[2025].total_liabilities": liabilities})
    assert _indicator(data, "specialised_sme", "debt_ratio") == points


@pytest.mark.parametrize(
    ("niche_years", "points"), [(0, 0), (1, 0), (2, 1), (3, 1), (4, 2), (9, 4), (10, 5), (30, 5)]
)
def test_niche_years_earn_a_point_per_two_full_years_capped_at_five(niche_years, points):
    data = profile("D", market__niche_years=niche_years)
    assert _indicator(data, "specialised_sme", "niche_years") == points


@pytest.mark.parametrize(
    ("rd_expense", "revenue", "points"),
    [
        (100, 50000, 2),
        (200, 50000, 4),
        (300, 50000, 6),
        (400, 50000, 8),
        (500, 50000, 10),  # amount decides
        ("99.99", 50000, 0),
        (200, 2000, 10),  # 10% ratio beats the 200万 amount band (4)
        (150, 2500, 6),  # exactly 6%
        ("199.99", 5000, 2),  # 3.9998%: ratio band 2, amount band 2
    ],
)
def test_specialised_rd_input_takes_the_better_of_amount_and_ratio(rd_expense, revenue, points):
    data = profile(
        "D",
        **{
            "financials[2025].rd_expense": rd_expense,
            "financials[2025].operating_revenue": revenue,
            "financials[2025].main_business_revenue": revenue * 7 // 10,
        },
    )
    assert _indicator(data, "specialised_sme", "rd_input") == points


def test_niche_years_threshold_two_for_specialised():
    assert evaluate(profile("A", market__niche_years=2), "miit-2022").tiers["specialised_sme"].passed
    failed = evaluate(profile("A", market__niche_years=1), "miit-2022").tiers["specialised_sme"]
    assert failed.status == "failed"
    assert "niche_years" in [u["code"] for u in failed.unmet]
    assert "years in the niche 1 is below 2" in [u["message"] for u in failed.unmet]


@pytest.mark.parametrize(
    ("employees", "revenue", "expected"),
    [
        (999, 40000, "medium"),
        (1000, 40000, "large"),
        (1000, "39999.99", "medium"),
        (5000, 100, "micro"),  # large needs both figures; 100万 revenue makes it micro
        (300, 2000, "medium"),
        (299, 2000, "small"),
        (20, 300, "small"),
        (19, 300, "micro"),
        (20, "299.99", "micro"),
    ],
)
def test_industry_size_classes_per_300hao(employees, revenue, expected):
    assert size_class("industry", employees, Decimal(str(revenue))) == expected


def test_software_sector_uses_its_own_thresholds():
    assert size_class("software_it", 300, Decimal(10000)) == "large"
    assert size_class("software_it", 299, Decimal(10000)) == "medium"
    assert size_class("software_it", 300, Decimal("9999")) == "medium"
    assert size_class("industry", 300, Decimal(10000)) == "medium"


def test_large_enterprise_is_not_an_sme_but_may_be_a_single_champion():
    from engine_factories import star

    data = star()
    data["employees"] = 1000  # revenue 50000 ≥ 40000: large
    tiers = evaluate(data, "miit-2022").tiers
    assert tiers["innovative_sme"].status == "failed"
    assert [u["code"] for u in tiers["innovative_sme"].unmet] == ["sme_size"]
    assert "is large" in tiers["innovative_sme"].unmet[0]["message"]
    assert tiers["single_champion"].passed


def test_growth_over_a_zero_base_is_unmet_and_says_so():
    data = profile("D", **{"financials[2024].main_business_revenue": 0})
    result = evaluate(data, "miit-2022").tiers["innovative_sme"]
    growth = next(i for i in result.indicators if i["code"] == "main_growth")
    assert growth["points"] == 0 and growth["value"] is None
    messages = [u["message"] for u in result.unmet if u["code"] == "main_growth"]
    assert messages and "zero or negative base" in messages[0]


def test_compound_growth_switch_changes_the_two_year_average():
    from evaluation.engine import load_ruleset, ruleset_from_dict

    # y-2 1000, y-1 2000, y 2000: arithmetic (100% + 0%) / 2 = 50%; compound sqrt(2) - 1 = 41.42%.
    data = profile(
        "A",
        **{
            "financials[2023].main_business_revenue": 1000,
            "financials[2024].main_business_revenue": 2000,
            "financials[2025].main_business_revenue": 2000,
        },
    )
    arithmetic = evaluate(data, "miit-2022").tiers["specialised_sme"]
    assert next(i["value"] for i in arithmetic.indicators if i["code"] == "main_growth_2y") == "50.00%"
    rules = load_ruleset("miit-2022").data
    rules["metric_options"]["main_growth_2y"]["method"] = "compound"
    compound = evaluate(data, ruleset_from_dict(rules)).tiers["specialised_sme"]
    assert next(i["value"] for i in compound.indicators if i["code"] == "main_growth_2y") == "41.42%"
