"""Time the dashboard and a policy simulation on a large registry.

    DATABASE_URL=postgres://... python bench/bench_insights.py --enterprises 100000 --simulate 5000

Fills the database in one transaction (enterprises across Zhejiang's counties, certifications of every tier over
several years, applications at every stage; for ``--simulate N`` also N enterprises with figures), times the
dashboard's figures for a provincial and a city viewer (counting queries) and a simulation of the innovative
pass mark raised from 60 to 65, then rolls everything back. Run ``manage.py migrate`` first.
"""

from __future__ import annotations

import argparse
import datetime
import os
import random
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from enterprises.models import Declaration, Enterprise, FinancialYear, Region, ReviewerProfile, Tier  # noqa: E402
from enterprises.uscc import make_uscc  # noqa: E402
from evaluation.models import SimulationJob  # noqa: E402
from evaluation.services import get_ruleset_version  # noqa: E402
from evaluation.simulation import create_draft, run  # noqa: E402
from registry.dashboard import dashboard_data  # noqa: E402
from registry.models import Application, ApplicationStatus, Certification  # noqa: E402


class Rollback(Exception):
    pass


def fill(n: int, rng: random.Random) -> list[int]:
    counties = list(Region.objects.filter(level="county", province_code="330000").values_list("code", flat=True))
    enterprises = [
        Enterprise(uscc=make_uscc(c, rng), name=f"基准企业{i:06d}", region_id=c,
                   established_year=rng.randint(1990, 2020))
        for i, c in enumerate(rng.choice(counties) for _ in range(n))
    ]
    Enterprise.objects.bulk_create(enterprises, batch_size=5000)
    ids = list(Enterprise.objects.order_by("pk").values_list("pk", flat=True))[-n:]
    ruleset = get_ruleset_version("miit-2022")
    certs, apps = [], []
    tiers = list(Tier.values)
    weights = [60, 25, 5, 8, 2]
    for pk in ids:
        if rng.random() < 0.6:
            granted = datetime.date(rng.randint(2020, 2026), rng.randint(1, 12), rng.randint(1, 28))
            certs.append(Certification(enterprise_id=pk, tier=rng.choices(tiers, weights)[0], ruleset=ruleset,
                                       granted_on=granted, expires_on=granted.replace(year=granted.year + 3)))
        if rng.random() < 0.05:
            apps.append(Application(enterprise_id=pk, tier=rng.choice(tiers), year=2025,
                                    status=rng.choice(list(ApplicationStatus.values))))
    Certification.objects.bulk_create(certs, batch_size=5000)
    Application.objects.bulk_create(apps, batch_size=5000, ignore_conflicts=True)
    print(f"filled: {n} enterprises, {len(certs)} certifications, {len(apps)} applications")
    return ids


def with_figures(ids: list[int], rng: random.Random) -> None:
    fins, decls = [], []
    for pk in ids:
        for year in (2023, 2024, 2025):
            revenue = Decimal(rng.randint(1000, 30000))
            fins.append(FinancialYear(
                enterprise_id=pk, year=year, operating_revenue=revenue, main_business_revenue=revenue * Decimal("0.8"),
                rd_expense=revenue * Decimal(str(rng.uniform(0.01, 0.07))).quantize(Decimal("0.0001")),
                net_profit=revenue * Decimal("0.08"), total_assets=revenue * 2, total_liabilities=revenue,
            ))
        employees = rng.randint(20, 500)
        decls.append(Declaration(enterprise_id=pk, year=2025, employees=employees, rd_staff=employees // 10,
                                 ip_class_i=rng.randint(0, 3), digital_level=rng.randint(1, 4)))
    FinancialYear.objects.bulk_create(fins, batch_size=5000)
    Declaration.objects.bulk_create(decls, batch_size=5000)


def timed_dashboard(user, label: str, **kwargs) -> None:
    with CaptureQueriesContext(connection) as queries:
        started = time.perf_counter()
        data = dashboard_data(user, **kwargs)
        elapsed = time.perf_counter() - started
    total = sum(r["count"] for r in data["tier_rows"])
    print(f"dashboard ({label}): {elapsed * 1000:.0f} ms, {len(queries.captured_queries)} queries, "
          f"{total} active certifications")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--enterprises", type=int, default=100000)
    parser.add_argument("--simulate", type=int, default=0, help="enterprises with figures for the simulation")
    args = parser.parse_args()
    rng = random.Random(7)
    try:
        with transaction.atomic():
            started = time.perf_counter()
            ids = fill(args.enterprises, rng)
            print(f"fill: {time.perf_counter() - started:.1f} s")
            User = get_user_model()
            boss = User.objects.create(username="bench-boss", is_staff=True, is_superuser=True)
            ningbo = User.objects.create(username="bench-ningbo", is_staff=True)
            ReviewerProfile.objects.create(user=ningbo, level="city", region_id="330200")
            timed_dashboard(boss, "province")
            timed_dashboard(boss, "province, Hangzhou chosen", city="330100")
            timed_dashboard(ningbo, "Ningbo city reviewer")
            if args.simulate:
                chosen = ids[: args.simulate]
                with_figures(chosen, rng)
                base = get_ruleset_version("miit-2022")
                draft = create_draft(base, changes={"tiers.innovative_sme.pass_mark.value": 65})
                # The whole population is scanned; those without 2025 figures are counted as skipped.
                job = SimulationJob.objects.create(base=base, candidate=draft, year=2025)
                started = time.perf_counter()
                run(job)
                elapsed = time.perf_counter() - started
                per_tier = job.summary["per_tier"]["innovative_sme"]
                print(f"simulation over {job.total} enterprises ({job.total - job.skipped} with figures): "
                      f"{elapsed:.1f} s; innovative SME +{per_tier['gain']} / -{per_tier['loss']}")
            raise Rollback
    except Rollback:
        print("rolled back")


if __name__ == "__main__":
    main()
