"""Admin pages for policy simulation: start a comparison, draft a ruleset copy, follow a job, export its list."""

from __future__ import annotations

import json
import math

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.exports import FORMATS, file_response, write_table
from core.roles import regions_within, reviewer_of, sees_everything
from core.validators import EARLIEST_FIGURES_YEAR
from enterprises.models import Region, Tier

from .models import RulesetVersion, SimulationJob, SimulationStatus
from .simulation import change_rows, create_draft, default_year, start_simulation

AFFECTED_SHOWN = 200


def _check(request: HttpRequest, perm: str = "evaluation.view_rulesetversion") -> None:
    if not (request.user.is_staff and request.user.has_perm(perm)):
        raise PermissionDenied(_("You may not run policy simulations."))


def _own_region(user: object) -> str | None:
    """The region a reviewer is held to (a provincial reviewer's is their province), or None for registry staff,
    who see everything. A simulation never reaches beyond what its starter may see (``core.roles``)."""
    if sees_everything(user):
        return None
    reviewer = reviewer_of(user)
    if reviewer is None:
        raise PermissionDenied(_("You may not run policy simulations."))
    return reviewer.region_id


class SimulationForm(forms.Form):
    base = forms.ModelChoiceField(queryset=RulesetVersion.objects.none(), label=gettext_lazy("Current ruleset"))
    candidate = forms.ModelChoiceField(queryset=RulesetVersion.objects.none(),
                                       label=gettext_lazy("Proposed ruleset"))
    year = forms.IntegerField(label=gettext_lazy("Figures year"), min_value=EARLIEST_FIGURES_YEAR)
    city = forms.ChoiceField(label=gettext_lazy("City"), required=False)

    def __init__(self, *args: object, region: str | None = None, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        versions = RulesetVersion.objects.order_by("is_draft", "code", "-version")
        self.fields["base"].queryset = versions.filter(is_draft=False)
        self.fields["candidate"].queryset = versions
        cities = Region.objects.filter(level="city")
        if region is not None:  # a reviewer: only the cities of their own region
            cities = cities.filter(code__in=regions_within(region).values("code"))
        choices = list(cities.order_by("code").values_list("code", "name"))
        if region is not None and not choices:
            del self.fields["city"]  # a city or county reviewer: their own region, nothing to choose
        else:
            self.fields["city"].choices = [("", _("Whole province"))] + choices

    def clean(self) -> dict:
        data = super().clean()
        if data.get("base") and data.get("candidate") and data["base"].pk == data["candidate"].pk:
            raise ValidationError({"candidate": _("Choose a different ruleset to compare with.")})
        return data


class DraftForm(forms.Form):
    base = forms.ModelChoiceField(queryset=RulesetVersion.objects.filter(is_draft=False),
                                  label=gettext_lazy("Copy of"))
    title = forms.CharField(label=gettext_lazy("Title"), max_length=200, required=False)
    data = forms.CharField(label=gettext_lazy("Rules (JSON)"), widget=forms.Textarea(attrs={"rows": 30, "cols": 100}))

    def clean_data(self) -> dict:
        try:
            value = json.loads(self.cleaned_data["data"], parse_constant=_refuse_constant,
                               parse_float=_finite_float)
        except RecursionError:
            raise ValidationError(_("JSON nested deeper than %(depth)d levels.") % {"depth": settings.JSON_MAX_DEPTH})
        except ValueError as exc:  # bad JSON, a non-finite number, an integer of thousands of digits
            raise ValidationError(_("Not valid JSON: %(error)s") % {"error": exc})
        if not isinstance(value, dict):
            raise ValidationError(_("The rules must be a JSON object."))
        if _depth(value) > settings.JSON_MAX_DEPTH:
            raise ValidationError(_("JSON nested deeper than %(depth)d levels.") % {"depth": settings.JSON_MAX_DEPTH})
        return value


def _refuse_constant(text: str) -> None:
    raise ValueError(_("%(value)s is not a finite number.") % {"value": text})


def _finite_float(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        _refuse_constant(text)
    return value


def _depth(value: object) -> int:
    """How deeply ``value`` nests, without recursion."""
    deepest, pending = 0, [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, depth)
            pending.extend((child, depth + 1) for child in (item.values() if isinstance(item, dict) else item))
    return deepest


def simulation_view(request: HttpRequest) -> HttpResponse:
    _check(request)
    region = _own_region(request.user)
    form = SimulationForm(request.POST or None, region=region, initial={"year": default_year()})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        job = start_simulation(data["base"], data["candidate"], data["year"],
                               region_code=data.get("city") or region or "", user=request.user)
        return HttpResponseRedirect(reverse("insights:simulation_job", args=[job.pk]))
    jobs = SimulationJob.objects.select_related("base", "candidate")
    if not sees_everything(request.user):
        jobs = jobs.filter(created_by=request.user)
    context = {
        **admin.site.each_context(request), "title": _("Policy simulation"), "form": form,
        "jobs": jobs[:20], "can_draft": request.user.has_perm("evaluation.add_rulesetversion"),
    }
    return TemplateResponse(request, "admin/evaluation/simulation.html", context)


def draft_view(request: HttpRequest) -> HttpResponse:
    _check(request, "evaluation.add_rulesetversion")
    initial = {}
    base_id = request.GET.get("base")
    if base_id and base_id.isdigit():
        base = RulesetVersion.objects.filter(pk=base_id, is_draft=False).first()
        if base is not None:
            initial = {"base": base, "data": json.dumps(base.data, ensure_ascii=False, indent=2)}
    form = DraftForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            draft = create_draft(form.cleaned_data["base"], form.cleaned_data["data"],
                                 title=form.cleaned_data["title"], user=request.user)
        except ValidationError as exc:
            form.add_error("data", exc.message_dict.get("data", exc.messages))
        else:
            messages.success(request, _("Draft %(draft)s created; choose it as the proposed ruleset.")
                             % {"draft": draft})
            return HttpResponseRedirect(reverse("insights:simulation"))
    context = {**admin.site.each_context(request), "title": _("Draft a ruleset for simulation"), "form": form,
               "bases": RulesetVersion.objects.filter(is_draft=False)}
    return TemplateResponse(request, "admin/evaluation/simulation_draft.html", context)


def _job_for(request: HttpRequest, pk: int) -> SimulationJob:
    _check(request)
    job = get_object_or_404(SimulationJob.objects.select_related("base", "candidate"), pk=pk)
    if not sees_everything(request.user) and job.created_by_id != request.user.pk:
        raise Http404
    return job


def job_view(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job_for(request, pk)
    tiers = [(t.value, t.label) for t in Tier]
    summary = job.summary or {}
    per_tier = summary.get("per_tier", {})
    city_names = dict(Region.objects.filter(level__in=["city", "county"]).values_list("code", "name"))
    tier_rows = [{"label": label, **per_tier.get(code, {"gain": 0, "loss": 0})} for code, label in tiers]
    city_rows = []
    for city, counts in sorted(summary.get("per_city", {}).items()):
        city_rows.append({"name": city_names.get(city, city or "-"),
                          "cells": [counts.get(code, {"gain": 0, "loss": 0}) for code, _label in tiers]})
    affected = list(job.changes.select_related("enterprise").order_by("tier", "kind", "enterprise__name")[
        :AFFECTED_SHOWN
    ])
    context = {
        **admin.site.each_context(request), "title": _("Policy simulation #%(id)s") % {"id": job.pk},
        "job": job, "tiers": tiers, "tier_rows": tier_rows, "city_rows": city_rows, "affected": affected,
        "affected_count": job.changes.count(), "running": job.status in (SimulationStatus.PENDING,
                                                                         SimulationStatus.RUNNING),
    }
    return TemplateResponse(request, "admin/evaluation/simulation_job.html", context)


def job_export(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    job = _job_for(request, pk)
    if fmt not in FORMATS:
        raise Http404
    headers, rows = change_rows(job)
    return file_response(write_table(headers, rows, fmt), f"simulation-{job.pk}", fmt)
