"""Self-assessment as the portal shows it: the engine's result (profile.md) laid out tier by tier.

The numbers come from ``evaluation.services.evaluate_enterprise``; this module only arranges them (labels, the
pass mark beside the score, the advice for the next tier up) so templates stay free of logic.
"""

from __future__ import annotations

from typing import Any

from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from enterprises.models import Enterprise, Tier
from enterprises.services import DECLARATION_PATHS
from evaluation import engine
from evaluation.display import ROUTE_LABELS, STATUS_LABELS, readable, reader_language
from evaluation.profiles import ProfileUnavailable
from evaluation.services import evaluate_enterprise
from evaluation.versions import builtin_ruleset_data, get_ruleset_version

# profile.md path (as the declaration service names errors) → declaration form field.
DECLARATION_FIELD_OF_PATH = {path: attname for attname, path in DECLARATION_PATHS.items()}

# Category codes of the scored tiers (profile.md).
CATEGORY_LABELS = {
    "innovation": gettext_lazy("Innovation"), "growth": gettext_lazy("Growth"),
    "specialisation": gettext_lazy("Specialisation"), "refinement": gettext_lazy("Refinement"),
    "distinctiveness": gettext_lazy("Distinctiveness"),
}
VIA_LABELS = {"held": gettext_lazy("held"), "evaluated": gettext_lazy("met in this assessment")}


def ruleset_choices() -> list[tuple[str, str]]:
    """Each built-in ruleset with the date it applies from, e.g. "miit-2026, in force from 2026-04-01"."""
    return [
        (code, _("%(code)s, in force from %(date)s")
         % {"code": code, "date": builtin_ruleset_data(code).get("effective_from", "?")})
        for code in engine.available_rulesets()
    ]


def default_ruleset_code() -> str:
    """The ruleset in force today (2号文 from its effective date)."""
    return engine.ruleset_for_date(timezone.localdate())


def pass_marks(version: Any) -> dict[str, Any]:
    """The pass mark of each scored tier as the ruleset data states it (``tiers.<code>.pass_mark.value``)."""
    data = getattr(version, "data", None) or {}
    marks: dict[str, Any] = {}
    for code, spec in (data.get("tiers") or {}).items():
        mark = spec.get("pass_mark") if isinstance(spec, dict) else None
        marks[code] = mark.get("value") if isinstance(mark, dict) else mark
    return marks


def _prerequisite(item: Any) -> dict[str, Any]:
    if not isinstance(item, dict):
        return {"label": str(item), "met": None, "via": ""}
    tier = item.get("tier")
    return {
        "label": Tier(tier).label if tier in Tier.values else str(tier),
        "met": item.get("met"),
        "via": VIA_LABELS.get(item.get("via"), item.get("via") or ""),
    }


def _advice_text(item: Any) -> str:
    if isinstance(item, dict):
        return str(item.get("message") or item.get("text") or ", ".join(f"{k}: {v}" for k, v in item.items()))
    return str(item)


def present_result(result: dict[str, Any], version: Any = None, *, only: str | None = None) -> dict[str, Any]:
    """Arrange a result dict (profile.md, fresh or stored) for templates, its messages and labels in the active
    language. ``only`` keeps one tier (an application's)."""
    result = readable(result)
    tiers_data = result.get("tiers") if "tiers" in result else {only: result} if only else {}
    marks = pass_marks(version)
    tiers = []
    for code in Tier.values:
        data = tiers_data.get(code)
        if data is None or (only and code != only):
            continue
        score, max_score, mark = data.get("score"), data.get("max_score"), marks.get(code)
        tiers.append({
            "code": code,
            "label": Tier(code).label,
            "status": data.get("status") or ("passed" if data.get("passed") else "failed"),
            "status_label": STATUS_LABELS.get(data.get("status"), data.get("status")),
            "route": data.get("route"),
            "score": score,
            "max_score": max_score,
            "pass_mark": mark,
            "scored": score is not None and bool(max_score),
            "route_label": ROUTE_LABELS.get(data.get("route"), data.get("route")),
            "categories": [
                {"code": c, "label": CATEGORY_LABELS.get(c, c), "points": p}
                for c, p in (data.get("categories") or {}).items()
            ],
            "indicators": data.get("indicators") or [],
            "unmet": data.get("unmet") or [],
            "direct": data.get("direct") or [],
            "prerequisites": [_prerequisite(p) for p in data.get("prerequisites") or []],
            "advice": [_advice_text(a) for a in data.get("advice") or []],
        })
    passed = [t for t in tiers if t["status"] == "passed"]
    highest = max((Tier.rank(t["code"]) for t in passed), default=-1)
    next_tier = next((t for t in tiers if Tier.rank(t["code"]) > highest and t["status"] != "passed"), None)
    return {"tiers": tiers, "next_tier": next_tier, "size_class": result.get("size_class_label"),
            "ruleset": result.get("ruleset"), "year": result.get("year")}


def self_assessment(enterprise: Enterprise, year: int, code: str, *, only: str | None = None) -> dict[str, Any]:
    """Evaluate the stored figures of ``year`` under ruleset ``code`` (with advice) for display."""
    context: dict[str, Any] = {"year": year, "ruleset_code": code}
    try:
        version = get_ruleset_version(code)
        evaluated = evaluate_enterprise(enterprise, year, version, advice=True)
    except ProfileUnavailable as exc:
        context["error"] = exc.message
        return context
    except engine.ProfileError as exc:
        context["error"] = _("%(field)s: %(message)s") % {"field": exc.field, "message": exc.message}
        return context
    context["version"] = version
    context["result"] = present_result(evaluated.to_dict(reader_language()), version, only=only)
    return context
