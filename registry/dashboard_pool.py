"""The dashboard's cultivation figures: each area against its own targets, the pool as next year's pipeline, and
a projection of where the plan ends.

Projection: last year's conversion rate of a tier is the share of the enterprises in its pool on 1 January of
last year that left it certified during that year. At that rate, each remaining year of the plan certifies that
share of today's pool (never more than the pool): the plan ends at the achieved count plus
``min(pool, pool × rate × years left)``. A rough guide, shown as such; every figure is a grouped query.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from typing import Any

from django.db.models import Count

from core.roles import region_q, visible_enterprises
from enterprises.models import Tier

from .models import PoolEntry, PoolExitReason


def _pool(user: Any, scope: Any) -> Any:
    queryset = visible_enterprises(PoolEntry.objects.all(), user, prefix="enterprise")
    return queryset.filter(region_q(scope.code, "enterprise__region"))


def conversion_rates(user: Any, scope: Any, today: datetime.date) -> dict[str, float]:
    """Tier → last year's conversion rate of the pool (see the module docstring)."""
    start, end = datetime.date(today.year - 1, 1, 1), datetime.date(today.year - 1, 12, 31)
    base = _pool(user, scope).on(start)
    pooled = dict(base.values_list("tier").annotate(n=Count("id")).values_list("tier", "n"))
    converted = dict(base.filter(exit_reason=PoolExitReason.CERTIFIED, exited_on__lte=end)
                     .values_list("tier").annotate(n=Count("id")).values_list("tier", "n"))
    return {tier: converted.get(tier, 0) / n for tier, n in pooled.items() if n}


def pool_figures(user: Any, scope: Any, plan: Any, today: datetime.date, tier_rows: list[dict],
                 figures: Any, area_names: dict[str, str]) -> dict[str, Any]:
    """The areas against their own targets (with their pools), the pool per tier and the projection."""
    tiers = list(Tier)
    area_key = "enterprise__region__city_code" if scope.breakdown == "city" else "enterprise__region_id"
    current = _pool(user, scope).current()
    by_area: dict[str, dict[str, int]] = defaultdict(dict)
    for code, tier, n in current.values_list(area_key, "tier").annotate(n=Count("id")).values_list(
            area_key, "tier", "n"):
        by_area[code or ""][tier] = n
    pool_total = {t.value: sum(by_area[a].get(t.value, 0) for a in by_area) for t in tiers}

    targets_by_area: dict[str, dict[str, Any]] = defaultdict(dict)
    if plan is not None and scope.areas:
        for row in figures.progress(plan, scope.areas, today):
            targets_by_area[row.region.code][row.tier] = row
    area_targets = []
    for area in scope.areas:
        cells = []
        for t in tiers:
            row = targets_by_area[area.code].get(t.value)
            cells.append({"target": row.target if row else None, "achieved": row.achieved if row else None,
                          "percent": row.percent if row else None, "semantics": row.semantics if row else "",
                          "pool": by_area.get(area.code, {}).get(t.value, 0)})
        area_targets.append({"code": area.code, "name": area_names.get(area.code, area.name), "cells": cells})

    rates = conversion_rates(user, scope, today)
    years_left = max(0, plan.last_year - today.year + 1) if plan is not None else 0
    projection = []
    for row in tier_rows:
        pooled = pool_total.get(row["tier"], 0)
        rate = rates.get(row["tier"], 0.0)
        gain = min(pooled, round(pooled * rate * years_left))
        projection.append({"tier": row["tier"], "label": row["label"], "pool": pooled,
                           "rate": round(100 * rate, 1), "ends_at": row["count"] + gain, "target": row["target"]})
    return {"area_targets": area_targets, "pool_total": pool_total, "projection": projection,
            "plan": plan, "years_left": years_left}
