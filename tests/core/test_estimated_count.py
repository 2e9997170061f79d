"""Big admin lists count from PostgreSQL's estimate above a threshold and exactly below it (and on SQLite)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.urls import reverse

from core.pagination import EstimatedCountPaginator
from enterprises.models import Enterprise
from tests.factories import EnterpriseFactory, UserFactory

pytestmark = pytest.mark.django_db


def _analysed(n: int) -> None:
    for _ in range(n):
        EnterpriseFactory()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE enterprises_enterprise")


def _changelist(client: Any, query: str = "") -> Any:
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    response = client.get(reverse("admin:enterprises_enterprise_changelist") + query)
    assert response.status_code == 200
    return response.context["cl"].paginator


def test_below_the_threshold_the_count_is_exact(client: Any, settings: Any) -> None:
    _analysed(5)
    settings.ADMIN_EXACT_COUNT_BELOW = 1000
    paginator = _changelist(client)
    assert isinstance(paginator, EstimatedCountPaginator)
    assert paginator.count == 5 and paginator.estimated is False


def test_above_the_threshold_postgresql_estimates(client: Any, settings: Any, postgres_only: None) -> None:
    _analysed(6)
    settings.ADMIN_EXACT_COUNT_BELOW = 2
    paginator = _changelist(client)
    assert paginator.estimated is True and paginator.count > 2  # the table statistics, not COUNT(*)
    searched = _changelist(client, "?q=" + Enterprise.objects.first().name[:3])
    assert searched.count >= 0  # a search is estimated by EXPLAIN or counted when small


def test_sqlite_always_counts(client: Any, settings: Any) -> None:
    if connection.vendor == "postgresql":
        pytest.skip("the estimate is PostgreSQL's")
    _analysed(4)
    settings.ADMIN_EXACT_COUNT_BELOW = 1
    paginator = _changelist(client)
    assert paginator.count == 4 and paginator.estimated is False
