"""A region's yearly progress report (年度培育工作进展): per tier its target, what it achieved (as the target
counts: cumulative, active or new), the enterprises certified for the tier for the first time in the year, the
pool at the year's end, the visits of the support ledger within the year and the risk alerts open at its end.

The figures are those of the region and the regions inside it, cut by ``core.roles`` to what the reader may
see: a region the reader may not see is not reported at all. Each figure is one grouped query, so the report
costs the same handful of queries for a county or the whole province.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Count, Min, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.roles import region_q, reviewer_of, sees_everything, visible_enterprises
from enterprises.models import Region, Tier

from .models import Certification, Plan, PoolEntry, RiskAlert, SupportRecord, TargetSemantics
from .targets import progress

FIRST_YEAR, LAST_YEAR = 2000, 2100

HEADERS = (gettext_lazy("Tier"), gettext_lazy("Target"), gettext_lazy("Counted as"), gettext_lazy("Achieved"),
           gettext_lazy("Achieved (%)"), gettext_lazy("New this year"), gettext_lazy("Pool at year end"),
           gettext_lazy("Visits in the year"), gettext_lazy("Alerts open at year end"))


@dataclass
class TierLine:
    tier: str
    label: Any
    target: int | None
    semantics: str
    semantics_label: Any
    achieved: int
    percent: float | None
    new: int
    pool: int
    visits: int
    alerts: int

    def cells(self) -> list[Any]:
        return [str(self.label), self.target, str(self.semantics_label) if self.semantics else "",
                self.achieved, self.percent, self.new, self.pool, self.visits, self.alerts]


@dataclass
class YearReport:
    region: Region
    year: int
    until: datetime.date  # the year's end, or today while the year runs
    plan: Plan | None
    lines: list[TierLine]
    visits_total: int  # every visit of the year, those not tied to a pool entry too

    def rows(self) -> list[list[Any]]:
        return [line.cells() for line in self.lines]


def parse_year(text: Any, today: datetime.date | None = None) -> int:
    """The report's year from a request parameter: a whole number in the years the registry covers (default:
    the current year). ``ValidationError`` on the ``year`` field otherwise."""
    if text in (None, ""):
        return (today or timezone.localdate()).year
    try:
        year = int(str(text).strip())
    except ValueError:
        raise ValidationError({"year": _("The year must be a whole number, not %(v)s.") % {"v": text}}) from None
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise ValidationError({"year": _("The year must lie between %(a)s and %(b)s.")
                               % {"a": FIRST_YEAR, "b": LAST_YEAR}})
    return year


def default_region_code(user: Any) -> str:
    """The reader's own region (a reviewer's), else the province the registry's cities lie in (as the
    dashboard shows it)."""
    reviewer = None if sees_everything(user) else reviewer_of(user)
    if reviewer is not None:
        return reviewer.region_id
    return (Region.objects.filter(level="city").order_by("code").values_list("province_code", flat=True).first()
            or "")


def visible_region(user: Any, code: str) -> Region | None:
    """The region ``code`` if ``user`` may see it (their region or one inside it), else None."""
    region = Region.objects.filter(code=code).first() if code else None
    if region is None or sees_everything(user):
        return region
    reviewer = reviewer_of(user)
    return region if reviewer is not None and reviewer.region.contains(region) else None


def year_report(user: Any, region: Region, year: int, today: datetime.date | None = None) -> YearReport:
    """The report of ``region`` for ``year`` as ``user`` may see it. Queries: the plan (1), targets and their
    achievement (1 + one per kind of counting), first certifications, pool, visits, alerts, watched
    certifications (6)."""
    today = today or timezone.localdate()
    start, end = datetime.date(year, 1, 1), datetime.date(year, 12, 31)
    until = min(end, today) if start <= today else end
    in_region = region_q(region.code, "enterprise__region")

    def scoped(queryset: Any) -> Any:
        return visible_enterprises(queryset, user, prefix="enterprise").filter(in_region)

    certs = scoped(Certification.objects.all())
    plan = Plan.objects.filter(first_year__lte=year, last_year__gte=year).order_by("-first_year", "-pk").first()
    targets = {p.tier: p for p in progress(plan, [region], until, certs)} if plan is not None else {}

    firsts = (certs.values("enterprise_id", "tier").annotate(first=Min("granted_on"))
              .filter(first__gte=start, first__lte=until))
    new: dict[str, int] = defaultdict(int)
    for row in firsts:
        new[row["tier"]] += 1

    pooled = scoped(PoolEntry.objects.on(until))
    pool = dict(pooled.values_list("tier").annotate(n=Count("id")).values_list("tier", "n"))

    visits_rows = (scoped(SupportRecord.objects.filter(happened_on__gte=start, happened_on__lte=until))
                   .values_list("pool_entry__tier").annotate(n=Count("id")).values_list("pool_entry__tier", "n"))
    visits = dict(visits_rows)

    # An alert is open at the year's end when raised by then and not closed by then; it counts for each tier
    # its enterprise was pooled for or certified in at that date.
    closed_after = Q(closed_at__isnull=True) | Q(closed_at__date__gt=until)
    alert_rows = list(scoped(RiskAlert.objects.filter(closed_after, raised_on__lte=until))
                      .values_list("enterprise_id").annotate(n=Count("id")).values_list("enterprise_id", "n"))
    alerts: dict[str, int] = defaultdict(int)
    if alert_rows:
        per_enterprise = dict(alert_rows)
        ids = list(per_enterprise)
        pairs = set(pooled.filter(enterprise_id__in=ids).values_list("enterprise_id", "tier"))
        pairs |= set(certs.valid_on(until).filter(enterprise_id__in=ids).values_list("enterprise_id", "tier"))
        for enterprise_id, tier in pairs:
            alerts[tier] += per_enterprise[enterprise_id]

    # Without a target a tier's achievement is what is in force at the year's end (as the dashboard counts it).
    active = dict(certs.valid_on(until).values_list("tier").annotate(n=Count("enterprise_id", distinct=True))
                  .values_list("tier", "n"))
    semantics_labels = dict(TargetSemantics.choices)
    lines = []
    for tier in Tier:
        target = targets.get(tier.value)
        lines.append(TierLine(
            tier=tier.value, label=tier.label, target=target.target if target else None,
            semantics=target.semantics if target else "",
            semantics_label=semantics_labels.get(target.semantics, "") if target else "",
            achieved=target.achieved if target else active.get(tier.value, 0),
            percent=target.percent if target else None,
            new=new.get(tier.value, 0), pool=pool.get(tier.value, 0), visits=visits.get(tier.value, 0),
            alerts=alerts.get(tier.value, 0),
        ))
    return YearReport(region, year, until, plan, lines, sum(visits.values()))
