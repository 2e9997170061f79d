"""What the public may know about certifications and publicity: the facts official lists publish and nothing
else (name, USCC, region, tier, dates, validity). Every public page and download reads through here, so no
figure, score, contact or evidence can reach them.

The name search is ``icontains``: on PostgreSQL a trigram index on ``UPPER(name)`` (migration
``public/0001``) serves it; SQLite scans with ``LIKE``.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, OuterRef, QuerySet, Subquery
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.roles import region_q
from enterprises.models import Region, Tier
from registry.models import (
    OPEN_STATUSES,
    Application,
    ApplicationEvent,
    ApplicationKind,
    ApplicationStatus,
    Certification,
    CertificationStatus,
)

S = ApplicationStatus
QUERY_MAX = 100
USCC = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{18}$")
USCC_PREFIX = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{4,18}$")

STATES = {
    "valid": _("Valid"),
    "expired": _("Expired"),
    "revoked": _("Revoked"),
}


@dataclass(frozen=True)
class Listing:
    """One row of the directory (also one record of the open data)."""

    certification_id: int
    uscc: str
    name: str
    region_code: str
    region_name: str
    tier: str
    tier_name: str
    granted_on: datetime.date
    expires_on: datetime.date
    state: str
    revoked_on: datetime.date | None

    @property
    def state_name(self) -> str:
        return str(STATES[self.state])


def _certifications() -> QuerySet:
    rereview_open = Application.objects.filter(
        certification=OuterRef("pk"), kind=ApplicationKind.REREVIEW,
        status__in=[s.value for s in OPEN_STATUSES if s != S.DRAFT],
    )
    return (Certification.objects.exclude(status=CertificationStatus.SUPERSEDED)
            .select_related("enterprise__region")
            .annotate(rereview_open=Exists(rereview_open))
            .only("id", "tier", "granted_on", "expires_on", "status", "revoked_on", "enterprise__uscc",
                  "enterprise__name", "enterprise__region__code", "enterprise__region__name"))


def state_of(cert: Certification, today: datetime.date) -> str:
    if cert.status == CertificationStatus.REVOKED:
        return "revoked"
    if cert.status == CertificationStatus.ACTIVE and (cert.expires_on >= today or cert.rereview_open):
        return "valid"
    return "expired"


def listing(cert: Certification, today: datetime.date) -> Listing:
    enterprise = cert.enterprise
    return Listing(cert.pk, enterprise.uscc, enterprise.name, enterprise.region.code, enterprise.region.name,
                   cert.tier, str(Tier(cert.tier).label), cert.granted_on, cert.expires_on, state_of(cert, today),
                   cert.revoked_on)


@dataclass
class Search:
    q: str = ""
    region: str = ""
    tier: str = ""

    @classmethod
    def from_query(cls, params: Any) -> tuple[Search, dict[str, str]]:
        """The search the query string asks for, and a message per parameter it had to ignore."""
        errors: dict[str, str] = {}
        q = " ".join(str(params.get("q", "")).split())
        if len(q) > QUERY_MAX:
            errors["q"] = str(_("The search text is limited to %(max)s characters.") % {"max": QUERY_MAX})
            q = q[:QUERY_MAX]
        region = str(params.get("region", "")).strip()
        if region and not Region.objects.filter(code=region).exists():
            errors["region"] = str(_("Unknown region code."))
            region = ""
        tier = str(params.get("tier", "")).strip()
        if tier and tier not in Tier.values:
            errors["tier"] = str(_("Unknown tier."))
            tier = ""
        return cls(q, region, tier), errors

    def filter(self, queryset: QuerySet) -> QuerySet:
        if self.q:
            code = self.q.upper().replace(" ", "")
            if USCC.match(code):
                queryset = queryset.filter(enterprise__uscc=code)
            elif USCC_PREFIX.match(code) and any(c.isdigit() for c in code):
                queryset = queryset.filter(enterprise__uscc__startswith=code)
            else:
                queryset = queryset.filter(enterprise__name__icontains=self.q)
        if self.region:
            queryset = queryset.filter(region_q(self.region, "enterprise__region"))
        if self.tier:
            queryset = queryset.filter(tier=self.tier)
        return queryset


def search(params: Search, *, offset: int, limit: int) -> tuple[list[Listing], bool]:
    """One page of the directory and whether there is a next one (no COUNT over a million rows)."""
    today = timezone.localdate()
    rows = list(params.filter(_certifications()).order_by("-id")[offset:offset + limit + 1])
    return [listing(c, today) for c in rows[:limit]], len(rows) > limit


def all_listings() -> Iterator[Listing]:
    """Every row of the directory in a stable order, streamed (the open-data files)."""
    today = timezone.localdate()
    for cert in _certifications().order_by("id").iterator(chunk_size=2000):
        yield listing(cert, today)


def cities() -> list[Region]:
    return list(Region.objects.filter(level="city").order_by("code"))


# --- publicity --------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class PublicityEntry:
    application_id: int
    uscc: str
    name: str
    region_name: str
    tier: str
    tier_name: str
    starts_on: datetime.date | None
    ends_on: datetime.date | None
    open_for_objection: bool


def in_publicity(application_id: int | None = None) -> list[PublicityEntry]:
    """Applications in publicity, per tier and round (their end date), in the order an official list uses."""
    today = timezone.localdate()
    started = (ApplicationEvent.objects.filter(application=OuterRef("pk"), to_status=S.PUBLICITY)
               .exclude(from_status=S.PUBLICITY).order_by("-created_at").values("created_at")[:1])
    queryset = (Application.objects.filter(status=S.PUBLICITY).select_related("enterprise__region")
                .annotate(started_at=Subquery(started))
                .order_by("tier", "publicity_ends_on", "enterprise__region_id", "enterprise__name", "id"))
    if application_id is not None:
        queryset = queryset.filter(pk=application_id)
    entries = []
    for app in queryset:
        starts = timezone.localtime(app.started_at).date() if app.started_at else None
        entries.append(PublicityEntry(
            app.pk, app.enterprise.uscc, app.enterprise.name, app.enterprise.region.name, app.tier,
            str(Tier(app.tier).label), starts, app.publicity_ends_on,
            app.publicity_ends_on is None or today <= app.publicity_ends_on,
        ))
    return entries
