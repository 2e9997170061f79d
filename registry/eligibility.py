"""May this enterprise apply for this tier now, and if not, why not.

The checks here are the preconditions of the process (criteria.md §1.6, §2.1, §2.5, §4.1, §4.3): one open
application per tier, the 3-year ban after revocation for fraud, the prerequisite tier (held, or for the
specialised SME applied for together), and re-review instead of a new application for a tier already held
(only in the window before expiry). Whether the figures meet the tier is the engine's question, answered at
submission.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from enterprises.models import Enterprise, Tier

from .annual_update import missed_update
from .models import OPEN_STATUSES, Application, ApplicationKind, Certification
from .rounds import round_refusal, rounds_by_tier


def prerequisites() -> dict[str, dict[str, Any]]:
    """Tier → {"tier": prerequisite tier, "together": may be applied for at the same time}."""
    return settings.REGISTRY.get("PREREQUISITES", {})


def rereview_window_days() -> int:
    return int(settings.REGISTRY["REREVIEW_WINDOW_DAYS"])


@dataclass
class Situation:
    """What the checks need to know about one enterprise, loaded in a fixed number of queries."""

    enterprise: Enterprise
    today: datetime.date
    held: dict[str, Certification]
    open_applications: dict[str, Application]
    rounds: dict[str, list[Any]] = field(default_factory=dict)

    @classmethod
    def load(cls, enterprise: Enterprise, on: datetime.date | None = None) -> Situation:
        today = on or timezone.localdate()
        held = {c.tier: c for c in Certification.objects.valid_on(today).filter(enterprise=enterprise)}
        open_apps: dict[str, Application] = {}
        for app in Application.objects.filter(enterprise=enterprise, status__in=OPEN_STATUSES).order_by("id"):
            open_apps.setdefault(app.tier, app)
        return cls(enterprise, today, held, open_apps, rounds_by_tier())


@dataclass
class Verdict:
    allowed: bool
    reason: str
    kind: str = ApplicationKind.NEW
    certification: Certification | None = None
    together_with: Application | None = None
    field: str = "tier"


def judge(situation: Situation, tier: str) -> Verdict:
    """The verdict for one tier; ``create_application`` and ``tier_options`` share it. A new application is
    accepted only during an open round of its tier (``registry.rounds``)."""
    verdict = _preconditions(situation, tier)
    if verdict.allowed and verdict.kind == ApplicationKind.NEW:
        refusal = round_refusal(situation.rounds.get(tier, []), tier, situation.today)
        if refusal:
            return Verdict(False, refusal)
    return verdict


def _preconditions(situation: Situation, tier: str) -> Verdict:
    enterprise, today = situation.enterprise, situation.today
    if enterprise.banned_until and enterprise.banned_until >= today:
        return Verdict(False, _("Barred from applying until %(date)s after a revocation for data fraud.")
                       % {"date": date_format(enterprise.banned_until)}, field="enterprise")
    open_app = situation.open_applications.get(tier)
    if open_app is not None:
        return Verdict(False, _("Application #%(id)s for this tier is still open.") % {"id": open_app.pk})
    held = situation.held.get(tier)
    if held is not None:
        window_opens = held.expires_on - datetime.timedelta(days=rereview_window_days())
        if today < window_opens:
            return Verdict(False, _("Already certified until %(expires)s; re-review opens on %(opens)s.")
                           % {"expires": date_format(held.expires_on), "opens": date_format(window_opens)})
        missed = missed_update(held, today)
        if missed is not None:
            return Verdict(False, _("The %(year)s figures were not updated by %(deadline)s: the enterprise has lost "
                                    "its eligibility for re-review.")
                           % {"year": missed.figures_year, "deadline": date_format(missed.deadline)})
        return Verdict(True, _("Re-review (复核) of the certification expiring on %(expires)s.")
                       % {"expires": date_format(held.expires_on)}, kind=ApplicationKind.REREVIEW,
                       certification=held)
    needed = prerequisites().get(tier)
    if needed:
        pre = needed["tier"]
        label = Tier(pre).label
        if pre in situation.held:
            return Verdict(True, "")
        together = situation.open_applications.get(pre) if needed.get("together") else None
        if together is not None:
            return Verdict(True, _("Together with application #%(id)s for %(tier)s.")
                           % {"id": together.pk, "tier": label}, together_with=together)
        if needed.get("together"):
            return Verdict(False, _("Requires %(tier)s: hold it, or apply for it at the same time.")
                           % {"tier": label})
        return Verdict(False, _("Requires a valid %(tier)s certification.") % {"tier": label})
    return Verdict(True, "")


def tier_options(enterprise: Enterprise, year: int) -> list[tuple[str, bool, str]]:
    """For every tier, lowest first: (tier, may apply now, why not / what kind of application it will be).

    ``year`` is the figures year the application would be judged on; the preconditions do not depend on it.
    """
    situation = Situation.load(enterprise)
    return [(tier, (v := judge(situation, tier)).allowed, v.reason) for tier in Tier.values]
