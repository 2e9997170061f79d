"""Filters for application and certification lists (API and exports)."""

import django_filters

from enterprises.models import Tier

from .models import Application, ApplicationKind, ApplicationStatus, Certification, CertificationStatus

# Numbers a database column can hold: anything else is a 400 on the filter, not an overflow deep in the driver.
ID_RANGE = {"min_value": 1, "max_value": 2**63 - 1}
YEAR_RANGE = {"min_value": 1, "max_value": 32767}


class ApplicationFilterSet(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=ApplicationStatus.choices)
    tier = django_filters.ChoiceFilter(choices=Tier.choices)
    kind = django_filters.ChoiceFilter(choices=ApplicationKind.choices)
    year = django_filters.NumberFilter(**YEAR_RANGE)
    flagged = django_filters.BooleanFilter()
    city = django_filters.CharFilter(field_name="enterprise__region__city_code", label="City code")
    enterprise = django_filters.NumberFilter(field_name="enterprise_id", **ID_RANGE)

    class Meta:
        model = Application
        fields = ["status", "tier", "kind", "year", "flagged", "city", "enterprise"]


class CertificationFilterSet(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=CertificationStatus.choices)
    tier = django_filters.ChoiceFilter(choices=Tier.choices)
    city = django_filters.CharFilter(field_name="enterprise__region__city_code", label="City code")
    enterprise = django_filters.NumberFilter(field_name="enterprise_id", **ID_RANGE)
    expires_before = django_filters.DateFilter(field_name="expires_on", lookup_expr="lte")

    class Meta:
        model = Certification
        fields = ["status", "tier", "city", "enterprise", "expires_before"]
