"""Hypothesis strategies for engine tests: valid profile dicts, optionally clean or with holes."""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal

from hypothesis import strategies as st

from evaluation.engine import CONFIRMABLE_FIELDS, TIER_CODES

CENT = Decimal("0.01")


def _money(draw, low, high):
    return draw(st.decimals(min_value=low, max_value=high, places=2, allow_nan=False, allow_infinity=False))


def _share(draw, total):
    return (total * draw(st.integers(0, 100)) / 100).quantize(CENT, rounding=ROUND_DOWN)


@st.composite
def profile_dicts(draw, clean: bool = False, holes: bool = False):
    """A valid profile; ``clean`` = compliant SME with every figure given, ``holes`` = random nulls."""
    financials = []
    for year in (2025, 2024, 2023):
        revenue = _money(draw, 1, 60000)
        assets = _money(draw, 1, 90000)
        financials.append(
            {
                "year": year,
                "operating_revenue": str(revenue),
                "main_business_revenue": str(_share(draw, revenue)),
                "rd_expense": str(_share(draw, revenue) / 4),
                "net_profit": str(_money(draw, -5000, 8000)),
                "total_assets": str(assets),
                "total_liabilities": str(_share(draw, assets * Decimal("1.1"))),
            }
        )
    employees = draw(st.integers(1, 999 if clean else 2500))
    class_i = draw(st.integers(0, 8))
    flag = st.booleans()
    rank = st.none() | st.integers(1, 15)
    data = {
        "enterprise": {
            "uscc": "",
            "name": "generated",
            "region_code": draw(st.sampled_from(["330106", "320100"])),
            "sector": draw(st.sampled_from(["industry", "software_it"])),
            "established_year": draw(st.integers(1990, 2025)),
        },
        "year": 2025,
        "employees": employees,
        "rd_staff": draw(st.integers(0, employees)),
        "financials": financials,
        "ip": {
            "class_i": class_i,
            "class_i_self_developed": draw(st.integers(0, class_i)),
            "class_i_high_value": draw(st.integers(0, class_i)),
            "class_i_applied": draw(st.integers(0, class_i)),
            "class_ii": draw(st.integers(0, 5)),
            "invention_patents_applied": draw(st.integers(0, 8)),
        },
        "market": {
            "niche_years": draw(st.integers(0, 20)),
            "field_years": draw(st.integers(0, 20)),
            "new_product": draw(flag),
            "main_products": draw(st.integers(1, 5)),
            "national_share_pct": str(_money(draw, 0, 40)),
            "national_rank": draw(rank),
            "global_rank": draw(rank),
            "niche_share_leading": draw(st.none() | flag),
            "international_share_pct": draw(st.none() | st.integers(0, 30)),
        },
        "product_field": {
            k: draw(flag)
            for k in ("strategic_emerging", "six_basics", "key_chain_results", "chain_role", "key_field")
        },
        "digital_level": draw(st.integers(0, 5)),
        "quality": {
            "quality_award": draw(flag),
            "management_certified": draw(flag),
            "own_brand": draw(flag),
            "standards": draw(st.integers(0, 3)),
            "international_cert": draw(flag),
        },
        "it_system": draw(flag),
        "rd_institution": draw(
            st.sampled_from(["none", "below_municipal", "municipal", "provincial", "national"])
        ),
        "local_feature_score": draw(st.integers(0, 15)),
        "awards": {
            "national_sci_rank": draw(st.none() | st.integers(1, 8)),
            "provincial_sci_rank": draw(st.none() | st.integers(1, 8)),
            "chuangke": draw(st.sampled_from([None, "top500", "top50"])),
        },
        "honours": {
            "high_tech_enterprise": draw(flag),
            "innovation_demo": draw(flag),
            "ip_advantage": draw(flag),
        },
        "equity_financing": {"last_2y": str(_money(draw, 0, 9000)), "last_3y": str(_money(draw, 0, 9000))},
        "credit_ok": draw(flag),
        "compliance": {
            k: (False if clean else draw(st.booleans() if draw(st.integers(0, 9)) == 0 else st.just(False)))
            for k in (
                "abnormal_operations_list",
                "seriously_dishonest",
                "restricted_products",
                "major_accident_3y",
                "tax_evasion_3y",
                "data_fraud_3y",
            )
        },
        "single_champion": {
            "intl_advanced_tech": draw(flag),
            "energy_advanced": draw(flag),
            "core_ip": draw(flag),
            "profit_above_industry": draw(flag),
            "niche_product_share_pct": None,
        },
        "platform_score": draw(st.none() | st.integers(0, 100)),
        "held_tiers": [] if clean else draw(st.lists(st.sampled_from(TIER_CODES), unique=True, max_size=2)),
        "confirmations": draw(st.dictionaries(st.sampled_from(CONFIRMABLE_FIELDS), st.none() | st.booleans())),
    }
    if clean:  # no direct route either, so the score route (which advice plans) decides
        data["enterprise"]["sector"] = "industry"
        data["honours"] = dict.fromkeys(data["honours"], False)
        data["awards"] = {"national_sci_rank": None, "provincial_sci_rank": None, "chuangke": None}
        data["equity_financing"] = {"last_2y": "0", "last_3y": "0"}
        data["rd_institution"] = draw(st.sampled_from(["none", "below_municipal", "municipal"]))
    if holes:
        for section in ("ip", "market", "quality", "compliance", "product_field"):
            for key in list(data[section]):
                if draw(st.integers(0, 6)) == 0:
                    data[section][key] = None
        for entry in financials[1:]:
            for key in ("main_business_revenue", "rd_expense", "net_profit", "total_liabilities"):
                if draw(st.integers(0, 6)) == 0:
                    entry[key] = None
    return data
