"""How long an application has been in its stage, how long it has left, and whether it is overdue.

Each review stage has a number of days per tier (``settings.REGISTRY["STAGE_DEADLINE_DAYS"]``, "default" for the
tiers not named). The stage began with the latest history entry that moved the application into its current
state, so the queue annotates that time with one subquery (no query per row). A stage without a limit
(publicity ends by itself, MIIT decides on recommended ones) is never overdue.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from enterprises.models import Tier


def stage_days(tier: str, stage: str) -> int | None:
    """The days ``stage`` may take for ``tier``, or None when the stage has no limit."""
    table = settings.REGISTRY.get("STAGE_DEADLINE_DAYS", {})
    days = table.get(tier, table.get("default", {})).get(stage)
    return None if days is None else int(days)


def with_stage_since(queryset: QuerySet) -> QuerySet:
    """Annotate ``stage_since``: when each application entered its current state (its newest history entry into
    that state, kept on the row as ``stage_entered_at``)."""
    return queryset.annotate(stage_since=F("stage_entered_at"))


def _start_of(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def overdue_q(on: datetime.date | None = None) -> Q:
    """Rows (annotated by ``with_stage_since``) past their stage's deadline on ``on``."""
    on = on or timezone.localdate()
    condition = Q(pk__in=[])
    for tier in Tier.values:
        for stage in settings.REGISTRY["STAGES"].get(tier, []):
            days = stage_days(tier, stage)
            if days is not None:
                condition |= Q(tier=tier, status=stage,
                               stage_since__lt=_start_of(on - datetime.timedelta(days=days)))
    return condition


@dataclass(frozen=True)
class Timing:
    days_in_stage: int | None
    days_left: int | None
    due_on: datetime.date | None

    @property
    def overdue(self) -> bool:
        return self.days_left is not None and self.days_left < 0


def timing(application: Any, on: datetime.date | None = None) -> Timing:
    """Days in stage and days left for an application annotated with ``stage_since``."""
    on = on or timezone.localdate()
    since = getattr(application, "stage_since", None)
    if since is None:
        return Timing(None, None, None)
    entered = timezone.localdate(since)
    in_stage = (on - entered).days
    days = stage_days(application.tier, application.status)
    if days is None:
        return Timing(in_stage, None, None)
    due = entered + datetime.timedelta(days=days)
    return Timing(in_stage, (due - on).days, due)
