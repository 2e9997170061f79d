"""API tokens end: they expire after the configured lifetime, a password change or reset revokes them, their
owner can revoke one or all, staff can revoke them in the admin. The client contract stays: ``POST
/api/auth/token/`` and ``Authorization: Token …``."""

from __future__ import annotations

import datetime
import re
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone
from knox.models import AuthToken
from knox.settings import CONSTANTS
from rest_framework.test import APIClient

from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"


def _token(client: APIClient, username: str, password: str = PASSWORD) -> str:
    response = client.post("/api/auth/token/", {"username": username, "password": password}, format="json")
    assert response.status_code == 200, response.content
    return response.json()["token"]


def _works(token: str) -> bool:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    response = client.get("/api/enterprises/")
    assert response.status_code in (200, 401), response.status_code
    return response.status_code == 200


@pytest.fixture
def owner() -> Any:
    return MembershipFactory(user=UserFactory(username="owner", email="owner@example.com")).user


def test_a_token_expires_after_the_configured_lifetime(owner: Any, api_client: Any, settings: Any) -> None:
    settings.REST_KNOX = {**settings.REST_KNOX, "TOKEN_TTL": datetime.timedelta(hours=2)}
    before = timezone.now()
    response = api_client.post("/api/auth/token/", {"username": "owner", "password": PASSWORD}, format="json")
    body = response.json()
    expiry = datetime.datetime.fromisoformat(body["expiry"].replace("Z", "+00:00"))
    assert datetime.timedelta(hours=1, minutes=59) < expiry - before < datetime.timedelta(hours=2, minutes=1)
    assert _works(body["token"])
    AuthToken.objects.filter(user=owner).update(expiry=timezone.now() - datetime.timedelta(seconds=1))
    assert not _works(body["token"])


def test_tokens_are_stored_hashed_and_each_client_gets_its_own(owner: Any, api_client: Any) -> None:
    first, second = _token(api_client, "owner"), _token(api_client, "owner")
    assert first != second and _works(first) and _works(second)
    stored = AuthToken.objects.filter(user=owner).values_list("digest", flat=True)
    assert len(stored) == 2 and first not in stored and second not in stored


def test_staff_changing_a_users_password_in_the_admin_revokes_every_token(owner: Any, api_client: Any) -> None:
    token = _token(api_client, "owner")
    admin = Client()
    admin.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    response = admin.post(f"/admin/auth/user/{owner.pk}/password/", {
        "password1": "Ladder-climb-42", "password2": "Ladder-climb-42", "usable_password": "true"})
    assert response.status_code == 302, response.content[:500]
    assert not _works(token)
    assert _works(_token(api_client, "owner", "Ladder-climb-42"))


def test_a_password_reset_revokes_every_token(owner: Any, api_client: Any) -> None:
    token = _token(api_client, "owner")
    client = Client()
    client.post("/password-reset/", {"email": "owner@example.com"})
    link = re.search(r"http://testserver(/\S+/)", mail.outbox[0].body).group(1)
    form = client.get(link, follow=True)
    client.post(form.redirect_chain[-1][0], {"new_password1": "Ladder-climb-42",
                                             "new_password2": "Ladder-climb-42"})
    assert not _works(token)


def test_logging_in_or_saving_the_user_keeps_the_tokens(owner: Any, api_client: Any) -> None:
    token = _token(api_client, "owner")
    owner.first_name = "Changed"
    owner.save()
    Client().login(username="owner", password=PASSWORD)
    assert _works(token)


def test_the_owner_revokes_this_token_or_all_of_them(owner: Any, api_client: Any) -> None:
    first, second, third = (_token(api_client, "owner") for _ in range(3))
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.credentials(HTTP_AUTHORIZATION=f"Token {first}")
    assert client.post("/api/auth/token/revoke/", {}, format="json").json() == {"revoked": 1}
    assert not _works(first) and _works(second) and _works(third)
    client.credentials(HTTP_AUTHORIZATION=f"Token {second}")
    assert client.post("/api/auth/token/revoke/", {"all": True}, format="json").json() == {"revoked": 2}
    assert not _works(second) and not _works(third)


def test_revoking_needs_a_signed_request(api_client: Any) -> None:
    response = api_client.post("/api/auth/token/revoke/", {}, format="json")
    assert response.status_code == 401 and set(response.json()) == {"detail", "errors"}


def test_staff_revoke_a_users_tokens_in_the_admin(owner: Any, api_client: Any) -> None:
    token = _token(api_client, "owner")
    admin = Client()
    admin.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    listing = admin.get("/admin/knox/authtoken/?q=owner")
    assert listing.status_code == 200 and "owner" in listing.content.decode()
    digest = AuthToken.objects.get(user=owner).digest
    response = admin.post("/admin/knox/authtoken/", {"action": "delete_selected", "_selected_action": [digest],
                                                     "post": "yes"})
    assert response.status_code == 302
    assert not _works(token)


def test_a_city_reviewer_cannot_see_tokens_in_the_admin(owner: Any) -> None:
    from tests.factories import reviewer

    admin = Client()
    admin.force_login(reviewer("city", "330100"))
    assert admin.get("/admin/knox/authtoken/").status_code == 403


def _revocations(owner: Any) -> list[Any]:
    from core.audit import AuditEntry

    return list(AuditEntry.objects.filter(content_type__app_label="knox", action="delete",
                                          before__user=owner.pk).order_by("id"))


def test_every_revocation_is_in_the_audit_trail_with_who_and_why(owner: Any, api_client: Any) -> None:
    first, second = _token(api_client, "owner"), _token(api_client, "owner")
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.credentials(HTTP_AUTHORIZATION=f"Token {first}")
    assert client.post("/api/auth/token/revoke/", {}, format="json").json() == {"revoked": 1}
    [by_owner] = _revocations(owner)
    assert by_owner.actor_id == owner.pk and by_owner.reason == "revoked by its owner"
    key = first[:CONSTANTS.TOKEN_KEY_LENGTH]
    assert by_owner.object_id == key and key in by_owner.object_repr
    # The trail names the token by its public prefix, never by its digest.
    digest = AuthToken.objects.get(user=owner).digest
    admin = Client()
    staff = UserFactory(username="root", is_staff=True, is_superuser=True)
    admin.force_login(staff)
    admin.post("/admin/knox/authtoken/", {"action": "delete_selected", "_selected_action": [digest], "post": "yes"})
    by_staff = _revocations(owner)[-1]
    assert by_staff.actor_id == staff.pk and by_staff.object_id == second[:CONSTANTS.TOKEN_KEY_LENGTH]
    assert digest not in str(by_staff.before) and digest not in by_staff.object_repr
    _token(api_client, "owner")
    owner.set_password("another-horse-battery")
    owner.save()
    assert _revocations(owner)[-1].reason == "password changed"
