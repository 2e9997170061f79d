"""Page-number pagination whose total stays cheap on very large lists.

Counting 100,000 rows costs tens of milliseconds on every request for the first page. A count of at least
``LARGE_COUNT`` rows is cached for ``COUNT_SECONDS`` (keyed by the exact query, so each user's scope and filters
have their own), which makes it at most that stale; smaller counts are always exact.
"""

from __future__ import annotations

import hashlib
from functools import cached_property

from django.core.cache import cache
from django.core.paginator import Paginator
from rest_framework.pagination import PageNumberPagination

LARGE_COUNT = 10_000
COUNT_SECONDS = 30


class CachedCountPaginator(Paginator):
    @cached_property
    def count(self) -> int:
        query = getattr(self.object_list, "query", None)
        if query is None:
            return super().count
        try:
            sql, params = query.sql_with_params()
        except Exception:  # noqa: BLE001 - an empty result set (EmptyResultSet) or an odd query: count it
            return super().count
        key = "paginator-count:" + hashlib.sha256(f"{sql}|{params!r}".encode()).hexdigest()
        cached = cache.get(key)
        if cached is not None:
            return cached
        total = super().count
        if total >= LARGE_COUNT:
            cache.set(key, total, COUNT_SECONDS)
        return total


class RegistryPagination(PageNumberPagination):
    django_paginator_class = CachedCountPaginator
