"""The writers of enterprise data. The admin, the API, the portal and imports all call these, so every path
validates the same way, records the same audit trail and flags the enterprise for re-scoring.
"""

from __future__ import annotations

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from core.audit import acting_as

from . import locks, signals
from .models import DECLARATION_GROUPS, Declaration, Enterprise, FinancialYear, Membership, MembershipRole, Region
from .validators import normalize_uscc

# Model attribute → profile.md path, so errors from model validation name the field the client sent.
DECLARATION_PATHS: dict[str, str] = {
    attname: f"{group}.{key}" for group, mapping in DECLARATION_GROUPS.items() for key, attname in mapping.items()
}


def _declaration_values() -> list[str]:
    """Every stored value of a declaration (what a reviewer judged), by attribute."""
    skip = {"id", "enterprise_id", "year", "created_at", "updated_at"}
    return [f.attname for f in Declaration._meta.concrete_fields if f.attname not in skip]


def _rename_errors(exc: ValidationError, names: dict[str, str]) -> ValidationError:
    if not hasattr(exc, "error_dict"):
        return exc
    return ValidationError({names.get(field, field): errors for field, errors in exc.error_dict.items()})


def figures_changed(enterprise_ids: Iterable[int]) -> None:
    """After anything an evaluation reads changed (figures, a declaration, one of ``Enterprise.PROFILE_FIELDS``):
    flag the enterprises for re-scoring, bump their ``figures_version`` (what lets a re-score skip unchanged
    enterprises without reading them) and tell the layers above (``signals.figures_changed``: the evaluation
    layer derives the size class), in the caller's transaction."""
    ids = list(enterprise_ids)
    if not ids:
        return
    for start in range(0, len(ids), 5000):
        Enterprise.objects.filter(pk__in=ids[start:start + 5000]).update(
            needs_rescore=True, figures_version=F("figures_version") + 1
        )
    signals.figures_changed.send(sender=Enterprise, enterprise_ids=ids)


def region_changed(moves: dict[int, tuple[str, str]]) -> None:
    """Tell the layers above which enterprises moved region (``signals.region_changed``), in the caller's
    transaction."""
    moves = {pk: (old, new) for pk, (old, new) in moves.items() if old != new}
    if moves:
        signals.region_changed.send(sender=Enterprise, moves=moves)


def _after_figures_change(enterprise: Enterprise) -> None:
    figures_changed([enterprise.pk])
    enterprise.size_class, enterprise.needs_rescore = (
        Enterprise.objects.filter(pk=enterprise.pk).values_list("size_class", "needs_rescore").get()
    )


@transaction.atomic
def save_financials(
    enterprise: Enterprise, year: int, data: dict[str, Any], *, reason: str = ""
) -> tuple[FinancialYear, bool]:
    """Create or replace the financial row of ``year``. Returns (row, created)."""
    row = FinancialYear.objects.select_for_update().filter(enterprise=enterprise, year=year).first()
    created = row is None
    if created:
        row = FinancialYear(enterprise=enterprise, year=year)
    locks.check_figures(enterprise, "financials", year, [
        name for name in FinancialYear.PROFILE_FIELDS
        if name in data and (created or _differs(getattr(row, name), data[name]))
    ])
    for name in FinancialYear.PROFILE_FIELDS:
        if name in data:
            setattr(row, name, data[name])
    row.full_clean(validate_unique=False)
    row._audit_reason = reason
    row.save()
    _after_figures_change(enterprise)
    return row, created


@transaction.atomic
def save_declaration(
    enterprise: Enterprise, year: int, data: dict[str, Any], *, reason: str = "", replace: bool = True
) -> tuple[Declaration, bool]:
    """Create or update the declaration of ``year`` from model attribute values.

    With ``replace`` (PUT) attributes not given return to their defaults; without it (PATCH, forms) they keep
    their stored values. The reviewers' ``confirmations`` are not the enterprise's to set (``confirmations.judge``
    writes them); a declared item whose value changes loses its verdict, which held for the value judged.
    """
    row = Declaration.objects.select_for_update().filter(enterprise=enterprise, year=year).first()
    created = row is None
    before = None if created else {f: getattr(row, f) for f in _declaration_values()}
    if created or replace:
        fresh = Declaration(enterprise=enterprise, year=year)
        if not created:
            fresh.pk = row.pk
            fresh._state.adding = False
            fresh._audit_loaded = row._audit_loaded
            fresh.confirmations = row.confirmations
        row = fresh
    for name, value in data.items():
        if name in ("id", "enterprise", "enterprise_id", "year", "confirmations"):
            continue
        setattr(row, name, value)
    row.drop_stale_confirmations(before)
    try:
        locks.check_figures(enterprise, "declaration", year, [
            f for f in _declaration_values()
            if f != "confirmations" and (before is None or _differs(before[f], getattr(row, f)))
        ])
        row.full_clean(validate_unique=False)
    except ValidationError as exc:
        raise _rename_errors(exc, DECLARATION_PATHS)
    row._audit_reason = reason
    row.save()
    _after_figures_change(enterprise)
    return row, created


@transaction.atomic
def register_enterprise(
    *, username: str, password: str, email: str, enterprise: dict[str, Any]
) -> tuple[Any, Enterprise]:
    """Create a user, its enterprise and the owner membership in one step (sign-up)."""
    User = get_user_model()
    errors: dict[str, list[str]] = {}
    if User.objects.filter(username__iexact=username).exists():
        errors["username"] = [_("This username is taken.")]
    candidate = User(username=username, email=email)
    try:
        validate_password(password, candidate)
    except ValidationError as exc:
        errors["password"] = list(exc.messages)
    code = normalize_uscc(enterprise.get("uscc", ""))
    region = Region.objects.filter(code=enterprise.get("region_code")).first()
    if region is None:
        errors["enterprise.region_code"] = [_("Unknown region code.")]
    company = Enterprise(
        uscc=code, name=enterprise.get("name", ""), region=region, sector=enterprise.get("sector") or "industry",
        established_year=enterprise.get("established_year"),
    )
    try:
        company.full_clean(exclude=["region"] if region is None else None)
    except ValidationError as exc:
        for field, messages in exc.message_dict.items():
            errors[f"enterprise.{field}"] = messages
    if errors:
        raise ValidationError(errors)
    user = User.objects.create_user(username=username, password=password, email=email)
    with acting_as(user, reason=_("Sign-up")):
        company.save()
        Membership.objects.create(user=user, enterprise=company, role=MembershipRole.OWNER)
    return user, company


@transaction.atomic
def update_enterprise(enterprise: Enterprise, data: dict[str, Any], *, reason: str = "") -> Enterprise:
    """Change an enterprise's own details (not its USCC, tier or size class, which are not entered)."""
    editable = ("name", "sector", "established_year", "established_on", "address", "contact_name",
                "contact_phone", "contact_email", "region")
    Enterprise.objects.select_for_update().filter(pk=enterprise.pk).values_list("pk").first()
    changed = [name for name in editable if name in data and _differs(getattr(enterprise, name), data[name])]
    locks.check_details(enterprise, changed, names=locks.ROUTING_FIELDS)
    return _write_details(enterprise, {name: data[name] for name in changed}, reason=reason)


def _differs(old: Any, new: Any) -> bool:
    if hasattr(old, "pk") or hasattr(new, "pk"):
        return getattr(old, "pk", old) != getattr(new, "pk", new)
    if old is None or new is None:
        return old is not new
    try:
        if isinstance(old, int | float | Decimal) and isinstance(new, int | float | Decimal | str):
            return Decimal(str(old)) != Decimal(str(new))
    except ArithmeticError:
        return True
    return old != new


def apply_change_request(change_request: Any, *, reason: str = "") -> Enterprise:
    """Apply an approved change request's changes to its enterprise: the one path by which locked fields change.
    Called by ``change_requests.decide_change_request`` in its transaction."""
    if change_request.status != "approved":
        raise ValueError("only an approved change request is applied")
    enterprise = Enterprise.objects.select_for_update().get(pk=change_request.enterprise_id)
    data = dict(change_request.changes)
    if "region_code" in data:
        data["region"] = Region.objects.get(code=data.pop("region_code"))
    return _write_details(enterprise, data, reason=reason)


def _write_details(enterprise: Enterprise, data: dict[str, Any], *, reason: str) -> Enterprise:
    region_before = enterprise.region_id
    for name, value in data.items():
        setattr(enterprise, name, value)
    enterprise.full_clean(validate_unique=False)
    enterprise._audit_reason = reason
    enterprise.save()
    region_changed({enterprise.pk: (region_before, enterprise.region_id)})
    if any(name in data for name in Enterprise.PROFILE_FIELDS):
        _after_figures_change(enterprise)
    return enterprise


@transaction.atomic
def save_enterprise(enterprise: Enterprise, *, reason: str = "") -> Enterprise:
    """Create or update an enterprise from a populated instance (the admin's form): validated, audited, and
    flagged for re-scoring when one of its ``PROFILE_FIELDS`` (the sector decides the size table) changed."""
    profile_changed = True
    region_before = None
    if enterprise.pk is not None:
        stored = Enterprise.objects.select_for_update().filter(pk=enterprise.pk).first()
        if stored is not None:
            region_before = stored.region_id
            profile_changed = any(_differs(getattr(stored, name), getattr(enterprise, name))
                                  for name in Enterprise.PROFILE_FIELDS)
            locks.check_details(stored, [name for name in locks.ROUTING_FIELDS
                                         if _differs(getattr(stored, name), getattr(enterprise, name))])
    enterprise.full_clean(validate_unique=False)
    enterprise._audit_reason = reason
    enterprise.save()
    if region_before is not None:
        region_changed({enterprise.pk: (region_before, enterprise.region_id)})
    if profile_changed:
        _after_figures_change(enterprise)
    return enterprise


@transaction.atomic
def delete_figures(row: FinancialYear | Declaration, *, reason: str = "") -> None:
    """Delete one year's financial row or declaration (audited), and flag the enterprise for re-scoring."""
    enterprise = row.enterprise
    kind = "financials" if isinstance(row, FinancialYear) else "declaration"
    fields = FinancialYear.PROFILE_FIELDS if kind == "financials" else _declaration_values()
    locks.check_figures(enterprise, kind, row.year, fields)
    row._audit_reason = reason
    row.delete()
    _after_figures_change(enterprise)


@transaction.atomic
def set_membership(enterprise: Enterprise, user: Any, role: str, *, reason: str = "") -> Membership:
    """Add ``user`` to the enterprise with ``role``, or change their role (audited)."""
    membership = Membership.objects.select_for_update().filter(enterprise=enterprise, user=user).first()
    if membership is None:
        membership = Membership(enterprise=enterprise, user=user)
    membership.role = role
    membership.full_clean(validate_unique=False)
    membership._audit_reason = reason
    membership.save()
    return membership


@transaction.atomic
def remove_membership(membership: Membership, *, reason: str = "") -> None:
    membership._audit_reason = reason
    membership.delete()
