import sys
import time
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError
from django.utils.translation import gettext as _
from tqdm import tqdm

from core.audit import AuditedCommand
from evaluation import rescore, tasks
from evaluation.models import RescoreJob, RescoreScope, RescoreStatus


class Command(AuditedCommand):
    help = _("Re-score enterprises: all, or one region, or the holders of one tier, under a ruleset. Queues the job "
             "for the workers (and follows its progress), or runs it here with --sync.")

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--region", help=_("GB/T 2260 code: the region and everything below it."))
        parser.add_argument("--tier", help=_("Only enterprises whose current tier is this one."))
        parser.add_argument("--ruleset", help=_("Ruleset code (default: the one in force today)."))
        parser.add_argument("--year", type=int, help=_("Figures year (default: last year)."))
        parser.add_argument("--changed", action="store_true", help=_("Only enterprises whose figures changed."))
        parser.add_argument("--chunk-size", type=int, help=_("Enterprises per chunk task."))
        parser.add_argument("--sync", action="store_true", help=_("Run in this process instead of on the workers."))
        parser.add_argument("--no-wait", action="store_true", help=_("Queue the job and return at once."))
        parser.add_argument("--resume", type=int, metavar="JOB", help=_("Re-queue the unfinished chunks of a job."))

    def handle(self, *args: Any, **options: Any) -> None:
        if options["resume"]:
            job = RescoreJob.objects.filter(pk=options["resume"]).first()
            if job is None:
                raise CommandError(_("No re-score job #%(id)s.") % {"id": options["resume"]})
            if options["sync"] or settings.CELERY_TASK_ALWAYS_EAGER:
                job = self._run_inline(job)
            else:
                tasks.resume_job(job.pk)
                job = self._follow(job, options)
            self._report(job)
            return
        if options["region"] and options["tier"]:
            raise CommandError(_("Give --region or --tier, not both."))
        if options["chunk_size"] is not None and options["chunk_size"] < 1:
            raise CommandError(_("--chunk-size must be at least 1."))
        scope, value = RescoreScope.ALL, ""
        if options["region"]:
            scope, value = RescoreScope.REGION, options["region"]
        elif options["tier"]:
            scope, value = RescoreScope.TIER, options["tier"]
        elif options["changed"]:
            scope = RescoreScope.CHANGED
        inline = options["sync"] or settings.CELERY_TASK_ALWAYS_EAGER
        kwargs = {"scope": scope, "value": value, "ruleset": options["ruleset"], "year": options["year"],
                  "label": "command:rescore", "chunk_size": options["chunk_size"]}
        try:
            job = rescore.plan_job(**kwargs) if inline else tasks.start_job(**kwargs)
        except rescore.RescoreRequestError as exc:
            raise CommandError(f"--{exc.field}: {exc.message}")
        self.stdout.write(_("Re-score job #%(id)s: %(total)s enterprises, %(scope)s, %(ruleset)s, figures of %(year)s.")
                          % {"id": job.pk, "total": job.total, "scope": job.scope_label, "ruleset": job.ruleset,
                             "year": job.year})
        job = self._run_inline(job) if inline else self._follow(job, options)
        self._report(job)

    def _bar(self, job: RescoreJob) -> Any:
        return tqdm(total=job.total, initial=job.done + job.failed, unit=_("enterprises"),
                    disable=not sys.stderr.isatty(), file=sys.stderr)

    def _run_inline(self, job: RescoreJob) -> RescoreJob:
        with self._bar(job) as bar:
            return rescore.run_job_inline(job, progress=bar.update)

    def _follow(self, job: RescoreJob, options: dict) -> RescoreJob:
        if options["no_wait"]:
            return job
        with self._bar(job) as bar:
            while True:
                job.refresh_from_db()
                bar.update(job.done + job.failed - bar.n)
                if job.status in (RescoreStatus.DONE, RescoreStatus.CANCELLED):
                    return job
                time.sleep(0.5)

    def _report(self, job: RescoreJob) -> None:
        self.stdout.write(_("Job #%(id)s %(status)s: %(done)s scored, %(failed)s could not be scored, of %(total)s.")
                          % {"id": job.pk, "status": job.get_status_display(), "done": job.done,
                             "failed": job.failed, "total": job.total})
