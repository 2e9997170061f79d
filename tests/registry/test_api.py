"""The application API contract: paths, keys, status codes, permissions and constant query counts."""

from __future__ import annotations

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from registry import applications
from tests.factories import api_token, certify, pass_expert_review

from .conftest import YEAR, make_enterprise

pytestmark = pytest.mark.django_db


def as_user(client, user):
    token = api_token(user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def test_anonymous_gets_401(api_client):
    assert api_client.get("/api/applications/").status_code == 401
    assert api_client.post("/api/applications/", {}, format="json").status_code == 401
    assert api_client.get("/api/certifications/").status_code == 401


def test_apply_submit_decide_and_read_the_history(api_client, enterprise_a, city):
    client = as_user(api_client, enterprise_a.owner)
    response = client.post("/api/applications/", {"enterprise": enterprise_a.pk, "tier": "innovative_sme",
                                                  "year": YEAR}, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["status"] == "draft" and isinstance(body["id"], int)
    app_id = body["id"]

    response = client.post(f"/api/applications/{app_id}/submit/")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "city_review"
    assert body["assessment"]["score"] == 95 and body["assessment"]["passed"] is True
    assert body["flagged"] is False

    reviewer_client = as_user(type(api_client)(), city)
    response = reviewer_client.post(f"/api/applications/{app_id}/decisions/", {"action": "return"}, format="json")
    assert response.status_code == 400
    assert "reason" in response.json()["errors"]
    response = reviewer_client.post(f"/api/applications/{app_id}/decisions/",
                                    {"action": "approve", "reason": "on-site check passed"}, format="json")
    assert response.status_code == 200
    assert response.json()["status"] == "provincial_review"

    body = client.get(f"/api/applications/{app_id}/").json()
    assert body["status"] == "provincial_review"
    assert body["assessment"]["categories"] == {"innovation": 35, "growth": 30, "specialisation": 30}
    history = body["history"]
    assert [h["action"] for h in history] == ["submit", "approve"]
    assert set(history[1]) >= {"actor", "actor_role", "action", "reason", "time"}
    assert history[1]["actor_role"] == "city" and history[1]["reason"] == "on-site check passed"


def test_create_errors_name_the_field(api_client, enterprise_a):
    client = as_user(api_client, enterprise_a.owner)
    response = client.post("/api/applications/", {"enterprise": enterprise_a.pk, "tier": "gold", "year": YEAR},
                           format="json")
    assert response.status_code == 400 and "tier" in response.json()["errors"]
    response = client.post("/api/applications/", {"enterprise": enterprise_a.pk, "tier": "specialised_sme",
                                                  "year": YEAR}, format="json")
    assert response.status_code == 400
    assert "Innovative SME" in response.json()["errors"]["tier"][0]
    other = make_enterprise("A")
    response = client.post("/api/applications/", {"enterprise": other.pk, "tier": "innovative_sme",
                                                  "year": YEAR}, format="json")
    assert response.status_code == 400 and "enterprise" in response.json()["errors"]


def test_someone_elses_application_is_404_and_the_wrong_reviewer_403(api_client, enterprise_a, county,
                                                                    other_city):
    app = applications.create_application(enterprise=enterprise_a, tier="innovative_sme", year=YEAR,
                                      user=enterprise_a.owner)
    app = applications.submit_application(app, user=enterprise_a.owner)
    stranger = make_enterprise("A").owner
    assert as_user(api_client, stranger).get(f"/api/applications/{app.pk}/").status_code == 404
    assert as_user(api_client, stranger).post(f"/api/applications/{app.pk}/withdraw/").status_code == 404
    assert as_user(api_client, other_city).get(f"/api/applications/{app.pk}/").status_code == 404
    response = as_user(api_client, county).post(f"/api/applications/{app.pk}/decisions/",
                                                {"action": "approve"}, format="json")
    assert response.status_code == 403
    assert "level" in response.json()["detail"]
    response = as_user(api_client, enterprise_a.owner).post(f"/api/applications/{app.pk}/decisions/",
                                                            {"action": "approve"}, format="json")
    assert response.status_code == 403


def test_withdraw(api_client, enterprise_a):
    app = applications.create_application(enterprise=enterprise_a, tier="innovative_sme", year=YEAR,
                                      user=enterprise_a.owner)
    response = as_user(api_client, enterprise_a.owner).post(f"/api/applications/{app.pk}/withdraw/",
                                                            {"reason": "not this year"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "withdrawn"
    assert response.json()["history"][-1]["reason"] == "not this year"


def test_list_filters_and_paginates(api_client, province):
    apps = []
    for region in ("330106", "330106", "330212"):
        enterprise = make_enterprise("A", region=region)
        app = applications.create_application(enterprise=enterprise, tier="innovative_sme", year=YEAR,
                                          user=enterprise.owner)
        apps.append(applications.submit_application(app, user=enterprise.owner))
    flagged = make_enterprise("B")
    draft = applications.create_application(enterprise=flagged, tier="innovative_sme", year=YEAR, user=flagged.owner)
    applications.submit_application(draft, user=flagged.owner)
    client = as_user(api_client, province)
    body = client.get("/api/applications/").json()
    assert body["count"] == 4 and len(body["results"]) == 4
    assert client.get("/api/applications/?city=330200").json()["count"] == 1
    assert client.get("/api/applications/?flagged=true").json()["count"] == 1
    assert client.get("/api/applications/?status=city_review&tier=innovative_sme").json()["count"] == 4
    assert client.get("/api/applications/?status=draft").json()["count"] == 0
    assert client.get(f"/api/applications/?year={YEAR}&page_size=2").json()["count"] == 4
    response = client.get("/api/applications/?status=nonsense")
    assert response.status_code == 400 and "status" in response.json()["errors"]


def _list_queries(client, path):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(path).status_code == 200
    return len(ctx.captured_queries)


def test_list_query_count_does_not_grow_with_the_page(api_client, province):
    client = as_user(api_client, province)
    for _ in range(2):
        enterprise = make_enterprise("A")
        applications.create_application(enterprise=enterprise, tier="innovative_sme", year=YEAR, user=enterprise.owner)
        certify(enterprise, "hidden_champion", timezone.localdate() - datetime.timedelta(days=10))
    few = _list_queries(client, "/api/applications/")
    few_certs = _list_queries(client, "/api/certifications/")
    for _ in range(8):
        enterprise = make_enterprise("A")
        applications.create_application(enterprise=enterprise, tier="innovative_sme", year=YEAR, user=enterprise.owner)
        certify(enterprise, "hidden_champion", timezone.localdate() - datetime.timedelta(days=10))
    assert _list_queries(client, "/api/applications/") == few <= 5
    assert _list_queries(client, "/api/certifications/") == few_certs <= 5


def test_detail_query_count_does_not_grow_with_the_history(api_client, enterprise_a, city):
    client = as_user(api_client, enterprise_a.owner)
    app = applications.create_application(enterprise=enterprise_a, tier="innovative_sme", year=YEAR,
                                      user=enterprise_a.owner)
    app = applications.submit_application(app, user=enterprise_a.owner)
    short = _list_queries(client, f"/api/applications/{app.pk}/")
    for _ in range(3):
        applications.decide(app, user=city, action="return", reason="more evidence")
        applications.submit_application(app, user=enterprise_a.owner)
    assert _list_queries(client, f"/api/applications/{app.pk}/") == short


def test_certifications_are_restricted_to_what_the_caller_may_see(api_client, enterprise_a, other_city):
    cert = certify(enterprise_a, "innovative_sme", timezone.localdate() - datetime.timedelta(days=10))
    body = as_user(api_client, enterprise_a.owner).get("/api/certifications/").json()
    assert [c["id"] for c in body["results"]] == [cert.pk]
    assert set(body["results"][0]) >= {"tier", "granted_on", "expires_on", "status", "ruleset"}
    assert as_user(api_client, other_city).get("/api/certifications/").json()["count"] == 0


def test_revoke_through_the_api(api_client, enterprise_a, province, city):
    cert = certify(enterprise_a, "innovative_sme", timezone.localdate() - datetime.timedelta(days=10))
    path = f"/api/certifications/{cert.pk}/revoke/"
    assert as_user(api_client, city).post(path, {"cause": "tax_evasion", "reason": "x"}, format="json").status_code \
        == 403
    response = as_user(api_client, province).post(path, {"cause": "tax_evasion"}, format="json")
    assert response.status_code == 400 and "reason" in response.json()["errors"]
    response = as_user(api_client, province).post(path, {"cause": "tax_evasion", "reason": "tax bureau notice"},
                                                  format="json")
    assert response.status_code == 200 and response.json()["status"] == "revoked"


def test_tiers_are_the_ladder(api_client):
    body = api_client.get("/api/tiers/").json()
    assert [t["code"] for t in body] == ["innovative_sme", "specialised_sme", "hidden_champion", "little_giant",
                                         "single_champion"]
    assert [t["order"] for t in body] == [1, 2, 3, 4, 5]
    by_code = {t["code"]: t for t in body}
    assert by_code["specialised_sme"]["prerequisites"] == ["innovative_sme"]
    assert by_code["little_giant"]["prerequisites"] == ["specialised_sme"]
    assert by_code["innovative_sme"]["stages"] == ["city_review", "provincial_review", "publicity"]
    assert all(t["label"] for t in body)


def test_the_schema_documents_the_application_paths(api_client):
    response = api_client.get("/api/schema/", HTTP_ACCEPT="application/json")
    paths = response.json()["paths"] if response["Content-Type"].startswith("application/json") else None
    text = response.content.decode()
    for path in ("/api/applications/", "/api/applications/{id}/submit/", "/api/applications/{id}/decisions/",
                 "/api/applications/{id}/withdraw/", "/api/certifications/", "/api/tiers/"):
        assert path in (paths or text)


def test_national_outcome_endpoint(api_client, county, city, province):
    enterprise = make_enterprise("A")
    certify(enterprise, "specialised_sme", timezone.localdate() - datetime.timedelta(days=300))
    app = applications.create_application(enterprise=enterprise, tier="little_giant", year=YEAR, user=enterprise.owner)
    app = applications.submit_application(app, user=enterprise.owner)
    for user in (county, city, province):
        app = applications.decide(app, user=user, action="approve")
    app = pass_expert_review(app, province)
    client = as_user(api_client, province)
    assert client.get(f"/api/applications/{app.pk}/").json()["available_actions"] == ["record_national_outcome"]
    response = client.post(f"/api/applications/{app.pk}/national-outcome/", {"outcome": "certified"}, format="json")
    assert response.status_code == 200 and response.json()["status"] == "certified"

