"""The default periodic schedule, written to django-celery-beat's tables so administrators see and change it
in the admin. ``manage.py setup_schedule`` installs it; running it again adds missing entries only."""

from __future__ import annotations

import json
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django_celery_beat.models import CrontabSchedule, IntervalSchedule, PeriodicTask


@dataclass(frozen=True)
class Entry:
    name: str
    task: str
    description: str
    crontab: str | None = None  # "minute hour day_of_month month_of_year day_of_week"
    every_minutes: int | None = None


DEFAULT_SCHEDULE: tuple[Entry, ...] = (
    Entry("rescore-changed-nightly", "evaluation.rescore_changed",
          "Re-score the enterprises whose figures changed since the last run.", crontab="0 2 * * *"),
    Entry("rescore-all-after-update-deadline", "evaluation.rescore_after_update_deadline",
          "Once a year, the day after the annual update deadline of the ruleset in force (30 April under "
          "miit-2022, 31 May under miit-2026), re-score every enterprise. Checked daily; starts one job a year.",
          crontab="0 3 * * *"),
    Entry("certifications-daily", "registry.daily_certifications",
          "Close publicity periods that ended and expire certifications whose validity ended.",
          crontab="30 0 * * *"),
    Entry("reminders-daily", "registry.send_reminders",
          "Remind certified enterprises before the annual update deadline and 90 days before a certification "
          "expires (each reminder once).", crontab="0 9 * * *"),
    Entry("reviewer-digest-daily", "registry.send_reviewer_digests",
          "Send each reviewer the applications waiting for them, the overdue first (one digest a day).",
          crontab="30 8 * * *"),
    Entry("followups-sweep", "registry.sweep_followups",
          "Queue the follow-up (notifications) of applications still owed a minute after the step: the broker was "
          "down when it was queued, or a worker died.", every_minutes=1),
    Entry("pool-proposals-advice", "registry.advise_pool_proposals",
          "Add the engine's advice to the cultivation-pool proposals the last re-scores made (withdrawing those "
          "whose advice is not concrete).", every_minutes=5),
    Entry("risk-alerts-daily", "registry.raise_risk_alerts",
          "Raise risk alerts on pooled and certified enterprises (revenue down, compliance flag, annual update "
          "missed, expiring without re-review); each occurrence once.", crontab="15 1 * * *"),
    Entry("rescore-resume-stalled", "evaluation.resume_rescore_jobs",
          "Re-queue the unfinished chunks of re-score jobs that stopped making progress.", every_minutes=10),
)


@transaction.atomic
def install_default_schedule(reset: bool = False) -> tuple[list[str], list[str]]:
    """Create the missing default entries (and with ``reset``, restore changed ones). Returns (created, reset)."""
    created, restored = [], []
    for entry in DEFAULT_SCHEDULE:
        schedule: dict = {"crontab": None, "interval": None}
        if entry.crontab:
            minute, hour, dom, month, dow = entry.crontab.split()
            schedule["crontab"], _ = CrontabSchedule.objects.get_or_create(
                minute=minute, hour=hour, day_of_month=dom, month_of_year=month, day_of_week=dow,
                timezone=settings.TIME_ZONE,
            )
        else:
            schedule["interval"], _ = IntervalSchedule.objects.get_or_create(
                every=entry.every_minutes, period=IntervalSchedule.MINUTES
            )
        defaults = {"task": entry.task, "description": entry.description, "enabled": True,
                    "args": json.dumps([]), "kwargs": json.dumps({}), **schedule}
        task = PeriodicTask.objects.filter(name=entry.name).first()
        if task is None:
            PeriodicTask.objects.create(name=entry.name, **defaults)
            created.append(entry.name)
        elif reset:
            for key, value in defaults.items():
                setattr(task, key, value)
            task.save()
            restored.append(entry.name)
    return created, restored
