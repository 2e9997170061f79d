"""The dashboard's overdue block: how many applications are past their stage's deadline in each area shown."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

from django.db.models import Count, QuerySet

from .deadlines import overdue_q, with_stage_since


def overdue_by_area(applications: QuerySet, scope: Any, area_key: str, today: datetime.date,
                    name: Callable[[Any], str]) -> list[dict]:
    """One row per area of ``scope`` (its cities, or a city's counties) with its overdue count (one query)."""
    counts = dict(with_stage_since(applications).filter(overdue_q(today)).values_list(area_key)
                  .annotate(n=Count("id")).values_list(area_key, "n"))
    return [{"code": area.code, "name": name(area), "overdue": counts.get(area.code, 0)}
            for area in scope.areas]
