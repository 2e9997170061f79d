"""An account that acts for several enterprises switches between them; pages and API calls follow the choice, and
no switch reaches an enterprise the user is not a member of."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from registry import applications
from tests.factories import EnterpriseFactory, MembershipFactory, UserFactory, api_token
from tests.registry.conftest import YEAR, make_enterprise

pytestmark = pytest.mark.django_db


@pytest.fixture
def agency():
    """A service agency acting for two enterprises, and a third it does not act for."""
    first = make_enterprise("A", owner="agency")
    user = first.owner
    second = make_enterprise("A")
    MembershipFactory(user=user, enterprise=second, role="member")
    stranger = make_enterprise("A")
    drafts = {e.pk: applications.create_application(enterprise=e, tier="innovative_sme", year=YEAR,
                                                    user=e.owner if e is stranger else user)
              for e in (first, second, stranger)}
    return user, first, second, stranger, drafts


def test_the_portal_follows_the_chosen_enterprise_and_shows_it_in_the_header(client, agency):
    user, first, second, stranger, drafts = agency
    client.force_login(user)
    home = client.get("/").content.decode()
    assert 'id="enterprise-switch"' in home and f'value="{second.pk}"' in home
    assert f'<option value="{first.pk}" selected>' in home
    assert client.get(f"/applications/{drafts[first.pk].pk}/").status_code == 200
    assert client.get(f"/applications/{drafts[second.pk].pk}/").status_code == 404  # not the chosen one

    response = client.post("/switch/", {"enterprise": second.pk})
    assert response.status_code == 302
    home = client.get("/").content.decode()
    assert f'<option value="{second.pk}" selected>' in home
    assert client.get(f"/applications/{drafts[second.pk].pk}/").status_code == 200
    assert client.get(f"/applications/{drafts[first.pk].pk}/").status_code == 404


def test_switching_cannot_reach_an_enterprise_the_user_is_not_a_member_of(client, agency):
    user, first, second, stranger, drafts = agency
    client.force_login(user)
    for value in (stranger.pk, "abc", "", 999999):
        assert client.post("/switch/", {"enterprise": value}).status_code == 404
    assert client.get(f"/applications/{drafts[stranger.pk].pk}/").status_code == 404
    assert f'<option value="{first.pk}" selected>' in client.get("/").content.decode()
    # A session forged to name the stranger falls back to the user's own first enterprise.
    session = client.session
    session["acting_enterprise"] = stranger.pk
    session.save()
    assert stranger.name not in client.get("/").content.decode()
    api = client.get("/api/applications/").json()
    ids = {row["id"] for row in api["results"]}
    assert drafts[stranger.pk].pk not in ids


def test_api_calls_follow_the_choice_and_refuse_a_foreign_enterprise(client, agency):
    user, first, second, stranger, drafts = agency
    api = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    api.credentials(HTTP_AUTHORIZATION=f"Token {api_token(user)}")
    both = {row["id"] for row in api.get("/api/applications/").json()["results"]}
    assert both == {drafts[first.pk].pk, drafts[second.pk].pk}  # no choice: every own enterprise
    only_second = {row["id"] for row in api.get("/api/applications/", HTTP_X_ENTERPRISE=str(second.pk))
                   .json()["results"]}
    assert only_second == {drafts[second.pk].pk}
    refused = api.get("/api/applications/", HTTP_X_ENTERPRISE=str(stranger.pk))
    assert refused.status_code == 400 and "X-Enterprise" in refused.json()["errors"]
    assert api.get(f"/api/applications/{drafts[first.pk].pk}/",
                   HTTP_X_ENTERPRISE=str(second.pk)).status_code == 404
    # The portal's choice holds the session's API calls too.
    client.force_login(user)
    client.post("/switch/", {"enterprise": second.pk})
    assert {row["id"] for row in client.get("/api/applications/").json()["results"]} == {drafts[second.pk].pk}


def test_a_single_enterprise_account_sees_its_name_and_no_switch_list(client):
    member = MembershipFactory(user=UserFactory(username="solo"), enterprise=EnterpriseFactory(name="单一企业"))
    client.force_login(member.user)
    page = client.get("/").content.decode()
    assert "单一企业" in page and "<select name=\"enterprise\"" not in page
