"""A ruleset draft typed into the admin is parsed like any other untrusted input: errors, never a 500."""

from __future__ import annotations

import pytest
from django.urls import reverse

from evaluation.models import RulesetVersion
from tests.factories import UserFactory
from tests.helpers import ruleset

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("data", "reason"), [
    ("[" * 100_000 + "]" * 100_000, "nested deeper"),
    ('{"a": ' * 40 + "1" + "}" * 40, "nested deeper"),
    ('{"tiers": ' + "9" * 5000 + "}", "Not valid JSON"),
    ('{"tiers": 1e999}', "not a finite number"),
    ('{"tiers": NaN}', "not a finite number"),
    ("{not json", "Not valid JSON"),
])
def test_a_hostile_draft_is_a_form_error_and_nothing_is_stored(client, data, reason):
    client.force_login(UserFactory(username="boss", is_staff=True, is_superuser=True))
    response = client.post(reverse("insights:simulation_draft"), {"base": ruleset().pk, "title": "x", "data": data},
                           HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    errors = response.context["form"].errors["data"]
    assert any(reason in e for e in errors), errors
    assert not RulesetVersion.objects.filter(is_draft=True).exists()
