"""The annual update's consequence (criteria.md §1.6, §4.3): a certified enterprise that has not updated its
figures by the ruleset's deadline (``evaluation.versions.annual_update_deadline``) loses re-review eligibility.

"Updated" means both last year's financial row and last year's declaration are on file, as the reminders
(``notifications.send_reminders``) ask. Every deadline that passed after the certification was granted counts:
a certification granted after this year's deadline owes nothing until next year's.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from enterprises.models import Declaration, FinancialYear
from evaluation.versions import annual_update_deadline, ruleset_in_force

from .models import Certification, LapsedAnnualUpdate

VALIDITY_YEARS = 3


@dataclass(frozen=True)
class Missed:
    figures_year: int
    deadline: datetime.date


def passed_deadlines(on: datetime.date, since_year: int) -> list[tuple[int, datetime.date]]:
    """(year, deadline) for every year from ``since_year`` to ``on``'s whose update deadline is before ``on``."""
    found = []
    for year in range(since_year, on.year + 1):
        deadline = annual_update_deadline(ruleset_in_force(min(on, datetime.date(year, 12, 31))), year)
        if deadline < on:
            found.append((year, deadline))
    return found


def missed_update(certification: Certification, on: datetime.date | None = None) -> Missed | None:
    """The first annual update the certified enterprise missed since the grant, or None."""
    on = on or timezone.localdate()
    deadlines = [(y, d) for y, d in passed_deadlines(on, certification.granted_on.year)
                 if d > certification.granted_on]
    if not deadlines:
        return None
    enterprise_id = certification.enterprise_id
    years = {y - 1 for y, _ in deadlines}
    filed = (set(FinancialYear.objects.filter(enterprise_id=enterprise_id, year__in=years)
                 .values_list("year", flat=True))
             & set(Declaration.objects.filter(enterprise_id=enterprise_id, year__in=years)
                   .values_list("year", flat=True)))
    for year, deadline in deadlines:
        if year - 1 not in filed:
            return Missed(year - 1, deadline)
    return None


def lapsed_enterprises(on: datetime.date | None = None) -> QuerySet:
    """Enterprises holding a valid certification that missed an annual update since it was granted (one query;
    restrict it with ``.restrict(user)``)."""
    on = on or timezone.localdate()
    condition = Q(pk__in=[])
    for year, deadline in passed_deadlines(on, on.year - VALIDITY_YEARS):
        certified_before = Certification.objects.valid_on(on).filter(enterprise=OuterRef("pk"),
                                                                    granted_on__lt=deadline)
        filed = (Exists(FinancialYear.objects.filter(enterprise=OuterRef("pk"), year=year - 1))
                 & Exists(Declaration.objects.filter(enterprise=OuterRef("pk"), year=year - 1)))
        condition |= Exists(certified_before) & ~filed
    return LapsedAnnualUpdate.objects.filter(condition).select_related("region").order_by("region_id", "name")
