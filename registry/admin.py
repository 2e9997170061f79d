"""The reviewers' admin: their queue first, the application's figures and assessment, and decision buttons.

Every button and bulk action calls the same services as the API (``applications``, ``certifications``,
``quotas``); the admin itself
never writes a status. Pages are read-only views of the rows; decisions go through ``decide_view``.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.admin_base import ReadOnlyAdmin, RegionReadOnlyAdmin
from core.exports import ExportMixin, ReadOnlyExportAdmin
from core.pagination import EstimatedCountPaginator
from core.roles import visible_enterprises, visible_regions
from enterprises.admin_filters import CityFilter
from evaluation.display import readable, route_label, status_label
from evaluation.models import ProfileSnapshot
from evaluation.services import snapshot_profile

from . import applications, certifications, evidence, quotas
from .models import (
    Application,
    ApplicationStatus,
    Certification,
    CityQuota,
    DemotionProposal,
    EvidenceClaim,
    RevocationCause,
)
from .workflow import Action, Role, available_actions, choice_label, queue_states

REVIEW_BUTTONS = (Action.APPROVE, Action.RETURN, Action.REJECT, Action.OBJECT)


def error_text(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(exc.messages)
    return str(exc) or _("Not allowed.")


class ReasonForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Reason"), widget=forms.Textarea(attrs={"rows": 3, "cols": 80}),
                             required=False)


class RevokeForm(ReasonForm):
    cause = forms.ChoiceField(label=gettext_lazy("Cause"), choices=RevocationCause.choices)


def reason_action(
    modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet, *, title: str, form_class: type,
    apply: Any,
) -> HttpResponse | None:
    """A bulk action that asks once for a reason, then applies one service call (one history entry) per row."""
    form = form_class(request.POST if "apply" in request.POST else None)
    if "apply" in request.POST and form.is_valid():
        done, failed = 0, []
        for obj in queryset:
            try:
                apply(obj, **form.cleaned_data)
            except (ValidationError, PermissionDenied) as exc:
                failed.append(f"#{obj.pk}: {error_text(exc)}")
            else:
                done += 1
        if done:
            modeladmin.message_user(request, _("%(title)s: %(count)s done.") % {"title": title, "count": done},
                                    messages.SUCCESS)
        for line in failed:
            modeladmin.message_user(request, line, messages.ERROR)
        return None
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": title,
        "objects": list(queryset),
        "form": form,
        "action": request.POST.get("action", ""),
        "opts": modeladmin.model._meta,
        "selected": request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME),
    }
    return TemplateResponse(request, "admin/registry/reason_form.html", context)


class EnterpriseCityFilter(CityFilter):
    region_path = "enterprise__region"


class QueueFilter(admin.SimpleListFilter):
    title = gettext_lazy("queue")
    parameter_name = "queue"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("mine", _("Waiting for my decision"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "mine":
            return queryset.filter(status__in=queue_states(request.user))
        return queryset


@admin.register(Application)
class ApplicationAdmin(ExportMixin, ReadOnlyAdmin):
    paginator = EstimatedCountPaginator  # counts a big list from the planner's estimate
    list_display = ["id", "enterprise", "city", "tier", "kind", "status", "flagged", "score", "submitted_at",
                    "in_my_queue"]
    list_display_links = ["id", "enterprise"]
    list_select_related = ["enterprise__region"]
    list_filter = [QueueFilter, "tier", "status", EnterpriseCityFilter, "flagged", "kind", "year"]
    search_fields = ["enterprise__name", "=enterprise__uscc"]
    show_full_result_count = False
    list_per_page = 50
    actions = ["approve_selected", "return_selected", "reject_selected"]
    fieldsets = [
        (None, {"fields": ["enterprise_link", "tier", "kind", "year", "status", "flagged", "certification",
                           "together_with", "submitted_at", "publicity_ends_on", "decided_at"]}),
        (gettext_lazy("Figures"), {"fields": ["figures"]}),
        (gettext_lazy("Assessment at submission"), {"fields": ["ruleset", "score_breakdown", "unmet_rules",
                                                               "advice"]}),
        (gettext_lazy("Evidence"), {"fields": ["evidence_files", "missing_evidence"]}),
        (gettext_lazy("History"), {"fields": ["history"]}),
    ]
    readonly_fields = ["enterprise_link", "tier", "kind", "year", "status", "flagged", "certification",
                       "together_with", "submitted_at", "publicity_ends_on", "decided_at", "figures", "ruleset",
                       "score_breakdown", "unmet_rules", "advice", "evidence_files", "missing_evidence", "history"]

    # --- the queue ---------------------------------------------------------------------------------------

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        qs = visible_enterprises(self.model._default_manager.get_queryset(), request.user, prefix="enterprise")
        states = queue_states(request.user)
        return qs.annotate(
            queue=Case(When(status__in=states, then=Value(0)), default=Value(1), output_field=IntegerField())
        ).order_by(*self.get_ordering(request))

    def get_ordering(self, request: HttpRequest) -> list[str]:
        return ["queue", "submitted_at", "id"]

    @admin.display(description=gettext_lazy("city"), ordering="enterprise__region__city_code")
    def city(self, obj: Application) -> str:
        return obj.enterprise.region.city_code

    @admin.display(description=gettext_lazy("score"))
    def score(self, obj: Application) -> str:
        data = obj.assessment or {}
        return "" if data.get("score") is None else f"{data['score']}/{data.get('max_score')}"

    @admin.display(description=gettext_lazy("my queue"), boolean=True, ordering="queue")
    def in_my_queue(self, obj: Application) -> bool:
        return getattr(obj, "queue", 1) == 0

    # --- the page (read-only; decisions go through decide_view) ------------------------------------------

    def get_urls(self) -> list:
        return [
            path("<path:object_id>/decide/", self.admin_site.admin_view(self.decide_view),
                 name="registry_application_decide"),
            *super().get_urls(),
        ]

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "",
                    extra_context: dict | None = None) -> HttpResponse:
        obj = self.get_object(request, object_id)
        buttons: list[tuple[str, str]] = []
        if obj is not None:
            allowed = available_actions(obj, request.user)
            buttons = [(a.value, a.label) for a in REVIEW_BUTTONS if a.value in allowed]
            if Action.NATIONAL_OUTCOME in allowed:
                buttons += [("outcome:certified", _("MIIT certified it")), ("outcome:rejected", _("MIIT rejected it"))]
        context = {**(extra_context or {}), "review_buttons": buttons}
        return super().change_view(request, object_id, form_url, context)

    def decide_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        obj = get_object_or_404(self.get_queryset(request), pk=object_id)
        back = reverse("admin:registry_application_change", args=[obj.pk])
        if request.method != "POST":
            return HttpResponseRedirect(back)
        action = request.POST.get("action", "")
        reason = request.POST.get("reason", "")
        try:
            if action.startswith("outcome:"):
                applications.record_national_outcome(obj, user=request.user, outcome=action.split(":", 1)[1],
                                                 reason=reason)
            else:
                applications.decide(obj, user=request.user, action=action, reason=reason)
        except (ValidationError, PermissionDenied) as exc:
            self.message_user(request, error_text(exc), messages.ERROR)
        else:
            obj.refresh_from_db()
            self.message_user(request, _("Application #%(id)s is now: %(status)s.") % {
                "id": obj.pk, "status": obj.get_status_display()}, messages.SUCCESS)
        return HttpResponseRedirect(back)

    @admin.display(description=gettext_lazy("enterprise"))
    def enterprise_link(self, obj: Application) -> str:
        e = obj.enterprise
        url = reverse("admin:enterprises_enterprise_change", args=[e.pk])
        return format_html('<a href="{}">{}</a> · {} · {}', url, e.name, e.uscc, e.region.name)

    @admin.display(description=gettext_lazy("figures at submission"))
    def figures(self, obj: Application) -> str:
        profile = None
        if obj.input_digest:
            profile = snapshot_profile(
                ProfileSnapshot.objects.filter(digest=obj.input_digest).values_list("data", flat=True).first()
            )
        if not profile:
            return _("Not submitted yet.")
        header = format_html(
            "<tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>",
            _("year"), _("operating revenue"), _("main business"), _("R&D"), _("net profit"), _("assets"),
            _("liabilities"),
        )
        rows = format_html_join(
            "", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            ((f.get("year"), f.get("operating_revenue"), f.get("main_business_revenue"), f.get("rd_expense"),
              f.get("net_profit"), f.get("total_assets"), f.get("total_liabilities"))
             for f in profile.get("financials", [])),
        )
        extra = format_html(
            "<p>{}: {} · {}: {} · {}: {}</p>", _("employees"), profile.get("employees"), _("R&D staff"),
            profile.get("rd_staff"), _("held tiers"), ", ".join(profile.get("held_tiers") or []) or "-",
        )
        return format_html("<table>{}{}</table>{}", header, rows, extra)

    @admin.display(description=gettext_lazy("ruleset"))
    def ruleset(self, obj: Application) -> str:
        data = obj.assessment or {}
        return f"{data.get('ruleset', '-')} v{data.get('ruleset_version', '-')}" if data else "-"

    @admin.display(description=gettext_lazy("score breakdown"))
    def score_breakdown(self, obj: Application) -> str:
        data = obj.assessment
        if not data:
            return "-"
        data = readable(data)
        head = format_html(
            "<p><strong>{}</strong> · {}: {} · {}: {} / {}</p>", status_label(data.get("status")), _("route"),
            route_label(data.get("route")), _("score"), data.get("score") if data.get("score") is not None else "-",
            data.get("max_score") if data.get("max_score") is not None else "-",
        )
        labels = data.get("category_labels") or {}
        categories = format_html_join(", ", "{}: {}", ((labels.get(c, c), p)
                                                       for c, p in (data.get("categories") or {}).items()))
        indicators = format_html_join(
            "", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{} / {}</td></tr>",
            ((i.get("label"), i.get("category_label", ""), i.get("value_label") or "—", i.get("points"), i.get("max"))
             for i in data.get("indicators") or []),
        )
        table = format_html("<table>{}</table>", indicators) if indicators else ""
        return format_html("{}<p>{}</p>{}", head, categories, table)

    @admin.display(description=gettext_lazy("unmet rules"))
    def unmet_rules(self, obj: Application) -> str:
        unmet = readable(obj.assessment or {}).get("unmet") or []
        if not unmet:
            return "-"
        return format_html("<ul>{}</ul>", format_html_join(
            "", "<li>{}</li>", ((u.get("message", u.get("code")) if isinstance(u, dict) else u,) for u in unmet)))

    @admin.display(description=gettext_lazy("advice"))
    def advice(self, obj: Application) -> str:
        advice = readable(obj.assessment or {}).get("advice") or []
        if isinstance(advice, str | dict):
            advice = [advice]
        if not advice:
            return "-"
        return format_html("<ul>{}</ul>", format_html_join(
            "", "<li>{}</li>", ((a.get("message", a) if isinstance(a, dict) else a,) for a in advice)))

    @admin.display(description=gettext_lazy("files"))
    def evidence_files(self, obj: Application) -> str:
        files = list(obj.evidence.all())
        if not files:
            return "-"
        return format_html("<ul>{}</ul>", format_html_join(
            "", '<li>{}: <a href="{}">{}</a> ({} bytes)</li>',
            ((e.get_claim_display(), reverse("api-application-evidence-download", args=[obj.pk, e.pk]),
              e.original_name, e.size) for e in files)))

    @admin.display(description=gettext_lazy("claims without evidence"))
    def missing_evidence(self, obj: Application) -> str:
        missing = evidence.missing_claims(obj)
        return ", ".join(str(EvidenceClaim(c).label) for c in missing) or "-"

    @admin.display(description=gettext_lazy("history"))
    def history(self, obj: Application) -> str:
        events = list(obj.events.all())
        if not events:
            return "-"
        return format_html("<table>{}</table>", format_html_join(
            "", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{} → {}</td><td>{}</td></tr>",
            ((e.created_at.strftime("%Y-%m-%d %H:%M"), e.actor_label, choice_label(Role, e.actor_role),
              choice_label(Action, e.action), choice_label(ApplicationStatus, e.from_status) if e.from_status else "-",
              choice_label(ApplicationStatus, e.to_status), e.reason) for e in events)))

    # --- bulk decisions ----------------------------------------------------------------------------------

    def _bulk(self, request: HttpRequest, queryset: QuerySet, action: str, title: str) -> HttpResponse | None:
        return reason_action(
            self, request, queryset, title=title, form_class=ReasonForm,
            apply=lambda obj, reason: applications.decide(obj, user=request.user, action=action, reason=reason),
        )

    @admin.action(description=gettext_lazy("Approve selected applications"))
    def approve_selected(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        return self._bulk(request, queryset, Action.APPROVE, _("Approve"))

    @admin.action(description=gettext_lazy("Return selected applications for correction"))
    def return_selected(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        return self._bulk(request, queryset, Action.RETURN, _("Return for correction"))

    @admin.action(description=gettext_lazy("Reject selected applications"))
    def reject_selected(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        return self._bulk(request, queryset, Action.REJECT, _("Reject"))


@admin.register(Certification)
class CertificationAdmin(ReadOnlyExportAdmin):
    paginator = EstimatedCountPaginator  # counts a big list from the planner's estimate
    list_display = ["enterprise", "tier", "status", "granted_on", "expires_on", "revocation_cause"]
    list_select_related = ["enterprise"]
    list_filter = ["tier", "status", "revocation_cause"]
    search_fields = ["enterprise__name", "=enterprise__uscc"]
    show_full_result_count = False
    actions = ["revoke_selected"]
    readonly_fields = ["enterprise", "tier", "ruleset", "granted_on", "expires_on", "status", "revoked_on",
                       "revocation_cause", "revocation_reason"]

    @admin.action(description=gettext_lazy("Revoke selected certifications"))
    def revoke_selected(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        return reason_action(
            self, request, queryset, title=_("Revoke"), form_class=RevokeForm,
            apply=lambda obj, reason, cause: certifications.revoke_certification(obj, user=request.user, cause=cause,
                                                                          reason=reason),
        )


@admin.register(CityQuota)
class CityQuotaAdmin(admin.ModelAdmin):
    """Provincial reviewers set each city's quota per tier and year; city reviewers see theirs."""

    list_display = ["city", "tier", "year", "quota", "used"]
    list_select_related = ["city"]
    list_filter = ["year", "tier"]
    autocomplete_fields = ["city"]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return visible_regions(super().get_queryset(request), request.user, prefix="city")

    def get_readonly_fields(self, request: HttpRequest, obj: CityQuota | None = None) -> list[str]:
        # A quota is edited by its number; another city, tier or year is another quota.
        return ["city", "tier", "year"] if obj is not None else []

    @admin.display(description=gettext_lazy("passed by the city"))
    def used(self, obj: CityQuota) -> int:
        return quotas.city_approvals(obj.city_id, obj.tier, obj.year).count()

    def save_model(self, request: HttpRequest, obj: CityQuota, form: forms.ModelForm, change: bool) -> None:
        saved = quotas.set_city_quota(city=obj.city, tier=obj.tier, year=obj.year, quota=obj.quota,
                                      user=request.user)
        obj.pk = saved.pk


@admin.register(DemotionProposal)
class DemotionProposalAdmin(RegionReadOnlyAdmin):
    paginator = EstimatedCountPaginator  # counts a big list from the planner's estimate
    list_display = ["enterprise", "tier", "year", "status", "created_at", "decided_at"]
    list_select_related = ["enterprise"]
    list_filter = ["status", "tier", "year"]
    search_fields = ["enterprise__name"]
    actions = ["accept_selected", "dismiss_selected"]
    readonly_fields = ["enterprise", "certification", "tier", "year", "unmet_rules", "job_id", "status",
                       "decided_by", "decided_at", "decision_reason"]
    exclude = ["unmet"]

    @admin.display(description=gettext_lazy("unmet rules"))
    def unmet_rules(self, obj: DemotionProposal) -> str:
        unmet = readable({"unmet": obj.unmet or []}).get("unmet") or []
        if not unmet:
            return "-"
        return format_html("<ul>{}</ul>", format_html_join(
            "", "<li>{}</li>", ((u.get("message", u.get("code")) if isinstance(u, dict) else u,) for u in unmet)))

    @admin.action(description=gettext_lazy("Accept: revoke the certification (demotion)"))
    def accept_selected(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        return reason_action(
            self, request, queryset, title=_("Accept demotion"), form_class=ReasonForm,
            apply=lambda obj, reason: certifications.decide_demotion(obj, user=request.user, accept=True,
                                                                     reason=reason),
        )

    @admin.action(description=gettext_lazy("Dismiss the proposal"))
    def dismiss_selected(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        return reason_action(
            self, request, queryset, title=_("Dismiss"), form_class=ReasonForm,
            apply=lambda obj, reason: certifications.decide_demotion(obj, user=request.user, accept=False,
                                                                     reason=reason),
        )



from . import admin_experts, admin_pool, admin_public, admin_review  # noqa: E402, F401  (registered on import)
