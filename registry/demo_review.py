"""Demo applications at every stage of the review, for each demo reviewer's region, so that every demo queue has
work after ``seed_demo``: one waiting at the county (a specialised SME applied for together with the innovative
SME, which waits at the city), one at provincial review, one in publicity, one returned for changes, one rejected,
and a little giant recommended to MIIT where an enterprise holds the specialised SME.

Everything goes through the services, acted by the reviewers who may act (the superuser where the demo has no
reviewer for a level), so the history, the notifications and the audit trail are the real ones. Running it again
adds nothing for a region whose enterprises already have open applications.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.roles import region_q
from enterprises.models import Enterprise, ReviewerProfile

from . import applications, rounds
from .models import OPEN_STATUSES, Application, ApplicationStatus, Certification, ReviewRound, RoundStatus
from .reviewer_notices import reviewers_who_may_act


def _actor(app: Application, fallback: Any) -> Any:
    found = reviewers_who_may_act(app)
    return found[0] if found else fallback


def _advance(app: Application, steps: list[str], fallback: Any) -> Application:
    for action in steps:
        app.refresh_from_db()
        reason = "" if action == "approve" else _("Demo: the audited report for the figures year is missing.")
        app = applications.decide(app, user=_actor(app, fallback), action=action, reason=reason)
    return app


def _apply(enterprise: Enterprise, tier: str, year: int, admin: Any, **kw: Any) -> Application:
    app = applications.create_application(enterprise=enterprise, tier=tier, year=year, user=admin, **kw)
    return applications.submit_application(app, user=admin)


def _county_case(e: Enterprise, year: int, admin: Any) -> list[Application]:
    first = _apply(e, "innovative_sme", year, admin)
    return [first, _apply(e, "specialised_sme", year, admin)]


def _steps_case(tier: str, steps: list[str]) -> Callable[[Enterprise, int, Any], list[Application]]:
    def case(e: Enterprise, year: int, admin: Any) -> list[Application]:
        return [_advance(_apply(e, tier, year, admin), steps, admin)]
    return case


# (the state it ends in, tier the enterprise must already hold or None, what to do)
CASES: list[tuple[str, str | None, Callable[[Enterprise, int, Any], list[Application]]]] = [
    ("county_review", None, _county_case),
    ("city_review", None, _steps_case("innovative_sme", [])),  # the innovative SME's first stage
    ("returned", None, _steps_case("innovative_sme", ["return"])),
    ("provincial_review", None, _steps_case("innovative_sme", ["approve"])),
    ("publicity", None, _steps_case("innovative_sme", ["approve", "approve"])),
    ("rejected", None, _steps_case("innovative_sme", ["reject"])),
    # The little giant goes to expert review after the province (registry/experts.py).
    ("expert_review", "specialised_sme", _steps_case("little_giant", ["approve", "approve", "approve"])),
]


_DEMO_ROUND_SUFFIX = " demo round"


def _open_rounds(admin: Any) -> None:
    today = timezone.localdate()
    for tier in ("innovative_sme", "specialised_sme", "little_giant"):
        if not ReviewRound.objects.filter(tier=tier, status=RoundStatus.OPEN).exists():
            rounds.open_round(tier=tier, name=f"{today.year}{_DEMO_ROUND_SUFFIX}",
                              opens_on=today.replace(month=1, day=1), closes_on=today.replace(month=12, day=31),
                              user=admin)


def seed_review_demo(year: int, write: Callable[[str], None], usernames: list[str]) -> int:
    """Create the demo applications for the regions of the demo reviewers ``usernames``; returns how many."""
    admin = get_user_model().objects.filter(is_superuser=True).order_by("pk").first()
    if admin is None:
        return 0
    if ReviewRound.objects.filter(name__endswith=_DEMO_ROUND_SUFFIX).exists():
        return 0  # seeded before: other demo steps have moved some of these applications on since
    _open_rounds(admin)
    reviewers = list(ReviewerProfile.objects.select_related("region", "user")
                     .filter(user__username__in=usernames).order_by("-region__level", "region_id"))
    # Counties first: they have the fewest enterprises.
    reviewers.sort(key=lambda r: {"county": 0, "city": 1, "province": 2}[r.level])
    busy = set(Application.objects.filter(status__in=OPEN_STATUSES).values_list("enterprise_id", flat=True))
    held = set(Certification.objects.valid_on().values_list("enterprise_id", "tier"))
    made = 0
    write("demo applications (reviewer, region: stages):")
    for reviewer in reviewers:
        pool = list(Enterprise.objects.filter(region_q(reviewer.region_id)).exclude(pk__in=busy)
                    .filter(declarations__year=year).order_by("pk")[:200])
        done = []
        for state, needs, case in CASES:
            if Application.objects.filter(region_q(reviewer.region_id, "enterprise__region"), status=state).exists():
                continue  # seeded before
            candidates = [e for e in pool if e.pk not in busy
                          and (needs is None or (e.pk, needs) in held)
                          and (needs is not None or (e.pk, "innovative_sme") not in held)]
            for enterprise in candidates[:5]:
                try:
                    with transaction.atomic():  # a case that fails half-way leaves nothing behind
                        created = case(enterprise, year, admin)
                except (ValidationError, PermissionDenied):
                    busy.add(enterprise.pk)
                    continue
                busy.add(enterprise.pk)
                made += len(created)
                done.append(str(ApplicationStatus(state).label))
                break
        if done:
            write(f"  {reviewer.user.username:<12} {reviewer.region.name}: " + ", ".join(done))
    write(f"demo applications: {made} created")
    return made
