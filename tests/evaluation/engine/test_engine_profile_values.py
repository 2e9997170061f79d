"""``profile_from_values`` (the trusted bulk constructor) builds exactly what ``parse_profile`` builds."""

from __future__ import annotations

from decimal import Decimal

import pytest
from engine_strategies import profile_dicts
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evaluation.engine import (
    DECLARATION_VALUE_FIELDS,
    ENTERPRISE_VALUE_FIELDS,
    FINANCIAL_VALUE_FIELDS,
    TIER_CODES,
    ProfileError,
    evaluate,
    load_ruleset,
    parse_profile,
    profile_from_values,
    values_to_dict,
)

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def values_of(profile) -> tuple:
    """The flat values a database read gives for ``profile`` (the engine's ``*_VALUE_FIELDS`` order)."""
    enterprise = tuple(getattr(profile.enterprise, name) for name in ENTERPRISE_VALUE_FIELDS)
    declaration = tuple(
        getattr(getattr(profile, section), key) if key else getattr(profile, section)
        for section, key in DECLARATION_VALUE_FIELDS
    )
    financials = tuple((f.year, *(getattr(f, name) for name in FINANCIAL_VALUE_FIELDS)) for f in profile.financials)
    return (enterprise, profile.year, declaration, financials, profile.platform_score_previous,
            tuple(sorted(profile.held_tiers)))


@SETTINGS
@given(profile_dicts(holes=True), st.sampled_from(["miit-2022", "miit-2026"]),
       st.sets(st.sampled_from(TIER_CODES), max_size=2),
       st.none() | st.decimals(0, 100, places=2))
def test_the_trusted_constructor_builds_what_parse_profile_builds(data, code, held, previous):
    data = {**data, "held_tiers": sorted(held), "platform_score_previous": previous}
    parsed = parse_profile(data)
    values = values_of(parsed)
    built = profile_from_values(*values)
    assert built == parsed
    assert parse_profile(values_to_dict(*values)) == parsed
    ruleset = load_ruleset(code)
    assert evaluate(built, ruleset).to_dict() == evaluate(parsed, ruleset).to_dict()
    assert evaluate(built, ruleset, rereview=True).to_dict() == evaluate(parsed, ruleset, rereview=True).to_dict()


@SETTINGS
@given(profile_dicts())
def test_stored_decimals_with_trailing_zeros_give_the_same_profile(data):
    """The database returns money as Decimal('3000.00'); ``parse_profile`` may have seen 3000."""
    values = values_of(parse_profile(data))
    enterprise, year, declaration, financials, previous, held = values
    padded = tuple((row[0], *(v + Decimal("0.00") if v is not None else None for v in row[1:]))
                   for row in financials)
    assert profile_from_values(enterprise, year, declaration, padded, previous, held) == parse_profile(data)


def _example_values() -> list:
    enterprise, year, declaration, financials, previous, held = values_of(parse_profile(_clean_example()))
    return [enterprise, year, list(declaration), [list(row) for row in financials], previous, held]


def _clean_example() -> dict:
    return {
        "enterprise": {"uscc": "", "name": "x", "region_code": "330106", "sector": "industry",
                       "established_year": 2010},
        "year": 2025, "employees": 120, "rd_staff": 20,
        "financials": [{"year": y, "operating_revenue": 5000, "main_business_revenue": 4000, "rd_expense": 300,
                        "net_profit": 200, "total_assets": 9000, "total_liabilities": 3000}
                       for y in (2025, 2024, 2023)],
        "ip": {"class_i": 3, "class_i_self_developed": 2},
    }


def _position(section: str, key: str = "") -> int:
    return DECLARATION_VALUE_FIELDS.index((section, key))


def _financial(name: str) -> int:
    return 1 + FINANCIAL_VALUE_FIELDS.index(name)


BROKEN = {
    "no revenue for the profile year": lambda v: v[3][0].__setitem__(_financial("operating_revenue"), None),
    "zero revenue for the profile year": lambda v: v[3][0].__setitem__(_financial("operating_revenue"), 0),
    "main business above revenue": lambda v: v[3][1].__setitem__(_financial("main_business_revenue"), 9000),
    "zero total assets": lambda v: v[3][2].__setitem__(_financial("total_assets"), 0),
    "more R&D staff than employees": lambda v: v[2].__setitem__(_position("rd_staff"), 500),
    "Class I subset above Class I": lambda v: v[2].__setitem__(_position("ip", "class_i_applied"), 9),
    "established after the year": lambda v: v.__setitem__(0, (*v[0][:4], 2030)),
    "unknown sector": lambda v: v.__setitem__(0, (*v[0][:3], "mining-on-mars", 2010)),
    "unknown held tier": lambda v: v.__setitem__(5, ("gold_star",)),
}


@pytest.mark.parametrize("case", list(BROKEN))
def test_values_breaking_a_cross_field_rule_raise_what_parse_profile_raises(case):
    values = _example_values()
    BROKEN[case](values)
    enterprise, year, declaration, financials, previous, held = values
    args = (tuple(enterprise), year, tuple(declaration), tuple(tuple(r) for r in financials), previous, held)
    with pytest.raises(ProfileError) as expected:
        parse_profile(values_to_dict(*args))
    with pytest.raises(ProfileError) as raised:
        profile_from_values(*args)
    assert (raised.value.field, raised.value.message) == (expected.value.field, expected.value.message)
