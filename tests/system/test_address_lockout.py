"""One address trying many usernames is locked out, on the portal, the admin and the API alike; the API says
so in its JSON error shape; another address is not affected."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from rest_framework.test import APIClient
from rest_framework.throttling import ScopedRateThrottle

from tests.factories import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.axes]

USERNAMES = 30


@pytest.fixture(autouse=True)
def _no_rate_throttle(monkeypatch: Any) -> None:
    """The API's per-minute throttle would answer first; this is about the lockout behind it."""
    monkeypatch.setattr(ScopedRateThrottle, "THROTTLE_RATES", {"login": "1000/min"})


def _portal(client: Client, username: str, password: str) -> Any:
    return client.post("/login/", {"username": username, "password": password})


def _admin(client: Client, username: str, password: str) -> Any:
    return client.post("/admin/login/?next=/admin/", {"username": username, "password": password})


def _api(client: Client, username: str, password: str) -> Any:
    return client.post("/api/auth/token/", {"username": username, "password": password},
                       content_type="application/json")


@pytest.mark.parametrize("login", [_portal, _admin, _api], ids=["portal", "admin", "api"])
def test_thirty_usernames_from_one_address_are_stopped(settings: Any, login: Any) -> None:
    UserFactory(username="real-user", is_staff=True)
    client = Client(HTTP_ACCEPT_LANGUAGE="en", REMOTE_ADDR="203.0.113.7")
    codes = [login(client, f"guess-{n}", "Winter2026!").status_code for n in range(USERNAMES)]
    limit = settings.AXES_ADDRESS_FAILURE_LIMIT
    assert limit < USERNAMES
    # As axes counts per username: the failure that reaches the limit is answered with the lockout.
    assert 429 not in codes[:limit - 1], codes
    assert set(codes[limit - 1:]) == {429}, codes
    # The address is locked, even for a real account with its right password...
    assert login(client, "real-user", "correct-horse-battery").status_code == 429
    # ...but another address is not.
    other = Client(HTTP_ACCEPT_LANGUAGE="en", REMOTE_ADDR="198.51.100.9")
    assert login(other, "real-user", "correct-horse-battery").status_code in (200, 302)


def test_the_api_lockout_answer_is_the_api_error_shape(settings: Any) -> None:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en", REMOTE_ADDR="203.0.113.8")
    for n in range(settings.AXES_ADDRESS_FAILURE_LIMIT - 1):
        client.post("/api/auth/token/", {"username": f"guess-{n}", "password": "x"}, format="json")
    response = client.post("/api/auth/token/", {"username": "another", "password": "x"}, format="json")
    assert response.status_code == 429
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"detail", "errors"} and "Too many failed logins" in body["detail"]
    assert int(response["Retry-After"]) > 0


def test_the_per_username_lockout_still_answers_in_json_on_the_api(settings: Any) -> None:
    UserFactory(username="victim")
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en", REMOTE_ADDR="203.0.113.9")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/api/auth/token/", {"username": "victim", "password": "wrong"}, format="json")
    response = client.post("/api/auth/token/", {"username": "victim", "password": "correct-horse-battery"},
                           format="json")
    assert response.status_code == 429
    assert response.json()["errors"] == {"non_field_errors": [response.json()["detail"]]}
