"""Profile builders for the engine tests (plain functions, usable inside hypothesis strategies).

The worked examples are read from the shared spec when it is beside the repository (as in CI) and from the
verbatim copies in ``tests/data/`` otherwise; ``test_engine_examples`` checks that the copies still match.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
SHARED_EXAMPLES = HERE.parent.parent.parent / "shared" / "spec" / "examples"
LOCAL_EXAMPLES = HERE.parent / "data"


def local_example_path(name: str) -> Path:
    """The repository's verbatim copy of worked example ``name``, shared by every test folder."""
    return LOCAL_EXAMPLES / f"example_{name}.json"


def example(name: str) -> dict[str, Any]:
    """``{"ruleset", "profile", "expected"}`` of worked example ``name`` (A–D)."""
    shared = SHARED_EXAMPLES / f"{name}.json"
    path = shared if shared.exists() else local_example_path(name)
    return json.loads(path.read_text(encoding="utf-8"))


def with_changes(profile: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """A deep copy with ``changes`` applied; keys are ``a.b`` or ``financials[2025].rd_expense``."""
    data = copy.deepcopy(profile)
    for path, value in changes.items():
        match = re.fullmatch(r"financials\[(\d{4})\]\.(\w+)", path)
        if match:
            year, name = int(match.group(1)), match.group(2)
            next(f for f in data["financials"] if f["year"] == year)[name] = value
            continue
        target = data
        *parents, last = path.split(".")
        for part in parents:
            target = target[part]
        target[last] = value
    return data


def profile(name: str = "A", **changes: Any) -> dict[str, Any]:
    """Example ``name``'s profile; keyword changes use ``__`` for dots (``market__niche_years=2``)."""
    return with_changes(example(name)["profile"], {k.replace("__", "."): v for k, v in changes.items()})


def star() -> dict[str, Any]:
    """A medium Zhejiang manufacturer that meets every tier of both rulesets (the base of threshold tests)."""
    return {
        "enterprise": {
            "uscc": "91330100STAR00001X",
            "name": "Star",
            "region_code": "330106",
            "sector": "industry",
            "established_year": 2005,
        },
        "year": 2025,
        "employees": 900,
        "rd_staff": 200,
        "financials": [
            {
                "year": 2025,
                "operating_revenue": 50000,
                "main_business_revenue": 48000,
                "rd_expense": 2500,
                "net_profit": 6000,
                "total_assets": 60000,
                "total_liabilities": 24000,
            },
            {
                "year": 2024,
                "operating_revenue": 46000,
                "main_business_revenue": 44000,
                "rd_expense": 2300,
                "net_profit": 5000,
                "total_assets": 56000,
                "total_liabilities": 23000,
            },
            {
                "year": 2023,
                "operating_revenue": 42000,
                "main_business_revenue": 40000,
                "rd_expense": 2000,
                "net_profit": 4000,
                "total_assets": 50000,
                "total_liabilities": 21000,
            },
        ],
        "ip": {
            "class_i": 10,
            "class_i_self_developed": 10,
            "class_i_high_value": 2,
            "class_i_applied": 6,
            "class_ii": 5,
            "invention_patents_applied": 6,
        },
        "market": {
            "niche_years": 15,
            "field_years": 15,
            "new_product": False,
            "main_products": 2,
            "national_share_pct": 25,
            "national_rank": 1,
            "global_rank": 2,
        },
        "product_field": {
            "strategic_emerging": True,
            "six_basics": True,
            "key_chain_results": True,
            "chain_role": True,
            "key_field": True,
        },
        "digital_level": 4,
        "quality": {
            "quality_award": True,
            "management_certified": True,
            "own_brand": True,
            "standards": 3,
            "international_cert": True,
        },
        "it_system": True,
        "rd_institution": "provincial",
        "local_feature_score": 12,
        "awards": {"national_sci_rank": None, "provincial_sci_rank": None, "chuangke": None},
        "honours": {"high_tech_enterprise": True, "innovation_demo": False, "ip_advantage": False},
        "equity_financing": {"last_2y": 0, "last_3y": 0},
        "credit_ok": True,
        "compliance": {
            "abnormal_operations_list": False,
            "seriously_dishonest": False,
            "restricted_products": False,
            "major_accident_3y": False,
            "tax_evasion_3y": False,
            "data_fraud_3y": False,
        },
        "single_champion": {
            "intl_advanced_tech": True,
            "energy_advanced": True,
            "core_ip": True,
            "profit_above_industry": True,
            "niche_product_share_pct": 80,
        },
        "platform_score": 80,
        "held_tiers": [],
    }


def unmet_codes(tier_result: Any) -> list[str]:
    return [u["code"] for u in tier_result.unmet]
