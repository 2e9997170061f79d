import os
import resource
import signal
import sys
import time
from typing import Any

from celery import current_app
from django.conf import settings
from django.core.management.base import CommandError
from django.db import connection
from django.db.models import F
from django.utils.translation import gettext as _

from core.audit import AuditedCommand
from enterprises.models import Declaration, Enterprise, FinancialYear
from evaluation import rescore, tasks, workers
from evaluation.models import Assessment, ProfileSnapshot, RescoreJob, RescoreStatus
from registry.bulk_seed import delete_seeded, seed_enterprises
from registry.pool import advise_all

PREFIX = "BENCH"


class Command(AuditedCommand):
    help = _("Benchmark a full re-score (5 tiers, results stored) on the database and broker of DATABASE_URL and "
             "REDIS_URL: seeds enterprises, scores them once, changes the figures of a tenth of them, then times a "
             "full re-score. Starts its own workers when a broker is set (inline otherwise) and prints "
             "enterprises/s and the workers' peak memory. Not a test.")

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--enterprises", type=int, default=100_000)
        parser.add_argument("--workers", type=int, default=2)
        parser.add_argument("--chunk-size", type=int, default=None)
        parser.add_argument("--year", type=int, default=2025)
        parser.add_argument("--ruleset", default=None)
        parser.add_argument("--changed", type=float, default=0.1,
                            help=_("Share of enterprises whose figures change before the timed re-score."))
        parser.add_argument("--keep", action="store_true", help=_("Keep the seeded enterprises afterwards."))
        parser.add_argument("--worker-log", help=_("Append the workers' output to this file."))

    def handle(self, *args: Any, **options: Any) -> None:
        count, year = options["enterprises"], options["year"]
        if count < 1 or options["workers"] < 1:
            raise CommandError(_("--enterprises and --workers must be at least 1."))
        broker = settings.REDIS_URL
        self.stdout.write(_("Database: %(db)s; broker: %(broker)s")
                          % {"db": connection.vendor, "broker": broker or _("none (inline)")})
        removed = delete_seeded(PREFIX)
        started = time.perf_counter()
        seed_enterprises(count, year, prefix=PREFIX)
        self.stdout.write(_("Seeded %(n)s enterprises in %(s).1f s (removed %(old)s from an earlier run).")
                          % {"n": count, "s": time.perf_counter() - started, "old": removed})
        self._settle()
        if Enterprise.objects.exclude(name__startswith=f"{PREFIX}-").exists():
            self.stdout.write(_("Note: the database holds other enterprises too; the jobs score all of them."))
        procs: list = []
        log = None
        try:
            if broker:
                # Stop our workers even when the benchmark itself is stopped (SIGTERM would skip ``finally``).
                signal.signal(signal.SIGTERM, lambda *args: sys.exit(143))
                app = current_app
                app.control.purge()
                log = open(options["worker_log"], "ab") if options["worker_log"] else None  # noqa: SIM115
                procs = [workers.start_worker(f"bench{i + 1}-{os.getpid()}", {}, log=log,
                                              loglevel="INFO" if log else "WARNING")
                         for i in range(options["workers"])]
                workers.wait_ready(app, len(procs))
            first, first_seconds = self._job(options, procs)
            self.stdout.write(_("First scoring (every assessment new): %(n)s enterprises in %(s).2f s, "
                                "%(r).0f enterprises/s") % {"n": first.total, "s": first_seconds,
                                                             "r": first.total / first_seconds})
            self._advise()
            changed = self._change_figures(options["changed"], year)
            self.stdout.write(_("Changed the figures of %(n)s enterprises.") % {"n": changed})
            self._settle()
            job, seconds = self._job(options, procs)
            self._advise()
            peaks = [(_("worker %(n)s") % {"n": i + 1}, workers.peak_rss_kib(p.pid)) for i, p in enumerate(procs)]
            if not procs:
                peaks = [(_("this process (inline, incl. seeding)"),
                          resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)]
        finally:
            for p in procs:
                workers.stop(p)
            if log is not None:
                log.close()
            if not options["keep"]:
                delete_seeded(PREFIX)
        rate = job.total / seconds if seconds else 0.0
        self.stdout.write(_("Re-score job #%(id)s %(status)s: %(done)s scored, %(failed)s failed, %(stored)s "
                            "assessments rewritten (the rest unchanged); chunk size %(chunk)s.")
                          % {"id": job.pk, "status": job.status, "done": job.done, "failed": job.failed,
                             "stored": options["_rewritten"], "chunk": job.chunk_size})
        for name, kib in peaks:
            self.stdout.write(_("Peak RSS of %(name)s: %(mb).0f MB") % {"name": name, "mb": kib / 1024})
        self.stdout.write(_("Total %(s).2f s, %(r).0f enterprises/s") % {"s": seconds, "r": rate})
        self.stdout.write(f"{job.total} enterprises in {seconds:.2f} s: {rate:.0f} enterprises/s")

    def _advise(self) -> None:
        """The pool proposals' advice, added after the re-score in bounded batches (timed apart from it)."""
        started = time.perf_counter()
        advised, withdrawn = advise_all()
        self.stdout.write(_("Pool proposals advised after the job: %(a)s kept, %(w)s withdrawn (advice not "
                            "concrete) in %(s).2f s") % {"a": advised, "w": withdrawn,
                                                         "s": time.perf_counter() - started})

    def _settle(self) -> None:
        """On PostgreSQL, vacuum and analyse what seeding (and removing an earlier run) just churned, as
        autovacuum would soon after: otherwise the timed re-score shares the machine with that clean-up."""
        if connection.vendor != "postgresql":
            return
        tables = [m._meta.db_table for m in (Enterprise, FinancialYear, Declaration, Assessment, ProfileSnapshot)]
        with connection.cursor() as cursor:
            cursor.execute(f"VACUUM ANALYZE {', '.join(tables)}")

    def _job(self, options: dict, procs: list) -> tuple[RescoreJob, float]:
        kwargs = {"scope": "all", "ruleset": options["ruleset"], "year": options["year"],
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

    def _change_figures(self, share: float, year: int) -> int:
        """New figures for every n-th seeded enterprise, as the annual update brings."""
        if share <= 0:
            return 0
        step = max(1, round(1 / share))
        ids = list(Enterprise.objects.filter(name__startswith=f"{PREFIX}-").order_by("pk")
                   .values_list("pk", flat=True))[::step]
        for first in range(0, len(ids), 5000):
            FinancialYear.objects.filter(enterprise_id__in=ids[first:first + 5000], year=year).update(
                rd_expense=F("rd_expense") + F("operating_revenue") * 3 / 100
            )
        return len(ids)
