"""Certifications and what happens to them: granted when a review ends, extended by a re-review, revoked with a
cause, expired when their validity ends, and demotion proposals after a re-score finds a held tier no longer met.

Each function is one transaction that writes its audit entries, and is safe to run twice for the same day:
expiry only touches certifications still active, and a certification has at most one open demotion proposal (a
database constraint). ``refresh_current_tier`` keeps each enterprise's ``current_tier`` and ``held_tiers`` (what
the evaluation layer reads as data) in step with its valid certifications.
"""

from __future__ import annotations

import datetime
import logging
from collections import Counter
from collections.abc import Iterable
from typing import Any

import orjson
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, F, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import AuditAction, acting_as, build_entry, record, record_many
from core.lookups import AnyOf
from enterprises.models import Enterprise, Tier
from evaluation.rescore import Shortfall

from . import dashboard_summary
from .access import require_provincial
from .models import (
    OPEN_STATUSES,
    Application,
    ApplicationKind,
    ApplicationStatus,
    Certification,
    CertificationStatus,
    DashboardCount,
    DemotionProposal,
    DemotionStatus,
    RevocationCause,
    SummaryKind,
)
from .notifications import notify_members
from .pool import close_on_certification
from .summary_models import NO_DATE
from .transitions import setting, transition
from .workflow import Action

logger = logging.getLogger(__name__)
S = ApplicationStatus


def add_years(day: datetime.date, years: int) -> datetime.date:
    """``day`` plus whole years; 29 February becomes 28 February in a common year."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)

def highest_tier(tiers: Iterable[str]) -> str:
    ranked = sorted(set(tiers), key=Tier.rank)
    return ranked[-1] if ranked else ""

def refresh_current_tier(enterprise_ids: Iterable[int], on: datetime.date | None = None) -> dict[int, str]:
    """Set each enterprise's ``current_tier`` to its highest valid certification and ``held_tiers`` to all of
    them (the tiers the evaluation layer judges an enterprise as holding). Returns the current-tier changes."""
    on = on or timezone.localdate()
    ids = list(enterprise_ids)
    held: dict[int, list[str]] = {pk: [] for pk in ids}
    for enterprise_id, tier in Certification.objects.valid_on(on).filter(enterprise_id__in=ids).values_list(
        "enterprise_id", "tier"
    ):
        held[enterprise_id].append(tier)
    changes: dict[int, str] = {}
    stored = {pk: (current, held_text) for pk, current, held_text in
              Enterprise.objects.filter(pk__in=ids).values_list("pk", "current_tier", "held_tiers")}
    updates: dict[tuple[str, str], list[int]] = {}
    for pk, tiers in held.items():
        tier, held_text = highest_tier(tiers), Enterprise.held_tiers_text(tiers)
        current, current_held = stored.get(pk, ("", ""))
        if current != tier:
            changes[pk] = tier
        if (current, current_held) != (tier, held_text):
            updates.setdefault((tier, held_text), []).append(pk)
    for (tier, held_text), pks in updates.items():
        # The tiers held are read by every evaluation: a change is a figures change for the re-score's skip.
        Enterprise.objects.filter(pk__in=pks).update(current_tier=tier, held_tiers=held_text,
                                                     figures_version=F("figures_version") + 1)
    return changes


def grant(app: Application, on: datetime.date, reason: str) -> Certification:
    """Certify ``app``: a new certification for 3 years, or for a re-review the held one extended by 3 years
    from its expiry (criteria.md §1.6, §4.3)."""
    years = setting("CERTIFICATION_YEARS")
    with dashboard_summary.tracking([(app.enterprise_id, app.tier)]), \
            acting_as(reason=reason, context={"application": app.pk}):
        if app.kind == ApplicationKind.REREVIEW and app.certification_id:
            cert = Certification.objects.select_for_update().get(pk=app.certification_id)
            if cert.status not in (CertificationStatus.ACTIVE, CertificationStatus.EXPIRED):
                message = _("The certification under re-review was %(status)s; it cannot be extended.")
                raise ValidationError({"certification": message % {"status": cert.get_status_display()}})
            cert.expires_on = add_years(cert.expires_on, years)
            cert.status = CertificationStatus.ACTIVE
            cert.save()
        else:
            for old in Certification.objects.select_for_update().filter(
                enterprise_id=app.enterprise_id, tier=app.tier, status=CertificationStatus.ACTIVE
            ):
                old.status = CertificationStatus.SUPERSEDED
                old.save()
            cert = Certification(enterprise_id=app.enterprise_id, tier=app.tier, ruleset=app.ruleset,
                                 granted_on=on, expires_on=add_years(on, years))
            cert.save()
        close_on_certification(app.enterprise_id, app.tier, on)  # a certified firm leaves the pool for the tier
    refresh_current_tier([app.enterprise_id], on=on)
    return cert

@transaction.atomic
def revoke_certification(certification: Certification, *, user: Any, cause: str, reason: str) -> Certification:
    """Revoke a certification with its cause (criteria.md §1.6); data fraud bars new applications for 3 years.

    The reason is shown to the enterprise. An open re-review of the revoked certification is rejected.
    """
    if cause not in RevocationCause.values:
        choices = ", ".join(RevocationCause.values)
        raise ValidationError({"cause": _("Choose one of: %(choices)s.") % {"choices": choices}})
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("A reason is required to revoke a certification.")})
    cert = Certification.objects.select_for_update(of=("self",)).select_related("enterprise__region").get(
        pk=certification.pk)
    require_provincial(user, cert.enterprise)
    if cert.status != CertificationStatus.ACTIVE:
        raise ValidationError({"status": _("Only an active certification can be revoked; this one is %(status)s.")
                               % {"status": cert.get_status_display()}})
    today = timezone.localdate()
    with dashboard_summary.tracking([(cert.enterprise_id, cert.tier)]), \
            acting_as(user, reason=reason, context={"action": "revoke", "cause": cause}):
        cert.status = CertificationStatus.REVOKED
        cert.revoked_on = today
        cert.revocation_cause = cause
        cert.revocation_reason = reason
        cert.save()
        if cause == RevocationCause.DATA_FRAUD:
            enterprise = Enterprise.objects.select_for_update().get(pk=cert.enterprise_id)
            before = {"banned_until": enterprise.banned_until.isoformat() if enterprise.banned_until else None}
            until = add_years(today, setting("FRAUD_BAN_YEARS"))
            Enterprise.objects.filter(pk=enterprise.pk).update(banned_until=until)
            record(enterprise, AuditAction.UPDATE, before=before, after={"banned_until": until.isoformat()},
                   reason=reason)
            cert.enterprise.banned_until = until
    for app in Application.objects.select_for_update(of=("self",)).select_related("enterprise__region").filter(
        certification=cert, kind=ApplicationKind.REREVIEW, status__in=OPEN_STATUSES
    ):
        transition(app, user=user, rule=None, action=Action.REJECT, to_status=S.REJECTED,
                    reason=_("The certification under re-review was revoked: %(reason)s") % {"reason": reason},
                    decided_at=timezone.now())
    refresh_current_tier([cert.enterprise_id], on=today)
    subject = _("%(tier)s certification revoked") % {"tier": cert.get_tier_display()}
    body = _("Cause: %(cause)s\nReason: %(reason)s") % {"cause": cert.get_revocation_cause_display(),
                                                         "reason": reason}
    if cause == RevocationCause.DATA_FRAUD:
        body += "\n" + _("No new application may be made before %(date)s.") % {"date": cert.enterprise.banned_until}
    transaction.on_commit(lambda: notify_members(cert.enterprise_id, f"certification:{cert.pk}:revoked",
                                                  "certification_revoked", subject, body))
    return cert

@transaction.atomic
def decide_demotion(proposal: DemotionProposal, *, user: Any, accept: bool, reason: str) -> DemotionProposal:
    """A reviewer's answer to a demotion proposal: accept (revoke with cause demotion) or dismiss."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("A reason is required.")})
    proposal = DemotionProposal.objects.select_for_update(of=("self",)).select_related(
        "enterprise__region", "certification").get(pk=proposal.pk)
    require_provincial(user, proposal.enterprise)
    if proposal.status != DemotionStatus.OPEN:
        raise ValidationError({"status": _("This proposal was already decided.")})
    if accept:
        revoke_certification(proposal.certification, user=user, cause=RevocationCause.DEMOTION, reason=reason)
    with acting_as(user, reason=reason):
        proposal.status = DemotionStatus.ACCEPTED if accept else DemotionStatus.DISMISSED
        proposal.decided_by = user
        proposal.decided_at = timezone.now()
        proposal.decision_reason = reason
        proposal.save()
    dashboard_summary.demotions_changed(Counter({(proposal.enterprise.region_id, proposal.tier): -1}))
    return proposal


# --- Demotion proposals ------------------------------------------------------------------------------------

def propose_demotions(shortfalls: Iterable[Shortfall], job_id: int | None = None, **kwargs: Any) -> int:
    """Put each shortfall (a held tier a re-score found no longer met) in the reviewers' queue as an open
    proposal on the certification that holds it, unless one is already open for that certification. Never
    demotes: reviewers accept or dismiss. Returns how many proposals were created.

    Connected to ``evaluation.signals.chunk_scored``: it runs inside the re-score chunk's transaction, and the
    open-proposal constraint makes a second run a no-op.
    """
    shortfalls = list(shortfalls)
    if not shortfalls:
        return 0
    if connection.vendor == "postgresql":
        return _propose_demotions_postgres(shortfalls, job_id)
    held = {
        (enterprise_id, tier): cert_id
        for cert_id, enterprise_id, tier in Certification.objects.valid_on()
        .filter(enterprise_id__in={s.enterprise_id for s in shortfalls}).order_by("granted_on")
        .values_list("pk", "enterprise_id", "tier")
    }
    found = {held[key]: s for s in shortfalls if (key := (s.enterprise_id, s.tier)) in held}
    already = set(DemotionProposal.objects.filter(
        certification_id__in=list(found), status=DemotionStatus.OPEN
    ).values_list("certification_id", flat=True))
    new = [
        DemotionProposal(enterprise_id=s.enterprise_id, certification_id=cert_id, tier=s.tier,
                         year=s.year, unmet=s.unmet, job_id=job_id)
        for cert_id, s in found.items() if cert_id not in already
    ]
    if not new:
        return 0
    try:
        with transaction.atomic():
            created = DemotionProposal.objects.bulk_create(new)
    except IntegrityError:
        # Another job proposed one of them meanwhile: fall back to one at a time, keeping theirs.
        created = []
        for proposal in new:
            try:
                with transaction.atomic():
                    proposal.pk = None
                    DemotionProposal.objects.bulk_create([proposal])
                    created.append(proposal)
            except IntegrityError:
                continue
    reason = _("Re-score #%(job)s: no longer meets the tier.") % {"job": job_id} if job_id else ""
    # The audit entry names each proposal (``str`` reads its enterprise): one query for all, not one each.
    enterprises = Enterprise.objects.only("name", "region").in_bulk({p.enterprise_id for p in created})
    for p in created:
        p.enterprise = enterprises[p.enterprise_id]
    dashboard_summary.demotions_changed(Counter((p.enterprise.region_id, p.tier) for p in created))
    record_many(
        build_entry(p, AuditAction.CREATE, after={"tier": p.tier, "year": p.year, "status": p.status,
                                                  "certification_id": p.certification_id},
                    reason=reason, context={"job": job_id} if job_id else None)
        for p in created
    )
    return len(created)


def _propose_demotions_postgres(shortfalls: list[Shortfall], job_id: int | None) -> int:
    """``propose_demotions`` in one statement: the shortfalls as one JSON document, the certification holding
    each (the newest valid one, read through ``valid_on``), the proposals inserted unless one is open for that
    certification (the partial unique index decides), each proposal's enterprise read once for the dashboard's
    open-proposal counts (raised) and the audit entries (written with them)."""
    reason = _("Re-score #%(job)s: no longer meets the tier.") % {"job": job_id} if job_id else ""
    template = build_entry(None, AuditAction.CREATE, content_type=ContentType.objects.get_for_model(DemotionProposal),
                           object_id=0, object_repr="", reason=reason, context={"job": job_id} if job_id else None)
    records = orjson.dumps([{"enterprise_id": s.enterprise_id, "tier": s.tier, "year": s.year, "unmet": s.unmet}
                            for s in shortfalls], default=str).decode()
    valid_sql, valid_params = (
        Certification.objects.valid_on().filter(AnyOf(F("enterprise_id"), {s.enterprise_id for s in shortfalls}))
        .order_by().values("id", "enterprise_id", "tier", "granted_on").query.sql_with_params()
    )
    labels = orjson.dumps({code: str(label) for code, label in Tier.choices}).decode()
    counts = DashboardCount._meta.db_table
    sql = f"""
        WITH s AS (
            SELECT * FROM jsonb_to_recordset(%s::jsonb) AS s(enterprise_id bigint, tier varchar, year integer,
                                                               unmet jsonb)
        ), held AS (
            SELECT DISTINCT ON (h.enterprise_id, h.tier) h.id, h.enterprise_id, h.tier
            FROM ({valid_sql}) h ORDER BY h.enterprise_id, h.tier, h.granted_on DESC, h.id DESC
        ), ins AS (
            INSERT INTO {DemotionProposal._meta.db_table} (enterprise_id, certification_id, tier, year, unmet,
                                                          job_id, status, decision_reason, created_at)
            SELECT s.enterprise_id, held.id, s.tier, s.year, s.unmet, %s, %s, '', %s
            FROM s JOIN held ON held.enterprise_id = s.enterprise_id AND held.tier = s.tier
            ON CONFLICT DO NOTHING
            RETURNING id, enterprise_id, certification_id, tier, year, status
        ), proposed AS (
            SELECT ins.*, e.region_id, e.name FROM ins JOIN {Enterprise._meta.db_table} e ON e.id = ins.enterprise_id
        ), counted AS (
            INSERT INTO {counts} AS c (region_id, tier, kind, since, "until", status, n)
            SELECT region_id, tier, %s, %s, %s, '', count(*) FROM proposed
            GROUP BY region_id, tier ORDER BY region_id, tier
            ON CONFLICT (kind, region_id, tier, since, "until", status) DO UPDATE SET n = c.n + EXCLUDED.n
        )
        INSERT INTO {template._meta.db_table} (created_at, actor_id, actor_label, source, action,
            content_type_id, object_id, object_repr, enterprise_id, changes, before, after, reason, context)
        SELECT %s, %s, %s, %s, %s, %s, p.id::text, left(p.name || ' — ' || (%s::jsonb ->> p.tier), 200),
               p.enterprise_id,
               jsonb_build_object('certification_id', jsonb_build_array(NULL, p.certification_id),
                                  'status', jsonb_build_array(NULL, p.status),
                                  'tier', jsonb_build_array(NULL, p.tier),
                                  'year', jsonb_build_array(NULL, p.year)),
               NULL,
               jsonb_build_object('tier', p.tier, 'year', p.year, 'status', p.status,
                                  'certification_id', p.certification_id),
               %s, %s::jsonb
        FROM proposed p
    """
    now = timezone.now()
    params = [records, *valid_params, job_id, DemotionStatus.OPEN, now, SummaryKind.DEMOTION, NO_DATE, NO_DATE,
              now, template.actor_id, template.actor_label, template.source, template.action,
              template.content_type_id, labels, template.reason, orjson.dumps(template.context, default=str).decode()]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


# --- Expiry ---------------------------------------------------------------------------------------------

def expire_certifications(on: datetime.date | None = None) -> int:
    """Expire active certifications whose validity ended before ``on`` and drop each enterprise's current tier
    to the next one it still holds. A certification under a running re-review stays valid (criteria.md §1.6:
    "the original listing stays valid while the re-review is running"). Returns how many expired."""
    on = on or timezone.localdate()
    under_rereview = Application.objects.open().filter(kind=ApplicationKind.REREVIEW, certification=OuterRef("pk"))
    with transaction.atomic():
        due = list(
            Certification.objects.select_for_update()
            .filter(status=CertificationStatus.ACTIVE, expires_on__lt=on)
            .annotate(rereview_running=Exists(under_rereview))
            .filter(rereview_running=False)
            .order_by("pk")
        )
        if not due:
            return 0
        reason = _("Validity ended on the expiry date without a passed re-review.")
        with dashboard_summary.tracking({(c.enterprise_id, c.tier) for c in due}):
            Certification.objects.filter(pk__in=[c.pk for c in due]).update(status=CertificationStatus.EXPIRED)
        entries = [
            build_entry(c, AuditAction.TRANSITION, before={"status": c.status},
                        after={"status": CertificationStatus.EXPIRED}, reason=reason,
                        context={"expired_on": on.isoformat()})
            for c in due
        ]
        enterprise_ids = sorted({c.enterprise_id for c in due})
        before = dict(Enterprise.objects.filter(pk__in=enterprise_ids).values_list("pk", "current_tier"))
        changes = refresh_current_tier(enterprise_ids, on)
        names = dict(Enterprise.objects.filter(pk__in=list(changes)).values_list("pk", "name"))
        for pk, tier in changes.items():
            entries.append(build_entry(
                None, AuditAction.UPDATE, content_type=_enterprise_type(), object_id=pk,
                object_repr=names.get(pk, str(pk)), enterprise_id=pk,
                before={"current_tier": before.get(pk, "")}, after={"current_tier": tier}, reason=reason,
            ))
        record_many(entries)
    return len(due)

def _enterprise_type() -> Any:
    return ContentType.objects.get_for_model(Enterprise)
