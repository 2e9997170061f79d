"""No malformed query parameter makes a page crash.

Every admin list, its CSV/XLSX export, the admin's insight pages and the portal's pages are fetched with the
parameters their own pages link to (filters, sorting, paging, years, rulesets) and with each value replaced by
something hostile: text where a number belongs, a 20-digit or float-overflowing number, a NUL byte, a bare
``%``. Each answer is a page, an empty result, a redirect or a 400; never a server error. Under ``/api/`` every
answer is JSON, even for a path no route matches and with ``DEBUG`` on.
"""

from __future__ import annotations

import re
from html import unescape
from typing import Any
from urllib.parse import parse_qsl, urlencode

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import reverse

from tests.system.world import build_world

pytestmark = pytest.mark.django_db

HOSTILE = ["abc", "99999999999999999999", "-9223372036854775809", "99999", "1e308", "-1", "0.5", "\x00", "%", ""]
# Parameters some view reads without linking to them.
ALWAYS = ["year", "ruleset", "city", "county", "base", "p", "o", "q", "page"]


@pytest.fixture
def world() -> Any:
    return build_world()


def _client(user: Any) -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE="en", raise_request_exception=False)
    client.force_login(user)
    return client


def _linked_parameters(html: str) -> set[str]:
    names: set[str] = set()
    for href in re.findall(r'href="(\?[^"]*)"', html):
        names.update(name for name, _ in parse_qsl(unescape(href)[1:], keep_blank_values=True))
    names.update(re.findall(r'<(?:input|select)[^>]*name="([^"]+)"', html))
    return names - {"csrfmiddlewaretoken", "action", "_selected_action", "select_across", "index"}


def _sweep(client: Client, path: str, extra: set[str] = frozenset()) -> list[str]:
    first = client.get(path)
    assert first.status_code < 500, (path, first.status_code)
    html = first.content.decode("utf-8", "replace") if first.get("Content-Type", "").startswith("text/html") else ""
    failures = []
    for name in sorted(_linked_parameters(html) | set(ALWAYS) | set(extra)):
        for value in HOSTILE:
            response = client.get(f"{path}?{urlencode({name: value})}")
            if response.status_code >= 500:
                failures.append(f"{path}?{name}={value!r} -> {response.status_code}")
    return failures


def _changelists() -> list[str]:
    return [reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
            for model in admin.site._registry]


@pytest.mark.slow
@pytest.mark.parametrize("role", ["superuser", "city_in"])
def test_no_admin_list_or_export_crashes_on_malformed_parameters(world: Any, role: str) -> None:
    client = _client(world.users[role])
    failures = []
    for changelist in _changelists():
        page = client.get(changelist)
        if page.status_code != 200:
            continue
        names = _linked_parameters(page.content.decode())
        failures += _sweep(client, changelist)
        for fmt in ("csv", "xlsx"):
            export = changelist + f"export/{fmt}/"
            if client.get(export).status_code == 200:
                failures += _sweep(client, export, names)
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("role", ["superuser", "city_in"])
def test_no_admin_insight_page_crashes_on_malformed_parameters(world: Any, role: str) -> None:
    client = _client(world.users[role])
    paths = [reverse("insights:dashboard"), reverse("insights:simulation"), reverse("insights:simulation_draft"),
             reverse("insights:import"), reverse("insights:assessment_print", args=[world.enterprise_a.pk])]
    failures = [failure for path in paths for failure in _sweep(client, path)]
    assert not failures, "\n".join(failures)


def test_the_printable_assessment_with_a_twenty_digit_year_is_a_clear_answer(world: Any) -> None:
    client = _client(world.users["superuser"])
    path = reverse("insights:assessment_print", args=[world.enterprise_a.pk])
    response = client.get(path, {"year": "9" * 20})
    assert response.status_code in (400, 404)


def test_an_export_with_a_malformed_year_is_a_400_not_a_crash(world: Any) -> None:
    client = _client(world.users["superuser"])
    path = reverse("admin:evaluation_assessment_changelist") + "export/csv/"
    response = client.get(path, {"year": "abc"})
    assert response.status_code == 400
    assert b"year" in response.content.lower() or b"filter" in response.content.lower()


PORTAL_PAGES = ["portal:home", "portal:figures", "portal:assessment", "portal:assessment_print", "portal:apply",
                "portal:applications", "portal:members"]


def test_no_portal_page_crashes_on_malformed_parameters(world: Any) -> None:
    client = _client(world.users["member_a"])
    failures = []
    for name in PORTAL_PAGES:
        try:
            path = reverse(name)
        except Exception:  # noqa: BLE001 - a page this version of the portal does not have
            continue
        failures += _sweep(client, path)
    for path in (reverse("portal:financials", args=[2025]), reverse("portal:declaration", args=[2025])):
        failures += _sweep(client, path)
    assert not failures, "\n".join(failures)


@pytest.mark.parametrize("path", ["/api/applications/0.5/", "/api/nothing-here/", "/api/enterprises/abc/",
                                  "/api/enterprises/99999999999999999999/", "/api/applications/1/unknown/",
                                  "/api"])
@pytest.mark.parametrize("debug", [False, True])
def test_every_answer_under_the_api_is_json_even_with_debug_on(world: Any, settings: Any, path: str,
                                                              debug: bool) -> None:
    settings.DEBUG = debug
    client = Client(HTTP_ACCEPT_LANGUAGE="en", raise_request_exception=False)
    client.force_login(world.users["member_a"])
    response = client.get(path)
    assert response.status_code == 404, (path, response.status_code)
    assert response["Content-Type"].startswith("application/json"), response.content[:200]
    assert response.json() == {"detail": "Not found.", "errors": {}}


@pytest.mark.parametrize("query", ["page=abc", "page=99999999999999999999", "ordering=nonsense", "year=abc"])
def test_api_lists_answer_bad_query_parameters_with_json(world: Any, api_client: Any, query: str) -> None:
    api_client.force_authenticate(world.users["superuser"])
    for path in ("/api/enterprises/", "/api/applications/", "/api/certifications/"):
        response = api_client.get(f"{path}?{query}")
        assert response.status_code in (200, 400, 404), (path, query, response.status_code)
        assert response["Content-Type"].startswith("application/json")
