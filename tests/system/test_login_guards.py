"""Guessing passwords is slow: the token and sign-up endpoints are throttled, the admin login locks a username
out after repeated failures (django-axes), and weak passwords are refused at sign-up."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from rest_framework.settings import api_settings
from rest_framework.throttling import ScopedRateThrottle

from enterprises.uscc import make_uscc
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _allowed_per_window() -> int:
    """The configured ``login`` rate (LOGIN_THROTTLE_RATE, default 10/min), as DRF reads it."""
    rate = ScopedRateThrottle.THROTTLE_RATES["login"]
    assert rate == api_settings.DEFAULT_THROTTLE_RATES["login"]
    return int(rate.split("/")[0])


def test_the_token_endpoint_is_throttled_at_the_configured_rate(api_client: Any) -> None:
    UserFactory(username="victim")
    limit = _allowed_per_window()
    codes = [api_client.post("/api/auth/token/", {"username": "victim", "password": f"guess-{n}"},
                             format="json").status_code for n in range(limit + 2)]
    assert codes[:limit] == [400] * limit  # wrong passwords: refused
    assert codes[limit:] == [429, 429]  # then throttled, even before checking the password
    # Even the right password waits out the window: the throttle counts attempts, not failures.
    right = api_client.post("/api/auth/token/", {"username": "victim", "password": "correct-horse-battery"},
                            format="json")
    assert right.status_code == 429
    assert "Retry-After" in right.headers and right.json()["detail"]


def test_sign_up_shares_the_login_throttle(api_client: Any) -> None:
    limit = _allowed_per_window()
    codes = [api_client.post("/api/register/", {"username": f"u{n}"}, format="json").status_code
             for n in range(limit + 1)]
    assert codes[:limit] == [400] * limit and codes[-1] == 429


def _registration(password: str, username: str = "new-owner") -> dict[str, Any]:
    return {"username": username, "password": password, "email": "owner@example.com",
            "enterprise": {"uscc": make_uscc("330106"), "name": "新企业有限公司", "region_code": "330106",
                           "sector": "industry", "established_year": 2016}}


@pytest.mark.parametrize("password, reason", [
    ("short7", "too short"),
    ("password123", "too common"),
    ("4815162342", "entirely numeric"),
    ("new-owner-1", "too similar"),
])
def test_sign_up_refuses_weak_passwords(api_client: Any, password: str, reason: str) -> None:
    response = api_client.post("/api/register/", _registration(password), format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert list(errors) == ["password"], errors
    assert any(reason in message.lower() for message in errors["password"]), errors
    assert not UserFactory._meta.model.objects.filter(username="new-owner").exists()


def test_sign_up_accepts_a_strong_password(api_client: Any) -> None:
    response = api_client.post("/api/register/", _registration("violet-harbour-trams-42"), format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["token"]


def _admin_login(client: Client, username: str, password: str) -> Any:
    return client.post("/admin/login/?next=/admin/", {"username": username, "password": password})


@pytest.mark.axes
def test_admin_login_locks_a_username_out_after_repeated_failures(settings: Any) -> None:
    UserFactory(username="admin-user", is_staff=True)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        response = _admin_login(client, "admin-user", "wrong-password")
        assert response.status_code == 200  # the form again, with an error
    locked = _admin_login(client, "admin-user", "wrong-password")
    assert locked.status_code == 429
    # Locked out: the right password is refused too until the cool-off ends.
    assert _admin_login(client, "admin-user", "correct-horse-battery").status_code == 429
    # Another username from the same address is not punished for it.
    UserFactory(username="other-admin", is_staff=True)
    assert _admin_login(client, "other-admin", "correct-horse-battery").status_code == 302


@pytest.mark.axes
def test_a_successful_login_resets_the_failure_count(settings: Any) -> None:
    UserFactory(username="forgetful", is_staff=True)
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        _admin_login(client, "forgetful", "wrong-password")
    assert _admin_login(client, "forgetful", "correct-horse-battery").status_code == 302
    client.logout()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert _admin_login(client, "forgetful", "wrong-password").status_code == 200


def test_axes_is_off_in_ordinary_tests_so_repeated_logins_never_lock_out(settings: Any) -> None:
    assert settings.AXES_ENABLED is False
    UserFactory(username="repeat", is_staff=True)
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT + 2):
        _admin_login(client, "repeat", "wrong-password")
    assert _admin_login(client, "repeat", "correct-horse-battery").status_code == 302


def test_a_forged_forwarded_for_header_does_not_dodge_the_throttle(api_client: Any) -> None:
    limit = _allowed_per_window()
    codes = [api_client.post("/api/auth/token/", {"username": "x", "password": "y"}, format="json",
                             HTTP_X_FORWARDED_FOR=f"10.0.0.{n}").status_code for n in range(limit + 1)]
    assert codes[-1] == 429


@pytest.mark.axes
def test_a_forged_forwarded_for_header_does_not_dodge_the_lockout(settings: Any) -> None:
    UserFactory(username="target", is_staff=True)
    client = Client()
    for n in range(settings.AXES_FAILURE_LIMIT):
        client.post("/admin/login/", {"username": "target", "password": "nope"}, HTTP_X_FORWARDED_FOR=f"10.1.0.{n}")
    response = client.post("/admin/login/", {"username": "target", "password": "correct-horse-battery"},
                           HTTP_X_FORWARDED_FOR="10.9.9.9")
    assert response.status_code == 429
