"""Who may use every page of expert review and on-site checks, for every kind of user (reviewers inside and
outside enterprise A's region, including another province's): drawing a panel, recording and resolving a visit,
downloading its evidence, and the experts' own pages. A refusal changes nothing and shows nothing of A."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from registry import applications, onsite
from registry.models import ExpertDraw, OnsiteCheck
from tests.factories import certify, expert

from .world import FIGURES_YEAR, REVIEWERS_IN, ROLES, STAFF, World, build_world

EXPERT_ROLES = ("expert_on_panel", "expert_off_panel")
ALL_ROLES = (*ROLES, *EXPERT_ROLES)
SEES_A_IN_ADMIN = frozenset({*REVIEWERS_IN, *STAFF})
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.fixture(autouse=True)
def media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = str(tmp_path)


def _client(world: World, role: str) -> Client:
    client = Client()
    if role != "anonymous":
        client.force_login(world.users[role])
    return client


def _add_experts(world: World) -> None:
    for role in EXPERT_ROLES:
        world.users[role] = expert(role.replace("_", "-"), home_region="330203").user


def expert_stage_application(world: World) -> Any:
    """A's little-giant application in expert review (a panel of at least three experts is in the pool)."""
    certify(world.enterprise_a, "specialised_sme", timezone.localdate() - datetime.timedelta(days=50))
    owner = world.users["member_a"]
    app = applications.create_application(enterprise=world.enterprise_a, tier="little_giant", year=FIGURES_YEAR,
                                          user=owner)
    app = applications.submit_application(app, user=owner)
    for role in ("county_in", "city_in", "province_in"):
        app = applications.decide(app, user=world.users[role], action="approve", reason="checked")
    assert app.status == "expert_review"
    return app


def _failed_check_of_a(world: World) -> Any:
    findings = {code: {"result": "pass"} for code in onsite.CHECKLIST_CODES}
    findings["premises"] = {"result": "fail", "note": "no plant"}
    return onsite.record_visit(world.objects["application_a"], user=world.users["county_in"],
                               visited_on=timezone.localdate(), visitors="Wang", findings=findings,
                               files=[SimpleUploadedFile("site.png", PNG, "image/png")])


def _no_leak(response: Any, world: World) -> None:
    text = response.content.decode() if not getattr(response, "streaming", False) else ""
    assert all(secret not in text for secret in world.secrets_of_a())


@pytest.mark.django_db
@pytest.mark.parametrize("role", ALL_ROLES)
def test_drawing_a_panel(role: str) -> None:
    world = build_world()
    _add_experts(world)
    for i in range(3):
        expert(f"pool-{i}", home_region="330203")
    app = expert_stage_application(world)
    response = _client(world, role).post(reverse("admin:registry_application_draw_experts", args=[app.pk]))
    drawn = ExpertDraw.objects.filter(application=app).exists()
    if role in ("province_in", "superuser"):
        assert drawn, f"{role} could not draw"
    else:
        assert not drawn, f"{role} drew a panel"
        assert response.status_code in (302, 403, 404)
        if role in ("county_out", "city_out", "province_out", *EXPERT_ROLES, "member_b", "anonymous"):
            assert response.status_code != 200
            _no_leak(response, world)


@pytest.mark.django_db
@pytest.mark.parametrize("role", ALL_ROLES)
def test_recording_a_visit(role: str) -> None:
    world = build_world()
    _add_experts(world)
    app = world.objects["application_a"]  # in county review
    url = reverse("admin:registry_application_onsite_check", args=[app.pk])
    data = {"visited_on": timezone.localdate().isoformat(), "visitors": "Wang",
            **{f"result_{code}": "pass" for code in onsite.CHECKLIST_CODES}}
    client = _client(world, role)
    page = client.get(url)
    response = client.post(url, data)
    recorded = OnsiteCheck.objects.filter(application=app).exists()
    if role in ("county_in", "superuser"):
        assert page.status_code == 200 and recorded, f"{role} could not record a visit"
    else:
        assert not recorded, f"{role} recorded a visit"
        assert response.status_code in (302, 403, 404)
        if role not in SEES_A_IN_ADMIN:
            _no_leak(page, world)


@pytest.mark.django_db
@pytest.mark.parametrize("role", ALL_ROLES)
def test_resolving_a_failed_visit_and_reading_its_evidence(role: str) -> None:
    world = build_world()
    _add_experts(world)
    check = _failed_check_of_a(world)
    client = _client(world, role)
    evidence = check.evidence.get()
    download = client.get(reverse("admin:registry_onsitecheck_evidence", args=[check.pk, evidence.pk]))
    if role in SEES_A_IN_ADMIN:
        assert download.status_code == 200 and b"".join(download.streaming_content) == PNG
    else:
        assert download.status_code in (302, 403, 404), f"{role} downloaded A's visit photo"
    client.post(reverse("admin:registry_onsitecheck_resolve", args=[check.pk]), {"reason": "second visit fine"})
    check.refresh_from_db()
    if role in (*REVIEWERS_IN, "superuser"):
        assert check.outcome == "resolved", f"{role} could not resolve"
    else:
        assert check.outcome == "failed", f"{role} resolved A's failed check"


@pytest.mark.django_db
@pytest.mark.parametrize("role", ALL_ROLES)
def test_the_experts_pages(role: str) -> None:
    world = build_world()
    _add_experts(world)
    for i in range(2):
        expert(f"pool-{i}", home_region="330203")
    app = expert_stage_application(world)
    from registry import experts

    candidates, _excluded = experts.eligible_experts(app)
    on_panel = next(e for e in candidates if e == world.users["expert_on_panel"].expert_profile.pk)
    others = [e for e in candidates if e != on_panel][:2]
    seed = next(s for s in range(10_000) if on_panel in experts.pick(s, candidates, 3)
                and world.users["expert_off_panel"].expert_profile.pk not in experts.pick(s, candidates, 3))
    draw = experts.draw_experts(app, user=world.users["province_in"], seed=seed)
    assert on_panel in draw.chosen and others
    seat = draw.assignments.get(expert_id=on_panel)
    client = _client(world, role)
    listing = client.get(reverse("experts:list"))
    detail = client.get(reverse("experts:detail", args=[seat.pk]))
    score = client.post(reverse("experts:detail", args=[seat.pk]),
                        {"score_refinement": "20", "score_chain_support": "20", "score_product_field": "20",
                         "recommendation": "recommend"})
    seat.refresh_from_db()
    if role == "anonymous":
        assert listing.status_code == 302 and detail.status_code == 302 and seat.submitted_at is None
    elif role == "expert_on_panel":
        assert listing.status_code == 200 and world.enterprise_a.uscc not in listing.content.decode()
        assert detail.status_code == 200 and score.status_code == 302 and seat.total == 60
    else:
        assert listing.status_code == 200 and "/experts/assignments/" not in listing.content.decode()
        assert detail.status_code == 404 and score.status_code == 404 and seat.submitted_at is None
        _no_leak(listing, world)
        _no_leak(detail, world)


@pytest.mark.django_db
@pytest.mark.parametrize("role", ALL_ROLES)
def test_the_expert_api(role: str, settings: Any) -> None:
    """Only the expert on A's panel lists, opens, downloads from and scores their seat; everyone else gets an
    empty list and a 404 (anonymous a 401), and nothing of A."""
    from rest_framework.test import APIClient

    from tests.factories import api_token

    from .world import drawn_panel_of_a

    world = build_world()
    _add_experts(world)
    app, seat = drawn_panel_of_a(world, on_panel=world.users["expert_on_panel"].expert_profile,
                                 off_panel=world.users["expert_off_panel"].expert_profile)
    client = APIClient()
    if role != "anonymous":
        client.credentials(HTTP_AUTHORIZATION=f"Token {api_token(world.users[role])}")
    base = f"/api/expert/assignments/{seat.pk}/"
    listing = client.get("/api/expert/assignments/")
    detail = client.get(base)
    download = client.get(f"{base}evidence/{app.evidence.get().pk}/")
    score = client.post(f"{base}scores/", {"scores": {"refinement": 20, "chain_support": 20, "product_field": 20},
                                           "recommendation": "recommend"}, format="json")
    seat.refresh_from_db()
    if role == "anonymous":
        assert {r.status_code for r in (listing, detail, download, score)} == {401}
    elif role == "expert_on_panel":
        assert [row["id"] for row in listing.json()["results"]] == [seat.pk]
        assert detail.status_code == 200 and detail.json()["application"]["id"] == app.pk
        assert download.status_code == 200 and score.status_code == 200 and seat.total == 60
    else:
        assert listing.status_code == 200 and listing.json()["results"] == []
        assert {r.status_code for r in (detail, download, score)} == {404}, role
        assert seat.submitted_at is None
        for response in (listing, detail, score):
            _no_leak(response, world)
