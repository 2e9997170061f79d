"""Celery tasks of the certification lifecycle, run by the periodic schedule. Each calls one service and is safe
to run twice a day (the services say why)."""

from __future__ import annotations

import datetime
import logging

from celery import shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError

from . import alerts, applications, certifications, dashboard_summary, notifications, pool, reviewer_notices
from .followup import run_followup, sweep_followups  # noqa: F401  (registered with the other registry tasks)
from .notifications import deliver_notifications_task  # noqa: F401  (registered with the other registry tasks)

logger = logging.getLogger(__name__)

RETRY = {"autoretry_for": (OperationalError, InterfaceError), "retry_backoff": True, "max_retries": 5,
         "acks_late": True}


def _day(on: str | None) -> datetime.date | None:
    return datetime.date.fromisoformat(on) if on else None


@shared_task(name="registry.expire_certifications", ignore_result=True, **RETRY)
def expire_certifications(on: str | None = None) -> int:
    return certifications.expire_certifications(_day(on))


@shared_task(name="registry.close_due_publicity", ignore_result=True, **RETRY)
def close_due_publicity(on: str | None = None) -> int:
    return applications.close_due_publicity(_day(on))


@shared_task(name="registry.daily_certifications", ignore_result=True, **RETRY)
def daily_certifications(on: str | None = None) -> dict:
    """The daily run: close publicity periods that ended (granting certifications), then expire what ended."""
    return {"publicity_closed": applications.close_due_publicity(_day(on)),
            "expired": certifications.expire_certifications(_day(on))}


@shared_task(name="registry.rebuild_dashboard_summary", ignore_result=True, **RETRY)
def rebuild_dashboard_summary() -> int:
    """Count the dashboard's summary rows afresh (after bulk writes that bypassed the services)."""
    return dashboard_summary.rebuild()


@shared_task(name="registry.send_reminders", ignore_result=True, **RETRY)
def send_reminders(on: str | None = None) -> int:
    return notifications.send_reminders(_day(on))


@shared_task(name="registry.advise_pool_proposals", ignore_result=True, **RETRY)
def advise_pool_proposals(limit: int = 1000) -> list[int]:
    """Add the engine's advice to pool proposals a re-score made (bounded batches until none is left)."""
    return list(pool.advise_all(limit))


@shared_task(name="registry.raise_risk_alerts", ignore_result=True, **RETRY)
def raise_risk_alerts(on: str | None = None) -> int:
    return alerts.raise_alerts(_day(on))


@shared_task(name="registry.send_reviewer_digests", ignore_result=True, **RETRY)
def send_reviewer_digests(on: str | None = None) -> int:
    return reviewer_notices.send_reviewer_digests(_day(on))


@shared_task(name="registry.discover_rescored_chunk", ignore_result=True, **RETRY)
def discover_rescored_chunk(job_id: int, ids: list[int]) -> int:
    return pool.discover_after_rescore(job_id, ids)


def queue_discovery_after_rescore(sender: object, *, job_id: int, **kwargs: object) -> int:
    """``evaluation.signals.job_finished`` receiver: one discovery task per chunk of the enterprises the job
    judged anew (inline without a broker). With the broker down the job stays done and the proposals wait for
    the next re-score or ``manage.py discover_candidates``; a warning says so."""
    if not settings.REGISTRY.get("POOL_DISCOVERY", True):
        return 0
    chunks = pool.rescored_chunks(job_id)
    try:
        for ids in chunks:
            discover_rescored_chunk.delay(job_id, ids)
    except Exception as exc:  # noqa: BLE001 - kombu's connection errors: the re-score itself is done
        logger.warning("discovery after re-score job %s not queued: %s", job_id, exc)
    return len(chunks)
