"""Policy simulation: what a rule change would do to the registry before anyone makes it.

Every enterprise in scope is evaluated under the current and the proposed ruleset with the same engine that
judges applications; only the differences (who would gain or lose a tier) are stored, never an assessment.
Large populations run as a Celery job in chunks with a constant number of queries each, reporting progress.
"""

from __future__ import annotations

import copy
import datetime
import logging
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from celery import shared_task
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, F, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from kombu.exceptions import OperationalError

from core.roles import region_q, visible_enterprises
from enterprises.models import Enterprise, Region, Tier
from evaluation.profiles import ENTERPRISE_FIELDS, enterprise_rows, profile_values, typed_values

from . import engine
from .models import (
    RulesetVersion,
    SimulationChange,
    SimulationChangeKind,
    SimulationJob,
    SimulationStatus,
)
from .versions import compiled

logger = logging.getLogger(__name__)

CHUNK_SIZE = 2000
REGION = ENTERPRISE_FIELDS.index("region_id")


# --- draft rulesets ----------------------------------------------------------------------------------------------

def set_path(data: dict[str, Any], path: str, value: Any) -> None:
    """Set ``value`` at a dotted path (list items by index): ``tiers.innovative_sme.pass.min_total``."""
    parts = path.split(".")
    node: Any = data
    for part in parts[:-1]:
        node = node[int(part)] if isinstance(node, list) else node[part]
    last = parts[-1]
    if isinstance(node, list):
        node[int(last)] = value
    elif last not in node:
        raise KeyError(path)
    else:
        node[last] = value


def create_draft(
    base: RulesetVersion, data: dict[str, Any] | None = None, *, changes: dict[str, Any] | None = None,
    title: str = "", user: Any = None,
) -> RulesetVersion:
    """A draft copy of ``base`` with edited data, for simulation only (drafts never judge an application).

    Either give the whole edited ``data`` or ``changes`` as {dotted path: new value}. The engine compiles the
    draft first, so a broken edit is refused here rather than in the middle of a job.
    """
    edited = copy.deepcopy(data if data is not None else base.data)
    for path, value in (changes or {}).items():
        try:
            set_path(edited, path, value)
        except (KeyError, IndexError, ValueError, TypeError):
            raise ValidationError({"data": _("No such rule in the ruleset: %(path)s") % {"path": path}})
    try:
        engine.ruleset_from_dict(edited)
    except Exception as exc:  # noqa: BLE001 - any engine complaint means the draft is unusable
        raise ValidationError({"data": _("The engine cannot read this ruleset: %(error)s") % {"error": exc}})
    code = f"{base.code}-draft"[:40]
    latest = RulesetVersion.objects.filter(code=code).order_by("-version").values_list("version", flat=True).first()
    return RulesetVersion.objects.create(
        code=code, version=(latest or 0) + 1, title=title or _("Draft of %(base)s") % {"base": base},
        effective_from=base.effective_from, data=edited, is_draft=True, based_on=base,
        created_by=user if getattr(user, "is_authenticated", False) else None,
    )


# --- comparing two evaluations ----------------------------------------------------------------------------------

def tier_outcomes(parsed: Any, ruleset: Any) -> dict[str, tuple[bool, Any]]:
    """{tier: (passed, score)} of one parsed profile under one compiled ruleset (no explanation or advice: only
    the outcome is compared)."""
    result = engine.evaluate(parsed, ruleset, explain=False, advice=False)
    return {tier: (bool(r.passed), r.score) for tier, r in result.tiers.items()}


def compare(
    values: dict[int, tuple | None], base: Any, candidate: Any
) -> tuple[list[tuple[int, str, str, Any, Any]], int]:
    """The (enterprise id, tier, gain|loss, score now, score proposed) differences, and how many were skipped.
    ``values`` are ``profiles.profile_values`` (``None`` for an enterprise without a declaration): the same
    profiles the re-score judges, read as plain rows."""
    changes = []
    skipped = 0
    for enterprise_id, inputs in values.items():
        if inputs is None:
            skipped += 1
            continue
        try:
            parsed = engine.profile_from_values(*typed_values(inputs))
            now = tier_outcomes(parsed, base)
            proposed = tier_outcomes(parsed, candidate)
        except engine.ProfileError:
            skipped += 1
            continue
        for tier in Tier.values:
            before, after = now.get(tier, (False, None)), proposed.get(tier, (False, None))
            if before[0] != after[0]:
                kind = SimulationChangeKind.GAIN if after[0] else SimulationChangeKind.LOSS
                changes.append((enterprise_id, tier, kind, before[1], after[1]))
    return changes, skipped


def _score(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value)).quantize(Decimal("0.01"))


def population(job: SimulationJob) -> QuerySet:
    """The enterprises the job compares: its region, and never more than its starter may see."""
    queryset = Enterprise.objects.all()
    if job.created_by_id is not None:
        queryset = visible_enterprises(queryset, job.created_by)
    if job.region_code:
        queryset = queryset.filter(region_q(job.region_code))
    return queryset


def summarise(job: SimulationJob) -> dict[str, Any]:
    """Per-tier and per-city gains and losses, from the stored changes (one aggregate query)."""
    per_tier: dict[str, dict[str, int]] = {t: {"gain": 0, "loss": 0} for t in Tier.values}
    per_city: dict[str, dict[str, dict[str, int]]] = defaultdict(lambda: {t: {"gain": 0, "loss": 0}
                                                                            for t in Tier.values})
    for city, tier, kind, n in job.changes.values_list("city_code", "tier", "kind").annotate(
        n=Count("id")
    ).values_list("city_code", "tier", "kind", "n"):
        per_tier[tier][kind] += n
        per_city[city][tier][kind] += n
    return {"per_tier": per_tier, "per_city": dict(per_city)}


def run(job: SimulationJob, progress: Any = None) -> SimulationJob:
    """Evaluate the job's population in chunks under both rulesets and store the differences."""
    base, candidate = compiled(job.base), compiled(job.candidate)
    everyone = population(job)
    total = everyone.count()
    # Only enterprises with a declaration for the year can be evaluated; the rest are counted as skipped at once.
    ids = list(everyone.filter(declarations__year=job.year).order_by("pk").values_list("pk", flat=True))
    SimulationJob.objects.filter(pk=job.pk).update(
        status=SimulationStatus.RUNNING, total=total, processed=total - len(ids), skipped=total - len(ids),
        started_at=timezone.now(), error="",
    )
    job.changes.all().delete()  # a re-run (e.g. a redelivered task) starts clean
    city_of = {code: city or code for code, city in Region.objects.values_list("code", "city_code")}
    for start in range(0, len(ids), CHUNK_SIZE):
        chunk = enterprise_rows(ids[start:start + CHUNK_SIZE])
        changes, skipped = compare(profile_values(chunk, job.year), base, candidate)
        cities = {row[0]: city_of[row[REGION]] for row in chunk}
        SimulationChange.objects.bulk_create([
            SimulationChange(job=job, enterprise_id=pk, city_code=cities[pk], tier=tier, kind=kind,
                             base_score=_score(s0), candidate_score=_score(s1))
            for pk, tier, kind, s0, s1 in changes
        ], batch_size=1000)
        SimulationJob.objects.filter(pk=job.pk).update(
            processed=F("processed") + len(chunk), skipped=F("skipped") + skipped
        )
        if progress is not None:
            progress(min(start + CHUNK_SIZE, len(ids)), len(ids))
    SimulationJob.objects.filter(pk=job.pk).update(
        status=SimulationStatus.DONE, summary=summarise(job), finished_at=timezone.now()
    )
    job.refresh_from_db()
    return job


@shared_task(bind=True, acks_late=True, max_retries=0)
def run_simulation(self: Any, job_id: int) -> dict[str, Any]:
    """The Celery job: safe to run twice (it clears the job's earlier changes and starts over)."""
    job = SimulationJob.objects.select_related("base", "candidate").get(pk=job_id)
    if not self.request.is_eager:
        SimulationJob.objects.filter(pk=job_id).update(worker=self.request.hostname or "")
    try:
        run(job)
    except Exception as exc:
        SimulationJob.objects.filter(pk=job_id).update(
            status=SimulationStatus.FAILED, error=str(exc)[:2000], finished_at=timezone.now()
        )
        raise
    return {"job": job_id, "status": "done"}


def start_simulation(
    base: RulesetVersion, candidate: RulesetVersion, year: int, *, region_code: str = "", user: Any = None
) -> SimulationJob:
    """Create the job and queue it after commit (inline when Celery runs eagerly)."""
    job = SimulationJob.objects.create(
        base=base, candidate=candidate, year=year, region_code=region_code,
        created_by=user if getattr(user, "is_authenticated", False) else None,
    )

    def queue() -> None:
        try:
            result = run_simulation.delay(job.pk)
        except OperationalError as exc:  # the broker is down: the job stays queued, visible in the admin
            logger.warning("simulation %s not queued, the broker is unreachable: %s", job.pk, exc)
            return
        SimulationJob.objects.filter(pk=job.pk, task_id="").update(task_id=result.id or "")

    transaction.on_commit(queue)
    return job


def default_year(today: datetime.date | None = None) -> int:
    """Simulations look at last year's figures, the latest a full declaration covers."""
    return (today or timezone.localdate()).year - 1


def change_rows(job: SimulationJob) -> tuple[list[str], Iterable[list[Any]]]:
    """The affected enterprises as an export table."""
    headers = [_("Unified social credit code"), _("Name"), _("City code"), _("Tier"), _("Change"),
               _("Score now"), _("Score under the proposal")]

    def rows() -> Iterable[list[Any]]:
        for c in job.changes.select_related("enterprise").order_by("tier", "kind", "enterprise__name").iterator(
            chunk_size=2000
        ):
            yield [c.enterprise.uscc, c.enterprise.name, c.city_code, c.get_tier_display(), c.get_kind_display(),
                   c.base_score, c.candidate_score]

    return headers, rows()
