"""Result dataclasses. ``EvaluationResult.to_dict()`` is exactly the result JSON of profile.md."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from .conditions import Finding, LazyFinding
from .indicators import IndicatorList
from .messages import EN, render_portable

_FINDINGS = (Finding, LazyFinding)


def _said(item: Any, lang: str, portable: bool) -> dict[str, Any]:
    """A finding, direct route or advice entry as JSON: its message in ``lang`` (and, to store, its neutral form)."""
    if item.__class__ in _FINDINGS:
        out = {"code": item.code, "message": item.text(lang)}
        if portable:
            out["msg"] = item.portable()
        return out
    text = getattr(item, "text", None)
    if text is None:  # a plain dict (a result rebuilt from JSON)
        out = dict(item)
        rendered = render_portable(out.get("msg"), lang)
        if rendered is not None:
            out["message"] = rendered
        if not portable:
            out.pop("msg", None)
        return out
    to_dict = getattr(item, "to_dict", None)
    out = to_dict(lang) if to_dict is not None else {**dict(item), "message": text(lang)}
    if portable:
        out["msg"] = item.portable()
    return out


def _number(value: Any) -> Any:
    """Points as JSON numbers: whole Decimals become ints, fractional ones floats (only an input can be)."""
    if value.__class__ is Decimal:
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def _indicators(indicators: Any) -> list[dict[str, Any]]:
    if isinstance(indicators, IndicatorList):  # the engine's own list: read its parts directly
        vals = indicators.vals
        return [
            {
                "code": ind.code,
                "category": ind.category,
                "value": ind.display(vals),
                "points": _number(points),
                "max": ind.max,
                "source": ind.source,
            }
            for ind, points in zip(indicators.indicators, indicators.points, strict=True)
        ]
    return [
        {
            "code": i["code"],
            "category": i["category"],
            "value": i["value"],
            "points": _number(i["points"]),
            "max": i["max"],
            "source": i["source"],
        }
        for i in indicators
    ]


@dataclass(slots=True)
class TierResult:
    """The outcome for one tier; ``unmet`` lists every rule not met (empty when passed)."""

    tier: str
    passed: bool
    status: str  # passed | failed | pending
    route: str | None  # score | direct | thresholds | None
    score: Any
    max_score: int | None
    categories: dict[str, Any] | None
    indicators: list
    unmet: list
    direct: list
    prerequisites: list
    advice: list | None = None

    def to_dict(self, lang: str = EN, *, portable: bool = False) -> dict[str, Any]:
        """The result JSON of profile.md, every message in ``lang``; ``portable`` adds each message's
        language-neutral form (``msg``) so that a stored result can be shown later in any language."""
        out = {
            "passed": self.passed,
            "status": self.status,
            "route": self.route,
            "score": _number(self.score),
            "max_score": self.max_score,
            "categories": None
            if self.categories is None
            else {k: _number(v) for k, v in self.categories.items()},
            "indicators": _indicators(self.indicators),
            "direct": [_said(d, lang, portable) for d in self.direct],
            "unmet": [_said(u, lang, portable) for u in self.unmet],
            "prerequisites": [dict(p) for p in self.prerequisites],
        }
        if self.advice is not None:
            out["advice"] = [_said(a, lang, portable) for a in self.advice]
        return out

    def brief_dict(self) -> dict[str, Any]:
        """What a bulk store keeps beside its status, score and route columns: the category points, marked as not
        explained (the indicators and unmet rules are worked out again from the stored input when shown)."""
        categories = self.categories
        return {"explained": False,
                "categories": None if categories is None else {k: _number(v) for k, v in categories.items()}}


@dataclass(slots=True)
class EvaluationResult:
    """Every requested tier's result, in ladder order."""

    ruleset: str
    year: int
    size_class: str
    tiers: dict[str, TierResult] = field(default_factory=dict)

    def to_dict(self, lang: str = EN, *, portable: bool = False) -> dict[str, Any]:
        return {
            "ruleset": self.ruleset,
            "year": self.year,
            "size_class": self.size_class,
            "tiers": {code: result.to_dict(lang, portable=portable) for code, result in self.tiers.items()},
        }
