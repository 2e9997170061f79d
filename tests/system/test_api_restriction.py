"""Every API view that serves rows derives from ``core.api.RestrictedViewSet``, so a new endpoint cannot forget the
region restriction. The URL resolver is walked under ``/api/``; the few views that serve no enterprise rows, or
restrict by hand, are on the allow-list below with the reason."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.urls import URLPattern, URLResolver, get_resolver

from core.api import RestrictedViewSet

ALLOWED = {
    # sign-up: creates the caller's own user and enterprise, returns only those
    "enterprises.api.views.RegisterView",
    # the caller's own token for their own password
    "enterprises.api.views.TokenView",
    # revokes the caller's own tokens: no enterprise rows
    "enterprises.api.views.TokenRevokeView",
    # the tiers and rulesets in force: programme data, no enterprise rows
    "registry.api.views.TierListView",
    # one file of one application, looked up through ``Application.objects.restrict(user)``
    "registry.api.views.EvidenceDownloadView",
    # the OpenAPI schema and its documentation pages
    "drf_spectacular.views.SpectacularAPIView",
    "drf_spectacular.views.SpectacularSwaggerView",
    # the router's index of endpoint addresses
    "rest_framework.routers.APIRootView",
}


def _walk(patterns: list[Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    for entry in patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from _walk(entry.url_patterns, route)
        elif isinstance(entry, URLPattern):
            yield route, entry.callback


def _api_views() -> dict[str, Any]:
    found = {}
    for route, callback in _walk(get_resolver().url_patterns):
        if route.lstrip("^").startswith("api/"):
            view = getattr(callback, "cls", None) or getattr(callback, "view_class", None) or callback
            found[route] = view
    return found


def _name(view: Any) -> str:
    return f"{view.__module__}.{view.__qualname__}"


def test_every_api_view_serving_rows_is_restricted() -> None:
    views = _api_views()
    assert any(isinstance(v, type) and issubclass(v, RestrictedViewSet) for v in views.values())
    unrestricted = sorted({f"{route} → {_name(view)}" for route, view in views.items()
                           if not RestrictedViewSet.is_restricted(view) and _name(view) not in ALLOWED})
    assert not unrestricted, "API views outside RestrictedViewSet and the allow-list:\n" + "\n".join(unrestricted)


def test_the_allow_list_names_only_views_that_exist() -> None:
    names = {_name(view) for view in _api_views().values()}
    stale = sorted(n for n in ALLOWED if n not in names and not n.startswith("rest_framework.routers"))
    assert not stale, f"allow-listed but not served under /api/: {stale}"
