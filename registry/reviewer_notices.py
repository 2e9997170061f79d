"""Reviewers are told: when an application reaches a stage, each reviewer who may act there gets an in-admin
notification, and an e-mail unless they opted out; every morning a digest lists what waits and what is overdue.

Who "may act" is the workflow table's answer (``workflow.roles_of``): the reviewer levels with a rule in the new
state, in a region that holds the enterprise, never one of its members. The stage notice is sent from the
application's follow-up (``notifications.notify_event``), so the follow-up sweep delivers it once the broker is
back; its unique key (``application:<id>:event:<id>:reviewer:<user>``) means nobody is told twice.
"""

from __future__ import annotations

import datetime
import logging
import re
from typing import Any

from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from enterprises.models import Membership, ReviewerProfile

from . import workflow
from .deadlines import timing, with_stage_since
from .models import Application, ApplicationEvent, ApplicationStatus, Notification
from .notifications import create_notifications, queue_delivery
from .review_models import ReviewerPreference

logger = logging.getLogger(__name__)

STAGE_KIND = "review_waiting"
DIGEST_KIND = "review_digest"
_APPLICATION_KEY = re.compile(r"^application:(\d+):")
_REVIEWER_ROLES = {workflow.Role.COUNTY, workflow.Role.CITY, workflow.Role.PROVINCE}


def acting_levels(state: str) -> set[str]:
    """The reviewer levels that have a rule in ``state`` (from the workflow table)."""
    return {rule.role for rule in workflow.RULES if rule.state == state and rule.role in _REVIEWER_ROLES}


def reviewers_who_may_act(application: Application) -> list[Any]:
    """The active reviewers whose level acts in the application's state and whose region holds its enterprise."""
    levels = acting_levels(application.status)
    if not levels:
        return []
    region = application.enterprise.region
    codes = [c for c in (region.code, region.city_code, region.province_code) if c]
    profiles = (ReviewerProfile.objects.select_related("user", "region")
                .filter(level__in=levels, region_id__in=codes, user__is_active=True, user__is_staff=True)
                .order_by("user_id"))
    members = set(Membership.objects.filter(enterprise_id=application.enterprise_id).values_list("user_id",
                                                                                                  flat=True))
    found = []
    for profile in profiles:
        user = profile.user
        if user.pk in members:
            continue
        user._reviewer_cache = profile
        if profile.level in workflow.roles_of(user, application):
            found.append(user)
    return found


def wants_email(user: Any) -> bool:
    pref = ReviewerPreference.objects.filter(user=user).values_list("email_notifications", flat=True).first()
    return pref is None or bool(pref)


def set_email_preference(user: Any, email: bool) -> ReviewerPreference:
    pref, _ = ReviewerPreference.objects.update_or_create(user=user, defaults={"email_notifications": email})
    return pref


def mail_once(note: Notification, user: Any) -> bool:
    """E-mail one notice to its user unless they opted out; claimed first, so never twice (a failure releases
    the claim for a retry). True when sent."""
    if not user.email or not wants_email(user):
        return False
    claimed = Notification.objects.filter(pk=note.pk, sent_at__isnull=True).update(sent_at=timezone.now())
    if not claimed:
        return False
    try:
        send_mail(note.subject, note.body, None, [user.email])
    except Exception:  # noqa: BLE001 - a mail server down must not undo the follow-up; the in-admin notice stays
        logger.exception("could not e-mail reviewer notification %s", note.key)
        Notification.objects.filter(pk=note.pk).update(sent_at=None)
        return False
    return True


def notify_reviewers(event_id: int) -> int:
    """Tell the reviewers who may act in the state the step ``event_id`` led to (if it is still the current
    one). Returns the e-mails sent; safe to repeat (a mail that failed is tried again)."""
    event = ApplicationEvent.objects.filter(pk=event_id).first()
    if event is None:
        return 0
    app = Application.objects.select_related("enterprise__region").get(pk=event.application_id)
    if app.status != event.to_status or not acting_levels(app.status):
        return 0
    path = reverse("admin:registry_application_change", args=[app.pk])
    subject = _("Application #%(id)s waits for you: %(stage)s") % {
        "id": app.pk, "stage": ApplicationStatus(app.status).label}
    body = "\n".join([
        _("Enterprise: %(name)s") % {"name": app.enterprise.name},
        _("Tier: %(tier)s") % {"tier": app.get_tier_display()},
        _("Stage: %(stage)s") % {"stage": ApplicationStatus(app.status).label},
        _("Open it in the review admin: %(path)s") % {"path": path},
    ])
    sent = 0
    for user in reviewers_who_may_act(app):
        note, _created = Notification.objects.get_or_create(
            key=f"application:{app.pk}:event:{event.pk}:reviewer:{user.pk}",
            defaults={"user": user, "enterprise_id": app.enterprise_id, "kind": STAGE_KIND,
                      "subject": subject[:200], "body": body},
        )
        if note.sent_at is None:
            sent += mail_once(note, user)
    return sent


def application_of(notification: Notification) -> int | None:
    """The application a stage notice is about (from its key), or None (a digest)."""
    match = _APPLICATION_KEY.match(notification.key or "")
    return int(match.group(1)) if match else None


def unread_count(user: Any) -> int:
    return Notification.objects.filter(user=user, read_at__isnull=True,
                                       kind__in=(STAGE_KIND, DIGEST_KIND)).count()


def mark_read(notification: Notification, user: Any) -> None:
    Notification.objects.filter(pk=notification.pk, user=user, read_at__isnull=True).update(read_at=timezone.now())


# --- the daily digest ------------------------------------------------------------------------------------------

def waiting_for(reviewer: Any, applications: list[Application], members: set[tuple[int, int]]) -> list[Application]:
    return [app for app in applications
            if reviewer.level in acting_levels(app.status)
            and reviewer.region.contains(app.enterprise.region)
            and (reviewer.user_id, app.enterprise_id) not in members]


def send_reviewer_digests(on: datetime.date | None = None) -> int:
    """One digest per reviewer with work waiting on ``on``: each application, its days left, the overdue first.
    The key (reviewer and day) means a second run the same day creates nothing. Returns the digests created."""
    on = on or timezone.localdate()
    states = [s for s in workflow.STAGE_LEVEL if acting_levels(s)]
    apps = list(with_stage_since(Application.objects.filter(status__in=states))
                .select_related("enterprise__region").order_by("pk"))
    reviewers = list(ReviewerProfile.objects.select_related("user", "region")
                     .filter(user__is_active=True, user__is_staff=True).order_by("user_id"))
    members = set(Membership.objects.filter(user_id__in=[r.user_id for r in reviewers])
                  .values_list("user_id", "enterprise_id"))
    candidates, email_to = [], set()
    for reviewer in reviewers:
        waiting = waiting_for(reviewer, apps, members)
        if not waiting:
            continue
        timed = sorted(((app, timing(app, on)) for app in waiting),
                       key=lambda pair: (pair[1].days_left is None, pair[1].days_left or 0, pair[0].pk))
        overdue = [app for app, t in timed if t.overdue]
        lines = []
        for app, t in timed:
            left = ("—" if t.days_left is None else
                    _("overdue by %(n)s days") % {"n": -t.days_left} if t.overdue else
                    _("%(n)s days left") % {"n": t.days_left})
            lines.append(f"#{app.pk} {app.enterprise.name} — {ApplicationStatus(app.status).label}: {left}")
        candidates.append(Notification(
            key=f"review-digest:{on.isoformat()}:{reviewer.user_id}", user=reviewer.user, kind=DIGEST_KIND,
            subject=(_("%(n)s applications wait for you, %(overdue)s overdue (%(date)s)")
                     % {"n": len(waiting), "overdue": len(overdue), "date": on.isoformat()})[:200],
            body="\n".join(lines),
        ))
        if reviewer.user.email and wants_email(reviewer.user):
            email_to.add(reviewer.user_id)
    with transaction.atomic():
        created = create_notifications(candidates)
        ids = [n.pk for n in created if n.user_id in email_to]
        if ids:
            transaction.on_commit(lambda: queue_delivery(ids))
    return len(created)

