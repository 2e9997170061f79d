"""Rounds (批次): provincial staff open a round of one tier with its dates and close it; outside an open round,
new applications for a tier that runs rounds are refused (``eligibility.judge`` asks ``round_refusal``).

A tier for which no round was ever opened is not gated (the province has not started running rounds for it).
Re-reviews are not gated either: they follow the certification's expiry, not the round.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from core.audit import acting_as
from core.roles import reviewer_of
from enterprises.models import Tier

from .review_models import ReviewRound, RoundStatus


def require_provincial_staff(user: Any) -> None:
    """Provincial reviewers, registry staff (the provincial department, no regional binding) and superusers."""
    if not getattr(user, "is_authenticated", False):
        raise PermissionDenied(_("Log in first."))
    if user.is_superuser:
        return
    reviewer = reviewer_of(user)
    if not user.is_staff or (reviewer is not None and reviewer.level != "province"):
        raise PermissionDenied(_("Only provincial staff may open or close a round."))


def validate_round(*, tier: str, name: str, opens_on: Any, closes_on: Any, lock: bool = False) -> str:
    """The checks of a new round (the admin's form runs them too); returns the cleaned name."""
    if tier not in Tier.values:
        raise ValidationError({"tier": _("Unknown tier %(tier)s.") % {"tier": tier}})
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": _("Give the round a name.")})
    if not isinstance(opens_on, datetime.date):
        raise ValidationError({"opens_on": _("Give the date the round opens.")})
    if not isinstance(closes_on, datetime.date):
        raise ValidationError({"closes_on": _("Give the date the round closes.")})
    if closes_on < opens_on:
        raise ValidationError({"closes_on": _("A round cannot close before it opens.")})
    current = ReviewRound.objects.filter(tier=tier, status=RoundStatus.OPEN)
    current = (current.select_for_update() if lock else current).first()
    if current is not None:
        raise ValidationError({"tier": _("Round %(name)s of this tier is still open: close it first.")
                               % {"name": current.name}})
    return name


@transaction.atomic
def open_round(*, tier: str, name: str, opens_on: datetime.date, closes_on: datetime.date, user: Any) -> ReviewRound:
    """Open a round of ``tier`` accepting new applications from ``opens_on`` to ``closes_on``."""
    require_provincial_staff(user)
    name = validate_round(tier=tier, name=name, opens_on=opens_on, closes_on=closes_on, lock=True)
    round_ = ReviewRound(tier=tier, name=name, opens_on=opens_on, closes_on=closes_on, opened_by=user)
    try:
        with transaction.atomic(), acting_as(user, context={"action": "open_round"}):
            round_.save()
    except IntegrityError:
        raise ValidationError({"tier": _("A round of this tier is already open.")})
    return round_


@transaction.atomic
def close_round(round_: ReviewRound, *, user: Any) -> ReviewRound:
    """Close a round: no new applications for its tier until the next one opens."""
    require_provincial_staff(user)
    locked = ReviewRound.objects.select_for_update().get(pk=round_.pk)
    if locked.status != RoundStatus.OPEN:
        raise ValidationError({"status": _("This round is already closed.")})
    locked.status = RoundStatus.CLOSED
    locked.closed_by = user
    locked.closed_at = timezone.now()
    with acting_as(user, context={"action": "close_round"}):
        locked.save()
    return locked


def rounds_by_tier() -> dict[str, list[ReviewRound]]:
    """Every tier's rounds (one query), for the eligibility checks."""
    table: dict[str, list[ReviewRound]] = {}
    for round_ in ReviewRound.objects.order_by("opens_on", "pk"):
        table.setdefault(round_.tier, []).append(round_)
    return table


def current_round(rounds: list[ReviewRound], on: datetime.date) -> ReviewRound | None:
    for round_ in rounds:
        if round_.status == RoundStatus.OPEN and round_.opens_on <= on <= round_.closes_on:
            return round_
    return None


def round_refusal(rounds: list[ReviewRound], tier: str, on: datetime.date) -> str:
    """Why a new application for ``tier`` is refused on ``on`` (empty when a round is open or none is run)."""
    if not rounds or current_round(rounds, on) is not None:
        return ""
    label = Tier(tier).label
    upcoming = [r for r in rounds if r.status == RoundStatus.OPEN and r.opens_on > on]
    if upcoming:
        return _("No round of %(tier)s is open: the next one (%(name)s) opens on %(date)s.") % {
            "tier": label, "name": upcoming[0].name, "date": date_format(upcoming[0].opens_on)}
    return _("No round of %(tier)s is open now: new applications are accepted only during a round.") % {
        "tier": label}
