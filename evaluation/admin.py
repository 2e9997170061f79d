"""Admin of re-score jobs: progress, errors, starting and resuming a re-score."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from core.exports import ReadOnlyExportAdmin
from core.pagination import EstimatedCountPaginator

from . import tasks
from .display import readable
from .forms import StartRescoreForm
from .models import Assessment, RescoreJob, RescoreStatus
from .services import explained_results

ERRORS_SHOWN = 50


@admin.register(RescoreJob)
class RescoreJobAdmin(admin.ModelAdmin):
    list_display = ["id", "label", "scope_label", "ruleset", "year", "status", "progress_bar", "failed",
                    "created_at", "finished_at"]
    list_filter = ["status", "scope"]
    list_select_related = ["ruleset"]
    actions = ["resume_jobs"]
    readonly_fields = ["label", "started_by", "scope", "scope_value", "ruleset", "year", "chunk_size", "total",
                       "done", "failed", "status", "progress_bar", "created_at", "started_at", "updated_at",
                       "finished_at", "error_list"]
    fields = readonly_fields

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # jobs are started with the "Start a re-score" form, which validates the scope

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def can_start(self, request: HttpRequest) -> bool:
        return request.user.has_perm("evaluation.add_rescorejob")

    @admin.display(description=_("progress"))
    def progress_bar(self, job: RescoreJob) -> str:
        handled = job.done + job.failed
        return format_html('<progress max="{}" value="{}" style="width:8em"></progress> {} / {} ({}%)',
                           job.total or 1, handled if job.total else 1, handled, job.total, job.progress)

    @admin.display(description=_("errors"))
    def error_list(self, job: RescoreJob) -> str:
        errors = list(job.errors.select_related("enterprise").order_by("enterprise_id")[:ERRORS_SHOWN])
        if not errors:
            return "—"
        items = format_html_join("", "<li>{} ({}): {} — {}</li>",
                                 ((e.enterprise.name, e.enterprise_id, e.field, e.message) for e in errors))
        more = job.failed - len(errors)
        tail = format_html("<p>{}</p>", _("… and %(n)s more.") % {"n": more}) if more > 0 else ""
        return format_html("<ul>{}</ul>{}", items, tail)

    @admin.action(description=_("Resume the selected jobs (re-queue unfinished chunks)"))
    def resume_jobs(self, request: HttpRequest, queryset: Any) -> None:
        if not self.can_start(request):
            raise PermissionDenied
        jobs = list(queryset.filter(status__in=[RescoreStatus.QUEUED, RescoreStatus.RUNNING]))
        chunks = sum(tasks.resume_job(job.pk) for job in jobs)
        self.message_user(request, ngettext("%(chunks)d chunk re-queued.", "%(chunks)d chunks re-queued.", chunks)
                          % {"chunks": chunks}, messages.SUCCESS)

    def get_urls(self) -> list:
        urls = [path("start/", self.admin_site.admin_view(self.start_view), name="evaluation_rescorejob_start")]
        return urls + super().get_urls()

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        extra_context = {**(extra_context or {}), "can_start_rescore": self.can_start(request)}
        return super().changelist_view(request, extra_context)

    def start_view(self, request: HttpRequest) -> HttpResponse:
        if not self.can_start(request):
            raise PermissionDenied
        form = StartRescoreForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            job = tasks.start_job(scope=data["scope"], value=data["value"], ruleset=data["version"],
                                    year=data.get("year"), user=request.user)
            self.message_user(request, _("Re-score #%(id)s started: %(total)s enterprises.")
                              % {"id": job.pk, "total": job.total}, messages.SUCCESS)
            return HttpResponseRedirect(reverse("admin:evaluation_rescorejob_change", args=[job.pk]))
        context = {**self.admin_site.each_context(request), "opts": self.model._meta, "form": form,
                   "title": _("Start a re-score")}
        return TemplateResponse(request, "admin/evaluation/rescorejob/start.html", context)


@admin.register(Assessment)
class AssessmentAdmin(ReadOnlyExportAdmin):
    """Stored assessments, read-only: each tier's result with its indicator-by-indicator breakdown.

    Reviewers see their region's enterprises only; the lists export to CSV/XLSX with their filters.
    """
    paginator = EstimatedCountPaginator  # counts a big list from the planner's estimate

    list_display = ["enterprise", "year", "tier", "status", "route", "score", "ruleset", "evaluated_at"]
    list_filter = ["tier", "status", "year", "ruleset"]
    list_select_related = ["enterprise", "ruleset"]
    search_fields = ["enterprise__name", "=enterprise__uscc"]
    show_full_result_count = False
    readonly_fields = ["enterprise", "year", "tier", "ruleset", "status", "passed", "route", "score", "max_score",
                       "breakdown", "input_digest", "evaluated_at", "job_id"]
    exclude = ["result"]

    @admin.display(description=_("breakdown"))
    def breakdown(self, obj: Assessment) -> str:
        result = readable(explained_results([obj])[obj.pk] or {})
        indicators = format_html_join(
            "", "<tr><td>{}</td><td>{}</td><td>{} / {}</td><td>{}</td></tr>",
            ((i.get("label"), i.get("value_label") or "—", i.get("points"), i.get("max"), i.get("source"))
             for i in result.get("indicators") or []),
        )
        unmet = format_html_join("", "<li>{}</li>", ((u.get("message"),) for u in result.get("unmet") or []))
        return format_html("<table>{}</table><ul>{}</ul>", indicators, unmet)
