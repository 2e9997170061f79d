"""Enterprises with their figures, exported in the import format (so an exported file imports back)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from django.db.models import QuerySet

from .importer import ENTERPRISE_COLUMNS, FINANCIAL_COLUMNS, _declaration_fields, export_headers
from .models import Declaration, Enterprise, FinancialYear

CHUNK = 2000


def enterprise_figure_rows(queryset: QuerySet, language: str | None = None) -> tuple[list[str], Iterable[list]]:
    """One row per enterprise and year with figures (an enterprise without figures gets one row), in chunks."""
    headers = export_headers(language)
    decl_names = [f.attname for f in _declaration_fields()]
    keys = [*ENTERPRISE_COLUMNS, "year", *FINANCIAL_COLUMNS, *decl_names]

    def rows() -> Iterable[list]:
        ids = list(queryset.order_by("pk").values_list("pk", flat=True))
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start:start + CHUNK]
            enterprises = Enterprise.objects.filter(pk__in=chunk).order_by("pk")
            fins: dict[int, dict[int, FinancialYear]] = defaultdict(dict)
            for f in FinancialYear.objects.filter(enterprise_id__in=chunk):
                fins[f.enterprise_id][f.year] = f
            decls: dict[int, dict[int, Declaration]] = defaultdict(dict)
            for d in Declaration.objects.filter(enterprise_id__in=chunk):
                decls[d.enterprise_id][d.year] = d
            for e in enterprises:
                base = [e.uscc, e.name, e.region_id, e.sector, e.established_year, e.established_on, e.address,
                        e.contact_name, e.contact_phone, e.contact_email]
                years = sorted(set(fins[e.pk]) | set(decls[e.pk]))
                if not years:
                    yield [*base, None, *([None] * (len(FINANCIAL_COLUMNS) + len(decl_names)))]
                for year in years:
                    f = fins[e.pk].get(year)
                    d = decls[e.pk].get(year)
                    yield [
                        *base, year,
                        *[getattr(f, k) if f else None for k in FINANCIAL_COLUMNS],
                        *[getattr(d, k) if d else None for k in decl_names],
                    ]

    return [headers[k] for k in keys], rows()
