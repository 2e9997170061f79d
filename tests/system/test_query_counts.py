"""List endpoints run the same number of queries for 5 rows as for 50: the count cannot grow with the data.

Every paginated list in the OpenAPI schema needs a row maker here (``test_every_list_has_a_row_maker``), so a
new list endpoint is pinned as soon as it exists.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from enterprises.models import Region
from tests.factories import EnterpriseFactory, MembershipFactory, UserFactory, api_token, reviewer

from .test_permissions_api import schema_operations

pytestmark = pytest.mark.django_db


def _enterprises(n: int, owner: Any) -> None:
    region = Region.objects.get(code="330106")
    for _ in range(n):
        MembershipFactory(user=owner, enterprise=EnterpriseFactory(region=region))


def _applications(n: int, owner: Any) -> None:
    from registry.models import Application

    region = Region.objects.get(code="330106")
    for _ in range(n):
        enterprise = EnterpriseFactory(region=region)
        MembershipFactory(user=owner, enterprise=enterprise)
        Application.objects.create(enterprise=enterprise, tier="innovative_sme", year=2025, created_by=owner)


def _certifications(n: int, owner: Any) -> None:
    from evaluation.versions import get_ruleset_version
    from registry.models import Certification

    region = Region.objects.get(code="330106")
    version = get_ruleset_version()
    today = timezone.localdate()
    for _ in range(n):
        enterprise = EnterpriseFactory(region=region)
        MembershipFactory(user=owner, enterprise=enterprise)
        Certification.objects.create(enterprise=enterprise, tier="innovative_sme", ruleset=version,
                                     granted_on=today - datetime.timedelta(days=10),
                                     expires_on=today + datetime.timedelta(days=1000))


def _seats(n: int, expert_user: Any) -> None:
    """``n`` applications in expert review, each with a drawn panel on which ``expert_user`` sits."""
    from evaluation.versions import get_ruleset_version
    from registry.models import Application, ApplicationEvent, ExpertAssignment, ExpertDraw, ExpertProfile

    version = get_ruleset_version()
    region = Region.objects.get(code="330106")
    profile, _ = ExpertProfile.objects.get_or_create(user=expert_user, defaults={
        "fields": "machine tools", "home_region": Region.objects.get(code="330203")})
    for _ in range(n):
        app = Application.objects.create(enterprise=EnterpriseFactory(region=region), tier="little_giant",
                                         year=2025, status="expert_review", created_by=expert_user, ruleset=version)
        entered = ApplicationEvent.objects.create(application=app, actor_label="p", actor_role="province",
                                                  action="approve", from_status="provincial_review",
                                                  to_status="expert_review")
        draw = ExpertDraw.objects.create(application=app, stage_event=entered, seed=1, size=1,
                                         candidates=[profile.pk], chosen=[profile.pk])
        ExpertAssignment.objects.create(draw=draw, application=app, expert=profile)


ROW_MAKERS: dict[str, Callable[[int, Any], None]] = {
    "/api/enterprises/": _enterprises,
    "/api/applications/": _applications,
    "/api/certifications/": _certifications,
}
UNPAGINATED = {"/api/tiers/"}  # a fixed list of five rungs, built without queries
# Lists of the caller's own rows (nobody else sees them, whatever their role): the viewer is their owner.
OWN_ROW_MAKERS: dict[str, Callable[[int, Any], None]] = {
    "/api/expert/assignments/": _seats,
}


def test_every_list_has_a_row_maker() -> None:
    lists = {op.split(" ", 1)[1] for op in schema_operations() if op.startswith("GET ") and "{" not in op}
    assert lists - UNPAGINATED == set(ROW_MAKERS) | set(OWN_ROW_MAKERS), "add a row maker for each new list"


@pytest.mark.parametrize("url", sorted(OWN_ROW_MAKERS))
def test_own_list_query_count_does_not_grow_with_rows(api_client: Any, url: str) -> None:
    owner = UserFactory(username="expert-of-many")
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {api_token(owner)}")
    OWN_ROW_MAKERS[url](5, owner)
    api_client.get(url)
    small, small_count = _queries(api_client, url)
    OWN_ROW_MAKERS[url](45, owner)
    large, large_count = _queries(api_client, url)
    assert (small_count, large_count) == (5, 50)
    assert large == small, f"{url}: {small} queries for 5 rows, {large} for 50"
    assert small <= 6, f"{url}: {small} queries"


def _queries(client: Any, url: str) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, {"page_size": 100})
    assert response.status_code == 200, response.content
    return len(captured), response.json()["count"]


@pytest.mark.parametrize("url", sorted(ROW_MAKERS))
@pytest.mark.parametrize("viewer", ["member", "city_reviewer", "staff"])
def test_list_query_count_does_not_grow_with_rows(api_client: Any, url: str, viewer: str) -> None:
    owner = UserFactory(username="owner-of-many")
    users = {"member": owner, "city_reviewer": reviewer("city", "330100", username="city-qc"),
             "staff": UserFactory(username="staff-qc", is_staff=True)}
    token = api_token(users[viewer])  # each request authenticates afresh
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    ROW_MAKERS[url](5, owner)
    api_client.get(url)  # warm process-wide caches (content types, ruleset) that are not per request
    small, small_count = _queries(api_client, url)
    ROW_MAKERS[url](45, owner)
    large, large_count = _queries(api_client, url)
    assert (small_count, large_count) == (5, 50)
    assert large == small, f"{url} as {viewer}: {small} queries for 5 rows, {large} for 50"
    assert small <= 6, f"{url} as {viewer}: {small} queries"
