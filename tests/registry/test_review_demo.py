"""After ``seed_demo`` every demo reviewer has work: applications at every stage in their region."""

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from registry.models import Application, ReviewRound
from registry.workflow import queue_states

pytestmark = pytest.mark.django_db


def test_seed_demo_fills_every_demo_reviewers_queue_and_prints_the_accounts():
    out = StringIO()
    call_command("seed_demo", "--enterprises", "400", "--seed", "1", stdout=out)
    output = out.getvalue()
    for line in ("admin ", "province ", "hangzhou ", "ningbo ", "xihu ", "enterprise "):
        assert line in output
    assert "reviewer (county, 330106)" in output and "superuser" in output
    statuses = set(Application.objects.values_list("status", flat=True))
    assert {"county_review", "city_review", "provincial_review", "publicity", "returned",
            "rejected"} <= statuses
    users = get_user_model().objects
    for username in ("province", "hangzhou", "ningbo", "xihu"):
        user = users.get(username=username)
        queue = Application.objects.restrict(user).filter(status__in=queue_states(user))
        assert queue.exists(), f"{username}'s queue is empty"
    hangzhou = Application.objects.restrict(users.get(username="hangzhou"))
    assert hangzhou.filter(status="returned").exists() and hangzhou.filter(status="publicity").exists()
    returned = Application.objects.filter(status="returned").first()
    assert returned.events.filter(action="return").exclude(reason="").exists()
    assert ReviewRound.objects.filter(status="open").count() == 3
    # Running it again adds no second set.
    count = Application.objects.count()
    call_command("seed_demo", "--enterprises", "400", "--seed", "1", stdout=StringIO())
    assert Application.objects.count() == count
