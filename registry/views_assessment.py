"""One enterprise's assessment as a printable page (the admin's print view, no navigation)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _

from core.roles import visible_enterprises
from enterprises.models import Enterprise, Tier
from evaluation.display import readable, reader_language, route_label, status_label
from evaluation.models import Assessment
from evaluation.profiles import ProfileUnavailable
from evaluation.services import evaluate_enterprise, explained_results


def _lines(result: dict[str, Any]) -> list[dict[str, Any]]:
    """The indicator lines of a tier result (made ``readable``), as label / value / points."""
    lines = []
    for item in result.get("indicators") or []:
        if isinstance(item, dict):
            lines.append({
                "label": item.get("label") or item.get("name") or item.get("id") or item.get("code", ""),
                "value": item.get("value_label") if item.get("value_label") is not None else "—",
                "points": item.get("points", item.get("score", "")),
                "max": item.get("max_points", item.get("max", "")),
            })
    return lines


def _tier(label: str, result: dict[str, Any], **fields: Any) -> dict[str, Any]:
    result = readable(result)
    return {"label": label, "lines": _lines(result), "unmet": _unmet(result),
            "route": route_label(fields.pop("route")) if fields.get("route") else "", **fields}


def _unmet(result: dict[str, Any]) -> list[str]:
    out = []
    for item in result.get("unmet") or result.get("unmet_rules") or []:
        if isinstance(item, dict):
            out.append(str(item.get("message") or item.get("label") or item.get("rule") or item))
        else:
            out.append(str(item))
    return out


def assessment_print_view(request: HttpRequest, pk: int) -> HttpResponse:
    if not request.user.has_perm("evaluation.view_assessment"):
        raise Http404
    enterprise = get_object_or_404(
        visible_enterprises(Enterprise.objects.select_related("region"), request.user), pk=pk
    )
    stored = Assessment.objects.filter(enterprise=enterprise).select_related("ruleset")
    years = sorted(set(stored.values_list("year", flat=True)), reverse=True)
    year_param = request.GET.get("year", "")
    year = int(year_param) if year_param.isdigit() else (years[0] if years else None)
    tiers: list[dict[str, Any]] = []
    source = "stored"
    if year is not None and year in years:
        rows = {a.tier: a for a in stored.filter(year=year).order_by("tier", "-evaluated_at")}
        breakdowns = explained_results(rows.values())
        for tier in Tier:
            a = rows.get(tier.value)
            if a is not None:
                tiers.append(_tier(tier.label, breakdowns[a.pk], status=a.get_status_display(), passed=a.passed,
                                   score=a.score, max_score=a.max_score, route=a.route, ruleset=a.ruleset,
                                   evaluated_at=a.evaluated_at))
    elif year is not None:
        source = "live"
        try:
            evaluated = evaluate_enterprise(enterprise, year, advice=False)
        except ProfileUnavailable as exc:
            raise Http404(exc.message)
        for code, r in evaluated.to_dict(reader_language()).get("tiers", {}).items():
            tiers.append(_tier(Tier(code).label, r, status=status_label(r.get("status")), passed=r.get("passed"),
                               score=r.get("score"), max_score=r.get("max_score"), route=r.get("route"),
                               ruleset=evaluated.version, evaluated_at=None))
    context = {
        **admin.site.each_context(request), "title": _("Assessment of %(name)s") % {"name": enterprise.name},
        "enterprise": enterprise, "year": year, "years": years, "tiers": tiers, "source": source,
    }
    return TemplateResponse(request, "admin/registry/assessment_print.html", context)
