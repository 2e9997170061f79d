"""An enterprise's ledger in the admin (figures from ``registry.ledger``), for reviewers of its region."""

from __future__ import annotations

from django.contrib import admin
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _

from core.roles import visible_enterprises
from enterprises.models import Enterprise

from .dashboard import region_name
from .ledger import enterprise_ledger


def ledger_view(request: HttpRequest, pk: int) -> HttpResponse:
    if not request.user.has_perm("enterprises.view_enterprise"):
        raise Http404
    enterprise = get_object_or_404(
        visible_enterprises(Enterprise.objects.select_related("region"), request.user), pk=pk
    )
    context = {
        **admin.site.each_context(request), "ledger": enterprise_ledger(enterprise),
        "region_label": region_name(enterprise.region),
        "title": _("Ledger of %(name)s") % {"name": enterprise.name},
    }
    return TemplateResponse(request, "admin/registry/ledger.html", context)
