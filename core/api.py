"""The API's one base for data endpoints: the region restriction is applied here, once.

A viewset that shows rows of enterprises derives from ``RestrictedViewSet`` and names its ``queryset``; what
the caller may see is ``queryset.restrict(user)`` (see ``RestrictedQuerySet``), so an endpoint cannot forget it.
Someone else's object is then simply not found (404), never revealed.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.conf import settings
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from rest_framework import permissions, viewsets
from rest_framework.exceptions import ValidationError

from .roles import ACTING_ENTERPRISE_SESSION_KEY, act_for


class RestrictedViewSet(viewsets.GenericViewSet):
    """A viewset over rows restricted to what ``request.user`` may see.

    Subclasses set ``queryset`` (with its ``select_related``) and may refine ``get_queryset`` by calling
    ``super()``; the restriction is never skipped.
    """

    permission_classes = [permissions.IsAuthenticated]

    def initial(self, request: Any, *args: Any, **kwargs: Any) -> None:
        """After authentication: a member acting for several enterprises is held to the chosen one (the
        ``X-Enterprise`` header, else the portal session's choice); naming one they are not a member of is a 400."""
        super().initial(request, *args, **kwargs)
        user = request.user
        if not getattr(user, "is_authenticated", False):
            return
        header = request.headers.get("X-Enterprise")
        session = getattr(request._request, "session", None)
        chosen = header if header is not None else (session or {}).get(ACTING_ENTERPRISE_SESSION_KEY)
        if chosen in (None, ""):
            return
        memberships = apps.get_model(settings.MEMBERSHIP_MODEL).objects.filter(user=user)
        if not str(chosen).isdigit() or not memberships.filter(enterprise_id=int(chosen)).exists():
            if header is None:
                return  # a stale portal choice: the restriction to the user's own enterprises still holds
            raise ValidationError({"X-Enterprise": [_("You do not act for enterprise %(id)s.") % {"id": chosen}]})
        act_for(user, int(chosen))

    def get_queryset(self) -> QuerySet:
        queryset = super().get_queryset()
        return queryset.restrict(self.request.user)

    def restricted(self, queryset: QuerySet) -> QuerySet:
        """Another queryset (a related list, a lookup) under the same restriction."""
        return queryset.restrict(self.request.user)

    @classmethod
    def is_restricted(cls, view: Any) -> bool:
        return isinstance(view, type) and issubclass(view, cls)
