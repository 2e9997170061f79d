"""One compiled tier: its eligibility and threshold rules, prerequisites, and (if scored) indicators.

``run`` is the hot path: it touches only precomputed metric values and compiled tuples, and builds findings
(lazy texts) only for rules that are not met.
"""

from __future__ import annotations

from typing import Any

from . import messages
from .codegen import any_met_function, rules_function, score_function, status_function
from .conditions import MET, PENDING, UNMET, AllOf, AnyOf, Context, Finding, LazyList, Leaf, Node
from .indicators import Indicator, IndicatorList
from .records import Record
from .results import TierResult


class Prerequisite(Record):
    """``{"tier": ..., "met": ..., "via": "held" | "evaluated" | None}``."""

    __slots__ = ("tier", "met", "via")
    _KEYS = ("tier", "met", "via")

    def __init__(self, tier: str, met: bool, via: str | None) -> None:
        self.tier, self.met, self.via = tier, met, via


class DirectMet(Record):
    """A direct-qualification condition that holds: ``{"code", "message", "source"}``."""

    __slots__ = ("node", "vals")
    _KEYS = ("code", "message", "source")

    def __init__(self, node: Node, vals: list) -> None:
        self.node = node
        self.vals = vals

    @property
    def code(self) -> str:
        return self.node.code

    @property
    def source(self) -> str:
        return self.node.source

    def finding(self) -> Finding:
        node = self.node
        while isinstance(node, (AnyOf, AllOf)):
            node = next((c for c in node.children if c.check(self.vals, None) == MET), node.children[0])
        if not isinstance(node, Leaf):
            return Finding(self.node.code, "direct.bool", {"label": messages.Label(node.code or "")})
        params = {
            "label": node.label,
            "op": messages.Op(node.op),
            "limit": messages.Num(node.limit, "pct" if node.unit == "pct2" else node.unit),
            "value": messages.Num(self.vals[node.index], node.unit),
        }
        return Finding(self.node.code, "direct.bool" if node.unit == "bool" else "direct.leaf", params)

    @property
    def message(self) -> str:
        return self.finding().text(messages.EN)

    def text(self, lang: str) -> str:
        return self.finding().text(lang)

    def portable(self) -> dict[str, Any]:
        return self.finding().portable()

    def to_dict(self, lang: str = messages.EN) -> dict[str, Any]:
        return {"code": self.node.code, "message": self.text(lang), "source": self.node.source}



class CompiledTier:
    __slots__ = (
        "code",
        "title",
        "kind",
        "source",
        "prerequisites",
        "rules_new",
        "rules_rereview",
        "indicators",
        "categories",
        "category_caps",
        "category_mins",
        "pass_mark",
        "max_score",
        "direct",
        "data",
        "cat_of",
        "rules_new_fn",
        "rules_rereview_fn",
        "direct_fn",
        "scores_fn",
        "_prereq",
        "status_new_fn",
        "status_rereview_fn",
        "direct_any_fn",
    )

    def __init__(
        self,
        code: str,
        title: str,
        kind: str,
        source: str,
        prerequisites: tuple[str, ...],
        rules_new: tuple[Node, ...],
        rules_rereview: tuple[Node, ...],
        indicators: tuple[Indicator, ...],
        categories: tuple[tuple[str, int, int], ...],
        pass_mark: Any,
        direct: tuple[Node, ...],
        data: dict[str, Any],
    ) -> None:
        self.code, self.title, self.kind, self.source = code, title, kind, source
        self.prerequisites = prerequisites
        self.rules_new, self.rules_rereview = rules_new, rules_rereview
        self.indicators = indicators
        self._prereq = {
            (t, via): Prerequisite(t, via is not None, via)
            for t in prerequisites
            for via in ("held", "evaluated", None)
        }  # immutable: shared by every result
        self.cat_of = tuple(ind.cat_index for ind in indicators)
        self.categories = tuple(c[0] for c in categories)
        self.category_caps = tuple(c[1] for c in categories)
        self.category_mins = tuple(c[2] for c in categories)
        self.pass_mark = pass_mark
        self.max_score = sum(self.category_caps) if categories else None
        self.direct = direct
        self.data = data

    def finalize(self) -> None:
        """Generate the fast functions; called once the metric indices are final."""
        self.rules_new_fn = rules_function(self.rules_new, f"{self.code}_rules")
        self.rules_rereview_fn = rules_function(self.rules_rereview, f"{self.code}_rereview_rules")
        self.direct_fn = rules_function(self.direct, f"{self.code}_direct")
        self.status_new_fn = status_function(self.rules_new, f"{self.code}_status")
        self.status_rereview_fn = status_function(self.rules_rereview, f"{self.code}_rereview_status")
        self.direct_any_fn = any_met_function(self.direct, f"{self.code}_direct_any")
        self.scores_fn = score_function(self, f"{self.code}_score") if self.kind == "scored" else None

    @property
    def scored(self) -> bool:
        return self.kind == "scored"

    def rules(self, rereview: bool) -> tuple[Node, ...]:
        return self.rules_rereview if rereview else self.rules_new

    def run(self, vals: list, ctx: Context, rereview: bool, explain: bool) -> TierResult:
        failed = pending = False
        prerequisites: list = []
        for tier in self.prerequisites:
            if tier in ctx.held:
                prerequisites.append(self._prereq[tier, "held"])
                continue
            status = ctx.statuses.get(tier)
            if status == "passed":
                prerequisites.append(self._prereq[tier, "evaluated"])
                continue
            prerequisites.append(self._prereq[tier, None])
            if status == "pending":
                pending = True
            else:
                failed = True
        if not failed or self.kind == "scored":  # a failed prerequisite settles a threshold tier
            rules = (self.status_rereview_fn if rereview else self.status_new_fn)(vals, ctx)
            if rules == UNMET:
                failed = True
            elif rules == PENDING:
                pending = True

        if self.kind != "scored":
            if not failed and not pending:
                return TierResult(
                    self.code, True, "passed", "thresholds", None, None, None, [], [], [], prerequisites
                )
            status = "failed" if failed else "pending"
            unmet = LazyList(self.explain, (vals, ctx, rereview, None)) if explain else []
            return TierResult(self.code, False, status, None, None, None, None, [], unmet, [], prerequisites)

        scores, categories, score, score_ok = self.scores_fn(vals)
        if None in scores:
            scores = tuple(0 if got is None else got for got in scores)
        if score_ok:
            route = "score"
        elif self.direct_any_fn(vals, ctx):
            route = "direct"
        else:
            route = None
            failed = True
        direct = LazyList(self.direct_met, (vals, ctx)) if explain else []
        indicators = IndicatorList(self.indicators, vals, scores) if explain else []
        if not failed and not pending:
            return TierResult(
                self.code,
                True,
                "passed",
                route,
                score,
                self.max_score,
                categories,
                indicators,
                [],
                direct,
                prerequisites,
            )
        status = "failed" if failed else "pending"
        unmet = LazyList(self.explain, (vals, ctx, rereview, (categories, score, route))) if explain else []
        return TierResult(
            self.code,
            False,
            status,
            None,
            score,
            self.max_score,
            categories,
            indicators,
            unmet,
            direct,
            prerequisites,
        )

    def direct_met(self, args: tuple) -> list:
        """The direct-qualification conditions that hold (built only when somebody reads them)."""
        vals, ctx = args
        statuses = self.direct_fn(vals, ctx)
        return [
            DirectMet(node, vals) for node, status in zip(self.direct, statuses, strict=True) if status == MET
        ]

    def explain(self, args: tuple) -> list:
        """Every unmet rule of a tier that did not pass, in rule order (built only when somebody reads it)."""
        vals, ctx, rereview, scored = args
        statuses = (self.rules_rereview_fn if rereview else self.rules_new_fn)(vals, ctx)
        unmet: list = []
        for tier in self.prerequisites:
            if tier in ctx.held or ctx.statuses.get(tier) == "passed":
                continue
            template = "prereq.pending" if ctx.statuses.get(tier) == "pending" else "prereq.unmet"
            unmet.append(Finding(f"prerequisite.{tier}", template, {"tier": messages.Tiers((tier,))}))
        for node, status in zip(self.rules_rereview if rereview else self.rules_new, statuses, strict=True):
            if status != MET:
                node.explain(vals, ctx, unmet)
        if scored is None:
            return unmet
        categories, score, route = scored
        for ind in self.indicators:
            if ind.score(vals) is None:
                unmet.append(ind.missing(vals))
        if route is None:
            for position, code in enumerate(self.categories):
                if categories[code] < self.category_mins[position]:
                    unmet.append(
                        Finding(
                            f"category.{code}",
                            "score.category",
                            {
                                "category": messages.Category(code),
                                "score": messages.fmt(categories[code]),
                                "limit": self.category_mins[position],
                            },
                        )
                    )
            if score < self.pass_mark:
                unmet.append(
                    Finding(
                        "score",
                        "score.total",
                        {"score": messages.fmt(score), "limit": messages.fmt(self.pass_mark)},
                    )
                )
            if self.direct:
                unmet.append(Finding("direct", "direct.none", {}))
        return unmet
