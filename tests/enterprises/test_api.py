"""The enterprise API: sign-up, tokens, and each user seeing only what they may."""

import pytest

from enterprises.models import Enterprise, Membership
from enterprises.uscc import make_uscc
from tests.factories import EnterpriseFactory, MembershipFactory, UserFactory, api_token, reviewer

pytestmark = pytest.mark.django_db


def authed(client, user):
    token = api_token(user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def test_sign_up_creates_user_enterprise_and_membership_then_a_token_logs_in(api_client):
    uscc = make_uscc("330106")
    response = api_client.post("/api/register/", {
        "username": "acme", "password": "Tier-Registry-2025", "email": "acme@example.com",
        "enterprise": {"uscc": uscc, "name": "示例精密机械有限公司", "region_code": "330106", "sector": "industry",
                       "established_year": 2011},
    }, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    enterprise = Enterprise.objects.get(uscc=uscc)
    assert body["enterprise"]["id"] == enterprise.pk and body["enterprise"]["region_code"] == "330106"
    assert Membership.objects.filter(user__username="acme", enterprise=enterprise, role="owner").exists()
    token = api_client.post("/api/auth/token/", {"username": "acme", "password": "Tier-Registry-2025"},
                            format="json")
    # Each login is its own client's token (django-rest-knox); the sign-up's keeps working beside it.
    assert token.status_code == 200 and token.json()["token"] != body["token"]
    for key in (body["token"], token.json()["token"]):
        api_client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        assert api_client.get("/api/enterprises/").status_code == 200
    api_client.credentials()
    listing = authed(api_client, enterprise.members.get()).get("/api/enterprises/")
    assert [row["id"] for row in listing.json()["results"]] == [enterprise.pk]


def test_weak_password_is_refused_naming_the_field(api_client):
    response = api_client.post("/api/register/", {
        "username": "acme", "password": "12345678", "email": "acme@example.com",
        "enterprise": {"uscc": make_uscc("330106"), "name": "x", "region_code": "330106", "sector": "industry",
                       "established_year": 2011},
    }, format="json")
    assert response.status_code == 400
    assert "password" in response.json()["errors"]


def test_wrong_password_gets_no_token(api_client):
    UserFactory(username="someone")
    response = api_client.post("/api/auth/token/", {"username": "someone", "password": "nope"}, format="json")
    assert response.status_code in (400, 401)
    assert "token" not in response.json()


def test_anonymous_gets_401(api_client):
    assert api_client.get("/api/enterprises/").status_code == 401


def test_a_member_cannot_see_or_change_another_enterprise(api_client):
    mine = MembershipFactory()
    other = EnterpriseFactory(name="别家")
    client = authed(api_client, mine.user)
    assert client.get(f"/api/enterprises/{other.pk}/").status_code == 404
    assert client.patch(f"/api/enterprises/{other.pk}/", {"name": "x"}, format="json").status_code == 404
    assert client.put(f"/api/enterprises/{other.pk}/financials/2025/", {}, format="json").status_code == 404
    assert client.get(f"/api/enterprises/{other.pk}/assessment/").status_code == 404
    other.refresh_from_db()
    assert other.name == "别家"


def test_a_city_reviewer_lists_only_enterprises_of_their_city(api_client):
    in_city = EnterpriseFactory(region_id="330113")
    EnterpriseFactory(region_id="330212")
    client = authed(api_client, reviewer("city", "330100"))
    ids = [row["id"] for row in client.get("/api/enterprises/").json()["results"]]
    assert ids == [in_city.pk]


def test_the_list_runs_a_constant_number_of_queries(api_client, django_assert_max_num_queries):
    staff = UserFactory(username="staff", is_staff=True)
    client = authed(api_client, staff)
    for _ in range(3):
        EnterpriseFactory()
    with django_assert_max_num_queries(6) as few:
        assert client.get("/api/enterprises/").status_code == 200
    for _ in range(30):
        EnterpriseFactory()
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert len(client.get("/api/enterprises/").json()["results"]) == 33


def test_api_docs_are_served_without_any_outside_address(client):
    page = client.get("/api/docs/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "swagger-ui" in html
    assert "cdn." not in html and "https://" not in html.replace("https://swagger.io", "")
    schema = client.get("/api/schema/")
    assert schema.status_code == 200 and b"/api/enterprises/{id}/financials/{year}/" in schema.content
