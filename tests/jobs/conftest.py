"""Fixtures of the re-scoring and lifecycle tests."""

from __future__ import annotations

import copy
import datetime
from typing import Any

import pytest

# criteria.md §9 Example A (the profile.md sample): passes innovative (95) and specialised (77) under miit-2022,
# fails the hidden champion, the little giant and the single champion.
EXAMPLE_A: dict[str, Any] = {
    "enterprise": {"uscc": "", "name": "Example A", "region_code": "330106", "sector": "industry",
                   "established_year": 2011},
    "year": 2025, "employees": 120, "rd_staff": 18,
    "financials": [
        {"year": 2025, "operating_revenue": 3000, "main_business_revenue": 2850, "rd_expense": 255,
         "net_profit": 330, "total_assets": 5000, "total_liabilities": 2250},
        {"year": 2024, "operating_revenue": 2600, "main_business_revenue": 2400, "rd_expense": 200,
         "net_profit": 260, "total_assets": 4600, "total_liabilities": 2100},
        {"year": 2023, "operating_revenue": 2300, "main_business_revenue": 2100, "rd_expense": 150,
         "net_profit": 200, "total_assets": 4200, "total_liabilities": 2000},
    ],
    "ip": {"class_i": 3, "class_i_self_developed": 3, "class_i_high_value": 0, "class_i_applied": 3,
           "class_ii": 0, "invention_patents_applied": 3},
    "market": {"niche_years": 7, "field_years": 7, "new_product": False, "main_products": 1,
               "national_share_pct": 6, "national_rank": None, "global_rank": None},
    "product_field": {"strategic_emerging": True, "six_basics": True, "key_chain_results": False,
                      "chain_role": False, "key_field": False},
    "digital_level": 3,
    "quality": {"quality_award": False, "management_certified": True, "own_brand": True, "standards": 0,
                "international_cert": False},
    "it_system": True, "rd_institution": "municipal", "local_feature_score": 8,
    "awards": {"national_sci_rank": None, "provincial_sci_rank": None, "chuangke": None},
    "honours": {"high_tech_enterprise": False, "innovation_demo": False, "ip_advantage": False},
    "equity_financing": {"last_2y": 0, "last_3y": 0},
    "credit_ok": True,
    "compliance": {"abnormal_operations_list": False, "seriously_dishonest": False, "restricted_products": False,
                   "major_accident_3y": False, "tax_evasion_3y": False, "data_fraud_3y": False},
    "single_champion": {"intl_advanced_tech": False, "energy_advanced": False, "core_ip": False,
                        "profit_above_industry": False, "niche_product_share_pct": None},
    "platform_score": None,
    "held_tiers": [],
}
YEAR = 2025


@pytest.fixture
def ruleset_2022():
    from evaluation.services import get_ruleset_version

    return get_ruleset_version("miit-2022")


@pytest.fixture
def example_enterprise():
    """Make an enterprise with Example A's figures stored."""
    from tests.factories import EnterpriseFactory, store_profile

    def make(**fields: Any):
        enterprise = EnterpriseFactory(**fields)
        store_profile(enterprise, copy.deepcopy(EXAMPLE_A))
        return enterprise

    return make


@pytest.fixture
def certify(ruleset_2022):
    """Grant a certification directly (the review workflow is not under test here)."""
    from registry.models import Certification

    def grant(enterprise, tier: str, granted_on: datetime.date, expires_on: datetime.date, **extra: Any):
        return Certification.objects.create(enterprise=enterprise, tier=tier, ruleset=ruleset_2022,
                                            granted_on=granted_on, expires_on=expires_on, **extra)

    return grant
