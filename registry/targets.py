"""Targets as data: a plan's targets per tier per region, what each counts, and how far a region has come.

A target counts one of three things, all by distinct enterprise and all for enterprises whose region lies in the
target's region:

- ``cumulative``: enterprises that held the tier at some time within the plan's period (up to the date): a
  certification granted by then whose validity (to its expiry, or to its revocation) reached the period. Expired
  and revoked certifications still count; a renewal is the same certification extended, so it counts once.
- ``active``: enterprises whose certification of the tier is valid on the date (``valid_on``).
- ``new``: enterprises whose *first* certification of the tier was granted within the period, up to the date.

Each figure is one grouped query per semantics and region level, so a page costs the same with 10 or 100,000
certifications. Provincial staff edit targets in the admin or import them; a region's parts (its cities or
counties) adding up to more than its own target raise a warning, never a refusal.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Min, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import acting_as
from enterprises.importer import ImportFileError, normalise_header, read_rows
from enterprises.models import Region, Tier

from .access import require_provincial_for_region
from .models import Certification, Plan, Target, TargetSemantics
from .pool import TIER_WORDS

LEVEL_KEY = {"province": "enterprise__region__province_code", "city": "enterprise__region__city_code",
             "county": "enterprise__region_id"}


def current_plan(on: datetime.date | None = None) -> Plan | None:
    """The plan whose period holds ``on``, else the latest one that ended before it, else the first to come."""
    on = on or timezone.localdate()
    plans = list(Plan.objects.order_by("first_year", "pk"))
    within = [p for p in plans if p.first_year <= on.year <= p.last_year]
    if within:
        return within[-1]
    past = [p for p in plans if p.last_year < on.year]
    return past[-1] if past else (plans[0] if plans else None)


def counting_queryset(semantics: str, plan: Plan, on: datetime.date, base: QuerySet | None = None) -> QuerySet:
    """The certifications that make an enterprise count under ``semantics`` (distinct enterprises of it)."""
    base = base if base is not None else Certification.objects.all()
    until = min(on, plan.ends_on)
    if semantics == TargetSemantics.ACTIVE:
        return base.valid_on(on)
    if semantics == TargetSemantics.CUMULATIVE:
        return (base.annotate(valid_until=Coalesce("revoked_on", "expires_on"))
                .filter(granted_on__lte=until, valid_until__gte=plan.starts_on))
    if semantics == TargetSemantics.NEW:
        return base.filter(granted_on__gte=plan.starts_on, granted_on__lte=until)
    raise ValueError(semantics)


def achieved(semantics: str, plan: Plan, on: datetime.date, level: str,
             base: QuerySet | None = None) -> dict[tuple[str, str], int]:
    """(region code at ``level``, tier) → how many enterprises count, for every region at once."""
    key = LEVEL_KEY[level]
    rows = counting_queryset(semantics, plan, on, base)
    if semantics == TargetSemantics.NEW:
        # the enterprise's first certification of the tier, whatever became of it
        firsts = (Certification.objects.values("enterprise_id", "tier").annotate(first=Min("granted_on"))
                  .filter(first__gte=plan.starts_on, first__lte=min(on, plan.ends_on)))
        pairs = {(e, t) for e, t in firsts.values_list("enterprise_id", "tier")}
        rows = rows.filter(enterprise_id__in={e for e, _t in pairs})
        counted: dict[tuple[str, str], set[int]] = defaultdict(set)
        for code, tier, enterprise_id in rows.values_list(key, "tier", "enterprise_id"):
            if (enterprise_id, tier) in pairs:
                counted[(code, tier)].add(enterprise_id)
        return {k: len(v) for k, v in counted.items()}
    grouped = rows.values(key, "tier").annotate(n=Count("enterprise_id", distinct=True))
    return {(r[key], r["tier"]): r["n"] for r in grouped}


@dataclass
class Progress:
    region: Region
    tier: str
    semantics: str
    target: int
    achieved: int

    @property
    def percent(self) -> float | None:
        return round(100 * self.achieved / self.target, 1) if self.target else None


def progress(plan: Plan, regions: Iterable[Region], on: datetime.date | None = None,
             base: QuerySet | None = None) -> list[Progress]:
    """Each of ``regions``' targets in ``plan`` against what it has achieved by ``on`` (its own semantics).
    Queries: the targets (1), then one per (semantics, level) present."""
    on = on or timezone.localdate()
    regions = list(regions)
    by_code = {r.code: r for r in regions}
    targets = list(Target.objects.filter(plan=plan, region_id__in=list(by_code)).order_by("region_id", "tier"))
    cache: dict[tuple[str, str], dict] = {}
    out = []
    for t in targets:
        region = by_code[t.region_id]
        key = (t.semantics, region.level)
        if key not in cache:
            cache[key] = achieved(t.semantics, plan, on, region.level, base)
        out.append(Progress(region, t.tier, t.semantics, t.value, cache[key].get((region.code, t.tier), 0)))
    return out


# --- parts and the whole -----------------------------------------------------------------------------------

@dataclass
class Overcommit:
    region: str
    tier: str
    whole: int
    parts: int


def overcommitted(plan: Plan) -> list[Overcommit]:
    """Regions whose sub-regions' targets for a tier add up to more than the region's own target."""
    targets = list(Target.objects.filter(plan=plan).select_related("region"))
    whole = {(t.region_id, t.tier): t.value for t in targets}
    parts: dict[tuple[str, str], int] = defaultdict(int)
    for t in targets:
        parent = t.region.parent_id
        if parent and (parent, t.tier) in whole:
            parts[(parent, t.tier)] += t.value
    return [Overcommit(code, tier, whole[(code, tier)], n) for (code, tier), n in sorted(parts.items())
            if n > whole[(code, tier)]]


def overcommit_messages(plan: Plan) -> list[str]:
    return [_("%(region)s %(tier)s: its parts add up to %(parts)s, more than its own target %(whole)s.")
            % {"region": o.region, "tier": Tier(o.tier).label, "parts": o.parts, "whole": o.whole}
            for o in overcommitted(plan)]


# --- editing -------------------------------------------------------------------------------------------------

def set_target(user: Any, plan: Plan, region: Region, tier: str, value: int,
               semantics: str = TargetSemantics.ACTIVE) -> tuple[Target, list[str]]:
    """Create or change one target (provincial staff of the region's province); returns it and the warnings."""
    if tier not in Tier.values:
        raise ValidationError({"tier": _("Unknown tier %(tier)s.") % {"tier": tier}})
    if semantics not in TargetSemantics.values:
        raise ValidationError({"semantics": _("Choose cumulative, active or new.")})
    require_provincial_for_region(user, region)
    with transaction.atomic(), acting_as(user):
        target = Target.objects.select_for_update().filter(plan=plan, region=region, tier=tier).first()
        if target is None:
            target = Target(plan=plan, region=region, tier=tier)
        target.value, target.semantics = value, semantics
        target.save()
        return target, overcommit_messages(plan)


def delete_target(user: Any, target: Target) -> None:
    require_provincial_for_region(user, target.region)
    with transaction.atomic(), acting_as(user):
        target.delete()


@dataclass
class TargetImportResult:
    written: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


SEMANTICS_WORDS = {"cumulative": "cumulative", "累计": "cumulative", "active": "active", "有效": "active",
                   "在册": "active", "new": "new", "新增": "new"}


def import_targets(user: Any, plan: Plan, content: bytes, filename: str) -> TargetImportResult:
    """Targets from a spreadsheet: columns region (code), tier, counts (cumulative / active / new, 累计 / 有效 /
    新增) and target. Every row is checked first; any error and nothing is written."""
    result = TargetImportResult()
    try:
        rows = read_rows(content, filename)
    except ImportFileError as exc:
        result.errors.append((0, str(exc)))
        return result
    if not rows:
        result.errors.append((0, _("The file is empty.")))
        return result
    header = [normalise_header(c) for c in rows[0]]
    names = {"region": {"region", "地区", "地区代码", "region code"}, "tier": {"tier", "梯度", "层级"},
             "semantics": {"counts", "semantics", "口径"}, "value": {"target", "value", "目标", "目标数"}}
    cols = {k: next((i for i, h in enumerate(header) if h in {normalise_header(n) for n in v}), None)
            for k, v in names.items()}
    missing = [k for k in ("region", "tier", "value") if cols[k] is None]
    if missing:
        result.errors.append((1, _("Missing columns: %(cols)s.") % {"cols": ", ".join(missing)}))
        return result

    def cell(row: list[Any], key: str) -> str:
        i = cols[key]
        return "" if i is None or i >= len(row) or row[i] is None else str(row[i]).strip()

    body = [(n, r) for n, r in enumerate(rows[1:], start=2) if any(c not in (None, "") for c in r)]
    regions = {r.code: r for r in Region.objects.filter(code__in={cell(r, "region") for _n, r in body})}
    planned: list[tuple[Region, str, str, int]] = []
    seen: set[tuple[str, str]] = set()
    for number, row in body:
        region = regions.get(cell(row, "region"))
        tier = TIER_WORDS.get(cell(row, "tier").lower())
        semantics = SEMANTICS_WORDS.get(cell(row, "semantics").lower() or "active")
        text = cell(row, "value")
        if region is None:
            result.errors.append((number, _("Unknown region %(code)s.") % {"code": cell(row, "region") or "—"}))
            continue
        try:
            require_provincial_for_region(user, region)
        except Exception as exc:  # noqa: BLE001 - PermissionDenied, reported per row
            result.errors.append((number, str(exc)))
            continue
        if tier is None:
            result.errors.append((number, _("Unknown tier %(tier)s.") % {"tier": cell(row, "tier") or "—"}))
            continue
        if semantics is None:
            result.errors.append((number, _("Unknown counting %(s)s (cumulative, active or new).")
                                  % {"s": cell(row, "semantics")}))
            continue
        try:
            value = int(float(text))
            if value < 0 or float(text) != value:
                raise ValueError
        except ValueError:
            result.errors.append((number, _("The target must be a whole number ≥ 0, not %(v)s.") % {"v": text}))
            continue
        if (region.code, tier) in seen:
            result.errors.append((number, _("%(region)s %(tier)s appears twice.") % {"region": region.code,
                                                                                    "tier": tier}))
            continue
        seen.add((region.code, tier))
        planned.append((region, tier, semantics, value))
    if result.errors:
        return result
    with transaction.atomic(), acting_as(user, reason=_("Imported targets")):
        for region, tier, semantics, value in planned:
            target = Target.objects.select_for_update().filter(plan=plan, region=region, tier=tier).first()
            target = target or Target(plan=plan, region=region, tier=tier)
            target.value, target.semantics = value, semantics
            target.save()
        result.written = len(planned)
    result.warnings = overcommit_messages(plan)
    return result
