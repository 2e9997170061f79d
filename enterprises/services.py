"""The writers of enterprise data. The admin, the API, the portal and imports all call these, so every path
validates the same way, records the same audit trail and flags the enterprise for re-scoring.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from .audit import acting_as
from .models import Declaration, Enterprise, FinancialYear, Membership, MembershipRole, Region
from .profiles import DECLARATION_GROUPS
from .validators import normalize_uscc

# Model attribute → profile.md path, so errors from model validation name the field the client sent.
DECLARATION_PATHS: dict[str, str] = {
    attname: f"{group}.{key}" for group, mapping in DECLARATION_GROUPS.items() for key, attname in mapping.items()
}


def _rename_errors(exc: ValidationError, names: dict[str, str]) -> ValidationError:
    if not hasattr(exc, "error_dict"):
        return exc
    return ValidationError({names.get(field, field): errors for field, errors in exc.error_dict.items()})


def derive_size_class(enterprise: Enterprise) -> str:
    """Size class from the latest year with both a declaration (employees) and a financial row (revenue)."""
    from evaluation.engine import size_class as engine_size_class

    revenue_by_year = dict(enterprise.financials.values_list("year", "operating_revenue"))
    for year, employees in enterprise.declarations.order_by("-year").values_list("year", "employees"):
        if year in revenue_by_year:
            return engine_size_class(enterprise.sector, employees, revenue_by_year[year])
    return ""


def _after_figures_change(enterprise: Enterprise) -> None:
    size = derive_size_class(enterprise)
    Enterprise.objects.filter(pk=enterprise.pk).update(size_class=size, needs_rescore=True)
    enterprise.size_class, enterprise.needs_rescore = size, True


@transaction.atomic
def save_financials(
    enterprise: Enterprise, year: int, data: dict[str, Any], *, reason: str = ""
) -> tuple[FinancialYear, bool]:
    """Create or replace the financial row of ``year``. Returns (row, created)."""
    row = FinancialYear.objects.select_for_update().filter(enterprise=enterprise, year=year).first()
    created = row is None
    if created:
        row = FinancialYear(enterprise=enterprise, year=year)
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
    their stored values.
    """
    row = Declaration.objects.select_for_update().filter(enterprise=enterprise, year=year).first()
    created = row is None
    if created or replace:
        fresh = Declaration(enterprise=enterprise, year=year)
        if not created:
            fresh.pk = row.pk
            fresh._state.adding = False
            fresh._audit_loaded = row._audit_loaded
        row = fresh
    for name, value in data.items():
        if name in ("id", "enterprise", "enterprise_id", "year"):
            continue
        setattr(row, name, value)
    try:
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
    for name in editable:
        if name in data:
            setattr(enterprise, name, data[name])
    enterprise.full_clean(validate_unique=False)
    enterprise._audit_reason = reason
    enterprise.save()
    if "sector" in data:
        _after_figures_change(enterprise)
    return enterprise


def refresh_size_classes(enterprise_ids: Iterable[int]) -> None:
    """Bulk ``derive_size_class`` for imports: two reads, one update per size class, and the re-score flag set."""
    from evaluation.engine import size_class as engine_size_class

    ids = list(enterprise_ids)
    if not ids:
        return
    revenue = {(e, y): r for e, y, r in FinancialYear.objects.filter(enterprise_id__in=ids).values_list(
        "enterprise_id", "year", "operating_revenue")}
    sectors = dict(Enterprise.objects.filter(pk__in=ids).values_list("pk", "sector"))
    sizes: dict[int, str] = {}
    for enterprise_id, year, employees in Declaration.objects.filter(enterprise_id__in=ids).order_by(
        "enterprise_id", "-year"
    ).values_list("enterprise_id", "year", "employees"):
        if enterprise_id not in sizes and (enterprise_id, year) in revenue:
            sizes[enterprise_id] = engine_size_class(sectors[enterprise_id], employees, revenue[(enterprise_id, year)])
    by_size: dict[str, list[int]] = {}
    for pk in ids:
        by_size.setdefault(sizes.get(pk, ""), []).append(pk)
    for size, pks in by_size.items():
        for start in range(0, len(pks), 5000):
            Enterprise.objects.filter(pk__in=pks[start:start + 5000]).update(size_class=size, needs_rescore=True)
