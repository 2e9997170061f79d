"""Login lockout: per username from an address, and per address across usernames.

django-axes locks a username out from an address after ``AXES_FAILURE_LIMIT`` failures. Someone trying one
password on many usernames never reaches that, so the handler also locks the address out once its failures over
all usernames within the cool-off reach ``AXES_ADDRESS_FAILURE_LIMIT``. The same lock covers the portal, the
admin and the API token endpoint (they all log in through Django's ``authenticate``). The answer under
``/api/`` is the API's JSON error shape with ``Retry-After``.
"""

from __future__ import annotations

from typing import Any

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_cool_off, get_lockout_message
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Sum
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from .middleware import is_api


class AddressLockoutHandler(AxesDatabaseHandler):
    def is_locked(self, request: HttpRequest, credentials: dict | None = None) -> bool:
        return super().is_locked(request, credentials) or address_failures(request) >= address_failure_limit()

    def user_login_failed(self, sender: Any, credentials: dict, request: HttpRequest | None = None,
                          **kwargs: Any) -> None:
        """Record the failure as axes does; then flag the request locked out when its address is over the limit
        (axes itself only compares the per-username count, and the backend's flag is not kept on a failure)."""
        super().user_login_failed(sender, credentials, request, **kwargs)
        if request is not None and address_failures(request) >= address_failure_limit():
            request.axes_locked_out = True
            request.axes_credentials = credentials


def address_failure_limit() -> int:
    return int(settings.AXES_ADDRESS_FAILURE_LIMIT)


def address_failures(request: HttpRequest) -> int:
    """Failed logins from the request's address within the cool-off, over every username."""
    address = getattr(request, "axes_ip_address", None)
    if not address:
        return 0
    attempts = AccessAttempt.objects.filter(ip_address=address)
    cool_off = get_cool_off(request)
    if cool_off:
        attempts = attempts.filter(attempt_time__gte=timezone.now() - cool_off)
    return attempts.aggregate(total=Sum("failures_since_start"))["total"] or 0


def lockout_response(request: HttpRequest, original_response: HttpResponse | None = None,
                     credentials: Any = None) -> HttpResponse:
    cool_off = get_cool_off(request)
    retry_after = str(int(cool_off.total_seconds())) if cool_off else None
    if is_api(request.path):
        reason = _("Too many failed logins from this address or for this username; try again later.")
        response: HttpResponse = JsonResponse({"detail": reason, "errors": {"non_field_errors": [reason]}},
                                              status=429)
    else:
        response = HttpResponse(get_lockout_message(), status=429, content_type="text/plain; charset=utf-8")
    if retry_after:
        response["Retry-After"] = retry_after
    return response
