"""The admin of expert panels and on-site checks: the expert pool with declared ties, the draws (with their
replay), the panel's result and the visits on the application page, and resolving a failed visit.

Every write goes through ``registry/experts.py`` or ``registry/onsite.py``. Imported at the end of
``registry/admin.py``; the application page gains its two sections by a subclass registered in its place.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.admin_base import ReadOnlyAdmin, RegionScopedAdmin
from core.roles import sees_everything, visible_enterprises, visible_regions

from . import experts, onsite
from .models import (
    Application,
    ApplicationStatus,
    ExpertDraw,
    ExpertProfile,
    ExpertTie,
    FindingResult,
    OnsiteCheck,
    OnsiteEvidence,
    OnsiteOutcome,
)
from .workflow import Action, available_actions

# ``registry/admin.py`` registers the application page and imports this module last: extend what it registered
# (without importing it back, which would be an import circle).
ApplicationAdmin = type(admin.site.get_model_admin(Application))


def error_text(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(exc.messages)
    return str(exc) or _("Not allowed.")


class ReasonForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Reason"), widget=forms.Textarea(attrs={"rows": 3, "cols": 80}))

# --- the expert pool -----------------------------------------------------------------------------------------


class ExpertTieInline(admin.TabularInline):
    model = ExpertTie
    extra = 1
    can_delete = False
    raw_id_fields = ["enterprise"]
    fields = ["enterprise", "relation", "declared_at"]
    readonly_fields = ["declared_at"]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return visible_enterprises(super().get_queryset(request), request.user, prefix="enterprise")


@admin.register(ExpertProfile)
class ExpertProfileAdmin(admin.ModelAdmin):
    """Provincial staff keep the pool: each expert's fields, home region and declared ties."""

    list_display = ["user", "fields", "home_region", "active", "tie_count"]
    list_select_related = ["user", "home_region"]
    list_filter = ["active"]
    search_fields = ["user__username", "fields"]
    raw_id_fields = ["user"]
    autocomplete_fields = ["home_region"]
    fields = ["user", "fields", "home_region", "active"]
    inlines = [ExpertTieInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        qs = super().get_queryset(request)
        if sees_everything(request.user):
            return qs
        # A provincial reviewer keeps the experts of their own province.
        return visible_regions(qs, request.user, prefix="home_region")

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_readonly_fields(self, request: HttpRequest, obj: ExpertProfile | None = None) -> list[str]:
        return ["user"] if obj is not None else []

    @admin.display(description=gettext_lazy("declared ties"))
    def tie_count(self, obj: ExpertProfile) -> int:
        return obj.ties.count()

    def save_model(self, request: HttpRequest, obj: ExpertProfile, form: forms.ModelForm, change: bool) -> None:
        saved = experts.save_expert(user=request.user, expert_user=obj.user, fields=obj.fields,
                                    home_region=obj.home_region, active=obj.active,
                                    expert=obj if change else None)
        obj.pk = saved.pk

    def save_formset(self, request: HttpRequest, form: forms.ModelForm, formset: Any, change: bool) -> None:
        # The service writes each tie; the admin's change message reads these three lists.
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        for tie_form in formset.forms:
            data = getattr(tie_form, "cleaned_data", None) or {}
            if data.get("enterprise") and tie_form.has_changed():
                tie = experts.declare_tie(form.instance, user=request.user, enterprise=data["enterprise"],
                                          relation=data.get("relation", ""))
                if tie_form.instance.pk is None:
                    formset.new_objects.append(tie)
                else:
                    formset.changed_objects.append((tie, tie_form.changed_data))


# --- draws ---------------------------------------------------------------------------------------------------


@admin.register(ExpertDraw)
class ExpertDrawAdmin(ReadOnlyAdmin, RegionScopedAdmin):
    """Every draw with its seed, candidates and choice; "replay" checks that the seed gives the same panel."""

    enterprise_path = "application__enterprise"
    list_display = ["id", "application", "seed", "size", "drawn_by", "created_at", "replays"]
    list_select_related = ["application__enterprise", "drawn_by"]
    readonly_fields = ["application", "stage_event", "seed", "size", "candidates", "excluded", "chosen",
                       "drawn_by", "created_at", "replays", "panel"]
    actions = ["replay_selected"]

    @admin.display(description=gettext_lazy("replays identically"), boolean=True)
    def replays(self, obj: ExpertDraw) -> bool:
        return experts.replay_draw(obj) == obj.chosen

    @admin.display(description=gettext_lazy("panel"))
    def panel(self, obj: ExpertDraw) -> str:
        return panel_html(obj.application)

    @admin.action(description=gettext_lazy("Replay the selected draws from their seeds"))
    def replay_selected(self, request: HttpRequest, queryset: QuerySet) -> None:
        for draw in queryset:
            replayed = experts.replay_draw(draw)
            level = messages.SUCCESS if replayed == draw.chosen else messages.ERROR
            self.message_user(request, _("Draw %(id)s: seed %(seed)s gives %(replayed)s; recorded %(chosen)s.") % {
                "id": draw.pk, "seed": draw.seed, "replayed": replayed, "chosen": draw.chosen}, level)


def panel_html(app: Application) -> str:
    """The panel's progress; once every score is in, the mean, spread and each expert's score."""
    result = experts.panel_result(app)
    if not result.drawn:
        return _("No panel drawn yet.")
    head = format_html("<p>{}</p>", _("%(done)s of %(size)s experts have scored.") % {
        "done": result.submitted, "size": result.size})
    if not result.complete:
        return head
    summary = format_html("<p><strong>{}: {} / {}</strong> · {}: {} · {}: {}</p>", _("mean"), result.mean,
                          result.max_total, _("spread"), result.spread, _("standard deviation"), result.stdev)
    rows = format_html_join(
        "", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
        ((seat.expert.user.get_username(), ", ".join(f"{k}: {v}" for k, v in seat.scores.items()), seat.total,
          seat.get_recommendation_display(), seat.comment) for seat in result.scores))
    return format_html("{}{}<table>{}</table>", head, summary, rows)


# --- the application page: panel and visits ----------------------------------------------------------------


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list:
        items = data if isinstance(data, list | tuple) else ([data] if data else [])
        return [super(MultipleFileField, self).clean(item, initial) for item in items]


class VisitForm(forms.Form):
    visited_on = forms.DateField(label=gettext_lazy("Visit date"), widget=forms.DateInput(attrs={"type": "date"}))
    visitors = forms.CharField(label=gettext_lazy("Visited by"), max_length=300)
    summary = forms.CharField(label=gettext_lazy("Summary"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    files = MultipleFileField(label=gettext_lazy("Photos and documents"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for code, label in onsite.CHECKLIST:
            self.fields[f"result_{code}"] = forms.ChoiceField(label=label, choices=FindingResult.choices,
                                                             initial=FindingResult.PASS)
            self.fields[f"note_{code}"] = forms.CharField(label=_("Note on: %(item)s") % {"item": label},
                                                         required=False)

    def items(self) -> list[tuple[Any, Any]]:
        return [(self[f"result_{code}"], self[f"note_{code}"]) for code, _label in onsite.CHECKLIST]


class ExpertApplicationAdmin(ApplicationAdmin):
    """The application page with its expert panel and on-site checks (the decision reads them)."""

    fieldsets = [
        *ApplicationAdmin.fieldsets[:-1],
        (gettext_lazy("Expert panel"), {"fields": ["expert_panel"]}),
        (gettext_lazy("On-site checks"), {"fields": ["onsite_checks"]}),
        ApplicationAdmin.fieldsets[-1],
    ]
    readonly_fields = [*ApplicationAdmin.readonly_fields, "expert_panel", "onsite_checks"]

    def get_urls(self) -> list:
        return [
            path("<path:object_id>/draw-experts/", self.admin_site.admin_view(self.draw_view),
                 name="registry_application_draw_experts"),
            path("<path:object_id>/onsite-check/", self.admin_site.admin_view(self.visit_view),
                 name="registry_application_onsite_check"),
            *super().get_urls(),
        ]

    def get_object(self, request: HttpRequest, object_id: str, from_field: str | None = None) -> Any:
        obj = super().get_object(request, object_id, from_field)
        if obj is not None:
            obj._viewer = request.user  # the sections below offer only the buttons this user may press
        return obj

    @admin.display(description=gettext_lazy("panel"))
    def expert_panel(self, obj: Application) -> str:
        if obj.status != ApplicationStatus.EXPERT_REVIEW and not obj.expert_draws.exists():
            return "-"
        body = panel_html(obj)
        user = getattr(obj, "_viewer", None)
        if user is not None and Action.DRAW_EXPERTS in available_actions(obj, user) \
                and not experts.panel_result(obj).drawn:
            url = reverse("admin:registry_application_draw_experts", args=[obj.pk])
            body = format_html('{}<p><button type="submit" formaction="{}" formmethod="post" class="button">{}'
                               "</button></p>", body, url, _("Draw the expert panel"))
        return body

    @admin.display(description=gettext_lazy("visits"))
    def onsite_checks(self, obj: Application) -> str:
        checks = list(obj.onsite_checks.select_related("recorded_by").prefetch_related("findings", "evidence"))
        rows = format_html_join(
            "", '<tr><td><a href="{}">{}</a></td><td>{}</td><td>{}</td><td><strong>{}</strong></td><td>{}</td>'
                "<td>{}</td></tr>",
            ((reverse("admin:registry_onsitecheck_change", args=[c.pk]), c.visited_on, c.level, c.visitors,
              c.get_outcome_display(),
              ", ".join(f"{f.item}: {f.get_result_display()}" for f in c.findings.all()
                        if f.result == FindingResult.FAIL) or "-",
              c.resolution_reason or "-") for c in checks))
        body = format_html("<table>{}</table>", rows) if checks else format_html("<p>{}</p>", _("No visit recorded."))
        user = getattr(obj, "_viewer", None)
        if user is not None and onsite.may_record(user, obj):
            url = reverse("admin:registry_application_onsite_check", args=[obj.pk])
            body = format_html('{}<p><a class="button" href="{}">{}</a></p>', body, url, _("Record an on-site check"))
        return body

    def draw_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        obj = get_object_or_404(self.get_queryset(request), pk=object_id)
        back = reverse("admin:registry_application_change", args=[obj.pk])
        if request.method != "POST":
            return HttpResponseRedirect(back)
        try:
            draw = experts.draw_experts(obj, user=request.user)
        except (ValidationError, PermissionDenied) as exc:
            self.message_user(request, error_text(exc), messages.ERROR)
        else:
            self.message_user(request, _("Panel drawn with seed %(seed)s: %(n)s experts.") % {
                "seed": draw.seed, "n": len(draw.chosen)}, messages.SUCCESS)
        return HttpResponseRedirect(back)

    def visit_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        obj = get_object_or_404(self.get_queryset(request), pk=object_id)
        back = reverse("admin:registry_application_change", args=[obj.pk])
        if not onsite.may_record(request.user, obj):
            self.message_user(request, _("You cannot record an on-site check on this application now."),
                              messages.ERROR)
            return HttpResponseRedirect(back)
        form = VisitForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            findings = {code: {"result": data[f"result_{code}"], "note": data[f"note_{code}"]}
                        for code, _label in onsite.CHECKLIST}
            try:
                check = onsite.record_visit(obj, user=request.user, visited_on=data["visited_on"],
                                            visitors=data["visitors"], findings=findings, files=data["files"],
                                            summary=data["summary"])
            except (ValidationError, PermissionDenied) as exc:
                if isinstance(exc, ValidationError) and hasattr(exc, "error_dict"):
                    for field, errors in exc.message_dict.items():
                        name = field if field in form.fields else (
                            f"note_{field}" if f"note_{field}" in form.fields else None)
                        form.add_error(name, errors)
                else:
                    form.add_error(None, error_text(exc))
            else:
                self.message_user(request, _("On-site check recorded: %(outcome)s.") % {
                    "outcome": check.get_outcome_display()}, messages.SUCCESS)
                return HttpResponseRedirect(back)
        context = {**self.admin_site.each_context(request), "title": _("Record an on-site check"),
                   "original": obj, "form": form, "opts": self.model._meta}
        return TemplateResponse(request, "admin/registry/onsitecheck/visit_form.html", context)


admin.site.unregister(Application)
admin.site.register(Application, ExpertApplicationAdmin)


# --- on-site checks ------------------------------------------------------------------------------------------


@admin.register(OnsiteCheck)
class OnsiteCheckAdmin(ReadOnlyAdmin, RegionScopedAdmin):
    """Visits of the reviewer's region; a failed one is resolved here, with a reason."""

    enterprise_path = "application__enterprise"
    list_display = ["id", "application", "level", "visited_on", "visitors", "outcome"]
    list_select_related = ["application__enterprise"]
    list_filter = ["outcome", "level"]
    search_fields = ["application__enterprise__name"]
    readonly_fields = ["application", "level", "visited_on", "visitors", "summary", "outcome", "recorded_by",
                       "created_at", "finding_table", "evidence_files", "resolution_reason", "resolved_by",
                       "resolved_at"]

    def get_urls(self) -> list:
        return [
            path("<int:pk>/evidence/<int:evidence_id>/", self.admin_site.admin_view(self.evidence_view),
                 name="registry_onsitecheck_evidence"),
            path("<int:pk>/resolve/", self.admin_site.admin_view(self.resolve_view),
                 name="registry_onsitecheck_resolve"),
            *super().get_urls(),
        ]

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "",
                    extra_context: dict | None = None) -> HttpResponse:
        obj = self.get_object(request, object_id)
        resolvable = obj is not None and obj.outcome == OnsiteOutcome.FAILED \
            and request.user.has_perm("registry.change_onsitecheck")
        context = {**(extra_context or {}), "resolve_url": reverse("admin:registry_onsitecheck_resolve",
                                                                   args=[obj.pk]) if resolvable else ""}
        return super().change_view(request, object_id, form_url, context)

    def resolve_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        check = get_object_or_404(self.get_queryset(request), pk=pk)
        back = reverse("admin:registry_onsitecheck_change", args=[check.pk])
        if not request.user.has_perm("registry.change_onsitecheck"):
            raise PermissionDenied
        form = ReasonForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                onsite.resolve_failure(check, user=request.user, reason=form.cleaned_data["reason"])
            except (ValidationError, PermissionDenied) as exc:
                form.add_error(None, error_text(exc))
            else:
                self.message_user(request, _("The failed check is resolved."), messages.SUCCESS)
                return HttpResponseRedirect(back)
        context = {**self.admin_site.each_context(request), "title": _("Resolve the failed on-site check"),
                   "original": check, "form": form, "opts": self.model._meta}
        return TemplateResponse(request, "admin/registry/onsitecheck/resolve_form.html", context)

    @admin.display(description=gettext_lazy("findings"))
    def finding_table(self, obj: OnsiteCheck) -> str:
        labels = dict(onsite.CHECKLIST)
        return format_html("<table>{}</table>", format_html_join(
            "", "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            ((labels.get(f.item, f.item), f.get_result_display(), f.note) for f in obj.findings.all())))

    @admin.display(description=gettext_lazy("photos and documents"))
    def evidence_files(self, obj: OnsiteCheck) -> str:
        files = list(obj.evidence.all())
        if not files:
            return "-"
        return format_html("<ul>{}</ul>", format_html_join(
            "", '<li><a href="{}">{}</a> ({} bytes)</li>',
            ((reverse("admin:registry_onsitecheck_evidence", args=[obj.pk, e.pk]), e.original_name, e.size)
             for e in files)))

    def evidence_view(self, request: HttpRequest, pk: int, evidence_id: int) -> FileResponse:
        check = get_object_or_404(self.get_queryset(request), pk=pk)
        if not self.has_view_permission(request, check):
            raise Http404
        item = get_object_or_404(OnsiteEvidence, pk=evidence_id, check_record=check)
        response = FileResponse(item.file.storage.open(item.file.name, "rb"), as_attachment=True,
                                filename=item.original_name, content_type=item.content_type)
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "private, no-store"
        return response

