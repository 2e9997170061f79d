"""What operations see: health checks for load balancers, Prometheus metrics, and the request id on each log line.

- ``/health/`` checks the database, the cache, disk space under ``MEDIA_ROOT`` and, when ``REDIS_URL`` is set, the
  broker (Redis answers a ping) and a Celery worker (answers a ping on the queue): 200 when all pass, 500 naming
  what failed (``?format=json`` for machines). ``/health/live/`` checks only what a web process needs to serve
  (database and disk), so a load balancer does not drain every web server while Redis is down (which the site
  survives).
- ``/metrics`` is django-prometheus' exposition plus the registry's own gauges, read from the database at each
  scrape (aggregate counts only). It answers to ``Authorization: Bearer <METRICS_TOKEN>``, or to a signed-in
  superuser; to anyone else 404.
- ``RequestIdMiddleware`` takes ``X-Request-ID`` from the proxy (or makes one), echoes it on the response and binds
  it with the user to the log context (``enterprises.log_context``).
"""

from __future__ import annotations

import datetime
import hmac
import logging
import re
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import redis
from django.conf import settings
from django.db.models import Count, Q, Sum
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import path
from django_prometheus.exports import ExportToDjangoView
from health_check.checks import Cache, Database
from health_check.contrib.celery import Ping
from health_check.contrib.psutil import Disk
from health_check.contrib.redis import Redis
from health_check.views import HealthCheckView
from prometheus_client.core import REGISTRY, GaugeMetricFamily
from redis.asyncio import Redis as AsyncRedis

from config.celery import app as celery_app
from enterprises import log_context
from evaluation.models import RescoreChunk
from evaluation.tasks import MAX_AUTOMATIC_ATTEMPTS
from registry.models import Application, Notification

logger = logging.getLogger(__name__)
REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")


# --- health -------------------------------------------------------------------------------------------------------

def _exists(folder: Any) -> bool:
    return Path(folder).is_dir()


def health_checks(full: bool = True) -> list[tuple[type, dict[str, Any]]]:
    disk = str(settings.MEDIA_ROOT) if _exists(settings.MEDIA_ROOT) else str(settings.BASE_DIR)
    checks: list[tuple[type, dict[str, Any]]] = [
        (Database, {}), (Disk, {"path": disk, "max_disk_usage_percent": settings.HEALTH_DISK_MAX_PERCENT}),
    ]
    if not full:
        return checks
    checks.append((Cache, {}))
    if settings.REDIS_URL:
        url = settings.REDIS_URL
        checks.append((Redis, {"client_factory": lambda: AsyncRedis.from_url(url, socket_connect_timeout=1,
                                                                             socket_timeout=1)}))
        checks.append((Ping, {"app": celery_app, "timeout": datetime.timedelta(seconds=2)}))
    return checks


async def health_view(request: HttpRequest) -> HttpResponse:
    # The checks are built per request: they follow the settings (REDIS_URL) in force. The view is async (the
    # checks run concurrently); Django runs it under WSGI too.
    return await HealthCheckView.as_view(checks=health_checks(full=True))(request)


async def live_view(request: HttpRequest) -> HttpResponse:
    return await HealthCheckView.as_view(checks=health_checks(full=False))(request)


# --- metrics -------------------------------------------------------------------------------------------------------

class RegistryCollector:
    """The registry's own gauges, counted when Prometheus scrapes (a handful of aggregate queries)."""

    def describe(self) -> Iterator[GaugeMetricFamily]:
        """The metric names, without touching the database (called when the collector is registered)."""
        yield GaugeMetricFamily("tier_registry_applications", "", labels=["status"])
        yield GaugeMetricFamily("tier_registry_rescore_chunks", "", labels=["state"])
        yield GaugeMetricFamily("tier_registry_rescore_enterprise_errors", "")
        yield GaugeMetricFamily("tier_registry_notifications_pending", "")
        yield GaugeMetricFamily("tier_registry_queue_length", "")

    def collect(self) -> Iterator[GaugeMetricFamily]:
        try:
            stages = GaugeMetricFamily("tier_registry_applications", "Applications per stage (status).",
                                       labels=["status"])
            for row in Application.objects.order_by().values("status").annotate(n=Count("id")):
                stages.add_metric([row["status"]], row["n"])
            yield stages
            chunks = RescoreChunk.objects.aggregate(
                n_done=Count("id", filter=Q(done=True)),
                n_failed=Count("id", filter=Q(done=False, attempts__gte=MAX_AUTOMATIC_ATTEMPTS)),
                n_pending=Count("id", filter=Q(done=False, attempts__lt=MAX_AUTOMATIC_ATTEMPTS)),
                enterprise_errors=Sum("failed"),
            )
            chunk_family = GaugeMetricFamily(
                "tier_registry_rescore_chunks",
                "Re-score chunks: done, pending, or failed (gave up after the automatic attempts).",
                labels=["state"])
            for state in ("done", "pending", "failed"):
                chunk_family.add_metric([state], chunks[f"n_{state}"])
            yield chunk_family
            yield GaugeMetricFamily("tier_registry_rescore_enterprise_errors",
                                    "Enterprises a re-score chunk could not score, over all chunks.",
                                    value=chunks["enterprise_errors"] or 0)
            yield GaugeMetricFamily("tier_registry_notifications_pending", "Notifications not yet e-mailed.",
                                    value=Notification.objects.filter(sent_at__isnull=True).count())
        except Exception:  # noqa: BLE001 - a scrape must not fail because the database hiccups
            logger.warning("registry metrics not collected", exc_info=True)
        queue = _queue_length()
        if queue is not None:
            yield GaugeMetricFamily("tier_registry_queue_length", "Tasks waiting in the Celery queue.",
                                    value=queue)


def _queue_length() -> int | None:
    if not settings.REDIS_URL:
        return None
    try:
        client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=0.5, socket_timeout=0.5)
        return int(client.llen(getattr(settings, "CELERY_TASK_DEFAULT_QUEUE", "celery")))
    except Exception:  # noqa: BLE001 - Redis down: the gauge is absent, the health check says why
        return None


_collector = RegistryCollector()
try:
    REGISTRY.register(_collector)
except ValueError:  # registered already (module reloaded)
    pass


def metrics_view(request: HttpRequest) -> HttpResponse:
    token = settings.METRICS_TOKEN
    header = request.headers.get("Authorization", "")
    by_token = bool(token) and hmac.compare_digest(header.encode(), f"Bearer {token}".encode())
    if not by_token and not (request.user.is_authenticated and request.user.is_superuser):
        raise Http404
    return ExportToDjangoView(request)


urlpatterns = [
    path("health/", health_view, name="health"),
    path("health/live/", live_view, name="health-live"),
    path("metrics", metrics_view, name="metrics"),
]


# --- request id -----------------------------------------------------------------------------------------------------

class RequestIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        offered = request.headers.get("X-Request-ID", "")
        request_id = offered if REQUEST_ID.fullmatch(offered) else uuid.uuid4().hex
        request.request_id = request_id
        token = log_context.start()
        log_context.bind(request_id=request_id)
        try:
            response = self.get_response(request)
        finally:
            user = getattr(request, "user", None)  # an API token's user is known only once the view ran
            if user is not None and user.is_authenticated:
                log_context.bind(user=user.get_username())
            # Django logs a failed request's answer after the middleware has returned: keep the fields on it.
            request.log_context = log_context.current()
            log_context.end(token)
        response["X-Request-ID"] = request_id
        return response

    def process_view(self, request: HttpRequest, view: Any, args: Any, kwargs: dict[str, Any]) -> None:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            log_context.bind(user=user.get_username())
        enterprise = kwargs.get("enterprise_pk") or (
            kwargs.get("pk") if "enterprise" in (request.resolver_match.route if request.resolver_match else "")
            else None)
        if enterprise is not None:
            log_context.bind(enterprise=enterprise)
