"""Faults with nothing lost: the broker down while an enterprise submits, the database refusing a write in the
middle of a decision, and a submission sent twice (double click, retry, two requests at once).

A worker killed in the middle of a re-score job is covered by the re-scoring tests (a real worker process is
SIGKILLed mid-run and restarted).
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
from django.core import mail
from django.db import DatabaseError, connection, connections
from rest_framework.test import APIClient

from core.audit import AuditEntry
from registry import applications, followup
from registry.models import Application, ApplicationEvent, Notification
from tests.conftest import using_postgres
from tests.factories import api_token
from tests.registry.conftest import YEAR, make_enterprise


def _closed_port() -> int:
    """A loopback port nothing listens on (bound then released), so connecting fails at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def celery_broker(url: str) -> Iterator[Any]:
    """Point the Celery app at ``url`` with real (not inline) publishing, as production runs it."""
    from config.celery import app

    saved = {key: app.conf[key] for key in ("broker_url", "task_always_eager", "result_backend")}

    def reset_connections() -> None:
        app._pool = None
        app.amqp._producer_pool = None

    app.conf.update(broker_url=url, task_always_eager=False, result_backend=None)
    reset_connections()
    try:
        yield app
    finally:
        app.conf.update(saved)
        reset_connections()


def _client_for(user: Any) -> APIClient:
    client = APIClient()
    token = api_token(user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def _draft(enterprise: Any) -> Application:
    return applications.create_application(enterprise=enterprise, tier="innovative_sme", year=YEAR,
                                       user=enterprise.owner)


def _wait_for(condition: Any, seconds: float = 15.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


# --- (1) the broker is down while an enterprise submits -------------------------------------------------------


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_submission_with_the_broker_down_is_kept_and_followed_up_once_it_is_back(migration_data, redis_url):
    from celery.contrib.testing.worker import start_worker

    enterprise = make_enterprise("A", owner="owner-broker-down")
    app = _draft(enterprise)
    client = _client_for(enterprise.owner)

    # Redis down: a closed port, a real connection failure.
    with celery_broker(f"redis://127.0.0.1:{_closed_port()}/0"):
        started = time.monotonic()
        response = client.post(f"/api/applications/{app.pk}/submit/")
        elapsed = time.monotonic() - started
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "city_review"
    app.refresh_from_db()
    assert app.status == "city_review" and app.submitted_at is not None  # the submission is saved
    assert app.followup_done is False  # ... and its follow-up is owed
    assert Notification.objects.filter(enterprise=enterprise).count() == 0 and mail.outbox == []
    assert elapsed < 5, f"the request waited {elapsed:.1f} s on the dead broker"

    # Redis is back: beat runs the sweep, a worker runs the follow-up.
    with celery_broker(redis_url) as celery_app:
        celery_app.control.purge()
        assert followup.sweep_followups() == 0, "a follow-up younger than a minute is left to its own task"
        assert followup.sweep_followups(older_than_seconds=0) == 1
        with start_worker(celery_app, pool="solo", perform_ping_check=False, shutdown_timeout=30):
            assert _wait_for(lambda: Application.objects.get(pk=app.pk).followup_done), "follow-up never ran"
        # A second sweep finds nothing owed; running the follow-up again sends nothing more.
        assert followup.sweep_followups(older_than_seconds=0) == 0
    followup.run_followup(app.pk)
    notes = Notification.objects.filter(enterprise=enterprise)
    assert notes.count() == 1 and notes.get().user == enterprise.owner
    assert len(mail.outbox) == 1


@pytest.mark.django_db
def test_the_sweep_requeues_only_follow_ups_older_than_a_minute(django_capture_on_commit_callbacks):
    enterprise = make_enterprise("A", owner="owner-sweep")
    app = applications.submit_application(_draft(enterprise), user=enterprise.owner)  # on-commit never ran
    assert Application.objects.get(pk=app.pk).followup_done is False
    assert followup.sweep_followups() == 0
    Application.objects.filter(pk=app.pk).update(updated_at=app.updated_at.replace(year=app.updated_at.year - 1))
    # Without a broker (REDIS_URL unset) tasks run inline: the sweep finishes the follow-up itself.
    assert followup.sweep_followups() == 1
    assert Application.objects.get(pk=app.pk).followup_done is True
    assert Notification.objects.filter(enterprise=enterprise).count() == 1
    assert followup.sweep_followups() == 0


# --- (3) the database refuses a write in the middle of a decision ------------------------------------------------

_TRIGGERS = {
    "postgresql": [
        """CREATE FUNCTION refuse_event() RETURNS trigger AS $$
           BEGIN IF NEW.reason = 'refused-by-database' THEN RAISE EXCEPTION 'write refused'; END IF;
           RETURN NEW; END $$ LANGUAGE plpgsql""",
        """CREATE TRIGGER refuse_event BEFORE INSERT ON registry_applicationevent
           FOR EACH ROW EXECUTE FUNCTION refuse_event()""",
    ],
    "sqlite": [
        """CREATE TRIGGER refuse_event BEFORE INSERT ON registry_applicationevent
           WHEN NEW.reason = 'refused-by-database' BEGIN SELECT RAISE(ABORT, 'write refused'); END""",
    ],
}


@pytest.mark.django_db
def test_a_write_refused_mid_decision_leaves_no_half_transition(django_capture_on_commit_callbacks):
    """The status row is updated first; the history insert after it fails: everything must roll back."""
    from tests.factories import reviewer

    enterprise = make_enterprise("A", owner="owner-refused")
    app = applications.submit_application(_draft(enterprise), user=enterprise.owner)
    city = reviewer("city", "330100", username="city-refused")
    before = (Application.objects.get(pk=app.pk).status, ApplicationEvent.objects.count(),
              AuditEntry.objects.count())
    with connection.cursor() as cursor:
        for statement in _TRIGGERS[connection.vendor]:
            cursor.execute(statement)

    with django_capture_on_commit_callbacks(execute=True) as callbacks, pytest.raises(DatabaseError):
        applications.decide(app, user=city, action="return", reason="refused-by-database")

    app.refresh_from_db()
    after = (app.status, ApplicationEvent.objects.count(), AuditEntry.objects.count())
    assert after == before == ("city_review", before[1], before[2])
    assert callbacks == [], "no follow-up is queued for a transition that did not happen"
    # The same decision with an acceptable write goes through whole.
    applications.decide(app, user=city, action="return", reason="audit report missing")
    app.refresh_from_db()
    assert app.status == "returned" and app.events.filter(action="return").count() == 1


# --- (4) a submission sent twice -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_double_click_and_retry_give_one_application_and_one_submission(api_client):
    enterprise = make_enterprise("A", owner="owner-double")
    client = _client_for(enterprise.owner)
    body = {"enterprise": enterprise.pk, "tier": "innovative_sme", "year": YEAR}
    first = client.post("/api/applications/", body, format="json")
    second = client.post("/api/applications/", body, format="json")
    assert first.status_code == 201 and second.status_code == 400
    assert "tier" in second.json()["errors"]
    app_id = first.json()["id"]
    submits = [client.post(f"/api/applications/{app_id}/submit/") for _ in range(3)]
    assert [r.status_code for r in submits][0] == 200
    assert all(r.status_code in (400, 403, 409) for r in submits[1:]), [r.status_code for r in submits]
    assert Application.objects.filter(enterprise=enterprise).count() == 1
    assert ApplicationEvent.objects.filter(application_id=app_id, action="submit").count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_submissions_give_one_application_and_one_submission(migration_data, postgres_only):
    enterprise = make_enterprise("A", owner="owner-race")
    token = api_token(enterprise.owner)
    barrier = threading.Barrier(2)
    results: dict[str, list[int]] = {"create": [], "submit": []}

    def request(kind: str, path: str, body: dict | None) -> None:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
        try:
            barrier.wait(timeout=10)
            results[kind].append(client.post(path, body, format="json").status_code)
        finally:
            connections.close_all()

    def race(kind: str, path: str, body: dict | None = None) -> list[int]:
        threads = [threading.Thread(target=request, args=(kind, path, body)) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        barrier.reset()
        return sorted(results[kind])

    assert race("create", "/api/applications/", {"enterprise": enterprise.pk, "tier": "innovative_sme",
                                                 "year": YEAR}) == [201, 400]
    app = Application.objects.get(enterprise=enterprise)
    codes = race("submit", f"/api/applications/{app.pk}/submit/")
    assert codes[0] == 200 and codes[1] in (400, 403, 409), codes
    assert ApplicationEvent.objects.filter(application=app, action="submit").count() == 1
    assert using_postgres()
