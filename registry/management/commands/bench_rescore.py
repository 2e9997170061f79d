import os
import resource
import signal
import sys
import time
from typing import Any

import redis
from celery import current_app
from django.conf import settings
from django.core.management.base import CommandError
from django.db import connection
from django.utils.translation import gettext as _

from core.audit import AuditedCommand
from enterprises.models import Enterprise
from evaluation import workers
from registry.bulk_seed import PREFIX, change_figures, delete_seeded, seed_enterprises, settle, time_job
from registry.pool import advise_all


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
        settle()
        if Enterprise.objects.exclude(name__startswith=f"{PREFIX}-").exists():
            self.stdout.write(_("Note: the database holds other enterprises too; the jobs score all of them."))
        procs: list = []
        log = None
        try:
            if broker:
                app = current_app
                # Stop our workers even when the benchmark itself is stopped (SIGTERM would skip ``finally``).
                signal.signal(signal.SIGTERM, lambda *args: sys.exit(143))
                app.control.purge()
                log = open(options["worker_log"], "ab") if options["worker_log"] else None  # noqa: SIM115
                procs = [workers.start_worker(f"bench{i + 1}-{os.getpid()}", {}, log=log,
                                              loglevel="INFO" if log else "WARNING")
                         for i in range(options["workers"])]
                workers.wait_ready(app, len(procs))
            first, first_seconds = time_job(options, procs)
            self.stdout.write(_("First scoring (every assessment new): %(n)s enterprises in %(s).2f s, "
                                "%(r).0f enterprises/s") % {"n": first.total, "s": first_seconds,
                                                             "r": first.total / first_seconds})
            self._discovery(procs)
            self._advise()
            changed = change_figures(options["changed"], year)
            self.stdout.write(_("Changed the figures of %(n)s enterprises.") % {"n": changed})
            settle()
            job, seconds = time_job(options, procs)
            self._discovery(procs)
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

    def _discovery(self, procs: list) -> None:
        """Wait for the discovery that follows each job on the workers (inline it ran inside the job's finish),
        timed apart from the job: the next timed job starts on idle workers."""
        if not procs:
            return
        started = time.perf_counter()
        app = current_app
        broker = redis.Redis.from_url(settings.REDIS_URL)
        # Queued tasks wait in the queue's list; taken ones stay in kombu's "unacked" hash until they finish
        # (the registry's tasks acknowledge late). A solo worker busy with a task does not answer inspect().
        time.sleep(0.5)  # the last chunk's worker queues the discovery as the job is marked done
        while broker.llen(app.conf.task_default_queue) or broker.hlen("unacked"):
            time.sleep(0.2)
        self.stdout.write(_("Discovery after the job, on the workers: %(s).2f s")
                          % {"s": time.perf_counter() - started})

    def _advise(self) -> None:
        """The pool proposals' advice, added after the re-score in bounded batches (timed apart from it)."""
        started = time.perf_counter()
        advised, withdrawn = advise_all()
        self.stdout.write(_("Pool proposals advised after the job: %(a)s kept, %(w)s withdrawn (advice not "
                            "concrete) in %(s).2f s") % {"a": advised, "w": withdrawn,
                                                         "s": time.perf_counter() - started})






