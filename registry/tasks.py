"""Celery tasks of the certification lifecycle, run by the periodic schedule. Safe to run twice a day."""

from __future__ import annotations

import datetime

from celery import shared_task
from django.db import InterfaceError, OperationalError

from . import lifecycle
from .followup import run_followup, sweep_followups  # noqa: F401  (registered with the other registry tasks)

RETRY = {"autoretry_for": (OperationalError, InterfaceError), "retry_backoff": True, "max_retries": 5,
         "acks_late": True}


def _day(on: str | None) -> datetime.date | None:
    return datetime.date.fromisoformat(on) if on else None


@shared_task(name="registry.expire_certifications", ignore_result=True, **RETRY)
def expire_certifications(on: str | None = None) -> int:
    return lifecycle.expire_certifications(_day(on))


@shared_task(name="registry.close_due_publicity", ignore_result=True, **RETRY)
def close_due_publicity(on: str | None = None) -> int:
    return lifecycle.close_publicity_periods(_day(on))


@shared_task(name="registry.daily_certifications", ignore_result=True, **RETRY)
def daily_certifications(on: str | None = None) -> dict:
    """The daily run: close publicity periods that ended (granting certifications), then expire what ended."""
    return {"publicity_closed": lifecycle.close_publicity_periods(_day(on)),
            "expired": lifecycle.expire_certifications(_day(on))}


@shared_task(name="registry.send_reminders", ignore_result=True, **RETRY)
def send_reminders(on: str | None = None) -> int:
    return lifecycle.send_reminders(_day(on))


@shared_task(name="registry.deliver_notifications", ignore_result=True, autoretry_for=(Exception,),
             retry_backoff=True, max_retries=5, acks_late=True)
def deliver_notifications(ids: list[int]) -> int:
    return lifecycle.deliver_notifications(ids)
