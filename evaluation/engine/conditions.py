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
from .messages import EN
from .metrics import Missing
from .records import Record

MET, UNMET, PENDING = 1, 0, 2


class Finding(Record):
    """One unmet rule: ``{"code": ..., "message": ...}``, with the message built on first read.

    ``message`` is the English text (the contract's default); ``text(lang)`` renders it in another language and
    ``portable()`` gives the language-neutral form to store.
    """

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
            self._message = self.text(EN)
        return self._message

    def text(self, lang: str) -> str:
        if lang == EN and self._message is not None:
            return self._message
        return messages.render(self.template, self.params, lang)

    def portable(self) -> dict[str, Any]:
        return {"t": self.template, "p": messages.portable_params(self.params)}

    def __repr__(self) -> str:
        return f"Finding({self.code!r}, {self.message!r})"

    def to_dict(self, lang: str = EN) -> dict[str, str]:
        return {"code": self.code, "message": self.text(lang)}

    def __reduce__(self):  # pickled / copied in its language-neutral form, without the rule objects behind it
        return (_from_portable, (self.code, self.portable()))


def _from_portable(code: str, portable: dict[str, Any]) -> Finding:
    decoded = messages.decode(portable)
    return Finding(code, decoded.template, decoded.params)


class LazyFinding(Finding):
    """A finding worked out only if somebody reads it (most results are never rendered).

    ``owner.text_of(arg, lang)`` gives its text (a fast path), ``owner.finding_of(arg)`` the plain finding.
    """

    __slots__ = ("_owner", "_arg")

    def __init__(self, code: str, owner: Any, arg: Any) -> None:
        self.code = code
        self._owner = owner
        self._arg = arg
        self._message = None

    def text(self, lang: str) -> str:
        if lang == EN and self._message is not None:
            return self._message
        return self._owner.text_of(self._arg, lang)

    def portable(self) -> dict[str, Any]:
        return self._owner.finding_of(self._arg).portable()

    @property
    def template(self) -> str:  # type: ignore[override]
        return self._owner.finding_of(self._arg).template

    @property
    def params(self) -> dict[str, Any]:  # type: ignore[override]
        return self._owner.finding_of(self._arg).params


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
        self.params = {  # the fixed part of this rule's messages, built once
            "label": label,
            "field": messages.Field(metric.path or metric.name),
            "op": messages.Op(op),
            "limit": messages.Num(limit, "pct" if self.unit == "pct2" else self.unit),
        }
        # The comparison message with a hole for the value, split once per language: rendering is two joins.
        self.around: dict[str, tuple[str, str]] | None = (
            {} if self.unit != "bool" and f"cmp.{op}" in messages.TEMPLATES else None
        )

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
        out.append(LazyFinding(self.code, self, vals))

    def text_of(self, vals, lang: str) -> str:
        value = vals[self.index]
        around = self.around
        if around is not None and value is not None and value.__class__ is not Missing:
            split = around.get(lang)
            if split is None:
                head, _, tail = messages.render(
                    f"cmp.{self.op}", {**self.params, "value": "\x00"}, lang
                ).partition("\x00")
                split = around[lang] = (head, tail)
            return split[0] + messages.fmt(value, self.unit, lang) + split[1]
        return self.finding(vals).text(lang)

    def message(self, vals) -> str:
        return self.text_of(vals, EN)

    def finding_of(self, vals) -> Finding:
        return self.finding(vals)

    def finding(self, vals) -> Finding:
        value = vals[self.index]
        if value.__class__ is Missing:
            return Finding(self.code, value.template, value.params)
        params = self.params
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
        return Finding(self.code, f"cmp.{self.op}", {**params, "value": messages.Num(value, self.unit)})

    def leaves(self):
        yield self


class ConfirmedLeaf(Leaf):
    """A comparison on a declared item that counts only once a reviewer confirms it (``confirm`` in the data).

    A declaration that meets the limit is pending until a reviewer judges it and unmet once refused; one that
    does not meet it is unmet whatever the judgement. ``confirm_index`` is the reviewer's judgement of the
    field among the metrics (``confirmations.<field>``); ``confirmer`` names who must judge it.
    """

    __slots__ = ("confirm_metric", "confirm_index", "confirmer")

    def __init__(self, code, index, metric, op, limit, null, label, source, confidence, confirm_metric, confirmer):
        super().__init__(code, index, metric, op, limit, null, label, source, confidence)
        self.confirm_metric = confirm_metric
        self.confirm_index = 0  # numbered with the ruleset's other metrics
        self.confirmer = confirmer
        self.around = None  # an unmet rule may be the judgement's, not the figure's: no shortcut text

    def declared(self, vals) -> bool:
        """The declaration itself meets the limit (what the reviewer is asked to confirm)."""
        return Leaf.check(self, vals, None) == MET

    def check(self, vals, ctx):
        status = Leaf.check(self, vals, ctx)
        if status != MET:
            return status
        judged = vals[self.confirm_index]
        return MET if judged is True else (UNMET if judged is False else PENDING)

    def finding(self, vals) -> Finding:
        value = vals[self.index]
        params = {**self.params, "by": self.confirmer}
        if self.declared(vals):
            kind = "refused" if vals[self.confirm_index] is False else "pending"
            if self.unit == "bool":
                return Finding(self.code, f"confirm.{kind}.bool", params)
            return Finding(self.code, f"confirm.{kind}.value", {**params, "value": messages.Num(value, self.unit)})
        if value is None and self.null == "missing":
            return Finding(self.code, "declared.missing", params)
        return Leaf.finding(self, vals)


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
        out.append(LazyFinding(self.code, self, (vals, ctx)))

    def finding_of(self, args: tuple) -> Finding:
        vals, ctx = args
        groups = []
        for child in self.alternatives():
            group: list[Finding] = []
            child.explain(vals, ctx, group)
            groups.append(group)
        return Finding(self.code, "any", {"parts": messages.Alternatives(groups)})

    def text_of(self, args: tuple, lang: str) -> str:
        return self.finding_of(args).text(lang)

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
        held = [t for t in self.tiers if t in ctx.held]
        out.append(Finding(self.code, "held.excluded", {"tiers": messages.Tiers(held, "list")}))


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
        out.append(Finding(self.code, "tier_met.none", {"tiers": messages.Tiers(self.tiers, "or")}))


def as_decimal(value: Any) -> Any:
    """Rule limits from JSON: numbers become Decimal (exact), lists become frozensets, the rest stays."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, (int, float, Decimal)):
        return Decimal(str(value))
    if isinstance(value, list):
        return frozenset(as_decimal(v) for v in value)
    return value
