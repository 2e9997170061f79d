"""The size class (大型/中型/小型/微型) of enterprises, derived from their latest figures by the engine's SME size
table (ruleset data, 工信部联企业〔2011〕300号), never entered. Kept on ``Enterprise.size_class`` so lists filter
on it; refreshed whenever the enterprises layer reports changed figures (``enterprises.signals.figures_changed``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from enterprises.models import Declaration, Enterprise, FinancialYear

from .engine import size_class


def refresh_size_classes(enterprise_ids: Iterable[int], **signal: Any) -> None:
    """Each enterprise's size class from the latest year with both a declaration (employees) and a financial row
    (revenue), or none: two reads and one update per size class, whatever the number."""
    ids = list(enterprise_ids)
    if not ids:
        return
    revenue = {(e, y): r for e, y, r in FinancialYear.objects.filter(enterprise_id__in=ids).values_list(
        "enterprise_id", "year", "operating_revenue")}
    sectors = dict(Enterprise.objects.filter(pk__in=ids).values_list("pk", "sector"))
    sizes: dict[int, str] = {}
    for enterprise_id, year, employees in Declaration.objects.filter(enterprise_id__in=ids).order_by(
        "enterprise_id", "-year"
    ).values_list("enterprise_id", "year", "employees"):
        if enterprise_id not in sizes and (enterprise_id, year) in revenue:
            sizes[enterprise_id] = size_class(sectors[enterprise_id], employees, revenue[(enterprise_id, year)])
    by_size: dict[str, list[int]] = {}
    for pk in ids:
        by_size.setdefault(sizes.get(pk, ""), []).append(pk)
    for size, pks in by_size.items():
        for start in range(0, len(pks), 5000):
            Enterprise.objects.filter(pk__in=pks[start:start + 5000]).update(size_class=size)
