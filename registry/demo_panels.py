"""Demo data for expert review and on-site checks: an expert pool with a demo expert account, a little-giant
application in expert review with two of its three scores in (the demo expert's is the one missing), and an
application in county review whose on-site check failed. Everything goes through the services, as a reviewer
would do it; running it again adds nothing."""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from core.audit import acting_as
from enterprises.models import Enterprise, Membership, Region
from evaluation.versions import get_ruleset_version

from . import applications, experts, onsite
from .certifications import add_years, refresh_current_tier
from .models import Application, Certification, ExpertProfile, OnsiteCheck, Recommendation

REGION = "330106"  # the demo county reviewer's county (Xihu)
# username, home region (never the applicants' county), fields of expertise
EXPERTS = [
    ("expert", "330203", "machine tools, bearings"),
    ("expert-li", "330302", "integrated circuits"),
    ("expert-zhao", "330402", "new materials"),
    ("expert-sun", "330502", "industrial software"),
]


def seed_panels(password: str) -> str:
    """Create the demo panel and visit (once) and return the lines ``seed_demo`` prints (the experts' accounts
    are printed with the other demo accounts)."""
    User = get_user_model()
    reviewers = {name: User.objects.filter(username=name).first() for name in ("xihu", "hangzhou", "province")}
    if not all(reviewers.values()) or not Region.objects.filter(code=REGION).exists():
        return "expert review demo: skipped (needs the demo reviewer accounts)"
    pool = _pool(password)
    notes = []
    if not experts.assignments_of(pool[0].user).exists():
        notes.append(_panel_application(pool, reviewers))
    if not OnsiteCheck.objects.filter(outcome="failed").exists():
        notes.append(_failed_visit(reviewers))
    return "\n".join([f"expert pool: {len(pool)} experts (listed with the demo accounts)", *[n for n in notes if n]])


@transaction.atomic
def _pool(password: str) -> list[ExpertProfile]:
    User = get_user_model()
    pool = []
    with acting_as(label="command:seed_demo"):
        for username, region, fields in EXPERTS:
            user, created = User.objects.get_or_create(username=username,
                                                       defaults={"email": f"{username}@example.com"})
            if created or username == "expert":
                user.set_password(password)
                user.save()
            profile = ExpertProfile.objects.filter(user=user).first() or ExpertProfile.objects.create(
                user=user, fields=fields, home_region_id=region)
            pool.append(profile)
    return pool


def _applicant(enterprise: Enterprise) -> Any:
    """The enterprise's first member, or a demo member created for it."""
    membership = Membership.objects.filter(enterprise=enterprise).select_related("user").first()
    if membership is not None:
        return membership.user
    user, _ = get_user_model().objects.get_or_create(username=f"applicant-{enterprise.uscc.lower()}")
    Membership.objects.get_or_create(user=user, enterprise=enterprise, defaults={"role": "owner"})
    return user


def _hold(enterprise: Enterprise, tier: str) -> None:
    if not Certification.objects.valid_on().filter(enterprise=enterprise, tier=tier).exists():
        granted = timezone.localdate() - datetime.timedelta(days=200)
        Certification.objects.create(enterprise=enterprise, tier=tier, ruleset=get_ruleset_version(),
                                     granted_on=granted, expires_on=add_years(granted, 3))
        refresh_current_tier([enterprise.pk])


def _candidates(tier: str) -> list[Enterprise]:
    busy = Application.objects.open().filter(tier=tier).values("enterprise_id")
    held = Certification.objects.filter(tier=tier).values("enterprise_id")
    return list(Enterprise.objects.filter(region_id=REGION).exclude(pk__in=busy).exclude(pk__in=held)
                .order_by("-pk")[:20])


def _panel_application(pool: list[ExpertProfile], reviewers: dict[str, Any]) -> str:
    for enterprise in _candidates("little_giant"):
        try:
            with transaction.atomic():
                _hold(enterprise, "innovative_sme")
                _hold(enterprise, "specialised_sme")
                applicant = _applicant(enterprise)
                app = applications.create_application(enterprise=enterprise, tier="little_giant",
                                                      year=timezone.localdate().year - 1, user=applicant)
                app = applications.submit_application(app, user=applicant)
                for name in ("xihu", "hangzhou", "province"):
                    app = applications.decide(app, user=reviewers[name], action="approve",
                                              reason="Demo: figures checked.")
                candidates, _excluded = experts.eligible_experts(app)
                seed = next(s for s in range(1, 10_000) if pool[0].pk in experts.pick(s, candidates, 3))
                draw = experts.draw_experts(app, user=reviewers["province"], seed=seed)
                review = experts.review_of(app)
                others = [seat for seat in draw.assignments.select_related("expert__user")
                          if seat.expert_id != pool[0].pk]
                for share, seat in zip((0.8, 0.65), others, strict=True):
                    experts.submit_score(seat, user=seat.expert.user,
                                         scores={c.code: int(c.max * share) for c in review.form},
                                         recommendation=Recommendation.RECOMMEND, comment="Demo score.")
        except (ValidationError, PermissionDenied, StopIteration):
            continue
        return (f"expert review: application #{app.pk} ({enterprise.name}) has 2 of 3 scores; "
                f"user 'expert' gives the third at /experts/")
    return "expert review: no enterprise in Xihu could apply for the little giant"


def _failed_visit(reviewers: dict[str, Any]) -> str:
    for enterprise in _candidates("specialised_sme"):
        try:
            with transaction.atomic():
                _hold(enterprise, "innovative_sme")
                applicant = _applicant(enterprise)
                app = applications.create_application(enterprise=enterprise, tier="specialised_sme",
                                                      year=timezone.localdate().year - 1, user=applicant)
                app = applications.submit_application(app, user=applicant)
                findings = {code: {"result": "pass"} for code in onsite.CHECKLIST_CODES}
                findings["main_business"] = {"result": "fail",
                                             "note": "Demo: the plant makes a different product line."}
                onsite.record_visit(app, user=reviewers["xihu"], visited_on=timezone.localdate(),
                                    visitors="Demo county team", findings=findings)
        except (ValidationError, PermissionDenied):
            continue
        return (f"on-site check: application #{app.pk} ({enterprise.name}) failed its visit; "
                f"'xihu' must resolve it before recommending")
    return "on-site check: no enterprise in Xihu could apply for the specialised SME"
