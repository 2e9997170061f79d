"""Request-wide guards: malformed query parameters are a 400, and every error under ``/api/`` is JSON.

- ``MalformedQueryMiddleware``: a query parameter holding a NUL character (PostgreSQL refuses it in text) or an
  integer beyond 64 bits (SQLite and Python's dates refuse it) cannot mean anything in this application. It is
  answered with a 400 naming the parameter before any view turns it into a database error. Free-text search
  parameters are left alone (a long number is a fair thing to search for).
- ``ApiJsonErrorsMiddleware``: clients parse every answer under ``/api/``. Django answers some failures itself,
  in HTML: a URL no route matches (with ``DEBUG`` on its technical 404 page, which ``handler404`` never sees), a
  disallowed host, a CSRF failure, a server error under ``DEBUG``. Such answers are replaced by the API's error
  shape ``{"detail": ..., "errors": {}}`` with the same status. The documentation pages stay HTML.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from http import HTTPStatus

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.utils.translation import gettext as _

INTEGER = re.compile(r"[+-]?\d+")
INT64_MAX = 2**63 - 1
FREE_TEXT = frozenset({"q", "search"})
API_PAGES = ("/api/docs/", "/api/schema/")


def is_api(path: str) -> bool:
    return path == "/api" or (path.startswith("/api/") and not path.startswith(API_PAGES))


def malformed_parameter(request: HttpRequest) -> tuple[str, str] | None:
    """The first query parameter no view can use, with the reason; ``None`` when all are usable."""
    for name, values in request.GET.lists():
        if "\x00" in name:
            return name.replace("\x00", "\\x00"), _("contains a NUL character")
        for value in values:
            if "\x00" in value:
                return name, _("contains a NUL character")
            if name not in FREE_TEXT and INTEGER.fullmatch(value.strip()) and abs(int(value)) > INT64_MAX:
                return name, _("the number is out of range")
    return None


class MalformedQueryMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        problem = malformed_parameter(request)
        if problem is None:
            return self.get_response(request)
        name, reason = problem
        detail = _("Invalid query parameter %(name)s: %(reason)s.") % {"name": name, "reason": reason}
        if is_api(request.path):
            return JsonResponse({"detail": detail, "errors": {name: [reason]}}, status=400)
        return HttpResponseBadRequest(detail, content_type="text/plain; charset=utf-8")


class ApiJsonErrorsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code < 400 or not is_api(request.path):
            return response
        if response.get("Content-Type", "").startswith("application/json"):
            return response
        json = JsonResponse({"detail": _message(response.status_code), "errors": {}}, status=response.status_code)
        for header in ("Retry-After", "WWW-Authenticate", "Allow"):
            if header in response:
                json[header] = response[header]
        return json


def _message(status: int) -> str:
    if status == 404:
        return _("Not found.")
    if status >= 500:
        return _("Server error.")
    try:
        return HTTPStatus(status).phrase + "."
    except ValueError:
        return _("Request failed.")
