"""The provincial reviewers' side of objections: the confirmed objections of their region, with the evidence,
and actions to record the investigation and decide. Every action calls ``registry.objections``; announcements
are listed read-only (they are written when publicity closes)."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.admin_base import ReadOnlyAdmin, RegionReadOnlyAdmin
from core.roles import reviewer_of

from . import objections
from .models import Announcement, Objection


class ObjectionReasonForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Investigation record or reason for the decision"),
                             widget=forms.Textarea(attrs={"rows": 5, "cols": 80}), required=False)


class ObjectionAdmin(RegionReadOnlyAdmin):
    enterprise_path = "application__enterprise"
    list_display = ["reference", "enterprise", "tier", "status", "created_at", "confirmed_at", "decided_at"]
    list_select_related = ["application__enterprise"]
    list_filter = ["status", "application__tier"]
    search_fields = ["reference", "application__enterprise__name", "=application__enterprise__uscc"]
    actions = ["investigate_selected", "uphold_selected", "dismiss_selected"]
    fields = ["reference", "application_link", "status", "objector_name", "contact_email", "contact_phone",
              "reason", "evidence_files", "created_at", "confirmed_at", "investigation", "decision_reason",
              "decided_by", "decided_at"]
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        # An unconfirmed objection counts for nothing and may be a stranger's address: not in the queue.
        return super().get_queryset(request).confirmed()

    def has_decide_permission(self, request: HttpRequest) -> bool:
        user = request.user
        reviewer = reviewer_of(user)
        return user.is_superuser or (
            user.has_perm("registry.change_objection") and reviewer is not None and reviewer.level == "province")

    @admin.display(description=gettext_lazy("enterprise"))
    def enterprise(self, obj: Objection) -> str:
        return obj.application.enterprise.name

    @admin.display(description=gettext_lazy("tier"))
    def tier(self, obj: Objection) -> str:
        return obj.application.get_tier_display()

    @admin.display(description=gettext_lazy("application"))
    def application_link(self, obj: Objection) -> str:
        url = reverse("admin:registry_application_change", args=[obj.application_id])
        return format_html('<a href="{}">{}</a>', url, obj.application)

    @admin.display(description=gettext_lazy("evidence"))
    def evidence_files(self, obj: Objection) -> str:
        files = list(obj.evidence.all())
        if not files:
            return "-"
        return format_html("<ul>{}</ul>", format_html_join(
            "", '<li><a href="{}">{}</a> ({} bytes)</li>',
            ((reverse("admin:registry_objection_evidence", args=[obj.pk, e.pk]), e.original_name, e.size)
             for e in files)))

    def get_urls(self) -> list:
        return [
            path("<int:pk>/evidence/<int:evidence_pk>/", self.admin_site.admin_view(self.evidence_view),
                 name="registry_objection_evidence"),
            *super().get_urls(),
        ]

    def evidence_view(self, request: HttpRequest, pk: int, evidence_pk: int) -> HttpResponse:
        objection = get_object_or_404(self.get_queryset(request), pk=pk)
        if not self.has_view_permission(request, objection):
            raise Http404
        item = get_object_or_404(objection.evidence.all(), pk=evidence_pk)
        return FileResponse(item.file.open("rb"), as_attachment=True, filename=item.original_name,
                            content_type=item.content_type)

    def _act(self, request: HttpRequest, queryset: QuerySet, action: str, title: str) -> HttpResponse | None:
        """Ask once for the text, then one service call per selected objection (each its own history entry)."""
        form = ObjectionReasonForm(request.POST if "apply" in request.POST else None)
        if "apply" in request.POST and form.is_valid():
            for obj in queryset:
                try:
                    objections.decide_objection(obj, user=request.user, action=action,
                                                reason=form.cleaned_data["reason"])
                except (ValidationError, PermissionDenied) as exc:
                    text = "; ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
                    self.message_user(request, f"{obj.reference}: {text}", messages.ERROR)
                else:
                    self.message_user(request, f"{obj.reference}: {title}", messages.SUCCESS)
            return None
        return TemplateResponse(request, "admin/registry/reason_form.html", {
            **self.admin_site.each_context(request), "title": title, "objects": list(queryset), "form": form,
            "action": request.POST.get("action", ""), "opts": self.model._meta,
            "selected": request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME),
        })

    @admin.action(description=gettext_lazy("Record the investigation"), permissions=["decide"])
    def investigate_selected(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        return self._act(request, queryset, "investigate", _("Record the investigation"))

    @admin.action(description=gettext_lazy("Uphold: back to provincial review"), permissions=["decide"])
    def uphold_selected(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        return self._act(request, queryset, "uphold", _("Uphold the objection"))

    @admin.action(description=gettext_lazy("Dismiss: publicity may close"), permissions=["decide"])
    def dismiss_selected(self, request: HttpRequest, queryset: QuerySet) -> HttpResponse | None:
        return self._act(request, queryset, "dismiss", _("Dismiss the objection"))


class AnnouncementAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "tier", "published_on", "created_at"]
    list_filter = ["tier"]
    date_hierarchy = "published_on"


admin.site.register(Objection, ObjectionAdmin)
admin.site.register(Announcement, AnnouncementAdmin)
