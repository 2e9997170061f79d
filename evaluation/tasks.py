"""Celery tasks of re-scoring. Tasks take ids, never objects, and are safe to run twice."""

from __future__ import annotations

import datetime

from celery import shared_task
from django.db import DatabaseError, InterfaceError, OperationalError
from django.utils import timezone

from . import rescore
from .models import RescoreJob, RescoreScope

RETRY = {"autoretry_for": (OperationalError, InterfaceError, DatabaseError), "retry_backoff": True,
         "retry_backoff_max": 300, "max_retries": 5, "acks_late": True}


@shared_task(name="evaluation.rescore_chunk", ignore_result=True, **RETRY)
def rescore_chunk(chunk_id: int) -> dict:
    """Re-score one chunk; a no-op when it is already done or another worker holds it."""
    outcome = rescore.run_chunk(chunk_id)
    return {"scored": outcome.scored, "failed": outcome.failed, "skipped": outcome.skipped}


@shared_task(name="evaluation.start_rescore", ignore_result=True, **RETRY)
def start_rescore(scope: str = RescoreScope.ALL, value: str = "", ruleset: str | None = None,
                  year: int | None = None, label: str = "") -> int:
    """Plan a job and queue its chunks (used by the schedule and by ``publish_ruleset``)."""
    return rescore.start_job(scope=scope, value=value, ruleset=ruleset, year=year,
                             label=label or "task:evaluation.start_rescore").pk


@shared_task(name="evaluation.rescore_changed", ignore_result=True, **RETRY)
def rescore_changed() -> int | None:
    """Nightly: re-score the enterprises whose figures changed (``needs_rescore``). Skips when a changed-scope
    job is still running, so a double fire of the schedule does not start two."""
    from enterprises.models import Enterprise

    if RescoreJob.objects.filter(scope=RescoreScope.CHANGED, status__in=["queued", "running"]).exists():
        return None
    if not Enterprise.objects.filter(needs_rescore=True).exists():
        return None
    job = rescore.start_job(scope=RescoreScope.CHANGED, label="schedule:rescore-changed")
    return job.pk


@shared_task(name="evaluation.rescore_after_update_deadline", ignore_result=True, **RETRY)
def rescore_after_update_deadline(on: str | None = None) -> int | None:
    """Daily check: once the annual update deadline of the ruleset in force has passed, start this year's full
    re-score — once a year (a job with this label for this year means it has been started)."""
    from registry.lifecycle import annual_update_deadline, ruleset_in_force

    today = datetime.date.fromisoformat(on) if on else timezone.localdate()
    version = ruleset_in_force(today)
    if today <= annual_update_deadline(version, today.year):
        return None
    label = f"schedule:yearly-rescore:{today.year}"
    if RescoreJob.objects.filter(label=label).exists():
        return None
    return rescore.start_job(scope=RescoreScope.ALL, ruleset=version, year=today.year - 1, label=label).pk


@shared_task(name="evaluation.resume_rescore_jobs", ignore_result=True, **RETRY)
def resume_rescore_jobs() -> list[int]:
    """Safety net: re-queue the unfinished chunks of jobs that stopped making progress (a killed worker)."""
    return rescore.resume_stale_jobs()
