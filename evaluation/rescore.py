"""Re-scoring many enterprises: jobs split into chunks that workers take independently.

A job lists its enterprises once, in id order, as chunks of bounded size. Each chunk is one transaction: lock
the chunk, read its enterprises with a constant number of queries, evaluate them with the engine, upsert the
assessments, record errors and demotion proposals, clear ``needs_rescore``, mark the chunk done and add to the
job's counters. A chunk task that runs twice, or that is re-queued after its worker was killed, finds the chunk
either done (nothing to do) or untouched (the killed transaction rolled back), so nothing is lost or doubled.
"""

from __future__ import annotations

import datetime
import json
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import orjson
from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Lookup, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from enterprises.audit import acting_as
from enterprises.models import Declaration, Enterprise, FinancialYear, Region, Tier
from enterprises.profiles import ProfileUnavailable, assemble

from . import engine
from .models import (
    Assessment,
    ProfileSnapshot,
    RescoreChunk,
    RescoreError,
    RescoreJob,
    RescoreScope,
    RescoreStatus,
    RulesetVersion,
)
from .services import compiled, get_ruleset_version

logger = logging.getLogger(__name__)

ENTERPRISE_FIELDS = ("id", "uscc", "name", "region_id", "sector", "established_year")


class RescoreRequestError(ValueError):
    """A re-score asked for something that does not exist (an unknown region, tier or ruleset code)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def default_chunk_size() -> int:
    return int(settings.REGISTRY.get("RESCORE_CHUNK_SIZE", 1000))


def default_year(on: datetime.date | None = None) -> int:
    """The figures year a re-score judges: the last complete fiscal year (上年度, criteria.md §0.3)."""
    return (on or timezone.localdate()).year - 1


def resolve_ruleset(code: str | RulesetVersion | None) -> RulesetVersion:
    """The published version to judge with: the newest of ``code``, or the ruleset in force today."""
    if isinstance(code, RulesetVersion):
        return code
    try:
        return get_ruleset_version(code or None)
    except engine.ProfileError:
        known = ", ".join(engine.available_rulesets())
        raise RescoreRequestError("ruleset", _("Unknown ruleset %(code)s; known: %(known)s.")
                                  % {"code": code, "known": known})


def scope_queryset(scope: str, value: str = "") -> QuerySet[Enterprise]:
    """The enterprises a scope covers; raises ``RescoreRequestError`` naming an unknown region or tier."""
    if scope == RescoreScope.ALL:
        return Enterprise.objects.all()
    if scope == RescoreScope.CHANGED:
        return Enterprise.objects.filter(needs_rescore=True)
    if scope == RescoreScope.REGION:
        if not Region.objects.filter(code=value).exists():
            raise RescoreRequestError("region", _("Unknown region code %(code)s.") % {"code": value})
        return Enterprise.objects.in_region(value)
    if scope == RescoreScope.TIER:
        if value not in Tier.values:
            raise RescoreRequestError("tier", _("Unknown tier %(code)s; known: %(known)s.")
                                      % {"code": value, "known": ", ".join(Tier.values)})
        return Enterprise.objects.filter(current_tier=value)
    raise RescoreRequestError("scope", _("Unknown scope %(scope)s.") % {"scope": scope})


@transaction.atomic
def plan_job(
    *,
    scope: str = RescoreScope.ALL,
    value: str = "",
    ruleset: str | RulesetVersion | None = None,
    year: int | None = None,
    user: Any = None,
    label: str = "",
    chunk_size: int | None = None,
) -> RescoreJob:
    """Create the job and its chunks (enterprise ids in id order); nothing is evaluated yet."""
    queryset = scope_queryset(scope, value)
    version = resolve_ruleset(ruleset)
    size = chunk_size or default_chunk_size()
    ids = list(queryset.order_by("pk").values_list("pk", flat=True).distinct())
    now = timezone.now()
    job = RescoreJob.objects.create(
        started_by=user if user is not None and user.is_authenticated else None,
        label=(label or (user.get_username() if user is not None else "system"))[:150],
        scope=scope, scope_value=value, ruleset=version, year=year or default_year(), chunk_size=size,
        total=len(ids), status=RescoreStatus.QUEUED if ids else RescoreStatus.DONE,
        finished_at=None if ids else now,
    )
    RescoreChunk.objects.bulk_create(
        [RescoreChunk(job=job, number=n, enterprise_ids=ids[i:i + size], size=len(ids[i:i + size]))
         for n, i in enumerate(range(0, len(ids), size))],
        batch_size=500,
    )
    return job


def start_job(**kwargs: Any) -> RescoreJob:
    """Plan a job and queue its chunks once the plan is committed (inline when no broker is configured)."""
    with transaction.atomic():
        job = plan_job(**kwargs)
        if job.total:
            transaction.on_commit(lambda: dispatch_job(job.pk))
    return job


MAX_AUTOMATIC_ATTEMPTS = 5


def dispatch_job(job_id: int, max_attempts: int | None = None) -> int:
    """Queue every unfinished chunk of the job as one group of chunk tasks. Returns how many were queued.

    ``max_attempts`` leaves out chunks tried that often already (the automatic safety net uses it, so a chunk
    that fails for a reason a retry cannot fix is not re-queued forever; an explicit resume retries it).
    """
    from celery import group

    from .tasks import rescore_chunk

    chunks = RescoreChunk.objects.filter(job_id=job_id, done=False)
    if max_attempts is not None:
        chunks = chunks.filter(attempts__lt=max_attempts)
    chunk_ids = list(chunks.order_by("number").values_list("pk", flat=True))
    if chunk_ids:
        group(rescore_chunk.si(pk) for pk in chunk_ids).apply_async()
    else:
        finish_if_complete(job_id)
    return len(chunk_ids)


def resume_job(job_id: int) -> int:
    """Re-queue the unfinished chunks of a job, e.g. after a worker was killed. Safe at any time: a chunk that
    is running or done is skipped by its task."""
    return dispatch_job(job_id)


def resume_stale_jobs(stale_after: datetime.timedelta | None = None) -> list[int]:
    """Re-queue chunks of jobs that made no progress for a while (the periodic safety net)."""
    minutes = int(settings.REGISTRY.get("RESCORE_STALE_MINUTES", 10))
    cutoff = timezone.now() - (stale_after or datetime.timedelta(minutes=minutes))
    stale = list(RescoreJob.objects.filter(
        status__in=[RescoreStatus.QUEUED, RescoreStatus.RUNNING], updated_at__lt=cutoff
    ).values_list("pk", flat=True))
    for job_id in stale:
        RescoreJob.objects.filter(pk=job_id).update(updated_at=timezone.now())
        dispatch_job(job_id, max_attempts=MAX_AUTOMATIC_ATTEMPTS)
    return stale


def finish_if_complete(job_id: int) -> bool:
    """Mark the job done when no chunk is left. Called after each chunk commits, so the last one to commit
    sees every other chunk done; the conditional update makes a second caller a no-op."""
    if RescoreChunk.objects.filter(job_id=job_id, done=False).exists():
        return False
    now = timezone.now()
    return bool(RescoreJob.objects.filter(
        pk=job_id, status__in=[RescoreStatus.QUEUED, RescoreStatus.RUNNING]
    ).update(status=RescoreStatus.DONE, finished_at=now, updated_at=now))


@dataclass
class ChunkOutcome:
    scored: int = 0
    failed: int = 0
    proposals: int = 0
    skipped: bool = False
    errors: list[tuple[int, str, str]] = field(default_factory=list)


def run_chunk(chunk_id: int, *, explain: bool | None = None) -> ChunkOutcome:
    """Re-score one chunk in one transaction; a no-op when the chunk is done or another worker holds it."""
    if explain is None:
        explain = bool(settings.REGISTRY.get("RESCORE_EXPLAIN", True))
    RescoreChunk.objects.filter(pk=chunk_id, done=False).update(attempts=F("attempts") + 1)
    with transaction.atomic():
        # No join may sneak in (an ordering by the job would lock the job row too, and SKIP LOCKED would then
        # skip every chunk while another chunk of the job is being written).
        chunk = (RescoreChunk.objects.select_for_update(skip_locked=True).order_by()
                 .filter(pk=chunk_id, done=False).first())
        if chunk is None:
            return ChunkOutcome(skipped=True)
        job = RescoreJob.objects.select_related("ruleset").get(pk=chunk.job_id)
        if job.status == RescoreStatus.CANCELLED:
            return ChunkOutcome(skipped=True)
        now = timezone.now()
        if connection.vendor == "postgresql":
            # The chunk's done flag commits with its rows: a commit lost in a crash loses the flag too, and the
            # resume re-runs the chunk. So this transaction need not wait for the WAL flush.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
        RescoreJob.objects.filter(pk=job.pk, status=RescoreStatus.QUEUED).update(
            status=RescoreStatus.RUNNING, started_at=now
        )
        with acting_as(context={"job": job.pk}):
            outcome = _score_chunk(job, chunk.enterprise_ids, explain=explain)
        RescoreChunk.objects.filter(pk=chunk.pk).update(done=True, done_at=timezone.now())
        RescoreJob.objects.filter(pk=job.pk).update(
            done=F("done") + outcome.scored, failed=F("failed") + outcome.failed, updated_at=timezone.now()
        )
    finish_if_complete(job.pk)
    return outcome


def _score_chunk(job: RescoreJob, ids: list[int], *, explain: bool) -> ChunkOutcome:
    """Read, evaluate and write one chunk. Queries: lock and read enterprises (1), certifications (1),
    declarations, last year's platform scores and financials (3), writes (a few): the same whatever the chunk size."""
    from registry.lifecycle import Shortfall, propose_demotions
    from registry.models import Certification

    outcome = ChunkOutcome()
    version = job.ruleset
    ruleset = compiled(version)
    enterprises = _lock_and_clear(ids)
    certified: dict[int, list[tuple[int, str]]] = {}
    for cert_id, enterprise_id, tier in Certification.objects.valid_on(timezone.localdate()).filter(
        AnyOf(F("enterprise_id"), ids)
    ).values_list("pk", "enterprise_id", "tier"):
        certified.setdefault(enterprise_id, []).append((cert_id, tier))
    profiles = load_profiles(enterprises, job.year, {pk: [t for _, t in held] for pk, held in certified.items()})

    now = timezone.now()
    rows: list[tuple] = []
    snapshots: dict[str, str] = {}
    shortfalls: list[Shortfall] = []
    for enterprise in enterprises:
        profile = profiles[enterprise.id]
        try:
            if isinstance(profile, ProfileUnavailable):
                raise profile
            parsed = engine.parse_profile(profile)
            result = engine.evaluate(parsed, ruleset, explain=explain, advice=False).to_dict()
            held = certified.get(enterprise.id, [])
            rereview = {}
            if held:
                # A held tier is judged as its re-review would judge it (criteria.md §4.6: some rules differ).
                # Every tier is evaluated so prerequisites are judged as in a full evaluation; always explained,
                # since a demotion proposal must say which rules are no longer met.
                rereview = engine.evaluate(parsed, ruleset, rereview=True, explain=True,
                                           advice=False).to_dict()["tiers"]
        except (ProfileUnavailable, engine.ProfileError) as exc:
            outcome.failed += 1
            outcome.errors.append((enterprise.id, exc.field, exc.message))
            continue
        snapshot_json = json.dumps(engine.profile_to_dict(parsed), sort_keys=True, ensure_ascii=False,
                                   separators=(",", ":"), default=str)
        digest = canonical_digest_of_json(snapshot_json)
        snapshots[digest] = snapshot_json
        for tier, tier_result in result["tiers"].items():
            rows.append((
                enterprise.id, job.year, version.pk, tier, tier_result["status"], bool(tier_result["passed"]),
                tier_result.get("route") or "", tier_result.get("score"), tier_result.get("max_score"),
                orjson.dumps(tier_result, default=str).decode(), digest, now, job.pk,
            ))
        for cert_id, tier in held:
            tier_result = rereview.get(tier) or result["tiers"].get(tier)
            if tier_result and tier_result["status"] == "failed":
                shortfalls.append(Shortfall(cert_id, enterprise.id, tier, job.year, tier_result.get("unmet", [])))
        outcome.scored += 1

    write_assessments(rows, snapshots)
    if outcome.errors:
        RescoreError.objects.bulk_create(
            [RescoreError(job_id=job.pk, enterprise_id=pk, field=f[:100], message=m) for pk, f, m in outcome.errors],
            ignore_conflicts=True,
        )
    if shortfalls:
        outcome.proposals = propose_demotions(shortfalls, job_id=job.pk)
    if rows:
        version.mark_used()
    return outcome


class AnyOf(Lookup):
    """``column = ANY(%s)`` with the ids as one array parameter on PostgreSQL (``IN (...)`` elsewhere): a
    thousand separate placeholders cost more to build and parse than the query takes to run."""

    lookup_name = "any_of"
    prepare_rhs = False

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        lhs, lhs_params = self.process_lhs(compiler, connection)
        values = [int(v) for v in self.rhs]
        if connection.vendor == "postgresql":
            return f"{lhs} = ANY(%s)", [*lhs_params, values]
        if not values:
            return "1 = 0", list(lhs_params)
        return f"{lhs} IN ({', '.join(['%s'] * len(values))})", [*lhs_params, *values]


def _lock_and_clear(ids: list[int]) -> list[SimpleNamespace]:
    """Lock the chunk's enterprises, clear their ``needs_rescore`` flag and return their identity columns.

    The lock holds until the chunk commits, so a figure saved meanwhile sets the flag again afterwards:
    clearing it here never hides a change this chunk did not see.
    """
    if connection.vendor == "postgresql":
        table = Enterprise._meta.db_table
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET needs_rescore = false WHERE id = ANY(%s) RETURNING {', '.join(ENTERPRISE_FIELDS)}",
                [list(ids)],
            )
            rows = sorted(cursor.fetchall())
        return [SimpleNamespace(**dict(zip(ENTERPRISE_FIELDS, row, strict=True))) for row in rows]
    rows = [SimpleNamespace(**row) for row in Enterprise.objects.select_for_update()
            .filter(AnyOf(F("pk"), ids)).order_by("pk").values(*ENTERPRISE_FIELDS)]
    Enterprise.objects.filter(AnyOf(F("pk"), ids), needs_rescore=True).update(needs_rescore=False)
    return rows


def load_profiles(
    enterprises: list[SimpleNamespace], year: int, held: dict[int, list[str]]
) -> dict[int, dict[str, Any] | ProfileUnavailable]:
    """Profiles for a chunk with three queries and no model instances.

    The same assembly as ``enterprises.profiles.build_profiles`` (so the same profile, the same digest), fed
    with plain rows: building thousands of model instances (and their audit snapshots) costs more than the
    evaluation itself.
    """
    ids = [e.id for e in enterprises]
    declarations = {row["enterprise_id"]: SimpleNamespace(**row)
                    for row in Declaration.objects.filter(AnyOf(F("enterprise_id"), ids), year=year).values()}
    previous_scores = dict(Declaration.objects.filter(
        AnyOf(F("enterprise_id"), ids), year=year - 1, platform_score__isnull=False
    ).values_list("enterprise_id", "platform_score"))
    financials: dict[int, list[SimpleNamespace]] = defaultdict(list)
    for row in FinancialYear.objects.filter(AnyOf(F("enterprise_id"), ids), year__gte=year - 2, year__lte=year).values(
        "enterprise_id", "year", *FinancialYear.PROFILE_FIELDS
    ):
        financials[row["enterprise_id"]].append(SimpleNamespace(**row))
    out: dict[int, dict[str, Any] | ProfileUnavailable] = {}
    for e in enterprises:
        try:
            out[e.id] = assemble(e, year, declarations.get(e.id), financials[e.id], held.get(e.id, []),
                                 previous_scores.get(e.id))
        except ProfileUnavailable as exc:
            out[e.id] = exc
    return out


def canonical_digest_of_json(text: str) -> str:
    """Same as ``canonical_digest`` for text already dumped canonically (saves a second dump)."""
    import hashlib

    return hashlib.sha256(text.encode()).hexdigest()


# --- Writing assessments in bulk -------------------------------------------------------------------------------

ROW_COLUMNS = ("enterprise_id", "year", "ruleset_id", "tier", "status", "passed", "route", "score", "max_score",
               "result", "input_digest", "evaluated_at", "job_id")


def write_assessments(rows: list[tuple], snapshots: dict[str, str]) -> None:
    """Upsert assessment rows (in ``ROW_COLUMNS`` order) and their input snapshots.

    On PostgreSQL rows are streamed with COPY into a temporary table and merged with one INSERT … ON CONFLICT
    that leaves unchanged results alone (so ``job_id`` and ``evaluated_at`` name the job that produced the
    current result); other databases use the ORM's bulk upsert.
    """
    if not rows and not snapshots:
        return
    if connection.vendor == "postgresql":
        _write_postgres(rows, snapshots)
    else:
        _write_orm(rows, snapshots)


def _write_orm(rows: list[tuple], snapshots: dict[str, str]) -> None:
    from .services import ASSESSMENT_UPDATE_FIELDS

    ProfileSnapshot.objects.bulk_create(
        [ProfileSnapshot(digest=d, data=json.loads(text)) for d, text in snapshots.items()],
        ignore_conflicts=True, batch_size=500,
    )
    objs = []
    for row in rows:
        values = dict(zip(ROW_COLUMNS, row, strict=True))
        values["result"] = json.loads(values["result"])
        objs.append(Assessment(**values))
    Assessment.objects.bulk_create(
        objs, update_conflicts=True, unique_fields=["enterprise", "year", "ruleset", "tier"],
        update_fields=ASSESSMENT_UPDATE_FIELDS, batch_size=500,
    )


def _write_postgres(rows: list[tuple], snapshots: dict[str, str]) -> None:
    table = Assessment._meta.db_table
    snapshot_table = ProfileSnapshot._meta.db_table
    columns = ", ".join(ROW_COLUMNS)
    updates = ", ".join(f"{c} = EXCLUDED.{c}" for c in ROW_COLUMNS[4:])
    with connection.cursor() as cursor:
        raw = cursor.cursor
        cursor.execute(
            "CREATE TEMP TABLE IF NOT EXISTS rescore_stage ("
            " enterprise_id bigint, year smallint, ruleset_id bigint, tier varchar(20), status varchar(8),"
            " passed boolean, route varchar(12), score numeric(6,2), max_score numeric(6,2), result jsonb,"
            " input_digest varchar(64), evaluated_at timestamptz, job_id bigint) ON COMMIT DELETE ROWS"
        )
        cursor.execute(
            "CREATE TEMP TABLE IF NOT EXISTS rescore_snapshot_stage (digest varchar(64), data jsonb)"
            " ON COMMIT DELETE ROWS"
        )
        cursor.execute("TRUNCATE rescore_stage, rescore_snapshot_stage")
        if snapshots:
            with raw.copy("COPY rescore_snapshot_stage (digest, data) FROM STDIN") as copy:
                for item in snapshots.items():
                    copy.write_row(item)
            cursor.execute(
                f"INSERT INTO {snapshot_table} (digest, data, created_at)"
                " SELECT digest, data, now() FROM rescore_snapshot_stage"
                " ON CONFLICT (digest) DO NOTHING"
            )
        if rows:
            with raw.copy(f"COPY rescore_stage ({columns}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            cursor.execute(
                f"INSERT INTO {table} ({columns}) SELECT {columns} FROM rescore_stage"
                f" ON CONFLICT (enterprise_id, year, ruleset_id, tier) DO UPDATE SET {updates}"
                # An unchanged result is left alone: most of a yearly re-score changes nothing, and not
                # rewriting those rows (and their six indexes) is what makes it fast.
                f" WHERE {table}.input_digest IS DISTINCT FROM EXCLUDED.input_digest"
                f" OR {table}.result IS DISTINCT FROM EXCLUDED.result"
            )


def run_job_inline(job: RescoreJob, progress: Callable[[int], None] | None = None,
                   chunk_ids: Iterable[int] | None = None) -> RescoreJob:
    """Run every unfinished chunk in this process (``rescore --sync``, tests, the inline benchmark)."""
    ids = list(chunk_ids) if chunk_ids is not None else list(
        RescoreChunk.objects.filter(job_id=job.pk, done=False).order_by("number").values_list("pk", flat=True)
    )
    sizes = dict(RescoreChunk.objects.filter(pk__in=ids).values_list("pk", "size"))
    for chunk_id in ids:
        run_chunk(chunk_id)
        if progress is not None:
            progress(sizes.get(chunk_id, 0))
    finish_if_complete(job.pk)
    job.refresh_from_db()
    return job
