"""Certification facts shared by the review services and the scheduled jobs."""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.utils import timezone

from enterprises.models import Enterprise, Tier

from .models import Certification


def add_years(day: datetime.date, years: int) -> datetime.date:
    """``day`` plus whole years; 29 February becomes 28 February in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def highest_tier(tiers: Iterable[str]) -> str:
    ranked = sorted(set(tiers), key=Tier.rank)
    return ranked[-1] if ranked else ""


def refresh_current_tier(enterprise_ids: Iterable[int], on: datetime.date | None = None) -> dict[int, str]:
    """Set each enterprise's ``current_tier`` to its highest valid certification. Returns the changes made."""
    on = on or timezone.localdate()
    ids = list(enterprise_ids)
    held: dict[int, list[str]] = {pk: [] for pk in ids}
    for enterprise_id, tier in Certification.objects.valid_on(on).filter(enterprise_id__in=ids).values_list(
        "enterprise_id", "tier"
    ):
        held[enterprise_id].append(tier)
    changes: dict[int, str] = {}
    current = dict(Enterprise.objects.filter(pk__in=ids).values_list("pk", "current_tier"))
    for pk, tiers in held.items():
        tier = highest_tier(tiers)
        if current.get(pk) != tier:
            changes[pk] = tier
    for tier in set(changes.values()):
        Enterprise.objects.filter(pk__in=[pk for pk, t in changes.items() if t == tier]).update(current_tier=tier)
    return changes


def grant_certification(
    enterprise: Enterprise, tier: str, ruleset: object, granted_on: datetime.date, years: int | None = None
) -> Certification:
    """Record a certification (used when a review ends in certification, and for loading existing lists)."""
    from django.conf import settings

    years = years or settings.REGISTRY["CERTIFICATION_YEARS"]
    certification = Certification.objects.create(
        enterprise=enterprise, tier=tier, ruleset=ruleset, granted_on=granted_on,
        expires_on=add_years(granted_on, years),
    )
    refresh_current_tier([enterprise.pk])
    return certification
