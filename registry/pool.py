"""The cultivation pool's services: reviewers add and remove enterprises (singly, in bulk, from a spreadsheet of
USCCs), proactive discovery proposes entries, reviewers accept or dismiss the proposals.

Each function is one transaction: it locks the enterprises it changes (so two reviewers adding the same firm
serialise, and the database's one-open-entry constraint never fires at a user), checks that the actor's region
holds every enterprise, writes the rows and their audit entries. A bulk call or an import applies everything or
nothing. Discovery follows every re-score job over the enterprises it judged anew
(``evaluation.signals.job_finished``, chunk by chunk as tasks of their own) or runs chunk by chunk for a region on
demand; a chunk run twice finds its proposals already pending, and a dismissed proposal is proposed
again only when the enterprise's figures (its input digest) have changed.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import orjson
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import AuditAction, AuditEntry, acting_as, build_entry, diff, record_many
from core.roles import regions_within, reviewer_of, sees_everything
from enterprises.importer import ImportFileError, normalise_header, read_rows
from enterprises.models import Enterprise, Tier
from evaluation import engine, nearness
from evaluation.models import Assessment, RescoreJob, RescoreStatus, RulesetVersion
from evaluation.profiles import ENTERPRISE_FIELDS, enterprise_rows, profile_values, typed_values
from evaluation.rescore import default_chunk_size, default_year, input_digest, resolve_ruleset
from evaluation.versions import compiled

from .models import PoolEntry, PoolExitReason, PoolProposal, ProposalStatus

MAX_IMPORT_ROWS = 5000


class PoolError(ValidationError):
    """A pool change that cannot be made as asked (already pooled, tier held, nothing to remove)."""


# --- who may change the pool ---------------------------------------------------------------------------------

def require_reviewer_for(user: Any, enterprises: Iterable[Enterprise]) -> None:
    """A reviewer whose region holds every one of ``enterprises`` (not their member), or registry staff."""
    if not getattr(user, "is_authenticated", False):
        raise PermissionDenied(_("Log in first."))
    enterprises = list(enterprises)
    if sees_everything(user):
        return
    reviewer = reviewer_of(user)
    if reviewer is None or not user.is_staff:
        raise PermissionDenied(_("Only a reviewer may change the cultivation pool."))
    outside = [e for e in enterprises if not reviewer.region.contains(e.region)]
    if outside:
        raise PermissionDenied(_("Outside your region: %(names)s.") % {"names": ", ".join(e.uscc for e in outside)})


def _check_tier(tier: str) -> None:
    if tier not in Tier.values:
        raise PoolError({"tier": _("Unknown tier %(tier)s.") % {"tier": tier}})


def _locked(ids: Iterable[int]) -> list[Enterprise]:
    return list(Enterprise.objects.select_for_update().select_related("region").filter(pk__in=list(ids)).order_by("pk"))


# --- entries ---------------------------------------------------------------------------------------------------

def _plan_add(enterprise: Enterprise, tier: str, open_tiers: set[tuple[int, str]]) -> str | None:
    """Why ``enterprise`` cannot enter the pool for ``tier`` (None when it can)."""
    if tier in Enterprise.held_tiers_codes(enterprise.held_tiers):
        return _("%(uscc)s already holds this tier.") % {"uscc": enterprise.uscc}
    if (enterprise.pk, tier) in open_tiers:
        return _("%(uscc)s is already in the pool for this tier.") % {"uscc": enterprise.uscc}
    return None


def _open_pairs(ids: list[int]) -> set[tuple[int, str]]:
    return set(PoolEntry.objects.current().filter(enterprise_id__in=ids).values_list("enterprise_id", "tier"))


def _write_entries(user: Any, pairs: list[tuple[Enterprise, str]], reason: str, on: datetime.date,
                   rule: str = "") -> list[PoolEntry]:
    entries = PoolEntry.objects.bulk_create([
        PoolEntry(enterprise=e, tier=tier, entered_on=on, entered_by=user if getattr(user, "pk", None) else None,
                  entry_rule=rule, entry_reason=reason)
        for e, tier in pairs
    ])
    after = {"entered_on": on.isoformat(), "entry_rule": rule}
    record_many(build_entry(p, AuditAction.CREATE, after={"tier": p.tier, **after}, reason=reason) for p in entries)
    return entries


def add_to_pool(user: Any, enterprises: Iterable[Enterprise], tier: str, reason: str,
                on: datetime.date | None = None) -> list[PoolEntry]:
    """Put each enterprise in the pool for ``tier``; all or none (a ``PoolError`` lists every refusal)."""
    _check_tier(tier)
    if not (reason or "").strip():
        raise PoolError({"reason": _("Give the reason for the entry.")})
    on = on or timezone.localdate()
    with transaction.atomic(), acting_as(user, reason=reason):
        locked = _locked(e.pk for e in enterprises)
        require_reviewer_for(user, locked)
        open_tiers = _open_pairs([e.pk for e in locked])
        errors = [msg for e in locked if (msg := _plan_add(e, tier, open_tiers))]
        if errors:
            raise PoolError({"enterprise": errors})
        return _write_entries(user, [(e, tier) for e in locked], reason, on)


def remove_from_pool(user: Any, entries: Iterable[PoolEntry], exit_reason: str, note: str = "",
                     on: datetime.date | None = None) -> int:
    """Close the current entries with a date and a reason; all or none. Returns how many were closed."""
    if exit_reason not in PoolExitReason.values:
        raise PoolError({"exit_reason": _("Choose why the enterprise leaves the pool.")})
    on = on or timezone.localdate()
    ids = [e.pk for e in entries]
    with transaction.atomic(), acting_as(user, reason=note or None):
        rows = list(PoolEntry.objects.select_for_update().filter(pk__in=ids).order_by("pk"))
        require_reviewer_for(user, list(Enterprise.objects.select_related("region")
                                        .filter(pk__in={r.enterprise_id for r in rows})))
        errors = [_("%(entry)s has already left the pool.") % {"entry": r} for r in rows if r.exited_on]
        errors += [_("%(entry)s entered after %(day)s.") % {"entry": r, "day": on} for r in rows if r.entered_on > on]
        if len(rows) != len(set(ids)):
            errors.append(_("Some entries no longer exist."))
        if errors:
            raise PoolError({"entry": errors})
        return _close(rows, exit_reason, note, on, user)


def _close(rows: list[PoolEntry], exit_reason: str, note: str, on: datetime.date, user: Any = None) -> int:
    PoolEntry.objects.filter(pk__in=[r.pk for r in rows]).update(
        exited_on=on, exit_reason=exit_reason, exit_note=note, exited_by=user if getattr(user, "pk", None) else None
    )
    record_many(build_entry(r, AuditAction.TRANSITION, before={"exited_on": None},
                            after={"exited_on": on.isoformat(), "exit_reason": exit_reason}, reason=note or exit_reason)
                for r in rows)
    return len(rows)


def close_on_certification(enterprise_id: int, tier: str, on: datetime.date | None = None) -> int:
    """A certified enterprise leaves the pool for that tier (called by the certification service, in its
    transaction)."""
    rows = list(PoolEntry.objects.select_for_update().current().filter(enterprise_id=enterprise_id, tier=tier))
    return _close(rows, PoolExitReason.CERTIFIED, "", on or timezone.localdate()) if rows else 0


def pool_on(day: datetime.date, queryset: QuerySet | None = None) -> QuerySet:
    """The pool as it stood on ``day`` (entries entered by then and not yet exited)."""
    return (queryset if queryset is not None else PoolEntry.objects.all()).on(day)


# --- importing a list of USCCs ---------------------------------------------------------------------------------

@dataclass
class PoolImportResult:
    added: int = 0
    removed: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)  # (row number, message)

    @property
    def ok(self) -> bool:
        return not self.errors


USCC_HEADERS = {"uscc", "统一社会信用代码", "unified social credit code", "credit code"}
TIER_HEADERS = {"tier", "梯度", "层级"}
REASON_HEADERS = {"reason", "理由", "原因", "note", "备注"}
ACTION_HEADERS = {"action", "操作"}
ADD_WORDS = {"", "add", "加入", "入库", "新增"}
REMOVE_WORDS = {"remove", "移出", "出库", "删除"}
TIER_WORDS = {**{t.value: t.value for t in Tier}, **{str(t.label).lower(): t.value for t in Tier},
              "创新型中小企业": "innovative_sme", "专精特新中小企业": "specialised_sme", "隐形冠军": "hidden_champion",
              "小巨人": "little_giant", "单项冠军": "single_champion"}


def import_pool_list(user: Any, content: bytes, filename: str, *, tier: str = "", reason: str = "",
                     on: datetime.date | None = None) -> PoolImportResult:
    """Apply a spreadsheet (XLSX or CSV) of USCCs: columns uscc, and optionally tier, action (add / remove)
    and reason; ``tier`` and ``reason`` give defaults. Every row is checked first (a known USCC, in the
    actor's region, a tier, a reason, and the change possible); any error and nothing is written."""
    result = PoolImportResult()
    try:
        rows = read_rows(content, filename)
    except ImportFileError as exc:
        result.errors.append((0, str(exc)))
        return result
    if not rows:
        result.errors.append((0, _("The file is empty.")))
        return result
    header = [normalise_header(c) for c in rows[0]]

    def column(names: set[str]) -> int | None:
        return next((i for i, h in enumerate(header) if h in {normalise_header(n) for n in names}), None)

    cols = {"uscc": column(USCC_HEADERS), "tier": column(TIER_HEADERS), "reason": column(REASON_HEADERS),
            "action": column(ACTION_HEADERS)}
    if cols["uscc"] is None:
        result.errors.append((1, _("No USCC column (统一社会信用代码) in the header row.")))
        return result
    body = [(n, r) for n, r in enumerate(rows[1:], start=2) if any(c not in (None, "") for c in r)]
    if len(body) > MAX_IMPORT_ROWS:
        result.errors.append((0, _("At most %(n)s rows per file.") % {"n": MAX_IMPORT_ROWS}))
        return result

    def cell(row: list[Any], key: str) -> str:
        i = cols[key]
        return "" if i is None or i >= len(row) or row[i] is None else str(row[i]).strip()

    on = on or timezone.localdate()
    with transaction.atomic(), acting_as(user, reason=reason or None):
        usccs = {cell(r, "uscc").upper() for _n, r in body}
        by_uscc = {e.uscc: e for e in Enterprise.objects.select_for_update().select_related("region")
                   .filter(uscc__in=usccs).order_by("pk")}
        ids = [e.pk for e in by_uscc.values()]
        current = {(p.enterprise_id, p.tier): p for p in PoolEntry.objects.select_for_update().current()
                   .filter(enterprise_id__in=ids)}
        reviewer = None if sees_everything(user) else reviewer_of(user)
        if reviewer is None and not sees_everything(user):
            raise PermissionDenied(_("Only a reviewer may change the cultivation pool."))
        adds: list[tuple[Enterprise, str, str]] = []
        removes: list[tuple[PoolEntry, str]] = []
        seen: set[tuple[int, str]] = set()
        for number, row in body:
            uscc = cell(row, "uscc").upper()
            enterprise = by_uscc.get(uscc)
            row_tier = TIER_WORDS.get(cell(row, "tier").lower()) if cell(row, "tier") else tier
            action = cell(row, "action").lower()
            row_reason = cell(row, "reason") or reason
            if enterprise is None:
                result.errors.append((number, _("Unknown USCC %(uscc)s.") % {"uscc": uscc or "—"}))
                continue
            if reviewer is not None and not reviewer.region.contains(enterprise.region):
                result.errors.append((number, _("%(uscc)s is outside your region.") % {"uscc": uscc}))
                continue
            if not row_tier:
                result.errors.append((number, _("Unknown or missing tier %(tier)s.") % {"tier": cell(row, "tier")}))
                continue
            if (enterprise.pk, row_tier) in seen:
                result.errors.append((number, _("%(uscc)s appears twice for this tier.") % {"uscc": uscc}))
                continue
            seen.add((enterprise.pk, row_tier))
            if action in ADD_WORDS:
                if not row_reason:
                    result.errors.append((number, _("Give the reason for the entry.")))
                elif msg := _plan_add(enterprise, row_tier, set(current)):
                    result.errors.append((number, msg))
                else:
                    adds.append((enterprise, row_tier, row_reason))
            elif action in REMOVE_WORDS:
                entry = current.get((enterprise.pk, row_tier))
                if entry is None:
                    result.errors.append((number, _("%(uscc)s is not in the pool for this tier.") % {"uscc": uscc}))
                else:
                    removes.append((entry, row_reason))
            else:
                result.errors.append((number, _("Unknown action %(action)s (add or remove).") % {"action": action}))
        if result.errors:
            return result
        for enterprise, row_tier, row_reason in adds:
            _write_entries(user, [(enterprise, row_tier)], row_reason, on)
        for entry, row_reason in removes:
            _close([entry], PoolExitReason.REMOVED, row_reason, on, user)
        result.added, result.removed = len(adds), len(removes)
    return result


# --- proposals ---------------------------------------------------------------------------------------------------

def accept_proposals(user: Any, proposals: Iterable[PoolProposal], note: str = "",
                     on: datetime.date | None = None) -> list[PoolEntry]:
    """Accept pending proposals: each enterprise enters the pool for the proposed tier, the entry naming the
    rule that proposed it. All or none."""
    on = on or timezone.localdate()
    ids = [p.pk for p in proposals]
    with transaction.atomic(), acting_as(user, reason=note or None):
        rows = list(PoolProposal.objects.select_for_update().filter(pk__in=ids).order_by("pk"))
        enterprises = {e.pk: e for e in _locked({r.enterprise_id for r in rows})}
        require_reviewer_for(user, enterprises.values())
        open_tiers = _open_pairs(list(enterprises))
        errors = [_("%(p)s is no longer pending.") % {"p": r} for r in rows if r.status != ProposalStatus.PENDING]
        errors += [_("%(p)s is still being advised.") % {"p": r} for r in rows if not r.advised]
        errors += [m for r in rows if (m := _plan_add(enterprises[r.enterprise_id], r.tier, open_tiers))]
        if errors:
            raise PoolError({"proposal": errors})
        entries = []
        for r in rows:
            reason = note or _("Proposed by discovery (%(rule)s)") % {"rule": r.rule}
            entries += _write_entries(user, [(enterprises[r.enterprise_id], r.tier)], reason, on,
                                      rule=f"discovery:{r.rule}"[:60])
        _decide(rows, ProposalStatus.ACCEPTED, user, note)
        return entries


def dismiss_proposals(user: Any, proposals: Iterable[PoolProposal], note: str) -> int:
    """Dismiss pending proposals with a note; all or none. Not proposed again until the figures change."""
    if not (note or "").strip():
        raise PoolError({"note": _("Say why the proposal is dismissed.")})
    ids = [p.pk for p in proposals]
    with transaction.atomic(), acting_as(user, reason=note):
        rows = list(PoolProposal.objects.select_for_update().filter(pk__in=ids).order_by("pk"))
        require_reviewer_for(user, list(Enterprise.objects.select_related("region")
                                        .filter(pk__in={r.enterprise_id for r in rows})))
        errors = [_("%(p)s is no longer pending.") % {"p": r} for r in rows if r.status != ProposalStatus.PENDING]
        if errors:
            raise PoolError({"proposal": errors})
        _decide(rows, ProposalStatus.DISMISSED, user, note)
        return len(rows)


def _decide(rows: list[PoolProposal], status: str, user: Any, note: str) -> None:
    now = timezone.now()
    PoolProposal.objects.filter(pk__in=[r.pk for r in rows]).update(
        status=status, decided_by=user, decided_at=now, decision_note=note
    )
    record_many(build_entry(r, AuditAction.TRANSITION, before={"status": r.status}, after={"status": status},
                            reason=note) for r in rows)


# --- discovery ---------------------------------------------------------------------------------------------------

def _prerequisites_met(ruleset: Any, tier: str, result: Any, held: Iterable[str]) -> bool:
    held = set(held)
    return all(p in held or (p in result.tiers and result.tiers[p].passed)
               for p in ruleset.tiers[tier].prerequisites)


def discover(version: Any, ruleset: Any, year: int, evaluated: list[tuple], job_id: int | None = None) -> int:
    """Propose pool entries for the evaluated enterprises near a tier they neither hold nor are pooled for.

    ``evaluated`` holds (enterprise id, input digest, profile, held tiers, explained engine result). The caller
    holds the enterprises' row locks and the transaction. Nearness is judged from those results in memory; the
    proposals and their audit rows are then written with one statement on PostgreSQL (elsewhere: existing
    proposals and entries, then the inserts). Nothing when no tier is near; the advice follows later
    (``advise_proposals``).
    """
    rules = nearness.near_rules(version)
    if not rules:
        return 0
    looks: list[tuple[int, str, Any, str, Any]] = []
    for enterprise_id, digest, profile, held, result in evaluated:
        for tier, tier_result in result.tiers.items():
            rule = rules.get(tier)
            if rule is None or tier in held or not _prerequisites_met(ruleset, tier, result, held):
                continue
            if nearness.judge(rule, tier_result, ruleset.tiers[tier].pass_mark):
                looks.append((enterprise_id, tier, profile, digest, tier_result))
    if not looks:
        return 0
    candidates = [
        (enterprise_id, tier, digest, rules[tier].code, tier_result.score, ruleset.tiers[tier].pass_mark,
         [{"code": u.code, "message": u.message, "msg": u.portable()} for u in tier_result.unmet])
        for enterprise_id, tier, _profile, digest, tier_result in looks
    ]
    if connection.vendor == "postgresql":
        return _propose_postgres(candidates, version.pk, year, job_id)
    return _propose_orm(candidates, version.pk, year, job_id)


def _audit_after(tier: str, rule: str) -> dict[str, str]:
    return {"tier": tier, "rule": rule, "status": ProposalStatus.PENDING}


def _propose_orm(candidates: list[tuple], ruleset_id: int, year: int, job_id: int | None) -> int:
    """Proposals for the candidates not already pending, pooled or settled on the same figures (3 queries and
    the audit rows)."""
    ids = sorted({row[0] for row in candidates})
    known = set(PoolProposal.objects.filter(enterprise_id__in=ids).exclude(status=ProposalStatus.ACCEPTED)
                .values_list("enterprise_id", "tier", "input_digest", "status"))
    pending = {(e, t) for e, t, _d, s in known if s == ProposalStatus.PENDING}
    settled = {(e, t, d) for e, t, d, s in known if s != ProposalStatus.PENDING}  # dismissed or not concrete
    pooled = _open_pairs(ids)
    fresh = [
        PoolProposal(enterprise_id=e, tier=t, year=year, ruleset_id=ruleset_id, input_digest=d, rule=rule,
                     score=score, pass_mark=mark, job_id=job_id, unmet=unmet, advised=False)
        for e, t, d, rule, score, mark, unmet in candidates
        if (e, t) not in pending and (e, t) not in pooled and (e, t, d) not in settled
    ]
    if fresh:
        PoolProposal.objects.bulk_create(fresh)
        record_many(build_entry(p, AuditAction.CREATE, after=_audit_after(p.tier, p.rule),
                                enterprise_id=p.enterprise_id, object_repr=f"{p.enterprise_id} {p.tier}",
                                reason=_("Proposed by discovery")) for p in fresh)
    return len(fresh)


def _propose_postgres(candidates: list[tuple], ruleset_id: int, year: int, job_id: int | None) -> int:
    """The same as ``_propose_orm`` in one statement: the candidates as one JSON document (psycopg adapts a
    list parameter element by element, which cost more than the statement), the checks as anti-joins (no lists
    of ids to compare row by row), the proposals and their audit rows written together."""
    template = build_entry(None, AuditAction.CREATE, content_type=ContentType.objects.get_for_model(PoolProposal),
                           object_id=0, object_repr="", reason=_("Proposed by discovery"))
    proposals, entries = PoolProposal._meta.db_table, PoolEntry._meta.db_table
    records = []
    for e, t, d, rule, score, mark, unmet in candidates:
        after = _audit_after(t, rule)
        records.append({"enterprise_id": e, "tier": t, "input_digest": d, "rule": rule, "score": score,
                        "pass_mark": mark, "unmet": unmet, "changes": diff(None, after), "after": after})
    now = timezone.now()
    sql = f"""
        WITH v AS (
            SELECT * FROM jsonb_to_recordset(%s::jsonb)
                AS v(enterprise_id bigint, tier varchar, input_digest varchar, rule varchar, score numeric,
                     pass_mark numeric, unmet jsonb, changes jsonb, after jsonb)
        ), ins AS (
            INSERT INTO {proposals} (enterprise_id, tier, year, ruleset_id, input_digest, rule, score, pass_mark,
                                     unmet, advice, advised, job_id, status, decision_note, created_at)
            SELECT v.enterprise_id, v.tier, %s, %s, v.input_digest, v.rule, v.score, v.pass_mark, v.unmet,
                   '[]'::jsonb, false, %s, %s, '', %s
            FROM v
            WHERE NOT EXISTS (
                SELECT 1 FROM {proposals} p WHERE p.enterprise_id = v.enterprise_id AND p.tier = v.tier
                AND (p.status = %s OR (p.status <> %s AND p.input_digest = v.input_digest)))
            AND NOT EXISTS (
                SELECT 1 FROM {entries} e WHERE e.enterprise_id = v.enterprise_id AND e.tier = v.tier
                AND e.exited_on IS NULL)
            ON CONFLICT DO NOTHING
            RETURNING id, enterprise_id, tier
        )
        INSERT INTO {AuditEntry._meta.db_table} (created_at, actor_id, actor_label, source, action,
            content_type_id, object_id, object_repr, enterprise_id, changes, before, after, reason, context)
        SELECT %s, %s, %s, %s, %s, %s, ins.id::text, ins.enterprise_id::text || ' ' || ins.tier, ins.enterprise_id,
               v.changes, NULL, v.after, %s, %s::jsonb
        FROM ins JOIN v ON v.enterprise_id = ins.enterprise_id AND v.tier = ins.tier
    """
    params = [orjson.dumps(records, default=str).decode(), year, ruleset_id, job_id, ProposalStatus.PENDING, now,
              ProposalStatus.PENDING, ProposalStatus.ACCEPTED,
              now, template.actor_id, template.actor_label, template.source, template.action,
              template.content_type_id, template.reason, orjson.dumps(template.context, default=str).decode()]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def advise_proposals(limit: int = 1000) -> tuple[int, int]:
    """Add the engine's advice to up to ``limit`` proposals still without it, oldest first, in one
    transaction (rows locked with SKIP LOCKED, so two workers share the backlog). A proposal whose rule asks
    for concrete advice and whose advice is not concrete is withdrawn (``not_concrete``); it is proposed again
    only with new figures. Returns (advised, withdrawn); safe to run twice. The figures read are the
    enterprise's current ones: when they changed since the proposal, its digest no longer matches and the
    proposal is withdrawn, since the next re-score judges the new figures.

    Queries: the proposals, their rulesets, the enterprises' values (four per figures year), one update and the
    withdrawals' audit rows, whatever ``limit`` is."""
    with transaction.atomic():
        rows = list(PoolProposal.objects.select_for_update(skip_locked=True)
                    .filter(advised=False, status=ProposalStatus.PENDING).order_by("pk")
                    .only("pk", "enterprise_id", "tier", "year", "ruleset_id", "input_digest", "status")[:limit])
        if not rows:
            return 0, 0
        by_year: dict[tuple[int, int], list[PoolProposal]] = {}
        for r in rows:
            by_year.setdefault((r.year, r.ruleset_id), []).append(r)
        versions = RulesetVersion.objects.in_bulk({r.ruleset_id for r in rows})
        mode = b"explain" if settings.REGISTRY.get("RESCORE_EXPLAIN", False) else b"brief"
        now_withdrawn: list[tuple[PoolProposal, str]] = []
        for (year, ruleset_id), group in by_year.items():
            version = versions[ruleset_id]
            ruleset = compiled(version)
            rules = nearness.near_rules(version)
            enterprises = enterprise_rows(sorted({r.enterprise_id for r in group}))
            names = {row[0]: row[ENTERPRISE_FIELDS.index("name")] for row in enterprises}
            values = profile_values(enterprises, year)
            for r in group:
                inputs = values.get(r.enterprise_id)
                rule = rules.get(r.tier)
                advice: list = []
                ok = inputs is not None and rule is not None and input_digest(mode, inputs) == r.input_digest
                if ok:
                    profile = engine.profile_from_values(*typed_values(inputs))
                    advice = nearness.advice_for(profile, ruleset, r.tier)
                    ok = not rule.concrete_advice or (advice and all("set" in a for a in advice))
                r.advice, r.advised = advice, True
                if not ok:
                    r.status = ProposalStatus.NOT_CONCRETE
                    now_withdrawn.append((r, names.get(r.enterprise_id, "")))
        _store_advice(rows)
        record_many(build_entry(r, AuditAction.TRANSITION, before={"status": ProposalStatus.PENDING},
                                after={"status": r.status}, reason=_("The advice is not concrete."),
                                object_repr=f"{name} — {r.get_tier_display()}")
                    for r, name in now_withdrawn)
        withdrawn = len(now_withdrawn)
        advised = len(rows) - withdrawn
    return advised, withdrawn


def _store_advice(rows: list[PoolProposal]) -> None:
    """Write the proposals' advice, flag and status in one statement (on PostgreSQL from one JSON document: the
    ORM's ``bulk_update`` builds a CASE per row and field, which cost more than working the advice out)."""
    if connection.vendor != "postgresql":
        PoolProposal.objects.bulk_update(rows, ["advice", "advised", "status"])
        return
    records = [{"id": r.pk, "advice": r.advice, "status": r.status} for r in rows]
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {PoolProposal._meta.db_table} p SET advice = a.advice, advised = true, status = a.status"
            " FROM jsonb_to_recordset(%s::jsonb) AS a(id bigint, advice jsonb, status varchar) WHERE p.id = a.id",
            [orjson.dumps(records, default=str).decode()],
        )


def advise_all(limit: int = 1000) -> tuple[int, int]:
    """``advise_proposals`` until no proposal waits for its advice."""
    total = [0, 0]
    while True:
        advised, withdrawn = advise_proposals(limit)
        if not advised and not withdrawn:
            return total[0], total[1]
        total[0] += advised
        total[1] += withdrawn


def discover_for_region(region_code: str, *, year: int | None = None, ruleset: str | None = None,
                        chunk_size: int | None = None, progress: Any = None) -> int:
    """Discovery on demand for every enterprise in a region, in bounded chunks in id order, one transaction
    each (``discover_enterprises``). Safe to run twice. Returns proposals made."""
    version = resolve_ruleset(ruleset)
    year = year or default_year()
    size = chunk_size or default_chunk_size()
    ids = list(Enterprise.objects.filter(region_id__in=regions_within(region_code).values("code"))
               .order_by("pk").values_list("pk", flat=True))
    made = 0
    for start in range(0, len(ids), size):
        made += discover_enterprises(version, year, ids[start:start + size])
        if progress:
            progress(min(start + size, len(ids)), len(ids))
    advise_all()
    return made


def discover_enterprises(version: Any, year: int, ids: list[int], *, job_id: int | None = None) -> int:
    """Discovery over ``ids`` in one transaction: lock them, read their figures, judge every tier explained, and
    propose (``discover``). Returns proposals made."""
    compiled_ruleset = compiled(version)
    # The digest as a re-score stores it, so a dismissal made after either kind of run compares alike.
    mode = b"explain" if settings.REGISTRY.get("RESCORE_EXPLAIN", False) else b"brief"
    with transaction.atomic():
        rows = list(Enterprise.objects.select_for_update().filter(pk__in=ids).order_by("pk")
                    .values_list(*ENTERPRISE_FIELDS))
        values = profile_values(rows, year)
        evaluated = []
        for row in rows:
            inputs = values[row[0]]
            if inputs is None:
                continue
            try:
                parsed = engine.profile_from_values(*typed_values(inputs))
                result = engine.evaluate(parsed, compiled_ruleset, explain=True)
            except engine.ProfileError:
                continue
            evaluated.append((row[0], input_digest(mode, inputs), parsed, inputs[5], result))
        return discover(version, compiled_ruleset, year, evaluated, job_id=job_id)


def rescored_chunks(job_id: int) -> list[list[int]]:
    """The enterprises a finished re-score judged anew (its assessments name the job: new or changed results),
    in chunks of the re-score's size. Discovery after the job looks at these only: the others' figures and
    results did not change since discovery last saw them."""
    job = RescoreJob.objects.filter(pk=job_id).values("chunk_size", "status").first()
    if job is None or job.get("status") != RescoreStatus.DONE:
        return []
    ids = list(Assessment.objects.filter(job_id=job_id).order_by("enterprise_id")
               .values_list("enterprise_id", flat=True).distinct())
    size = job["chunk_size"] or default_chunk_size()
    return [ids[start:start + size] for start in range(0, len(ids), size)]


def discover_after_rescore(job_id: int, ids: list[int]) -> int:
    """One chunk of the discovery that follows a re-score job (``rescored_chunks``), judged under the job's
    ruleset and year, the proposals naming the job."""
    job = RescoreJob.objects.select_related("ruleset").filter(pk=job_id).first()
    if job is None or not settings.REGISTRY.get("POOL_DISCOVERY", True):
        return 0
    with acting_as(label="task:discovery", source="task", context={"job": job_id}):
        return discover_enterprises(job.ruleset, job.year, ids, job_id=job_id)
