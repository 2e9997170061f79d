"""Admin building blocks the apps share: lists scoped to the reviewer's region, read-only lists of rows only
services write."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from .roles import visible_enterprises


class RegionScopedAdmin(admin.ModelAdmin):
    """Reviewers see only their region's rows; provincial staff and superusers see everything
    (``enterprise_path`` leads from the row to its enterprise; empty for the enterprise itself)."""

    enterprise_path = ""

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return visible_enterprises(super().get_queryset(request), request.user, prefix=self.enterprise_path)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Rows written only by services (decisions, jobs, audit): the admin lists and shows them, never edits."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class RegionReadOnlyAdmin(ReadOnlyAdmin, RegionScopedAdmin):
    """Read-only rows of enterprises, restricted to the reviewer's region."""

    enterprise_path = "enterprise"
