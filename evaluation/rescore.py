"""Re-scoring many enterprises: jobs split into chunks that workers take independently.

A job lists its enterprises once, in id order, as chunks of bounded size. Each chunk is one transaction: lock
the chunk row, read its enterprises with a constant number of queries, evaluate them with the engine, upsert the
assessments, record errors and demotion proposals, clear ``needs_rescore``, mark the chunk done and add to the
job's counters. A chunk task that runs twice, or that is re-queued after its worker was killed, finds the chunk
either done (nothing to do) or untouched (the killed transaction rolled back), so nothing is lost or doubled.
"""

from __future__ import annotations

import datetime
import functools
import hashlib
import json
import logging
from collections.abc import Callable, Container, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, F, Max, Min, OuterRef, QuerySet, Subquery, Sum
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone
from django.utils.translation import gettext as _
from psycopg.errors import UniqueViolation

from core.audit import acting_as
from core.lookups import AnyOf, id_array
from enterprises.models import Enterprise, Region, Tier

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
from .profiles import ENTERPRISE_FIELDS, joined_values, profile_values, typed_values
from .signals import chunk_scored, job_finished
from .versions import compiled, get_ruleset_version

logger = logging.getLogger(__name__)


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


def _chunk_sum(column: str) -> Any:
    """The sum of ``column`` over the job's chunks recorded as done (0 when none is)."""
    done = (RescoreChunk.objects.filter(job_id=OuterRef("pk"), done=True).order_by().values("job_id")
            .annotate(total=Sum(column)).values("total"))
    return Coalesce(Subquery(done), 0)


def record_progress(job_id: int) -> None:
    """Bring the job's counters up to the chunks recorded as done. Runs after a chunk commits, in its own short
    statement: a worker's chunk transaction never writes the job's row, so the workers never wait on each other
    there. Counters never go back, even if two workers' updates cross."""
    RescoreJob.objects.filter(pk=job_id).update(
        done=Greatest(F("done"), _chunk_sum("scored")), failed=Greatest(F("failed"), _chunk_sum("failed")),
        updated_at=timezone.now(),
    )


def finish_if_complete(job_id: int) -> bool:
    """Mark the job done, with its exact counts, when no chunk is left. Called after each chunk commits, so the
    last one to commit sees every other chunk done; the conditional update makes a second caller a no-op."""
    if RescoreChunk.objects.filter(job_id=job_id, done=False).exists():
        return False
    now = timezone.now()
    finished = bool(RescoreJob.objects.filter(
        pk=job_id, status__in=[RescoreStatus.QUEUED, RescoreStatus.RUNNING]
    ).update(status=RescoreStatus.DONE, finished_at=now, updated_at=now, done=_chunk_sum("scored"),
             failed=_chunk_sum("failed")))
    if finished:
        job_finished.send(sender=RescoreJob, job_id=job_id)
    return finished


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
        explain = bool(settings.REGISTRY.get("RESCORE_EXPLAIN", False))
    RescoreChunk.objects.filter(pk=chunk_id, done=False).update(attempts=F("attempts") + 1)
    with transaction.atomic():
        # No join may sneak in (an ordering by the job would lock the job row too, and SKIP LOCKED would then
        # skip every chunk while another chunk of the job is being written).
        chunk = (RescoreChunk.objects.select_for_update(skip_locked=True).order_by()
                 .filter(pk=chunk_id, done=False).first())
        if chunk is None:
            return ChunkOutcome(skipped=True)
        # The ruleset's data (tens of kilobytes of JSON) is read and compiled once per process, not per chunk.
        job = RescoreJob.objects.select_related("ruleset").defer("ruleset__data").get(pk=chunk.job_id)
        if job.status == RescoreStatus.CANCELLED:
            return ChunkOutcome(skipped=True)
        now = timezone.now()
        if connection.vendor == "postgresql":
            # The chunk's done flag commits with its rows: a commit lost in a crash loses the flag too, and the
            # resume re-runs the chunk. So this transaction need not wait for the WAL flush.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL synchronous_commit TO OFF")
        if job.status == RescoreStatus.QUEUED:
            # Only while the job is queued: once it runs, no chunk transaction touches the job's row.
            RescoreJob.objects.filter(pk=job.pk, status=RescoreStatus.QUEUED).update(
                status=RescoreStatus.RUNNING, started_at=now
            )
        with acting_as(context={"job": job.pk}):
            outcome = _score_chunk(job, chunk.enterprise_ids, explain=explain)
        RescoreChunk.objects.filter(pk=chunk.pk).update(
            done=True, done_at=timezone.now(), scored=outcome.scored, failed=outcome.failed
        )
    record_progress(job.pk)
    finish_if_complete(job.pk)
    return outcome


@dataclass(frozen=True)
class Shortfall:
    """A tier the enterprise holds that a re-score found it no longer meets (with the rules now unmet)."""

    enterprise_id: int
    tier: str
    year: int
    unmet: list[Any] = field(default_factory=list)


def _score_chunk(job: RescoreJob, ids: list[int], *, explain: bool) -> ChunkOutcome:
    """Read, evaluate and write one chunk. Queries: the unchanged enterprises (1), the others with their values
    and the tiers they hold (one joined query on PostgreSQL, four elsewhere), their flags (1), the stored digests
    (1), writes (a few): the same whatever the chunk size.

    An enterprise none of whose inputs changed since its assessments of this year and ruleset were stored (its
    ``figures_version`` and the result format match every one, see ``unchanged``) is not even read: the engine
    is deterministic, so its result is the stored one. Of the others, one whose input digest (``input_digest``)
    matches every stored assessment is read but not evaluated again. Enterprises holding a tier are always
    evaluated, since a shortfall on a held tier must reach the reviewers: the chunk
    sends its shortfalls with ``signals.chunk_scored`` inside its transaction (the registry turns them into
    demotion proposals).

    On PostgreSQL the rows of enterprises with nothing stored for this year and ruleset are streamed with COPY
    into the table while the chunk evaluates, so the database takes them in while the engine works on the next
    ones. Should a row appear meanwhile (a live evaluation racing the chunk), that COPY fails as a whole and the
    chunk is evaluated again with every row going through the merge (``write_assessments``).
    """
    version = job.ruleset
    year = job.year
    ruleset = _compiled(version)
    tier_count = len(ruleset.plan()[1])
    mode = b"explain" if explain else b"brief"
    skipped = unchanged(ids, year, version.pk, tier_count, digest_tag(mode))
    ids = [pk for pk in ids if pk not in skipped]
    enterprises, figures_versions, values = _read_chunk(ids, year)
    stored, existing = stored_digests(ids, year, version.pk, tier_count)
    fresh = set(ids) - existing

    def scoring() -> _ChunkPass:
        return _ChunkPass(job=job, ruleset=ruleset, mode=mode, explain=explain, values=values,
                          figures_versions=figures_versions, stored=stored)

    chunk = scoring()
    if fresh and connection.vendor == "postgresql":
        try:
            with transaction.atomic(), connection.cursor() as cursor, cursor.cursor.copy(
                f"COPY {Assessment._meta.db_table} ({', '.join(ROW_COLUMNS)}) FROM STDIN"
            ) as copy:
                chunk.run(enterprises, fresh=fresh, stream=copy.write_row)
        except UniqueViolation:  # raised by the raw COPY, so psycopg's class, not Django's
            logger.info("re-score: assessments appeared while the chunk ran; merging instead")
            chunk = scoring()
            chunk.run(enterprises)
    else:
        chunk.run(enterprises)
    outcome = chunk.outcome
    outcome.scored += len(skipped)

    write_assessments(chunk.rows, chunk.snapshots)
    for figures_version, pks in chunk.same_inputs.items():
        Assessment.objects.filter(AnyOf(F("enterprise_id"), pks), year=year, ruleset_id=version.pk).exclude(
            figures_version=figures_version).update(figures_version=figures_version)
    if outcome.errors:
        RescoreError.objects.bulk_create(
            [RescoreError(job_id=job.pk, enterprise_id=pk, field=f[:100], message=m) for pk, f, m in outcome.errors],
            ignore_conflicts=True,
        )
    if chunk.shortfalls:
        answers = chunk_scored.send(sender=RescoreJob, job_id=job.pk, shortfalls=chunk.shortfalls)
        outcome.proposals = sum(answer for _receiver, answer in answers if isinstance(answer, int))
    if chunk.written:
        version.mark_used()
    return outcome


@dataclass
class _ChunkPass:
    """One evaluation of a chunk's enterprises: the rows to write (streamed, for ``fresh`` enterprises, to
    ``stream`` as they are made), the snapshots, shortfalls and counts."""

    job: RescoreJob
    ruleset: Any
    mode: bytes
    explain: bool
    values: dict[int, tuple | None]
    figures_versions: dict[int, int]
    stored: dict[int, str]
    outcome: ChunkOutcome = field(default_factory=ChunkOutcome)
    rows: list[tuple] = field(default_factory=list)
    written: int = 0
    snapshots: dict[str, str] = field(default_factory=dict)
    shortfalls: list[Shortfall] = field(default_factory=list)
    same_inputs: dict[int, list[int]] = field(default_factory=dict)

    def run(self, enterprises: list[tuple], fresh: Container[int] = frozenset(),
            stream: Callable[[tuple], Any] | None = None) -> None:
        outcome, ruleset, explain, mode = self.outcome, self.ruleset, self.explain, self.mode
        year, version_id, job_id = self.job.year, self.job.ruleset_id, self.job.pk
        now = timezone.now()
        for enterprise in enterprises:
            enterprise_id = enterprise[0]
            inputs = self.values[enterprise_id]
            if inputs is None:
                outcome.failed += 1
                outcome.errors.append((enterprise_id, "declarations",
                                       _("no declaration for %(year)s") % {"year": year}))
                continue
            held = inputs[5]
            digest = input_digest(mode, inputs)
            if not held and self.stored.get(enterprise_id) == digest:
                # The same result, judged before the version was last bumped (or by a live evaluation): record
                # the version it holds for, so the next re-score skips it without reading it.
                self.same_inputs.setdefault(self.figures_versions[enterprise_id], []).append(enterprise_id)
                outcome.scored += 1
                continue
            try:
                parsed = engine.profile_from_values(*typed_values(inputs))
                result = engine.evaluate(parsed, ruleset, explain=explain, advice=False)
                rereview = {}
                if held:
                    # A held tier is judged as its re-review would judge it (criteria.md §4.6: some rules
                    # differ). Every tier is evaluated so prerequisites are judged as in a full evaluation;
                    # always explained, since a demotion proposal must say which rules are no longer met.
                    rereview = engine.evaluate(parsed, ruleset, rereview=True, explain=True, advice=False).tiers
            except engine.ProfileError as exc:
                outcome.failed += 1
                outcome.errors.append((enterprise_id, exc.field, exc.message))
                continue
            if digest not in self.snapshots:
                self.snapshots[digest] = snapshot_json(inputs)
            write = stream if stream is not None and enterprise_id in fresh else self.rows.append
            for tier, tier_result in result.tiers.items():
                data = tier_result.to_dict(portable=True) if explain else tier_result.brief_dict()
                write((
                    enterprise_id, year, version_id, tier, tier_result.status, bool(tier_result.passed),
                    tier_result.route or "", tier_result.score, tier_result.max_score,
                    orjson.dumps(data, default=str).decode(), digest, self.figures_versions[enterprise_id], now,
                    job_id,
                ))
                self.written += 1
            for tier in held:
                tier_result = rereview.get(tier) or result.tiers.get(tier)
                if tier_result is not None and tier_result.status == "failed":
                    unmet = [{"code": u.code, "message": u.message, "msg": u.portable()} for u in tier_result.unmet]
                    self.shortfalls.append(Shortfall(enterprise_id, tier, year, unmet))
            outcome.scored += 1


_COMPILED: dict[tuple[int, str], Any] = {}


def _compiled(version: RulesetVersion) -> Any:
    """The engine ruleset of ``version`` (loaded without its data), cached by id and content digest."""
    key = (version.pk, version.digest)
    ruleset = _COMPILED.get(key)
    if ruleset is None:
        ruleset = _COMPILED[key] = compiled(RulesetVersion.objects.get(pk=version.pk))
    return ruleset


def _engine_fingerprint() -> bytes:
    """A digest of the engine's own source: when the engine changes (a rule's meaning, the result layout, a
    message's wording), every stored digest changes with it, so the next re-score evaluates and rewrites every
    assessment once instead of keeping results the new engine would not give."""
    digest = hashlib.blake2b(digest_size=16)
    for path in sorted(Path(engine.__file__).resolve().parent.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest().encode()


RESULT_FORMAT = b"tier-registry result " + _engine_fingerprint()


TAG_LENGTH = 16


@functools.cache
def digest_tag(mode: bytes) -> str:
    """The first ``TAG_LENGTH`` characters of every digest this engine stores in ``mode``: the result format
    alone, so SQL can tell a result the current engine would store from one an older engine stored."""
    return hashlib.blake2b(RESULT_FORMAT + b"|" + mode, digest_size=TAG_LENGTH // 2).hexdigest()


def input_digest(mode: bytes, inputs: tuple) -> str:
    """The digest stored with an assessment: the result format's tag (``digest_tag``), then BLAKE2b of a compact
    canonical encoding of the profile's values (``inputs`` as ``profile_values`` reads them from the database, in
    the engine's ``*_VALUE_FIELDS`` order), the result format and whether results are explained. The profile
    itself is stored as a ``ProfileSnapshot`` under this digest.

    Much cheaper than hashing the profile's JSON, and the same stored values always give the same digest, which
    is all the unchanged-result skip compares (re-score digests are only compared with re-score digests).
    """
    body = hashlib.blake2b(RESULT_FORMAT + b"|" + mode + b"|" + repr(inputs).encode(), digest_size=24).hexdigest()
    return digest_tag(mode) + body


def snapshot_json(inputs: tuple) -> str:
    """The ``ProfileSnapshot`` of a re-scored input: the values as read (``profile_values``), not the profile
    built from them. A tenth of the size of the profile's JSON and far cheaper to write, which matters when a
    re-score stores a snapshot per enterprise; ``evaluation.services.snapshot_profile`` rebuilds the profile."""
    return orjson.dumps({"format": "values", "values": inputs}, default=str).decode()


def stored_digests(ids: list[int], year: int, ruleset_id: int, tiers: int) -> tuple[dict[int, str], set[int]]:
    """The enterprises whose ``tiers`` stored assessments (this year and ruleset) share one input digest, with
    that digest; and every enterprise with at least one stored assessment (the rest have none to update)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # One probe of the unique index (enterprise, year, ruleset, tier) per enterprise, whatever the planner
            # believes of the table. While a first scoring fills it, its statistics can still say it is empty or
            # that this ruleset is rare: ``enterprise_id = ANY(…)`` would then be planned as a scan of the whole
            # growing table, or ``ruleset_id = …`` through the ruleset's index, once per chunk. (``+ 0`` keeps
            # the ruleset condition out of the index choice.)
            cursor.execute(
                "SELECT e.id, s.low, s.high, s.n FROM unnest(%s::bigint[]) AS e(id) CROSS JOIN LATERAL ("
                " SELECT min(input_digest) AS low, max(input_digest) AS high, count(*) AS n"
                f" FROM {Assessment._meta.db_table} a"
                " WHERE a.enterprise_id = e.id AND a.year = %s AND a.ruleset_id + 0 = %s) s WHERE s.n > 0",
                [id_array(ids), year, ruleset_id],
            )
            rows = cursor.fetchall()
    else:
        rows = (Assessment.objects.filter(AnyOf(F("enterprise_id"), ids), year=year, ruleset_id=ruleset_id)
                .order_by().values("enterprise_id")
                .annotate(low=Min("input_digest"), high=Max("input_digest"), n=Count("*"))
                .values_list("enterprise_id", "low", "high", "n"))
    return {pk: low for pk, low, high, n in rows if low == high and n == tiers}, {row[0] for row in rows}


def unchanged(ids: list[int], year: int, ruleset_id: int, tiers: int, tag: str) -> set[int]:
    """Those of ``ids`` whose ``tiers`` stored assessments (this year and ruleset) were all judged, by the current
    result format, at the enterprise's current ``figures_version``; none holds a tier (those are always judged
    again, see ``_score_chunk``). Decided in the database: the enterprises' figures are not read.

    The flags of those that still say "needs re-scoring" are cleared (at the version seen, so a change that
    commits meanwhile keeps its flag)."""
    if not ids:
        return set()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # As in ``stored_digests``: one probe of the unique index per enterprise, whatever the statistics of
            # a table a first scoring is still filling say (``+ 0`` keeps the ruleset's own index out of it).
            cursor.execute(
                f"SELECT e.id, e.figures_version, e.needs_rescore FROM {Enterprise._meta.db_table} e"
                " WHERE e.id = ANY(%s::bigint[]) AND e.held_tiers = '' AND ("
                f" SELECT count(*) FROM {Assessment._meta.db_table} a WHERE a.enterprise_id = e.id"
                " AND a.year = %s AND a.ruleset_id + 0 = %s AND a.figures_version = e.figures_version"
                " AND left(a.input_digest, %s) = %s) = %s",
                [id_array(ids), year, ruleset_id, len(tag), tag, tiers],
            )
            rows = cursor.fetchall()
        return _clear_seen_flags(rows)
    matching = Assessment.objects.filter(
        enterprise_id=OuterRef("pk"), year=year, ruleset_id=ruleset_id, figures_version=OuterRef("figures_version"),
        input_digest__startswith=tag,
    ).order_by().values("enterprise_id").annotate(n=Count("*")).values("n")
    rows = list(Enterprise.objects.filter(AnyOf(F("pk"), ids), held_tiers="")
                .annotate(stored=Subquery(matching)).filter(stored=tiers).order_by()
                .values_list("pk", "figures_version", "needs_rescore"))
    return _clear_seen_flags(rows)


def _clear_seen_flags(rows: list[tuple[int, int, bool]]) -> set[int]:
    """Clear the flags of unchanged enterprises at the version seen; returns their ids."""
    flagged: dict[int, list[int]] = {}
    for pk, figures_version, needs_rescore in rows:
        if needs_rescore:
            flagged.setdefault(figures_version, []).append(pk)
    if flagged and connection.vendor == "postgresql":
        pairs = [(pk, v) for v, pks in flagged.items() for pk in pks]
        with connection.cursor() as cursor:  # one statement, however many versions the chunk holds
            cursor.execute(
                f"UPDATE {Enterprise._meta.db_table} e SET needs_rescore = false"
                " FROM unnest(%s::bigint[], %s::bigint[]) AS seen(id, figures_version)"
                " WHERE e.id = seen.id AND e.figures_version = seen.figures_version AND e.needs_rescore",
                [id_array(pk for pk, _v in pairs), id_array(v for _pk, v in pairs)],
            )
        return {row[0] for row in rows}
    for figures_version, pks in flagged.items():
        Enterprise.objects.filter(AnyOf(F("pk"), pks), figures_version=figures_version).update(needs_rescore=False)
    return {row[0] for row in rows}


def _read_chunk(ids: list[int], year: int) -> tuple[list[tuple], dict[int, int], dict[int, tuple | None]]:
    """The chunk's enterprises (``ENTERPRISE_FIELDS`` rows, in id order), each one's ``figures_version`` and
    profile values (``profiles.profile_values``), with their flags cleared (``_read_and_clear``). On PostgreSQL
    one joined query reads it all (``profiles.joined_values``)."""
    if connection.vendor != "postgresql":
        enterprises, figures_versions = _read_and_clear(ids)
        return enterprises, figures_versions, profile_values(enterprises, year)
    enterprises, figures_versions, values, seen = [], {}, {}, []
    for enterprise, figures_version, needs_rescore, inputs in joined_values(ids, year):
        enterprises.append(enterprise)
        figures_versions[enterprise[0]] = figures_version
        values[enterprise[0]] = inputs
        seen.append((enterprise[0], figures_version, needs_rescore))
    _clear_seen_flags(seen)
    return enterprises, figures_versions, values


def _read_and_clear(ids: list[int]) -> tuple[list[tuple], dict[int, int]]:
    """Read the chunk's enterprises and clear their ``needs_rescore`` flag; return their identity columns
    (``ENTERPRISE_FIELDS``: the id, then the engine's ``ENTERPRISE_VALUE_FIELDS``), in id order, with each one's
    ``figures_version``.

    Nothing is locked. Every service that changes what an evaluation reads bumps the enterprise's
    ``figures_version`` as it sets the flag (``enterprises.services.figures_changed``), so a flag is cleared only
    at the version read: a change committed after the read, or still in flight (the update then waits for it and
    sees its version), keeps its flag, and the assessments written record the version they judged, so the next
    re-score judges the enterprise again. Locking a thousand rows per chunk cost a write of every row's header
    (and its WAL record) for nothing more.
    """
    rows = list(Enterprise.objects.filter(AnyOf(F("pk"), ids)).order_by("pk")
                .values_list(*ENTERPRISE_FIELDS, "figures_version", "needs_rescore"))
    _clear_seen_flags([(row[0], row[-2], row[-1]) for row in rows])
    return [row[:-2] for row in rows], {row[0]: row[-2] for row in rows}


# --- Writing assessments in bulk -------------------------------------------------------------------------------

ROW_COLUMNS = ("enterprise_id", "year", "ruleset_id", "tier", "status", "passed", "route", "score", "max_score",
               "result", "input_digest", "figures_version", "evaluated_at", "job_id")


def write_assessments(rows: list[tuple], snapshots: dict[str, str]) -> None:
    """Upsert assessment rows (in ``ROW_COLUMNS`` order) and their input snapshots.

    On PostgreSQL the rows are streamed into a temporary table and merged with one INSERT … ON CONFLICT that
    leaves unchanged results alone (so ``job_id`` and ``evaluated_at`` name the job that produced the current
    result); the rows of enterprises with nothing stored never come here, ``_score_chunk`` streams them straight
    into the table. Other databases use the ORM's bulk upsert.
    """
    if not rows and not snapshots:
        return
    if connection.vendor == "postgresql":
        _write_postgres(rows, snapshots)
    else:
        _write_orm(rows, snapshots)


def _write_orm(rows: list[tuple], snapshots: dict[str, str]) -> None:
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
        update_fields=Assessment.RESULT_FIELDS, batch_size=500,
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
            " input_digest varchar(64), figures_version bigint, evaluated_at timestamptz, job_id bigint)"
            " ON COMMIT DELETE ROWS"
        )
        cursor.execute(
            "CREATE TEMP TABLE IF NOT EXISTS rescore_snapshot_stage (digest varchar(64), data jsonb)"
            " ON COMMIT DELETE ROWS"
        )
        # No TRUNCATE: the staging tables empty themselves at commit (and a rolled-back chunk leaves nothing
        # behind), and truncating a table on every chunk churns the catalog.
        if snapshots:
            # Snapshots are shared by content: most already exist after the first scoring of these figures
            # (a new ruleset version scores the same inputs). The missing ones go straight into the table with
            # COPY; should another worker store one of them meanwhile, the COPY fails as a whole and they go
            # through the staging table's INSERT … ON CONFLICT instead.
            # The digests are hex, so they make an array literal as they are (see ``id_array``).
            cursor.execute(f"SELECT digest FROM {snapshot_table} WHERE digest = ANY(%s::varchar[])",
                           ["{" + ",".join(snapshots) + "}"])
            known = {digest for (digest,) in cursor.fetchall()}
            missing = [(d, text) for d, text in snapshots.items() if d not in known]
            if missing:
                try:
                    with transaction.atomic(), raw.copy(
                        f"COPY {snapshot_table} (digest, data, created_at) FROM STDIN"
                    ) as copy:
                        now = timezone.now()
                        for digest, text in missing:
                            copy.write_row((digest, text, now))
                except UniqueViolation:  # raised by the raw COPY, so psycopg's class, not Django's
                    with raw.copy("COPY rescore_snapshot_stage (digest, data) FROM STDIN") as copy:
                        for item in missing:
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
                f" OR {table}.figures_version IS DISTINCT FROM EXCLUDED.figures_version"
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
