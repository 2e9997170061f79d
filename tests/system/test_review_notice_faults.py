"""Reviewers' notifications survive a broker outage: none while Redis is down (a closed port, a real connection
failure), all of them, once each, after it is back and the follow-up sweep has run on a real worker."""

from __future__ import annotations

import time

import pytest
from django.core import mail

from registry import followup
from registry.models import Application, Notification
from tests.factories import reviewer
from tests.registry.conftest import make_enterprise
from tests.system.test_faults import _client_for, _closed_port, _draft, _wait_for, celery_broker


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_reviewers_are_told_once_each_after_the_broker_comes_back(migration_data, redis_url):
    city = reviewer("city", "330100", username="city-hangzhou")
    second_city = reviewer("city", "330100", username="city-hangzhou-2")
    reviewer("city", "330200", username="city-ningbo")
    reviewer("county", "330106", username="county-xihu")  # innovative SME skips the county
    reviewer("province", "330000", username="province-zj")
    enterprise = make_enterprise("A", owner="owner-reviewer-notice")
    app = _draft(enterprise)

    with celery_broker(f"redis://127.0.0.1:{_closed_port()}/0"):
        started = time.monotonic()
        response = _client_for(enterprise.owner).post(f"/api/applications/{app.pk}/submit/")
        elapsed = time.monotonic() - started
    assert response.status_code == 200, response.content
    assert Application.objects.get(pk=app.pk).followup_done is False
    assert not Notification.objects.filter(kind="review_waiting").exists() and mail.outbox == []
    assert elapsed < 5, f"the request waited {elapsed:.1f} s on the dead broker"

    _sweep_once_the_broker_is_back(app, redis_url)

    notes = Notification.objects.filter(kind="review_waiting")
    assert sorted(n.user.username for n in notes) == ["city-hangzhou", "city-hangzhou-2"]
    assert sorted(m.to[0] for m in mail.outbox if m.to != [enterprise.owner.email]) == sorted(
        [city.email, second_city.email])


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_drawn_experts_are_told_once_each_after_the_broker_comes_back(migration_data, redis_url):
    from registry import experts
    from tests.factories import expert
    from tests.registry.test_experts import in_expert_review

    for i in range(4):
        expert(f"pool-{i}", home_region="330203")
    expert("local", home_region="330106")  # the enterprise's county: never drawn
    province = reviewer("province", "330000", username="province-zj")
    app = in_expert_review(reviewer("county", "330106", username="county-xihu"),
                           reviewer("city", "330100", username="city-hangzhou"), province)
    mail.outbox.clear()

    with celery_broker(f"redis://127.0.0.1:{_closed_port()}/0"):
        draw = experts.draw_experts(app, user=province, seed=11)
    drawn = sorted(seat.expert.user.username for seat in draw.assignments.select_related("expert__user"))
    assert len(drawn) == 3 and "local" not in drawn
    assert not Notification.objects.filter(kind="expert_drawn").exists()
    assert not [m for m in mail.outbox if "/experts/assignments/" in m.body]
    assert Application.objects.get(pk=app.pk).followup_done is False

    _sweep_once_the_broker_is_back(app, redis_url)

    notes = Notification.objects.filter(kind="expert_drawn")
    assert sorted(n.user.username for n in notes) == drawn
    assert len([m for m in mail.outbox if "/experts/assignments/" in m.body]) == 3


def _sweep_once_the_broker_is_back(app: Application, redis_url: str) -> None:
    """The broker is back: the sweep queues the owed follow-up once, a real worker runs it, and a repeat of it
    tells nobody twice."""
    from celery.contrib.testing.worker import start_worker

    with celery_broker(redis_url) as celery_app:
        celery_app.control.purge()
        assert followup.sweep_followups(older_than_seconds=0) == 1
        with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
            assert _wait_for(lambda: Application.objects.get(pk=app.pk).followup_done), "follow-up never ran"
        assert followup.sweep_followups(older_than_seconds=0) == 0
    followup.run_followup(app.pk)
