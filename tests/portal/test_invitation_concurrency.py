"""An invitation link is single-use even when four people submit it at the same moment."""

from __future__ import annotations

import threading
import time

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.urls import reverse

from enterprises.models import Membership
from portal import invitations
from tests.factories import MembershipFactory

ATTEMPTS = 4


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_four_parallel_accepts_of_one_invitation_make_at_most_one_account(postgres_only, migration_data,
                                                                          monkeypatch):
    owner = MembershipFactory().user
    enterprise = owner.memberships.get().enterprise
    token = invitations.make_token(enterprise, "colleague@example.com", owner)
    path = reverse("portal:accept_invitation", args=[token])

    # Hold each accept inside its transaction for a moment, so that without the lock all four would pass the check.
    original = get_user_model().objects.create_user

    def slow_create_user(*args, **kwargs):
        time.sleep(0.3)
        return original(*args, **kwargs)

    monkeypatch.setattr(get_user_model().objects, "create_user", slow_create_user)
    barrier = threading.Barrier(ATTEMPTS)
    statuses: dict[int, int] = {}

    def accept(n: int) -> None:
        try:
            client = Client(HTTP_ACCEPT_LANGUAGE="en")
            barrier.wait()
            statuses[n] = client.post(path, {"username": f"colleague-{n}", "new_password1": "Ladder-climb-42",
                                             "new_password2": "Ladder-climb-42"}).status_code
        finally:
            connection.close()

    threads = [threading.Thread(target=accept, args=(n,)) for n in range(ATTEMPTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert sorted(statuses.values()) == [302, 400, 400, 400], statuses
    assert get_user_model().objects.filter(email="colleague@example.com").count() == 1
    assert Membership.objects.filter(enterprise=enterprise, user__email="colleague@example.com").count() == 1
