"""One size of ``manage.py bench_scale``, run in the child process pointed at that size's own database.

The database is seeded once (``enterprises.copy_seed``, plus certifications and applications for the dashboard)
and a marker row records the seed, so a later run reuses it. Each first scoring runs under a newly created
ruleset version, after the earlier runs' assessments, snapshots, jobs and proposals are emptied, so every
assessment is new, as after publishing a ruleset; the 10%-changed re-score changes figures and takes the change
back afterwards, so the seed stays the same from run to run.
"""

from __future__ import annotations

import csv
import datetime
import json
import os
import random
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from celery import current_app
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection, transaction
from django.test import Client
from django.utils import timezone
from django.utils.module_loading import import_string

from enterprises.copy_seed import column_template, copy_rows, copy_seed
from enterprises.models import Enterprise, Tier
from evaluation import floor, workers
from evaluation.models import RulesetVersion, SimulationJob
from evaluation.simulation import create_draft
from evaluation.simulation import run as run_simulation
from evaluation.versions import get_ruleset_version

from . import dashboard_summary
from .bulk_seed import change_figures, settle, time_job
from .certifications import refresh_current_tier
from .models import Application, ApplicationStatus, Certification, CertificationStatus, DashboardCount
from .pool_models import PoolProposal

YEAR = 2025
PREFIX = "BENCH"  # the seeded enterprises' name prefix, shared with bench_rescore's figure changes
SUFFIX = "_scale_"
MARKER = "bench_scale_seed"

# Columns measured by features other work adds. A dotted path to a callable ``(run: SizeRun) -> seconds`` turns
# the column on (``run.size``, ``run.client()`` for a signed-in admin client, ``run.say``); an empty string prints
# "n/a (not built)". Adding a feature's measurement is one line here.
HOOKS: dict[str, str] = {
    "pool discovery": "registry.scale_bench.measure_discovery",
    "public directory search": "registry.scale_bench.measure_directory_search",
}
BENCH_TITLE = "bench_scale"
SCORE_TABLES = ("evaluation_assessment", "evaluation_profilesnapshot", "evaluation_rescoreerror",
                "evaluation_rescorechunk", "evaluation_rescorejob", "registry_demotionproposal")


def load_average() -> str:
    one, five, fifteen = os.getloadavg()
    return f"load {one:.2f} {five:.2f} {fifteen:.2f}"


def run_hook(name: str, run: Any) -> tuple[float | None, str]:
    """Measure a hooked column: its seconds, or None and the note to print when the feature is not built."""
    path = HOOKS.get(name, "")
    if not path:
        return None, "n/a (not built)"
    measure: Callable[[Any], float] = import_string(path)
    return measure(run), ""


def median_time(fn: Callable[[], Any], rounds: int = 3) -> float:
    fn()  # warm
    times = []
    for _round in range(rounds):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def stop_on_sigterm() -> None:
    """Let ``finally`` blocks stop the workers when the benchmark itself is stopped."""
    signal.signal(signal.SIGTERM, lambda *args: sys.exit(143))


class SizeRun:
    def __init__(self, command: Any, options: dict) -> None:
        self.command = command
        self.options = options
        self.size = options["run_size"]
        self.skip = options["skip_set"]
        self.result: dict[str, Any] = {"size": self.size, "load_start": load_average(), "scaling": {}}
        if SUFFIX not in connection.settings_dict["NAME"]:
            raise RuntimeError("a size run needs its own database (<name>_scale_<size>)")

    def say(self, text: str) -> None:
        self.command.stdout.write(f"  {text}  [{load_average()}]")
        self.command.stdout.flush()

    def run(self) -> None:
        call_command("migrate", verbosity=0)
        self.seed()
        accounts = None
        if "api" not in self.skip:
            # bench/ is a folder of scripts beside the apps, on the path only when the benchmark runs.
            from bench import load as load_bench  # the API load benchmark's accounts, server and locust

            accounts = load_bench.prepare_accounts(self.options["api_users"], YEAR)
        stop_on_sigterm()
        if "scoring" not in self.skip:
            self.scorings()
        if "simulation" not in self.skip:
            self.simulation()
        if "pages" not in self.skip:
            self.pages()
        if accounts is not None:
            self.api(accounts)
        for name, key in (("pool discovery", "discovery"), ("public directory search", "directory")):
            value, note = (None, "skipped") if key in self.skip else run_hook(name, self)
            self.result[name] = value
            self.result[f"{name}_note"] = note
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_database_size(current_database())")
            self.result["db_size"] = cursor.fetchone()[0]
        self.say(f"database size {self.result['db_size'] / 1024 ** 3:.2f} GB")
        self.result["load_end"] = load_average()
        Path(self.options["result"]).write_text(json.dumps(self.result), encoding="utf-8")

    # --- seeding --------------------------------------------------------------------------------------------

    def seed(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE TABLE IF NOT EXISTS {MARKER} (size integer, seconds double precision,"
                           " certified double precision, seeded_at timestamptz)")
            cursor.execute(f"SELECT seconds FROM {MARKER} WHERE size = %s AND certified = %s",
                           [self.size, self.options["certified"]])
            found = cursor.fetchone()
        seeded = Enterprise.objects.filter(name__startswith=f"{PREFIX}-").count()
        if found and seeded == self.size and not self.options["reseed"]:
            if not DashboardCount.objects.exists():  # a seed made before the dashboard kept summary rows
                dashboard_summary.rebuild()
            self.result["seed_rate"] = self.size / found[0]
            self.say(f"reusing the seed of {self.size:,} enterprises (seeded at {self.result['seed_rate']:,.0f}/s)")
            return
        with connection.cursor() as cursor:
            # This database is the benchmark's own (its name says so): start from empty.
            cursor.execute(f"TRUNCATE {Enterprise._meta.db_table}, {MARKER} CASCADE")
        started = time.perf_counter()
        first, last = copy_seed(self.size, YEAR, prefix=PREFIX, rebuild=True)
        self._seed_registry(first, last)
        settle()
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        seconds = time.perf_counter() - started
        with connection.cursor() as cursor:
            cursor.execute(f"INSERT INTO {MARKER} VALUES (%s, %s, %s, now())",
                           [self.size, seconds, self.options["certified"]])
        self.result["seed_rate"] = self.size / seconds
        self.say(f"seeded {self.size:,} enterprises in {seconds:.1f} s: {self.result['seed_rate']:,.0f}/s")

    def _seed_registry(self, first: int, last: int) -> None:
        """Certifications of every tier over several years (some expired) and applications at every stage, as
        the dashboard shows them, with COPY."""
        rng = random.Random(7)
        today = timezone.localdate()
        base = self._base_version()
        now = timezone.now()
        tiers, weights = list(Tier.values), [60, 25, 5, 8, 2]
        statuses = list(ApplicationStatus.values)
        c_columns, c_defaults = column_template(Certification, now)
        a_columns, a_defaults = column_template(Application, now)

        def certifications() -> Any:
            at = {c: i for i, c in enumerate(c_columns)}
            template = [c_defaults[c] for c in c_columns]
            for pk in range(first, last + 1):
                if rng.random() >= self.options["certified"]:
                    continue
                granted = datetime.date(rng.randint(2020, 2026), rng.randint(1, 12), rng.randint(1, 28))
                row = list(template)
                row[at["enterprise_id"]] = pk
                row[at["tier"]] = rng.choices(tiers, weights)[0]
                row[at["ruleset_id"]] = base.pk
                row[at["granted_on"]] = granted
                row[at["expires_on"]] = granted.replace(year=granted.year + 3)
                if row[at["expires_on"]] < today:  # as the daily expiry job leaves them
                    row[at["status"]] = CertificationStatus.EXPIRED
                yield tuple(row)

        def applications() -> Any:
            at = {c: i for i, c in enumerate(a_columns)}
            template = [a_defaults[c] for c in a_columns]
            for pk in range(first, last + 1):
                if rng.random() >= 0.05:
                    continue
                row = list(template)
                row[at["enterprise_id"]] = pk
                row[at["tier"]] = rng.choice(tiers)
                row[at["year"]] = YEAR
                row[at["status"]] = rng.choice(statuses)
                yield tuple(row)

        with transaction.atomic(), connection.cursor() as cursor:
            copy_rows(cursor.cursor, Certification, c_columns, certifications())
            copy_rows(cursor.cursor, Application, a_columns, applications())
        # The tiers each enterprise holds, as the certification services keep them (what a re-score reads).
        certified = list(Certification.objects.filter(enterprise_id__gte=first, enterprise_id__lte=last).order_by()
                         .values_list("enterprise_id", flat=True).distinct())
        for start in range(0, len(certified), 5000):
            refresh_current_tier(certified[start:start + 5000])
        dashboard_summary.rebuild()  # written around the services: the dashboard's rows counted afresh

    # --- scoring --------------------------------------------------------------------------------------------

    @staticmethod
    def _base_version() -> RulesetVersion:
        version = (RulesetVersion.objects.published().exclude(title__startswith=BENCH_TITLE)
                   .in_force(timezone.localdate()))
        if version is None:
            version = get_ruleset_version(None)
        return version

    def _fresh_ruleset(self) -> RulesetVersion:
        """Empty what earlier scorings stored and publish a new version of the ruleset in force to score under."""
        with connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {', '.join(SCORE_TABLES)}")
        SimulationJob.objects.all().delete()
        bench = RulesetVersion.objects.filter(title__startswith=BENCH_TITLE)
        base = self._base_version()
        # The API load's applications were judged under an earlier run's version: point them at the base one.
        Application.objects.filter(ruleset__in=bench).update(ruleset=base)
        Certification.objects.filter(ruleset__in=bench).update(ruleset=base)
        RulesetVersion.objects.filter(based_on__in=bench).delete()
        # Proposals the discovery measurement made under an earlier run's version go with it.
        PoolProposal.objects.filter(ruleset__in=bench).delete()
        bench.delete()
        top = RulesetVersion.objects.filter(code=base.code).order_by("-version").values_list("version", flat=True)
        settle()
        return RulesetVersion.objects.create(
            code=base.code, version=top[0] + 1, title=f"{BENCH_TITLE} {timezone.now():%Y-%m-%d %H:%M}",
            effective_from=base.effective_from, data=base.data,
        )

    def _start(self, count: int) -> list:
        app = current_app

        app.control.purge()
        log = open(self.options["worker_log"], "ab") if self.options["worker_log"] else None  # noqa: SIM115
        # Discovery is measured on its own ("pool discovery"): the scorings compare with the floor, which
        # does the same work as a re-score's chunks and nothing more.
        procs = [workers.start_worker(f"scale{i + 1}-{self.size}", {"REGISTRY_POOL_DISCOVERY": "0"}, log=log,
                                      loglevel="INFO" if log else "WARNING") for i in range(count)]
        workers.wait_ready(app, count)
        return procs

    def _job_options(self) -> dict:
        return {"ruleset": None, "year": YEAR, "chunk_size": self.options["chunk_size"]}

    def scorings(self) -> None:
        counts = self.options["worker_counts"]
        r = self.result
        procs = self._start(counts[0])
        try:
            # With --repeat, the first scoring and the floor take turns and each keeps its best time: on a
            # machine others share, that compares the two at their least disturbed.
            for attempt in range(self.options["repeat"]):
                version = self._fresh_ruleset()
                job, seconds = time_job(self._job_options(), procs, ruleset=version)
                r["first"] = max(r.get("first", 0.0), job.total / seconds)
                self.say(f"first scoring, {counts[0]} worker(s), attempt {attempt + 1}: {job.total:,} enterprises "
                         f"in {seconds:.1f} s, {job.total / seconds:,.0f}/s ({job.failed} failed)")
                if "floor" not in self.skip:
                    self._floor(version, counts[0])
            r["scaling"][str(counts[0])] = r["first"]
            r["rss"] = max(workers.peak_rss_kib(p.pid) for p in procs) * 1024
            changed = change_figures(0.1, YEAR)
            settle()
            try:
                job, seconds = time_job(self._job_options(), procs, ruleset=version)
            finally:
                change_figures(0.1, YEAR, undo=True)
            r["changed"] = job.total / seconds
            self.say(f"re-score with {changed:,} changed: {seconds:.1f} s, {r['changed']:,.0f}/s")
            r["rss"] = max(r["rss"], *(workers.peak_rss_kib(p.pid) * 1024 for p in procs))
            for count in counts[1:]:
                for p in procs:
                    workers.stop(p)
                procs = self._start(count)
                version = self._fresh_ruleset()
                job, seconds = time_job(self._job_options(), procs, ruleset=version)
                r["scaling"][str(count)] = job.total / seconds
                self.say(f"first scoring, {count} worker(s): {seconds:.1f} s, {job.total / seconds:,.0f}/s")
        finally:
            for p in procs:
                workers.stop(p)

    def _floor(self, version: RulesetVersion, processes: int) -> None:
        """The floor into a scratch table without foreign keys (the strict floor, in the ``scale`` lines) and,
        unless skipped, into one with constraints on the enterprise and ruleset keys (what those would cost: the
        assessment table leaves them out)."""
        variants = [("floor", False)] + ([] if "floor-keys" in self.skip else [("floor_keys", True)])
        for key, keys in variants:
            floor.prepare(foreign_keys=keys)
            result = floor.run(version, YEAR, processes)
            self.result[key] = max(self.result.get(key) or 0.0, result.rate)
            differ = floor.check_same_rows(version.pk, YEAR)
            self.result[f"{key}_differ"] = differ
            with_keys = "with" if keys else "without"
            self.say(f"floor (plain psycopg, {processes} process(es), scratch table {with_keys} foreign keys): "
                     f"{result.enterprises:,} enterprises in {result.seconds:.1f} s, {result.rate:,.0f}/s; "
                     f"rows differing from the job's: {differ}")
            floor.drop()

    # --- the rest -------------------------------------------------------------------------------------------

    def simulation(self) -> None:
        base = RulesetVersion.objects.filter(title__startswith=BENCH_TITLE).first() or self._base_version()
        draft = create_draft(base, changes={"tiers.innovative_sme.pass_mark.value": 65})
        job = SimulationJob.objects.create(base=base, candidate=draft, year=YEAR)
        started = time.perf_counter()
        run_simulation(job)
        self.result["simulation"] = time.perf_counter() - started
        self.say(f"simulation over {job.total:,} enterprises (pass mark 60 -> 65): {self.result['simulation']:.1f} s")

    def client(self) -> Client:
        User = get_user_model()
        user, _ = User.objects.get_or_create(username="bench-scale-admin",
                                             defaults={"is_staff": True, "is_superuser": True})
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(user)
        return client

    def pages(self) -> None:
        client = self.client()
        middle = Enterprise.objects.filter(name__startswith=f"{PREFIX}-").order_by("pk")[self.size // 2]
        pages = {
            "dashboard_province": "/admin/insights/dashboard/",
            "dashboard_city": "/admin/insights/dashboard/?city=330100",
            "admin_first": "/admin/enterprises/enterprise/",
            "admin_search": f"/admin/enterprises/enterprise/?q={middle.name}",
            "admin_city": "/admin/enterprises/enterprise/?city=330200",
        }
        for key, path in pages.items():
            def get(path: str = path) -> None:
                response = client.get(path)
                if response.status_code != 200:
                    raise RuntimeError(f"{path} answered {response.status_code}")
            self.result[key] = median_time(get)
            self.say(f"{path}: {self.result[key] * 1000:.0f} ms")

    def api(self, accounts: dict) -> None:
        from bench import load as load_bench  # see above: bench/ is outside the apps

        connection.close()
        port, users = self.options["port"], self.options["api_users"]
        with tempfile.TemporaryDirectory() as tmp:
            accounts_file = str(Path(tmp) / "accounts.json")
            Path(accounts_file).write_text(json.dumps(accounts), encoding="utf-8")
            web_workers = self.options["web_workers"]
            server = load_bench.start_gunicorn(port, web_workers)
            try:
                load_bench.warm_up(port, accounts)
                load_bench.run_locust(port, users, self.options["api_duration"], 1.0, accounts_file,
                                      str(Path(tmp) / "load"), 10.0)
            finally:
                server.terminate()
                server.wait(15)
            with open(Path(tmp) / "load_stats.csv", encoding="utf-8") as handle:
                total = next(row for row in csv.DictReader(handle) if row["Name"] == "Aggregated")
        self.result["api_p50"] = float(total["50%"]) / 1000
        self.result["api_p99"] = float(total["99%"]) / 1000
        self.result["api_errors"] = int(total["Failure Count"])
        self.say(f"API at {users} users for {self.options['api_duration']} s on {web_workers} gunicorn workers: "
                 f"{total['Request Count']} requests, "
                 f"p50 {total['50%']} ms, p99 {total['99%']} ms, {total['Failure Count']} errors")


def measure_discovery(run: SizeRun) -> float:
    """Proactive discovery on demand over the whole province (every enterprise judged for the near rules), in
    this process: seconds."""
    from .pool import discover_for_region

    started = time.perf_counter()
    made = discover_for_region("330000", year=YEAR)
    seconds = time.perf_counter() - started
    run.say(f"pool discovery over {run.size:,} enterprises: {made:,} proposals in {seconds:.1f} s")
    return seconds


def measure_directory_search(run: SizeRun) -> float:
    """The public directory searched by part of a seeded name (median of 3, warm): seconds."""
    client = Client(HTTP_HOST="127.0.0.1")
    name = Enterprise.objects.filter(name__startswith=f"{PREFIX}-").order_by("pk").values_list(
        "name", flat=True)[run.size // 3]
    path = f"/public/directory/?q={name[len(PREFIX) + 1:len(PREFIX) + 7]}"

    def get() -> None:
        response = client.get(path)
        if response.status_code != 200:
            raise RuntimeError(f"{path} answered {response.status_code}")

    seconds = median_time(get)
    run.say(f"{path}: {seconds * 1000:.0f} ms")
    return seconds
