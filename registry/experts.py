"""Expert review: the seeded random draw of a panel, the experts' blind scores, and the panel's result.

The draw ("double random": random experts for a random order of applications) is reproducible: the eligible
candidates are listed in a fixed order (expert id), then ``random.Random(seed).sample(candidates, size)`` picks
the panel. Seed, candidates, exclusions and choice are stored on ``ExpertDraw``, so ``replay_draw`` gives the
same panel again and an auditor can check that nobody was hand-picked. An expert tied to the enterprise, or
whose home region is the enterprise's county, is never a candidate.

Each expert sees only their own score (blind); the provincial reviewer sees the panel's result, and decides
only once every score is in (``require_complete_panel``, a guard of the workflow table).
"""

from __future__ import annotations

import random
import secrets
import statistics
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import BooleanField, Case, F, OuterRef, QuerySet, Subquery, Value, When
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import acting_as
from evaluation.panels import ExpertReview, expert_review

from . import followup, workflow
from .models import (
    Application,
    ApplicationEvent,
    ApplicationStatus,
    ExpertAssignment,
    ExpertDraw,
    ExpertProfile,
    ExpertTie,
    Recommendation,
)
from .transitions import lock
from .workflow import Action

S = ApplicationStatus


def review_of(app: Application) -> ExpertReview:
    """The expert review the application's ruleset sets for its tier (a ValidationError if none)."""
    version = app.ruleset
    review = expert_review(version, app.tier) if version is not None else None
    if review is None:
        raise ValidationError({"tier": _("The ruleset sets no expert review for this tier.")})
    return review


def stage_event(app: Application) -> ApplicationEvent | None:
    """The history entry by which the application last entered expert review."""
    return (ApplicationEvent.objects.filter(application_id=app.pk, to_status=S.EXPERT_REVIEW)
            .order_by("-created_at", "-id").first())


def current_draw(app: Application) -> ExpertDraw | None:
    """The draw made since the application last entered expert review, or None (not drawn yet)."""
    if app.status != S.EXPERT_REVIEW:
        return None
    entered = stage_event(app)
    if entered is None:
        return None
    return ExpertDraw.objects.filter(stage_event=entered).first()


def is_on_current_panel(user: Any, app: Application) -> bool:
    draw = current_draw(app)
    return draw is not None and draw.assignments.filter(expert__user=user).exists()


# --- the draw ---------------------------------------------------------------------------------------------

def eligible_experts(app: Application) -> tuple[list[int], dict[str, str]]:
    """(candidate expert ids in order, {excluded expert id: reason}) for the application's enterprise."""
    enterprise = app.enterprise
    county = enterprise.region
    members = set(enterprise.memberships.values_list("user_id", flat=True))
    candidates: list[int] = []
    excluded: dict[str, str] = {}
    pool = (ExpertProfile.objects.filter(active=True, user__is_active=True).select_related("home_region")
            .prefetch_related("ties").order_by("pk"))
    for expert in pool:
        if any(tie.enterprise_id == enterprise.pk for tie in expert.ties.all()):
            excluded[str(expert.pk)] = "tie"
        elif expert.user_id in members:
            excluded[str(expert.pk)] = "member"
        elif county.contains(expert.home_region):
            excluded[str(expert.pk)] = "county"
        else:
            candidates.append(expert.pk)
    return candidates, excluded


def pick(seed: int, candidates: list[int], size: int) -> list[int]:
    """The panel a seed picks from the candidates (the one formula the draw and its replay share)."""
    return random.Random(seed).sample(list(candidates), size)


@transaction.atomic
def draw_experts(application: Application, *, user: Any, size: int | None = None,
                 seed: int | None = None) -> ExpertDraw:
    """Draw the application's panel (provincial staff, in expert review): seeded, recorded, replayable; the
    drawn experts are told once the draw is committed."""
    app = lock(application)
    rule = workflow.check(user, app, Action.DRAW_EXPERTS)
    review = review_of(app)
    size = review.panel_size if size is None else int(size)
    if size < 1:
        raise ValidationError({"size": _("Draw at least one expert.")})
    entered = stage_event(app)
    if entered is None or ExpertDraw.objects.filter(stage_event=entered).exists():
        raise ValidationError({"application": _("The panel for this expert review has already been drawn.")})
    candidates, excluded = eligible_experts(app)
    if len(candidates) < size:
        raise ValidationError({"size": _("Only %(n)s experts are eligible (not tied to the enterprise, not from "
                                         "its county); %(size)s are needed.") % {"n": len(candidates),
                                                                                  "size": size}})
    seed = secrets.randbits(62) if seed is None else int(seed)
    chosen = pick(seed, candidates, size)
    with acting_as(user, context={"action": rule.action, "application": app.pk}):
        try:
            with transaction.atomic():
                draw = ExpertDraw.objects.create(application=app, stage_event=entered, seed=seed, size=size,
                                                 candidates=candidates, excluded=excluded, chosen=chosen,
                                                 drawn_by=user)
        except IntegrityError:
            raise ValidationError({"application": _("The panel for this expert review has already been drawn.")})
        for expert_id in chosen:
            ExpertAssignment.objects.create(draw=draw, application=app, expert_id=expert_id)
    # The drawn experts are told by the follow-up (``expert_notices``): after commit, or by the sweep.
    Application.objects.filter(pk=app.pk).update(followup_done=False, updated_at=timezone.now())
    latest = ApplicationEvent.objects.filter(application_id=app.pk).order_by("-pk").values_list("pk", flat=True)[0]
    followup.schedule(app.pk, latest)
    return draw


def replay_draw(draw: ExpertDraw) -> list[int]:
    """The panel the recorded seed and candidates give: equal to ``draw.chosen`` unless the record was altered."""
    return pick(draw.seed, draw.candidates, draw.size)


# --- blind scoring ----------------------------------------------------------------------------------------

def assignments_of(user: Any):  # noqa: ANN201 (a queryset of ExpertAssignment)
    """The assignments of ``user`` as an expert: what their own pages list (nothing else is theirs)."""
    return ExpertAssignment.by_expert.restrict(user).select_related("application__enterprise__region", "draw")


def with_open(seats: QuerySet) -> QuerySet:
    """Seats annotated with ``on_current_panel``: the application is in expert review and the seat's draw is
    the one made since it last entered the stage (the ``stage_event`` rule, in one query for a whole list)."""
    entered = (ApplicationEvent.objects.filter(application_id=OuterRef("application_id"), to_status=S.EXPERT_REVIEW)
               .order_by("-created_at", "-id").values("id")[:1])
    return seats.annotate(stage_entered=Subquery(entered)).annotate(on_current_panel=Case(
        When(application__status=S.EXPERT_REVIEW, draw__stage_event_id=F("stage_entered"), then=Value(True)),
        default=Value(False), output_field=BooleanField()))


def clean_scores(review: ExpertReview, scores: dict[str, Any]) -> dict[str, int]:
    """Every category of the form, each a whole number from 0 to its maximum; else errors per category."""
    errors: dict[str, list[str]] = {}
    cleaned: dict[str, int] = {}
    for category in review.form:
        raw = scores.get(category.code)
        if raw is None or str(raw).strip() == "":
            errors[category.code] = [_("Give a score for this category.")]
            continue
        try:
            value = int(str(raw).strip())
        except ValueError:
            errors[category.code] = [_("Enter a whole number.")]
            continue
        if not 0 <= value <= category.max:
            errors[category.code] = [_("Enter a score from 0 to %(max)s.") % {"max": category.max}]
            continue
        cleaned[category.code] = value
    unknown = sorted(set(scores) - {c.code for c in review.form})
    for code in unknown:
        errors[code] = [_("Not a category of this scoring form.")]
    if errors:
        raise ValidationError(errors)
    return cleaned


@transaction.atomic
def submit_score(assignment: ExpertAssignment, *, user: Any, scores: dict[str, Any], recommendation: str,
                 comment: str = "") -> ExpertAssignment:
    """An expert's score on their assignment: once, while the application is in expert review."""
    seat = (ExpertAssignment.objects.select_for_update(of=("self",)).select_related("expert", "application")
            .get(pk=assignment.pk))
    if seat.expert.user_id != getattr(user, "pk", None):
        raise PermissionDenied(_("This assignment is not yours."))
    app = lock(seat.application)
    rule = workflow.check(user, app, Action.SCORE)
    draw = current_draw(app)
    if draw is None or draw.pk != seat.draw_id:
        raise ValidationError({"application": _("This panel is no longer the application's current panel.")})
    if seat.submitted_at is not None:
        raise ValidationError({"scores": _("You have already submitted your score.")})
    cleaned = clean_scores(review_of(app), scores or {})
    if recommendation not in Recommendation.values:
        raise ValidationError({"recommendation": _("Choose one of: %(choices)s.") % {
            "choices": ", ".join(Recommendation.values)}})
    seat.scores = cleaned
    seat.total = sum(cleaned.values())
    seat.recommendation = recommendation
    seat.comment = (comment or "").strip()
    seat.submitted_at = timezone.now()
    with acting_as(user, context={"action": rule.action, "application": app.pk}):
        seat.save()
    return seat


# --- the panel's result -----------------------------------------------------------------------------------

@dataclass
class PanelResult:
    drawn: bool
    size: int = 0
    submitted: int = 0
    max_total: int = 0
    mean: Decimal | None = None
    spread: int | None = None
    stdev: Decimal | None = None
    scores: list[ExpertAssignment] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        return self.drawn and self.submitted == self.size


def _two_places(value: float) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def panel_result(app: Application) -> PanelResult:
    """The current panel's progress and, once every score is in, its mean, spread and each expert's score."""
    draw = current_draw(app)
    if draw is None:
        return PanelResult(drawn=False)
    seats = list(draw.assignments.select_related("expert__user").order_by("pk"))
    done = [s for s in seats if s.submitted_at is not None]
    result = PanelResult(drawn=True, size=len(seats), submitted=len(done),
                         max_total=review_of(app).max_total)
    if result.complete:
        totals = [s.total or 0 for s in done]
        result.mean = _two_places(statistics.fmean(totals))
        result.spread = max(totals) - min(totals)
        result.stdev = _two_places(statistics.pstdev(totals))
        result.scores = done
    return result


def require_complete_panel(app: Application) -> None:
    """Guard of the provincial decision after expert review: the panel is drawn and every score is in."""
    result = panel_result(app)
    if not result.drawn:
        raise ValidationError({"action": _("Draw the expert panel first.")})
    if not result.complete:
        raise ValidationError({"action": _("%(done)s of %(size)s experts have scored; decide once all have.")
                               % {"done": result.submitted, "size": result.size}})


# --- the pool ---------------------------------------------------------------------------------------------

def require_pool_manager(user: Any) -> None:
    """Registry staff, superusers and provincial reviewers keep the expert pool."""
    if not getattr(user, "is_authenticated", False) or not user.is_staff:
        raise PermissionDenied(_("Only provincial staff keep the expert pool."))
    if user.is_superuser or user.has_perm("registry.change_expertprofile"):
        return
    raise PermissionDenied(_("Only provincial staff keep the expert pool."))


@transaction.atomic
def save_expert(*, user: Any, expert_user: Any, fields: str, home_region: Any, active: bool = True,
                expert: ExpertProfile | None = None) -> ExpertProfile:
    """Add a user to the pool, or change an expert's fields, home region or standing."""
    require_pool_manager(user)
    fields = ", ".join(part.strip() for part in (fields or "").split(",") if part.strip())
    if not fields:
        raise ValidationError({"fields": _("Name at least one field of expertise.")})
    if expert is None:
        if ExpertProfile.objects.filter(user=expert_user).exists():
            raise ValidationError({"user": _("This user is already in the expert pool.")})
        expert = ExpertProfile(user=expert_user)
    else:
        expert = ExpertProfile.objects.select_for_update().get(pk=expert.pk)
    expert.fields, expert.home_region, expert.active = fields, home_region, bool(active)
    with acting_as(user, context={"action": "save_expert"}):
        expert.save()
    return expert


@transaction.atomic
def declare_tie(expert: ExpertProfile, *, user: Any, enterprise: Any, relation: str) -> ExpertTie:
    """Record an expert's declared tie to an enterprise: from then on they are never drawn for it."""
    require_pool_manager(user)
    relation = (relation or "").strip()
    if not relation:
        raise ValidationError({"relation": _("Say what the tie is (employment, shares, consulting, family).")})
    with acting_as(user, context={"action": "declare_tie"}):
        tie, created = ExpertTie.objects.get_or_create(expert=expert, enterprise=enterprise,
                                                       defaults={"relation": relation})
    if not created and tie.relation != relation:
        tie.relation = relation
        with acting_as(user, context={"action": "declare_tie"}):
            tie.save()
    return tie
