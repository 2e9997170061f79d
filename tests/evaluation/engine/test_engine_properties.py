"""Invariants of the engine over generated profiles (hypothesis)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from engine_strategies import profile_dicts
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from evaluation.engine import (
    TIER_CODES,
    apply_changes,
    evaluate,
    load_ruleset,
    parse_profile,
    profile_to_dict,
)

RULESETS = ("miit-2022", "miit-2026")
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(profile_dicts(holes=True), st.sampled_from(RULESETS), st.booleans())
def test_scores_stay_within_bounds_and_statuses_are_consistent(data, code, rereview):
    ruleset = load_ruleset(code)
    result = evaluate(data, ruleset, rereview=rereview)
    assert list(result.tiers) == list(TIER_CODES)
    for tier_code, tier in result.tiers.items():
        assert tier.passed == (tier.status == "passed")
        assert (tier.route is None) == (not tier.passed)
        assert (tier.unmet == []) == tier.passed, (tier_code, tier.status)
        assert all(u["message"] for u in tier.unmet)
        compiled = ruleset.tiers[tier_code]
        if tier.score is None:
            assert tier.categories is None and tier.indicators == []
            continue
        for indicator in tier.indicators:
            assert 0 <= indicator["points"] <= indicator["max"], indicator
        for (name, points), cap in zip(tier.categories.items(), compiled.category_caps, strict=True):
            assert 0 <= points <= cap, name
        assert tier.score == sum(tier.categories.values()) <= tier.max_score == 100


@SETTINGS
@given(profile_dicts(), st.integers(1, 100000), st.sampled_from(RULESETS))
def test_raising_rd_expense_never_lowers_the_innovative_score(data, extra, code):
    before = evaluate(data, code, tiers=["innovative_sme", "specialised_sme"])
    data["financials"][0]["rd_expense"] = str(Decimal(data["financials"][0]["rd_expense"]) + extra)
    after = evaluate(data, code, tiers=["innovative_sme", "specialised_sme"])
    assert after.tiers["innovative_sme"].score >= before.tiers["innovative_sme"].score
    assert after.tiers["innovative_sme"].passed >= before.tiers["innovative_sme"].passed
    if code == "miit-2022":
        assert after.tiers["specialised_sme"].score >= before.tiers["specialised_sme"].score


@SETTINGS
@given(profile_dicts(holes=True), st.sampled_from(RULESETS))
def test_same_input_gives_an_identical_result(data, code):
    first = evaluate(data, code).to_dict()
    assert evaluate(data, code).to_dict() == first
    canonical = profile_to_dict(parse_profile(data))
    assert parse_profile(canonical) == parse_profile(data)
    assert evaluate(canonical, code).to_dict() == first


@pytest.mark.parametrize(
    ("code", "tier"),
    [("miit-2022", "innovative_sme"), ("miit-2022", "specialised_sme"), ("miit-2026", "innovative_sme")],
)
def test_applying_the_advice_makes_a_scored_tier_pass(code, tier):
    checked = []

    @settings(
        max_examples=120,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
    )
    @given(profile_dicts(clean=True))
    def check(data):
        result = evaluate(data, code, tiers=[tier], advice=True).tiers[tier]
        assume(not result.passed)
        advice = result.advice
        assert advice, "a failed tier always gets advice"
        assume(all("set" in item for item in advice))
        changes = {}
        for item in advice:
            changes.update(item["set"])
        improved = evaluate(apply_changes(parse_profile(data), changes), code, tiers=[tier]).tiers[tier]
        assert improved.passed, (advice, [u["message"] for u in improved.unmet])
        checked.append(1)

    check()
    assert len(checked) >= 20, f"only {len(checked)} failing profiles had fully applicable advice"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(profile_dicts(holes=True), st.sampled_from(RULESETS), st.booleans())
def test_advice_is_given_for_every_tier_not_passed_and_never_crashes(data, code, rereview):
    result = evaluate(data, code, rereview=rereview, advice=True)
    for tier in result.tiers.values():
        if tier.passed:
            assert tier.advice is None
            continue
        assert tier.advice, tier.tier
        changes = {}
        for item in tier.advice:
            assert item["code"] and item["message"]
            changes.update(item.get("set", {}))
        apply_changes(parse_profile(data), changes)  # the changes together are a valid profile edit
