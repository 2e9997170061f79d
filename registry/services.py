"""The only writers of applications, certifications, quotas and demotion decisions.

Every service is one transaction: it locks the row it changes (``select_for_update``), asks the workflow table
(``registry/workflow.py``) whether the user may take the step, writes the change, the history entry
(``ApplicationEvent``) and the audit entry with the reason, and queues the notifications with
``transaction.on_commit`` so nobody is told about a change that was rolled back. The admin, the API, the
portal and the scheduled jobs all call these functions; none of them sets a status field.
"""

from __future__ import annotations

import datetime
import logging
import zipfile
from pathlib import PurePath
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _

from enterprises.audit import AuditAction, acting_as, current_actor, record, snapshot
from enterprises.models import Enterprise, Tier
from enterprises.profiles import ProfileUnavailable
from enterprises.roles import reviewer_of

from . import followup, workflow
from .certifications import add_years, refresh_current_tier
from .eligibility import Situation, judge
from .models import (
    OPEN_STATUSES,
    Application,
    ApplicationEvent,
    ApplicationKind,
    ApplicationStatus,
    Certification,
    CertificationStatus,
    CityQuota,
    DemotionProposal,
    DemotionStatus,
    Evidence,
    EvidenceClaim,
    Notification,
    RevocationCause,
)
from .workflow import Action

logger = logging.getLogger(__name__)
S = ApplicationStatus


def _setting(name: str) -> Any:
    return settings.REGISTRY[name]


# --- internals ---------------------------------------------------------------------------------------------


def _lock(application: Application) -> Application:
    """The application's row, locked for this transaction and re-read (another reviewer may have acted)."""
    locked = (
        Application.objects.select_for_update(of=("self",))
        .select_related("enterprise__region")
        .get(pk=application.pk)
    )
    return locked


def _require_reason(reason: str, action: str) -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("A reason is required to %(action)s.") % {"action": Action(action).label}})
    return reason


def _transition(
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


def _notify_members(enterprise_id: int, key: str, kind: str, subject: str, body: str) -> int:
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
            "action": workflow.choice_label(Action, event.action),
            "role": workflow.choice_label(workflow.Role, event.actor_role)},
        _("New state: %(status)s") % {"status": ApplicationStatus(event.to_status).label},
    ]
    if event.reason:
        lines.append(_("Reason: %(reason)s") % {"reason": event.reason})
    sent = _notify_members(app.enterprise_id, f"application:{app.pk}:event:{event.pk}",
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


def _check_year(year: Any) -> int:
    try:
        year = int(year)
    except (TypeError, ValueError):
        raise ValidationError({"year": _("Enter a four-digit year.")})
    this_year = timezone.localdate().year
    if year < 1990 or year > this_year:
        raise ValidationError({"year": _("Year %(year)s is outside 1990–%(max)s.") % {"year": year, "max": this_year}})
    return year


def _require_member(user: Any, enterprise: Enterprise) -> None:
    if not getattr(user, "is_authenticated", False):
        raise PermissionDenied(_("Log in first."))
    if user.is_superuser:
        return
    if not enterprise.memberships.filter(user=user).exists():
        raise PermissionDenied(_("Only the enterprise's own users may do this."))


def _require_provincial(user: Any, enterprise: Enterprise) -> None:
    """A provincial reviewer whose region holds the enterprise (and not its member), or a superuser."""
    if not getattr(user, "is_authenticated", False):
        raise PermissionDenied(_("Log in first."))
    if enterprise.memberships.filter(user=user).exists():
        raise PermissionDenied(_("You are a member of this enterprise and cannot decide on it."))
    if user.is_superuser:
        return
    reviewer = reviewer_of(user)
    if reviewer is None or reviewer.level != "province" or not user.is_staff:
        raise PermissionDenied(_("Only a provincial reviewer may do this."))
    if not reviewer.region.contains(enterprise.region):
        raise PermissionDenied(_("This enterprise is outside your region."))


# --- applications ------------------------------------------------------------------------------------------


@transaction.atomic
def create_application(
    *, enterprise: Enterprise, tier: str, year: int, user: Any, kind: str = ApplicationKind.NEW,
    together_with: Application | None = None,
) -> Application:
    """A draft application for ``tier`` judged on the figures of ``year``.

    Refused when an application for the tier is open, the enterprise is barred after fraud, or the
    prerequisite tier is neither held nor (for the specialised SME) applied for together. For a tier the
    enterprise already holds, the application is a re-review (复核), allowed only in the window before expiry.
    """
    if tier not in Tier.values:
        raise ValidationError({"tier": _("Unknown tier %(tier)s.") % {"tier": tier}})
    if kind not in ApplicationKind.values:
        raise ValidationError({"kind": _("Unknown kind %(kind)s.") % {"kind": kind}})
    year = _check_year(year)
    enterprise = Enterprise.objects.select_for_update().select_related("region").get(pk=enterprise.pk)
    _require_member(user, enterprise)
    verdict = judge(Situation.load(enterprise), tier)
    if not verdict.allowed:
        raise ValidationError({verdict.field: verdict.reason})
    if kind == ApplicationKind.REREVIEW and verdict.kind != ApplicationKind.REREVIEW:
        raise ValidationError({"kind": _("There is no valid certification of this tier to re-review.")})
    if together_with is not None:
        needed = workflow_prerequisite(tier)
        if (
            together_with.enterprise_id != enterprise.pk or needed is None or not needed.get("together")
            or together_with.tier != needed["tier"] or together_with.status not in OPEN_STATUSES
        ):
            raise ValidationError({"together_with": _("Must be this enterprise's open application for the "
                                                      "prerequisite tier.")})
    else:
        together_with = verdict.together_with
    app = Application(
        enterprise=enterprise, tier=tier, year=year, kind=verdict.kind, certification=verdict.certification,
        together_with=together_with, created_by=user,
    )
    try:
        with transaction.atomic(), acting_as(user, context={"action": "create"}):
            app.save()
    except IntegrityError:
        raise ValidationError({"tier": _("An application for this tier is already open.")})
    return app


def workflow_prerequisite(tier: str) -> dict[str, Any] | None:
    from .eligibility import prerequisites

    return prerequisites().get(tier)


def _check_prerequisite_still_met(app: Application) -> None:
    """At submission the prerequisite must still be held, or the joint application still open."""
    needed = workflow_prerequisite(app.tier)
    if not needed:
        return
    if Certification.objects.valid_on().filter(enterprise_id=app.enterprise_id, tier=needed["tier"]).exists():
        return
    if needed.get("together") and Application.objects.filter(
        enterprise_id=app.enterprise_id, tier=needed["tier"], status__in=OPEN_STATUSES
    ).exists():
        return
    raise ValidationError({"tier": _("Requires %(tier)s: hold it, or apply for it at the same time.")
                           % {"tier": Tier(needed["tier"]).label}})


def _frozen_assessment(evaluated: Any, tier: str) -> dict[str, Any]:
    """The tier's result as the engine gave it (breakdown, unmet rules, advice) with what judged it."""
    result = evaluated.to_dict(portable=True)
    tier_result = result.get("tiers", {}).get(tier)
    if tier_result is None:
        raise ValidationError({"tier": _("The ruleset %(ruleset)s does not judge this tier.")
                               % {"ruleset": evaluated.version.code}})
    return {
        **tier_result,
        "tier": tier,
        "ruleset": evaluated.version.code,
        "ruleset_version": evaluated.version.version,
        "year": evaluated.year,
        "size_class": result.get("size_class"),
        "evaluated_at": timezone.now().isoformat(),
    }


@transaction.atomic
def submit_application(application: Application, *, user: Any) -> Application:
    """Submit (or resubmit after ``returned``): evaluate now with the ruleset in force, freeze the result on
    the application, store the assessments, flag it when the tier failed, and send it to its first stage."""
    from evaluation import engine
    from evaluation.services import evaluate_enterprise, get_ruleset_version, store_assessments

    app = _lock(application)
    action = Action.RESUBMIT if app.status == S.RETURNED else Action.SUBMIT
    rule = workflow.check(user, app, action)
    enterprise = app.enterprise
    if enterprise.banned_until and enterprise.banned_until >= timezone.localdate():
        raise ValidationError({"enterprise": _("Barred from applying until %(date)s.")
                               % {"date": enterprise.banned_until}})
    _check_prerequisite_still_met(app)
    if app.kind == ApplicationKind.REREVIEW:
        cert = app.certification
        if cert is None or cert.status != CertificationStatus.ACTIVE:
            raise ValidationError({"certification": _("The certification under re-review is no longer active.")})
    try:
        version = get_ruleset_version()
        evaluated = evaluate_enterprise(enterprise, app.year, version, advice=True,
                                        rereview=app.kind == ApplicationKind.REREVIEW)
    except (ProfileUnavailable, engine.ProfileError) as exc:
        raise ValidationError({exc.field: exc.message})
    assessment = _frozen_assessment(evaluated, app.tier)
    store_assessments([evaluated])
    _transition(
        app, user=user, rule=rule, action=action, to_status=workflow.first_stage(app.tier),
        ruleset=version, assessment=assessment, input_digest=evaluated.digest,
        flagged=assessment.get("status") == "failed", submitted_at=timezone.now(), publicity_ends_on=None,
        decided_at=None,
    )
    return app


@transaction.atomic
def withdraw(application: Application, *, user: Any, reason: str = "") -> Application:
    """The enterprise takes its application back (any time before a final decision or MIIT's)."""
    app = _lock(application)
    rule = workflow.check(user, app, Action.WITHDRAW)
    _transition(app, user=user, rule=rule, action=Action.WITHDRAW, to_status=S.WITHDRAWN,
                reason=(reason or "").strip(), decided_at=timezone.now())
    return app


def city_code_of(app: Application) -> str:
    region = app.enterprise.region
    return region.city_code or ""


def city_approvals(city_code: str, tier: str, year: int) -> QuerySet:
    """New applications of ``city_code`` for ``tier`` its city reviewers passed in calendar ``year``
    (re-reviews are outside the quota; a withdrawn application gives its place back)."""
    return (
        Application.objects.filter(
            kind=ApplicationKind.NEW, tier=tier, enterprise__region__city_code=city_code,
            events__action=Action.APPROVE, events__from_status=S.CITY_REVIEW, events__created_at__year=year,
        )
        .exclude(status=S.WITHDRAWN)
        .distinct()
    )


def _check_quota(app: Application) -> None:
    """A city may recommend no more new applications per tier per year than its quota (criteria.md §2.6)."""
    if app.kind != ApplicationKind.NEW or app.status != S.CITY_REVIEW:
        return
    city_code = city_code_of(app)
    year = timezone.localdate().year
    # Locking the quota row serialises concurrent approvals in one city, so two cannot take the last place.
    quota = CityQuota.objects.select_for_update().filter(city_id=city_code, tier=app.tier, year=year).first()
    if quota is None:
        return
    used = city_approvals(city_code, app.tier, year).exclude(pk=app.pk).count()
    if used >= quota.quota:
        raise ValidationError({"action": _("The city's quota of %(quota)s for %(tier)s in %(year)s is used up.")
                               % {"quota": quota.quota, "tier": app.get_tier_display(), "year": year}})


@transaction.atomic
def decide(application: Application, *, user: Any, action: str, reason: str = "") -> Application:
    """A reviewer's decision: approve (to the next stage), return (to the enterprise), reject, or object
    during publicity (back to provincial review). Return, reject and object need a reason."""
    if action not in workflow.DECISIONS:
        raise ValidationError({"action": _("Choose one of: %(choices)s.") % {
            "choices": ", ".join(workflow.DECISIONS)}})
    reason = (reason or "").strip()
    app = _lock(application)
    rule = workflow.check(user, app, action)
    if rule.reason_required:
        reason = _require_reason(reason, action)
    fields: dict[str, Any] = {}
    if action == Action.APPROVE:
        _check_quota(app)
        target = workflow.next_stage(app.tier, app.status)
        if target == S.PUBLICITY:
            fields["publicity_ends_on"] = timezone.localdate() + datetime.timedelta(days=_setting("PUBLICITY_DAYS"))
    else:
        target = rule.target
        if target in (S.REJECTED,):
            fields["decided_at"] = timezone.now()
        if action == Action.OBJECT:
            fields["publicity_ends_on"] = None
    _transition(app, user=user, rule=rule, action=action, to_status=target, reason=reason, **fields)
    return app


def _grant(app: Application, on: datetime.date, reason: str) -> Certification:
    """Certify ``app``: a new certification for 3 years, or for a re-review the held one extended by 3 years
    from its expiry (criteria.md §1.6, §4.3)."""
    years = _setting("CERTIFICATION_YEARS")
    with acting_as(reason=reason, context={"application": app.pk}):
        if app.kind == ApplicationKind.REREVIEW and app.certification_id:
            cert = Certification.objects.select_for_update().get(pk=app.certification_id)
            if cert.status not in (CertificationStatus.ACTIVE, CertificationStatus.EXPIRED):
                message = _("The certification under re-review was %(status)s; it cannot be extended.")
                raise ValidationError({"certification": message % {"status": cert.get_status_display()}})
            cert.expires_on = add_years(cert.expires_on, years)
            cert.status = CertificationStatus.ACTIVE
            cert.save()
        else:
            for old in Certification.objects.select_for_update().filter(
                enterprise_id=app.enterprise_id, tier=app.tier, status=CertificationStatus.ACTIVE
            ):
                old.status = CertificationStatus.SUPERSEDED
                old.save()
            cert = Certification(enterprise_id=app.enterprise_id, tier=app.tier, ruleset=app.ruleset,
                                 granted_on=on, expires_on=add_years(on, years))
            cert.save()
    refresh_current_tier([app.enterprise_id], on=on)
    return cert


@transaction.atomic
def close_publicity(application: Application, *, on: datetime.date | None = None) -> Application:
    """The publicity period is over with no objection: certify (the daily job calls this)."""
    on = on or timezone.localdate()
    app = _lock(application)
    rule = workflow.check_system(app, Action.CLOSE_PUBLICITY)
    if app.publicity_ends_on is not None and on <= app.publicity_ends_on:
        raise ValidationError({"publicity_ends_on": _("Publicity runs until %(date)s.")
                               % {"date": app.publicity_ends_on}})
    reason = _("Publicity ended on %(date)s without objection.") % {"date": app.publicity_ends_on}
    cert = _grant(app, on, reason)
    _transition(app, user=None, rule=rule, action=Action.CLOSE_PUBLICITY, to_status=S.CERTIFIED, reason=reason,
                certification=cert, decided_at=timezone.now())
    return app


def close_due_publicity(on: datetime.date | None = None) -> int:
    """Certify every application whose publicity ended before ``on``; safe to run twice. Returns how many."""
    on = on or timezone.localdate()
    due = Application.objects.filter(status=S.PUBLICITY, publicity_ends_on__lt=on).order_by("pk")
    closed = 0
    for app in due.only("pk"):
        try:
            close_publicity(app, on=on)
        except (ValidationError, PermissionDenied) as exc:
            # Changed meanwhile (an objection, a withdrawal, or another run got there first).
            logger.info("publicity of application %s not closed: %s", app.pk, exc)
            continue
        closed += 1
    return closed


@transaction.atomic
def record_national_outcome(application: Application, *, user: Any, outcome: str, reason: str = "") -> Application:
    """A provincial reviewer records MIIT's decision on a recommended application (certified or rejected)."""
    if outcome not in (S.CERTIFIED, S.REJECTED):
        raise ValidationError({"outcome": _("Choose certified or rejected.")})
    reason = (reason or "").strip()
    app = _lock(application)
    rule = workflow.check(user, app, Action.NATIONAL_OUTCOME)
    if outcome == S.REJECTED:
        reason = _require_reason(reason, Action.NATIONAL_OUTCOME)
        _transition(app, user=user, rule=rule, action=Action.NATIONAL_OUTCOME, to_status=S.REJECTED, reason=reason,
                    decided_at=timezone.now())
        return app
    cert = _grant(app, timezone.localdate(), reason or _("Certified by MIIT."))
    _transition(app, user=user, rule=rule, action=Action.NATIONAL_OUTCOME, to_status=S.CERTIFIED, reason=reason,
                certification=cert, decided_at=timezone.now())
    return app


# --- evidence ----------------------------------------------------------------------------------------------

# What each allowed extension must look like inside: checked on the content, not the name the client sent.
_CONTENT_TYPES = {
    "pdf": "application/pdf",
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def sniff(head: bytes, uploaded: UploadedFile) -> str | None:
    """The file type its bytes say it is (pdf, png, jpg, xlsx), or None."""
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if head.startswith(b"PK\x03\x04"):
        uploaded.seek(0)
        try:
            with zipfile.ZipFile(uploaded) as archive:
                names = set(archive.namelist())
        except zipfile.BadZipFile:
            return None
        finally:
            uploaded.seek(0)
        if "xl/workbook.xml" in names and "[Content_Types].xml" in names:
            return "xlsx"
    return None


def validate_upload(uploaded: UploadedFile) -> tuple[str, str]:
    """(safe file name, content type) of an acceptable upload, or a ``ValidationError`` on ``file``."""
    allowed = [ext.lower() for ext in _setting("EVIDENCE_EXTENSIONS")]
    limit = _setting("EVIDENCE_MAX_BYTES")
    name = PurePath(uploaded.name or "").name
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if ext not in allowed:
        raise ValidationError({"file": _("Files of type %(ext)s are not accepted; use one of %(allowed)s.")
                               % {"ext": ext or "?", "allowed": ", ".join(allowed)}})
    if uploaded.size is None or uploaded.size == 0:
        raise ValidationError({"file": _("The file is empty.")})
    if uploaded.size > limit:
        raise ValidationError({"file": _("The file is %(size)s bytes; the limit is %(limit)s.")
                               % {"size": uploaded.size, "limit": limit}})
    uploaded.seek(0)
    head = uploaded.read(16)
    uploaded.seek(0)
    kind = sniff(head, uploaded)
    if kind is None or _CONTENT_TYPES.get(kind) != _CONTENT_TYPES[ext]:
        raise ValidationError({"file": _("The content of %(name)s is not a valid %(ext)s file.")
                               % {"name": name, "ext": ext}})
    return get_valid_filename(name) or f"evidence.{ext}", _CONTENT_TYPES[ext]


EVIDENCE_EDITABLE = (S.DRAFT, S.RETURNED)


@transaction.atomic
def add_evidence(application: Application, *, user: Any, claim: str, uploaded_file: UploadedFile) -> Evidence:
    """Attach a file supporting ``claim``; only the enterprise, and only while the application is editable."""
    if claim not in EvidenceClaim.values:
        raise ValidationError({"claim": _("Unknown claim %(claim)s.") % {"claim": claim}})
    app = _lock(application)
    _require_member(user, app.enterprise)
    if app.status not in EVIDENCE_EDITABLE:
        raise ValidationError({"status": _("Evidence can be added only to a draft or returned application.")})
    name, content_type = validate_upload(uploaded_file)
    evidence = Evidence(application=app, claim=claim, original_name=name, content_type=content_type,
                        size=uploaded_file.size, uploaded_by=user)
    evidence.file.save(name, uploaded_file, save=False)
    try:
        with acting_as(user, context={"action": "add_evidence"}):
            evidence.save()
    except Exception:
        evidence.file.delete(save=False)
        raise
    return evidence


def missing_claims(application: Application, evidence: list[Evidence] | None = None) -> list[str]:
    """Claims the frozen assessment leans on that have no file yet (always the audited financial report)."""
    have = {e.claim for e in (evidence if evidence is not None else application.evidence.all())}
    wanted = [EvidenceClaim.FINANCIAL_REPORT]
    profile_claims = claims_for_assessment(application.assessment or {})
    wanted += [c for c in profile_claims if c not in wanted]
    return [c for c in wanted if c not in have]


# Indicator and direct-condition codes of the engine's result → the evidence claim that proves them.
CLAIM_FOR_CODE: dict[str, str] = {
    **dict.fromkeys(("ip", "class_i_ip", "class_i_applied", "invention_patents", "core_ip"),
                    EvidenceClaim.IP_CERTIFICATE),
    **dict.fromkeys(("quality", "certification"), EvidenceClaim.QUALITY_CERTIFICATION),
    "international_cert": EvidenceClaim.PRODUCT_CERTIFICATION,
    **dict.fromkeys(("sci_award", "sci_award_rank", "chuangke"), EvidenceClaim.AWARD),
    "honour": EvidenceClaim.HONOUR,
    "rd_institution": EvidenceClaim.RD_INSTITUTION,
    **dict.fromkeys(("equity_2y", "equity_3y"), EvidenceClaim.EQUITY_FINANCING),
    **dict.fromkeys(("national_share", "market_rank", "global_rank", "market_position"), EvidenceClaim.MARKET_SHARE),
}


def claims_for_assessment(assessment: dict[str, Any]) -> list[str]:
    """The claims behind the points and direct conditions the assessment credited."""
    codes = [str(i.get("code", "")) for i in assessment.get("indicators") or [] if i.get("points")]
    codes += [str(d.get("code", "")) if isinstance(d, dict) else str(d) for d in assessment.get("direct") or []]
    claims: list[str] = []
    for code in codes:
        claim = CLAIM_FOR_CODE.get(code)
        if claim and claim not in claims:
            claims.append(claim)
    return claims


# --- certifications ----------------------------------------------------------------------------------------


@transaction.atomic
def revoke_certification(certification: Certification, *, user: Any, cause: str, reason: str) -> Certification:
    """Revoke a certification with its cause (criteria.md §1.6); data fraud bars new applications for 3 years.

    The reason is shown to the enterprise. An open re-review of the revoked certification is rejected.
    """
    if cause not in RevocationCause.values:
        choices = ", ".join(RevocationCause.values)
        raise ValidationError({"cause": _("Choose one of: %(choices)s.") % {"choices": choices}})
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("A reason is required to revoke a certification.")})
    cert = Certification.objects.select_for_update(of=("self",)).select_related("enterprise__region").get(
        pk=certification.pk)
    _require_provincial(user, cert.enterprise)
    if cert.status != CertificationStatus.ACTIVE:
        raise ValidationError({"status": _("Only an active certification can be revoked; this one is %(status)s.")
                               % {"status": cert.get_status_display()}})
    today = timezone.localdate()
    with acting_as(user, reason=reason, context={"action": "revoke", "cause": cause}):
        cert.status = CertificationStatus.REVOKED
        cert.revoked_on = today
        cert.revocation_cause = cause
        cert.revocation_reason = reason
        cert.save()
        if cause == RevocationCause.DATA_FRAUD:
            enterprise = Enterprise.objects.select_for_update().get(pk=cert.enterprise_id)
            before = {"banned_until": enterprise.banned_until.isoformat() if enterprise.banned_until else None}
            until = add_years(today, _setting("FRAUD_BAN_YEARS"))
            Enterprise.objects.filter(pk=enterprise.pk).update(banned_until=until)
            record(enterprise, AuditAction.UPDATE, before=before, after={"banned_until": until.isoformat()},
                   reason=reason)
            cert.enterprise.banned_until = until
    for app in Application.objects.select_for_update(of=("self",)).select_related("enterprise__region").filter(
        certification=cert, kind=ApplicationKind.REREVIEW, status__in=OPEN_STATUSES
    ):
        _transition(app, user=user, rule=None, action=Action.REJECT, to_status=S.REJECTED,
                    reason=_("The certification under re-review was revoked: %(reason)s") % {"reason": reason},
                    decided_at=timezone.now())
    refresh_current_tier([cert.enterprise_id], on=today)
    subject = _("%(tier)s certification revoked") % {"tier": cert.get_tier_display()}
    body = _("Cause: %(cause)s\nReason: %(reason)s") % {"cause": cert.get_revocation_cause_display(),
                                                         "reason": reason}
    if cause == RevocationCause.DATA_FRAUD:
        body += "\n" + _("No new application may be made before %(date)s.") % {"date": cert.enterprise.banned_until}
    transaction.on_commit(lambda: _notify_members(cert.enterprise_id, f"certification:{cert.pk}:revoked",
                                                  "certification_revoked", subject, body))
    return cert


@transaction.atomic
def decide_demotion(proposal: DemotionProposal, *, user: Any, accept: bool, reason: str) -> DemotionProposal:
    """A reviewer's answer to a demotion proposal: accept (revoke with cause demotion) or dismiss."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("A reason is required.")})
    proposal = DemotionProposal.objects.select_for_update(of=("self",)).select_related(
        "enterprise__region", "certification").get(pk=proposal.pk)
    _require_provincial(user, proposal.enterprise)
    if proposal.status != DemotionStatus.OPEN:
        raise ValidationError({"status": _("This proposal was already decided.")})
    if accept:
        revoke_certification(proposal.certification, user=user, cause=RevocationCause.DEMOTION, reason=reason)
    with acting_as(user, reason=reason):
        proposal.status = DemotionStatus.ACCEPTED if accept else DemotionStatus.DISMISSED
        proposal.decided_by = user
        proposal.decided_at = timezone.now()
        proposal.decision_reason = reason
        proposal.save()
    return proposal


# --- quotas ------------------------------------------------------------------------------------------------


@transaction.atomic
def set_city_quota(*, city: Any, tier: str, year: int, quota: int, user: Any) -> CityQuota:
    """Set how many new applications ``city`` may pass for ``tier`` in ``year`` (provincial reviewers)."""
    from enterprises.models import Region

    if tier not in Tier.values:
        raise ValidationError({"tier": _("Unknown tier %(tier)s.") % {"tier": tier}})
    if not isinstance(city, Region):
        city = Region.objects.filter(code=str(city)).first()
    if city is None or city.level != "city":
        raise ValidationError({"city": _("Choose a city.")})
    if quota is None or int(quota) < 0:
        raise ValidationError({"quota": _("The quota cannot be negative.")})
    if not getattr(user, "is_authenticated", False):
        raise PermissionDenied(_("Log in first."))
    reviewer = reviewer_of(user)
    if not user.is_superuser and not (
        reviewer is not None and reviewer.level == "province" and user.is_staff and reviewer.region.contains(city)
    ):
        raise PermissionDenied(_("Only a provincial reviewer may set city quotas."))
    row = CityQuota.objects.select_for_update().filter(city=city, tier=tier, year=int(year)).first()
    with acting_as(user):
        if row is None:
            row = CityQuota(city=city, tier=tier, year=int(year), quota=int(quota))
        row.quota = int(quota)
        row.save()
    return row
