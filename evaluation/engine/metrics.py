"""The figures rules talk about: profile fields and the ratios and growth rates derived from them.

Formulas come from profile.md ("Units and conventions"); no threshold lives here. A ruleset names the metrics
it uses, and the compiled ruleset computes each of them once per profile into a flat list. A figure that is
absent stays ``None`` (a plain field) or becomes ``Missing`` (a derived figure, with the reason), so the rule
that needs it can say exactly what is missing instead of counting it as zero.

Each metric also knows how to move its own input to reach a target (``inverse``), which is what advice needs.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal
from operator import attrgetter
from typing import Any

from . import messages
from .profile import CHUANGKE_RESULTS, COMPLIANCE_KEYS, CONFIRMABLE_FIELDS, RD_INSTITUTION_LEVELS, Profile, ceil2
from .size import size_steps

HUNDRED = Decimal(100)
CENT = Decimal("0.01")
ZERO = Decimal(0)


class Missing:
    """A figure a rule needs that the profile lacks or that is undefined (growth over a zero base)."""

    __slots__ = ("template", "params")

    def __init__(self, template: str, params: dict[str, Any]) -> None:
        self.template = template
        self.params = params

    @property
    def message(self) -> str:
        return messages.render(self.template, self.params)

    def __repr__(self) -> str:
        return f"Missing({self.message!r})"


def Shown(value: Any) -> messages.Num:  # noqa: N802 - reads as the class it was
    """A figure formatted only when a message is rendered, in its language."""
    return messages.Num(value)


# What an enterprise can do about a figure, for advice: change it now, wait, or nothing.
INPUT, TIME, PAST, RECORD, FIXED, EXTERNAL = "input", "time", "past", "record", "fixed", "external"

Inverse = Callable[[Profile, str, Any], "dict[str, Any] | None"]


@dataclass(frozen=True, slots=True)
class MetricDef:
    name: str
    unit: str  # pct2 (derived %), pct (input %), wan (万元), count, years, rank, level, bool, code, score
    make: Callable[[dict[str, Any]], Callable[[Profile], Any]]
    path: str | None = None  # the profile field, for plain fields
    fix: str = INPUT
    inverse: Callable[[dict[str, Any]], Inverse] | None = None
    lower_is_better: bool = False


def _fin_path(p: Profile, offset: int, name: str) -> str:
    return f"financials[year={p.financials[offset].year}].{name}"


def _fin_value(p: Profile, offset: int, name: str) -> Any:
    fin = p.financials[offset]
    value = getattr(fin, name)
    if value is None:
        return Missing("missing.fin", {"year": fin.year, "field": messages.Field(name)})
    return value


def _floor2(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_FLOOR)


def _nudge(target: Decimal, op: str) -> Decimal:
    """The figure to aim for: the limit itself for an inclusive bound, one cent past it for a strict one."""
    if op == ">":
        return target + CENT
    if op == "<":
        return target - CENT
    return target


# --- plain fields --------------------------------------------------------------------------------------


def _field(path: str) -> Callable[[dict[str, Any]], Callable[[Profile], Any]]:
    getter = attrgetter(path)
    return lambda options: getter


def _field_inverse(path: str, unit: str) -> Callable[[dict[str, Any]], Inverse]:
    def make(options: dict[str, Any]) -> Inverse:
        def inverse(p: Profile, op: str, limit: Any) -> dict[str, Any] | None:
            if unit == "bool":
                return {path: limit} if op == "==" else ({path: not limit} if op == "!=" else None)
            if op in ("in", "==") and unit == "code":
                options_ = list(limit) if op == "in" else [limit]
                order = (
                    RD_INSTITUTION_LEVELS
                    if path == "rd_institution"
                    else (CHUANGKE_RESULTS if path == "awards.chuangke" else tuple(options_))
                )
                ranked = sorted(options_, key=lambda v: order.index(v) if v in order else len(order))
                return {path: ranked[0]}
            if not isinstance(limit, Decimal):
                return None
            if unit in ("count", "years", "rank", "level"):
                if op in (">=", ">"):
                    value = math.ceil(limit) + (1 if op == ">" and limit == math.ceil(limit) else 0)
                elif op in ("<=", "<"):
                    value = math.floor(limit) - (1 if op == "<" and limit == math.floor(limit) else 0)
                else:
                    return None
                return {path: max(value, 0)}
            if op in (">=", ">", "<=", "<"):
                return {path: _nudge(limit, op)}
            return None

        return inverse

    return make


_PLAIN: list[tuple[str, str, str]] = [
    ("employees", "count", INPUT),
    ("rd_staff", "count", INPUT),
    ("digital_level", "level", INPUT),
    ("it_system", "bool", INPUT),
    ("rd_institution", "code", INPUT),
    ("local_feature_score", "score", INPUT),
    ("credit_ok", "bool", INPUT),
    ("platform_score", "score", EXTERNAL),
    ("platform_score_previous", "score", EXTERNAL),
    ("enterprise.region_code", "code", FIXED),
    ("enterprise.sector", "code", FIXED),
    ("enterprise.established_year", "years", FIXED),
    ("market.niche_years", "years", TIME),
    ("market.field_years", "years", TIME),
    ("market.new_product", "bool", FIXED),
    ("market.main_products", "count", INPUT),
    ("market.national_share_pct", "pct", INPUT),
    ("market.national_rank", "rank", INPUT),
    ("market.global_rank", "rank", INPUT),
    # The enterprise declares it, but only a reviewer's confirmation makes it count (``confirmations.*``).
    ("market.niche_share_leading", "bool", EXTERNAL),
    ("market.international_share_pct", "pct", INPUT),
    ("quality.standards", "count", INPUT),
    ("awards.national_sci_rank", "rank", INPUT),
    ("awards.provincial_sci_rank", "rank", INPUT),
    ("awards.chuangke", "code", INPUT),
    ("equity_financing.last_2y", "wan", INPUT),
    ("equity_financing.last_3y", "wan", INPUT),
    ("single_champion.niche_product_share_pct", "pct", INPUT),
]
_PLAIN += [
    (f"ip.{name}", "count", INPUT)
    for name in (
        "class_i",
        "class_i_self_developed",
        "class_i_high_value",
        "class_i_applied",
        "class_ii",
        "invention_patents_applied",
    )
]
_PLAIN += [
    (f"product_field.{name}", "bool", INPUT)
    for name in ("strategic_emerging", "six_basics", "key_chain_results")
]
_PLAIN += [(f"product_field.{name}", "bool", EXTERNAL) for name in ("chain_role", "key_field")]
_PLAIN += [
    (f"quality.{name}", "bool", INPUT)
    for name in ("quality_award", "management_certified", "own_brand", "international_cert")
]
_PLAIN += [
    (f"honours.{name}", "bool", INPUT) for name in ("high_tech_enterprise", "innovation_demo", "ip_advantage")
]
_PLAIN += [(f"compliance.{name}", "bool", RECORD) for name in COMPLIANCE_KEYS]
_PLAIN += [
    (f"single_champion.{name}", "bool", INPUT)
    for name in ("intl_advanced_tech", "energy_advanced", "core_ip", "profit_above_industry")
]

METRICS: dict[str, MetricDef] = {
    path: MetricDef(
        path,
        unit,
        _field(path),
        path=path,
        fix=fix,
        inverse=_field_inverse(path, unit),
        lower_is_better=unit == "rank",
    )
    for path, unit, fix in _PLAIN
}


# --- derived figures -----------------------------------------------------------------------------------


def _plain_fin(offset: int, name: str):
    return lambda options: lambda p: _fin_value(p, offset, name)


def _set_fin(offset: int, name: str, *, lower: bool = False):
    """Inverse for a figure that is itself a financial input."""

    def make(options):
        def inverse(p, op, limit):
            if not isinstance(limit, Decimal):
                return None
            target = _nudge(limit, op)
            value = _floor2(target) if lower else ceil2(target)
            changes = {_fin_path(p, offset, name): max(value, ZERO) if name != "net_profit" else value}
            if name == "operating_revenue" and op in ("<=", "<"):
                main = p.financials[offset].main_business_revenue
                if main is not None and main > value:
                    changes[_fin_path(p, offset, "main_business_revenue")] = value
            return changes

        return inverse

    return make


for _name, _offset, _field_name, _fix in (
    ("revenue", 0, "operating_revenue", INPUT),
    ("revenue_prev", 1, "operating_revenue", PAST),
    ("main_revenue", 0, "main_business_revenue", INPUT),
    ("rd_expense", 0, "rd_expense", INPUT),
    ("rd_expense_prev", 1, "rd_expense", PAST),
    ("net_profit", 0, "net_profit", INPUT),
):
    METRICS[_name] = MetricDef(
        _name,
        "wan",
        _plain_fin(_offset, _field_name),
        fix=_fix,
        inverse=_set_fin(_offset, _field_name) if _fix == INPUT else None,
    )


def _ratio_metric(offset: int, num: str, den: str, name: str) -> Callable[[Profile], Any]:
    """``num / den`` of year ``offset`` in %, or Missing naming the absent or zero figure."""
    get_num, get_den = attrgetter(num), attrgetter(den)
    label = messages.label(name)

    def ratio(p: Profile) -> Any:
        fin = p.financials[offset]
        top = get_num(fin)
        bottom = get_den(fin)
        if top is None:
            return Missing("missing.fin", {"year": fin.year, "field": messages.Field(num)})
        if bottom is None:
            return Missing("missing.fin", {"year": fin.year, "field": messages.Field(den)})
        if not bottom:
            return Missing("undefined.ratio", {"label": label, "year": fin.year, "field": messages.Field(den)})
        return top * HUNDRED / bottom

    return ratio


def _ratio_inverse(num: str, den: str, *, lower: bool = False, cap_by_revenue: bool = False):
    """Move the numerator of year 0 so that num/den reaches the target percentage."""

    def make(options):
        def inverse(p, op, limit):
            base = p.financials[0].__getattribute__(den)
            if base is None or not isinstance(limit, Decimal):
                return None
            target = _nudge(limit, op) * base / HUNDRED
            value = _floor2(target) if lower else ceil2(target)
            if cap_by_revenue and value > p.financials[0].operating_revenue:
                return None
            return {_fin_path(p, 0, num): value if num == "net_profit" else max(value, ZERO)}

        return inverse

    return make


def _simple_ratio(name: str, offset: int, num: str, den: str, *, fix: str = INPUT, inverse=None):
    METRICS[name] = MetricDef(
        name,
        "pct2",
        lambda options: _ratio_metric(offset, num, den, name),
        fix=fix,
        inverse=inverse,
        lower_is_better=name == "debt_ratio",
    )


_simple_ratio(
    "rd_ratio",
    0,
    "rd_expense",
    "operating_revenue",
    inverse=_ratio_inverse("rd_expense", "operating_revenue"),
)
_simple_ratio("rd_ratio_prev", 1, "rd_expense", "operating_revenue", fix=PAST)
_simple_ratio(
    "main_share",
    0,
    "main_business_revenue",
    "operating_revenue",
    inverse=_ratio_inverse("main_business_revenue", "operating_revenue", cap_by_revenue=True),
)
_simple_ratio(
    "net_margin",
    0,
    "net_profit",
    "operating_revenue",
    inverse=_ratio_inverse("net_profit", "operating_revenue"),
)
_simple_ratio(
    "debt_ratio",
    0,
    "total_liabilities",
    "total_assets",
    inverse=_ratio_inverse("total_liabilities", "total_assets", lower=True),
)


def _growth(p: Profile, offset: int, name: str, label_key: str, get: Callable[[Any], Any]) -> Any:
    """Growth of year ``offset`` over the year before, in %; undefined over a zero or negative base."""
    fin, prior = p.financials[offset], p.financials[offset + 1]
    now, base = get(fin), get(prior)
    if now is None:
        return Missing("missing.fin", {"year": fin.year, "field": messages.Field(name)})
    if base is None:
        return Missing("missing.fin", {"year": prior.year, "field": messages.Field(name)})
    if base <= 0:
        return Missing(
            "undefined.growth",
            {"label": messages.label(label_key), "field": messages.Field(name), "base_year": prior.year,
             "base": Shown(base)},
        )
    return (now - base) * HUNDRED / base


def _growth_2y(p: Profile, name: str, method: str, label_key: str, get: Callable[[Any], Any]) -> Any:
    """Two-year growth: the arithmetic mean of the two annual rates, or the compound rate (ruleset data)."""
    if method == "compound":
        now = _fin_value(p, 0, name)
        if now.__class__ is Missing:
            return now
        base = _fin_value(p, 2, name)
        if base.__class__ is Missing:
            return base
        if base <= 0:
            return Missing(
                "undefined.growth",
                {
                    "label": messages.label(label_key),
                    "field": messages.Field(name),
                    "base_year": p.financials[2].year,
                    "base": Shown(base),
                },
            )
        if now < 0:
            return Missing(
                "undefined.growth",
                {
                    "label": messages.label(label_key),
                    "field": messages.Field(name),
                    "base_year": p.financials[0].year,
                    "base": Shown(now),
                },
            )
        return ((now / base).sqrt() - 1) * HUNDRED
    latest = _growth(p, 0, name, label_key, get)
    if latest.__class__ is Missing:
        return latest
    earlier = _growth(p, 1, name, label_key, get)
    if earlier.__class__ is Missing:
        return earlier
    return (latest + earlier) / 2


def _growth_inverse_1y(name: str, *, cap_by_revenue: bool):
    def make(options):
        def inverse(p, op, limit):
            base = p.financials[1].__getattribute__(name)
            if base is None or base <= 0 or not isinstance(limit, Decimal):
                return None
            value = ceil2(base * (HUNDRED + _nudge(limit, op)) / HUNDRED)
            if cap_by_revenue and value > p.financials[0].operating_revenue:
                return None
            return {_fin_path(p, 0, name): value}

        return inverse

    return make


def _growth_inverse_2y(name: str, option_key: str, *, cap_by_revenue: bool):
    def make(options):
        method = options.get("method", "arithmetic")

        def inverse(p, op, limit):
            if not isinstance(limit, Decimal):
                return None
            target = _nudge(limit, op)
            f1, f2 = p.financials[1].__getattribute__(name), p.financials[2].__getattribute__(name)
            if f2 is None or f2 <= 0:
                return None
            if method == "compound":
                factor = (HUNDRED + target) / HUNDRED
                value = ceil2(f2 * factor * factor)
            else:
                if f1 is None or f1 <= 0:
                    return None
                earlier = (f1 - f2) * HUNDRED / f2
                value = ceil2(f1 * (HUNDRED + 2 * target - earlier) / HUNDRED)
            if cap_by_revenue and value > p.financials[0].operating_revenue:
                return None
            return {_fin_path(p, 0, name): value}

        return inverse

    return make


_get_main = attrgetter("main_business_revenue")
METRICS["main_growth"] = MetricDef(
    "main_growth",
    "pct2",
    lambda o: lambda p: _growth(p, 0, "main_business_revenue", "main_growth", _get_main),
    inverse=_growth_inverse_1y("main_business_revenue", cap_by_revenue=True),
)


def _two_year(name: str, field: str, cap: bool) -> None:
    def make(options):
        method = options.get("method", "arithmetic")
        get = attrgetter(field)
        return lambda p: _growth_2y(p, field, method, name, get)

    METRICS[name] = MetricDef(name, "pct2", make, inverse=_growth_inverse_2y(field, name, cap_by_revenue=cap))


_two_year("main_growth_2y", "main_business_revenue", True)
_two_year("revenue_growth_2y", "operating_revenue", False)
_two_year("net_profit_growth_2y", "net_profit", False)


def _revenue_grew(p: Profile) -> Any:
    f0, f1, f2 = p.financials[0], p.financials[1], p.financials[2]
    r0, r1, r2 = f0.operating_revenue, f1.operating_revenue, f2.operating_revenue
    if r1 is None or r2 is None:
        year = (f1 if r1 is None else f2).year
        return Missing("missing.fin", {"year": year, "field": messages.Field("operating_revenue")})
    return r0 > r1 > r2


def _revenue_grew_inverse(options):
    def inverse(p, op, limit):
        r1, r2 = p.financials[1].operating_revenue, p.financials[2].operating_revenue
        if r1 is None or r2 is None or r1 <= r2 or limit is not True:
            return None  # the earlier year did not grow: history cannot be changed
        return {_fin_path(p, 0, "operating_revenue"): r1 + CENT}

    return inverse


METRICS["revenue_grew_2y"] = MetricDef(
    "revenue_grew_2y", "bool", lambda o: _revenue_grew, inverse=_revenue_grew_inverse
)


def _rd_sum(p: Profile) -> Any:
    f0, f1 = p.financials[0], p.financials[1]
    now, before = f0.rd_expense, f1.rd_expense
    if now is None or before is None:
        return Missing("missing.fin", {"year": (f0 if now is None else f1).year, "field": messages.Field("rd_expense")})
    return now + before


def _rd_sum_inverse(divisor: int):
    def make(options):
        def inverse(p, op, limit):
            before = p.financials[1].rd_expense
            if before is None or not isinstance(limit, Decimal):
                return None
            return {_fin_path(p, 0, "rd_expense"): max(ceil2(_nudge(limit, op) * divisor - before), ZERO)}

        return inverse

    return make


METRICS["rd_total_2y"] = MetricDef("rd_total_2y", "wan", lambda o: _rd_sum, inverse=_rd_sum_inverse(1))


def _rd_avg(p: Profile) -> Any:
    total = _rd_sum(p)
    return total if total.__class__ is Missing else total / 2


METRICS["rd_avg_2y"] = MetricDef("rd_avg_2y", "wan", lambda o: _rd_avg, inverse=_rd_sum_inverse(2))


def _main_avg_3y(p: Profile) -> Any:
    f0, f1, f2 = p.financials[0], p.financials[1], p.financials[2]
    m0, m1, m2 = f0.main_business_revenue, f1.main_business_revenue, f2.main_business_revenue
    if m0 is None or m1 is None or m2 is None:
        fin = f0 if m0 is None else f1 if m1 is None else f2
        return Missing("missing.fin", {"year": fin.year, "field": messages.Field("main_business_revenue")})
    return (m0 + m1 + m2) / 3


def _main_avg_inverse(options):
    def inverse(p, op, limit):
        m1, m2 = p.financials[1].main_business_revenue, p.financials[2].main_business_revenue
        if m1 is None or m2 is None or not isinstance(limit, Decimal):
            return None
        value = ceil2(_nudge(limit, op) * 3 - m1 - m2)
        changes = {_fin_path(p, 0, "main_business_revenue"): max(value, ZERO)}
        if value > p.financials[0].operating_revenue:
            changes[_fin_path(p, 0, "operating_revenue")] = value
        return changes

    return inverse


METRICS["main_revenue_avg_3y"] = MetricDef(
    "main_revenue_avg_3y", "wan", lambda o: _main_avg_3y, inverse=_main_avg_inverse
)


def _rd_staff_share(p: Profile) -> Any:
    if p.rd_staff is None:
        return Missing("missing.field", {"field": messages.Field("rd_staff")})
    if not p.employees:
        return Missing(
            "undefined.ratio",
            {"label": messages.label("rd_staff_share"), "year": p.year, "field": messages.Field("employees")},
        )
    return Decimal(p.rd_staff) * HUNDRED / p.employees


def _rd_staff_inverse(options):
    def inverse(p, op, limit):
        if not p.employees or not isinstance(limit, Decimal):
            return None
        value = math.ceil(_nudge(limit, op) * p.employees / HUNDRED)
        return None if value > p.employees else {"rd_staff": value}

    return inverse


METRICS["rd_staff_share"] = MetricDef(
    "rd_staff_share", "pct2", lambda o: _rd_staff_share, inverse=_rd_staff_inverse
)


def _operating_years(p: Profile) -> Any:
    if p.enterprise.established_year is None:
        return Missing("missing.field", {"field": messages.Field("enterprise.established_year")})
    return p.year - p.enterprise.established_year


def _operating_years_inverse(options):
    def inverse(p, op, limit):
        if not isinstance(limit, Decimal):
            return None
        years = math.ceil(limit) + (1 if op == ">" else 0)
        return {"enterprise.established_year": p.year - years}

    return inverse


METRICS["operating_years"] = MetricDef(
    "operating_years", "years", lambda o: _operating_years, fix=TIME, inverse=_operating_years_inverse
)


def _size(p: Profile) -> str:
    employees, revenue = p.employees, p.financials[0].operating_revenue
    for cls, min_employees, min_revenue in size_steps(p.enterprise.sector):
        if (min_employees is None or employees >= min_employees) and (
            min_revenue is None or revenue >= min_revenue
        ):
            return cls
    return "micro"


METRICS["size_class"] = MetricDef("size_class", "code", lambda o: _size, fix=FIXED)


def _confirmation(path: str) -> Callable[[dict[str, Any]], Callable[[Profile], Any]]:
    return lambda options: lambda p: p.confirmations.get(path)


# A reviewer's judgement of a declared item (True confirmed, False refused, None not yet judged). Rules do not
# name these: a comparison with ``confirm`` reads the one of its own field (``rulesets.py``).
for _path in CONFIRMABLE_FIELDS:
    METRICS[f"confirmations.{_path}"] = MetricDef(f"confirmations.{_path}", "bool", _confirmation(_path),
                                                   fix=EXTERNAL)
del _path
