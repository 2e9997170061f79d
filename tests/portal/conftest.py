"""Fixtures for the portal tests: an enterprise with a member, a second enterprise, stored figures."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tests.factories import EnterpriseFactory, MembershipFactory, UserFactory, store_profile

PASSWORD = "correct-horse-battery"

# The profile.md example: passes innovative SME and specialised SME under miit-2022, fails little giant.
PROFILE: dict[str, Any] = {
    "enterprise": {"uscc": "", "name": "", "region_code": "330106", "sector": "industry", "established_year": 2011},
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


@pytest.fixture
def member(db):
    """An owner account of an enterprise (no figures yet)."""
    return MembershipFactory(user=UserFactory(username="finance"), enterprise=EnterpriseFactory(name="甲精密机械"))


@pytest.fixture
def enterprise(member):
    return member.enterprise


@pytest.fixture
def other_member(db):
    return MembershipFactory(user=UserFactory(username="rival"), enterprise=EnterpriseFactory(name="乙公司"))


@pytest.fixture
def signed_in(client, member):
    client.force_login(member.user)
    return client


@pytest.fixture
def with_figures(enterprise):
    store_profile(enterprise, copy.deepcopy(PROFILE))
    return enterprise


@pytest.fixture
def browser_context_args(browser_context_args: dict) -> dict:
    """The browser asks for Chinese, as the portal's users do (Accept-Language: zh-CN)."""
    return {**browser_context_args, "locale": "zh-CN"}


@pytest.fixture
def loaded_regions(transactional_db) -> None:
    """Regions and role groups come from data migrations; a transactional test that ran earlier flushed them."""
    from django.contrib.auth.models import Group, Permission

    from enterprises.models import Region
    from enterprises.regions import BUNDLED_CSV, load_regions
    from enterprises.roles import GROUP_PERMISSIONS

    if not Region.objects.filter(code="330106").exists():
        load_regions(BUNDLED_CSV)
    for name, perms in GROUP_PERMISSIONS.items():
        group, _created = Group.objects.get_or_create(name=name)
        for perm in perms:
            app_label, codename = perm.split(".")
            group.permissions.add(Permission.objects.get(content_type__app_label=app_label, codename=codename))
