"""Rulesets: JSON data (every number with its source clause and confidence) compiled once into tuples.

The engine interprets a handful of rule and indicator kinds; which thresholds, bands, points and minimums
apply is entirely data, so a maintainer can change an unverified (U) number, or store a draft with another
pass mark in the database, without touching code.
"""

from __future__ import annotations

import copy
import datetime
import json
from decimal import Decimal
from functools import cache
from operator import attrgetter
from pathlib import Path
from typing import Any

from . import messages
from .conditions import (
    AllOf,
    AnyOf,
    Cases,
    ConfirmedLeaf,
    Context,
    Group,
    HeldNone,
    Leaf,
    Node,
    TierMet,
    as_decimal,
)
from .errors import RulesetError, UnknownRuleset, UnknownTier
from .indicators import Band, Count, FirstMatch, Indicator, Input, Lookup, MaxOf, Step
from .metrics import METRICS, MetricDef
from .profile import CONFIRMABLE_FIELDS, TIER_CODES, Profile
from .tiers import CompiledTier

RULESET_DIR = Path(__file__).resolve().parent.parent / "rulesets"
CONFIDENCE = ("V", "V1", "U")
_NON_RULESET_FILES = {"sme_size.json"}
_LEAF_OPS = (">=", "<=", ">", "<", "==", "!=", "in", "not_in", "startswith")
_NULL_POLICIES = ("missing", "false", "pending")
_MODES = ("new", "rereview")


class Ruleset:
    """A compiled ruleset; ``data`` gives a fresh copy of the JSON it was built from (safe to edit)."""

    def __init__(
        self,
        data: dict[str, Any],
        tiers: dict[str, CompiledTier],
        metric_names: tuple[str, ...],
        plain_paths: tuple[str, ...],
        derived_fns: tuple,
        effective_from: datetime.date,
    ) -> None:
        self._data = data
        self.metric_options: dict[str, Any] = data.get("metric_options", {})
        self.code: str = data["code"]
        self.version: str = str(data["version"])
        self.title: str = data["title"]
        self.effective_from = effective_from
        self.tiers = tiers
        self.metric_names = metric_names
        # Plain profile fields come first and are read by one C-level attrgetter; derived figures follow.
        self._plain = (
            attrgetter(*plain_paths)
            if len(plain_paths) > 1
            else ((lambda p, g=attrgetter(plain_paths[0]): (g(p),)) if plain_paths else (lambda p: ()))
        )
        self._derived = derived_fns
        self.size_index = metric_names.index("size_class")
        self._plans: dict[tuple[str, ...] | None, tuple[tuple[str, ...], frozenset[str]]] = {}

    def __repr__(self) -> str:
        return f"<Ruleset {self.code} v{self.version}>"

    @property
    def data(self) -> dict[str, Any]:
        return copy.deepcopy(self._data)

    def compute(self, profile: Profile) -> list:
        """Every metric the ruleset uses, computed once for this profile."""
        vals = list(self._plain(profile))
        vals += [fn(profile) for fn in self._derived]
        return vals

    def plan(self, tiers: Any = None) -> tuple[tuple[str, ...], frozenset[str]]:
        """(tiers to evaluate in ladder order incl. what they depend on, tiers to report)."""
        if isinstance(tiers, str):
            raise UnknownTier("must be a list of tier codes, not a string")
        key = None if tiers is None else tuple(tiers)  # any iterable, read once
        plan = self._plans.get(key)
        if plan is not None:
            return plan
        if key is None:
            wanted = frozenset(self.tiers)
        else:
            for code in key:
                if code not in self.tiers:
                    known = ", ".join(self.tiers)
                    raise UnknownTier(f"unknown tier {code!r} in ruleset {self.code}; known: {known}")
            wanted = frozenset(key)
        needed = set(wanted)
        for code in reversed(TIER_CODES):
            if code in needed:
                needed.update(_dependencies(self.tiers[code]))
        plan = (tuple(c for c in TIER_CODES if c in needed), wanted)
        self._plans[key] = plan
        return plan

    def judge(self, profile: Profile, tiers: Any = None, rereview: bool = False,
              explain: bool = True) -> tuple[list, dict[str, Any], frozenset[str]]:
        """The tiers of ``plan(tiers)`` judged in ladder order, each seeing the statuses of those below it:
        (metric values, results by tier code, the tiers asked for). ``evaluate`` and the advice planner share it."""
        order, wanted = self.plan(tiers)
        vals = self.compute(profile)
        ctx = Context(profile.held_tiers)
        statuses = ctx.statuses
        compiled = self.tiers
        results = {}
        for code in order:
            result = compiled[code].run(vals, ctx, rereview, explain)
            statuses[code] = result.status
            results[code] = result
        return vals, results, wanted


def _dependencies(tier: CompiledTier) -> set[str]:
    deps = set(tier.prerequisites)
    for node in (*tier.rules_new, *tier.rules_rereview, *tier.direct):
        deps.update(_tier_refs(node))
    return deps


def _tier_refs(node: Node) -> set[str]:
    if isinstance(node, TierMet):
        return set(node.tiers)
    found: set[str] = set()
    for child in getattr(node, "children", ()) or ():
        found |= _tier_refs(child)
    for _condition, then in getattr(node, "cases", ()) or ():
        found |= _tier_refs(then)
    otherwise = getattr(node, "otherwise", None)
    if isinstance(otherwise, Node):
        found |= _tier_refs(otherwise)
    return found


class _Compiler:
    def __init__(self, data: Any) -> None:
        if not isinstance(data, dict):
            raise RulesetError("", "a ruleset must be a JSON object")
        self.data = data
        self.metric_index: dict[str, int] = {}
        self.metric_order: list[str] = []
        options = data.get("metric_options", {})
        if not isinstance(options, dict):
            raise RulesetError("metric_options", "must be an object")
        self.metric_options = options
        settings = data.get("settings", {})
        boundary = settings.get("band_boundary", {"value": "favourable"})
        if not isinstance(boundary, dict) or boundary.get("value") not in ("favourable", "exclusive"):
            raise RulesetError("settings.band_boundary.value", "must be 'favourable' or 'exclusive'")
        self.inclusive = boundary["value"] == "favourable"
        self.groups: dict[tuple[str, str], Group] = {}
        self.indexed: list[Any] = []  # compiled objects holding a metric index, renumbered at the end

    # --- helpers ---------------------------------------------------------------------------------------

    def track(self, obj: Any) -> Any:
        self.indexed.append(obj)
        return obj

    def metric(self, name: Any, path: str) -> tuple[int, MetricDef]:
        if name not in METRICS:
            raise RulesetError(path, f"unknown metric {name!r}")
        if name not in self.metric_index:
            self.metric_index[name] = len(self.metric_order)
            self.metric_order.append(name)
        return self.metric_index[name], METRICS[name]

    @staticmethod
    def number(value: Any, path: str) -> Decimal:
        if isinstance(value, bool) or not isinstance(value, (int, float, str)):
            raise RulesetError(path, f"must be a number, got {value!r}")
        try:
            number = Decimal(str(value))
        except ArithmeticError:
            raise RulesetError(path, f"must be a number, got {value!r}") from None
        if not number.is_finite():
            raise RulesetError(path, "must be finite")
        return number

    def points(self, value: Any, path: str, maximum: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise RulesetError(path, f"points must be a whole number ≥ 0, got {value!r}")
        if maximum is not None and value > maximum:
            raise RulesetError(path, f"{value} points exceed the indicator's max {maximum}")
        return value

    @staticmethod
    def sourced(
        spec: dict, path: str, inherited: tuple[str | None, str | None] = (None, None)
    ) -> tuple[str, str]:
        source = spec.get("source", inherited[0])
        confidence = spec.get("confidence", inherited[1])
        if not isinstance(source, str) or not source:
            raise RulesetError(f"{path}.source", "every rule and number needs its source clause")
        if confidence not in CONFIDENCE:
            raise RulesetError(f"{path}.confidence", f"must be one of {', '.join(CONFIDENCE)}")
        return source, confidence

    # --- conditions ------------------------------------------------------------------------------------

    def node(self, spec: Any, path: str, mode: str, inherited: tuple = (None, None, None)) -> Node | None:
        if not isinstance(spec, dict):
            raise RulesetError(path, "a rule must be an object")
        if "ref" in spec:
            return self.group(spec["ref"], path, mode)
        enabled = spec.get("enabled", True)
        if not isinstance(enabled, bool):
            raise RulesetError(f"{path}.enabled", "must be true or false")
        applies = spec.get("applies", "both")
        if applies not in ("both", *_MODES):
            raise RulesetError(f"{path}.applies", "must be 'both', 'new' or 'rereview'")
        if not enabled or (applies != "both" and applies != mode):
            return None
        code = spec.get("code", inherited[0])
        if not isinstance(code, str) or not code:
            raise RulesetError(f"{path}.code", "every rule needs a code")
        source, confidence = self.sourced(spec, path, inherited[1:])
        here = (code, source, confidence)
        if "all" in spec or "any" in spec:
            key = "all" if "all" in spec else "any"
            items = spec[key]
            if not isinstance(items, list) or not items:
                raise RulesetError(f"{path}.{key}", "must be a non-empty list of rules")
            children = [self.node(item, f"{path}.{key}[{i}]", mode, here) for i, item in enumerate(items)]
            children = [c for c in children if c is not None]
            if not children:
                return None
            if len(children) == 1:
                return children[0]
            return (AllOf if key == "all" else AnyOf)(code, children, source, confidence)
        if "cases" in spec:
            cases = []
            if not isinstance(spec["cases"], list) or not spec["cases"]:
                raise RulesetError(f"{path}.cases", "must be a non-empty list")
            for i, case in enumerate(spec["cases"]):
                where = f"{path}.cases[{i}]"
                if not isinstance(case, dict) or "if" not in case or "then" not in case:
                    raise RulesetError(where, "each case needs 'if' and 'then'")
                if isinstance(case["if"], dict) and "confirm" in case["if"]:
                    raise RulesetError(f"{where}.if.confirm", "a case's condition cannot wait for a reviewer")
                condition = self.leaf(case["if"], f"{where}.if", here)
                then = self.node(case["then"], f"{where}.then", mode, here)
                cases.append((condition, then if then is not None else AllOf(code, [], source, confidence)))
            otherwise = self.node(spec["else"], f"{path}.else", mode, here) if "else" in spec else None
            return Cases(code, cases, otherwise, source, confidence)
        if "held_none" in spec or "tier_met" in spec:
            key = "held_none" if "held_none" in spec else "tier_met"
            tiers = spec[key]
            if not isinstance(tiers, list) or not tiers or any(t not in TIER_CODES for t in tiers):
                raise RulesetError(f"{path}.{key}", f"must be a list of tier codes ({', '.join(TIER_CODES)})")
            return (HeldNone if key == "held_none" else TierMet)(code, tiers, source, confidence)
        return self.leaf(spec, path, inherited, here)

    def leaf(self, spec: Any, path: str, inherited: tuple, here: tuple | None = None) -> Leaf:
        if not isinstance(spec, dict) or "metric" not in spec:
            raise RulesetError(
                path, "a condition needs 'metric', 'op' and 'value' (or all/any/cases/held_none/tier_met)"
            )
        if here is None:
            code = spec.get("code", inherited[0])
            source, confidence = self.sourced(spec, path, inherited[1:])
        else:
            code, source, confidence = here
        index, metric = self.metric(spec["metric"], f"{path}.metric")
        op = spec.get("op")
        if op not in _LEAF_OPS:
            raise RulesetError(f"{path}.op", f"must be one of {', '.join(_LEAF_OPS)}")
        if "value" not in spec:
            raise RulesetError(f"{path}.value", "is missing")
        value = spec["value"]
        if metric.unit == "bool":
            if not isinstance(value, bool) or op not in ("==", "!="):
                raise RulesetError(path, "a yes/no figure takes op '==' or '!=' and value true or false")
        elif op in ("in", "not_in"):
            if not isinstance(value, list) or not value:
                raise RulesetError(f"{path}.value", "must be a non-empty list")
        elif op == "startswith":
            if not isinstance(value, str):
                raise RulesetError(f"{path}.value", "must be a string")
        elif metric.unit == "code":
            if op not in ("==", "!=") or not isinstance(value, str):
                raise RulesetError(path, "a code figure takes '==', '!=', 'in' or 'not_in' with strings")
        else:
            self.number(value, f"{path}.value")
        null = spec.get("null", "missing")
        if null not in _NULL_POLICIES:
            raise RulesetError(f"{path}.null", f"must be one of {', '.join(_NULL_POLICIES)}")
        label = messages.Label(metric.name, spec.get("label"))
        if "confirm" in spec:
            leaf = self.confirmed_leaf(spec, path, (code, index, metric, op, as_decimal(value), null, label,
                                                    source, confidence))
        else:
            leaf = Leaf(code, index, metric, op, as_decimal(value), null, label, source, confidence)
        self.indexed.append(leaf)
        return leaf

    def confirmed_leaf(self, spec: dict, path: str, args: tuple) -> ConfirmedLeaf:
        """A comparison on a declared item a reviewer must confirm: ``"confirm": {"by": ..., "source": ...}``."""
        confirm = spec["confirm"]
        metric = args[2]
        if metric.path not in CONFIRMABLE_FIELDS:
            raise RulesetError(f"{path}.confirm", f"only these declared items are confirmed by a reviewer: "
                                                  f"{', '.join(CONFIRMABLE_FIELDS)}")
        if not isinstance(confirm, dict):
            raise RulesetError(f"{path}.confirm", "must be an object with 'by' and 'source'")
        by = confirm.get("by")
        if not isinstance(by, str) or f"confirmer.{by}" not in messages.LABELS:
            known = ", ".join(k.removeprefix("confirmer.") for k in messages.LABELS if k.startswith("confirmer."))
            raise RulesetError(f"{path}.confirm.by", f"must be one of {known}")
        self.sourced(confirm, f"{path}.confirm", (None, args[8]))
        judged_index, judged = self.metric(f"confirmations.{metric.path}", f"{path}.confirm")
        leaf = ConfirmedLeaf(*args, confirm_metric=judged, confirmer=messages.Label(f"confirmer.{by}"))
        leaf.confirm_index = judged_index
        return leaf

    def group(self, name: Any, path: str, mode: str) -> Group:
        groups = self.data.get("shared_rules", {})
        if not isinstance(name, str) or name not in groups:
            raise RulesetError(f"{path}.ref", f"unknown shared rule group {name!r}")
        key = (name, mode)
        if key not in self.groups:
            rules = groups[name]
            if not isinstance(rules, list):
                raise RulesetError(f"shared_rules.{name}", "must be a list of rules")
            children = [self.node(r, f"shared_rules.{name}[{i}]", mode) for i, r in enumerate(rules)]
            self.groups[key] = Group(f"{name}:{mode}", [c for c in children if c is not None])
        return self.groups[key]

    # --- indicators ------------------------------------------------------------------------------------

    def bands(self, spec: dict, path: str, maximum: int) -> tuple[tuple[tuple[Decimal, int], ...], int, bool]:
        direction = spec.get("direction", "higher")
        if direction not in ("higher", "lower"):
            raise RulesetError(f"{path}.direction", "must be 'higher' or 'lower'")
        lower = direction == "lower"
        key = "max" if lower else "min"
        raw = spec.get("bands")
        if not isinstance(raw, list) or not raw:
            raise RulesetError(f"{path}.bands", "must be a non-empty list")
        bands = []
        for i, band in enumerate(raw):
            where = f"{path}.bands[{i}]"
            if not isinstance(band, dict) or key not in band or "points" not in band:
                raise RulesetError(where, f"each band needs '{key}' and 'points'")
            bands.append(
                (
                    self.number(band[key], f"{where}.{key}"),
                    self.points(band["points"], f"{where}.points", maximum),
                )
            )
        limits = [b[0] for b in bands]
        if limits != sorted(limits, reverse=not lower) or len(set(limits)) != len(limits):
            raise RulesetError(f"{path}.bands", "bands must be listed best first, with distinct limits")
        otherwise = self.points(spec.get("else", 0), f"{path}.else", maximum)
        return tuple(bands), otherwise, lower

    def indicator(self, spec: Any, path: str, categories: dict[str, int]) -> Indicator:
        if not isinstance(spec, dict):
            raise RulesetError(path, "an indicator must be an object")
        for key in ("code", "category", "max", "kind"):
            if key not in spec:
                raise RulesetError(f"{path}.{key}", "is missing")
        if spec["category"] not in categories:
            raise RulesetError(f"{path}.category", f"unknown category {spec['category']!r}")
        maximum = self.points(spec["max"], f"{path}.max", None)
        self.sourced(spec, path)
        cat = categories[spec["category"]]
        kind = spec["kind"]
        if kind == "band":
            index, metric = self.metric(spec.get("metric"), f"{path}.metric")
            bands, otherwise, lower = self.bands(spec, path, maximum)
            return self.track(Band(spec, cat, index, metric, bands, otherwise, lower, self.inclusive))
        if kind == "max_of":
            parts = []
            for i, part in enumerate(spec.get("parts") or []):
                where = f"{path}.parts[{i}]"
                index, metric = self.metric(part.get("metric"), f"{where}.metric")
                bands, otherwise, lower = self.bands(part, where, maximum)
                parts.append(
                    self.track(Band(spec, cat, index, metric, bands, otherwise, lower, self.inclusive))
                )
            if not parts:
                raise RulesetError(f"{path}.parts", "must be a non-empty list")
            return MaxOf(spec, cat, parts)
        if kind == "step":
            index, metric = self.metric(spec.get("metric"), f"{path}.metric")
            step = self.number(spec.get("step"), f"{path}.step")
            if step <= 0:
                raise RulesetError(f"{path}.step", "must be greater than 0")
            per = self.points(spec.get("points_per_step"), f"{path}.points_per_step", maximum)
            cap = self.points(spec.get("cap", maximum), f"{path}.cap", maximum)
            return self.track(Step(spec, cat, index, metric, step, per, cap))
        if kind == "count":
            items = spec.get("items")
            if not isinstance(items, list) or not items:
                raise RulesetError(f"{path}.items", "must be a non-empty list of conditions")
            here = (spec["code"], spec["source"], spec["confidence"])
            leaves = [self.leaf(item, f"{path}.items[{i}]", here) for i, item in enumerate(items)]
            per = self.points(spec.get("points_per_item"), f"{path}.points_per_item", maximum)
            cap = self.points(spec.get("cap", maximum), f"{path}.cap", maximum)
            return Count(spec, cat, leaves, per, cap)
        if kind == "lookup":
            index, metric = self.metric(spec.get("metric"), f"{path}.metric")
            table = spec.get("table")
            if not isinstance(table, dict) or not table:
                raise RulesetError(f"{path}.table", "must be a non-empty object")
            table = {k: self.points(v, f"{path}.table.{k}", maximum) for k, v in table.items()}
            return self.track(Lookup(spec, cat, index, metric, table))
        if kind == "first_match":
            here = (spec["code"], spec["source"], spec["confidence"])
            cases = []
            for i, case in enumerate(spec.get("cases") or []):
                where = f"{path}.cases[{i}]"
                if not isinstance(case, dict) or "when" not in case or "value" not in case:
                    raise RulesetError(where, "each case needs 'when', 'points' and 'value'")
                cases.append(
                    (
                        self.leaf(case["when"], f"{where}.when", here),
                        self.points(case.get("points"), f"{where}.points", maximum),
                        str(case["value"]),
                    )
                )
            if not cases:
                raise RulesetError(f"{path}.cases", "must be a non-empty list")
            otherwise = spec.get("else", {"points": 0, "value": "none"})
            return FirstMatch(
                spec,
                cat,
                cases,
                self.points(otherwise.get("points", 0), f"{path}.else.points", maximum),
                str(otherwise.get("value", "none")),
            )
        if kind == "input":
            index, metric = self.metric(spec.get("metric"), f"{path}.metric")
            return self.track(Input(spec, cat, index, metric))
        raise RulesetError(f"{path}.kind", f"unknown indicator kind {kind!r}")

    # --- tiers -----------------------------------------------------------------------------------------

    def tier(self, code: str, spec: Any) -> CompiledTier:
        path = f"tiers.{code}"
        if not isinstance(spec, dict):
            raise RulesetError(path, "must be an object")
        kind = spec.get("type")
        if kind not in ("scored", "thresholds"):
            raise RulesetError(f"{path}.type", "must be 'scored' or 'thresholds'")
        source, _ = self.sourced(spec, path)
        prerequisites = []
        for i, item in enumerate(spec.get("prerequisites", [])):
            where = f"{path}.prerequisites[{i}]"
            tier = item.get("tier") if isinstance(item, dict) else None
            if tier not in TIER_CODES or TIER_CODES.index(tier) >= TIER_CODES.index(code):
                raise RulesetError(f"{where}.tier", "must be a lower tier code")
            self.sourced(item, where)
            prerequisites.append(tier)
        rules = spec.get("rules", [])
        if not isinstance(rules, list):
            raise RulesetError(f"{path}.rules", "must be a list")
        compiled = {}
        for mode in _MODES:
            nodes = [self.node(rule, f"{path}.rules[{i}]", mode) for i, rule in enumerate(rules)]
            compiled[mode] = tuple(n for n in nodes if n is not None)
        for mode_nodes in compiled.values():
            for node in mode_nodes:
                for ref in _tier_refs(node):
                    if TIER_CODES.index(ref) >= TIER_CODES.index(code):
                        raise RulesetError(f"{path}.rules", f"may refer only to lower tiers, not {ref!r}")
        categories: list[tuple[str, int, int]] = []
        indicators: list[Indicator] = []
        direct: list[Node] = []
        pass_mark: Any = None
        if kind == "scored":
            cat_index = {}
            for i, cat in enumerate(spec.get("categories") or []):
                where = f"{path}.categories[{i}]"
                if not isinstance(cat, dict) or "code" not in cat:
                    raise RulesetError(where, "each category needs a code, max and min")
                self.sourced(cat, where)
                cap = self.points(cat.get("max"), f"{where}.max", None)
                minimum = self.points(cat.get("min", 0), f"{where}.min", cap)
                cat_index[cat["code"]] = len(categories)
                categories.append((cat["code"], cap, minimum))
            if not categories:
                raise RulesetError(f"{path}.categories", "a scored tier needs categories")
            indicators = [
                self.indicator(ind, f"{path}.indicators[{i}]", cat_index)
                for i, ind in enumerate(spec.get("indicators") or [])
            ]
            if not indicators:
                raise RulesetError(f"{path}.indicators", "a scored tier needs indicators")
            mark = spec.get("pass_mark")
            if not isinstance(mark, dict) or "value" not in mark:
                raise RulesetError(f"{path}.pass_mark", "needs a value")
            self.sourced(mark, f"{path}.pass_mark")
            pass_mark = self.points(mark["value"], f"{path}.pass_mark.value", sum(c[1] for c in categories))
            for i, rule in enumerate(spec.get("direct", [])):
                node = self.node(rule, f"{path}.direct[{i}]", "new")
                if node is not None:
                    direct.append(node)
        return CompiledTier(
            code,
            spec.get("title", code),
            kind,
            source,
            tuple(prerequisites),
            compiled["new"],
            compiled["rereview"],
            tuple(indicators),
            tuple(categories),
            pass_mark,
            tuple(direct),
            spec,
        )

    def compile(self) -> Ruleset:
        data = self.data
        for key in ("code", "version", "title", "effective_from", "tiers"):
            if key not in data:
                raise RulesetError(key, "is missing")
        if not isinstance(data["code"], str) or not data["code"]:
            raise RulesetError("code", "must be a non-empty string")
        try:
            effective = datetime.date.fromisoformat(str(data["effective_from"]))
        except ValueError:
            raise RulesetError("effective_from", "must be a date YYYY-MM-DD") from None
        tiers_data = data["tiers"]
        if not isinstance(tiers_data, dict) or not tiers_data:
            raise RulesetError("tiers", "must be a non-empty object")
        for code in tiers_data:
            if code not in TIER_CODES:
                raise RulesetError(f"tiers.{code}", f"unknown tier; known: {', '.join(TIER_CODES)}")
        tiers = {code: self.tier(code, tiers_data[code]) for code in TIER_CODES if code in tiers_data}
        for code, tier in tiers.items():
            missing = [t for t in _dependencies(tier) if t not in tiers]
            if missing:
                raise RulesetError(
                    f"tiers.{code}", f"depends on tiers the ruleset lacks: {', '.join(missing)}"
                )
        self.metric("size_class", "size_class")
        plain = [name for name in self.metric_order if METRICS[name].path is not None]
        derived = [name for name in self.metric_order if METRICS[name].path is None]
        fns = []
        for name in derived:
            options = self.metric_options.get(name, {})
            method = options.get("method", "arithmetic") if isinstance(options, dict) else None
            if method not in ("arithmetic", "compound"):
                raise RulesetError(f"metric_options.{name}.method", "must be 'arithmetic' or 'compound'")
            fns.append(METRICS[name].make(options))
        order = plain + derived
        final = {name: position for position, name in enumerate(order)}
        for obj in self.indexed:
            obj.index = final[obj.metric.name]
            if isinstance(obj, ConfirmedLeaf):
                obj.confirm_index = final[obj.confirm_metric.name]
        for tier in tiers.values():
            tier.finalize()
        return Ruleset(
            copy.deepcopy(data),
            tiers,
            tuple(order),
            tuple(METRICS[n].path for n in plain),
            tuple(fns),
            effective,
        )


def ruleset_from_dict(data: dict[str, Any]) -> Ruleset:
    """Compile ruleset data (a built-in file, or a version stored in the database); ``RulesetError``."""
    return _Compiler(data).compile()


@cache
def _files() -> dict[str, Path]:
    found = {}
    for path in sorted(RULESET_DIR.glob("*.json")):
        if path.name not in _NON_RULESET_FILES:
            found[path.stem] = path
    return found


def available_rulesets() -> list[str]:
    """Codes of the built-in rulesets, oldest effective date first."""
    return sorted(_files(), key=lambda code: (load_ruleset(code).effective_from, code))


@cache
def load_ruleset(code: str) -> Ruleset:
    """The built-in ruleset ``code`` (compiled once and cached); ``UnknownRuleset`` for any other code."""
    path = _files().get(code) if isinstance(code, str) else None
    if path is None:
        raise UnknownRuleset(f"unknown ruleset {code!r}; available: {', '.join(sorted(_files()))}")
    ruleset = ruleset_from_dict(json.loads(path.read_text(encoding="utf-8")))
    if ruleset.code != code:
        raise RulesetError("code", f"{path.name} declares code {ruleset.code!r}")
    return ruleset


def ruleset_for_date(date: datetime.date) -> str:
    """Code of the built-in ruleset in force on ``date`` (the latest one whose effective date has come)."""
    in_force = [code for code in available_rulesets() if load_ruleset(code).effective_from <= date]
    if not in_force:
        raise UnknownRuleset(f"no built-in ruleset is in force on {date.isoformat()}")
    return in_force[-1]
