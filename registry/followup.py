"""Follow-up work of an application step (the notifications it causes), run by Celery and never lost.

A service that moves an application writes ``followup_done=False`` in its own transaction and calls
``schedule()``: after commit, a ``run_followup`` task is queued. If the broker is down the error is logged and
the submission still stands (it is committed); ``sweep_followups``, run by beat every minute, re-queues every
application whose follow-up is still not done a minute later, so the work runs once the broker is back.
``run_followup`` is safe to run any number of times: each notification has a unique key.
"""

from __future__ import annotations

import datetime
import logging

from celery import shared_task
from django.db import transaction
from django.utils import timezone

from .expert_notices import notify_drawn_experts
from .models import Application, ApplicationEvent
from .notifications import notify_event
from .reviewer_notices import notify_reviewers

logger = logging.getLogger(__name__)

SWEEP_AFTER_SECONDS = 60
# Publishing gives up fast when the broker is down: the request that committed must not hang on it.
PUBLISH_RETRY_POLICY = {"max_retries": 2, "interval_start": 0, "interval_step": 0.2, "interval_max": 0.5}


def schedule(application_id: int, event_id: int | None = None) -> None:
    """Queue the follow-up of ``application_id`` (of its step ``event_id``) once the current transaction
    commits. Call it inside the transaction that wrote ``followup_done=False``."""
    transaction.on_commit(lambda: queue(application_id, event_id))


def queue(application_id: int, event_id: int | None = None) -> bool:
    """Send ``run_followup`` to the broker; on failure log and leave it to the sweep. True when queued."""
    try:
        run_followup.apply_async((application_id, event_id), retry=True, retry_policy=PUBLISH_RETRY_POLICY)
    except Exception:  # noqa: BLE001 - broker down (or an inline run failing): the sweep retries later
        logger.warning("follow-up of application %s not queued; the sweep will retry", application_id,
                       exc_info=True)
        return False
    return True


@shared_task(name="registry.run_followup", ignore_result=True)
def run_followup(application_id: int, event_id: int | None = None) -> int:
    """Send the notifications of one step (``event_id``), or of every step when the sweep asks, each at most
    once: the experts drawn for its current panel, the reviewers who may act now, then the enterprise's users;
    the follow-up is marked done once the latest step's went out. Returns the mails sent."""
    told = notify_drawn_experts(application_id)
    events = ApplicationEvent.objects.filter(application_id=application_id)
    if event_id is not None:
        events = events.filter(pk=event_id)
    ids = list(events.order_by("pk").values_list("pk", flat=True))
    return told + sum(notify_reviewers(pk) + notify_event(pk) for pk in ids)


@shared_task(name="registry.sweep_followups", ignore_result=True)
def sweep_followups(older_than_seconds: int = SWEEP_AFTER_SECONDS, limit: int = 1000) -> int:
    """Re-queue follow-ups still not done ``older_than_seconds`` after the step (broker was down, worker died).
    Returns how many were queued."""
    cutoff = timezone.now() - datetime.timedelta(seconds=older_than_seconds)
    pending = list(
        Application.objects.filter(followup_done=False, updated_at__lte=cutoff)
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )
    return sum(queue(application_id) for application_id in pending)
