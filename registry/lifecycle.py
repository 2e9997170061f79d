"""What happens to certifications over time: expiry, demotion proposals after a re-score, reminders.

These run from the periodic schedule (``registry/tasks.py``) and from re-score chunks. Each function is safe
to run twice for the same day: expiry only touches certifications still active, a certification has at most one
open demotion proposal (a database constraint), and a notification's unique ``key`` is created once.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from enterprises.audit import AuditAction, build_entry, record_many
from enterprises.models import Declaration, Enterprise, FinancialYear, Membership, Tier

from .certifications import refresh_current_tier
from .models import (
    Application,
    ApplicationKind,
    Certification,
    CertificationStatus,
    DemotionProposal,
    DemotionStatus,
    Notification,
)

logger = logging.getLogger(__name__)


# --- Demotion proposals ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Shortfall:
    """A valid certification whose tier the enterprise no longer meets, found by a re-score."""

    certification_id: int
    enterprise_id: int
    tier: str
    year: int
    unmet: list[Any] = field(default_factory=list)


def propose_demotions(shortfalls: Iterable[Shortfall], job_id: int | None = None) -> int:
    """Put each shortfall in the reviewers' queue as an open proposal, unless one is already open for that
    certification. Never demotes: reviewers accept or dismiss. Returns how many proposals were created."""
    shortfalls = list(shortfalls)
    if not shortfalls:
        return 0
    already = set(DemotionProposal.objects.filter(
        certification_id__in=[s.certification_id for s in shortfalls], status=DemotionStatus.OPEN
    ).values_list("certification_id", flat=True))
    new = [
        DemotionProposal(enterprise_id=s.enterprise_id, certification_id=s.certification_id, tier=s.tier,
                         year=s.year, unmet=s.unmet, job_id=job_id)
        for s in {s.certification_id: s for s in shortfalls}.values() if s.certification_id not in already
    ]
    if not new:
        return 0
    try:
        with transaction.atomic():
            created = DemotionProposal.objects.bulk_create(new)
    except IntegrityError:
        # Another job proposed one of them meanwhile: fall back to one at a time, keeping theirs.
        created = []
        for proposal in new:
            try:
                with transaction.atomic():
                    proposal.pk = None
                    DemotionProposal.objects.bulk_create([proposal])
                    created.append(proposal)
            except IntegrityError:
                continue
    reason = _("Re-score #%(job)s: no longer meets the tier.") % {"job": job_id} if job_id else ""
    # The audit entry names each proposal (``str`` reads its enterprise): one query for all, not one each.
    enterprises = Enterprise.objects.only("name").in_bulk({p.enterprise_id for p in created})
    for p in created:
        p.enterprise = enterprises[p.enterprise_id]
    record_many(
        build_entry(p, AuditAction.CREATE, after={"tier": p.tier, "year": p.year, "status": p.status,
                                                  "certification_id": p.certification_id},
                    reason=reason, context={"job": job_id} if job_id else None)
        for p in created
    )
    return len(created)


# --- Expiry --------------------------------------------------------------------------------------------------

def expire_certifications(on: datetime.date | None = None) -> int:
    """Expire active certifications whose validity ended before ``on`` and drop each enterprise's current tier
    to the next one it still holds. A certification under a running re-review stays valid (criteria.md §1.6:
    "the original listing stays valid while the re-review is running"). Returns how many expired."""
    on = on or timezone.localdate()
    under_rereview = Application.objects.open().filter(kind=ApplicationKind.REREVIEW, certification=OuterRef("pk"))
    with transaction.atomic():
        due = list(
            Certification.objects.select_for_update()
            .filter(status=CertificationStatus.ACTIVE, expires_on__lt=on)
            .annotate(rereview_running=Exists(under_rereview))
            .filter(rereview_running=False)
            .order_by("pk")
        )
        if not due:
            return 0
        reason = _("Validity ended on the expiry date without a passed re-review.")
        Certification.objects.filter(pk__in=[c.pk for c in due]).update(status=CertificationStatus.EXPIRED)
        entries = [
            build_entry(c, AuditAction.TRANSITION, before={"status": c.status},
                        after={"status": CertificationStatus.EXPIRED}, reason=reason,
                        context={"expired_on": on.isoformat()})
            for c in due
        ]
        enterprise_ids = sorted({c.enterprise_id for c in due})
        before = dict(Enterprise.objects.filter(pk__in=enterprise_ids).values_list("pk", "current_tier"))
        changes = refresh_current_tier(enterprise_ids, on)
        names = dict(Enterprise.objects.filter(pk__in=list(changes)).values_list("pk", "name"))
        for pk, tier in changes.items():
            entries.append(build_entry(
                None, AuditAction.UPDATE, content_type=_enterprise_type(), object_id=pk,
                object_repr=names.get(pk, str(pk)), enterprise_id=pk,
                before={"current_tier": before.get(pk, "")}, after={"current_tier": tier}, reason=reason,
            ))
        record_many(entries)
    return len(due)


def _enterprise_type() -> Any:
    from django.contrib.contenttypes.models import ContentType

    return ContentType.objects.get_for_model(Enterprise)


# --- Publicity periods ------------------------------------------------------------------------------------------

def close_publicity_periods(on: datetime.date | None = None) -> int:
    """Certify applications whose publicity period ended without objection (the workflow owns the transition)."""
    from registry.services import close_due_publicity

    return int(close_due_publicity(on=on))


# --- Deadlines and reminders ------------------------------------------------------------------------------------

def annual_update_deadline(version: Any, year: int) -> datetime.date:
    """The date by which certified firms must update their data on the platform in ``year``.

    Taken from the ruleset's data (``annual_update_deadline``, "MM-DD") when it states one, else from
    ``REGISTRY["ANNUAL_UPDATE_DEADLINES"]`` keyed by ruleset code (30 April under miit-2022, 31 May under
    miit-2026: criteria.md §1.6, §2.5, §4.3).
    """
    text = (version.data or {}).get("annual_update_deadline") if hasattr(version, "data") else None
    if not text:
        deadlines = settings.REGISTRY["ANNUAL_UPDATE_DEADLINES"]
        text = deadlines.get(version.code) or deadlines["default"]
    month, day = (int(part) for part in str(text).split("-")[-2:])
    return datetime.date(year, month, day)


def ruleset_in_force(on: datetime.date) -> Any:
    from evaluation.services import get_ruleset_version

    return get_ruleset_version(on=on)


def _create_notifications(candidates: list[Notification]) -> list[Notification]:
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
        created = _create_notifications(candidates)
        ids = [n.pk for n in created]
        if ids:
            transaction.on_commit(lambda: _queue_delivery(ids))
    return len(created)


def _queue_delivery(ids: list[int]) -> None:
    from .tasks import deliver_notifications

    deliver_notifications.delay(ids)


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
        recipients = _recipients(notification)
        try:
            if recipients:
                send_mail(notification.subject, notification.body, None, recipients)
        except Exception:
            Notification.objects.filter(pk=notification.pk).update(sent_at=None)
            raise
        sent += 1
    return sent


def _recipients(notification: Notification) -> list[str]:
    if notification.user_id:
        email = notification.user.email
        return [email] if email else []
    if notification.enterprise_id:
        return sorted({e for e in Membership.objects.filter(enterprise_id=notification.enterprise_id)
                       .values_list("user__email", flat=True) if e})
    return []
