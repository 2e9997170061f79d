"""The dashboard's summary rows (``DashboardCount``): what the figures add up, kept current by the services.

Every service that changes certifications, applications or demotion proposals (grant, renewal, revocation,
expiry, proposing and deciding a demotion, creating and moving an application, an enterprise moving region)
changes the rows in its own transaction:
``tracking`` reads what the touched (enterprise, tier) pairs contributed before and after the change and adds the
difference (``F()`` increments; a row is inserted the first time its key is seen). Bulk writers (seeding,
migrations, the benchmark) call ``rebuild`` (``manage.py rebuild_dashboard_summary``) instead.

What a pair of enterprise and tier contributes, all keyed by the enterprise's region and the tier:

- ``active``: its active certification, by grant month and expiry month;
- ``granted``: each certification by grant year (the trend of what was awarded; its first day is the key);
- ``first``: its first certification by grant month (targets counting *new* enterprises);
- ``span`` and ``gap``: the periods it held the tier (its certifications' validity, from grant to expiry or
  revocation, overlapping ones merged) by start and end month, and the gaps between them by the end month
  before and the restart month after. An enterprise held the tier at some time within a period exactly when
  one of its spans meets the period; two spans both meet it exactly when the gap between them lies within it,
  so the enterprises counted *cumulatively* are the spans meeting the period less the gaps within it.

Applications count by status (``application``), and open demotion proposals by region and tier (``demotion``;
the PostgreSQL path of ``registry.certifications.propose_demotions`` adds its own in the statement that inserts
them).

Rows are by month, so a figure "on a date" adds whole months and corrects the date's own month from the few
base rows in it (``registry.dashboard_figures``): what is granted or expires in that month, and what stays
valid past its expiry under a running re-review.
"""

from __future__ import annotations

import datetime
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Count, F

from .models import (
    Application,
    Certification,
    CertificationStatus,
    DashboardCount,
    DemotionProposal,
    DemotionStatus,
    SummaryKind,
)
from .summary_models import NO_DATE

K = SummaryKind
# A row's key: (region, tier, kind, since, until, status).
Key = tuple[str, str, str, datetime.date, datetime.date, str]
CERT_FIELDS = ("pk", "enterprise_id", "tier", "status", "granted_on", "expires_on", "revoked_on")


def month(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def year_start(day: datetime.date) -> datetime.date:
    return day.replace(month=1, day=1)


def valid_until(cert: dict[str, Any]) -> datetime.date:
    """The last day a certification counted as held: its revocation, else its expiry."""
    return cert["revoked_on"] or cert["expires_on"]


def spans(certs: list[dict[str, Any]]) -> list[tuple[datetime.date, datetime.date]]:
    """A pair's certifications' validity periods, overlapping (or touching) ones merged, in order."""
    merged: list[list[datetime.date]] = []
    for cert in sorted(certs, key=lambda c: (c["granted_on"], c["pk"])):
        start, end = cert["granted_on"], valid_until(cert)
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(s, e) for s, e in merged]


def pair_keys(region: str, tier: str, certs: list[dict[str, Any]]) -> Counter:
    """What one (enterprise, tier) pair with these certifications contributes."""
    out: Counter = Counter()
    if not certs:
        return out
    for cert in certs:
        out[(region, tier, K.GRANTED, year_start(cert["granted_on"]), NO_DATE, "")] += 1
        if cert["status"] == CertificationStatus.ACTIVE:
            out[(region, tier, K.ACTIVE, month(cert["granted_on"]), month(cert["expires_on"]), "")] += 1
    first = min(certs, key=lambda c: (c["granted_on"], c["pk"]))
    out[(region, tier, K.FIRST, month(first["granted_on"]), NO_DATE, "")] += 1
    periods = spans(certs)
    for start, end in periods:
        out[(region, tier, K.SPAN, month(start), month(end), "")] += 1
    for (_s, end), (start, _e) in zip(periods, periods[1:], strict=False):
        out[(region, tier, K.GAP, month(start), month(end), "")] += 1
    return out


def _certs_of(enterprise_ids: Iterable[int]) -> dict[tuple[int, str], list[dict[str, Any]]]:
    found: dict[tuple[int, str], list[dict[str, Any]]] = {}
    ids = sorted(set(enterprise_ids))
    for start in range(0, len(ids), 5000):
        for cert in Certification.objects.filter(enterprise_id__in=ids[start:start + 5000]).order_by().values(
                *CERT_FIELDS):
            found.setdefault((cert["enterprise_id"], cert["tier"]), []).append(cert)
    return found


def _regions_of(enterprise_ids: Iterable[int]) -> dict[int, str]:
    from enterprises.models import Enterprise

    ids = sorted(set(enterprise_ids))
    return dict(Enterprise.objects.filter(pk__in=ids).values_list("pk", "region_id"))


def pairs_keys(pairs: Iterable[tuple[int, str]], regions: dict[int, str] | None = None) -> Counter:
    """What these (enterprise, tier) pairs contribute now (``regions`` overrides where an enterprise is)."""
    pairs = set(pairs)
    if not pairs:
        return Counter()
    ids = {e for e, _t in pairs}
    regions = {**_regions_of(ids), **(regions or {})}
    certs = _certs_of(ids)
    out: Counter = Counter()
    for enterprise_id, tier in pairs:
        out.update(pair_keys(regions[enterprise_id], tier, certs.get((enterprise_id, tier), [])))
    return out


def apply(delta: Counter) -> None:
    """Add ``delta`` to the stored rows (in the caller's transaction; keys in order, so two writers never wait
    for each other in opposite orders)."""
    for key in sorted(k for k, v in delta.items() if v):
        region, tier, kind, since, until, status = key
        n = delta[key]
        where = {"region_id": region, "tier": tier, "kind": kind, "since": since, "until": until, "status": status}
        if DashboardCount.objects.filter(**where).update(n=F("n") + n):
            continue
        try:
            with transaction.atomic():
                DashboardCount.objects.create(n=n, **where)
        except IntegrityError:  # another transaction inserted the key meanwhile
            DashboardCount.objects.filter(**where).update(n=F("n") + n)


@contextmanager
def tracking(pairs: Iterable[tuple[int, str]]) -> Iterator[None]:
    """Keep the rows of these (enterprise, tier) pairs current across the block (one transaction with it)."""
    pairs = set(pairs)
    with transaction.atomic():
        before = pairs_keys(pairs)
        yield
        after = pairs_keys(pairs)
        after.subtract(before)
        apply(after)


def application_moved(app: Application, from_status: str | None, to_status: str | None) -> None:
    """An application was created (``from_status`` None) or changed status."""
    region = app.enterprise.region_id if "enterprise" in app._state.fields_cache else _regions_of(
        [app.enterprise_id])[app.enterprise_id]
    delta: Counter = Counter()
    if from_status:
        delta[(region, app.tier, K.APPLICATION, NO_DATE, NO_DATE, from_status)] -= 1
    if to_status:
        delta[(region, app.tier, K.APPLICATION, NO_DATE, NO_DATE, to_status)] += 1
    apply(delta)


def demotion_key(region: str, tier: str) -> Key:
    """The row counting a region's open demotion proposals on a tier."""
    return (region, tier, K.DEMOTION, NO_DATE, NO_DATE, "")


def demotions_changed(by_region_tier: Counter) -> None:
    """Open demotion proposals were proposed (positive counts) or decided (negative), by (region, tier)."""
    apply(Counter({demotion_key(region, tier): n for (region, tier), n in by_region_tier.items()}))


def enterprises_moved(moves: dict[int, tuple[str, str]]) -> None:
    """Enterprises changed region (``{id: (old, new)}``): their rows move with them."""
    moves = {pk: (old, new) for pk, (old, new) in moves.items() if old != new}
    if not moves:
        return
    certs = _certs_of(moves)
    delta: Counter = Counter()
    for (enterprise_id, tier), rows in certs.items():
        old, new = moves[enterprise_id]
        delta.subtract(pair_keys(old, tier, rows))
        delta.update(pair_keys(new, tier, rows))
    for enterprise_id, tier, status, n in (Application.objects.filter(enterprise_id__in=list(moves)).order_by()
                                           .values_list("enterprise_id", "tier", "status")
                                           .annotate(n=Count("id"))):
        old, new = moves[enterprise_id]
        delta[(old, tier, K.APPLICATION, NO_DATE, NO_DATE, status)] -= n
        delta[(new, tier, K.APPLICATION, NO_DATE, NO_DATE, status)] += n
    for enterprise_id, tier, n in (DemotionProposal.objects.filter(enterprise_id__in=list(moves),
                                                                   status=DemotionStatus.OPEN).order_by()
                                   .values_list("enterprise_id", "tier").annotate(n=Count("id"))):
        old, new = moves[enterprise_id]
        delta[demotion_key(old, tier)] -= n
        delta[demotion_key(new, tier)] += n
    apply(delta)


def on_region_changed(sender: Any, moves: dict[int, tuple[str, str]], **kwargs: Any) -> None:
    """Receiver of ``enterprises.signals.region_changed``."""
    enterprises_moved(moves)


# --- from scratch ------------------------------------------------------------------------------------------

def computed(apps: Any = None) -> Counter:
    """Every row as a fresh count of the certifications, applications and open demotion proposals would give
    it (``apps``: a migration's app registry, whose models to read)."""
    cert_model = apps.get_model("registry", "Certification") if apps else Certification
    app_model = apps.get_model("registry", "Application") if apps else Application
    proposal_model = apps.get_model("registry", "DemotionProposal") if apps else DemotionProposal
    out: Counter = Counter()
    current: tuple[int, str] | None = None
    rows: list[dict[str, Any]] = []
    regions: dict[int, str] = {}
    for cert in (cert_model.objects.order_by("enterprise_id", "tier", "granted_on", "pk")
                 .values(*CERT_FIELDS, "enterprise__region_id").iterator(chunk_size=20000)):
        pair = (cert["enterprise_id"], cert["tier"])
        if pair != current:
            if current is not None:
                out.update(pair_keys(regions[current[0]], current[1], rows))
            current, rows = pair, []
            regions = {pair[0]: cert["enterprise__region_id"]}
        rows.append(cert)
    if current is not None:
        out.update(pair_keys(regions[current[0]], current[1], rows))
    for region, tier, status, n in (app_model.objects.order_by().values_list("enterprise__region_id", "tier",
                                                                              "status").annotate(n=Count("id"))):
        out[(region, tier, K.APPLICATION, NO_DATE, NO_DATE, status)] += n
    for region, tier, n in (proposal_model.objects.filter(status=DemotionStatus.OPEN).order_by()
                            .values_list("enterprise__region_id", "tier").annotate(n=Count("id"))):
        out[demotion_key(region, tier)] += n
    return +out


def stored() -> Counter:
    """The rows as stored (zero rows left out)."""
    return +Counter({(r.region_id, r.tier, r.kind, r.since, r.until, r.status): r.n
                     for r in DashboardCount.objects.exclude(n=0)})


def rebuild(apps: Any = None) -> int:
    """Replace every row with a fresh count (bulk writers call this). Returns how many rows it wrote."""
    model = apps.get_model("registry", "DashboardCount") if apps else DashboardCount
    with transaction.atomic():
        fresh = computed(apps)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(f"LOCK TABLE {model._meta.db_table} IN EXCLUSIVE MODE")
        model.objects.all().delete()
        model.objects.bulk_create(
            [model(region_id=k[0], tier=k[1], kind=k[2], since=k[3], until=k[4], status=k[5], n=n)
             for k, n in fresh.items()], batch_size=5000)
    return len(fresh)


__all__ = ["application_moved", "apply", "computed", "demotions_changed", "enterprises_moved", "pairs_keys",
           "rebuild", "stored", "tracking"]
