"""Portal views: thin, each resolving the signed-in user's enterprise and calling the domain services.

Everything a page shows is looked up through the user's own enterprise, so another enterprise's ids in a URL
are simply not found (404).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.validators import EARLIEST_FIGURES_YEAR, is_figures_year
from enterprises import confirmations, log_context
from enterprises import services as enterprise_services
from enterprises.models import CONFIRMABLE, Declaration, Enterprise, FinancialYear, Membership, Tier
from registry import applications, eligibility, evidence, workflow
from registry.evidence import missing_claims
from registry.ledger import enterprise_ledger
from registry.models import (
    Application,
    Certification,
    Evidence,
    EvidenceClaim,
    Notification,
    SupportRecord,
)
from registry.workflow import Action, Role

from . import assessments, invitations
from .dues import open_rereview_tiers, whats_due
from .forms import (
    AcceptInvitationForm,
    ApplyForm,
    AssessmentForm,
    DeclarationForm,
    EvidenceForm,
    FinancialsForm,
    InviteForm,
    ReasonForm,
    SignupForm,
    YearForm,
    apply_service_errors,
)
from .switching import current_membership
from .timeline import application_timeline

LOGIN_URL = "portal:login"


def enterprise_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Signed-in users who act for an enterprise; the enterprise is passed to the view."""

    @login_required(login_url=LOGIN_URL)
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        membership = current_membership(request)  # the enterprise chosen in the session (portal/switching.py)
        if membership is None:
            return render(request, "portal/no_enterprise.html", status=403)
        request.enterprise = membership.enterprise
        request.membership = membership
        log_context.bind(enterprise=membership.enterprise_id)
        return view(request, membership.enterprise, *args, **kwargs)

    return wrapper


def _own_application(enterprise: Enterprise, pk: int) -> Application:
    return get_object_or_404(Application.objects.select_related("ruleset", "certification"), pk=pk,
                             enterprise=enterprise)


# --- account ----------------------------------------------------------------------------------------------------


class PortalLoginView(LoginView):
    template_name = "portal/login.html"
    redirect_authenticated_user = True
    next_page = reverse_lazy("portal:home")


def signup(request: HttpRequest) -> HttpResponse:
    """Register an enterprise and its first (owner) account; the service checks the USCC check digit again."""
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            user, enterprise = enterprise_services.register_enterprise(
                username=data["username"], password=data["password1"], email=data["email"],
                enterprise={"uscc": data["uscc"], "name": data["name"], "region_code": data["region"],
                            "sector": data["sector"], "established_year": data["established_year"]},
            )
        except ValidationError as exc:
            apply_service_errors(form, exc, SignupForm.SERVICE_NAMES)
        else:
            login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, _("Welcome! Start by entering your yearly figures."))
            return redirect("portal:home")
    return render(request, "portal/signup.html", {"form": form})


# --- home -------------------------------------------------------------------------------------------------------


@enterprise_required
def home(request: HttpRequest, enterprise: Enterprise) -> HttpResponse:
    today = timezone.localdate()
    certifications = list(Certification.objects.filter(enterprise=enterprise, status="active").order_by("-granted_on"))
    valid = [c for c in certifications if c.granted_on <= today <= c.expires_on]
    applications = list(enterprise.applications.open().order_by("-created_at"))
    notifications = list(
        Notification.objects.filter(Q(enterprise=enterprise) | Q(user=request.user)).order_by("-created_at")[:10]
    )
    context = {
        "enterprise": enterprise,
        "certifications": certifications,
        "applications": applications,
        "dues": whats_due(enterprise, valid, open_rereview_tiers(enterprise), today),
        "notifications": notifications,
        "today": today,
    }
    return render(request, "portal/home.html", context)


# --- yearly figures ---------------------------------------------------------------------------------------------


def _check_year(year: int) -> None:
    if not is_figures_year(year):
        raise Http404(_("No figures for that year."))


@enterprise_required
def figures(request: HttpRequest, enterprise: Enterprise) -> HttpResponse:
    """Every year with figures, what each has, and a year picker to add or open one."""
    this_year = timezone.localdate().year
    fin_years = set(FinancialYear.objects.filter(enterprise=enterprise).values_list("year", flat=True))
    decl_years = set(Declaration.objects.filter(enterprise=enterprise).values_list("year", flat=True))
    years = sorted(fin_years | decl_years | {this_year - 1, this_year - 2, this_year - 3}, reverse=True)
    rows = [{"year": y, "financials": y in fin_years, "declaration": y in decl_years} for y in years]
    picker = YearForm(request.GET or None, years=list(range(this_year, EARLIEST_FIGURES_YEAR - 1, -1)))
    if request.GET and picker.is_valid():
        return redirect("portal:financials", year=picker.cleaned_data["year"])
    return render(request, "portal/figures.html", {"enterprise": enterprise, "rows": rows, "picker": picker})


@enterprise_required
def financials_form(request: HttpRequest, enterprise: Enterprise, year: int) -> HttpResponse:
    _check_year(year)
    row = FinancialYear.objects.filter(enterprise=enterprise, year=year).first()
    form = FinancialsForm(request.POST or None, instance=row)
    if request.method == "POST" and form.is_valid():
        try:
            enterprise_services.save_financials(enterprise, year, form.cleaned_data, reason=_("Portal"))
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Financial figures for %(year)s saved.") % {"year": year})
            return redirect("portal:declaration", year=year)
    return render(request, "portal/figures_form.html", {
        "enterprise": enterprise, "form": form, "year": year, "which": "financials",
        "title": _("Financial figures %(year)s") % {"year": year},
    })


@enterprise_required
def declaration_form(request: HttpRequest, enterprise: Enterprise, year: int) -> HttpResponse:
    _check_year(year)
    row = Declaration.objects.filter(enterprise=enterprise, year=year).first()
    form = DeclarationForm(request.POST or None, instance=row)
    if request.method == "POST" and form.is_valid():
        try:
            enterprise_services.save_declaration(
                enterprise, year, form.cleaned_data, reason=_("Portal"), replace=False
            )
        except ValidationError as exc:
            apply_service_errors(form, exc, assessments.DECLARATION_FIELD_OF_PATH)
        else:
            messages.success(request, _("Declaration for %(year)s saved.") % {"year": year})
            return redirect("portal:figures")
    verdicts = [{"label": Declaration._meta.get_field(CONFIRMABLE[path]).verbose_name, "verdict": verdict}
                for path, _value, verdict in (confirmations.pending_items(row) if row else [])]
    return render(request, "portal/figures_form.html", {
        "enterprise": enterprise, "form": form, "year": year, "which": "declaration",
        "title": _("Declaration %(year)s") % {"year": year}, "verdicts": verdicts,
    })


# --- self-assessment --------------------------------------------------------------------------------------------


@enterprise_required
def assessment(request: HttpRequest, enterprise: Enterprise, printable: bool = False) -> HttpResponse:
    """Evaluate the stored figures live for a chosen year and ruleset; nothing is written."""
    years = list(Declaration.objects.filter(enterprise=enterprise).order_by("-year").values_list("year", flat=True))
    rulesets = assessments.ruleset_choices()
    default_ruleset = assessments.default_ruleset_code()
    form = AssessmentForm(
        request.GET or None, years=years, rulesets=rulesets,
        initial={"year": years[0] if years else None, "ruleset": default_ruleset},
    )
    context: dict[str, Any] = {"enterprise": enterprise, "form": form, "years": years, "printable": printable}
    if years:
        if request.GET and form.is_valid():
            year, code = form.cleaned_data["year"], form.cleaned_data["ruleset"]
        else:
            year, code = years[0], default_ruleset
        context.update(assessments.self_assessment(enterprise, year, code))
    template = "portal/assessment_print.html" if printable else "portal/assessment.html"
    return render(request, template, context)


# --- applications -----------------------------------------------------------------------------------------------


@enterprise_required
def apply(request: HttpRequest, enterprise: Enterprise) -> HttpResponse:
    """Choose a tier: those whose preconditions can be met are offered, the others show why not."""

    years = list(Declaration.objects.filter(enterprise=enterprise).order_by("-year").values_list("year", flat=True))
    if not years:
        return render(request, "portal/apply.html", {"enterprise": enterprise, "years": years})
    # The figures year comes from the year picker (GET) or the form's hidden field (POST), one of the declared years.
    data = request.POST if request.method == "POST" else request.GET
    year_form = YearForm(data or None, years=years, initial={"year": years[0]})
    year = year_form.cleaned_data["year"] if data and year_form.is_valid() else years[0]
    options = [
        {"tier": tier, "label": Tier(tier).label, "allowed": allowed, "reason": reason}
        for tier, allowed, reason in eligibility.tier_options(enterprise, year)
    ]
    form = ApplyForm(request.POST or None, initial={"year": year},
                     tiers=[(o["tier"], o["label"]) for o in options if o["allowed"]])
    if request.method == "POST" and form.is_valid():
        try:
            application = applications.create_application(
                enterprise=enterprise, tier=form.cleaned_data["tier"], year=year, user=request.user
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Draft application created. Attach the evidence, review and submit."))
            return redirect("portal:application", pk=application.pk)
    return render(request, "portal/apply.html", {
        "enterprise": enterprise, "years": years, "year": year, "year_form": year_form, "form": form,
        "options": options, "applications": enterprise.applications.all(),
    })


def _actions(application: Application, user: Any) -> set[str]:
    """What ``user`` may do to the application now, as the registry's workflow says."""
    return set(workflow.available_actions(application, user))


def _event_rows(events: list[Any]) -> list[dict[str, Any]]:
    """Each history entry with its action and role in words."""
    actions, roles = dict(Action.choices), dict(Role.choices)
    return [{"event": e, "action": actions.get(e.action, e.action), "role": roles.get(e.actor_role, e.actor_role)}
            for e in events]


def _render_application(request: HttpRequest, enterprise: Enterprise, application: Application,
                        evidence_form: EvidenceForm | None = None, status: int = 200) -> HttpResponse:
    events = list(application.events.all())
    evidence = list(application.evidence.all())
    actions = _actions(application, request.user)
    editable = application.status in ("draft", "returned")
    context: dict[str, Any] = {
        "enterprise": enterprise,
        "application": application,
        "events": _event_rows(events),
        "timeline": application_timeline(application, events),
        "evidence": evidence,
        "evidence_editable": editable,
        "missing_claims": [EvidenceClaim(c).label for c in missing_claims(application, evidence)] if editable else [],
        "actions": actions,
        "evidence_form": evidence_form or EvidenceForm(),
        "withdraw_form": ReasonForm(),
    }
    if application.assessment:
        context["stored"] = assessments.present_result(application.assessment, application.ruleset,
                                                       only=application.tier)
    if actions & {"submit", "resubmit"}:
        # The review step: the assessment submitting now would store (the ruleset in force today judges it).
        context["preview"] = assessments.self_assessment(
            enterprise, application.year, assessments.default_ruleset_code(), only=application.tier
        )
    return render(request, "portal/application.html", context, status=status)


@enterprise_required
def application_detail(request: HttpRequest, enterprise: Enterprise, pk: int) -> HttpResponse:
    return _render_application(request, enterprise, _own_application(enterprise, pk))


@enterprise_required
@require_POST
def evidence_upload(request: HttpRequest, enterprise: Enterprise, pk: int) -> HttpResponse:
    application = _own_application(enterprise, pk)

    form = EvidenceForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            evidence.add_evidence(application, user=request.user, claim=form.cleaned_data["claim"],
                                           uploaded_file=form.cleaned_data["file"])
        except ValidationError as exc:
            apply_service_errors(form, exc, {"uploaded_file": "file"})
        else:
            messages.success(request, _("File attached."))
            return redirect("portal:application", pk=pk)
    return _render_application(request, enterprise, application, evidence_form=form, status=400)


@enterprise_required
def evidence_file(request: HttpRequest, enterprise: Enterprise, pk: int, evidence_pk: int) -> FileResponse:
    application = _own_application(enterprise, pk)
    item = get_object_or_404(Evidence, pk=evidence_pk, application=application)
    return FileResponse(item.file.open("rb"), as_attachment=True, filename=item.original_name)


@enterprise_required
@require_POST
def application_submit(request: HttpRequest, enterprise: Enterprise, pk: int) -> HttpResponse:
    application = _own_application(enterprise, pk)

    try:
        applications.submit_application(application, user=request.user)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Application submitted for review."))
    return redirect("portal:application", pk=pk)


@enterprise_required
@require_POST
def application_withdraw(request: HttpRequest, enterprise: Enterprise, pk: int) -> HttpResponse:
    application = _own_application(enterprise, pk)

    form = ReasonForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        applications.withdraw(application, user=request.user, reason=reason)
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, _("Application withdrawn."))
    return redirect("portal:application", pk=pk)


# --- members ----------------------------------------------------------------------------------------------------


@enterprise_required
def members(request: HttpRequest, enterprise: Enterprise) -> HttpResponse:
    form = InviteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            invitations.send_invitation(
                enterprise, form.cleaned_data["email"], request.user,
                lambda token: request.build_absolute_uri(reverse("portal:accept_invitation", args=[token])),
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            messages.success(request, _("Invitation sent to %(email)s.") % {"email": form.cleaned_data["email"]})
            return redirect("portal:members")
    memberships = Membership.objects.filter(enterprise=enterprise).select_related("user").order_by("created_at")
    return render(request, "portal/members.html", {"enterprise": enterprise, "memberships": memberships,
                                                   "form": form})


def accept_invitation(request: HttpRequest, token: str) -> HttpResponse:
    """Open to anyone holding a valid link: choose a username and password, then sign in as the new member."""
    try:
        invitation = invitations.read_token(token)
    except ValidationError as exc:
        return render(request, "portal/invitation_invalid.html", {"message": exc.messages[0]}, status=400)
    candidate = get_user_model()(email=invitation.email)
    form = AcceptInvitationForm(candidate, request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = invitations.accept(invitation, username=form.cleaned_data["username"],
                                      password=form.cleaned_data["new_password1"])
        except ValidationError as exc:  # accepted meanwhile, by another request with the same link
            return render(request, "portal/invitation_invalid.html", {"message": exc.messages[0]}, status=400)
        login(request, user, backend="django.contrib.auth.backends.ModelBackend")
        messages.success(request, _("Welcome to %(name)s.") % {"name": invitation.enterprise.name})
        return redirect("portal:home")
    return render(request, "portal/accept_invitation.html", {"form": form, "invitation": invitation,
                                                             "today": datetime.date.today()})


# --- support received (the public side of the support ledger) --------------------------------------------------


@enterprise_required
def support(request: HttpRequest, enterprise: Enterprise) -> HttpResponse:
    """The support recorded for the enterprise; notes the reviewers marked internal are never listed."""
    records = (SupportRecord.objects.public().filter(enterprise=enterprise).select_related("kind")
               .order_by("-happened_on", "-id"))
    return render(request, "portal/support.html", {"enterprise": enterprise, "records": records})


@enterprise_required
def ledger(request: HttpRequest, enterprise: Enterprise) -> HttpResponse:
    """The enterprise's ledger (tiers held, assessments per year, pool stays, support, applications, alerts);
    the support notes the reviewers marked internal are never listed."""
    return render(request, "portal/ledger.html", {"enterprise": enterprise,
                                                  "ledger": enterprise_ledger(enterprise, for_enterprise=True)})

