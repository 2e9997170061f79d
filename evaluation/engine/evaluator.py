"""``evaluate``: one profile against one ruleset, every requested tier, in ladder order."""

from __future__ import annotations

from typing import Any

from .advice import advise
from .profile import Profile, parse_profile
from .results import EvaluationResult
from .rulesets import Ruleset, load_ruleset


def _coerce(profile: Profile | dict[str, Any], ruleset: Ruleset | str) -> tuple[Profile, Ruleset]:
    if not isinstance(ruleset, Ruleset):
        ruleset = load_ruleset(ruleset)
    if not isinstance(profile, Profile):
        profile = parse_profile(profile)
    return profile, ruleset


def evaluate(
    profile: Profile | dict[str, Any],
    ruleset: Ruleset | str,
    *,
    tiers: list[str] | tuple[str, ...] | None = None,
    rereview: bool = False,
    explain: bool = True,
    advice: bool = False,
) -> EvaluationResult:
    """Evaluate ``profile`` under ``ruleset`` (an object or a built-in code).

    ``tiers`` limits the tiers reported (their prerequisites are still evaluated, since a prerequisite met in
    the same evaluation counts). ``rereview`` applies the ruleset's re-review rules where they differ.
    ``explain=False`` skips indicator and unmet lists for bulk scoring; ``advice=True`` adds, for every tier
    not passed, the smallest changes the engine finds that would reach it.
    """
    profile, ruleset = _coerce(profile, ruleset)
    vals, judged, wanted = ruleset.judge(profile, tiers, rereview, explain)
    results = {code: result for code, result in judged.items() if code in wanted}
    if advice:
        for code, result in results.items():
            if not result.passed:
                result.advice = advise(profile, ruleset, code, rereview=rereview)
    return EvaluationResult(ruleset.code, profile.year, vals[ruleset.size_index], results)
