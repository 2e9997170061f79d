"""The dashboard page in the admin: thin, the figures come from ``registry.dashboard``."""

from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _

from enterprises.models import Region

from .dashboard import chart_data, dashboard_data


def can_view_dashboard(user: object) -> bool:
    """Reviewers and staff who may see certifications; the figures are then cut to what they may see."""
    return bool(getattr(user, "is_staff", False) and user.has_perm("registry.view_certification"))


def dashboard_view(request: HttpRequest) -> HttpResponse:
    if not can_view_dashboard(request.user):
        raise PermissionDenied(_("You may not see the dashboard."))
    data = dashboard_data(request.user, city=request.GET.get("city") or None)
    context = {
        **admin.site.each_context(request),
        **data,
        "title": _("Cultivation dashboard"),
        "charts": chart_data(data),
        "selected_city": data["scope"].region.code if data["scope"].region else "",
        "cities": [] if data["scope"].locked else list(
            Region.objects.filter(level="city", province_code=getattr(data["scope"].province, "code", ""))
            .order_by("code")),
    }
    return TemplateResponse(request, "admin/registry/dashboard.html", context)
