"""The review round in the admin: rounds (批次), the reviewer's own notifications (with the e-mail preference),
the queue's deadline columns, and the list of enterprises that missed the annual update.

Every write goes through a service (``rounds``, ``reviewer_notices``); these classes only show and call.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.admin_base import ReadOnlyAdmin
from core.roles import visible_enterprises

from . import reviewer_notices, rounds
from .annual_update import lapsed_enterprises
from .deadlines import overdue_q, timing, with_stage_since
from .models import Application, LapsedAnnualUpdate, Notification, ReviewRound, RoundStatus


def error_text(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(exc.messages)
    return str(exc) or _("Not allowed.")


# --- rounds --------------------------------------------------------------------------------------------------


class ReviewRoundForm(forms.ModelForm):
    class Meta:
        model = ReviewRound
        fields = ["tier", "name", "opens_on", "closes_on"]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if not self.errors:
            try:
                rounds.validate_round(tier=data.get("tier"), name=data.get("name"), opens_on=data.get("opens_on"),
                                      closes_on=data.get("closes_on"))
            except ValidationError as exc:
                raise ValidationError(exc.message_dict)
        return data


@admin.register(ReviewRound)
class ReviewRoundAdmin(admin.ModelAdmin):
    """Provincial staff open a round here (the add form) and close it (the action); rows are not edited."""

    form = ReviewRoundForm
    list_display = ["tier", "name", "opens_on", "closes_on", "status", "opened_by", "closed_at"]
    list_filter = ["tier", "status"]
    actions = ["close_selected"]

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: ReviewRound, form: forms.ModelForm, change: bool) -> None:
        created = rounds.open_round(tier=obj.tier, name=obj.name, opens_on=obj.opens_on, closes_on=obj.closes_on,
                                    user=request.user)
        obj.pk = created.pk

    def get_actions(self, request: HttpRequest) -> dict:
        found = super().get_actions(request)
        if not request.user.has_perm("registry.add_reviewround"):
            found.pop("close_selected", None)
        return found

    @admin.action(description=gettext_lazy("Close the selected rounds"))
    def close_selected(self, request: HttpRequest, queryset: QuerySet) -> None:
        closed = 0
        for round_ in queryset.filter(status=RoundStatus.OPEN):
            try:
                rounds.close_round(round_, user=request.user)
            except (ValidationError, PermissionDenied) as exc:
                self.message_user(request, error_text(exc), messages.ERROR)
                return
            closed += 1
        self.message_user(request, _("%(n)s rounds closed.") % {"n": closed}, messages.SUCCESS)


# --- the reviewer's notifications ----------------------------------------------------------------------------


class PreferenceForm(forms.Form):
    email_notifications = forms.BooleanField(
        label=gettext_lazy("E-mail me when an application reaches my stage, and the daily digest"), required=False)


@admin.register(Notification)
class ReviewerNotificationAdmin(ReadOnlyAdmin):
    """Each staff user sees their own notifications only; opening one marks it read and leads to its
    application."""

    list_display = ["subject_link", "kind", "created_at", "read_at", "sent_at"]
    list_filter = ["kind"]
    list_per_page = 50

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_active and request.user.is_staff

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if not (request.user.is_active and request.user.is_staff):
            return False
        return obj is None or obj.user_id == request.user.pk

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).filter(user=request.user)

    @admin.display(description=gettext_lazy("subject"), ordering="subject")
    def subject_link(self, obj: Notification) -> str:
        style = "" if obj.read_at else "font-weight:bold"
        return format_html('<a class="notice-link" style="{}" href="{}">{}</a>', style,
                           reverse("admin:registry_notification_open", args=[obj.pk]), obj.subject)

    def get_urls(self) -> list:
        return [
            path("<int:pk>/open/", self.admin_site.admin_view(self.open_view), name="registry_notification_open"),
            path("preferences/", self.admin_site.admin_view(self.preferences_view),
                 name="registry_notification_preferences"),
            *super().get_urls(),
        ]

    def open_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        note = get_object_or_404(self.get_queryset(request), pk=pk)
        reviewer_notices.mark_read(note, request.user)
        application_id = reviewer_notices.application_of(note)
        if application_id is not None:
            return HttpResponseRedirect(reverse("admin:registry_application_change", args=[application_id]))
        return HttpResponseRedirect(reverse("admin:registry_notification_change", args=[note.pk]))

    def preferences_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        if request.method == "POST":
            form = PreferenceForm(request.POST)
            if form.is_valid():
                reviewer_notices.set_email_preference(request.user, form.cleaned_data["email_notifications"])
                self.message_user(request, _("Your e-mail preference is saved."), messages.SUCCESS)
                return HttpResponseRedirect(reverse("admin:registry_notification_changelist"))
        else:
            form = PreferenceForm(initial={"email_notifications": reviewer_notices.wants_email(request.user)})
        context = {**self.admin_site.each_context(request), "form": form, "title": _("Notification preferences"),
                   "opts": self.model._meta}
        return TemplateResponse(request, "admin/registry/notification_preferences.html", context)

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        context = {**(extra_context or {}),
                   "preferences_url": reverse("admin:registry_notification_preferences")}
        return super().changelist_view(request, context)


# --- the queue with deadlines --------------------------------------------------------------------------------


class OverdueFilter(admin.SimpleListFilter):
    title = gettext_lazy("deadline")
    parameter_name = "overdue"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("yes", _("Overdue"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "yes":
            return queryset.filter(overdue_q(timezone.localdate()))
        return queryset


# ``registry.admin`` imports this module on its last line, once the application admin is registered; taking the
# class from the site keeps the import one way.
ApplicationAdmin = type(admin.site.get_model_admin(Application))


class ReviewQueueAdmin(ApplicationAdmin):
    """The application admin with the queue's deadline columns: days in stage, days left, overdue."""

    list_display = [*ApplicationAdmin.list_display, "days_in_stage", "days_left", "overdue"]
    list_filter = [ApplicationAdmin.list_filter[0], OverdueFilter, *ApplicationAdmin.list_filter[1:]]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return with_stage_since(super().get_queryset(request))

    @admin.display(description=gettext_lazy("days in stage"))
    def days_in_stage(self, obj: Application) -> Any:
        value = timing(obj).days_in_stage
        return "—" if value is None else value

    @admin.display(description=gettext_lazy("days left"))
    def days_left(self, obj: Application) -> Any:
        value = timing(obj).days_left
        return "—" if value is None else value

    @admin.display(description=gettext_lazy("overdue"), boolean=True)
    def overdue(self, obj: Application) -> bool:
        return timing(obj).overdue


admin.site.unregister(Application)
admin.site.register(Application, ReviewQueueAdmin)


# --- certified enterprises that missed the annual update -----------------------------------------------------


@admin.register(LapsedAnnualUpdate)
class LapsedAnnualUpdateAdmin(ReadOnlyAdmin):
    """Reviewers see their region's certified enterprises that lost re-review eligibility (criteria.md §1.6)."""

    list_display = ["name", "uscc", "region"]
    search_fields = ["name", "=uscc"]
    list_select_related = ["region"]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return visible_enterprises(lapsed_enterprises(), request.user)
