"""Two reviewers clicking "approve" at the same moment: the row lock lets exactly one through."""

from __future__ import annotations

import threading
import time

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from registry import applications, quotas
from registry.models import Application, ApplicationEvent
from tests.factories import reviewer

from .conftest import YEAR, make_enterprise


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_double_approval_approves_once(postgres_only, migration_data, monkeypatch):
    enterprise = make_enterprise("A")
    first = reviewer("city", "330100", username="city-1")
    second = reviewer("city", "330100", username="city-2")
    app = applications.create_application(enterprise=enterprise, tier="innovative_sme", year=YEAR,
                                      user=enterprise.owner)
    app = applications.submit_application(app, user=enterprise.owner)

    # Hold each decision inside its transaction for a moment, so without the lock both would read city_review.
    original = quotas.check_quota

    def slow_quota_check(application):
        time.sleep(0.3)
        return original(application)

    monkeypatch.setattr(applications, "check_quota", slow_quota_check)
    barrier = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def click(user):
        try:
            barrier.wait()
            applications.decide(Application.objects.get(pk=app.pk), user=user, action="approve", reason="ok")
            outcomes[user.username] = "approved"
        except (PermissionDenied, ValidationError) as exc:
            outcomes[user.username] = f"refused: {exc}"
        finally:
            connection.close()

    threads = [threading.Thread(target=click, args=(u,)) for u in (first, second)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)

    assert sorted(v.split(":")[0] for v in outcomes.values()) == ["approved", "refused"], outcomes
    app.refresh_from_db()
    assert app.status == "provincial_review"
    assert ApplicationEvent.objects.filter(application=app, action="approve").count() == 1
