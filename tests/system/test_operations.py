"""Operations can see the system: the health endpoints, the protected Prometheus metrics with the registry's own
gauges, and log lines that carry the request id, the user and the enterprise."""

from __future__ import annotations

import json
import logging
import socket
from typing import Any

import pytest
from django.test import Client
from pythonjsonlogger.json import JsonFormatter

from enterprises.log_context import LogContextFilter
from registry.models import Application
from tests.factories import EnterpriseFactory, MembershipFactory, UserFactory, api_token
from tests.system.test_faults import celery_broker

pytestmark = pytest.mark.django_db

CLOSED = "redis://127.0.0.1:18197/1"


def _health(path: str = "/health/") -> tuple[int, dict[str, Any]]:
    response = Client().get(path, {"format": "json"})
    return response.status_code, response.json()


def _health_in_a_thread() -> tuple[int, dict[str, Any]]:
    """``_health`` from a thread of its own, as a web worker serves it: an earlier browser test leaves an event
    loop running in the test process's main thread, where the health checks' async-to-sync bridge refuses."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(1) as pool:
        return pool.submit(_health).result()


def _closed_port() -> None:
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", 18197)) != 0


def test_health_without_redis_checks_database_cache_and_disk() -> None:
    status, body = _health()
    assert status == 200, body
    names = " ".join(body)
    assert "Database" in names and "Cache" in names and "Disk" in names


def test_health_names_the_broker_when_redis_is_down_and_liveness_still_passes(settings: Any) -> None:
    _closed_port()
    settings.REDIS_URL = CLOSED
    settings.CACHES = {"default": {"BACKEND": "config.cache.ResilientRedisCache", "LOCATION": CLOSED}}
    status, body = _health()
    assert status == 500
    failing = [name for name, result in body.items() if result != "OK" and "OK" not in str(result)]
    assert any("Redis" in name for name in failing), body
    assert any("Ping" in name for name in failing), body
    status, body = _health("/health/live/")
    assert status == 200, body


@pytest.mark.redis
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_health_passes_with_redis_and_a_worker_answering_and_fails_without_the_worker(
        settings: Any, redis_url: str, migration_data: Any) -> None:
    from celery.contrib.testing.worker import start_worker

    settings.REDIS_URL = redis_url
    with celery_broker(redis_url) as app:
        status, body = _health_in_a_thread()
        assert status == 500 and any("Ping" in name and "OK" not in str(result) for name, result in body.items())
        with start_worker(app, perform_ping_check=False, pool="solo", loglevel="WARNING", shutdown_timeout=10):
            status, body = _health_in_a_thread()
    assert status == 200, body
    assert any("Redis" in name for name in body) and any("Ping" in name for name in body)


def _metrics(client: Client, **headers: str) -> Any:
    return client.get("/metrics", **headers)


def test_metrics_are_protected_by_the_token_or_a_superuser(settings: Any) -> None:
    settings.METRICS_TOKEN = "scrape-" + "x" * 40
    assert _metrics(Client()).status_code == 404
    assert _metrics(Client(), HTTP_AUTHORIZATION="Bearer wrong").status_code == 404
    staff = Client()
    staff.force_login(UserFactory(username="staff", is_staff=True))
    assert _metrics(staff).status_code == 404
    assert _metrics(Client(), HTTP_AUTHORIZATION=f"Bearer {settings.METRICS_TOKEN}").status_code == 200
    root = Client()
    root.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    assert _metrics(root).status_code == 200


def test_without_a_token_setting_only_a_superuser_reads_the_metrics(settings: Any) -> None:
    settings.METRICS_TOKEN = ""
    assert _metrics(Client(), HTTP_AUTHORIZATION="Bearer ").status_code == 404


def test_metrics_count_applications_per_stage_chunks_and_pending_notifications(settings: Any) -> None:
    from evaluation.models import RescoreChunk, RescoreJob
    from registry.models import Notification

    settings.METRICS_TOKEN = "scrape-" + "y" * 40
    enterprise = EnterpriseFactory()
    for status in ("draft", "draft", "city_review"):
        Application.objects.create(enterprise=EnterpriseFactory(), tier="innovative_sme", year=2025, status=status)
    from evaluation.services import get_ruleset_version

    job = RescoreJob.objects.create(total=3, scope="all", year=2025, ruleset=get_ruleset_version(None))
    RescoreChunk.objects.create(job=job, number=0, enterprise_ids=[1], size=1, done=True, failed=2)
    RescoreChunk.objects.create(job=job, number=1, enterprise_ids=[2], size=1, attempts=9)
    RescoreChunk.objects.create(job=job, number=2, enterprise_ids=[3], size=1)
    Notification.objects.create(key="k1", enterprise=enterprise, kind="x", subject="s")
    text = _metrics(Client(), HTTP_AUTHORIZATION=f"Bearer {settings.METRICS_TOKEN}").content.decode()
    assert 'tier_registry_applications{status="draft"} 2.0' in text
    assert 'tier_registry_applications{status="city_review"} 1.0' in text
    assert 'tier_registry_rescore_chunks{state="done"} 1.0' in text
    assert 'tier_registry_rescore_chunks{state="failed"} 1.0' in text
    assert 'tier_registry_rescore_chunks{state="pending"} 1.0' in text
    assert "tier_registry_rescore_enterprise_errors 2.0" in text
    assert "tier_registry_notifications_pending 1.0" in text
    assert "django_http_requests_total_by_method_total" in text  # django-prometheus' own


@pytest.mark.redis
def test_metrics_show_the_queue_length(settings: Any, redis_url: str) -> None:
    import redis

    settings.REDIS_URL = redis_url
    settings.METRICS_TOKEN = "scrape-" + "z" * 40
    broker = redis.Redis.from_url(redis_url)
    broker.delete("celery")
    broker.rpush("celery", "a", "b", "c")
    try:
        text = _metrics(Client(), HTTP_AUTHORIZATION=f"Bearer {settings.METRICS_TOKEN}").content.decode()
    finally:
        broker.delete("celery")
    assert "tier_registry_queue_length 3.0" in text


class _Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []
        self.addFilter(LogContextFilter())
        self.setFormatter(JsonFormatter("%(message)s %(request_id)s %(user)s %(enterprise)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


def test_a_log_line_carries_the_request_id_the_user_and_the_enterprise() -> None:
    member = MembershipFactory().user
    enterprise = member.memberships.get().enterprise
    capture = _Capture()
    logger = logging.getLogger("django.request")
    logger.addHandler(capture)
    try:
        client = Client(HTTP_AUTHORIZATION=f"Token {api_token(member)}", HTTP_X_REQUEST_ID="incident-42")
        response = client.put(f"/api/enterprises/{enterprise.pk}/financials/1800/", {},
                              content_type="application/json")
    finally:
        logger.removeHandler(capture)
    assert response.status_code == 400 and response["X-Request-ID"] == "incident-42"
    record = json.loads(capture.lines[-1])
    assert record["request_id"] == "incident-42"
    assert record["user"] == member.username
    assert str(record["enterprise"]) == str(enterprise.pk)


def test_a_request_without_an_id_gets_one() -> None:
    first, second = Client().get("/login/"), Client().get("/login/")
    assert len(first["X-Request-ID"]) == 32 and first["X-Request-ID"] != second["X-Request-ID"]
