"""Admin building blocks the apps share: read-only lists, lists scoped to the reviewer's region, the city filter."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from .models import Region
from .roles import visible_enterprises


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows written only by services (decisions, jobs, audit): the admin lists and shows them, never edits."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class RegionReadOnlyAdmin(ReadOnlyAdmin):
    """Read-only rows of enterprises: reviewers see those of their region only (``enterprise_path`` leads from
    the row to its enterprise)."""

    enterprise_path = "enterprise"

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return visible_enterprises(super().get_queryset(request), request.user, prefix=self.enterprise_path)


class CityFilter(admin.SimpleListFilter):
    """Rows whose region lies in the chosen city (``region_path`` leads from the row to its region)."""

    title = _("city")
    parameter_name = "city"
    region_path = "region"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return list(Region.objects.filter(level="city").values_list("code", "name"))

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value():
            return queryset.filter(**{f"{self.region_path}__city_code": self.value()})
        return queryset
