"""City quotas (criteria.md §2.6): how many new applications a city may pass per tier and year.

Provincial reviewers set a quota for a city of their province; a city reviewer's approval takes a place, and a
withdrawal gives it back. The quota row is locked while a place is counted, so two approvals cannot take the
last one.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import acting_as
from enterprises.models import Region, Tier

from .access import require_provincial_for_region
from .models import Application, ApplicationKind, ApplicationStatus, CityQuota
from .workflow import Action

S = ApplicationStatus


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

def check_quota(app: Application) -> None:
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
def set_city_quota(*, city: Any, tier: str, year: int, quota: int, user: Any) -> CityQuota:
    """Set how many new applications ``city`` may pass for ``tier`` in ``year``: creates the quota or changes the
    existing one. Only a provincial reviewer of the city's province (or a superuser) may."""
    if tier not in Tier.values:
        raise ValidationError({"tier": _("Unknown tier %(tier)s.") % {"tier": tier}})
    if not isinstance(city, Region):
        city = Region.objects.filter(code=str(city)).first()
    if city is None or city.level != "city":
        raise ValidationError({"city": _("Choose a city.")})
    if quota is None or int(quota) < 0:
        raise ValidationError({"quota": _("The quota cannot be negative.")})
    require_provincial_for_region(user, city)
    row = CityQuota.objects.select_for_update().filter(city=city, tier=tier, year=int(year)).first()
    with acting_as(user):
        if row is None:
            row = CityQuota(city=city, tier=tier, year=int(year), quota=int(quota))
        row.quota = int(quota)
        row.save()
    return row
