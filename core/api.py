"""The API's one base for data endpoints: the region restriction is applied here, once.

A viewset that shows rows of enterprises derives from ``RestrictedViewSet`` and names its ``queryset``; what
the caller may see is ``queryset.restrict(user)`` (see ``RestrictedQuerySet``), so an endpoint cannot forget it.
Someone else's object is then simply not found (404), never revealed.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from rest_framework import permissions, viewsets


class RestrictedViewSet(viewsets.GenericViewSet):
    """A viewset over rows restricted to what ``request.user`` may see.

    Subclasses set ``queryset`` (with its ``select_related``) and may refine ``get_queryset`` by calling
    ``super()``; the restriction is never skipped.
    """

    permission_classes = [permissions.IsAuthenticated]

    def get_queryset(self) -> QuerySet:
        queryset = super().get_queryset()
        return queryset.restrict(self.request.user)

    def restricted(self, queryset: QuerySet) -> QuerySet:
        """Another queryset (a related list, a lookup) under the same restriction."""
        return queryset.restrict(self.request.user)

    @classmethod
    def is_restricted(cls, view: Any) -> bool:
        return isinstance(view, type) and issubclass(view, cls)
