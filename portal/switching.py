"""Accounts that act for several enterprises (a group's finance office, a service agency): the enterprise chosen
is kept in the session and shown in the header; every page and API call is restricted to it
(``core.roles.act_for``). Choosing an enterprise the user is not a member of is refused, and the choice is
re-checked on every request, so a membership removed meanwhile ends it."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.roles import ACTING_ENTERPRISE_SESSION_KEY, act_for
from enterprises.models import Membership


def memberships_of(user: Any) -> list[Membership]:
    return list(Membership.objects.select_related("enterprise", "enterprise__region")
                .filter(user=user).order_by("created_at", "id"))


def current_membership(request: HttpRequest) -> Membership | None:
    """The chosen enterprise's membership (the first one when none is chosen or the choice lapsed); holds the
    user to it for the rest of the request."""
    memberships = memberships_of(request.user)
    request.memberships = memberships
    if not memberships:
        return None
    chosen = request.session.get(ACTING_ENTERPRISE_SESSION_KEY)
    membership = next((m for m in memberships if m.enterprise_id == chosen), memberships[0])
    act_for(request.user, membership.enterprise_id)
    return membership


@login_required(login_url="portal:login")
@require_POST
def switch_enterprise(request: HttpRequest) -> HttpResponse:
    raw = request.POST.get("enterprise", "")
    membership = (Membership.objects.select_related("enterprise").filter(user=request.user, enterprise_id=raw)
                  .first() if raw.isdigit() else None)
    if membership is None:
        raise Http404(_("You do not act for this enterprise."))
    request.session[ACTING_ENTERPRISE_SESSION_KEY] = membership.enterprise_id
    messages.success(request, _("You now act for %(name)s.") % {"name": membership.enterprise.name})
    return redirect("portal:home")
