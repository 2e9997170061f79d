"""The cultivation dashboard's figures: where the province (or a reviewer's region) stands against its targets.

The counts come from the summary rows the services keep (``registry.dashboard_summary``, read through
``registry.dashboard_figures``), so the page costs the same handful of small queries with 100 enterprises or a
million. The region restriction comes from ``core.roles`` like everywhere else, and the scope, its title and
its targets from the viewer's own province.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from core.roles import region_q, reviewer_of, sees_everything, visible_enterprises
from enterprises.models import Region, Tier

from .dashboard_figures import Figures
from .dashboard_pool import pool_figures
from .dashboard_review import overdue_by_area
from .models import Application, ApplicationStatus, Certification, DemotionProposal, DemotionStatus, Target
from .targets import current_plan

# Pipeline stages shown on the dashboard, in the order an application moves through them.
PIPELINE_STAGES = (
    ApplicationStatus.DRAFT, ApplicationStatus.COUNTY_REVIEW, ApplicationStatus.CITY_REVIEW,
    ApplicationStatus.PROVINCIAL_REVIEW, ApplicationStatus.EXPERT_REVIEW, ApplicationStatus.PUBLICITY,
    ApplicationStatus.RECOMMENDED, ApplicationStatus.RETURNED, ApplicationStatus.CERTIFIED, ApplicationStatus.REJECTED,
    ApplicationStatus.WITHDRAWN,
)
LIST_LIMIT = 50


def targets(on: datetime.date | None = None, region_code: str | None = None) -> tuple[int, dict[str, Any]]:
    """The plan in force on ``on`` (its last year) and ``region_code``'s targets in it by tier (``Target`` rows;
    targets are data, see ``registry.targets``); the home province's unless another region is named."""
    region_code = region_code or settings.REGISTRY["HOME_PROVINCE"]
    plan = current_plan(on)
    if plan is None:
        return 0, {}
    return plan.last_year, {t.tier: t for t in Target.objects.filter(plan=plan, region_id=region_code)}


@dataclass
class Scope:
    """The part of the map the viewer looks at: their province, a city in it (split by county) or one county."""

    region: Region | None  # None: the whole province
    breakdown: str  # "city" or "county": what the per-area figures are split by
    areas: list[Region] = field(default_factory=list)
    locked: bool = False  # a reviewer bound to the region cannot widen it
    province: Region | None = None  # the viewer's province (None only when the regions are not loaded)

    @property
    def code(self) -> str:
        """The code every figure is restricted to: the region shown, else the province."""
        if self.region is not None:
            return self.region.code
        return self.province.code if self.province is not None else ""


def region_name(region: Region) -> str:
    """The region's name in the page's language (Chinese unless English is active and an English name exists)."""
    language = translation.get_language() or ""
    return region.name_en if language.startswith("en") and region.name_en else region.name


def viewer_province(user: Any) -> Region | None:
    """The province whose dashboard ``user`` sees: a reviewer's own, else the registry's home province."""
    reviewer = None if sees_everything(user) else reviewer_of(user)
    code = reviewer.region.province_code if reviewer is not None else settings.REGISTRY["HOME_PROVINCE"]
    if reviewer is not None and reviewer.region.level == "province":
        return reviewer.region
    return Region.objects.filter(code=code, level="province").first()


def resolve_scope(user: Any, city: str | None = None) -> Scope:
    """The region shown to ``user``; a reviewer is held to their own region whatever they ask for, and everyone
    to their province."""
    province = viewer_province(user)
    province_code = province.code if province is not None else ""
    reviewer = None if sees_everything(user) else reviewer_of(user)
    if reviewer is not None:
        region = reviewer.region
        if region.level == "province":
            region, locked = None, False
        else:
            locked = True
    else:
        region, locked = None, False
    if region is None and city:
        region = Region.objects.filter(code=city, level="city", province_code=province_code).first()
    if region is None:
        areas = list(Region.objects.filter(level="city", province_code=province_code).order_by("code"))
        return Scope(None, "city", areas, locked, province)
    if region.level == "city":
        areas = list(Region.objects.filter(level="county", city_code=region.code).order_by("code"))
        return Scope(region, "county", areas, locked, province)
    return Scope(region, "county", [region], locked, province)


def _scoped(queryset: Any, user: Any, scope: Scope, prefix: str = "enterprise") -> Any:
    return visible_enterprises(queryset, user, prefix=prefix).filter(region_q(scope.code, f"{prefix}__region"))


def dashboard_data(user: Any, city: str | None = None, today: datetime.date | None = None) -> dict[str, Any]:
    """Every figure of the dashboard for ``user`` as plain data (the template and the charts read it)."""
    today = today or timezone.localdate()
    scope = resolve_scope(user, city)
    plan = current_plan(today)
    if plan is not None and not Target.objects.filter(
            plan=plan, region__province_code=getattr(scope.province, "code", "")).exists():
        plan = None  # another province's plan: nothing of it is shown
    target_year = plan.last_year if plan else 0
    tiers = list(Tier)
    area_key = "enterprise__region__city_code" if scope.breakdown == "city" else "enterprise__region_id"
    figures = Figures(user, scope.code)
    active = figures.active(today)

    # 1. Active certifications per tier; against the scope's own targets, each counted as it says
    # (cumulative, active or new: ``registry.targets``).
    per_tier = figures.within(active, scope.code)
    own = {}
    if plan is not None and scope.code:
        own = {p.tier: p for p in figures.progress(plan, Region.objects.filter(code=scope.code), today)}
    tier_rows = []
    for tier in tiers:
        mine = own.get(tier.value)
        count = mine.achieved if mine else per_tier.get(tier.value, 0)
        target = mine.target if mine else None
        tier_rows.append({
            "tier": tier.value, "label": str(tier.label), "count": count, "target": target,
            "semantics": mine.semantics if mine else "", "active": per_tier.get(tier.value, 0),
            "percent": round(100 * count / target, 1) if target else None,
        })

    # 2. Per city (or county): active certifications per tier.
    by_area = figures.by_area(active, scope.breakdown)
    area_rows = []
    for area in scope.areas:
        counts = by_area.get(area.code, {})
        area_rows.append({
            "code": area.code, "name": region_name(area), "counts": [counts.get(t.value, 0) for t in tiers],
            "total": sum(counts.values()),
        })

    # 3. Certifications by year granted (every status: the trend of what was awarded).
    by_year = figures.granted_by_year()
    year_rows = [{"year": y, "counts": [by_year[y].get(t.value, 0) for t in tiers]} for y in sorted(by_year)]

    # 4. The application pipeline per stage and tier.
    pipeline = figures.applications()
    pipeline_rows = [
        {"status": s.value, "label": str(s.label), "counts": [pipeline[s.value].get(t.value, 0) for t in tiers],
         "total": sum(pipeline[s.value].values())}
        for s in PIPELINE_STAGES
    ]

    # 5. Certifications expiring soon.
    days = settings.REGISTRY.get("EXPIRING_WITHIN_DAYS", 90)
    expiring_qs = _scoped(Certification.objects.expiring_within(days, today), user, scope)
    expiring = list(
        expiring_qs.select_related("enterprise", "enterprise__region").order_by("expires_on", "id")[:LIST_LIMIT]
    )
    expiring_count = expiring_qs.count()

    # 6. Open demotion proposals.
    proposals_qs = _scoped(DemotionProposal.objects.filter(status=DemotionStatus.OPEN), user, scope)
    # The list shows who, which tier and when: the unmet rules (JSON, often long) stay in the database.
    proposals = list(proposals_qs.select_related("enterprise", "enterprise__region").defer("unmet")
                     .order_by("-created_at")[:LIST_LIMIT])
    proposals_count = figures.open_demotions()

    return {
        "today": today,
        "scope": scope,
        "scope_name": region_name(scope.region or scope.province) if (scope.region or scope.province) else "",
        "tiers": [{"code": t.value, "label": str(t.label)} for t in tiers],
        "target_year": target_year,
        "tier_rows": tier_rows,
        "area_rows": area_rows,
        "year_rows": year_rows,
        "pipeline_rows": pipeline_rows,
        "expiring_days": days,
        "expiring": expiring,
        "expiring_count": expiring_count,
        "proposals": proposals,
        "proposals_count": proposals_count,
        **pool_figures(user, scope, plan, today, tier_rows, figures, {r["code"]: r["name"] for r in area_rows}),
        "overdue_rows": overdue_by_area(_scoped(Application.objects.all(), user, scope), scope, area_key, today,
                                        region_name),
    }


def chart_data(data: dict[str, Any]) -> dict[str, Any]:
    """The JSON the page's charts draw: the same numbers the tables beside them show."""
    tier_labels = [t["label"] for t in data["tiers"]]
    return {
        "targets": {
            "labels": tier_labels,
            "count": [r["count"] for r in data["tier_rows"]],
            "target": [r["target"] or 0 for r in data["tier_rows"]],
            "count_label": str(_("Active certifications")),
            "target_label": str(_("Target %(year)s") % {"year": data["target_year"]}),
        },
        "areas": {
            "labels": [r["name"] for r in data["area_rows"]],
            "series": [
                {"label": label, "data": [r["counts"][i] for r in data["area_rows"]]}
                for i, label in enumerate(tier_labels)
            ],
        },
        "trend": {
            "labels": [str(r["year"]) for r in data["year_rows"]],
            "series": [
                {"label": label, "data": [r["counts"][i] for r in data["year_rows"]]}
                for i, label in enumerate(tier_labels)
            ],
        },
    }
