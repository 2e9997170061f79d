"""The generated fast path agrees with the reference rule and indicator objects on every status and point."""

from __future__ import annotations

from engine_strategies import profile_dicts
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evaluation.engine import TIER_CODES, load_ruleset, parse_profile
from evaluation.engine.conditions import Context


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    profile_dicts(holes=True),
    st.sampled_from(["miit-2022", "miit-2026"]),
    st.dictionaries(st.sampled_from(TIER_CODES), st.sampled_from(["passed", "failed", "pending"])),
)
def test_generated_functions_match_the_rule_objects(data, code, statuses):
    ruleset = load_ruleset(code)
    profile = parse_profile(data)
    vals = ruleset.compute(profile)
    ctx = Context(profile.held_tiers)
    ctx.statuses.update(statuses)
    for tier in ruleset.tiers.values():
        for nodes, function in (
            (tier.rules_new, tier.rules_new_fn),
            (tier.rules_rereview, tier.rules_rereview_fn),
            (tier.direct, tier.direct_fn),
        ):
            assert function(vals, ctx) == tuple(node.check(vals, ctx) for node in nodes), tier.code
        for nodes, function in (
            (tier.rules_new, tier.status_new_fn),
            (tier.rules_rereview, tier.status_rereview_fn),
        ):
            each = [node.check(vals, ctx) for node in nodes]
            assert function(vals, ctx) == (0 if 0 in each else 2 if 2 in each else 1), tier.code
        assert tier.direct_any_fn(vals, ctx) == any(node.check(vals, ctx) == 1 for node in tier.direct)
        if tier.scored:
            points, categories, score, ok = tier.scores_fn(vals)
            assert points == tuple(ind.score(vals) for ind in tier.indicators)
            assert score == sum(categories.values())
