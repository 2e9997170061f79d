"""A region's yearly progress report in the admin: a printable page and its XLSX (figures from
``registry.year_report``)."""

from __future__ import annotations

from django.contrib import admin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _

from core.exports import file_response, write_table

from .dashboard import region_name
from .views_dashboard import can_view_dashboard
from .year_report import HEADERS, default_region_code, parse_year, visible_region, year_report


def _report(request: HttpRequest) -> object:
    if not can_view_dashboard(request.user):
        raise PermissionDenied(_("You may not see the dashboard."))
    try:
        year = parse_year(request.GET.get("year"))
    except ValidationError as exc:
        return HttpResponseBadRequest("; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items()),
                                      content_type="text/plain; charset=utf-8")
    region = visible_region(request.user, request.GET.get("region") or default_region_code(request.user))
    if region is None:
        raise Http404(_("No such region in your area."))
    return year_report(request.user, region, year)


def year_report_view(request: HttpRequest) -> HttpResponse:
    report = _report(request)
    if isinstance(report, HttpResponse):
        return report
    context = {
        **admin.site.each_context(request), "report": report, "region_label": region_name(report.region),
        "headers": HEADERS,
        "title": _("%(year)s cultivation progress report: %(region)s")
        % {"year": report.year, "region": region_name(report.region)},
    }
    return TemplateResponse(request, "admin/registry/year_report.html", context)


def year_report_export(request: HttpRequest) -> HttpResponse:
    report = _report(request)
    if isinstance(report, HttpResponse):
        return report
    content = write_table([str(h) for h in HEADERS], report.rows(), "xlsx")
    return file_response(content, f"progress-{report.region.code}-{report.year}", "xlsx")
