"""Counting a big admin list without counting it: PostgreSQL's own estimate above a threshold, exact below.

``COUNT(*)`` over a million rows takes seconds; the admin only needs it for the page links. On PostgreSQL the
paginator asks the planner: an unfiltered list's table statistics (``pg_class.reltuples``), a filtered or
searched list's ``EXPLAIN`` row estimate. When the estimate is above ``ADMIN_EXACT_COUNT_BELOW`` (a setting)
it is used as the count; below it, or on other databases, the exact count is run as before.
"""

from __future__ import annotations

import json
from typing import Any

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.core.paginator import Paginator
from django.db import connections
from django.utils.functional import cached_property

DEFAULT_THRESHOLD = 20000


def threshold() -> int:
    return int(getattr(settings, "ADMIN_EXACT_COUNT_BELOW", DEFAULT_THRESHOLD))


def estimated_count(queryset: Any) -> int | None:
    """The planner's estimate of how many rows ``queryset`` has (PostgreSQL), else None."""
    connection = connections[queryset.db]
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        if not queryset.query.where and not queryset.query.distinct:
            cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass",
                           [queryset.model._meta.db_table])
            row = cursor.fetchone()
            if row and row[0] >= 0:
                return int(row[0])
        try:
            sql, params = queryset.order_by().values("pk").query.sql_with_params()
        except EmptyResultSet:  # a filter nothing can match (a year out of range): count it exactly, as 0
            return None
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]
        plan = json.loads(plan) if isinstance(plan, str) else plan
        return int(plan[0]["Plan"]["Plan Rows"])


class EstimatedCountPaginator(Paginator):
    """``Paginator`` whose count is an estimate above the threshold (``estimated`` says which it is)."""

    estimated = False

    @cached_property
    def count(self) -> int:
        estimate = None
        if hasattr(self.object_list, "query"):
            estimate = estimated_count(self.object_list)
        if estimate is not None and estimate > threshold():
            self.estimated = True
            return estimate
        return super().count
