"""Filters for enterprise lists (API and exports)."""

import django_filters
from django.db.models import QuerySet

from core.roles import region_q

from .models import Enterprise, SizeClass, Tier


class EnterpriseFilterSet(django_filters.FilterSet):
    region = django_filters.CharFilter(method="filter_region", label="Region code (county, city or province)")
    size_class = django_filters.ChoiceFilter(choices=SizeClass.choices)
    current_tier = django_filters.ChoiceFilter(choices=Tier.choices)
    uscc = django_filters.CharFilter()
    name = django_filters.CharFilter(lookup_expr="icontains")

    class Meta:
        model = Enterprise
        fields = ["region", "size_class", "current_tier", "sector", "uscc", "name"]

    def filter_region(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(region_q(value))
