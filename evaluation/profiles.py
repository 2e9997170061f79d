"""The one profile loader: the evaluation profile (profile.md) from stored data, in two shapes.

- ``build_profile`` / ``build_profiles``: the profile as profile.md writes it (a dict), for one enterprise or a
  chunk with a constant number of queries (the API, the portal, submission, simulations, the demo).
- ``profile_values``: the same profile as the engine's value tuples, read as plain rows without a dict or model
  instance in between (``engine.profile_from_values``), for re-scoring, where the reads are the hot path.

Both read the same tables the same way: the declaration of ``year``, the financial rows of year-2..year (a year
without one is all nulls, so each rule that needs it is unmet and named), last year's platform score, and the
tiers the enterprise holds as the registry keeps them on the enterprise (``Enterprise.held_tiers``). The tests
of this module hold the two shapes to the same profile.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import F, Value
from django.db.models.functions import NullIf
from django.utils.translation import gettext as _
from psycopg.types.string import TextLoader

from core.lookups import AnyOf, id_array
from enterprises.models import (
    CONFIRMABLE,
    DECLARATION_GROUPS,
    DECLARATION_SCALARS,
    Declaration,
    Enterprise,
    FinancialYear,
)

from . import engine

# The stored declaration judges exactly the items the engine waits on.
assert tuple(CONFIRMABLE) == engine.CONFIRMABLE_FIELDS


class ProfileUnavailable(ValueError):
    """The stored data cannot make a profile for that year (e.g. no declaration). Names the missing part."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def _number(value: Any) -> Any:
    """A stored amount as profile.md writes it (a whole amount as an integer); other values as they are."""
    if value.__class__ is not Decimal:
        return value
    return int(value) if value == value.to_integral_value() else value


def declaration_dict(d: Declaration) -> dict[str, Any]:
    """The non-financial part of a profile, from a declaration row (``DECLARATION_GROUPS`` says which column
    holds each key). Amounts are numbers; an empty 创客中国 result is null."""
    out: dict[str, Any] = {name: _number(getattr(d, name)) for name in DECLARATION_SCALARS}
    for group, columns in DECLARATION_GROUPS.items():
        out[group] = {key: _number(getattr(d, column)) for key, column in columns.items()}
    out["awards"]["chuangke"] = d.chuangke or None
    return out




def financial_dict(f: FinancialYear) -> dict[str, Any]:
    return {"year": f.year, **{name: _number(getattr(f, name)) for name in FinancialYear.PROFILE_FIELDS}}


def assemble(
    enterprise: Enterprise,
    year: int,
    declaration: Declaration | None,
    financials: Iterable[FinancialYear],
    held_tiers: Iterable[str],
    previous_platform_score: Decimal | None = None,
) -> dict[str, Any]:
    """The profile from already-loaded rows. Financial rows outside year-2..year are ignored.

    A year with no stored financial row (a young enterprise, or figures not yet entered) is given with every
    figure null, so each rule that needs it is unmet with a message naming the missing figure, rather than the
    whole evaluation failing.
    """
    if declaration is None:
        raise ProfileUnavailable("declarations", _("no declaration for %(year)s") % {"year": year})
    stored = {f.year: financial_dict(f) for f in financials if year - 2 <= f.year <= year}
    rows = [stored.get(y) or {"year": y, **dict.fromkeys(FinancialYear.PROFILE_FIELDS)}
            for y in (year, year - 1, year - 2)]
    return {
        "enterprise": {
            "uscc": enterprise.uscc,
            "name": enterprise.name,
            "region_code": enterprise.region_id,
            "sector": enterprise.sector,
            "established_year": enterprise.established_year,
        },
        "year": year,
        **{k: v for k, v in declaration_dict(declaration).items() if k in ("employees", "rd_staff")},
        "financials": rows,
        **{k: v for k, v in declaration_dict(declaration).items() if k not in ("employees", "rd_staff")},
        "platform_score_previous": _number(previous_platform_score),
        "held_tiers": sorted(set(held_tiers)),
    }



def build_profile(enterprise: Enterprise, year: int) -> dict[str, Any]:
    """The profile of ``enterprise`` for ``year``: its declaration, the financials of year-2..year, held tiers."""
    return build_profiles([enterprise], year, strict=True)[enterprise.pk]


def build_profiles(
    enterprises: Iterable[Enterprise], year: int, *, strict: bool = False
) -> dict[int, dict[str, Any] | ProfileUnavailable]:
    """Profiles of many enterprises for ``year`` with three queries whatever their number.

    An enterprise whose profile cannot be made maps to its ``ProfileUnavailable`` (or, with ``strict``, raises).
    """
    enterprises = list(enterprises)
    ids = [e.pk for e in enterprises]
    declarations: dict[int, Declaration] = {}
    previous_scores: dict[int, Decimal | None] = {}
    for d in Declaration.objects.filter(enterprise_id__in=ids, year__in=(year, year - 1)):
        if d.year == year:
            declarations[d.enterprise_id] = d
        else:
            previous_scores[d.enterprise_id] = d.platform_score
    # Read now, not from the instances given: the registry may have changed them since they were loaded.
    held = {pk: Enterprise.held_tiers_codes(text)
            for pk, text in Enterprise.objects.filter(pk__in=ids).values_list("pk", "held_tiers")}
    financials: dict[int, list[FinancialYear]] = defaultdict(list)
    for f in FinancialYear.objects.filter(enterprise_id__in=ids, year__gte=year - 2, year__lte=year):
        financials[f.enterprise_id].append(f)
    out: dict[int, dict[str, Any] | ProfileUnavailable] = {}
    for e in enterprises:
        try:
            out[e.pk] = assemble(e, year, declarations.get(e.pk), financials[e.pk], held.get(e.pk, ()),
                                 previous_scores.get(e.pk))
        except ProfileUnavailable as exc:
            if strict:
                raise
            out[e.pk] = exc
    return out


# --- The values shape (re-scoring) ---------------------------------------------------------------------

# The id, the engine's ``ENTERPRISE_VALUE_FIELDS``, then the tiers held (stored text, see ``Enterprise.held_tiers``).
ENTERPRISE_FIELDS = ("id", "uscc", "name", "region_id", "sector", "established_year", "held_tiers")
HELD_TIERS = ENTERPRISE_FIELDS.index("held_tiers")

def enterprise_rows(ids: list[int]) -> list[tuple]:
    """The ``ENTERPRISE_FIELDS`` rows of ``ids``, in id order (one query; re-scoring reads them with its lock)."""
    return list(Enterprise.objects.filter(AnyOf(F("pk"), ids)).order_by("pk").values_list(*ENTERPRISE_FIELDS))


def profile_values(enterprises: list[tuple], year: int) -> dict[int, tuple | None]:
    """Each enterprise's ``engine.profile_from_values`` arguments, read with three queries (``None`` when it
    has no declaration for ``year``). ``enterprises`` are ``ENTERPRISE_FIELDS`` rows. Gives the same profile as
    ``build_profile``: a fiscal year without a stored financial row is all nulls."""
    ids = [row[0] for row in enterprises]
    declarations, previous_scores, financials = load_values(ids, year)
    missing = {y: (y, *([None] * len(engine.FINANCIAL_VALUE_FIELDS))) for y in (year, year - 1, year - 2)}
    out: dict[int, tuple | None] = {}
    for row in enterprises:
        pk = row[0]
        declaration = declarations.get(pk)
        if declaration is None:
            out[pk] = None
            continue
        by_year = financials.get(pk, {})
        figures = (by_year.get(year) or missing[year], by_year.get(year - 1) or missing[year - 1],
                   by_year.get(year - 2) or missing[year - 2])
        out[pk] = (row[1:HELD_TIERS], year, declaration, figures, previous_scores.get(pk),
                   Enterprise.held_tiers_codes(row[HELD_TIERS]))
    return out


def _declaration_columns() -> list[Any]:
    """The declaration columns in ``engine.DECLARATION_VALUE_FIELDS`` order (an empty 创客中国 result is null)."""
    columns: list[Any] = []
    for section, key in engine.DECLARATION_VALUE_FIELDS:
        column = DECLARATION_GROUPS[section][key] if key else section
        columns.append(NullIf(F(column), Value("")) if column == "chuangke" else F(column))
    return columns


def load_values(ids: list[int], year: int) -> tuple[dict[int, tuple], dict[int, Any], dict[int, dict[int, tuple]]]:
    """The chunk's profile values with three queries and no model instances: declarations (in
    ``engine.DECLARATION_VALUE_FIELDS`` order), last year's platform scores and financial rows by year (``(year,
    *engine.FINANCIAL_VALUE_FIELDS)``). The same data ``build_profiles`` assembles."""
    if connection.vendor == "postgresql":
        return _load_values_postgres(ids, year)
    columns = _declaration_columns()
    names = [f"v{i}" for i in range(len(columns))]
    declarations = {
        row[0]: row[1:]
        for row in Declaration.objects.filter(AnyOf(F("enterprise_id"), ids), year=year).order_by()
        .annotate(**dict(zip(names, columns, strict=True))).values_list("enterprise_id", *names)
    }
    previous_scores = dict(Declaration.objects.filter(
        AnyOf(F("enterprise_id"), ids), year=year - 1, platform_score__isnull=False
    ).order_by().values_list("enterprise_id", "platform_score"))
    financials: dict[int, dict[int, tuple]] = defaultdict(dict)
    for row in FinancialYear.objects.filter(
        AnyOf(F("enterprise_id"), ids), year__gte=year - 2, year__lte=year
    ).order_by().values_list("enterprise_id", "year", *engine.FINANCIAL_VALUE_FIELDS):
        financials[row[0]][row[1]] = row[1:]
    return declarations, previous_scores, financials

def _load_values_postgres(
    ids: list[int], year: int
) -> tuple[dict[int, tuple], dict[int, Any], dict[int, dict[int, tuple]]]:
    """``load_values`` in plain SQL (booleans and integers as psycopg reads them, figures as text)."""
    declaration_table = Declaration._meta.db_table
    columns = []
    for section, key in engine.DECLARATION_VALUE_FIELDS:
        column = DECLARATION_GROUPS[section][key] if key else section
        columns.append("NULLIF(chuangke, '')" if column == "chuangke" else column)
    array = id_array(ids)
    with connection.cursor() as cursor:
        # Numbers stay text here: most of a re-score only hashes them (``input_digest``), and building a Decimal
        # per figure costs more than the query. ``typed_values`` converts the few that are evaluated.
        cursor.cursor.adapters.register_loader("numeric", TextLoader)
        cursor.execute(f"SELECT enterprise_id, {', '.join(columns)} FROM {declaration_table}"
                       " WHERE enterprise_id = ANY(%s::bigint[]) AND year = %s", [array, year])
        declarations = {row[0]: _json_decoded(row[1:]) for row in cursor.fetchall()}
        cursor.execute(f"SELECT enterprise_id, platform_score FROM {declaration_table}"
                       " WHERE enterprise_id = ANY(%s::bigint[]) AND year = %s AND platform_score IS NOT NULL",
                       [array, year - 1])
        previous_scores = dict(cursor.fetchall())
        cursor.execute(f"SELECT enterprise_id, year, {', '.join(engine.FINANCIAL_VALUE_FIELDS)}"
                       f" FROM {FinancialYear._meta.db_table}"
                       " WHERE enterprise_id = ANY(%s::bigint[]) AND year BETWEEN %s AND %s", [array, year - 2, year])
        financials: dict[int, dict[int, tuple]] = defaultdict(dict)
        for row in cursor.fetchall():
            financials[row[0]][row[1]] = row[1:]
    return declarations, previous_scores, financials

def joined_values_sql(where: str) -> str:
    """PostgreSQL: one query giving, per enterprise ``e`` that ``where`` selects, in id order, the row that
    ``split_joined_row`` reads: ``ENTERPRISE_FIELDS``, ``figures_version``, ``needs_rescore``, the declaration of
    ``%(year)s`` (its id, null when there is none, then ``engine.DECLARATION_VALUE_FIELDS``), last year's platform
    score and the financial rows of the three years. The same values ``profile_values`` reads with four queries;
    a re-score chunk and the scale benchmark's floor read this way."""
    declaration_columns = []
    for section, key in engine.DECLARATION_VALUE_FIELDS:
        column = DECLARATION_GROUPS[section][key] if key else section
        declaration_columns.append("NULLIF(d.chuangke, '')" if column == "chuangke" else f"d.{column}")
    figures = ", ".join(f"f{n}.year, " + ", ".join(f"f{n}.{c}" for c in engine.FINANCIAL_VALUE_FIELDS)
                        for n in range(3))
    declarations, financials = Declaration._meta.db_table, FinancialYear._meta.db_table
    return (
        f"SELECT {', '.join(f'e.{c}' for c in ENTERPRISE_FIELDS)}, e.figures_version, e.needs_rescore, d.id, "
        f"{', '.join(declaration_columns)}, p.platform_score, {figures}"
        f" FROM {Enterprise._meta.db_table} e"
        f" LEFT JOIN {declarations} d ON d.enterprise_id = e.id AND d.year = %(year)s"
        f" LEFT JOIN {declarations} p ON p.enterprise_id = e.id AND p.year = %(year)s - 1"
        " AND p.platform_score IS NOT NULL"
        + "".join(f" LEFT JOIN {financials} f{n} ON f{n}.enterprise_id = e.id AND f{n}.year = %(year)s - {n}"
                  for n in range(3))
        + f" WHERE {where} ORDER BY e.id"
    )


_JOINED_DECLARATION_AT = len(ENTERPRISE_FIELDS) + 3
_JOINED_PREVIOUS_AT = _JOINED_DECLARATION_AT + len(engine.DECLARATION_VALUE_FIELDS)
_FINANCIAL_WIDTH = len(engine.FINANCIAL_VALUE_FIELDS) + 1


def split_joined_row(row: tuple, year: int) -> tuple[tuple, int, bool, tuple | None]:
    """A ``joined_values_sql`` row as (the ``ENTERPRISE_FIELDS`` row, ``figures_version``, ``needs_rescore``, the
    ``profile_values`` tuple or ``None`` without a declaration for ``year``). Read with numbers as text
    (``TextLoader``) and JSON as text, as ``profile_values`` reads them."""
    enterprise = row[:HELD_TIERS + 1]
    if row[_JOINED_DECLARATION_AT - 1] is None:
        return enterprise, row[HELD_TIERS + 1], row[HELD_TIERS + 2], None
    figures = []
    for n in range(3):
        at = _JOINED_PREVIOUS_AT + 1 + n * _FINANCIAL_WIDTH
        values = row[at:at + _FINANCIAL_WIDTH]
        figures.append(values if values[0] is not None else (year - n, *([None] * (_FINANCIAL_WIDTH - 1))))
    inputs = (row[1:HELD_TIERS], year, _json_decoded(row[_JOINED_DECLARATION_AT:_JOINED_PREVIOUS_AT]),
              tuple(figures), row[_JOINED_PREVIOUS_AT], Enterprise.held_tiers_codes(row[HELD_TIERS]))
    return enterprise, row[HELD_TIERS + 1], row[HELD_TIERS + 2], inputs


def joined_values(ids: list[int], year: int) -> list[tuple[tuple, int, bool, tuple | None]]:
    """``split_joined_row`` of each of ``ids`` (PostgreSQL, one query), in id order."""
    with connection.cursor() as cursor:
        cursor.cursor.adapters.register_loader("numeric", TextLoader)
        cursor.execute(joined_values_sql("e.id = ANY(%(ids)s::bigint[])"), {"ids": id_array(ids), "year": year})
        return [split_joined_row(row, year) for row in cursor.fetchall()]


_CONFIRMATIONS_AT = engine.DECLARATION_VALUE_FIELDS.index(("confirmations", ""))


def _json_decoded(values: tuple) -> tuple:
    """A declaration row as psycopg gives it with Django's loaders (JSON as text), the reviewers'
    ``confirmations`` decoded as the ORM decodes them."""
    text = values[_CONFIRMATIONS_AT]
    if text.__class__ is not str:
        return values
    return (*values[:_CONFIRMATIONS_AT], {} if text == "{}" else json.loads(text), *values[_CONFIRMATIONS_AT + 1:])


def _decimal_positions() -> tuple[int, ...]:
    positions = []
    for index, (section, key) in enumerate(engine.DECLARATION_VALUE_FIELDS):
        column = DECLARATION_GROUPS[section][key] if key else section
        if Declaration._meta.get_field(column).get_internal_type() == "DecimalField":
            positions.append(index)
    return tuple(positions)

_DECLARATION_DECIMALS = _decimal_positions()

def _decimal(value: Any) -> Any:
    return Decimal(value) if value.__class__ is str else value

def typed_values(inputs: tuple) -> tuple:
    """``profile_values`` output with every figure as a Decimal (PostgreSQL reads them as text), ready for
    ``engine.profile_from_values``."""
    identity, year, declaration, figures, previous, held = inputs
    declaration = list(declaration)
    for index in _DECLARATION_DECIMALS:
        declaration[index] = _decimal(declaration[index])
    figures = tuple((row[0], *[_decimal(v) for v in row[1:]]) for row in figures)
    return identity, year, tuple(declaration), figures, _decimal(previous), held
