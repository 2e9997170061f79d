"""One compiled tier: its eligibility and threshold rules, prerequisites, and (if scored) indicators.

``run`` is the hot path: it touches only precomputed metric values and compiled tuples, and builds findings
(lazy texts) only for rules that are not met.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from . import messages
from .conditions import MET, UNMET, AllOf, AnyOf, Context, Finding, Leaf, Node
from .indicators import Indicator, IndicatorResult
from .results import TierResult


class Prerequisite(Mapping):
    """``{"tier": ..., "met": ..., "via": "held" | "evaluated" | None}``."""

    __slots__ = ("tier", "met", "via")
    _KEYS = ("tier", "met", "via")

    def __init__(self, tier: str, met: bool, via: str | None) -> None:
        self.tier, self.met, self.via = tier, met, via

    def __getitem__(self, key: str) -> Any:
        if key in self._KEYS:
            return getattr(self, key)
        raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        return iter(self._KEYS)

    def __len__(self) -> int:
        return 3


class DirectMet(Mapping):
    """A direct-qualification condition that holds: ``{"code", "message", "source"}``."""

    __slots__ = ("node", "vals")
    _KEYS = ("code", "message", "source")

    def __init__(self, node: Node, vals: list) -> None:
        self.node = node
        self.vals = vals

    @property
    def message(self) -> str:
        node = self.node
        while isinstance(node, (AnyOf, AllOf)):
            node = next((c for c in node.children if c.check(self.vals, None) == MET), node.children[0])
        if not isinstance(node, Leaf):
            return node.code
        params = {"label": node.label, "op": messages.OPS.get(node.op, node.op),
                  "limit": messages.fmt(node.limit, "pct" if node.unit == "pct2" else node.unit),
                  "value": messages.fmt(self.vals[node.index], node.unit)}
        return messages.render("direct.bool" if node.unit == "bool" else "direct.leaf", params)

    def __getitem__(self, key: str) -> Any:
        if key == "code":
            return self.node.code
        if key == "source":
            return self.node.source
        if key == "message":
            return self.message
        raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        return iter(self._KEYS)

    def __len__(self) -> int:
        return 3


class CompiledTier:
    __slots__ = (
        "code", "title", "kind", "source", "prerequisites", "rules_new", "rules_rereview", "indicators",
        "categories", "category_caps", "category_mins", "pass_mark", "max_score", "direct", "data",
    )

    def __init__(self, code: str, title: str, kind: str, source: str, prerequisites: tuple[str, ...],
                 rules_new: tuple[Node, ...], rules_rereview: tuple[Node, ...], indicators: tuple[Indicator, ...],
                 categories: tuple[tuple[str, int, int], ...], pass_mark: Any, direct: tuple[Node, ...],
                 data: dict[str, Any]) -> None:
        self.code, self.title, self.kind, self.source = code, title, kind, source
        self.prerequisites = prerequisites
        self.rules_new, self.rules_rereview = rules_new, rules_rereview
        self.indicators = indicators
        self.categories = tuple(c[0] for c in categories)
        self.category_caps = tuple(c[1] for c in categories)
        self.category_mins = tuple(c[2] for c in categories)
        self.pass_mark = pass_mark
        self.max_score = sum(self.category_caps) if categories else None
        self.direct = direct
        self.data = data

    @property
    def scored(self) -> bool:
        return self.kind == "scored"

    def rules(self, rereview: bool) -> tuple[Node, ...]:
        return self.rules_rereview if rereview else self.rules_new

    def run(self, vals: list, ctx: Context, rereview: bool, explain: bool) -> TierResult:
        failed = pending = False
        unmet: list = []
        prerequisites: list = []
        for tier in self.prerequisites:
            if tier in ctx.held:
                prerequisites.append(Prerequisite(tier, True, "held"))
                continue
            status = ctx.statuses.get(tier)
            if status == "passed":
                prerequisites.append(Prerequisite(tier, True, "evaluated"))
                continue
            prerequisites.append(Prerequisite(tier, False, None))
            if status == "pending":
                pending = True
            else:
                failed = True
            if explain:
                unmet.append(Finding(f"prerequisite.{tier}", "prereq.pending" if status == "pending" else
                                     "prereq.unmet", {"tier": messages.TIER_LABELS[tier]}))
        for node in self.rules_rereview if rereview else self.rules_new:
            status = node.check(vals, ctx)
            if status == MET:
                continue
            if status == UNMET:
                failed = True
            else:
                pending = True
            if explain:
                node.explain(vals, ctx, unmet)

        if self.kind != "scored":
            status = "failed" if failed else "pending" if pending else "passed"
            return TierResult(self.code, status == "passed", status, "thresholds" if status == "passed" else None,
                              None, None, None, [], unmet, [], prerequisites)

        points = [0] * len(self.categories)
        indicators: list = []
        missing: list = []
        for ind in self.indicators:
            got = ind.score(vals)
            if got is None:
                got = 0
                missing.append(ind)
            points[ind.cat_index] += got
            if explain:
                indicators.append(IndicatorResult(ind, vals, got))
        caps, mins = self.category_caps, self.category_mins
        categories = {}
        score = 0
        score_ok = True
        for position, code in enumerate(self.categories):
            value = points[position]
            if value > caps[position]:
                value = caps[position]
            categories[code] = value
            score += value
            if value < mins[position]:
                score_ok = False
        if score < self.pass_mark:
            score_ok = False
        direct = [DirectMet(node, vals) for node in self.direct if node.check(vals, ctx) == MET]
        route = "score" if score_ok else "direct" if direct else None
        if route is None:
            failed = True
        status = "failed" if failed else "pending" if pending else "passed"
        if status != "passed":
            route = None
            if explain:
                for ind in missing:
                    unmet.append(ind.missing(vals))
                if not score_ok and not direct:
                    for position, code in enumerate(self.categories):
                        if categories[code] < mins[position]:
                            unmet.append(Finding(f"category.{code}", "score.category", {
                                "category": messages.CATEGORY_LABELS.get(code, code),
                                "score": messages.fmt(categories[code]), "limit": mins[position]}))
                    if score < self.pass_mark:
                        unmet.append(Finding("score", "score.total", {"score": messages.fmt(score),
                                                                      "limit": messages.fmt(self.pass_mark)}))
                    if self.direct:
                        unmet.append(Finding("direct", "direct.none", {}))
        return TierResult(self.code, status == "passed", status, route, score, self.max_score, categories,
                          indicators, unmet, direct, prerequisites)
