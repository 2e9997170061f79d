"""The cultivation pool in the admin: the pool with its history, proposals to accept or dismiss, adding
enterprises singly, in bulk from the enterprise list or from a spreadsheet of USCCs.

Lists go through the region restriction (``core.admin_base``); every change calls a service in
``registry.pool``, which checks the reviewer's region again and applies a bulk change entirely or not at all.
"""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.admin_base import RegionReadOnlyAdmin, RegionScopedAdmin
from core.roles import reviewer_of, sees_everything, visible_enterprises, visible_regions
from enterprises.models import Enterprise, Region, Tier

from . import alerts, pool, support, targets
from .models import (
    Plan,
    PoolEntry,
    PoolExitReason,
    PoolProposal,
    ProposalStatus,
    RiskAlert,
    SupportKind,
    SupportRecord,
    Target,
)


def error_text(exc: Exception) -> str:
    return "; ".join(exc.messages) if isinstance(exc, ValidationError) else (str(exc) or _("Not allowed."))


def ask_then(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet, *, title: str,
             form_class: type, apply: Any) -> HttpResponse | None:
    """A bulk action that asks once (a reason, a tier), then makes ONE service call for all selected rows:
    it applies to every row or, with the reasons listed, to none."""
    form = form_class(request.POST if "apply" in request.POST else None)
    if "apply" in request.POST and form.is_valid():
        try:
            count = apply(list(queryset), **form.cleaned_data)
        except (ValidationError, PermissionDenied) as exc:
            modeladmin.message_user(request, _("Nothing changed: %(errors)s") % {"errors": error_text(exc)},
                                    messages.ERROR)
        else:
            modeladmin.message_user(request, _("%(title)s: %(count)s done.") % {"title": title, "count": count},
                                    messages.SUCCESS)
        return None
    context = {
        **modeladmin.admin_site.each_context(request), "title": title, "objects": list(queryset), "form": form,
        "action": request.POST.get("action", ""), "opts": modeladmin.model._meta,
        "selected": request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME),
    }
    return TemplateResponse(request, "admin/registry/reason_form.html", context)


class AddToPoolForm(forms.Form):
    tier = forms.ChoiceField(label=gettext_lazy("Tier"), choices=Tier.choices)
    reason = forms.CharField(label=gettext_lazy("Reason"), widget=forms.Textarea(attrs={"rows": 3, "cols": 80}))


class RemoveFromPoolForm(forms.Form):
    exit_reason = forms.ChoiceField(label=gettext_lazy("Exit reason"), choices=PoolExitReason.choices,
                                    initial=PoolExitReason.REMOVED)
    note = forms.CharField(label=gettext_lazy("Note"), widget=forms.Textarea(attrs={"rows": 3, "cols": 80}),
                           required=False)


class NoteForm(forms.Form):
    note = forms.CharField(label=gettext_lazy("Note"), widget=forms.Textarea(attrs={"rows": 3, "cols": 80}),
                           required=False)


class DismissForm(forms.Form):
    note = forms.CharField(label=gettext_lazy("Why dismissed"), widget=forms.Textarea(attrs={"rows": 3, "cols": 80}))


class PoolImportForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("XLSX or CSV file"),
                           help_text=gettext_lazy("Columns: uscc (统一社会信用代码), and optionally tier, action "
                                                  "(add / remove), reason."))
    tier = forms.ChoiceField(label=gettext_lazy("Tier (when the file has no tier column)"),
                             choices=[("", "—"), *Tier.choices], required=False)
    reason = forms.CharField(label=gettext_lazy("Reason (when a row gives none)"), required=False)


class PoolOnDateFilter(admin.SimpleListFilter):
    """The pool as it stood on a date: today, or the end of each of the last years."""

    title = gettext_lazy("in the pool on")
    parameter_name = "on"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        today = timezone.localdate()
        ends = [datetime.date(today.year - n, 12, 31) for n in range(1, 4)]
        return [(today.isoformat(), _("today")), *[(d.isoformat(), d.isoformat()) for d in ends]]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if not self.value():
            return queryset
        try:
            day = datetime.date.fromisoformat(self.value())
        except ValueError:
            return queryset.none()
        return pool.pool_on(day, queryset)


class PoolEntryForm(forms.ModelForm):
    entry_reason = forms.CharField(label=gettext_lazy("Entry reason"), widget=forms.Textarea(attrs={"rows": 3}))

    class Meta:
        model = PoolEntry
        fields = ["enterprise", "tier"]


@admin.register(PoolEntry)
class PoolEntryAdmin(RegionScopedAdmin):
    enterprise_path = "enterprise"
    form = PoolEntryForm
    list_display = ("enterprise", "tier", "entered_on", "entry_rule", "exited_on", "exit_reason")
    list_filter = (PoolOnDateFilter, "tier", "exit_reason", "entered_on")
    list_select_related = ("enterprise",)
    search_fields = ("enterprise__name", "enterprise__uscc")
    date_hierarchy = "entered_on"
    readonly_fields = ("entered_on", "entered_by", "entry_rule", "entry_reason", "exited_on", "exited_by",
                       "exit_reason", "exit_note")
    raw_id_fields = ("enterprise",)
    actions = ("remove_selected",)
    change_list_template = "admin/registry/poolentry/change_list.html"

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ("enterprise", "tier", "entry_reason")
        return ("enterprise", "tier", *self.readonly_fields)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return () if obj is None else ("enterprise", "tier", *self.readonly_fields)

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "enterprise":
            kwargs["queryset"] = visible_enterprises(Enterprise.objects.all(), request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # an entry is closed, never deleted: the history must stay

    def save_model(self, request: HttpRequest, obj: PoolEntry, form: Any, change: bool) -> None:
        if change:
            return
        try:
            (entry,) = pool.add_to_pool(request.user, [obj.enterprise], obj.tier, form.cleaned_data["entry_reason"])
        except (ValidationError, PermissionDenied) as exc:
            raise PermissionDenied(error_text(exc)) from exc
        obj.pk = entry.pk

    def add_view(self, request: HttpRequest, form_url: str = "", extra_context: Any = None) -> HttpResponse:
        try:
            return super().add_view(request, form_url, extra_context)
        except PermissionDenied as exc:
            self.message_user(request, _("Nothing changed: %(errors)s") % {"errors": exc}, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    @admin.action(description=gettext_lazy("Remove selected from the pool"), permissions=["change"])
    def remove_selected(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        return ask_then(self, request, queryset, title=_("Remove from the pool"), form_class=RemoveFromPoolForm,
                        apply=lambda rows, exit_reason, note: pool.remove_from_pool(request.user, rows, exit_reason,
                                                                                     note))

    def get_urls(self) -> list:
        return [path("import/", self.admin_site.admin_view(self.import_view), name="registry_poolentry_import"),
                *super().get_urls()]

    def import_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = PoolImportForm(request.POST or None, request.FILES or None)
        result = None
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            result = pool.import_pool_list(request.user, upload.read(), upload.name,
                                           tier=form.cleaned_data["tier"], reason=form.cleaned_data["reason"])
            if result.ok:
                self.message_user(request, _("Pool list applied: %(added)s added, %(removed)s removed.")
                                  % {"added": result.added, "removed": result.removed}, messages.SUCCESS)
                return HttpResponseRedirect(reverse("admin:registry_poolentry_changelist"))
        context = {**self.admin_site.each_context(request), "title": _("Import a pool list"), "form": form,
                   "result": result, "opts": self.model._meta}
        return TemplateResponse(request, "admin/registry/poolentry/import.html", context)


@admin.register(PoolProposal)
class PoolProposalAdmin(RegionReadOnlyAdmin):
    list_display = ("enterprise", "tier", "year", "score", "pass_mark", "rule", "status", "created_at")
    list_filter = ("status", "tier", "year")
    list_select_related = ("enterprise",)
    search_fields = ("enterprise__name", "enterprise__uscc")
    fields = ("enterprise", "tier", "year", "ruleset", "rule", "score", "pass_mark", "unmet_list", "advice_list",
              "status", "decided_by", "decided_at", "decision_note", "created_at")
    readonly_fields = fields
    actions = ("accept_selected", "dismiss_selected")
    change_list_template = "admin/registry/poolproposal/change_list.html"

    def get_urls(self) -> list:
        view = self.admin_site.admin_view(self.discover_view)
        return [path("discover/", view, name="registry_poolproposal_discover"), *super().get_urls()]

    def discover_view(self, request: HttpRequest) -> HttpResponse:
        """Discovery on demand for the reviewer's own region (or a region staff choose)."""
        if request.method != "POST" or not request.user.has_perm("registry.change_poolproposal"):
            raise PermissionDenied
        reviewer = reviewer_of(request.user)
        code = reviewer.region_id if reviewer is not None else request.POST.get("region", "")
        if reviewer is None and not sees_everything(request.user):
            raise PermissionDenied
        if not code or not Region.objects.filter(code=code).exists():
            self.message_user(request, _("Choose a region."), messages.ERROR)
        else:
            made = pool.discover_for_region(code)
            self.message_user(request, _("Discovery for %(code)s: %(n)s new proposals.") % {"code": code, "n": made},
                              messages.SUCCESS)
        return HttpResponseRedirect(reverse("admin:registry_poolproposal_changelist"))

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return obj is None and request.user.has_perm("registry.change_poolproposal")  # actions only

    def get_actions(self, request: HttpRequest) -> dict:
        if not request.user.has_perm("registry.change_poolproposal"):
            return {}
        return super().get_actions(request)

    @admin.display(description=gettext_lazy("Unmet rules"))
    def unmet_list(self, obj: PoolProposal) -> str:
        return "\n".join(u.get("message", "") for u in obj.unmet) or "—"

    @admin.display(description=gettext_lazy("Advice"))
    def advice_list(self, obj: PoolProposal) -> str:
        return "\n".join(a.get("message", "") for a in obj.advice) or "—"

    @admin.action(description=gettext_lazy("Accept selected proposals into the pool"))
    def accept_selected(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        return ask_then(self, request, queryset.filter(status=ProposalStatus.PENDING), title=_("Accept proposals"),
                        form_class=NoteForm,
                        apply=lambda rows, note: len(pool.accept_proposals(request.user, rows, note)))

    @admin.action(description=gettext_lazy("Dismiss selected proposals"))
    def dismiss_selected(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        return ask_then(self, request, queryset.filter(status=ProposalStatus.PENDING), title=_("Dismiss proposals"),
                        form_class=DismissForm,
                        apply=lambda rows, note: pool.dismiss_proposals(request.user, rows, note))


@admin.action(description=gettext_lazy("Add selected to the cultivation pool"))
def add_enterprises_to_pool(modeladmin: admin.ModelAdmin, request: HttpRequest,
                            queryset: QuerySet) -> HttpResponse | None:
    if not request.user.has_perm("registry.add_poolentry"):
        raise PermissionDenied
    return ask_then(modeladmin, request, queryset, title=_("Add to the cultivation pool"), form_class=AddToPoolForm,
                    apply=lambda rows, tier, reason: len(pool.add_to_pool(request.user, rows, tier, reason)))


# The enterprise list (a lower layer's admin, which cannot know the pool) gets the bulk action from here.
_enterprise_admin = admin.site._registry.get(Enterprise)
if _enterprise_admin is not None and add_enterprises_to_pool not in (_enterprise_admin.actions or ()):
    _enterprise_admin.actions = (*(_enterprise_admin.actions or ()), add_enterprises_to_pool)


# --- support ledger ------------------------------------------------------------------------------------------

class FollowUpDueFilter(admin.SimpleListFilter):
    """The reviewer's queue: follow-ups whose date has come and that are not done."""

    title = gettext_lazy("follow-up")
    parameter_name = "follow_up"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("due", _("due")), ("open", _("open")), ("done", _("done"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "due":
            return queryset.due()
        if self.value() == "open":
            return queryset.filter(follow_up_on__isnull=False, follow_up_done=False)
        if self.value() == "done":
            return queryset.filter(follow_up_done=True)
        return queryset


class SupportRecordForm(forms.ModelForm):
    class Meta:
        model = SupportRecord
        fields = ["enterprise", "kind", "happened_on", "by_label", "what", "follow_up_on", "outcome", "internal"]


@admin.register(SupportRecord)
class SupportRecordAdmin(RegionScopedAdmin):
    enterprise_path = "enterprise"
    form = SupportRecordForm
    list_display = ("enterprise", "kind", "happened_on", "by_label", "follow_up_on", "follow_up_done", "internal")
    list_filter = (FollowUpDueFilter, "kind", "internal", "happened_on")
    list_select_related = ("enterprise", "kind")
    search_fields = ("enterprise__name", "enterprise__uscc", "what")
    raw_id_fields = ("enterprise",)
    actions = ("complete_selected",)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return () if obj is None else ("enterprise", "follow_up_done")

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "enterprise":
            kwargs["queryset"] = visible_enterprises(Enterprise.objects.filter(pool_entries__exited_on__isnull=True)
                                                     .distinct(), request.user)
        if db_field.name == "kind":
            kwargs["queryset"] = SupportKind.objects.filter(active=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: SupportRecord, form: Any, change: bool) -> None:
        data = {k: form.cleaned_data[k] for k in support.EDITABLE if k in form.cleaned_data}
        try:
            if change:
                support.update_support(request.user, obj, **data)
            else:
                obj.pk = support.record_support(request.user, form.cleaned_data["enterprise"], **data).pk
        except (ValidationError, PermissionDenied) as exc:
            raise PermissionDenied(error_text(exc)) from exc

    def changeform_view(self, request: HttpRequest, object_id: Any = None, form_url: str = "",
                        extra_context: Any = None) -> HttpResponse:
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except PermissionDenied as exc:
            if request.method != "POST":
                raise
            self.message_user(request, _("Nothing changed: %(errors)s") % {"errors": exc}, messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())

    @admin.action(description=gettext_lazy("Mark follow-ups done"), permissions=["change"])
    def complete_selected(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        return ask_then(self, request, queryset, title=_("Mark follow-ups done"), form_class=NoteForm,
                        apply=lambda rows, note: support.complete_follow_ups(request.user, rows, note))


@admin.register(SupportKind)
class SupportKindAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "active", "order")
    list_editable = ("name", "active", "order")


# --- plans and targets ---------------------------------------------------------------------------------------

class TargetImportForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("XLSX or CSV file"),
                           help_text=gettext_lazy("Columns: region (code), tier, counts (cumulative / active / new), "
                                                  "target."))


class TargetInline(admin.TabularInline):
    model = Target
    extra = 0
    fields = ("region", "tier", "semantics", "value")
    raw_id_fields = ("region",)

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return visible_regions(super().get_queryset(request), request.user).select_related("region")


@admin.register(Plan)
class PlanAdmin(admin.ModelAdmin):
    list_display = ("name", "first_year", "last_year", "source")
    inlines = (TargetInline,)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        # Each target goes through the service (the province check, the audit row, the warning).
        for obj in formset.save(commit=False):
            try:
                targets.set_target(request.user, obj.plan, obj.region, obj.tier, obj.value, obj.semantics)
            except (ValidationError, PermissionDenied) as exc:
                self.message_user(request, error_text(exc), messages.ERROR)
        for obj in formset.deleted_objects:
            targets.delete_target(request.user, obj)
        for warning in targets.overcommit_messages(form.instance):
            self.message_user(request, warning, messages.WARNING)

    def get_urls(self) -> list:
        return [path("<int:pk>/import/", self.admin_site.admin_view(self.import_view), name="registry_plan_import"),
                *super().get_urls()]

    def import_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        if not self.has_change_permission(request):
            raise PermissionDenied
        plan = Plan.objects.get(pk=pk)
        form = TargetImportForm(request.POST or None, request.FILES or None)
        result = None
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            result = targets.import_targets(request.user, plan, upload.read(), upload.name)
            if result.ok:
                self.message_user(request, _("%(n)s targets imported.") % {"n": result.written}, messages.SUCCESS)
                for warning in result.warnings:
                    self.message_user(request, warning, messages.WARNING)
                return HttpResponseRedirect(reverse("admin:registry_plan_change", args=[plan.pk]))
        context = {**self.admin_site.each_context(request), "title": _("Import targets into %(plan)s")
                   % {"plan": plan}, "form": form, "result": result, "opts": self.model._meta}
        return TemplateResponse(request, "admin/registry/poolentry/import.html", context)


@admin.register(Target)
class TargetAdmin(admin.ModelAdmin):
    list_display = ("plan", "region", "tier", "semantics", "value")
    list_filter = ("plan", "tier", "semantics")
    list_select_related = ("plan", "region")
    raw_id_fields = ("region",)

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return visible_regions(super().get_queryset(request), request.user)

    def save_model(self, request: HttpRequest, obj: Target, form: Any, change: bool) -> None:
        target, warnings = targets.set_target(request.user, obj.plan, obj.region, obj.tier, obj.value,
                                              obj.semantics)
        obj.pk = target.pk
        for warning in warnings:
            self.message_user(request, warning, messages.WARNING)

    def delete_model(self, request: HttpRequest, obj: Target) -> None:
        targets.delete_target(request.user, obj)


# --- risk alerts ---------------------------------------------------------------------------------------------

class AlertOpenFilter(admin.SimpleListFilter):
    title = gettext_lazy("state")
    parameter_name = "state"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("open", _("open")), ("closed", _("closed"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "open":
            return queryset.open()
        if self.value() == "closed":
            return queryset.filter(closed_at__isnull=False)
        return queryset


@admin.register(RiskAlert)
class RiskAlertAdmin(RegionReadOnlyAdmin):
    list_display = ("enterprise", "rule_label", "message", "raised_on", "closed_at")
    list_filter = (AlertOpenFilter, "rule", "raised_on")
    list_select_related = ("enterprise",)
    search_fields = ("enterprise__name", "enterprise__uscc")
    actions = ("close_selected",)

    @admin.display(description=gettext_lazy("Rule"), ordering="rule")
    def rule_label(self, obj: RiskAlert) -> str:
        return str(alerts.RULE_LABELS.get(obj.rule, obj.rule))

    def get_actions(self, request: HttpRequest) -> dict:
        if not request.user.has_perm("registry.change_riskalert"):
            return {}
        return super().get_actions(request)

    @admin.action(description=gettext_lazy("Close selected alerts with a note"))
    def close_selected(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        return ask_then(self, request, queryset.open(), title=_("Close alerts"), form_class=DismissForm,
                        apply=lambda rows, note: alerts.close_alerts(request.user, rows, note))
