"""Who may act on an enterprise's behalf, or decide on it: the checks services make before they write."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from core.roles import reviewer_of
from enterprises.models import Enterprise


def require_member(user: Any, enterprise: Enterprise) -> None:
    if not getattr(user, "is_authenticated", False):
        raise PermissionDenied(_("Log in first."))
    if user.is_superuser:
        return
    if not enterprise.memberships.filter(user=user).exists():
        raise PermissionDenied(_("Only the enterprise's own users may do this."))

def require_provincial(user: Any, enterprise: Enterprise) -> None:
    """A provincial reviewer whose region holds the enterprise (and not its member), or a superuser."""
    if not getattr(user, "is_authenticated", False):
        raise PermissionDenied(_("Log in first."))
    if enterprise.memberships.filter(user=user).exists():
        raise PermissionDenied(_("You are a member of this enterprise and cannot decide on it."))
    require_provincial_for_region(user, enterprise.region, outside=_("This enterprise is outside your region."))


def require_provincial_for_region(user: Any, region: Any, *, outside: str | None = None) -> None:
    """A provincial reviewer (staff) whose province holds ``region``, or a superuser."""
    if not getattr(user, "is_authenticated", False):
        raise PermissionDenied(_("Log in first."))
    if user.is_superuser:
        return
    reviewer = reviewer_of(user)
    if reviewer is None or reviewer.level != "province" or not user.is_staff:
        raise PermissionDenied(_("Only a provincial reviewer may do this."))
    if not reviewer.region.contains(region):
        raise PermissionDenied(outside or _("This region is outside yours."))
