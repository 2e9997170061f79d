"""On-site checks (实地核查): a county or city reviewer's visit, its findings per checklist item and its evidence.

A visit with any item "not as declared" fails; an unresolved failed check blocks recommendation (the approve
decision; ``require_no_unresolved_failure`` is a guard of the workflow table) until a reviewer of that level or
above resolves it with a reason. Photos and documents go through the same upload rules as evidence.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.audit import acting_as
from core.roles import reviewer_of

from . import workflow
from .evidence import validate_upload
from .models import (
    Application,
    ApplicationStatus,
    FindingResult,
    OnsiteCheck,
    OnsiteEvidence,
    OnsiteFinding,
    OnsiteOutcome,
)
from .transitions import lock
from .workflow import Role

S = ApplicationStatus

# The checklist: what a visit verifies against the application (code, label).
CHECKLIST: tuple[tuple[str, Any], ...] = (
    ("premises", gettext_lazy("Registered address and production premises exist and are in use")),
    ("main_business", gettext_lazy("Main products and business match the application")),
    ("figures", gettext_lazy("Financial figures agree with the audited report and tax records")),
    ("rd", gettext_lazy("R&D staff, institution and spending are as declared")),
    ("ip", gettext_lazy("Patents and other IP are held and applied in the products")),
    ("certifications", gettext_lazy("Quality and product certifications are valid")),
    ("compliance", gettext_lazy("No safety, environmental or quality incident on site")),
)
CHECKLIST_CODES = tuple(code for code, _label in CHECKLIST)
# Who records a visit: the county or city reviewer of the stage the application is in.
VISIT_STATES = {S.COUNTY_REVIEW: Role.COUNTY, S.CITY_REVIEW: Role.CITY}
LEVEL_ORDER = (Role.COUNTY, Role.CITY, Role.PROVINCE)


def _visiting_level(user: Any, app: Application) -> str:
    """The level (county or city) at which ``user`` may record a visit to ``app`` now, or the refusal."""
    level = VISIT_STATES.get(app.status)
    if level is None:
        raise ValidationError({"status": _("On-site checks are recorded during county or city review.")})
    if level not in workflow.roles_of(user, app) or workflow.is_member(user, app):
        raise PermissionDenied(_("Only a %(level)s reviewer of the enterprise's region may record this visit.")
                               % {"level": Role(level).label})
    return level


def clean_findings(findings: dict[str, Any]) -> dict[str, tuple[str, str]]:
    """{item: (result, note)} for every checklist item; a failed item needs a note saying what was found."""
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, tuple[str, str]] = {}
    for code in CHECKLIST_CODES:
        entry = findings.get(code)
        result, note = (entry, "") if isinstance(entry, str) else ((entry or {}).get("result"),
                                                                   (entry or {}).get("note", ""))
        note = (note or "").strip()
        if result not in FindingResult.values:
            errors[code] = [_("Choose one of: %(choices)s.") % {"choices": ", ".join(FindingResult.values)}]
        elif result == FindingResult.FAIL and not note:
            errors[code] = [_("Say what was found.")]
        else:
            cleaned[code] = (result, note)
    for code in sorted(set(findings) - set(CHECKLIST_CODES)):
        errors[code] = [_("Not an item of the checklist.")]
    if errors:
        raise ValidationError(errors)
    return cleaned


@transaction.atomic
def record_visit(application: Application, *, user: Any, visited_on: datetime.date, visitors: str,
                 findings: dict[str, Any], files: list[UploadedFile] | tuple = (), summary: str = "") -> OnsiteCheck:
    """Record a visit with a finding per checklist item and its evidence files; failed when any item failed."""
    app = lock(application)
    level = _visiting_level(user, app)
    errors: dict[str, list[str]] = {}
    if not isinstance(visited_on, datetime.date):
        errors["visited_on"] = [_("Enter the date of the visit.")]
    elif visited_on > timezone.localdate():
        errors["visited_on"] = [_("The visit date cannot be in the future.")]
    visitors = (visitors or "").strip()
    if not visitors:
        errors["visitors"] = [_("Name who made the visit.")]
    try:
        cleaned = clean_findings(findings or {})
    except ValidationError as exc:
        errors.update(exc.message_dict)
    checked_files = []
    for uploaded in files:
        try:
            checked_files.append((uploaded, *validate_upload(uploaded)))
        except ValidationError as exc:
            errors.setdefault("file", []).extend(f"{uploaded.name}: {m}" for m in exc.messages)
    if errors:
        raise ValidationError(errors)
    failed = any(result == FindingResult.FAIL for result, _note in cleaned.values())
    stored = []
    try:
        with acting_as(user, context={"action": "record_onsite_check", "application": app.pk}):
            check = OnsiteCheck.objects.create(
                application=app, level=level, visited_on=visited_on, visitors=visitors[:300],
                summary=(summary or "").strip(), outcome=OnsiteOutcome.FAILED if failed else OnsiteOutcome.PASSED,
                recorded_by=user,
            )
            OnsiteFinding.objects.bulk_create(
                [OnsiteFinding(check_record=check, item=code, result=result, note=note)
                 for code, (result, note) in cleaned.items()])
            for uploaded, name, content_type in checked_files:
                item = OnsiteEvidence(check_record=check, original_name=name, content_type=content_type,
                                      size=uploaded.size, uploaded_by=user)
                item.file.save(name, uploaded, save=False)
                stored.append(item)
                item.save()
    except Exception:
        for item in stored:
            item.file.delete(save=False)
        raise
    return check


@transaction.atomic
def resolve_failure(check: OnsiteCheck, *, user: Any, reason: str) -> OnsiteCheck:
    """A reviewer of the check's level or above, in the enterprise's region, resolves a failed check."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Give the reason the failed check is resolved.")})
    locked = OnsiteCheck.objects.select_for_update(of=("self",)).select_related("application__enterprise__region") \
        .get(pk=check.pk)
    if locked.outcome != OnsiteOutcome.FAILED:
        raise ValidationError({"outcome": _("Only a failed check can be resolved.")})
    app = locked.application
    levels = workflow.roles_of(user, app)
    allowed = LEVEL_ORDER[LEVEL_ORDER.index(locked.level):]
    if workflow.is_member(user, app) or not any(level in levels for level in allowed):
        raise PermissionDenied(_("Only a reviewer of the check's level or above, in the enterprise's region, "
                                 "may resolve it."))
    locked.outcome = OnsiteOutcome.RESOLVED
    locked.resolution_reason = reason
    locked.resolved_by = user
    locked.resolved_at = timezone.now()
    locked._audit_reason = reason
    with acting_as(user, reason=reason, context={"action": "resolve_onsite_check", "application": app.pk}):
        locked.save()
    return locked


def unresolved_failures(app: Application):  # noqa: ANN201 (a queryset of OnsiteCheck)
    return OnsiteCheck.objects.filter(application_id=app.pk, outcome=OnsiteOutcome.FAILED)


def require_no_unresolved_failure(app: Application) -> None:
    """Guard of recommendation: no failed on-site check of this application is left unresolved."""
    failed = list(unresolved_failures(app).order_by("visited_on"))
    if failed:
        raise ValidationError({"action": _("The on-site check of %(date)s failed: resolve it, with a reason, "
                                           "before recommending.") % {"date": failed[0].visited_on}})


def may_record(user: Any, app: Application) -> bool:
    try:
        _visiting_level(user, app)
    except (ValidationError, PermissionDenied):
        return False
    return True


def reviewer_level(user: Any) -> str | None:
    reviewer = reviewer_of(user)
    return reviewer.level if reviewer is not None else None
