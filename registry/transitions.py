"""The one place an application's status changes: the row, its history entry and its audit entry, together.

Every service that moves an application locks it with ``lock``, asks the workflow table whether the step is
allowed, and calls ``transition``. The follow-up (notifications) is queued after commit by ``followup``.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import AuditAction, acting_as, current_actor, record, snapshot

from . import dashboard_summary, followup, workflow
from .models import Application, ApplicationEvent
from .workflow import Action


def setting(name: str) -> Any:
    return settings.REGISTRY[name]


def lock(application: Application) -> Application:
    """The application's row, locked for this transaction and re-read (another reviewer may have acted)."""
    locked = (
        Application.objects.select_for_update(of=("self",))
        .select_related("enterprise__region")
        .get(pk=application.pk)
    )
    return locked

def require_reason(reason: str, action: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("A reason is required to %(action)s.") % {"action": Action(action).label}})
    return reason

def transition(
    app: Application, *, user: Any, rule: workflow.Rule | None, action: str, to_status: str, reason: str = "",
    **fields: Any,
) -> ApplicationEvent:
    """Move ``app`` (already locked) to ``to_status``: the row, its audit entry and its history entry."""
    from_status = app.status
    before = snapshot(app, Application.audit_fields)
    # followup_done stays False until the notifications went out, so a sweep can finish them after a crash.
    values = {"status": to_status, "updated_at": timezone.now(), "followup_done": False, **fields}
    for name, value in values.items():
        setattr(app, name, value)
    Application.objects.filter(pk=app.pk).update(**values)
    if from_status != to_status:
        dashboard_summary.application_moved(app, from_status, to_status)
    with acting_as(user, reason=reason, context={"action": action, "application": app.pk}):
        record(app, AuditAction.TRANSITION, before=before, after=snapshot(app, Application.audit_fields),
               reason=reason)
        event = ApplicationEvent.objects.create(
            application=app, actor=user, actor_label=(user.get_username() if user else current_actor().label)[:150],
            actor_role=workflow.role_label(user, app, rule), action=action, from_status=from_status,
            to_status=to_status, reason=reason,
        )
    followup.schedule(app.pk, event.pk)  # notifications via Celery after commit; a sweep catches what was not queued
    return event
