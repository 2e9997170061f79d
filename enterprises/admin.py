"""The enterprise registry in the admin: search, regional filters, inline yearly figures and the audit trail."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.forms import BaseInlineFormSet, ModelForm
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from core.admin_base import ReadOnlyAdmin, RegionReadOnlyAdmin, RegionScopedAdmin
from core.audit import AuditEntry, acting_as
from core.exports import ExportMixin
from core.pagination import EstimatedCountPaginator
from core.roles import LEVEL_GROUPS, region_q, reviewer_of, sees_everything

from . import change_requests, confirmations, locks, services
from .admin_filters import CityFilter, CountyFilter
from .exports import enterprise_figure_rows
from .models import (
    CONFIRMABLE,
    ChangeRequest,
    Confirmation,
    Declaration,
    Enterprise,
    FinancialYear,
    Membership,
    Region,
    ReviewerProfile,
)


class EnterpriseAdminForm(ModelForm):
    """Refuses, like the API and the portal, a change of routing fields while something depends on them."""

    def clean(self) -> dict:
        data = super().clean()
        if self.instance.pk is not None:
            stored = Enterprise.objects.get(pk=self.instance.pk)
            try:
                locks.check_details(stored, [f for f in self.changed_data if f in locks.ROUTING_FIELDS])
            except ValidationError as exc:
                for field, messages in exc.message_dict.items():
                    self.add_error(field, messages)
        return data


class LockedFiguresFormSet(BaseInlineFormSet):
    """Refuses a change of the figures a submitted application was judged on (``locks.check_figures``)."""

    kind = "financials"

    def clean(self) -> None:
        super().clean()
        if self.instance.pk is None:
            return
        deps = locks.dependencies(self.instance)
        for form in self.forms:
            if not (form.has_changed() or form in self.deleted_forms) or not hasattr(form, "cleaned_data"):
                continue
            year = form.cleaned_data.get("year") or getattr(form.instance, "year", None)
            message = locks.locked_year(deps, self.kind, year) if year else None
            if message:
                form.add_error(None, message)


class FinancialYearInline(admin.TabularInline):
    model = FinancialYear
    formset = LockedFiguresFormSet
    extra = 0
    fields = ["year", *FinancialYear.PROFILE_FIELDS]
    ordering = ["-year"]


class DeclarationFormSet(LockedFiguresFormSet):
    kind = "declaration"


class DeclarationInline(admin.StackedInline):
    model = Declaration
    formset = DeclarationFormSet
    extra = 0
    ordering = ["-year"]
    classes = ["collapse"]
    readonly_fields = ["confirmations"]  # judged on the "declared items" screen (``confirmations.judge``)


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    raw_id_fields = ["user"]


@admin.register(Enterprise)
class EnterpriseAdmin(ExportMixin, RegionScopedAdmin):
    paginator = EstimatedCountPaginator  # counts a big list from the planner's estimate
    form = EnterpriseAdminForm
    list_display = ["name", "uscc", "region", "size_class", "current_tier", "updated_at"]
    list_select_related = ["region"]
    list_filter = [CityFilter, CountyFilter, "size_class", "current_tier", "sector"]
    search_fields = ["name", "=uscc"]
    show_full_result_count = False
    readonly_fields = ["size_class", "current_tier", "banned_until", "created_at", "updated_at", "audit_trail",
                       "printable_assessment", "declared_items", "ledger"]
    raw_id_fields = ["region"]
    inlines = [MembershipInline, FinancialYearInline, DeclarationInline]
    fieldsets = [
        (None, {"fields": ["uscc", "name", "region", "sector", "established_year", "established_on"]}),
        (_("Contact"), {"fields": ["address", "contact_name", "contact_phone", "contact_email"]}),
        (_("Derived"), {"fields": ["size_class", "current_tier", "banned_until", "created_at", "updated_at",
                                   "printable_assessment", "declared_items", "ledger"]}),
        (_("Audit trail"), {"fields": ["audit_trail"], "classes": ["collapse"]}),
    ]

    def export_rows(self, queryset: QuerySet) -> tuple[list[str], Any]:
        return enterprise_figure_rows(queryset)

    @admin.display(description=_("assessment"))
    def printable_assessment(self, obj: Enterprise) -> str:
        if obj.pk is None:
            return "-"
        return format_html('<a href="{}" target="_blank">{}</a>', reverse("insights:assessment_print", args=[obj.pk]),
                           _("Printable assessment"))

    @admin.display(description=_("ledger"))
    def ledger(self, obj: Enterprise) -> str:
        if obj.pk is None:
            return "-"
        return format_html('<a href="{}">{}</a>', reverse("insights:enterprise_ledger", args=[obj.pk]),
                           _("Tiers, assessments, pool, support, applications and alerts"))

    @admin.display(description=_("declared items to confirm"))
    def declared_items(self, obj: Enterprise) -> str:
        if obj.pk is None:
            return "-"
        return format_html('<a href="{}">{}</a>', reverse("admin:enterprises_enterprise_declared_items",
                                                          args=[obj.pk]), _("Confirm or refuse the declared items"))

    def get_urls(self) -> list:
        view = self.admin_site.admin_view(self.declared_items_view)
        return [path("<path:object_id>/declared-items/", view, name="enterprises_enterprise_declared_items"),
                *super().get_urls()]

    def declared_items_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """The items the enterprise declared that only a reviewer can judge, year by year, each with its verdict
        and the judgements made; a reviewer of the enterprise's region confirms or refuses them here."""
        enterprise = self.get_object(request, object_id)  # region-restricted: another region's is not found
        if enterprise is None or not self.has_view_permission(request, enterprise):
            raise Http404
        if request.method == "POST":
            declaration = Declaration.objects.filter(enterprise=enterprise, year=request.POST.get("year")).first()
            verdict = request.POST.get("verdict")
            if declaration is None or verdict not in ("confirm", "refuse"):
                self.message_user(request, _("Choose a declared item and a verdict."), messages.ERROR)
            else:
                try:
                    confirmations.judge(declaration, request.POST.get("field", ""), user=request.user,
                                        confirmed=verdict == "confirm", reason=request.POST.get("reason", ""))
                except PermissionDenied as exc:
                    self.message_user(request, str(exc), messages.ERROR)
                except ValidationError as exc:
                    self.message_user(request, " ".join(exc.messages), messages.ERROR)
                else:
                    self.message_user(request, _("Judgement recorded; the enterprise will be re-scored."),
                                      messages.SUCCESS)
            return HttpResponseRedirect(request.get_full_path())
        declarations = list(Declaration.objects.filter(enterprise=enterprise).order_by("-year"))
        judgements = {}
        for row in (Confirmation.objects.filter(declaration__in=declarations).select_related("judged_by")
                    .order_by("-judged_at", "-id")):
            judgements.setdefault(row.declaration_id, []).append(row)
        years = [{
            "year": d.year,
            "items": [{"field": path, "label": Declaration._meta.get_field(CONFIRMABLE[path]).verbose_name,
                       "value": value, "verdict": verdict}
                      for path, value, verdict in confirmations.pending_items(d)],
            "judgements": judgements.get(d.pk, [])[:20],
        } for d in declarations]
        context = {**self.admin_site.each_context(request), "opts": self.model._meta, "original": enterprise,
                   "title": _("Declared items of %(name)s") % {"name": enterprise.name}, "years": years,
                   "may_judge": confirmations.may_judge(request.user, enterprise)}
        return TemplateResponse(request, "admin/enterprises/enterprise/declared_items.html", context)

    @admin.display(description=_("changes"))
    def audit_trail(self, obj: Enterprise) -> str:
        if obj.pk is None:
            return "-"
        entries = AuditEntry.objects.for_enterprise(obj.pk)[:50]
        return format_html_join(
            "\n", "<div>{} · {} · {} {} · {} {}</div>",
            ((e.created_at.strftime("%Y-%m-%d %H:%M"), e.actor_label, e.get_action_display()
              if hasattr(e, "get_action_display") else e.action, e.object_repr,
              ", ".join(e.changes.keys()), f"— {e.reason}" if e.reason else "") for e in entries),
        ) or "-"

    def save_model(self, request: HttpRequest, obj: Enterprise, form: ModelForm, change: bool) -> None:
        with acting_as(request.user):
            services.save_enterprise(obj)

    def save_formset(self, request: HttpRequest, form: ModelForm, formset: Any, change: bool) -> None:
        """The inlines' rows go through the same services as the API and the portal, one row at a time."""
        enterprise = form.instance
        with acting_as(request.user):
            for row_form in formset.forms:
                row = row_form.instance
                if row_form in formset.deleted_forms:
                    if row.pk is not None:
                        if formset.model is Membership:
                            services.remove_membership(row)
                        else:
                            services.delete_figures(row)
                    continue
                if not row_form.has_changed():
                    continue
                data = row_form.cleaned_data
                if formset.model is FinancialYear:
                    services.save_financials(enterprise, data["year"], data)
                elif formset.model is Declaration:
                    fields = {name: value for name, value in data.items()
                              if name not in ("id", "enterprise", "DELETE")}
                    services.save_declaration(enterprise, data["year"], fields)
                elif formset.model is Membership:
                    services.set_membership(enterprise, data["user"], data["role"])


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "name_en", "level", "parent"]
    list_filter = ["level"]
    search_fields = ["code", "name", "name_en"]
    list_select_related = ["parent"]


@admin.register(ReviewerProfile)
class ReviewerProfileAdmin(admin.ModelAdmin):
    """Staff create reviewer accounts here: a user, a level and the region they review."""

    list_display = ["user", "level", "region"]
    list_filter = ["level"]
    list_select_related = ["user", "region"]
    search_fields = ["user__username", "region__name"]
    autocomplete_fields = ["region"]
    raw_id_fields = ["user"]

    def save_model(self, request: HttpRequest, obj: ReviewerProfile, form: ModelForm, change: bool) -> None:
        with acting_as(request.user):
            super().save_model(request, obj, form, change)
        obj.user.groups.remove(*Group.objects.filter(name__in=LEVEL_GROUPS.values()))
        obj.user.groups.add(Group.objects.get(name=LEVEL_GROUPS[obj.level]))
        if not obj.user.is_staff:
            obj.user.is_staff = True
            obj.user.save(update_fields=["is_staff"])


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    paginator = EstimatedCountPaginator  # counts a big list from the planner's estimate
    list_display = ["created_at", "actor_label", "source", "action", "object_repr", "reason"]
    list_filter = ["action", "source", "content_type"]
    search_fields = ["object_repr", "actor_label", "reason", "=object_id"]
    date_hierarchy = "created_at"
    show_full_result_count = False

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        qs = super().get_queryset(request).select_related("content_type")
        if sees_everything(request.user):
            return qs
        reviewer = reviewer_of(request.user)
        if reviewer is None:
            return qs.none()
        return qs.filter(enterprise_id__in=Enterprise.objects.filter(region_q(reviewer.region_id)).values("id"))


@admin.register(ChangeRequest)
class ChangeRequestAdmin(RegionScopedAdmin):
    """Change requests of the reviewer's region; a reviewer of the enterprise's current region decides them."""
    paginator = EstimatedCountPaginator  # counts a big list from the planner's estimate

    enterprise_path = "enterprise"
    list_display = ["id", "enterprise", "kind", "status", "region", "filed_at", "decided_at"]
    list_select_related = ["enterprise", "region"]
    list_filter = ["status", "kind"]
    search_fields = ["enterprise__name", "=enterprise__uscc"]
    readonly_fields = ["enterprise", "kind", "changes", "before", "reason", "region", "status", "filed_by",
                       "filed_at", "decided_by", "decided_at", "decision_reason"]
    fields = readonly_fields
    actions = ["approve_selected", "reject_selected"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # filed by the enterprise (API), with its reason

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # the history is kept

    def _decide(self, request: HttpRequest, queryset: QuerySet, approve: bool, reason: str) -> None:
        for row in queryset.select_related("enterprise__region"):
            try:
                change_requests.decide_change_request(row, user=request.user, approve=approve, reason=reason)
            except (ValidationError, PermissionDenied) as exc:
                self.message_user(request, f"#{row.pk}: {' '.join(getattr(exc, 'messages', [str(exc)]))}",
                                  level="error")
            else:
                self.message_user(request, _("Change request #%(id)s decided.") % {"id": row.pk})

    @admin.action(description=_("Approve and apply the selected change requests"),
                  permissions=["change"])
    def approve_selected(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._decide(request, queryset, True, str(_("Approved in the admin")))

    @admin.action(description=_("Reject the selected change requests"), permissions=["change"])
    def reject_selected(self, request: HttpRequest, queryset: QuerySet) -> None:
        self._decide(request, queryset, False, str(_("Rejected in the admin")))


@admin.register(Confirmation)
class ConfirmationAdmin(RegionReadOnlyAdmin):
    """Reviewers' judgements of declared items (made on an enterprise's "declared items" screen), kept as history."""

    enterprise_path = "declaration__enterprise"
    list_display = ["judged_at", "declaration", "field", "declared_value", "confirmed", "judged_by", "reason"]
    list_select_related = ["declaration", "judged_by"]
    list_filter = ["field", "confirmed"]
    search_fields = ["declaration__enterprise__name", "=declaration__enterprise__uscc"]
