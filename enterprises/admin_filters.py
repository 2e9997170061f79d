"""Admin list filters by region, shared by every app's admin."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from .models import Region


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
