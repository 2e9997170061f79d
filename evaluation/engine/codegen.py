"""Generated fast paths: a tier's rules and indicators as one straight-line Python function each.

The compiled node and indicator objects define what a rule means (and explain it); this module turns the
same objects into source code once per ruleset, so the hot path does plain comparisons on local variables
instead of a method call per rule. ``tests/engine/test_engine_codegen.py`` checks both agree on every status.
Nothing here is data-specific: every number is read from the compiled objects into the function's constants.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .conditions import AllOf, AnyOf, Cases, ConfirmedLeaf, HeldNone, Leaf, Node, TierMet
from .indicators import Band, Count, FirstMatch, Indicator, Input, Lookup, MaxOf, Step, whole
from .metrics import Missing

_INLINE_OPS = (">=", "<=", ">", "<", "==", "!=")


class _Source:
    def __init__(self) -> None:
        self.lines: list[str] = []
        self.consts: dict[str, Any] = {"Missing": Missing}
        self.count = 0

    def const(self, value: Any) -> str:
        name = f"K{len(self.consts)}"
        self.consts[name] = value
        return name

    def var(self, prefix: str) -> str:
        self.count += 1
        return f"{prefix}{self.count}"

    def emit(self, indent: int, text: str) -> None:
        self.lines.append("    " * indent + text)

    # --- conditions ------------------------------------------------------------------------------------

    @staticmethod
    def unknown(metric: Any, x: str) -> str:
        """The test for "no usable value": plain profile fields are None or a value, never Missing."""
        if metric.path is not None:
            return f"{x} is None"
        return f"{x} is None or {x}.__class__ is Missing"

    def condition(self, leaf: Leaf, x: str) -> str:
        if isinstance(leaf.limit, bool) and leaf.op in ("==", "!="):
            return f"{x} {'is' if leaf.op == '==' else 'is not'} {leaf.limit}"
        limit = self.const(leaf.limit)
        if leaf.op in _INLINE_OPS:
            return f"{x} {leaf.op} {limit}"
        if leaf.op == "in":
            return f"{x} in {limit}"
        if leaf.op == "not_in":
            return f"{x} not in {limit}"
        if leaf.op == "startswith":
            return f"{x}.startswith({limit})"
        raise ValueError(leaf.op)

    def leaf(self, leaf: Leaf, indent: int) -> str:
        status = self.var("s")
        null_status = 2 if leaf.null == "pending" else 0
        self.emit(indent, f"x = v[{leaf.index}]")
        self.emit(indent, f"if x is None: {status} = {null_status}")
        if leaf.metric.path is None:
            self.emit(indent, f"elif x.__class__ is Missing: {status} = 0")
        self.emit(indent, f"else: {status} = 1 if {self.condition(leaf, 'x')} else 0")
        if isinstance(leaf, ConfirmedLeaf):  # a declaration that holds counts once a reviewer confirms it
            self.emit(indent, f"if {status} == 1:")
            self.emit(indent + 1, f"x = v[{leaf.confirm_index}]")
            self.emit(indent + 1, f"{status} = 1 if x is True else (0 if x is False else 2)")
        return status

    def node(self, node: Node, indent: int) -> str:
        if isinstance(node, Leaf):
            return self.leaf(node, indent)
        if isinstance(node, (AllOf, AnyOf)):  # Group is an AllOf
            parts = [self.node(child, indent) for child in node.children]
            status = self.var("s")
            if not parts:
                self.emit(indent, f"{status} = 1")
                return status
            group = f"({', '.join(parts)},)"
            if isinstance(node, AnyOf):
                self.emit(indent, f"{status} = 1 if 1 in {group} else (2 if 2 in {group} else 0)")
            else:
                self.emit(indent, f"{status} = 0 if 0 in {group} else (2 if 2 in {group} else 1)")
            return status
        if isinstance(node, Cases):
            status = self.var("s")
            self.cases(node, list(node.cases), status, indent)
            return status
        if isinstance(node, HeldNone):
            status = self.var("s")
            self.emit(indent, f"{status} = 1 if held.isdisjoint({self.const(frozenset(node.tiers))}) else 0")
            return status
        if isinstance(node, TierMet):
            status = self.var("s")
            self.emit(indent, f"{status} = {self.const(node)}.check(v, ctx)")
            return status
        raise TypeError(node)

    def cases(self, node: Cases, cases: list, status: str, indent: int) -> None:
        if not cases:
            if node.otherwise is None:
                self.emit(indent, f"{status} = 1")
            else:
                self.emit(indent, f"{status} = {self.node(node.otherwise, indent)}")
            return
        (condition, then), rest = cases[0], cases[1:]
        null_status = 2 if condition.null == "pending" else 0
        self.emit(indent, f"x = v[{condition.index}]")
        self.emit(indent, f"if x is None: {status} = {null_status}")
        if condition.metric.path is None:
            self.emit(indent, f"elif x.__class__ is Missing: {status} = 0")
        self.emit(indent, f"elif {self.condition(condition, 'x')}:")
        self.emit(indent + 1, f"{status} = {self.node(then, indent + 1)}")
        self.emit(indent, "else:")
        self.cases(node, rest, status, indent + 1)

    # --- indicators ------------------------------------------------------------------------------------

    def band(self, band: Band, indent: int) -> str:
        points = self.var("p")
        op = ("<=" if band.inclusive else "<") if band.lower else (">=" if band.inclusive else ">")
        self.emit(indent, f"x = v[{band.index}]")
        self.emit(indent, f"if {self.unknown(band.metric, 'x')}: {points} = None")
        for limit, value in band.bands:
            self.emit(indent, f"elif x {op} {self.const(limit)}: {points} = {value}")
        self.emit(indent, f"else: {points} = {band.otherwise}")
        return points

    def first_match(self, ind: FirstMatch, cases: list, points: str, indent: int) -> None:
        if not cases:
            self.emit(indent, f"{points} = {ind.otherwise}")
            return
        (leaf, value, _code), rest = cases[0], cases[1:]
        self.emit(indent, f"x = v[{leaf.index}]")
        self.emit(indent, f"if {self.unknown(leaf.metric, 'x')}: {points} = None")
        self.emit(indent, f"elif {self.condition(leaf, 'x')}: {points} = {value}")
        self.emit(indent, "else:")
        self.first_match(ind, rest, points, indent + 1)

    def indicator(self, ind: Indicator, indent: int) -> str:
        if isinstance(ind, Band):
            return self.band(ind, indent)
        if isinstance(ind, MaxOf):
            parts = [self.band(part, indent) for part in ind.parts]
            points = self.var("p")
            self.emit(indent, f"{points} = {parts[0]}")
            for part in parts[1:]:
                self.emit(
                    indent,
                    f"if {part} is not None and ({points} is None or {part} > {points}): {points} = {part}",
                )
            return points
        if isinstance(ind, FirstMatch):
            points = self.var("p")
            self.first_match(ind, list(ind.cases), points, indent)
            return points
        if isinstance(ind, Lookup):
            points = self.var("p")
            self.emit(indent, f"x = v[{ind.index}]")
            self.emit(
                indent,
                f"{points} = None if x is None or x.__class__ is Missing else "
                f"{self.const(ind.table)}.get(x, 0)",
            )
            return points
        if isinstance(ind, Count):
            count, points = self.var("n"), self.var("p")
            self.emit(indent, f"{count} = 0")
            depth = indent
            for item in ind.items:
                self.emit(depth, f"x = v[{item.index}]")
                self.emit(depth, f"if {self.unknown(item.metric, 'x')}: {count} = None")
                self.emit(depth, f"elif {self.condition(item, 'x')}: {count} += 1")
                self.emit(depth, f"if {count} is not None:")
                depth += 1
            self.emit(depth, "pass")
            self.emit(indent, f"{points} = None if {count} is None else min({count} * {ind.per}, {ind.cap})")
            return points
        if isinstance(ind, Step):
            points = self.var("p")
            step = int(ind.step) if ind.step == int(ind.step) else self.const(ind.step)
            self.emit(indent, f"x = v[{ind.index}]")
            self.emit(
                indent,
                f"{points} = None if x is None or x.__class__ is Missing else "
                f"(0 if x <= 0 else min(int(x // {step}) * {ind.per}, {ind.cap}))",
            )
            return points
        if isinstance(ind, Input):
            points = self.var("p")
            self.emit(indent, f"x = v[{ind.index}]")
            self.emit(
                indent,
                f"{points} = None if x is None or x.__class__ is Missing else "
                f"(0 if x <= 0 else {self.const(whole)}(x if x < {ind.max} else {ind.max}))",
            )
            return points
        raise TypeError(ind)

    def build(self, name: str, args: str, results: list[str], returns: bool = True) -> Callable:
        body = "\n".join(self.lines) or "    pass"
        returned = f"({', '.join(results)},)" if results else "()"
        source = f"def {name}({args}):\n{body}\n" + (f"    return {returned}\n" if returns else "")
        namespace: dict[str, Any] = dict(self.consts)
        exec(compile(source, f"<ruleset {name}>", "exec"), namespace)  # noqa: S102 - our own generated code
        function = namespace[name]
        function.source = source
        return function


def rules_function(nodes: tuple[Node, ...], name: str) -> Callable[[list, Any], tuple[int, ...]]:
    """``f(vals, ctx) -> (status of each node, ...)``: 1 met, 0 unmet, 2 pending, as in ``conditions``."""
    src = _Source()
    src.emit(1, "held = ctx.held")
    results = [src.node(node, 1) for node in nodes]
    return src.build(name, "v, ctx", results)


def status_function(nodes: tuple[Node, ...], name: str) -> Callable[[list, Any], int]:
    """``f(vals, ctx) -> 0`` at the first unmet node, else ``2`` if any is pending, else ``1``.

    The hot path needs only this; which rules are unmet is worked out when somebody reads the explanation.
    """
    src = _Source()
    src.emit(1, "held = ctx.held")
    src.emit(1, "pending = False")
    for node in nodes:
        status = src.node(node, 1)
        src.emit(1, f"if {status} == 0: return 0")
        src.emit(1, f"if {status} == 2: pending = True")
    src.lines.append("    return 2 if pending else 1")
    return src.build(name, "v, ctx", [], returns=False)


def any_met_function(nodes: tuple[Node, ...], name: str) -> Callable[[list, Any], bool]:
    """``f(vals, ctx) -> True`` as soon as one node is met (a direct-qualification condition)."""
    src = _Source()
    src.emit(1, "held = ctx.held")
    for node in nodes:
        status = src.node(node, 1)
        src.emit(1, f"if {status} == 1: return True")
    src.lines.append("    return False")
    return src.build(name, "v, ctx", [], returns=False)


def score_function(tier: Any, name: str) -> Callable[[list], tuple]:
    """``f(vals) -> (points per indicator (None = figure missing), {category: capped subtotal}, score, ok)``.

    ``ok`` is the score route: score ≥ pass mark and every category at or above its minimum.
    """
    src = _Source()
    points = [src.indicator(ind, 1) for ind in tier.indicators]
    totals = []
    for position in range(len(tier.categories)):
        members = [p for p, ind in zip(points, tier.indicators, strict=True) if ind.cat_index == position]
        total = src.var("c")
        src.emit(1, f"{total} = {' + '.join(f'({p} or 0)' for p in members) or '0'}")
        src.emit(1, f"if {total} > {tier.category_caps[position]}: {total} = {tier.category_caps[position]}")
        totals.append(total)
    src.emit(1, f"score = {' + '.join(totals)}")
    checks = [f"score >= {src.const(tier.pass_mark)}"]
    checks += [f"{t} >= {m}" for t, m in zip(totals, tier.category_mins, strict=True) if m]
    src.emit(1, f"ok = {' and '.join(checks)}")
    categories = (
        "{" + ", ".join(f"{code!r}: {t}" for code, t in zip(tier.categories, totals, strict=True)) + "}"
    )
    src.emit(1, f"cats = {categories}")
    return src.build(name, "v", [f"({', '.join(points)},)", "cats", "score", "ok"])
