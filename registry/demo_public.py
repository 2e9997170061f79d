"""Demo data for the public pages: enterprises in publicity now, and a round whose publicity closed yesterday (so
it is certified and announced). Called by ``seed_demo`` after the assessments; safe to run twice (an enterprise
with an open or certified innovative-SME application is skipped)."""

from __future__ import annotations

import datetime

from django.db import transaction
from django.utils import timezone

from evaluation.models import Assessment
from evaluation.versions import get_ruleset_version

from .applications import close_due_publicity
from .models import OPEN_STATUSES, Application, ApplicationEvent, ApplicationStatus, Certification

TIER = "innovative_sme"
S = ApplicationStatus


@transaction.atomic
def seed_public(in_publicity: int = 12, announced: int = 8) -> dict[str, int]:
    """``in_publicity`` enterprises in publicity until a few days from now, ``announced`` certified yesterday."""
    today = timezone.localdate()
    if ApplicationEvent.objects.filter(actor_label="demo", reason="demo data").exists():
        return {"in_publicity": 0, "announced": 0}  # seeded before: a second run adds no second round
    version = get_ruleset_version()
    busy = set(Application.objects.filter(tier=TIER, status__in=[*OPEN_STATUSES, S.CERTIFIED])
               .values_list("enterprise_id", flat=True))
    busy |= set(Certification.objects.filter(tier=TIER).values_list("enterprise_id", flat=True))
    wanted = in_publicity + announced
    candidates: list[int] = []
    for pk in (Assessment.objects.filter(tier=TIER, passed=True).order_by("enterprise_id")
               .values_list("enterprise_id", flat=True).distinct().iterator()):
        if pk not in busy:
            candidates.append(pk)
            if len(candidates) == wanted:
                break
    year = today.year - 1
    created = []
    for n, enterprise_id in enumerate(candidates):
        past = n < announced  # the announced round first, so a small demo still has one
        started = today - datetime.timedelta(days=7 if past else 2)
        app = Application.objects.create(
            enterprise_id=enterprise_id, tier=TIER, year=year, status=S.PUBLICITY, ruleset=version,
            submitted_at=timezone.now() - datetime.timedelta(days=30),
            publicity_ends_on=today - datetime.timedelta(days=1 if past else -3),
        )
        ApplicationEvent.objects.create(
            application=app, actor_label="demo", actor_role="province", action="approve",
            from_status=S.PROVINCIAL_REVIEW, to_status=S.PUBLICITY, reason="demo data",
            created_at=timezone.make_aware(datetime.datetime.combine(started, datetime.time(9))),
        )
        created.append(app)
    closed = close_due_publicity(today)
    return {"in_publicity": len(created) - closed, "announced": closed}
