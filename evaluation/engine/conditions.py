"""Compiled rule conditions: leaves comparing one metric, and all / any / cases / tier combinations.

A node answers ``check`` fast (MET, UNMET or PENDING, no text), and only when a rule is not met and an
explanation is wanted does ``explain`` append ``Finding`` objects, whose message is rendered on first read.
"""

from __future__ import annotations

import operator
from collections.abc import Iterator, Sequence
from decimal import Decimal
from typing import Any

from . import messages
from .metrics import Missing
from .records import Record

MET, UNMET, PENDING = 1, 0, 2


class Finding(Record):
    """One unmet rule: ``{"code": ..., "message": ...}``, with the message built on first read."""

    __slots__ = ("code", "template", "params", "_message")
    _KEYS = ("code", "message")

    def __init__(self, code: str, template: str, params: dict[str, Any]) -> None:
        self.code = code
        self.template = template
        self.params = params
        self._message: str | None = None

    @property
    def message(self) -> str:
        if self._message is None:
            self._message = messages.render(self.template, self.params)
        return self._message

    def __repr__(self) -> str:
        return f"Finding({self.code!r}, {self.message!r})"

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": self.message}

    def __reduce__(self):  # pickled / copied as its rendered text, without the rule objects behind it
        return (_rendered, (self.code, self.message))


def _rendered(code: str, message: str) -> Finding:
    finding = Finding(code, "", {})
    finding._message = message
    return finding


class LazyFinding(Finding):
    """A finding whose text is worked out only if somebody reads it (most results are never rendered)."""

    __slots__ = ("_factory", "_arg")

    def __init__(self, code: str, factory: Any, arg: Any) -> None:
        self.code = code
        self._factory = factory
        self._arg = arg
        self._message = None

    @property
    def message(self) -> str:
        if self._message is None:
            self._message = self._factory(self._arg)
        return self._message


class LazyList(Sequence):
    """A list worked out on first use (a tier's unmet rules): ``build(arg)`` returns the real list."""

    __slots__ = ("_build", "_arg", "_items")

    def __init__(self, build: Any, arg: Any) -> None:
        self._build = build
        self._arg = arg
        self._items: list | None = None

    def _list(self) -> list:
        if self._items is None:
            self._items = self._build(self._arg)
            self._build = self._arg = None
        return self._items

    def __len__(self) -> int:
        return len(self._list())

    def __getitem__(self, index):  # type: ignore[override]
        return self._list()[index]

    def __iter__(self) -> Iterator:
        return iter(self._list())

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence):
            return self._list() == list(other)
        return NotImplemented

    def __repr__(self) -> str:
        return repr(self._list())

    def __reduce__(self):
        return (list, (self._list(),))


class _Joined:
    """Several findings rendered as one text (the alternatives of an ``any`` rule)."""

    __slots__ = ("groups",)

    def __init__(self, groups: list[list[Finding]]) -> None:
        self.groups = groups

    def __format__(self, spec: str) -> str:
        return "; or ".join(" and ".join(f.message for f in group) for group in self.groups)


class Context:
    """What a rule may look at besides the metrics: tiers held and tier statuses evaluated so far."""

    __slots__ = ("held", "statuses", "cache")

    def __init__(self, held: frozenset[str]) -> None:
        self.held = held
        self.statuses: dict[str, str] = {}
        self.cache: dict[str, int] = {}


_OPS = {
    ">=": operator.ge,
    "<=": operator.le,
    ">": operator.gt,
    "<": operator.lt,
    "==": operator.eq,
    "!=": operator.ne,
    "in": lambda v, lim: v in lim,
    "not_in": lambda v, lim: v not in lim,
    "startswith": lambda v, lim: v.startswith(lim),
}


class Node:
    __slots__ = ("code", "source", "confidence")

    def check(self, vals: list, ctx: Context) -> int:
        raise NotImplementedError

    def explain(self, vals: list, ctx: Context, out: list) -> None:
        raise NotImplementedError

    def leaves(self) -> Iterator[Leaf]:
        return iter(())


class Leaf(Node):
    """``metric op limit``; what a null value means is data (``null``: missing | false | pending)."""

    __slots__ = ("index", "metric", "op", "limit", "test", "null", "label", "unit", "params", "around")

    def __init__(self, code, index, metric, op, limit, null, label, source, confidence):
        self.code, self.index, self.metric, self.op, self.limit = code, index, metric, op, limit
        self.test = _OPS[op]
        self.null = null
        self.label = label
        self.unit = metric.unit
        self.source, self.confidence = source, confidence
        self.params = {  # the fixed part of this rule's messages, formatted once
            "label": label,
            "field": metric.path or metric.name,
            "op": messages.OPS.get(op, op),
            "limit": messages.fmt(limit, "pct" if self.unit == "pct2" else self.unit),
        }
        # The comparison message with a hole for the value, split once: rendering is then two joins.
        self.around: tuple[str, str] | None = None
        if self.unit != "bool" and f"cmp.{op}" in messages.TEMPLATES:
            head, _, tail = messages.render(f"cmp.{op}", {**self.params, "value": "\x00"}).partition("\x00")
            self.around = (head, tail)

    def check(self, vals, ctx):
        value = vals[self.index]
        if value is None:
            return PENDING if self.null == "pending" else UNMET
        if value.__class__ is Missing:
            return UNMET
        return MET if self.test(value, self.limit) else UNMET

    def known(self, vals) -> bool:
        value = vals[self.index]
        return value is not None and value.__class__ is not Missing

    def explain(self, vals, ctx, out):
        out.append(LazyFinding(self.code, self.message, vals))

    def message(self, vals) -> str:
        value = vals[self.index]
        if self.around is not None and value is not None and value.__class__ is not Missing:
            head, tail = self.around
            return head + messages.fmt(value, self.unit) + tail
        return self.finding(vals).message

    def finding(self, vals) -> Finding:
        value = vals[self.index]
        if value.__class__ is Missing:
            return Finding(self.code, value.template, value.params)
        params = {
            "label": self.label,
            "field": self.metric.path or self.metric.name,
            "op": messages.OPS.get(self.op, self.op),
            "limit": messages.fmt(self.limit, "pct" if self.unit == "pct2" else self.unit),
        }
        if value is None:
            if self.null == "pending":
                return Finding(self.code, "pending.bool" if self.unit == "bool" else "pending.field", params)
            if self.null == "missing":
                return Finding(self.code, "missing.field", params)
            if self.unit != "bool":
                return Finding(self.code, "cmp.none", params)
        if self.unit == "bool" and self.op in ("==", "!="):
            wanted = self.limit if self.op == "==" else not self.limit
            return Finding(self.code, "bool.true" if wanted else "bool.false", params)
        return Finding(self.code, f"cmp.{self.op}", {**params, "value": messages.fmt(value, self.unit)})

    def leaves(self):
        yield self


class AllOf(Node):
    __slots__ = ("children",)

    def __init__(self, code, children, source, confidence):
        self.code, self.children, self.source, self.confidence = code, tuple(children), source, confidence

    def check(self, vals, ctx):
        result = MET
        for child in self.children:
            status = child.check(vals, ctx)
            if status == UNMET:
                return UNMET
            if status == PENDING:
                result = PENDING
        return result

    def explain(self, vals, ctx, out):
        for child in self.children:
            if child.check(vals, ctx) != MET:
                child.explain(vals, ctx, out)

    def leaves(self):
        for child in self.children:
            yield from child.leaves()


class Group(AllOf):
    """A shared list of rules (e.g. the common compliance conditions), checked once per evaluation."""

    __slots__ = ("key",)

    def __init__(self, key, children):
        super().__init__(None, children, None, None)
        self.key = key

    def check(self, vals, ctx):
        status = ctx.cache.get(self.key)
        if status is None:
            status = ctx.cache[self.key] = AllOf.check(self, vals, ctx)
        return status


class AnyOf(Node):
    __slots__ = ("children", "flat")

    def __init__(self, code, children, source, confidence):
        self.code, self.children, self.source, self.confidence = code, tuple(children), source, confidence
        self.flat = tuple(
            grandchild
            for child in self.children
            for grandchild in (child.alternatives() if isinstance(child, AnyOf) else (child,))
        )

    def check(self, vals, ctx):
        result = UNMET
        for child in self.children:
            status = child.check(vals, ctx)
            if status == MET:
                return MET
            if status == PENDING:
                result = PENDING
        return result

    def alternatives(self) -> tuple[Node, ...]:
        """The alternatives, with nested ``any`` rules flattened (they read as one list of "or")."""
        return self.flat

    def explain(self, vals, ctx, out):
        out.append(LazyFinding(self.code, self._message, (vals, ctx)))

    def _message(self, args: tuple) -> str:
        vals, ctx = args
        groups = []
        for child in self.alternatives():
            group: list[Finding] = []
            child.explain(vals, ctx, group)
            groups.append(group)
        return messages.render("any", {"parts": _Joined(groups)})

    def leaves(self):
        for child in self.children:
            yield from child.leaves()


class Cases(Node):
    """The first case whose ``if`` holds decides (e.g. the little giant's R&D rule by revenue band)."""

    __slots__ = ("cases", "otherwise")

    def __init__(self, code, cases, otherwise, source, confidence):
        self.code, self.cases, self.otherwise = code, tuple(cases), otherwise
        self.source, self.confidence = source, confidence

    def branch(self, vals, ctx) -> Node | Leaf | None:
        """The node that decides, or the unknown ``if`` leaf itself when the choice cannot be made."""
        for condition, then in self.cases:
            if not condition.known(vals):
                return condition
            if condition.check(vals, ctx) == MET:
                return then
        return self.otherwise

    def check(self, vals, ctx):
        node = self.branch(vals, ctx)
        if node is None:
            return MET
        return node.check(vals, ctx)

    def explain(self, vals, ctx, out):
        node = self.branch(vals, ctx)
        if node is not None:
            node.explain(vals, ctx, out)

    def leaves(self):
        for condition, then in self.cases:
            yield from condition.leaves()
            yield from then.leaves()
        if self.otherwise is not None:
            yield from self.otherwise.leaves()


class HeldNone(Node):
    """Excluded when the enterprise holds any of ``tiers`` (e.g. Zhejiang specialised vs little giant)."""

    __slots__ = ("tiers",)

    def __init__(self, code, tiers, source, confidence):
        self.code, self.tiers, self.source, self.confidence = code, tuple(tiers), source, confidence

    def check(self, vals, ctx):
        held = ctx.held
        for tier in self.tiers:
            if tier in held:
                return UNMET
        return MET

    def explain(self, vals, ctx, out):
        held = [messages.TIER_LABELS[t] for t in self.tiers if t in ctx.held]
        out.append(Finding(self.code, "held.excluded", {"tiers": ", ".join(held)}))


class TierMet(Node):
    """Holds, or meets in this evaluation, any of ``tiers`` (e.g. the reduced single-champion revenue)."""

    __slots__ = ("tiers",)

    def __init__(self, code, tiers, source, confidence):
        self.code, self.tiers, self.source, self.confidence = code, tuple(tiers), source, confidence

    def check(self, vals, ctx):
        result = UNMET
        for tier in self.tiers:
            if tier in ctx.held:
                return MET
            status = ctx.statuses.get(tier)
            if status == "passed":
                return MET
            if status == "pending":
                result = PENDING
        return result

    def explain(self, vals, ctx, out):
        names = " or ".join(messages.TIER_LABELS[t] for t in self.tiers)
        out.append(Finding(self.code, "tier_met.none", {"tiers": names}))


def as_decimal(value: Any) -> Any:
    """Rule limits from JSON: numbers become Decimal (exact), lists become frozensets, the rest stays."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, (int, float, Decimal)):
        return Decimal(str(value))
    if isinstance(value, list):
        return frozenset(as_decimal(v) for v in value)
    return value
