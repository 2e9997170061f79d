"""The expert API: an expert lists their own assignments in the expert stage (the application, its evidence, the
engine's assessment), scores blind, and reaches nothing that is not theirs."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from rest_framework.test import APIClient

from registry import applications, evidence, experts
from tests.factories import UserFactory, api_token, certify, expert

from .conftest import YEAR, make_enterprise

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n%%EOF\n"
LIST = "/api/expert/assignments/"


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = str(tmp_path)


def as_user(user: Any) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token(user)}")
    return client


def in_expert_review(county: Any, city: Any, province: Any) -> Any:
    """A little-giant application with one evidence file, carried to expert review."""
    enterprise = make_enterprise("A")
    certify(enterprise, "innovative_sme", timezone.localdate() - datetime.timedelta(days=400))
    certify(enterprise, "specialised_sme", timezone.localdate() - datetime.timedelta(days=300))
    app = applications.create_application(enterprise=enterprise, tier="little_giant", year=YEAR, user=enterprise.owner)
    evidence.add_evidence(app, user=enterprise.owner, claim="financial_report",
                          uploaded_file=SimpleUploadedFile("audit.pdf", PDF, "application/pdf"))
    app = applications.submit_application(app, user=enterprise.owner)
    for reviewer_ in (county, city, province):
        app = applications.decide(app, user=reviewer_, action="approve", reason="checked")
    assert app.status == "expert_review"
    return app


@pytest.fixture
def panel(county: Any, city: Any, province: Any) -> tuple[Any, list[Any]]:
    for i in range(3):
        expert(f"expert-{i}", home_region="330203")
    app = in_expert_review(county, city, province)
    draw = experts.draw_experts(app, user=province, seed=7)
    return app, list(draw.assignments.select_related("expert__user").order_by("pk"))


def score(app: Any, share: float = 0.5) -> dict[str, int]:
    return {c.code: int(c.max * share) for c in experts.review_of(app).form}


def test_an_expert_lists_their_assignment_with_the_application_evidence_and_assessment(panel):
    app, seats = panel
    seat = seats[0]
    response = as_user(seat.expert.user).get(LIST)
    assert response.status_code == 200
    rows = response.json()["results"]
    assert [row["id"] for row in rows] == [seat.pk]
    row = rows[0]
    assert row["application"]["id"] == app.pk and row["application"]["enterprise_name"] == app.enterprise.name
    assert row["application"]["status"] == "expert_review"
    assert row["application"]["assessment"]["tier"] == "little_giant" and row["application"]["assessment"]["ruleset"]
    assert [c["code"] for c in row["form"]] == ["refinement", "chain_support", "product_field"]
    assert row["max_total"] == sum(c["max"] for c in row["form"]) and row["open"] is True
    assert row["submitted"] is False and row["scores"] == {} and row["total"] is None
    [item] = row["evidence"]
    assert item["original_name"] == "audit.pdf"
    assert item["download"].endswith(f"/api/expert/assignments/{seat.pk}/evidence/{item['id']}/")
    download = as_user(seat.expert.user).get(item["download"])
    assert download.status_code == 200 and b"".join(download.streaming_content) == PDF


def test_scoring_is_blind_on_the_api(panel):
    app, seats = panel
    first, second = seats[0], seats[1]
    response = as_user(first.expert.user).post(
        f"{LIST}{first.pk}/scores/", {"scores": {"refinement": 27, "chain_support": 33, "product_field": 11},
                                      "recommendation": "reservations", "comment": "FIRST-EXPERT-NOTE"},
        format="json")
    assert response.status_code == 200, response.content
    mine = response.json()
    assert mine["submitted"] is True and mine["total"] == 71 and mine["open"] is False
    assert mine["scores"] == {"refinement": 27, "chain_support": 33, "product_field": 11}

    second_api = as_user(second.expert.user)
    for url in (LIST, f"{LIST}{second.pk}/"):
        text = second_api.get(url).content.decode()
        assert "FIRST-EXPERT-NOTE" not in text and "71," not in text and "reservations" not in text
    assert second_api.get(f"{LIST}{first.pk}/").status_code == 404  # the other seat is not theirs
    response = second_api.post(f"{LIST}{second.pk}/scores/", {"scores": score(app), "recommendation": "recommend"},
                               format="json")
    assert response.status_code == 200
    text = second_api.get(f"{LIST}{second.pk}/").content.decode()
    assert "FIRST-EXPERT-NOTE" not in text and "reservations" not in text  # after submitting too
    # Once is all: a second submission is a 400 naming the scores.
    again = second_api.post(f"{LIST}{second.pk}/scores/", {"scores": score(app), "recommendation": "recommend"},
                            format="json")
    assert again.status_code == 400 and "scores" in again.json()["errors"]


def test_an_application_not_assigned_to_the_caller_is_not_found(panel, county, city, province):
    app, seats = panel
    outsider = expert("outsider", home_region="330203")
    evidence_id = app.evidence.get().pk
    member = app.enterprise.memberships.get().user
    root = UserFactory(username="root", is_staff=True, is_superuser=True)
    for user in (outsider.user, province, county, member, root):
        api = as_user(user)
        listing = api.get(LIST)
        assert listing.status_code == 200 and listing.json()["results"] == []
        for seat in seats:
            assert api.get(f"{LIST}{seat.pk}/").status_code == 404
            refused = api.post(f"{LIST}{seat.pk}/scores/", {"scores": score(app), "recommendation": "recommend"},
                               format="json")
            assert refused.status_code == 404 and app.enterprise.name not in refused.content.decode()
            assert api.get(f"{LIST}{seat.pk}/evidence/{evidence_id}/").status_code == 404
    # An evidence id of another application is not found through one's own seat either.
    other = in_expert_review(county, city, province)
    assert as_user(seats[0].expert.user).get(
        f"{LIST}{seats[0].pk}/evidence/{other.evidence.get().pk}/").status_code == 404
    assert all(s.submitted_at is None for s in type(seats[0]).objects.filter(pk__in=[s.pk for s in seats]))


def test_anonymous_callers_are_refused(panel):
    _app, seats = panel
    assert APIClient().get(LIST).status_code == 401
    assert APIClient().get(f"{LIST}{seats[0].pk}/").status_code == 401


def test_outside_the_expert_stage_the_score_is_refused_and_the_list_drops_it(panel, province):
    app, seats = panel
    seat = seats[0]
    applications.decide(app, user=province, action="return", reason="figures need an audit")
    api = as_user(seat.expert.user)
    assert api.get(LIST).json()["results"] == []
    detail = api.get(f"{LIST}{seat.pk}/")
    assert detail.status_code == 200 and detail.json()["open"] is False
    refused = api.post(f"{LIST}{seat.pk}/scores/", {"scores": score(app), "recommendation": "recommend"},
                       format="json")
    assert refused.status_code == 400 and "action" in refused.json()["errors"], refused.content
    seat.refresh_from_db()
    assert seat.submitted_at is None


@pytest.mark.parametrize(("body", "field"), [
    ({"scores": {"refinement": 99, "chain_support": 1, "product_field": 1}, "recommendation": "recommend"},
     "scores.refinement"),
    ({"scores": {"refinement": 1, "chain_support": 1}, "recommendation": "recommend"}, "scores.product_field"),
    ({"scores": {"refinement": 1, "chain_support": 1, "product_field": 1, "charm": 3},
      "recommendation": "recommend"}, "scores.charm"),
    ({"scores": {"refinement": "many", "chain_support": 1, "product_field": 1}, "recommendation": "recommend"},
     "scores.refinement"),
    ({"scores": {"refinement": 1, "chain_support": 1, "product_field": 1}, "recommendation": "maybe"},
     "recommendation"),
    ({"recommendation": "recommend"}, "scores"),
])
def test_bad_scores_are_a_400_naming_the_field(panel, body, field):
    _app, seats = panel
    seat = seats[0]
    response = as_user(seat.expert.user).post(f"{LIST}{seat.pk}/scores/", body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"], response.json()
    seat.refresh_from_db()
    assert seat.submitted_at is None


def test_the_list_runs_a_fixed_number_of_queries(panel, county, city, province, django_assert_num_queries):
    _app, seats = panel
    user = seats[0].expert.user
    api = as_user(user)
    api.get(LIST)  # warm the token
    with django_assert_num_queries(5):  # the token (two), count, seats with applications, their evidence
        assert len(api.get(LIST).json()["results"]) == 1
    for seed in (1, 2):
        more = in_expert_review(county, city, province)
        candidates = experts.eligible_experts(more)[0]
        # every draw of three from the three experts seats this one too
        assert user.expert_profile.pk in experts.pick(seed, candidates, 3)
        experts.draw_experts(more, user=province, seed=seed)
    with django_assert_num_queries(5):
        assert len(api.get(LIST).json()["results"]) == 3
