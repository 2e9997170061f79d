"""The experts' own pages under /experts/: their assignments, and for each the application, its evidence, the
engine's assessment and the scoring form. An expert reaches only their own assignments (anything else is 404)
and never another expert's score."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from . import expert_notices, experts, reviewer_notices
from .models import ApplicationStatus, Notification, Recommendation

LOGIN = "portal:login"


@login_required(login_url=LOGIN)
def assignment_list(request: HttpRequest) -> HttpResponse:
    seats = list(experts.assignments_of(request.user).order_by("submitted_at", "-pk"))
    return render(request, "registry/experts/list.html", {
        "seats": seats, "notices": expert_notices.notices_of(request.user),
        "email_notifications": reviewer_notices.wants_email(request.user)})


@login_required(login_url=LOGIN)
def notice_open(request: HttpRequest, pk: int) -> HttpResponse:
    """Open one of the expert's own notices: marked read, then their assignment."""
    note = get_object_or_404(Notification, pk=pk, user=request.user, kind=expert_notices.DRAWN_KIND)
    expert_notices.mark_read(note, request.user)
    seat = expert_notices.assignment_of(note)
    if seat is not None and experts.assignments_of(request.user).filter(pk=seat).exists():
        return redirect("experts:detail", pk=seat)
    return redirect("experts:list")


@login_required(login_url=LOGIN)
@require_POST
def preferences(request: HttpRequest) -> HttpResponse:
    """Turn the e-mails about new assignments on or off (the notices on this page are always kept)."""
    reviewer_notices.set_email_preference(request.user, request.POST.get("email_notifications") == "on")
    messages.success(request, _("Your e-mail preference is saved."))
    return redirect("experts:list")


def _seat(request: HttpRequest, pk: int) -> Any:
    return get_object_or_404(experts.assignments_of(request.user), pk=pk)


@login_required(login_url=LOGIN)
def assignment_detail(request: HttpRequest, pk: int) -> HttpResponse:
    seat = _seat(request, pk)
    app = seat.application
    review = experts.review_of(app)
    open_now = (seat.submitted_at is None and app.status == ApplicationStatus.EXPERT_REVIEW
                and experts.current_draw(app) is not None and experts.current_draw(app).pk == seat.draw_id)
    errors: dict[str, list[str]] = {}
    values: dict[str, str] = {}
    if request.method == "POST":
        values = {c.code: request.POST.get(f"score_{c.code}", "") for c in review.form}
        try:
            experts.submit_score(seat, user=request.user, scores=values,
                                 recommendation=request.POST.get("recommendation", ""),
                                 comment=request.POST.get("comment", ""))
        except ValidationError as exc:
            errors = exc.message_dict
        except PermissionDenied as exc:
            errors = {"__all__": [str(exc)]}
        else:
            return redirect("experts:detail", pk=seat.pk)
    form = [{"category": c, "value": values.get(c.code, ""), "errors": errors.get(c.code, [])}
            for c in review.form]
    context = {
        "seat": seat, "app": app, "review": review, "form": form, "open_now": open_now,
        "errors": errors, "general_errors": errors.get("__all__", []) + errors.get("application", [])
        + errors.get("scores", []) + errors.get("action", []),
        "recommendations": Recommendation.choices, "chosen_recommendation": request.POST.get("recommendation", ""),
        "assessment": app.assessment or {}, "evidence": list(app.evidence.all()),
        "own_scores": [(c, seat.scores.get(c.code)) for c in review.form] if seat.submitted_at else [],
        "not_open_reason": "" if open_now or seat.submitted_at else _(
            "Scores are taken only while the application is in expert review with this panel."),
    }
    return render(request, "registry/experts/detail.html", context)


@login_required(login_url=LOGIN)
def evidence_download(request: HttpRequest, pk: int, evidence_id: int) -> FileResponse:
    seat = _seat(request, pk)
    item = get_object_or_404(seat.application.evidence, pk=evidence_id)
    response = FileResponse(item.file.storage.open(item.file.name, "rb"), as_attachment=True,
                            filename=item.original_name, content_type=item.content_type)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
