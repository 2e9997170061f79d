"""Change requests: the one path by which an enterprise's locked routing fields change (``locks``).

A member files a request naming the new values and the reason; a reviewer whose region contains the
enterprise's *current* region approves or rejects it (a superuser may too). Approval applies the change through
``services.apply_change_request`` in the same transaction. Every step is audited and the request is kept.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import acting_as
from core.roles import reviewer_of

from . import services
from .models import (
    ChangeRequest,
    ChangeRequestKind,
    ChangeRequestStatus,
    Enterprise,
    Membership,
    Region,
    Sector,
)

# What a change request may change: the routing fields, by the names clients send.
CHANGEABLE = ("name", "region_code", "sector", "established_year")


def _current(enterprise: Enterprise) -> dict[str, Any]:
    return {"name": enterprise.name, "region_code": enterprise.region_id, "sector": enterprise.sector,
            "established_year": enterprise.established_year}


def _clean_changes(enterprise: Enterprise, changes: Any) -> dict[str, Any]:
    if not isinstance(changes, dict) or not changes:
        raise ValidationError({"changes": [_("Name at least one field to change.")]})
    errors: dict[str, list[str]] = {}
    unknown = [k for k in changes if k not in CHANGEABLE]
    if unknown:
        errors["changes"] = [_("These fields are not changed by a change request: %(fields)s.")
                             % {"fields": ", ".join(map(str, unknown))}]
    current, cleaned = _current(enterprise), {}
    for key in CHANGEABLE:
        if key not in changes:
            continue
        value = changes[key]
        if key == "region_code":
            value = str(value)
            if not Region.objects.filter(code=value).exists():
                errors[f"changes.{key}"] = [_("Unknown region code.")]
        elif key == "sector" and value not in Sector.values:
            errors[f"changes.{key}"] = [_("Unknown sector.")]
        elif key == "established_year":
            if isinstance(value, bool) or not isinstance(value, int):
                errors[f"changes.{key}"] = [_("A whole year is required.")]
        elif key == "name" and (not isinstance(value, str) or not value.strip() or len(value) > 200):
            errors[f"changes.{key}"] = [_("A name of 1 to 200 characters is required.")]
        if value == current[key]:
            errors.setdefault(f"changes.{key}", []).append(_("This is already the current value."))
        cleaned[key] = value.strip() if isinstance(value, str) else value
    if errors:
        raise ValidationError(errors)
    probe = Enterprise.objects.get(pk=enterprise.pk)
    for key, value in cleaned.items():
        setattr(probe, "region_id" if key == "region_code" else key, value)
    try:
        probe.full_clean(validate_unique=False)
    except ValidationError as exc:
        raise ValidationError({f"changes.{'region_code' if k == 'region' else k}": v
                               for k, v in exc.message_dict.items()})
    return cleaned


@transaction.atomic
def file_change_request(enterprise: Enterprise, *, user: Any, kind: str, changes: Any, reason: str) -> ChangeRequest:
    """A member (or registry staff) reports a major change; it waits for a reviewer of the current region."""
    enterprise = Enterprise.objects.select_for_update().get(pk=enterprise.pk)
    errors: dict[str, list[str]] = {}
    if kind not in ChangeRequestKind.values:
        errors["kind"] = [_("Unknown kind of change.")]
    if not (reason or "").strip():
        errors["reason"] = [_("Say what changed and why.")]
    if ChangeRequest.objects.filter(enterprise=enterprise, status=ChangeRequestStatus.PENDING).exists():
        errors["non_field_errors"] = [_("A change request of this enterprise is already pending.")]
    try:
        cleaned = _clean_changes(enterprise, changes)
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if errors:
        raise ValidationError(errors)
    request = ChangeRequest(enterprise=enterprise, kind=kind, changes=cleaned, reason=reason.strip(),
                            before={k: _current(enterprise)[k] for k in cleaned}, region_id=enterprise.region_id,
                            filed_by=user if getattr(user, "is_authenticated", False) else None)
    with acting_as(user, reason=_("Change request filed")):
        request.save()
    return request


def may_decide(user: Any, request: ChangeRequest) -> bool:
    """A reviewer whose region contains the enterprise's current region, or a superuser."""
    if getattr(user, "is_superuser", False):
        return True
    reviewer = reviewer_of(user)
    return reviewer is not None and reviewer.region.contains(request.enterprise.region)


@transaction.atomic
def decide_change_request(request: ChangeRequest, *, user: Any, approve: bool, reason: str = "") -> ChangeRequest:
    """Approve (and apply) or reject a pending change request."""
    request = ChangeRequest.objects.select_for_update().select_related("enterprise__region").get(pk=request.pk)
    if not may_decide(user, request):
        raise PermissionDenied(_("Only a reviewer of the enterprise's current region decides its change requests."))
    if request.status != ChangeRequestStatus.PENDING:
        raise ValidationError({"status": [_("This change request is already decided.")]})
    if not approve and not (reason or "").strip():
        raise ValidationError({"reason": [_("Give the reason for rejecting it.")]})
    request.status = ChangeRequestStatus.APPROVED if approve else ChangeRequestStatus.REJECTED
    request.decided_by, request.decided_at, request.decision_reason = user, timezone.now(), reason
    with acting_as(user, reason=reason or _("Change request approved")):
        request.save()
        if approve:
            services.apply_change_request(
                request, reason=_("Change request #%(id)s approved") % {"id": request.pk})
    return request


def may_file(user: Any, enterprise: Enterprise) -> bool:
    if getattr(user, "is_superuser", False):
        return True
    return Membership.objects.filter(user=user, enterprise=enterprise).exists()
