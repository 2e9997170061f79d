"""Experts are told when they are drawn: each expert on the application's current panel gets a notice on their
own page (/experts/) and an e-mail unless they opted out.

The notice is sent from the application's follow-up (``followup.run_followup``): the draw writes
``followup_done=False`` in its own transaction, so when the broker is down the follow-up sweep delivers it once
the broker is back. Its unique key (``application:<id>:assignment:<seat>:drawn``) means an expert is told at most
once per assignment, however often the follow-up runs. The e-mail preference is the one reviewers keep
(``reviewer_notices.wants_email``).
"""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from .models import Application, Notification
from .reviewer_notices import mail_once

DRAWN_KIND = "expert_drawn"


def notify_drawn_experts(application_id: int) -> int:
    """Tell every expert on the application's current panel (if it is in expert review and drawn) that they
    were drawn. Returns the e-mails sent; safe to repeat (a mail that failed is tried again)."""
    app = Application.objects.select_related("enterprise", "ruleset").filter(pk=application_id).first()
    if app is None:
        return 0
    # By name, as the workflow table names its guards: ``experts`` moves applications, which needs the follow-up.
    draw = import_string("registry.experts.current_draw")(app)
    if draw is None:
        return 0
    review = import_string("registry.experts.review_of")(app)
    subject = _("You are drawn to score application #%(id)s") % {"id": app.pk}
    sent = 0
    for seat in draw.assignments.select_related("expert__user").order_by("pk"):
        user = seat.expert.user
        if not user.is_active:
            continue
        body = "\n".join([
            _("Enterprise: %(name)s") % {"name": app.enterprise.name},
            _("Tier: %(tier)s") % {"tier": app.get_tier_display()},
            _("Score each of the %(n)s categories of the form (at most %(max)s points in all) and give your "
              "recommendation. Scores are blind: no expert sees another's.") % {
                "n": len(review.form), "max": review.max_total},
            _("Open your assignment: %(path)s") % {"path": reverse("experts:detail", args=[seat.pk])},
        ])
        note, _created = Notification.objects.get_or_create(
            key=f"application:{app.pk}:assignment:{seat.pk}:drawn",
            defaults={"user": user, "enterprise_id": app.enterprise_id, "kind": DRAWN_KIND,
                      "subject": subject[:200], "body": body},
        )
        if note.sent_at is None:
            sent += mail_once(note, user)
    return sent


def notices_of(user: Any) -> list[Notification]:
    """The expert's own notices, newest first (what their page lists)."""
    return list(Notification.objects.filter(user=user, kind=DRAWN_KIND).order_by("-created_at", "-pk")[:50])


def assignment_of(notification: Notification) -> int | None:
    """The assignment a drawn notice is about (from its key)."""
    parts = (notification.key or "").split(":")
    return int(parts[3]) if len(parts) == 5 and parts[2] == "assignment" and parts[3].isdigit() else None


def mark_read(notification: Notification, user: Any) -> None:
    Notification.objects.filter(pk=notification.pk, user=user, read_at__isnull=True).update(read_at=timezone.now())
