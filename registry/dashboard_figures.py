"""The dashboard's counts from the summary rows (``registry.dashboard_summary``), exact on any date.

The rows are by month. A count on a date adds the rows of whole months in SQL and corrects the date's own month
from the base rows that fall in it, found through their indexes: certifications granted or expiring that month
(and those past their expiry still active, which the daily expiry leaves only while a re-review runs) for the
*active* count; certifications granted later in the month than the date for the *cumulative* and *new* ones.
So each figure costs one grouped query over a few thousand summary rows plus one over a month of base rows,
whatever the size of the registry. Every query goes through the region restriction (``visible_regions`` for
the summary rows, ``visible_enterprises`` for the base rows) and the viewer's scope.
"""

from __future__ import annotations

import calendar
import datetime
from collections import Counter, defaultdict
from collections.abc import Iterable
from typing import Any

from django.db.models import Exists, OuterRef, Q, Sum

from core.roles import region_q, visible_enterprises, visible_regions
from enterprises.models import Region

from .dashboard_summary import month, spans, valid_until
from .models import (
    OPEN_STATUSES,
    Application,
    ApplicationKind,
    ApplicationStatus,
    Certification,
    DashboardCount,
    Plan,
    SummaryKind,
    Target,
    TargetSemantics,
)
from .targets import Progress

K = SummaryKind


def month_end(day: datetime.date) -> datetime.date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


class Figures:
    """The counts one viewer sees within one scope code (a province, city or county), memoised per page."""

    def __init__(self, user: Any, code: str) -> None:
        self.user, self.code = user, code
        self._cache: dict[Any, Any] = {}

    # --- the two restricted sources ---------------------------------------------------------------------

    def rows(self, kind: str) -> Any:
        return visible_regions(DashboardCount.objects.filter(region_q(self.code, "region"), kind=kind), self.user)

    def base(self, queryset: Any) -> Any:
        return visible_enterprises(queryset, self.user, prefix="enterprise").filter(
            region_q(self.code, "enterprise__region"))

    def regions(self) -> dict[str, tuple[str, str]]:
        """Region code → (city code, province code) for the scope's regions (one query, cached)."""
        if "regions" not in self._cache:
            self._cache["regions"] = {c: (city, prov) for c, city, prov in Region.objects.within(self.code)
                                      .values_list("code", "city_code", "province_code")}
        return self._cache["regions"]

    # --- counts by (enterprise region, tier) ------------------------------------------------------------

    def active(self, on: datetime.date) -> Counter:
        """Certifications valid on ``on`` (``CertificationQuerySet.valid_on``), by region and tier."""
        key = ("active", on)
        if key in self._cache:
            return self._cache[key]
        first, last = month(on), month_end(on)
        out: Counter = Counter({
            (r, t): n for r, t, n in self.rows(K.ACTIVE).filter(since__lte=first, until__gte=first)
            .values_list("region_id", "tier").annotate(n=Sum("n")).values_list("region_id", "tier", "n")})
        rereview = Application.objects.filter(
            certification=OuterRef("pk"), kind=ApplicationKind.REREVIEW,
            status__in=[s.value for s in OPEN_STATUSES if s != ApplicationStatus.DRAFT])
        edge = (self.base(Certification.objects.active())
                .filter(Q(granted_on__gte=first, granted_on__lte=last) | Q(expires_on__lte=last))
                .annotate(rereview=Exists(rereview)).order_by()
                .values_list("enterprise__region_id", "tier", "granted_on", "expires_on", "rereview"))
        for region, tier, granted, expires, running in edge:
            counted = granted <= last and expires >= first  # what the month's rows counted
            valid = granted <= on and (expires >= on or running)
            out[(region, tier)] += int(valid) - int(counted)
        self._cache[key] = out
        return out

    def _late_pairs(self, until: datetime.date) -> dict[tuple[int, str], tuple[str, list[dict]]]:
        """The (enterprise, tier) pairs with a certification granted after ``until`` within its month, with
        their region and all their certifications (none when ``until`` ends its month)."""
        key = ("late", until)
        if key in self._cache:
            return self._cache[key]
        found: dict[tuple[int, str], tuple[str, list[dict]]] = {}
        # One query even when ``until`` ends its month (nothing is later then): the page's count stays fixed.
        late = set(self.base(Certification.objects.filter(granted_on__gt=until, granted_on__lte=month_end(until)))
                   .order_by().values_list("enterprise_id", "tier", "enterprise__region_id"))
        if late:
            q = Q()
            for enterprise_id, tier, _region in late:
                q |= Q(enterprise_id=enterprise_id, tier=tier)
            certs: dict[tuple[int, str], list[dict]] = defaultdict(list)
            for cert in Certification.objects.filter(q).values("pk", "enterprise_id", "tier", "status",
                                                               "granted_on", "expires_on", "revoked_on"):
                certs[(cert["enterprise_id"], cert["tier"])].append(cert)
            found = {(e, t): (r, certs[(e, t)]) for e, t, r in late}
        self._cache[key] = found
        return found

    def cumulative(self, plan: Plan, on: datetime.date) -> Counter:
        """Enterprises that held the tier at some time within the plan's period up to ``on``
        (``targets.counting_queryset``'s *cumulative*): spans meeting the period less gaps within it."""
        start, until = plan.starts_on, min(on, plan.ends_on)
        out: Counter = Counter()
        rows = visible_regions(DashboardCount.objects.filter(
            region_q(self.code, "region"), kind__in=[K.SPAN, K.GAP], since__lte=month(until), until__gte=start),
            self.user)
        for region, tier, kind, n in (rows.values_list("region_id", "tier", "kind").annotate(n=Sum("n"))
                                      .values_list("region_id", "tier", "kind", "n")):
            out[(region, tier)] += n if kind == K.SPAN else -n
        for (_e, tier), (region, certs) in self._late_pairs(until).items():
            periods = spans(certs)
            counted = (sum(1 for s, e in periods if month(s) <= month(until) and e >= start)
                       - sum(1 for (_s, e), (s, _e2) in zip(periods, periods[1:], strict=False)
                             if month(s) <= month(until) and e >= start))
            held = any(c["granted_on"] <= until and valid_until(c) >= start for c in certs)
            out[(region, tier)] += int(held) - counted
        return out

    def new(self, plan: Plan, on: datetime.date) -> Counter:
        """Enterprises whose first certification of the tier was granted within the period up to ``on``."""
        start, until = plan.starts_on, min(on, plan.ends_on)
        out: Counter = Counter({
            (r, t): n for r, t, n in self.rows(K.FIRST).filter(since__gte=start, since__lte=month(until))
            .values_list("region_id", "tier").annotate(n=Sum("n")).values_list("region_id", "tier", "n")})
        for (_e, tier), (region, certs) in self._late_pairs(until).items():
            first = min(c["granted_on"] for c in certs)
            counted = start <= month(first) <= month(until)
            out[(region, tier)] += int(start <= first <= until) - int(counted)
        return out

    def granted_by_year(self) -> dict[int, Counter]:
        """Certifications by the year granted (every status), by tier."""
        by_year: dict[int, Counter] = defaultdict(Counter)
        for since, tier, n in (self.rows(K.GRANTED).values_list("since", "tier").annotate(n=Sum("n"))
                               .values_list("since", "tier", "n")):
            by_year[since.year][tier] += n
        return {y: c for y, c in by_year.items() if any(c.values())}

    def applications(self) -> dict[str, Counter]:
        by_status: dict[str, Counter] = defaultdict(Counter)
        for status, tier, n in (self.rows(K.APPLICATION).values_list("status", "tier").annotate(n=Sum("n"))
                                .values_list("status", "tier", "n")):
            by_status[status][tier] += n
        return by_status

    def open_demotions(self) -> int:
        """Open demotion proposals in the scope."""
        return self.rows(K.DEMOTION).aggregate(n=Sum("n"))["n"] or 0

    # --- rolled up ---------------------------------------------------------------------------------------

    def within(self, counts: Counter, code: str) -> Counter:
        """``counts`` (by region and tier) summed by tier over the regions in ``code``."""
        regions = self.regions()
        out: Counter = Counter()
        for (region, tier), n in counts.items():
            city, province = regions.get(region, ("", ""))
            if code in (region, city, province):
                out[tier] += n
        return out

    def by_area(self, counts: Counter, breakdown: str) -> dict[str, Counter]:
        """``counts`` by area: each region's city (``breakdown`` "city") or the region itself."""
        regions = self.regions()
        out: dict[str, Counter] = defaultdict(Counter)
        for (region, tier), n in counts.items():
            area = regions.get(region, ("", ""))[0] if breakdown == "city" else region
            out[area or ""][tier] += n
        return out

    def progress(self, plan: Plan, regions: Iterable[Region], on: datetime.date) -> list[Progress]:
        """``targets.progress`` from the summary rows: each region's targets against what it achieved."""
        regions = list(regions)
        by_code = {r.code: r for r in regions}
        targets = list(Target.objects.filter(plan=plan, region_id__in=list(by_code)).order_by("region_id", "tier"))
        out = []
        for t in targets:
            key = ("semantics", plan.pk, t.semantics, on)
            if key not in self._cache:
                if t.semantics == TargetSemantics.ACTIVE:
                    self._cache[key] = self.active(on)
                elif t.semantics == TargetSemantics.CUMULATIVE:
                    self._cache[key] = self.cumulative(plan, on)
                else:
                    self._cache[key] = self.new(plan, on)
            achieved = self.within(self._cache[key], t.region_id)[t.tier]
            out.append(Progress(by_code[t.region_id], t.tier, t.semantics, t.value, achieved))
        return out
