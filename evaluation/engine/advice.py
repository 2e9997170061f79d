"""Advice: the smallest concrete changes the engine finds that would make a tier pass.

For a threshold the change is its target ("R&D ratio 2.40% → 3.00%"); for a scored tier a small dynamic
programme picks the cheapest set of indicator band improvements that reaches the pass mark and every category
minimum, where "cheap" is how far each figure has to move (relative change of an amount; one step per
certificate, IP item or institution level). Each change names the profile fields to set (``set``); the sets
of one tier's advice are meant together (merged, they give a valid profile for ``apply_changes``). The engine
re-evaluates after applying them and plans again if one change undid another (raising revenue lowers ratios).
What cannot be changed (history, records, the MIIT platform's score) is listed as a note without ``set``.

Advice is computed only on request; it evaluates the profile several times and is not meant for bulk runs.
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

from . import messages
from .conditions import MET, AllOf, AnyOf, Cases, ConfirmedLeaf, Context, Finding, HeldNone, Leaf, Node, TierMet
from .indicators import Band, Count, FirstMatch, Indicator, Input, Lookup, MaxOf, Step
from .metrics import EXTERNAL, FIXED, INPUT, METRICS, PAST, RECORD, TIME, Missing
from .profile import CHUANGKE_RESULTS, RD_INSTITUTION_LEVELS, Profile, apply_changes
from .rulesets import Ruleset
from .tiers import CompiledTier

MAX_ROUNDS = 6
INF = math.inf


def _get(profile: Profile, path: str) -> Any:
    if path.startswith("financials[year="):
        head, _, name = path.partition("].")
        year = int(head[len("financials[year=") :])
        return next(getattr(f, name) for f in profile.financials if f.year == year)
    value: Any = profile
    for part in path.split("."):
        value = getattr(value, part)
    return value


def change_cost(profile: Profile, changes: dict[str, Any]) -> float:
    """How far the figures move: relative change for amounts, one per step for counts, levels and flags."""
    total = 0.0
    for path, new in changes.items():
        old = _get(profile, path)
        if isinstance(new, bool) or new is None:
            total += 0 if old == new else 1
        elif isinstance(new, str):
            order = (
                RD_INSTITUTION_LEVELS
                if path == "rd_institution"
                else (("none",) + CHUANGKE_RESULTS if path == "awards.chuangke" else None)
            )
            if order and (old or "none") in order and new in order:
                total += abs(order.index(new) - order.index(old or "none"))
            else:
                total += 0 if old == new else 1
        elif path.endswith("_rank"):
            total += 1 if old is None else float(abs(old - new)) / max(old, 1)
        elif isinstance(new, int):
            total += abs(new - (old or 0))
        else:
            old = Decimal(old) if old is not None else None
            if old is None:
                total += 1
            else:
                scale = max(abs(old), abs(new))
                total += 0 if not scale else float(abs(new - old) / scale)
    return total


def _plain(value: Any, unit: str) -> Any:
    """``from`` / ``to`` in an advice item: numbers as strings ("2.40"), flags and codes as they are."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, Decimal) and unit == "pct2":
        return f"{value:.2f}"
    return messages.fmt(value if not isinstance(value, float) else Decimal(str(value)))


def _exact(value: Any) -> Any:
    """A value to set, exactly (no display rounding): Decimals as plain strings."""
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value else "0"
    return value


class _Item:
    """One advice entry; rendered at the end so a later round can move its target."""

    __slots__ = ("code", "template", "params", "changes", "from_", "to", "points")

    def __init__(self, code, template, params, changes=None, from_=None, to=None, points=None):
        self.code, self.template, self.params = code, template, params
        self.changes, self.from_, self.to, self.points = changes, from_, to, points

    def key(self) -> tuple:
        if self.changes:
            return (self.code, tuple(sorted(self.changes)))
        message = self.params.get("message")
        return (self.code, self.template, "" if message is None else message.text(messages.EN))

    def to_dict(self) -> Advice:
        params = dict(self.params)
        params.setdefault("from_", self.from_)
        params.setdefault("to", self.to)
        extra: dict[str, Any] = {}
        if self.changes is not None:
            extra["from"] = self.from_
            extra["to"] = self.to
            if self.points is not None:
                extra["points_gained"] = self.points
            extra["set"] = {path: _exact(v) for path, v in self.changes.items()}
        return Advice(self.code, self.template, params, extra)


class Advice(Finding):
    """One advice entry: ``{"code", "message"}`` and, for a change of figures, ``from``, ``to``,
    ``points_gained`` and ``set``; the message is rendered in the reader's language like a finding's."""

    __slots__ = ("extra",)

    def __init__(self, code: str, template: str, params: dict[str, Any], extra: dict[str, Any]) -> None:
        super().__init__(code, template, params)
        self.extra = extra

    def __getitem__(self, key: str) -> Any:
        if key == "code":
            return self.code
        if key == "message":
            return self.message
        return self.extra[key]

    def __iter__(self):
        yield "code"
        yield "message"
        yield from self.extra

    def __len__(self) -> int:
        return 2 + len(self.extra)

    def __repr__(self) -> str:
        return f"Advice({self.code!r}, {self.message!r})"

    def to_dict(self, lang: str = messages.EN) -> dict[str, Any]:
        return {"code": self.code, "message": self.text(lang), **self.extra}

    def __reduce__(self):
        return (_advice_from_portable, (self.code, self.portable(), self.extra))


def _advice_from_portable(code: str, portable: dict[str, Any], extra: dict[str, Any]) -> Advice:
    decoded = messages.decode(portable)
    return Advice(code, decoded.template, decoded.params, extra)


class _Option:
    """One way to lift an indicator: its new points, the cost, the changes, and the figure's move (raw)."""

    __slots__ = ("indicator", "label", "points", "gain", "cost", "changes", "from_", "to", "unit")

    def __init__(self, indicator, label, points, gain, cost, changes, from_, to, unit=""):
        self.indicator, self.label, self.points, self.gain, self.cost = indicator, label, points, gain, cost
        self.changes, self.from_, self.to, self.unit = changes, from_, to, unit


class _Planner:
    """Plans the changes for one round, on one version of the profile."""

    def __init__(self, profile: Profile, ruleset: Ruleset, rereview: bool) -> None:
        self.profile = profile
        self.ruleset = ruleset
        self.rereview = rereview
        self.vals, self.results, _ = ruleset.judge(profile, None, rereview, explain=False)
        self.ctx = Context(profile.held_tiers)
        self.ctx.statuses.update({code: result.status for code, result in self.results.items()})
        self.items: list[_Item] = []
        self.changes: dict[str, Any] = {}
        self.visited: set[str] = set()
        options = ruleset.metric_options
        self.inverses = {name: m.inverse(options.get(name, {})) for name, m in METRICS.items() if m.inverse}

    # --- bookkeeping -----------------------------------------------------------------------------------

    def add(self, item: _Item) -> None:
        self.items.append(item)
        if item.changes:
            for path, value in item.changes.items():
                old = self.changes.get(path)
                if old is None or not isinstance(value, (int, Decimal)) or isinstance(value, bool):
                    self.changes[path] = value
                else:  # one figure changed twice: keep the bigger move (both go the same way)
                    base = _get(self.profile, path)
                    base = 0 if base is None else base
                    self.changes[path] = max(old, value) if value >= base else min(old, value)

    def note(self, code: str, template: str, finding: Finding | str) -> None:
        self.add(_Item(code, template, {"message": finding}))

    # --- tiers -----------------------------------------------------------------------------------------

    def tier(self, code: str) -> None:
        if code in self.visited:
            return
        self.visited.add(code)
        tier: CompiledTier = self.ruleset.tiers[code]
        result = self.results[code]
        if result.passed:
            return
        for prerequisite in tier.prerequisites:
            if prerequisite not in self.ctx.held and self.ctx.statuses.get(prerequisite) != "passed":
                self.tier(prerequisite)
        for node in tier.rules(self.rereview):
            if node.check(self.vals, self.ctx) != MET:
                self.fix_node(node)
        if tier.scored and result.route is None:
            self.score(tier, result)

    # --- rules -----------------------------------------------------------------------------------------

    def plan_node(self, node: Node) -> tuple[float, list[_Item]]:
        """(cost, items) that make ``node`` hold; an unfixable item costs infinity."""
        if node.check(self.vals, self.ctx) == MET:
            return 0.0, []
        if isinstance(node, Leaf):
            item, cost = self.fix_leaf(node)
            return cost, [item]
        if isinstance(node, AnyOf):
            best: tuple[float, list[_Item]] | None = None
            for child in node.alternatives():
                candidate = self.plan_node(child)
                if best is None or candidate[0] < best[0]:
                    best = candidate
            assert best is not None
            return best
        if isinstance(node, Cases):
            branch = node.branch(self.vals, self.ctx)
            return self.plan_node(branch) if branch is not None else (0.0, [])
        if isinstance(node, AllOf):
            total, items = 0.0, []
            for child in node.children:
                cost, child_items = self.plan_node(child)
                total += cost
                items += child_items
            return total, items
        if isinstance(node, (HeldNone, TierMet)):
            found: list[Finding] = []
            node.explain(self.vals, self.ctx, found)
            return INF, [_Item(node.code, "advice.cannot", {"message": found[0]})]
        raise TypeError(node)

    def fix_node(self, node: Node) -> None:
        for item in self.plan_node(node)[1]:
            self.add(item)

    def fix_leaf(self, leaf: Leaf) -> tuple[_Item, float]:
        value = self.vals[leaf.index]
        metric = leaf.metric
        finding = leaf.finding(self.vals)
        if isinstance(leaf, ConfirmedLeaf) and leaf.declared(self.vals):  # only a reviewer's judgement is missing
            return _Item(leaf.code, "advice.external", {"message": finding}), INF
        if value.__class__ is Missing:
            template = (
                "advice.provide"
                if value.template.startswith("missing.")
                else ("advice.past" if metric.fix in (INPUT, PAST) else "advice.cannot")
            )
            return _Item(leaf.code, template, {"message": finding}), INF
        if value is None and leaf.null != "false":
            template = (
                "advice.external" if leaf.null == "pending" or metric.fix == EXTERNAL else "advice.provide"
            )
            return _Item(leaf.code, template, {"message": finding}), INF
        if metric.fix in (EXTERNAL, PAST, RECORD, FIXED):
            template = {EXTERNAL: "advice.external", PAST: "advice.past"}.get(metric.fix, "advice.cannot")
            return _Item(leaf.code, template, {"message": finding}), INF
        inverse = self.inverses.get(metric.name)
        changes = inverse(self.profile, leaf.op, leaf.limit) if inverse else None
        if not changes:
            return _Item(leaf.code, "advice.cannot", {"message": finding}), INF
        cost = change_cost(self.profile, changes)
        unit = metric.unit
        target = leaf.limit
        if leaf.op in ("in", "==") and not isinstance(target, (Decimal, bool)):
            target = next(iter(changes.values())) if metric.path else target
        params = {
            "label": leaf.label,
            "op": messages.Op(leaf.op),
            "limit": messages.Num(leaf.limit, "pct" if unit == "pct2" else unit),
        }
        if unit == "bool":
            template = "advice.obtain" if leaf.limit is True else "advice.cannot"
            if template == "advice.cannot":
                return _Item(leaf.code, template, {"message": finding}), INF
        elif metric.fix == TIME:
            template = "advice.wait"
            params["years"] = abs(int(target) - int(value)) if isinstance(value, int) else "?"
        else:
            template = "advice.threshold"
        shown_from = value if value is not None else None
        item = _Item(leaf.code, template, params, changes, _plain(shown_from, unit), _plain(target, unit))
        params["from_"] = messages.Num(shown_from, unit)
        params["to"] = messages.Num(target, unit)
        return item, cost

    # --- scores ----------------------------------------------------------------------------------------

    def options(self, ind: Indicator) -> list[_Option]:
        vals = self.vals
        current = ind.score(vals)
        if current is None:
            self.note(ind.code, "advice.provide", ind.missing(vals))
            return []
        found: list[_Option] = []

        def offer(label: str, points: Any, cost: float | None, changes: dict, from_: Any, to: Any, unit: str = "",
                  base: Any = current) -> None:
            """Add the option of reaching ``points`` by ``changes`` (cost: what the changes cost, by default)."""
            if cost is None:
                cost = change_cost(self.profile, changes)
            found.append(_Option(ind, messages.label(label), points, points - base, cost, changes, from_, to, unit))

        def band_options(band: Band, best: Any) -> None:
            metric = band.metric
            inverse = self.inverses.get(metric.name)
            if inverse is None or metric.fix not in (INPUT, TIME):
                return
            value = vals[band.index]
            op = ("<=" if band.inclusive else "<") if band.lower else (">=" if band.inclusive else ">")
            for limit, points in band.bands:
                if points <= best:
                    continue
                changes = inverse(self.profile, op, limit)
                if changes:
                    offer(metric.name, points, None, changes, value, limit, metric.unit, base=best)

        if isinstance(ind, Band):
            band_options(ind, current)
        elif isinstance(ind, MaxOf):
            for part in ind.parts:
                band_options(part, current)
        elif isinstance(ind, Step):
            inverse = self.inverses.get(ind.metric.name)
            years = vals[ind.index]
            target = current + ind.per
            while inverse and target <= ind.cap:
                needed = Decimal(math.ceil(target / ind.per)) * ind.step
                changes = inverse(self.profile, ">=", needed)
                if changes:
                    offer(ind.metric.name, target, None, changes, years, needed, "years")
                target += ind.per
        elif isinstance(ind, Count):
            fixes = []
            for item in ind.items:
                if item.check(vals, None) != MET:
                    fix, cost = self.fix_leaf(item)
                    if cost < INF:
                        fixes.append((cost, fix))
            fixes.sort(key=lambda pair: pair[0])
            met = ind.count(vals)
            cost, changes = 0.0, {}
            for extra, (fix_cost, fix) in enumerate(fixes, start=1):
                cost += fix_cost
                changes = {**changes, **fix.changes}
                points = min((met + extra) * ind.per, ind.cap)
                if points > current:
                    offer(f"indicator.{ind.code}", points, cost, dict(changes), str(met), str(met + extra))
        elif isinstance(ind, Lookup):
            path = ind.metric.path
            value = vals[ind.index]
            for key, points in ind.table.items():
                if points > current and path:
                    offer(ind.metric.name, points, None, {path: key}, value, key)
        elif isinstance(ind, FirstMatch):
            position = ind.match(vals)
            shown = ind.display(vals)
            for index, (leaf, points, code) in enumerate(ind.cases[:position]):
                if points <= current:
                    continue
                fix, cost = self.fix_leaf(leaf)
                if cost < INF:
                    steps = position - index
                    offer(f"indicator.{ind.code}", points, float(steps * ind.advice_cost), fix.changes, shown, code)
        elif isinstance(ind, Input):
            value = vals[ind.index]
            path = ind.metric.path
            for target in range(math.floor(value) + 1, ind.max + 1):
                if path:
                    offer(ind.metric.name, target, None, {path: Decimal(target)}, value, Decimal(target), "score")
        return found

    def score(self, tier: CompiledTier, result: Any) -> None:
        """Cheapest indicator improvements reaching the pass mark and every category minimum."""
        cats = len(tier.categories)
        per_category: list[dict[int, tuple[float, tuple]]] = [{0: (0.0, ())} for _ in range(cats)]
        for ind in tier.indicators:
            current = ind.score(self.vals)
            base = 0 if current is None else current
            choices = [(base, 0.0, None)] + [(o.points, o.cost, o) for o in self.options(ind)]
            table = per_category[ind.cat_index]
            grown: dict[Any, tuple[float, tuple]] = {}
            for points, (cost, picked) in table.items():
                for add, add_cost, option in choices:
                    total = min(points + add, tier.category_caps[ind.cat_index])
                    candidate = (cost + add_cost, picked + ((option,) if option else ()))
                    known = grown.get(total)
                    if known is None or (candidate[0], len(candidate[1])) < (known[0], len(known[1])):
                        grown[total] = candidate
            per_category[ind.cat_index] = grown
        mark = tier.pass_mark
        totals: dict[Any, tuple[float, tuple]] = {0: (0.0, ())}
        for index in range(cats):
            merged: dict[Any, tuple[float, tuple]] = {}
            for total, (cost, picked) in totals.items():
                for points, (add_cost, add_picked) in per_category[index].items():
                    if points < tier.category_mins[index]:
                        continue
                    key = min(total + points, mark)
                    candidate = (cost + add_cost, picked + add_picked)
                    known = merged.get(key)
                    if known is None or (candidate[0], len(candidate[1])) < (known[0], len(known[1])):
                        merged[key] = candidate
            totals = merged
        best = totals.get(mark)
        if best is None:
            self.add(_Item("score", "advice.unreachable", {"limit": messages.Num(mark)}))
            return
        for option in best[1]:
            unit = option.unit
            params = {
                "label": option.label,
                "points": option.gain,
                "from_": messages.Num(option.from_, unit),
                "to": messages.Num(option.to, unit),
            }
            self.add(
                _Item(
                    option.indicator.code,
                    "advice.indicator",
                    params,
                    option.changes,
                    _plain(option.from_, unit),
                    _plain(option.to, unit),
                    option.gain,
                )
            )


def advise(profile: Profile, ruleset: Ruleset, tier: str, *, rereview: bool = False) -> list[dict[str, Any]]:
    """The advice list for ``tier`` (see the module docstring); empty when the tier already passes."""
    collected: dict[tuple, _Item] = {}
    changes: dict[str, Any] = {}
    current = profile
    for _round in range(MAX_ROUNDS):
        planner = _Planner(current, ruleset, rereview)
        if planner.results[tier].passed:
            break
        planner.tier(tier)
        for item in planner.items:
            key = item.key()
            if key in collected and item.changes:
                first = collected[key]
                item.from_ = first.from_
                item.params["from_"] = first.params.get("from_", item.params.get("from_"))
                if first.points is not None and item.points is not None:
                    item.points += first.points
            collected[key] = item
        fresh = {p: v for p, v in planner.changes.items() if changes.get(p) != v}
        if not fresh:
            break
        changes.update(fresh)
        current = apply_changes(profile, changes)
        if ruleset.judge(current, [tier], rereview, explain=False)[1][tier].passed:
            break
    for item in collected.values():  # every item states the final value of each figure it moves
        if item.changes:
            item.changes = {path: changes.get(path, value) for path, value in item.changes.items()}
    return [item.to_dict() for item in collected.values()]
