"""Applications from draft to decision: create, submit, withdraw, the reviewers' decisions, publicity's close and
MIIT's outcome.

Every service is one transaction: it locks the row it changes, asks the workflow table (``registry/workflow.py``)
whether the user may take the step, and moves it with ``transitions.transition`` (row, history entry and audit
entry; notifications queued after commit). The admin, the API, the portal and the scheduled jobs all call these
functions; none of them sets a status field.
"""

from __future__ import annotations

import datetime
import logging
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import acting_as
from core.validators import figures_year
from enterprises.models import Enterprise, Tier
from evaluation import engine
from evaluation.profiles import ProfileUnavailable
from evaluation.services import evaluate_enterprise, store_assessments
from evaluation.versions import get_ruleset_version

from . import announcements, dashboard_summary, workflow
from .access import require_member
from .certifications import grant
from .eligibility import Situation, judge, prerequisites
from .models import (
    OPEN_STATUSES,
    Application,
    ApplicationKind,
    ApplicationStatus,
    Certification,
    CertificationStatus,
    Objection,
)
from .quotas import check_quota
from .transitions import lock, require_reason, setting, transition
from .workflow import Action

logger = logging.getLogger(__name__)
S = ApplicationStatus


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
    year = figures_year(year)
    enterprise = Enterprise.objects.select_for_update().select_related("region").get(pk=enterprise.pk)
    require_member(user, enterprise)
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
            dashboard_summary.application_moved(app, None, app.status)
    except IntegrityError:
        raise ValidationError({"tier": _("An application for this tier is already open.")})
    return app

def workflow_prerequisite(tier: str) -> dict[str, Any] | None:
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
    app = lock(application)
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
    transition(
        app, user=user, rule=rule, action=action, to_status=workflow.first_stage(app.tier),
        ruleset=version, assessment=assessment, input_digest=evaluated.digest,
        flagged=assessment.get("status") == "failed", submitted_at=timezone.now(), publicity_ends_on=None,
        decided_at=None,
    )
    return app

@transaction.atomic
def withdraw(application: Application, *, user: Any, reason: str = "") -> Application:
    """The enterprise takes its application back (any time before a final decision or MIIT's)."""
    app = lock(application)
    rule = workflow.check(user, app, Action.WITHDRAW)
    transition(app, user=user, rule=rule, action=Action.WITHDRAW, to_status=S.WITHDRAWN,
                reason=(reason or "").strip(), decided_at=timezone.now())
    return app

@transaction.atomic
def decide(application: Application, *, user: Any, action: str, reason: str = "") -> Application:
    """A reviewer's decision: approve (to the next stage), return (to the enterprise), reject, or object
    during publicity (back to provincial review). Return, reject and object need a reason."""
    if action not in workflow.DECISIONS:
        raise ValidationError({"action": _("Choose one of: %(choices)s.") % {
            "choices": ", ".join(workflow.DECISIONS)}})
    reason = (reason or "").strip()
    app = lock(application)
    rule = workflow.check(user, app, action)
    if rule.reason_required:
        reason = require_reason(reason, action)
    fields: dict[str, Any] = {}
    if action == Action.APPROVE:
        check_quota(app)
        target = workflow.next_stage(app.tier, app.status, app.ruleset)
        if target == S.PUBLICITY:
            fields["publicity_ends_on"] = timezone.localdate() + datetime.timedelta(days=setting("PUBLICITY_DAYS"))
    else:
        target = rule.target
        if target in (S.REJECTED,):
            fields["decided_at"] = timezone.now()
        if action == Action.OBJECT:
            fields["publicity_ends_on"] = None
    transition(app, user=user, rule=rule, action=action, to_status=target, reason=reason, **fields)
    return app

@transaction.atomic
def close_publicity(application: Application, *, on: datetime.date | None = None) -> Application:
    """The publicity period is over and no confirmed objection is undecided: certify, and put the enterprise on
    the round's announcement (the daily job calls this)."""
    on = on or timezone.localdate()
    app = lock(application)
    rule = workflow.check_system(app, Action.CLOSE_PUBLICITY)
    if app.publicity_ends_on is not None and on <= app.publicity_ends_on:
        raise ValidationError({"publicity_ends_on": _("Publicity runs until %(date)s.")
                               % {"date": app.publicity_ends_on}})
    pending = list(Objection.objects.filter(application=app).open().values_list("reference", flat=True))
    if pending:
        raise ValidationError({"objections": _("Objections %(refs)s are not decided yet.")
                               % {"refs": ", ".join(pending)}})
    reason = _("Publicity ended on %(date)s without an upheld objection.") % {"date": app.publicity_ends_on}
    cert = grant(app, on, reason)
    transition(app, user=None, rule=rule, action=Action.CLOSE_PUBLICITY, to_status=S.CERTIFIED, reason=reason,
                certification=cert, decided_at=timezone.now())
    announcements.announce(app, cert, on)
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
            # An objection not decided yet, or changed meanwhile (a withdrawal, another run got there first).
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
    app = lock(application)
    rule = workflow.check(user, app, Action.NATIONAL_OUTCOME)
    if outcome == S.REJECTED:
        reason = require_reason(reason, Action.NATIONAL_OUTCOME)
        transition(app, user=user, rule=rule, action=Action.NATIONAL_OUTCOME, to_status=S.REJECTED, reason=reason,
                    decided_at=timezone.now())
        return app
    cert = grant(app, timezone.localdate(), reason or _("Certified by MIIT."))
    transition(app, user=user, rule=rule, action=Action.NATIONAL_OUTCOME, to_status=S.CERTIFIED, reason=reason,
                certification=cert, decided_at=timezone.now())
    return app
