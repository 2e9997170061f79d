"""Notifications: what the enterprise's members (and later reviewers) are told, each at most once.

A notification row has a unique ``key``; it is written before the e-mail goes out, so a crash between the two
loses a mail rather than sending it twice, and ``sent_at`` says which mails went out. Reminders of the annual
update and of expiry are created by the daily schedule and delivered by a task after commit.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterable

from celery import shared_task
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from enterprises.models import Declaration, Enterprise, FinancialYear, Membership, Tier
from evaluation.versions import annual_update_deadline, ruleset_in_force

from . import workflow
from .models import Application, ApplicationEvent, ApplicationStatus, Certification, Notification

logger = logging.getLogger(__name__)


def notify_members(enterprise_id: int, key: str, kind: str, subject: str, body: str) -> int:
    """One notification per active member of the enterprise; the unique key means never twice.

    The row is written before the e-mail goes out, so a crash between the two loses a mail rather than
    sending it twice; ``sent_at`` says which mails went out.
    """
    sent = 0
    users = get_user_model().objects.filter(memberships__enterprise_id=enterprise_id, is_active=True).distinct()
    for user in users:
        note, created = Notification.objects.get_or_create(
            key=f"{key}:user:{user.pk}",
            defaults={"user": user, "enterprise_id": enterprise_id, "kind": kind, "subject": subject[:200],
                      "body": body},
        )
        if not created or not user.email:
            continue
        try:
            send_mail(subject, body, None, [user.email])
        except Exception:  # noqa: BLE001 - a mail server down must not undo a committed decision
            logger.exception("could not e-mail notification %s", note.key)
            continue
        Notification.objects.filter(pk=note.pk).update(sent_at=timezone.now())
        sent += 1
    return sent

def notify_event(event_id: int) -> int:
    """Tell the enterprise's users about one step of their application (run after commit; safe to repeat)."""
    event = ApplicationEvent.objects.select_related("application__enterprise").filter(pk=event_id).first()
    if event is None:
        return 0
    app = event.application
    subject = _("Application #%(id)s (%(tier)s): %(status)s") % {
        "id": app.pk, "tier": app.get_tier_display(), "status": ApplicationStatus(event.to_status).label}
    lines = [
        _("Enterprise: %(name)s") % {"name": app.enterprise.name},
        _("Step: %(action)s by %(role)s") % {
            "action": workflow.choice_label(workflow.Action, event.action),
            "role": workflow.choice_label(workflow.Role, event.actor_role)},
        _("New state: %(status)s") % {"status": ApplicationStatus(event.to_status).label},
    ]
    if event.reason:
        lines.append(_("Reason: %(reason)s") % {"reason": event.reason})
    sent = notify_members(app.enterprise_id, f"application:{app.pk}:event:{event.pk}",
                           f"application_{event.action}", subject, "\n".join(lines))
    if not ApplicationEvent.objects.filter(application_id=app.pk, pk__gt=event.pk).exists():
        Application.objects.filter(pk=app.pk).update(followup_done=True)
    return sent

def finish_followups(limit: int = 500) -> int:
    """Send the notifications of applications whose follow-up did not complete (a crash after commit).

    Safe to run any time and twice: each notification's unique key means nobody is told twice.
    """
    pending = list(Application.objects.filter(followup_done=False).order_by("pk").values_list("pk", flat=True)[:limit])
    for event_id in ApplicationEvent.objects.filter(application_id__in=pending).order_by("pk").values_list(
        "pk", flat=True
    ):
        notify_event(event_id)
    return len(pending)


# --- Reminders --------------------------------------------------------------------------------------------

def create_notifications(candidates: list[Notification]) -> list[Notification]:
    """Create the notifications whose key does not exist yet; returns the ones created now."""
    if not candidates:
        return []
    existing = set(Notification.objects.filter(key__in=[n.key for n in candidates]).values_list("key", flat=True))
    new = [n for n in {n.key: n for n in candidates}.values() if n.key not in existing]
    if not new:
        return []
    Notification.objects.bulk_create(new, ignore_conflicts=True)
    return list(Notification.objects.filter(key__in=[n.key for n in new], sent_at__isnull=True))

def send_reminders(on: datetime.date | None = None) -> int:
    """Create the day's reminders and queue their delivery after commit. Returns how many were created.

    - Before the annual update deadline (``ANNUAL_UPDATE_REMINDER_DAYS``): certified enterprises that have not
      filed last year's figures (without them they lose re-review eligibility, criteria.md §1.6).
    - ``EXPIRY_REMINDER_DAYS`` (90) before a certification expires.
    Each notice has a unique key (enterprise/certification and period), so running twice sends nothing twice.
    """
    on = on or timezone.localdate()
    registry_settings = settings.REGISTRY
    candidates: list[Notification] = []

    deadline = annual_update_deadline(ruleset_in_force(on), on.year)
    days_left = (deadline - on).days
    if 0 <= days_left <= int(registry_settings["ANNUAL_UPDATE_REMINDER_DAYS"]):
        figures_year = on.year - 1
        certified = Certification.objects.valid_on(on).values("enterprise_id")
        missing = (
            Enterprise.objects.filter(pk__in=certified)
            .exclude(Exists(Declaration.objects.filter(enterprise=OuterRef("pk"), year=figures_year))
                     & Exists(FinancialYear.objects.filter(enterprise=OuterRef("pk"), year=figures_year)))
            .order_by("pk").values_list("pk", flat=True)
        )
        for enterprise_id in missing:
            candidates.append(Notification(
                key=f"annual-update:{on.year}:{enterprise_id}", enterprise_id=enterprise_id, kind="annual_update",
                subject=_("Update your %(year)s figures by %(deadline)s")
                % {"year": figures_year, "deadline": deadline.isoformat()},
                body=_("Certified enterprises must update their data every year by %(deadline)s. Without the "
                       "%(year)s figures the enterprise loses its eligibility for re-review.")
                % {"deadline": deadline.isoformat(), "year": figures_year},
            ))

    days = int(registry_settings["EXPIRY_REMINDER_DAYS"])
    for cert in Certification.objects.expiring_within(days, on).order_by("pk"):
        tier = Tier(cert.tier).label
        candidates.append(Notification(
            key=f"certification-expiry:{cert.pk}:{cert.expires_on.isoformat()}", enterprise_id=cert.enterprise_id,
            kind="certification_expiry",
            subject=_("Your %(tier)s certification expires on %(date)s") % {"tier": tier,
                                                                              "date": cert.expires_on.isoformat()},
            body=_("Apply for re-review before %(date)s to keep the %(tier)s title; without a passed re-review "
                   "the certification expires.") % {"tier": tier, "date": cert.expires_on.isoformat()},
        ))

    with transaction.atomic():
        created = create_notifications(candidates)
        ids = [n.pk for n in created]
        if ids:
            transaction.on_commit(lambda: queue_delivery(ids))
    return len(created)

def queue_delivery(ids: list[int]) -> None:
    deliver_notifications_task.delay(ids)

def deliver_notifications(ids: Iterable[int]) -> int:
    """E-mail each notification to its enterprise's members (or its user), at most once.

    The row is claimed by setting ``sent_at`` in its own committed update before the e-mail goes out: a second
    run, or a task fired twice, finds it claimed and sends nothing. If sending fails the claim is released so a
    retry can send it. (Sending first and marking afterwards would send twice after a crash in between.)
    """
    sent = 0
    for notification in Notification.objects.filter(pk__in=list(ids), sent_at__isnull=True).order_by("pk"):
        claimed = Notification.objects.filter(pk=notification.pk, sent_at__isnull=True).update(sent_at=timezone.now())
        if not claimed:
            continue
        addresses = recipients(notification)
        try:
            if addresses:
                send_mail(notification.subject, notification.body, None, addresses)
        except Exception:
            Notification.objects.filter(pk=notification.pk).update(sent_at=None)
            raise
        sent += 1
    return sent

def recipients(notification: Notification) -> list[str]:
    if notification.user_id:
        email = notification.user.email
        return [email] if email else []
    if notification.enterprise_id:
        return sorted({e for e in Membership.objects.filter(enterprise_id=notification.enterprise_id)
                       .values_list("user__email", flat=True) if e})
    return []


@shared_task(name="registry.deliver_notifications", ignore_result=True, autoretry_for=(Exception,),
             retry_backoff=True, max_retries=5, acks_late=True)
def deliver_notifications_task(ids: list[int]) -> int:
    return deliver_notifications(ids)
