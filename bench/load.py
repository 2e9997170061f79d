"""Load benchmark of the API: 100,000 enterprises, gunicorn with 2 workers, locust on loopback.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/tier_bench .venv/bin/python bench/load.py
    (options: --enterprises 100000 --users 50 --duration 60 --wait 1.0 --workers 2 --port 8765)

1. Migrates the database ``DATABASE_URL`` names and seeds it up to ``--enterprises`` enterprises with
   ``bulk_create`` (spread over Zhejiang's counties); the ``--users`` enterprises the simulated users act for get
   three years of figures and a declaration, an owner account and an API token. Re-runs reuse the seed.
2. Starts gunicorn (``--workers`` sync workers) on 127.0.0.1 with production settings (DEBUG off).
3. Runs locust headless for ``--duration`` seconds with ``--users`` concurrent users (``bench/locustfile.py``):
   the enterprise list (registry staff over all enterprises, and a member's own), one enterprise, its live
   self-assessment, and the application submit cycle (create a draft, submit, withdraw). Each user waits
   ``--wait`` seconds on average between requests (0: back-to-back, to find the saturation throughput).
4. Prints requests/s and p50/p95/p99 per endpoint, and the error count.

This is a benchmark, never a test: the figures depend on the machine.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import secrets
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from registry import applications

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
VENV_BIN = Path(sys.executable).parent


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()


def seed_enterprises(total: int, seed: int = 7) -> int:
    """Bring the registry up to ``total`` enterprises with bulk inserts. Returns how many were created."""
    from django.db import transaction

    from enterprises.models import Enterprise, Region
    from enterprises.uscc import make_uscc

    have = Enterprise.objects.count()
    if have >= total:
        return 0
    rng = random.Random(seed + have)
    counties = list(Region.objects.filter(level="county", province_code="330000").values_list("code", flat=True))
    taken = set(Enterprise.objects.values_list("uscc", flat=True))
    sizes = ["micro", "small", "medium", "large"]
    tiers = ["", "", "", "innovative_sme", "specialised_sme", "hidden_champion", "little_giant"]
    created = 0
    batch: list[Enterprise] = []
    with transaction.atomic():
        for index in range(have, total):
            region = rng.choice(counties)
            code = make_uscc(region, rng)
            while code in taken:
                code = make_uscc(region, rng)
            taken.add(code)
            batch.append(Enterprise(
                uscc=code, name=f"负载测试{index:06d}号制造有限公司", region_id=region, sector="industry",
                established_year=rng.randint(1995, 2022), size_class=rng.choice(sizes),
                current_tier=rng.choice(tiers), needs_rescore=False,
            ))
            if len(batch) == 10_000:
                Enterprise.objects.bulk_create(batch)
                created += len(batch)
                batch = []
        Enterprise.objects.bulk_create(batch)
        created += len(batch)
    return created


def prepare_accounts(users: int, year: int) -> dict:
    """Owners with tokens for ``users`` enterprises that have figures; registry staff with a token."""
    from django.contrib.auth import get_user_model

    from enterprises.credentials import issue_token
    from enterprises.models import Declaration, Enterprise, FinancialYear, Membership, Region
    from registry import demo
    from registry.models import Application

    User = get_user_model()
    counties = list(Region.objects.filter(level="county", province_code="330000").values_list("code", flat=True))
    members = []
    generated = list(demo.generate(users, 99, year, counties))
    for index, g in enumerate(generated):
        user, _ = User.objects.get_or_create(username=f"bench-owner-{index}")
        membership = Membership.objects.filter(user=user).select_related("enterprise").first()
        if membership is None:
            enterprise = Enterprise.objects.filter(uscc=g.uscc).first() or Enterprise.objects.create(
                uscc=g.uscc, name=g.name, region_id=g.region_code, sector="industry",
                established_year=g.established_year)
            Membership.objects.create(user=user, enterprise=enterprise, role="owner")
        else:
            enterprise = membership.enterprise
        for y, row in g.financials.items():
            FinancialYear.objects.update_or_create(enterprise=enterprise, year=y, defaults=row)
        for y, row in g.declarations.items():
            Declaration.objects.update_or_create(enterprise=enterprise, year=y, defaults=row)
        for app in Application.objects.open().filter(enterprise=enterprise):  # left by an interrupted run
            applications.withdraw(app, user=user, reason="benchmark clean-up")
        members.append({"enterprise_id": enterprise.pk, "token": issue_token(user)[0]})
    staff, _ = User.objects.get_or_create(username="bench-staff", defaults={"is_staff": True})
    return {"members": members, "staff_token": issue_token(staff)[0], "year": year}


def start_gunicorn(port: int, workers: int) -> subprocess.Popen:
    env = {
        **os.environ, "DEBUG": "0", "SECRET_KEY": secrets.token_urlsafe(60), "ALLOWED_HOSTS": "127.0.0.1",
        "SECURE_SSL_REDIRECT": "0", "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
        "LOG_LEVEL": "ERROR",
    }
    process = subprocess.Popen(
        [str(VENV_BIN / "gunicorn"), "config.wsgi:application", "--bind", f"127.0.0.1:{port}", "--workers",
         str(workers), "--log-level", "warning", "--timeout", "60"],
        cwd=ROOT, env=env,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/tiers/", timeout=2) as response:
                if response.status == 200:
                    return process
        except OSError:
            time.sleep(0.3)
    process.terminate()
    raise SystemExit("gunicorn did not answer within 30 s")


def warm_up(port: int, accounts: dict, rounds: int = 20) -> None:
    """Send each read a few times before measuring, two at a time so that both workers serve some: a fresh
    worker builds its URL resolver, serializers, translation catalogue and compiled ruleset on its first
    requests, which is start-up cost, not the latency of a running server."""
    from concurrent.futures import ThreadPoolExecutor

    member = accounts["members"][0]
    paths = [("/api/enterprises/", accounts["staff_token"]), ("/api/enterprises/", member["token"]),
             (f"/api/enterprises/{member['enterprise_id']}/", member["token"]),
             (f"/api/enterprises/{member['enterprise_id']}/assessment/?year={accounts['year']}", member["token"])]

    def get(item: tuple[str, str]) -> None:
        path, token = item
        request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers={"Authorization": f"Token {token}"})
        with urllib.request.urlopen(request, timeout=30) as response:
            response.read()

    with ThreadPoolExecutor(max_workers=2) as pool:
        list(pool.map(get, paths * rounds))


def run_locust(port: int, users: int, duration: int, wait: float, accounts_file: str, out_prefix: str,
               spawn_rate: float) -> None:
    env = {**os.environ, "BENCH_ACCOUNTS": accounts_file, "BENCH_WAIT": str(wait)}
    subprocess.run(
        [str(VENV_BIN / "locust"), "-f", str(ROOT / "bench" / "locustfile.py"), "--headless", "-u", str(users),
         "-r", str(spawn_rate), "-t", f"{duration}s", "--host", f"http://127.0.0.1:{port}", "--csv", out_prefix,
         "--only-summary", "--loglevel", "WARNING", "--stop-timeout", "10"],
        cwd=ROOT, env=env, check=False, stdout=subprocess.DEVNULL,
    )


def report(out_prefix: str) -> int:
    with open(f"{out_prefix}_stats.csv", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    print(f"{'endpoint':48} {'requests':>8} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'errors':>6}")
    errors = 0
    for row in rows:
        name = row["Name"] if row["Name"] != "Aggregated" else "all endpoints"
        print(f"{name:48} {row['Request Count']:>8} {float(row['Requests/s']):7.1f} {row['50%']:>7} "
              f"{row['95%']:>7} {row['99%']:>7} {row['Failure Count']:>6}")
        if row["Name"] == "Aggregated":
            errors = int(row["Failure Count"])
    failures = Path(f"{out_prefix}_failures.csv")
    if failures.exists():
        with open(failures, encoding="utf-8") as handle:
            failure_rows = list(csv.DictReader(handle))
        for row in failure_rows:
            print(f"  error: {row['Method']} {row['Name']}: {row['Error'][:160]} ×{row['Occurrences']}")
    print(f"errors: {errors}")
    return errors


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--enterprises", type=int, default=100_000)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--duration", type=int, default=60)
    parser.add_argument("--wait", type=float, default=1.0, help="mean seconds between a user's requests")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument("--spawn-rate", type=float, default=10.0,
                        help="users started per second (all 50 at once would arrive as one synchronised burst)")
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        print("warning: DATABASE_URL does not name PostgreSQL; the figures will not mean much", file=sys.stderr)

    setup_django()
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    call_command("migrate", verbosity=0)
    started = time.monotonic()
    created = seed_enterprises(args.enterprises)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    print(f"seeded {created} enterprises in {time.monotonic() - started:.1f} s")
    accounts = prepare_accounts(args.users, timezone.localdate().year - 1)
    connection.close()

    with tempfile.TemporaryDirectory() as tmp:
        accounts_file = str(Path(tmp) / "accounts.json")
        Path(accounts_file).write_text(json.dumps(accounts), encoding="utf-8")
        server = start_gunicorn(args.port, args.workers)
        try:
            warm_up(args.port, accounts)
            print(f"locust: {args.users} users (started {args.spawn_rate:g}/s), {args.duration} s, mean wait "
                  f"{args.wait} s, gunicorn {args.workers} workers")
            run_locust(args.port, args.users, args.duration, args.wait, accounts_file, str(Path(tmp) / "load"),
                       args.spawn_rate)
        finally:
            server.terminate()
            server.wait(15)
        errors = report(str(Path(tmp) / "load"))
    sys.exit(1 if errors else 0)


if __name__ == "__main__":
    main()
