"""Fast bulk seeding of many synthetic enterprises with a declaration and three financial years each.

Used by the re-score benchmark and the worker integration test: ``bulk_create`` in large batches, no per-row
save (so no audit rows: this is synthetic load, not registry data). Figures vary so some enterprises pass a
tier and others fail it.
"""

from __future__ import annotations

import random
import time
from decimal import Decimal

from django.core.management.base import CommandError
from django.db import connection, transaction
from django.db.models import F, Max
from django.utils.translation import gettext as _
from stdnum.cn import uscc as uscc_check

from enterprises.models import Declaration, Enterprise, FinancialYear
from enterprises.services import figures_changed
from evaluation import rescore, tasks
from evaluation.models import Assessment, ProfileSnapshot, RescoreError, RescoreJob, RescoreStatus

from .models import (
    Certification,
    DemotionProposal,
    Notification,
    PoolEntry,
    PoolProposal,
    RiskAlert,
    SupportRecord,
)

_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
REGIONS = ("330106", "330102", "330108", "330203", "330205", "330302", "330402", "330502", "330602", "330702")


# The name prefix of the enterprises the benchmarks seed (and remove again).
PREFIX = "BENCH"


def _uscc(region: str, number: int) -> str:
    digits = []
    for _digit in range(9):
        number, rest = divmod(number, len(_ALPHABET))
        digits.append(_ALPHABET[rest])
    body = "91" + region + "".join(reversed(digits))
    return body + uscc_check.calc_check_digit(body)


def seed_enterprises(count: int, year: int, *, prefix: str = "BENCH", seed: int = 1, batch: int = 5000,
                     offset: int | None = None) -> list[int]:
    """Create ``count`` enterprises named ``prefix-<n>`` with figures for ``year``-2..``year``; returns ids."""
    rng = random.Random(seed)
    # Numbers above every earlier seeded one: an earlier row numbered n got a primary key >= n - 31**8.
    if offset is None:
        offset = 31 ** 8 + (Enterprise.objects.aggregate(top=Max("pk"))["top"] or 0) + 1
    start = offset
    ids: list[int] = []
    with transaction.atomic():
        for first in range(0, count, batch):
            n = min(batch, count - first)
            enterprises = [
                Enterprise(uscc=_uscc(REGIONS[(start + i) % len(REGIONS)], start + i), name=f"{prefix}-{start + i}",
                           region_id=REGIONS[(start + i) % len(REGIONS)], established_year=2000 + rng.randrange(20))
                for i in range(first, first + n)
            ]
            Enterprise.objects.bulk_create(enterprises, batch_size=batch)
            if not all(e.pk for e in enterprises):  # backends that return no ids from bulk inserts
                by_name = dict(Enterprise.objects.filter(name__in=[e.name for e in enterprises])
                               .values_list("name", "pk"))
                for e in enterprises:
                    e.pk = by_name[e.name]
            declarations, financials = [], []
            for e in enterprises:
                employees = rng.randrange(20, 900)
                declarations.append(Declaration(
                    enterprise_id=e.pk, year=year, employees=employees, rd_staff=rng.randrange(0, employees // 4 + 1),
                    ip_class_i=(ip := rng.randrange(0, 8)), ip_class_i_self_developed=rng.randrange(0, ip + 1),
                    ip_class_i_applied=rng.randrange(0, ip + 1), ip_class_ii=rng.randrange(0, 10),
                    invention_patents_applied=rng.randrange(0, 6), niche_years=rng.randrange(0, 15),
                    field_years=rng.randrange(0, 20), main_products=rng.randrange(1, 4),
                    national_share_pct=Decimal(rng.randrange(0, 30)), digital_level=rng.randrange(1, 6),
                    management_certified=rng.random() < 0.6, own_brand=rng.random() < 0.5,
                    it_system=rng.random() < 0.7, strategic_emerging=rng.random() < 0.5,
                    six_basics=rng.random() < 0.3, local_feature_score=rng.randrange(0, 16),
                ))
                revenue = Decimal(rng.randrange(800, 60000))
                for back in range(3):
                    r = (revenue * Decimal(100 - 8 * back) / 100).quantize(Decimal("1"))
                    assets = r * 2
                    financials.append(FinancialYear(
                        enterprise_id=e.pk, year=year - back, operating_revenue=r,
                        main_business_revenue=(r * Decimal(rng.randrange(55, 100)) / 100).quantize(Decimal("1")),
                        rd_expense=(r * Decimal(rng.randrange(0, 90)) / 1000).quantize(Decimal("1")),
                        net_profit=(r * Decimal(rng.randrange(-5, 20)) / 100).quantize(Decimal("1")),
                        total_assets=assets, total_liabilities=(assets * Decimal(rng.randrange(20, 90)) / 100)
                        .quantize(Decimal("1")),
                    ))
            Declaration.objects.bulk_create(declarations, batch_size=batch)
            FinancialYear.objects.bulk_create(financials, batch_size=batch)
            ids.extend(e.pk for e in enterprises)
    return ids


# The pool's rows hang off enterprises too (support records before the entries they refer to).
POOL_MODELS = (SupportRecord, RiskAlert, PoolProposal, PoolEntry)


def delete_seeded(prefix: str = "BENCH") -> int:
    """Remove seeded enterprises and everything hanging off them, without per-row signals (fast)."""

    ids = list(Enterprise.objects.filter(name__startswith=f"{prefix}-").values_list("pk", flat=True))
    using = connection.alias
    with transaction.atomic():
        for first in range(0, len(ids), 10000):
            part = ids[first:first + 10000]
            for model in (Assessment, RescoreError, DemotionProposal, Notification, *POOL_MODELS, Certification,
                          Declaration, FinancialYear):
                model.objects.filter(enterprise_id__in=part)._raw_delete(using)
            Enterprise.objects.filter(pk__in=part)._raw_delete(using)
    return len(ids)


# --- Timing re-scores (bench_rescore, bench_scale) -----------------------------------------------------------

def settle() -> None:
    """On PostgreSQL, vacuum and analyse what seeding (and removing an earlier run) just churned, as
    autovacuum would soon after: otherwise the timed re-score shares the machine with that clean-up."""
    if connection.vendor != "postgresql":
        return
    # Removing an earlier run deletes its pool proposals and entries too (thousands per run): left unvacuumed,
    # their dead rows would slow every later run's look-ups.
    tables = [m._meta.db_table for m in (Enterprise, FinancialYear, Declaration, Assessment, ProfileSnapshot,
                                         PoolProposal, PoolEntry)]
    with connection.cursor() as cursor:
        cursor.execute(f"VACUUM ANALYZE {', '.join(tables)}")


def time_job(options: dict, procs: list, ruleset: object = None) -> tuple[RescoreJob, float]:
    """Plan a full re-score, run it on ``procs`` (inline when there are none) and time it from plan to done.
    ``options["_rewritten"]`` gets the number of assessments the job wrote."""
    kwargs = {"scope": "all", "ruleset": ruleset or options["ruleset"], "year": options["year"],
              "label": "command:bench_rescore", "chunk_size": options["chunk_size"]}
    started = time.perf_counter()
    job = rescore.plan_job(**kwargs)
    if not procs:
        job = rescore.run_job_inline(job)
    else:
        tasks.dispatch_job(job.pk)
        progress, progressed_at = -1, time.monotonic()
        while True:
            job.refresh_from_db()
            if job.status == RescoreStatus.DONE:
                break
            if all(p.poll() is not None for p in procs):
                raise CommandError(_("The workers exited before the job finished."))
            if job.done + job.failed != progress:
                progress, progressed_at = job.done + job.failed, time.monotonic()
            elif time.monotonic() - progressed_at > 120:
                raise CommandError(_("No progress for 2 minutes: see the workers' log (--worker-log)."))
            time.sleep(0.02)
    seconds = time.perf_counter() - started
    options["_rewritten"] = Assessment.objects.filter(job_id=job.pk).count()
    return job, seconds


def change_figures(share: float, year: int, *, undo: bool = False) -> int:
    """New figures for every n-th seeded enterprise, as the annual update brings (``undo`` takes them back)."""
    if share <= 0:
        return 0
    step = max(1, round(1 / share))
    ids = list(Enterprise.objects.filter(name__startswith=f"{PREFIX}-").order_by("pk")
               .values_list("pk", flat=True))[::step]
    change = F("operating_revenue") * 3 / 100
    for first in range(0, len(ids), 5000):
        FinancialYear.objects.filter(enterprise_id__in=ids[first:first + 5000], year=year).update(
            rd_expense=F("rd_expense") - change if undo else F("rd_expense") + change
        )
    figures_changed(ids)
    return len(ids)
