"""Seeding a large synthetic registry on PostgreSQL with COPY (the scale benchmark's seed).

The same kind of data as ``bulk_seed.seed_enterprises`` (a declaration and three financial years per enterprise,
figures varied so that some enterprises pass a tier and others fail it), spread over every county of Zhejiang,
but streamed with ``COPY … FROM STDIN`` with the ids chosen here: no model instances and no round trip per batch,
which is what makes a million enterprises a matter of minutes. Synthetic load, not registry data: no audit rows.
Every column the model declares is written, with the model's default where the seed has no value of its own.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from typing import Any

from django.db import connection, transaction
from django.db.models import Model
from django.utils import timezone

from .models import Declaration, Enterprise, FinancialYear, Region

POOL = 8192  # random variants of the yearly figures


class CopySeedUnsupported(RuntimeError):
    """COPY seeding needs PostgreSQL."""


def column_template(model: type[Model], now: Any) -> tuple[list[str], dict[str, Any]]:
    """The model's concrete columns (without ``id``) and each one's default value as COPY should write it."""
    columns, defaults = [], {}
    for f in model._meta.concrete_fields:
        if f.primary_key:
            continue
        columns.append(f.column)
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            defaults[f.column] = now
        elif f.has_default():
            value = f.get_default()
            # COPY's text format takes a JSON column's value as its JSON text.
            defaults[f.column] = json.dumps(value) if f.get_internal_type() == "JSONField" else value
        else:
            defaults[f.column] = None if f.null else ("" if f.get_internal_type() in ("CharField", "TextField")
                                                        else None)
    return columns, defaults


_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)  # GB 32100-2015


class _Codes:
    """Unified social credit codes ``91<region><9 base-31 digits><check>``, as ``bulk_seed._uscc`` makes them
    but a dozen times faster: the weighted sum of the fixed prefix is worked out once per region."""

    def __init__(self) -> None:
        self._prefix: dict[str, tuple[str, int]] = {}

    def __call__(self, region: str, number: int) -> str:
        known = self._prefix.get(region)
        if known is None:
            body = "91" + region
            total = sum(_ALPHABET.index(c) * w for c, w in zip(body, _WEIGHTS[:8], strict=True))
            known = self._prefix[region] = (body, total)
        body, total = known
        digits = []
        for weight in (28, 30, 10, 24, 8, 13, 25, 29, 20):  # the last nine weights, from the rightmost digit
            number, rest = divmod(number, 31)
            digits.append(_ALPHABET[rest])
            total += rest * weight
        return body + "".join(reversed(digits)) + _ALPHABET[(31 - total % 31) % 31]


def copy_rows(cursor: Any, model: type[Model], columns: list[str], rows: Iterator[tuple]) -> int:
    table = model._meta.db_table
    count = 0
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)
            count += 1
    return count


def _set_aside(cursor: Any, tables: list[str]) -> list[str]:
    """Drop the tables' foreign keys and the indexes no constraint needs; returns the statements that put them
    back. Rebuilding an index once and checking a foreign key with one join is much cheaper than keeping them
    up to date row by row over millions of rows."""
    restore: list[str] = []
    for table in tables:
        cursor.execute("SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint"
                       " WHERE conrelid = %s::regclass AND contype = 'f'", [table])
        for name, definition in cursor.fetchall():
            cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
            restore.append(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema()"
                       " AND tablename = %s AND indexname NOT IN (SELECT conname FROM pg_constraint"
                       " WHERE conrelid = %s::regclass)", [table, table])
        for name, definition in cursor.fetchall():
            cursor.execute(f'DROP INDEX "{name}"')
            restore.insert(0, definition)
    return restore


def copy_seed(count: int, year: int, *, prefix: str = "SCALE", seed: int = 1,
              rebuild: bool = False) -> tuple[int, int]:
    """Create ``count`` enterprises named ``prefix-<n>`` with a declaration for ``year`` and financial rows for
    ``year``-2..``year``, in one transaction. Returns the first and last enterprise id.

    ``rebuild`` sets the three tables' secondary indexes and foreign keys aside during the COPY and puts them
    back at the end of the transaction (they hold an exclusive lock meanwhile): for seeding a database that
    nothing else uses, like the scale benchmark's."""
    if connection.vendor != "postgresql":
        raise CopySeedUnsupported("COPY seeding needs PostgreSQL")
    by_city: dict[str, list[str]] = {}
    for code, city in Region.objects.filter(level="county", province_code="330000").order_by("code").values_list(
        "code", "city_code"
    ):
        by_city.setdefault(city, []).append(code)
    # Round-robin over the cities, so that even a small seed spreads over the whole province.
    counties = [c for rank in range(max(map(len, by_city.values()), default=0))
                for c in (codes[rank] for codes in by_city.values() if rank < len(codes))]
    if not counties:
        raise CopySeedUnsupported("no county regions loaded (run manage.py migrate or load_regions)")
    rng = random.Random(seed)
    now = timezone.now()
    e_columns, e_defaults = column_template(Enterprise, now)
    d_columns, d_defaults = column_template(Declaration, now)
    f_columns, f_defaults = column_template(FinancialYear, now)
    e_table = Enterprise._meta.db_table
    with transaction.atomic(), connection.cursor() as django_cursor:
        cursor = django_cursor.cursor
        cursor.execute(f"LOCK TABLE {e_table} IN EXCLUSIVE MODE")
        cursor.execute(f"SELECT coalesce(max(id), 0) FROM {e_table}")
        first = cursor.fetchone()[0] + 1
        last = first + count - 1
        # A number above every earlier seeded one keeps the credit codes unique across runs.
        number0 = 31 ** 8 + first

        def enterprises() -> Iterator[tuple]:
            _uscc = _Codes()
            base = [e_defaults[c] for c in e_columns]
            at = {c: i for i, c in enumerate(e_columns)}
            for n in range(count):
                region = counties[n % len(counties)]
                row = list(base)
                row[at["uscc"]] = _uscc(region, number0 + n)
                row[at["name"]] = f"{prefix}-{first + n}"
                row[at["region_id"]] = region
                row[at["established_year"]] = 2000 + rng.randrange(20)
                row[at["needs_rescore"]] = False
                yield (first + n, *row)

        # Declarations and financial rows come from a pool of random variants, each enterprise taking one: the
        # figures still vary from enterprise to enterprise, and a row costs a tuple, not a dozen random draws.
        d_others = [c for c in d_columns if c != "enterprise_id"]
        f_others = [c for c in f_columns if c != "enterprise_id"]

        def declaration_variant() -> tuple:
            r = rng.randrange
            employees, ip = r(20, 900), r(0, 8)
            values = {**d_defaults, "year": year, "employees": employees, "rd_staff": r(0, employees // 4 + 1),
                      "ip_class_i": ip, "ip_class_i_self_developed": r(0, ip + 1),
                      "ip_class_i_applied": r(0, ip + 1), "ip_class_ii": r(0, 10),
                      "invention_patents_applied": r(0, 6), "niche_years": r(0, 15), "field_years": r(0, 20),
                      "main_products": r(1, 4), "national_share_pct": r(0, 30), "digital_level": r(1, 6),
                      "management_certified": r(10) < 6, "own_brand": r(10) < 5, "it_system": r(10) < 7,
                      "strategic_emerging": r(10) < 5, "six_basics": r(10) < 3, "local_feature_score": r(0, 16)}
            return tuple(values[c] for c in d_others)

        def financial_variant() -> tuple[tuple, ...]:
            r = rng.randrange
            revenue = r(800, 60000)
            rows = []
            for back in range(3):
                # Whole 万元 figures: integers are valid numerics and need no Decimal per value.
                value = revenue * (100 - 8 * back) // 100
                assets = value * 2
                values = {**f_defaults, "year": year - back, "operating_revenue": value,
                          "main_business_revenue": value * r(55, 100) // 100, "rd_expense": value * r(0, 90) // 1000,
                          "net_profit": value * r(-5, 20) // 100, "total_assets": assets,
                          "total_liabilities": assets * r(20, 90) // 100}
                rows.append(tuple(values[c] for c in f_others))
            return tuple(rows)

        pool = min(count, POOL)
        declaration_pool = [declaration_variant() for _ in range(pool)]
        financial_pool = [financial_variant() for _ in range(pool)]
        picks = [rng.randrange(pool) for _ in range(min(count, 65536))]

        def declarations() -> Iterator[tuple]:
            for n in range(count):
                yield (first + n, *declaration_pool[picks[n % len(picks)] - n % pool])

        def financials() -> Iterator[tuple]:
            for n in range(count):
                pk = first + n
                for row in financial_pool[picks[n % len(picks)] - n % pool]:
                    yield (pk, *row)

        restore = []
        if rebuild:
            cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
            restore = _set_aside(cursor, [e_table, Declaration._meta.db_table, FinancialYear._meta.db_table])
        copy_rows(cursor, Enterprise, ["id", *e_columns], enterprises())
        copy_rows(cursor, Declaration, ["enterprise_id", *d_others], declarations())
        copy_rows(cursor, FinancialYear, ["enterprise_id", *f_others], financials())
        for statement in restore:
            cursor.execute(statement)
        cursor.execute(f"SELECT setval(pg_get_serial_sequence('{e_table}', 'id'), %s)", [last])
    return first, last
