"""Compiled scored indicators: the few "kinds" the annex tables use, each reading its numbers from data.

Kinds: ``band`` (points by which band a metric falls in), ``max_of`` (the best of several bands, e.g. R&D by
amount or by ratio), ``step`` (``min(floor(x / step) * per, cap)``, e.g. years in the niche), ``count``
(``min(per * items met, cap)``, e.g. quality items), ``lookup`` (a table keyed by a code, e.g. R&D institution
level), ``first_match`` (the first case that holds, e.g. the IP class), ``input`` (a score given as input).

``score`` returns the points, or ``None`` when a figure it needs is missing (the indicator then earns 0 and
the tier's ``unmet`` names the figure).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from . import messages
from .conditions import MET, Finding, Leaf
from .metrics import MetricDef, Missing
from .records import Record


class Indicator:
    __slots__ = ("code", "category", "cat_index", "max", "source", "confidence", "advice_cost")

    def score(self, vals: list) -> Any:
        raise NotImplementedError

    def display(self, vals: list) -> str | None:
        raise NotImplementedError

    def missing(self, vals: list) -> Finding:
        """The finding naming the figure that made ``score`` return None."""
        raise NotImplementedError

    def _setup(self, spec: dict[str, Any], cat_index: int) -> None:
        self.code = spec["code"]
        self.category = spec["category"]
        self.cat_index = cat_index
        self.max = spec["max"]
        self.source = spec["source"]
        self.confidence = spec["confidence"]
        self.advice_cost = Decimal(str(spec.get("advice_cost", 1)))


def _missing_finding(code: str, metric: MetricDef, value: Any) -> Finding:
    if value.__class__ is Missing:
        return Finding(code, value.template, value.params)
    return Finding(code, "missing.field", {"field": messages.Field(metric.path or metric.name)})


def whole(value: Any) -> int | Decimal:
    """Points as an int when whole (a 0–15 input may be fractional)."""
    if value.__class__ is int:
        return value
    return int(value) if value == value.to_integral_value() else value


class Band(Indicator):
    __slots__ = ("index", "metric", "bands", "otherwise", "lower", "inclusive")

    def __init__(self, spec, cat_index, index, metric, bands, otherwise, lower, inclusive):
        self._setup(spec, cat_index)
        self.index, self.metric, self.bands, self.otherwise = index, metric, bands, otherwise
        self.lower, self.inclusive = lower, inclusive

    def points_for(self, value: Any) -> int:
        if self.lower:
            if self.inclusive:
                for limit, points in self.bands:
                    if value <= limit:
                        return points
            else:
                for limit, points in self.bands:
                    if value < limit:
                        return points
        elif self.inclusive:
            for limit, points in self.bands:
                if value >= limit:
                    return points
        else:
            for limit, points in self.bands:
                if value > limit:
                    return points
        return self.otherwise

    def score(self, vals):
        value = vals[self.index]
        if value is None or value.__class__ is Missing:
            return None
        return self.points_for(value)

    def display(self, vals):
        value = vals[self.index]
        if value is None or value.__class__ is Missing:
            return None
        return messages.fmt(value, self.metric.unit)

    def missing(self, vals):
        return _missing_finding(self.code, self.metric, vals[self.index])


class MaxOf(Indicator):
    __slots__ = ("parts",)

    def __init__(self, spec, cat_index, parts):
        self._setup(spec, cat_index)
        self.parts = tuple(parts)

    def score(self, vals):
        best = None
        for part in self.parts:
            points = part.score(vals)
            if points is not None and (best is None or points > best):
                best = points
        return best

    def display(self, vals):
        shown = [part.display(vals) for part in self.parts]
        shown = [
            text if part.metric.unit != "wan" or text is None else f"{text}万元"
            for part, text in zip(self.parts, shown, strict=True)
        ]
        return " / ".join(text for text in shown if text is not None) or None

    def missing(self, vals):
        return self.parts[0].missing(vals)


class Step(Indicator):
    __slots__ = ("index", "metric", "step", "per", "cap")

    def __init__(self, spec, cat_index, index, metric, step, per, cap):
        self._setup(spec, cat_index)
        self.index, self.metric, self.step, self.per, self.cap = index, metric, step, per, cap

    def points_for(self, value: Any) -> int:
        if value <= 0:
            return 0
        return min(math.floor(value / self.step) * self.per, self.cap)

    def score(self, vals):
        value = vals[self.index]
        if value is None or value.__class__ is Missing:
            return None
        return self.points_for(value)

    def display(self, vals):
        value = vals[self.index]
        return None if value is None or value.__class__ is Missing else messages.fmt(value, self.metric.unit)

    def missing(self, vals):
        return _missing_finding(self.code, self.metric, vals[self.index])


class Count(Indicator):
    __slots__ = ("items", "per", "cap")

    def __init__(self, spec, cat_index, items, per, cap):
        self._setup(spec, cat_index)
        self.items, self.per, self.cap = tuple(items), per, cap

    def count(self, vals) -> int | None:
        met = 0
        for item in self.items:
            if not item.known(vals):
                return None
            if item.check(vals, None) == MET:
                met += 1
        return met

    def score(self, vals):
        met = self.count(vals)
        return None if met is None else min(met * self.per, self.cap)

    def display(self, vals):
        met = self.count(vals)
        return None if met is None else str(met)

    def missing(self, vals):
        for item in self.items:
            if not item.known(vals):
                return _missing_finding(self.code, item.metric, vals[item.index])
        raise AssertionError("no missing item")


class Lookup(Indicator):
    __slots__ = ("index", "metric", "table")

    def __init__(self, spec, cat_index, index, metric, table):
        self._setup(spec, cat_index)
        self.index, self.metric, self.table = index, metric, table

    def score(self, vals):
        value = vals[self.index]
        if value is None or value.__class__ is Missing:
            return None
        return self.table.get(value, 0)

    def display(self, vals):
        value = vals[self.index]
        return None if value is None or value.__class__ is Missing else str(value)

    def missing(self, vals):
        return _missing_finding(self.code, self.metric, vals[self.index])


class FirstMatch(Indicator):
    __slots__ = ("cases", "otherwise", "otherwise_value")

    def __init__(self, spec, cat_index, cases, otherwise, otherwise_value):
        self._setup(spec, cat_index)
        self.cases = tuple(cases)  # (Leaf, points, value code)
        self.otherwise, self.otherwise_value = otherwise, otherwise_value

    def match(self, vals) -> int | None:
        """Index of the case that holds (``len(cases)`` for none), or None when a figure is missing."""
        for position, (leaf, _points, _value) in enumerate(self.cases):
            if not leaf.known(vals):
                return None
            if leaf.check(vals, None) == MET:
                return position
        return len(self.cases)

    def score(self, vals):
        position = self.match(vals)
        if position is None:
            return None
        return self.cases[position][1] if position < len(self.cases) else self.otherwise

    def display(self, vals):
        position = self.match(vals)
        if position is None:
            return None
        return self.cases[position][2] if position < len(self.cases) else self.otherwise_value

    def missing(self, vals):
        for leaf, _points, _value in self.cases:
            if not leaf.known(vals):
                return _missing_finding(self.code, leaf.metric, vals[leaf.index])
        raise AssertionError("no missing case")


class Input(Indicator):
    __slots__ = ("index", "metric")

    def __init__(self, spec, cat_index, index, metric):
        self._setup(spec, cat_index)
        self.index, self.metric = index, metric

    def score(self, vals):
        value = vals[self.index]
        if value is None or value.__class__ is Missing:
            return None
        if value <= 0:
            return 0
        return whole(min(value, self.max))

    def display(self, vals):
        value = vals[self.index]
        return None if value is None or value.__class__ is Missing else messages.fmt(value, self.metric.unit)

    def missing(self, vals):
        return _missing_finding(self.code, self.metric, vals[self.index])


class IndicatorResult(Record):
    """One scored indicator of a result: ``{"code","category","value","points","max","source"}``.

    The displayed value is formatted on first read; the points are final.
    """

    __slots__ = ("indicator", "vals", "points")
    _KEYS = ("code", "category", "value", "points", "max", "source")

    def __init__(self, indicator: Indicator, vals: list, points: Any) -> None:
        self.indicator = indicator
        self.vals = vals
        self.points = points

    @property
    def code(self) -> str:
        return self.indicator.code

    @property
    def category(self) -> str:
        return self.indicator.category

    @property
    def max(self) -> int:
        return self.indicator.max

    @property
    def source(self) -> str:
        return self.indicator.source

    @property
    def value(self) -> str | None:
        return self.indicator.display(self.vals)

    def __repr__(self) -> str:
        return f"IndicatorResult({self.code!r}, points={self.points!r}, value={self.value!r})"

    def to_dict(self) -> dict[str, Any]:
        ind = self.indicator
        return {
            "code": ind.code,
            "category": ind.category,
            "value": ind.display(self.vals),
            "points": self.points,
            "max": ind.max,
            "source": ind.source,
        }


class IndicatorList(Sequence):
    """The indicators of one tier result, built into ``IndicatorResult`` items only when read."""

    __slots__ = ("indicators", "vals", "points")

    def __init__(self, indicators: tuple[Indicator, ...], vals: list, points: list) -> None:
        self.indicators = indicators
        self.vals = vals
        self.points = points

    def __len__(self) -> int:
        return len(self.indicators)

    def __getitem__(self, index):  # type: ignore[override]
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        return IndicatorResult(self.indicators[index], self.vals, self.points[index])

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence):
            return list(self) == list(other)
        return NotImplemented

    def __repr__(self) -> str:
        return repr(list(self))

    def __reduce__(self):  # pickled / copied as plain dicts, without the compiled indicators
        return (list, ([item.to_dict() for item in self],))


__all__ = [
    "Band",
    "Count",
    "FirstMatch",
    "Indicator",
    "IndicatorList",
    "IndicatorResult",
    "Input",
    "Lookup",
    "MaxOf",
    "Step",
    "Leaf",
]
