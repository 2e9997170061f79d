"""Real-name objections to an application in publicity: submitted by the public, confirmed by a signed e-mail
link, investigated and decided by a provincial reviewer of the enterprise's region.

The life cycle is data (``STEPS``): which step leads from which states to which, and who takes it. An
unconfirmed objection counts for nothing; a confirmed one that is not decided holds the publicity's close
(``applications.close_publicity`` refuses, so the daily job leaves it); upheld sends the application back to
provincial review with the reason; dismissed lets the next daily run close the publicity. Each step is one
transaction with the application's row locked, an entry in the application's history (never naming the
objector) and an audit entry.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import acting_as

from . import applications, followup, workflow
from .evidence import validate_upload
from .models import (
    Application,
    ApplicationEvent,
    ApplicationStatus,
    Objection,
    ObjectionEvidence,
    ObjectionStatus,
)
from .transitions import lock
from .workflow import Action, Role

OS = ObjectionStatus
S = ApplicationStatus

NAME_MAX = 100
PHONE_MAX = 30
REASON_MIN = 10
REASON_MAX = 2000
MAX_FILES = 3
CONFIRM_SALT = "registry.objection.confirm"
STATUS_SALT = "registry.objection.status"
_MARKUP = re.compile(r"<\s*[a-zA-Z!/?]")
_PHONE = re.compile(r"^\+?[0-9][0-9 ()\-]{5,28}$")


@dataclass(frozen=True)
class Step:
    """``role`` may take ``action`` on an objection in one of ``states``; it then is in ``target``."""

    action: str
    states: tuple[str, ...]
    role: str
    target: str
    history: str


STEPS: dict[str, Step] = {
    "confirm": Step("confirm", (OS.UNCONFIRMED,), "public", OS.RECEIVED, Action.OBJECTION_RAISED),
    "investigate": Step("investigate", (OS.RECEIVED, OS.INVESTIGATING), Role.PROVINCE, OS.INVESTIGATING,
                        Action.OBJECTION_INVESTIGATING),
    "uphold": Step("uphold", (OS.RECEIVED, OS.INVESTIGATING), Role.PROVINCE, OS.UPHELD, Action.OBJECTION_UPHELD),
    "dismiss": Step("dismiss", (OS.RECEIVED, OS.INVESTIGATING), Role.PROVINCE, OS.DISMISSED,
                    Action.OBJECTION_DISMISSED),
}


def check_step(objection: Objection, action: str) -> Step:
    """The step ``action`` if it applies to the objection's state, or a ``ValidationError`` saying why not."""
    step = STEPS.get(action)
    if step is None:
        raise ValidationError({"action": _("Unknown action %(action)s.") % {"action": action}})
    if objection.status not in step.states:
        raise ValidationError({"status": _("The objection %(ref)s is %(state)s; it cannot be changed that way.")
                               % {"ref": objection.reference, "state": OS(objection.status).label}})
    return step


def available_steps(objection: Objection) -> list[str]:
    return [name for name, step in STEPS.items() if step.role != "public" and objection.status in step.states]


# --- the public side ----------------------------------------------------------------------------------------------

def _plain_text(value: str, field: str, *, required: bool, maximum: int, minimum: int = 0) -> str:
    value = (value or "").strip()
    if not value:
        if required:
            raise ValidationError({field: _("This field is required.")})
        return ""
    if len(value) > maximum:
        raise ValidationError({field: _("At most %(max)s characters (this has %(len)s).")
                               % {"max": maximum, "len": len(value)}})
    if len(value) < minimum:
        raise ValidationError({field: _("At least %(min)s characters, please.") % {"min": minimum}})
    if _MARKUP.search(value):
        raise ValidationError({field: _("HTML or other markup is not accepted; write plain text.")})
    return value


def clean_submission(*, name: str, email: str, phone: str, reason: str,
                     files: Sequence[UploadedFile]) -> dict[str, Any]:
    """The submission's values checked, every field at once: a ``ValidationError`` naming each bad field."""
    errors: dict[str, list[str]] = {}
    values: dict[str, Any] = {}
    checks: list[tuple[str, Callable[[], Any]]] = [
        ("objector_name", lambda: _plain_text(name, "objector_name", required=True, maximum=NAME_MAX)),
        ("reason", lambda: _plain_text(reason, "reason", required=True, maximum=REASON_MAX, minimum=REASON_MIN)),
        ("contact_email", lambda: _email(email)),
        ("contact_phone", lambda: _phone(phone)),
        ("files", lambda: _files(files)),
    ]
    for field, check in checks:
        try:
            values[field] = check()
        except ValidationError as exc:
            errors.setdefault(field, []).extend(
                m for messages in exc.message_dict.values() for m in messages)
    if errors:
        raise ValidationError(errors)
    return values


def _email(value: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError({"contact_email": _("An e-mail address is required: the objection counts only once "
                                                  "you confirm it from the link we send there.")})
    try:
        validate_email(value)
    except ValidationError:
        raise ValidationError({"contact_email": _("Enter a valid e-mail address.")})
    if len(value) > 254:
        raise ValidationError({"contact_email": _("Enter a valid e-mail address.")})
    return value


def _phone(value: str) -> str:
    value = (value or "").strip()
    if value and (len(value) > PHONE_MAX or not _PHONE.match(value)):
        raise ValidationError({"contact_phone": _("Enter a phone number of digits (spaces, dashes and a leading + "
                                                  "allowed).")})
    return value


def _files(files: Sequence[UploadedFile]) -> list[tuple[UploadedFile, str, str]]:
    files = [f for f in files if f]
    if len(files) > MAX_FILES:
        raise ValidationError({"files": _("At most %(max)s files.") % {"max": MAX_FILES}})
    checked = []
    for uploaded in files:
        name, content_type = validate_upload(uploaded)
        checked.append((uploaded, name, content_type))
    return checked


def objection_open_for(application: Application, on: Any = None) -> bool:
    """Whether the public may object to the application now: in publicity and within its period."""
    on = on or timezone.localdate()
    return application.status == S.PUBLICITY and (
        application.publicity_ends_on is None or on <= application.publicity_ends_on)


def _reference() -> str:
    return f"YY{timezone.localdate():%Y%m%d}-{secrets.token_hex(4).upper()}"


def confirm_token(objection: Objection) -> str:
    return signing.dumps({"id": objection.pk, "ref": objection.reference}, salt=CONFIRM_SALT, compress=True)


def status_token(objection: Objection) -> str:
    return signing.dumps({"id": objection.pk, "ref": objection.reference}, salt=STATUS_SALT, compress=True)


def _from_token(token: str, salt: str, max_age: int | None = None) -> Objection:
    try:
        data = signing.loads(token, salt=salt, max_age=max_age)
        objection = Objection.objects.select_related("application__enterprise__region").get(
            pk=int(data["id"]), reference=str(data["ref"]))
    except signing.SignatureExpired:
        raise ValidationError({"token": _("This link has expired.")})
    except (signing.BadSignature, KeyError, TypeError, ValueError, Objection.DoesNotExist):
        raise ValidationError({"token": _("This link is not valid. Check that you copied all of it.")})
    return objection


def objection_for_status(token: str) -> Objection:
    """The one objection a status link names (a tampered or foreign token names none)."""
    return _from_token(token, STATUS_SALT)


def objection_to_confirm(token: str) -> Objection:
    """The objection a confirmation link names, while the link is fresh."""
    return _from_token(token, CONFIRM_SALT, max_age=confirm_hours() * 3600)


def confirm_hours() -> int:
    return int(settings.REGISTRY.get("OBJECTION_CONFIRM_HOURS", 72))


@transaction.atomic
def submit_objection(
    application: Application, *, name: str, email: str, phone: str = "", reason: str,
    files: Sequence[UploadedFile] = (), links: Callable[[Objection], tuple[str, str]],
) -> Objection:
    """Store an objection (unconfirmed) with its files, and e-mail the confirmation link after commit.

    ``links(objection)`` gives the absolute confirmation and status URLs (the web layer builds them). Everything
    is checked before anything is stored; a failure while storing removes the files already written.
    """
    values = clean_submission(name=name, email=email, phone=phone, reason=reason, files=files)
    app = lock(application)
    if not objection_open_for(app):
        raise ValidationError({"application": _("This enterprise is not in publicity now; objections are closed.")})
    objection = Objection(application=app, reference=_reference(), objector_name=values["objector_name"],
                          contact_email=values["contact_email"], contact_phone=values["contact_phone"],
                          reason=values["reason"])
    stored: list[ObjectionEvidence] = []
    try:
        with acting_as(label="public", source="public", context={"action": "submit_objection",
                                                                  "application": app.pk}):
            objection.save()
        for uploaded, file_name, content_type in values["files"]:
            item = ObjectionEvidence(objection=objection, original_name=file_name, content_type=content_type,
                                     size=uploaded.size)
            item.file.save(file_name, uploaded, save=False)
            stored.append(item)
            item.save()
    except Exception:
        for item in stored:
            item.file.delete(save=False)
        raise
    confirm_url, status_url = links(objection)
    subject = _("Please confirm your objection %(ref)s") % {"ref": objection.reference}
    body = "\n".join([
        _("You raised an objection to the publicity of %(name)s (%(tier)s).")
        % {"name": app.enterprise.name, "tier": app.get_tier_display()},
        _("It counts only once you confirm it within %(hours)s hours by opening this link:")
        % {"hours": confirm_hours()},
        confirm_url,
        "",
        _("Reference number: %(ref)s") % {"ref": objection.reference},
        _("Follow its status here (keep this link to yourself):"),
        status_url,
    ])
    address = objection.contact_email
    transaction.on_commit(lambda: send_mail(subject, body, None, [address]))
    return objection


@transaction.atomic
def confirm_objection(token: str) -> Objection:
    """The objector opened the signed link: the objection now counts (safe to open twice)."""
    found = objection_to_confirm(token)
    app = lock(found.application)
    objection = Objection.objects.select_for_update().get(pk=found.pk)
    if objection.status != OS.UNCONFIRMED:
        return objection
    step = check_step(objection, "confirm")
    if app.status != S.PUBLICITY:
        raise ValidationError({"token": _("The publicity of this application has closed; the objection can no "
                                          "longer be confirmed.")})
    objection.status = step.target
    objection.confirmed_at = timezone.now()
    with acting_as(label="public", source="public", context={"action": "confirm_objection", "application": app.pk}):
        objection.save()
        _history(app, None, step, _("Objection %(ref)s received; publicity cannot close until it is decided.")
                 % {"ref": objection.reference})
    return objection


# --- the reviewers' side ------------------------------------------------------------------------------------------

def _require_provincial_reviewer(user: Any, app: Application) -> None:
    if Role.PROVINCE not in workflow.roles_of(user, app):
        raise PermissionDenied(_("Only a provincial reviewer of the enterprise's region decides on objections."))


@transaction.atomic
def decide_objection(objection: Objection, *, user: Any, action: str, reason: str) -> Objection:
    """A provincial reviewer records the investigation (``investigate``) or decides (``uphold``, ``dismiss``).

    Each needs a text: the investigation record or the decision's reason. Upheld sends an application still in
    publicity back to provincial review with that reason; dismissed leaves it to the next daily close.
    """
    reason = (reason or "").strip()
    app = lock(objection.application)
    objection = Objection.objects.select_for_update().get(pk=objection.pk)
    step = check_step(objection, action)
    _require_provincial_reviewer(user, app)
    if not reason:
        raise ValidationError({"reason": _("Write the investigation record.") if action == "investigate"
                               else _("A reason is required for the decision.")})
    if len(reason) > 5000:
        raise ValidationError({"reason": _("At most %(max)s characters (this has %(len)s).")
                               % {"max": 5000, "len": len(reason)}})
    objection.status = step.target
    if action == "investigate":
        stamp = timezone.localtime().strftime("%Y-%m-%d %H:%M")
        objection.investigation = "\n".join(filter(None, [objection.investigation, f"[{stamp}] {reason}"]))
    else:
        objection.decision_reason = reason
        objection.decided_by = user
        objection.decided_at = timezone.now()
    with acting_as(user, reason=reason, context={"action": f"objection_{action}", "application": app.pk}):
        objection.save()
        if action == "investigate":
            _history(app, user, step, _("Objection %(ref)s is under investigation.") % {"ref": objection.reference})
        else:
            _history(app, user, step, f"{objection.reference}: {reason}")
    if action == "uphold" and app.status == S.PUBLICITY:
        applications.decide(app, user=user, action=Action.OBJECT,
                            reason=_("Objection %(ref)s upheld: %(reason)s") % {"ref": objection.reference,
                                                                                 "reason": reason})
    return objection


def _history(app: Application, user: Any, step: Step, text: str) -> ApplicationEvent:
    """The application's history entry for an objection step: who decided (never who objected)."""
    event = ApplicationEvent.objects.create(
        application=app, actor=user, actor_label=user.get_username()[:150] if user else "public",
        actor_role=workflow.role_label(user, app) if user else "public", action=step.history,
        from_status=app.status, to_status=app.status, reason=text,
    )
    Application.objects.filter(pk=app.pk).update(followup_done=False)
    followup.schedule(app.pk, event.pk)
    return event
