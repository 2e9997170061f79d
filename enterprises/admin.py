"""The enterprise registry in the admin: search, regional filters, inline yearly figures and the audit trail."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from .admin_base import CityFilter, ReadOnlyAdmin
from .audit import AuditEntry, acting_as
from .models import Declaration, Enterprise, FinancialYear, Membership, Region, ReviewerProfile
from .roles import reviewer_of, sees_everything
from .services import _after_figures_change


class CountyFilter(admin.SimpleListFilter):
    title = _("county / district")
    parameter_name = "county"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        counties = Region.objects.filter(level="county")
        city = request.GET.get("city")
        if city:
            counties = counties.filter(city_code=city)
        return list(counties.values_list("code", "name"))

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value():
            return queryset.filter(region_id=self.value())
        return queryset


class FinancialYearInline(admin.TabularInline):
    model = FinancialYear
    extra = 0
    fields = ["year", *FinancialYear.PROFILE_FIELDS]
    ordering = ["-year"]


class DeclarationInline(admin.StackedInline):
    model = Declaration
    extra = 0
    ordering = ["-year"]
    classes = ["collapse"]


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    raw_id_fields = ["user"]


class RegionScopedAdmin(admin.ModelAdmin):
    """Reviewers see only their region's rows; provincial staff and superusers see everything."""

    enterprise_path = ""

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        from .roles import visible_enterprises

        return visible_enterprises(super().get_queryset(request), request.user, prefix=self.enterprise_path)


@admin.register(Enterprise)
class EnterpriseAdmin(RegionScopedAdmin):
    list_display = ["name", "uscc", "region", "size_class", "current_tier", "updated_at"]
    list_select_related = ["region"]
    list_filter = [CityFilter, CountyFilter, "size_class", "current_tier", "sector"]
    search_fields = ["name", "=uscc"]
    show_full_result_count = False
    readonly_fields = ["size_class", "current_tier", "banned_until", "created_at", "updated_at", "audit_trail",
                       "printable_assessment"]
    raw_id_fields = ["region"]
    inlines = [MembershipInline, FinancialYearInline, DeclarationInline]
    fieldsets = [
        (None, {"fields": ["uscc", "name", "region", "sector", "established_year", "established_on"]}),
        (_("Contact"), {"fields": ["address", "contact_name", "contact_phone", "contact_email"]}),
        (_("Derived"), {"fields": ["size_class", "current_tier", "banned_until", "created_at", "updated_at",
                                   "printable_assessment"]}),
        (_("Audit trail"), {"fields": ["audit_trail"], "classes": ["collapse"]}),
    ]

    @admin.display(description=_("assessment"))
    def printable_assessment(self, obj: Enterprise) -> str:
        if obj.pk is None:
            return "-"
        return format_html('<a href="{}" target="_blank">{}</a>', reverse("insights:assessment_print", args=[obj.pk]),
                           _("Printable assessment"))

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
            super().save_model(request, obj, form, change)

    def save_related(self, request: HttpRequest, form: ModelForm, formsets: Any, change: bool) -> None:
        with acting_as(request.user):
            super().save_related(request, form, formsets, change)
        _after_figures_change(form.instance)


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
        from django.contrib.auth.models import Group

        from .roles import LEVEL_GROUPS

        with acting_as(request.user):
            super().save_model(request, obj, form, change)
        obj.user.groups.remove(*Group.objects.filter(name__in=LEVEL_GROUPS.values()))
        obj.user.groups.add(Group.objects.get(name=LEVEL_GROUPS[obj.level]))
        if not obj.user.is_staff:
            obj.user.is_staff = True
            obj.user.save(update_fields=["is_staff"])


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
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
        from .roles import region_q

        return qs.filter(enterprise_id__in=Enterprise.objects.filter(region_q(reviewer.region_id)).values("id"))
