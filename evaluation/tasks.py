"""Celery tasks of re-scoring, and the queueing of a job's chunks as tasks. Tasks take ids, never objects, and are
safe to run twice (see ``rescore``: a chunk run twice finds itself done)."""

from __future__ import annotations

import datetime
import logging
from typing import Any

from celery import group, shared_task
from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError, transaction
from django.utils import timezone
from kombu.exceptions import OperationalError as BrokerUnreachable

from enterprises.models import Enterprise

from . import rescore
from .models import RescoreChunk, RescoreJob, RescoreScope, RescoreStatus
from .rescore import finish_if_complete, plan_job
from .versions import annual_update_deadline, ruleset_in_force

logger = logging.getLogger(__name__)

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
    return start_job(scope=scope, value=value, ruleset=ruleset, year=year,
                             label=label or "task:evaluation.start_rescore").pk


@shared_task(name="evaluation.rescore_changed", ignore_result=True, **RETRY)
def rescore_changed() -> int | None:
    """Nightly: re-score the enterprises whose figures changed (``needs_rescore``). Skips when a changed-scope
    job is still running, so a double fire of the schedule does not start two."""
    if RescoreJob.objects.filter(scope=RescoreScope.CHANGED, status__in=["queued", "running"]).exists():
        return None
    if not Enterprise.objects.filter(needs_rescore=True).exists():
        return None
    job = start_job(scope=RescoreScope.CHANGED, label="schedule:rescore-changed")
    return job.pk


@shared_task(name="evaluation.rescore_after_update_deadline", ignore_result=True, **RETRY)
def rescore_after_update_deadline(on: str | None = None) -> int | None:
    """Daily check: once the annual update deadline of the ruleset in force has passed, start this year's full
    re-score — once a year (a job with this label for this year means it has been started)."""
    today = datetime.date.fromisoformat(on) if on else timezone.localdate()
    version = ruleset_in_force(today)
    if today <= annual_update_deadline(version, today.year):
        return None
    label = f"schedule:yearly-rescore:{today.year}"
    if RescoreJob.objects.filter(label=label).exists():
        return None
    return start_job(scope=RescoreScope.ALL, ruleset=version, year=today.year - 1, label=label).pk


@shared_task(name="evaluation.resume_rescore_jobs", ignore_result=True, **RETRY)
def resume_rescore_jobs() -> list[int]:
    """Safety net: re-queue the unfinished chunks of jobs that stopped making progress (a killed worker)."""
    return resume_stale_jobs()


# --- Queueing a job's chunks ----------------------------------------------------------------------------------

def start_job(**kwargs: Any) -> RescoreJob:
    """Plan a job and queue its chunks once the plan is committed (inline when no broker is configured)."""
    with transaction.atomic():
        job = plan_job(**kwargs)
        if job.total:
            transaction.on_commit(lambda: _dispatch_or_leave_to_resume(job.pk))
    return job


def _dispatch_or_leave_to_resume(job_id: int) -> None:
    """With the broker down the planned job stays in the database; the stalled-job schedule entry queues it."""
    try:
        dispatch_job(job_id)
    except BrokerUnreachable as exc:
        logger.warning("re-score job %s not queued, the broker is unreachable: %s", job_id, exc)


MAX_AUTOMATIC_ATTEMPTS = 5


def dispatch_job(job_id: int, max_attempts: int | None = None) -> int:
    """Queue every unfinished chunk of the job as one group of chunk tasks. Returns how many were queued.

    ``max_attempts`` leaves out chunks tried that often already (the automatic safety net uses it, so a chunk
    that fails for a reason a retry cannot fix is not re-queued forever; an explicit resume retries it).
    """
    chunks = RescoreChunk.objects.filter(job_id=job_id, done=False)
    if max_attempts is not None:
        chunks = chunks.filter(attempts__lt=max_attempts)
    chunk_ids = list(chunks.order_by("number").values_list("pk", flat=True))
    if chunk_ids:
        group(rescore_chunk.si(pk) for pk in chunk_ids).apply_async()
    else:
        finish_if_complete(job_id)
    return len(chunk_ids)


def resume_job(job_id: int) -> int:
    """Re-queue the unfinished chunks of a job, e.g. after a worker was killed. Safe at any time: a chunk that
    is running or done is skipped by its task."""
    return dispatch_job(job_id)


def resume_stale_jobs(stale_after: datetime.timedelta | None = None) -> list[int]:
    """Re-queue chunks of jobs that made no progress for a while (the periodic safety net)."""
    minutes = int(settings.REGISTRY.get("RESCORE_STALE_MINUTES", 10))
    cutoff = timezone.now() - (stale_after or datetime.timedelta(minutes=minutes))
    stale = list(RescoreJob.objects.filter(
        status__in=[RescoreStatus.QUEUED, RescoreStatus.RUNNING], updated_at__lt=cutoff
    ).values_list("pk", flat=True))
    for job_id in stale:
        RescoreJob.objects.filter(pk=job_id).update(updated_at=timezone.now())
        dispatch_job(job_id, max_attempts=MAX_AUTOMATIC_ATTEMPTS)
    return stale
