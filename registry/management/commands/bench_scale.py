"""``manage.py bench_scale``: the same work at several registry sizes, one table row per size. Not a test.

For each size the command uses a database of its own next to the one ``DATABASE_URL`` names
(``<name>_scale_<size>``), seeded once with COPY and kept: a later run finds the seed and reuses it. Each size
runs in a child process of this command pointed at that database, which starts its own Celery workers on the
``REDIS_URL`` broker, and reports back; this process prints the table, the per-enterprise ratios of the two
largest sizes, the worker scaling and, last, one ``scale N: …`` line per size for other tools to read.
PostgreSQL only: the figures mean nothing on SQLite, so the command refuses it.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.core.management.base import CommandError
from django.db import connection
from django.utils.translation import gettext as _

from core.audit import AuditedCommand
from registry.scale_bench import SUFFIX, SizeRun, load_average

# (key, heading, unit): "s" seconds, "ms" milliseconds, "/s" enterprises per second, "MB", "GB".
COLUMNS: list[tuple[str, str, str]] = [
    ("seed_rate", "seeding", "/s"),
    ("first", "first scoring", "/s"),
    ("floor", "floor", "/s"),
    ("floor_keys", "floor with FKs", "/s"),
    ("changed", "re-score, 10% changed", "/s"),
    ("pool discovery", "pool discovery", "s"),
    ("simulation", "simulation", "s"),
    ("dashboard_province", "dashboard province", "ms"),
    ("dashboard_city", "dashboard city", "ms"),
    ("admin_first", "admin list", "ms"),
    ("admin_search", "admin search name", "ms"),
    ("admin_city", "admin filter city", "ms"),
    ("public directory search", "public directory search", "ms"),
    ("api_p50", "API p50", "ms"),
    ("api_p99", "API p99", "ms"),
    ("rss", "peak RSS/worker", "MB"),
    ("db_size", "database", "GB"),
]


def _int_list(value: str, option: str) -> list[int]:
    try:
        items = [int(v) for v in value.split(",") if v.strip()]
    except ValueError:
        items = []
    if not items or any(v < 1 for v in items):
        raise CommandError(_("%(option)s: give whole numbers of at least 1, comma-separated (got %(value)r).")
                           % {"option": option, "value": value})
    return items


class Command(AuditedCommand):
    help = _("Benchmark the registry at several sizes on PostgreSQL (not a test): seeding, first scoring and its "
             "plain-psycopg floor, a re-score with a tenth changed, simulation, dashboard, admin lists, API "
             "latency under load, worker memory and database size. Seeds one database per size once and "
             "reuses it.")

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--sizes", default="10000,100000,1000000",
                            help=_("Registry sizes, comma-separated."))
        parser.add_argument("--workers", default="2",
                            help=_("Celery worker processes, comma-separated (e.g. 1,2,4): the table uses the "
                                   "first; the others are timed for the scaling."))
        parser.add_argument("--api-duration", type=int, default=20, help=_("Seconds of API load per size."))
        parser.add_argument("--api-users", type=int, default=50)
        parser.add_argument("--web-workers", type=int, default=2,
                            help=_("gunicorn workers serving the API under load (default 2: on a machine that also "
                                   "runs PostgreSQL and the load generator, more workers only contend for its "
                                   "cores)."))
        parser.add_argument("--port", type=int, default=18400, help=_("Port of the API server under load."))
        parser.add_argument("--chunk-size", type=int, default=None)
        parser.add_argument("--certified", type=float, default=0.1,
                            help=_("Share of seeded enterprises given a certification (some expired)."))
        parser.add_argument("--skip", default="",
                            help=_("Measurements to leave out, comma-separated: scoring, simulation, pages, api, "
                                   "floor, floor-keys (the floor into a table with foreign-key constraints), "
                                   "discovery, directory."))
        parser.add_argument("--repeat", type=int, default=1,
                            help=_("Time the first scoring and the floor this many times, in turns; keep the best."))
        parser.add_argument("--reseed", action="store_true", help=_("Seed again even when a seed is found."))
        parser.add_argument("--worker-log", help=_("Append the workers' output to this file."))
        parser.add_argument("--run-size", type=int, help=_("(internal) measure one size in this process."))
        parser.add_argument("--result", help=_("(internal) where --run-size writes its figures."))

    def handle(self, *args: Any, **options: Any) -> None:
        if connection.vendor != "postgresql":
            raise CommandError(_("bench_scale measures PostgreSQL only: DATABASE_URL names %(vendor)s. Point it "
                                 "at a PostgreSQL server.") % {"vendor": connection.vendor})
        if not settings.REDIS_URL:
            raise CommandError(_("bench_scale starts Celery workers: set REDIS_URL to a Redis database."))
        options["worker_counts"] = _int_list(options["workers"], "--workers")
        if options["repeat"] < 1:
            raise CommandError(_("--repeat: give a whole number of at least 1."))
        skip = {s.strip() for s in options["skip"].split(",") if s.strip()}
        unknown = skip - {"scoring", "simulation", "pages", "api", "floor", "floor-keys", "discovery", "directory"}
        if unknown:
            raise CommandError(_("--skip: unknown measurement %(names)s.") % {"names": ", ".join(sorted(unknown))})
        options["skip_set"] = skip
        if options["run_size"]:

            SizeRun(self, options).run()
            return
        sizes = _int_list(options["sizes"], "--sizes")
        results = [self._size(size, options) for size in sizes]
        self._report(results, options)

    # --- the parent: one child per size ---------------------------------------------------------------------

    def _size(self, size: int, options: dict) -> dict:
        name = connection.settings_dict["NAME"]
        if SUFFIX in name:
            raise CommandError(_("Run bench_scale against the main database, not a size's own (%(name)s).")
                               % {"name": name})
        database = f"{name}{SUFFIX}{size}"
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database])
            if cursor.fetchone() is None:
                cursor.execute(f'CREATE DATABASE "{database}"')
        url = urlsplit(os.environ.get("DATABASE_URL", ""))
        env = {**os.environ, "DATABASE_URL": urlunsplit(url._replace(path=f"/{database}"))}
        with tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "result.json"
            command = [sys.executable, str(Path(settings.BASE_DIR) / "manage.py"), "bench_scale",
                       "--run-size", str(size), "--result", str(out), "--workers", options["workers"],
                       "--api-duration", str(options["api_duration"]), "--api-users", str(options["api_users"]),
                       "--port", str(options["port"]), "--certified", str(options["certified"]),
                       "--repeat", str(options["repeat"])]
            for flag in ("chunk_size", "worker_log", "web_workers"):
                if options[flag]:
                    command += [f"--{flag.replace('_', '-')}", str(options[flag])]
            if options["skip"]:
                command += ["--skip", options["skip"]]
            for flag in ("reseed",):
                if options[flag]:
                    command.append(f"--{flag.replace('_', '-')}")
            self.stdout.write(_("== %(n)s enterprises, database %(db)s (%(load)s)")
                              % {"n": f"{size:,}", "db": database, "load": load_average()})
            self.stdout.flush()
            child = subprocess.run(command, env=env, check=False)
            if child.returncode != 0 or not out.exists():
                raise CommandError(_("The run at %(n)s enterprises failed (exit %(code)s).")
                                   % {"n": size, "code": child.returncode})
            return json.loads(out.read_text())

    def _report(self, results: list[dict], options: dict) -> None:
        w = self.stdout.write
        w("")
        w(_("bench_scale on PostgreSQL, %(workers)s worker(s); times are warm, pages the median of 3; the load "
            "average (%(cores)s cores) is given beside each size.")
          % {"workers": options["worker_counts"][0], "cores": os.cpu_count()})
        headings = ["enterprises", *[f"{h} ({u})" for _k, h, u in COLUMNS], "load at start/end"]
        rows = [[f"{r['size']:,}", *[self._cell(r, k, u) for k, _h, u in COLUMNS],
                 f"{r['load_start']} / {r['load_end']}"] for r in results]
        w("| " + " | ".join(headings) + " |")
        w("|" + "---|" * len(headings))
        for row in rows:
            w("| " + " | ".join(row) + " |")
        by_size = {r["size"]: r for r in results}
        if len(by_size) >= 2:
            big, small = (1_000_000, 100_000) if {1_000_000, 100_000} <= by_size.keys() else sorted(by_size)[-1:-3:-1]
            w("")
            w(_("Cost per enterprise at %(big)s relative to %(small)s (1.0 = linear; below 1 grows slower than "
                "the registry):") % {"big": f"{big:,}", "small": f"{small:,}"})
            for key, heading, unit in COLUMNS:
                ratio = self._ratio(by_size[big], by_size[small], key, unit)
                if ratio is not None:
                    w(f"  {heading}: {ratio:.2f}")
        scaling = [r for r in results if len(r.get("scaling", {})) > 1]
        if scaling:
            w("")
            w(_("First scoring by worker count (enterprises/s, and the speed-up over the first count):"))
            for r in scaling:
                counts = sorted(r["scaling"], key=int)
                base = r["scaling"][counts[0]]
                w(f"  {r['size']:,}: " + ", ".join(
                    f"{c} worker(s) {r['scaling'][c]:,.0f}/s ({r['scaling'][c] / base:.2f}x)" for c in counts))
        for r in results:
            if r.get("first") and r.get("floor_keys"):
                w(_("%(n)s: first scoring / floor with foreign-key constraints: %(q).2f")
                  % {"n": f"{r['size']:,}", "q": r["first"] / r["floor_keys"]})
        w("")
        for r in results:
            if r.get("first") and r.get("floor"):
                w(f"scale {r['size']}: first scoring {r['first']:.0f} enterprises/s, floor {r['floor']:.0f} "
                  f"enterprises/s, ratio {r['first'] / r['floor']:.2f}")

    @staticmethod
    def _cell(result: dict, key: str, unit: str) -> str:
        value = result.get(key)
        if value is None:
            return result.get(f"{key}_note", "n/a")
        if unit == "/s":
            return f"{value:,.0f}"
        if unit == "ms":
            return f"{value * 1000:.0f}"
        if unit == "GB":
            return f"{value / 1024 ** 3:.2f}"
        if unit == "MB":
            return f"{value / 1024 ** 2:.0f}"
        return f"{value:.1f}"

    @staticmethod
    def _ratio(big: dict, small: dict, key: str, unit: str) -> float | None:
        a, b = big.get(key), small.get(key)
        if not a or not b or unit in ("MB", "GB"):
            return None
        if unit == "/s":  # a rate: the cost per enterprise is its inverse
            return b / a
        return (a / big["size"]) / (b / small["size"])
