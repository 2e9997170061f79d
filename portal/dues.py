"""What an enterprise has to do next, for its home page: the annual update and re-reviews before expiry.

criteria.md §1.6: figures of the last year are updated on the platform by 30 April under the 2022 rules
(miit-2022) and by 31 May under 2号文 (miit-2026); missing the date loses re-review eligibility. A certification
is re-reviewed before it expires (the window opens ``REGISTRY["REREVIEW_WINDOW_DAYS"]`` days before expiry).
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.conf import settings

from enterprises.models import Declaration, Enterprise, FinancialYear
from evaluation.versions import annual_update_deadline as deadline_of
from evaluation.versions import ruleset_in_force
from registry.models import ApplicationKind, Certification


@dataclass(frozen=True)
class Due:
    """One thing to do: ``kind`` is ``annual_update`` or ``rereview``; ``overdue`` once the date has passed."""

    kind: str
    deadline: datetime.date
    overdue: bool
    year: int | None = None
    certification: Certification | None = None
    done: bool = False


def annual_update_deadline(calendar_year: int) -> datetime.date:
    """The date by which the figures of ``calendar_year - 1`` must be updated.

    The registry's rule (``evaluation.services.annual_update_deadline``: the ruleset's own date, else
    ``REGISTRY["ANNUAL_UPDATE_DEADLINES"]``), for the ruleset in force on 30 April of that year: the 2022 rules
    while they apply then, 2号文 (in force from 2026-04-01) after.
    """
    return deadline_of(ruleset_in_force(datetime.date(calendar_year, 4, 30)), calendar_year)


def whats_due(
    enterprise: Enterprise, certifications: list[Certification], open_rereview_tiers: set[str], today: datetime.date
) -> list[Due]:
    """The annual update of last year's figures and the re-review of each certification in its window."""
    items: list[Due] = []
    year = today.year - 1
    deadline = annual_update_deadline(today.year)
    has_financials = FinancialYear.objects.filter(enterprise=enterprise, year=year).exists()
    has_declaration = Declaration.objects.filter(enterprise=enterprise, year=year).exists()
    done = has_financials and has_declaration
    items.append(Due("annual_update", deadline, overdue=not done and today > deadline, year=year, done=done))
    window = datetime.timedelta(days=settings.REGISTRY["REREVIEW_WINDOW_DAYS"])
    for cert in certifications:
        if cert.expires_on - window <= today <= cert.expires_on:
            items.append(Due("rereview", cert.expires_on, overdue=False, certification=cert,
                             done=cert.tier in open_rereview_tiers))
    return items


def open_rereview_tiers(enterprise: Enterprise) -> set[str]:
    return set(enterprise.applications.open().filter(kind=ApplicationKind.REREVIEW).values_list("tier", flat=True))
