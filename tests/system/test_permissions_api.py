"""Who may list, read, write and act on every API operation, for every kind of user.

The operations come from the project's own OpenAPI schema: a new endpoint without a declared rule here fails
``test_every_api_operation_has_a_rule``, so nothing is exposed without someone deciding who may use it.
Every refusal must also leak nothing: the body of a 401/403/404 never contains enterprise A's name or code, and
a refused write leaves no audit entry behind.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest

from core.audit import AuditEntry
from registry import applications

from .world import (
    AUTHENTICATED,
    FIGURES_YEAR,
    PASSWORD,
    ROLES,
    SEES_A,
    STAFF,
    World,
    authenticate,
    build_world,
)

HTTP_METHODS = {"get", "put", "patch", "post", "delete"}
# Who may change enterprise A's own data: its members and registry staff (never reviewers, never B).
EDITS_A = frozenset({"member_a", *STAFF})
EVERYONE = frozenset(ROLES)

_registrations = itertools.count(1)


def _registration(world: World, role: str) -> dict[str, Any]:
    from enterprises.uscc import make_uscc

    n = next(_registrations)
    return {
        "username": f"signup-{role}-{n}", "password": "a-long-unusual-passphrase-7", "email": f"s{n}@example.com",
        "enterprise": {"uscc": make_uscc("330106"), "name": f"新注册企业{n}", "region_code": "330106",
                       "sector": "industry", "established_year": 2015},
    }


def _enterprise_put(world: World, role: str) -> dict[str, Any]:
    # A's routing fields unchanged (its application and certification lock them); the address changes.
    a = world.enterprise_a
    return {"name": a.name, "region_code": a.region_id, "sector": a.sector, "established_year": a.established_year,
            "address": "杭州市西湖区文三路1号"}


FINANCIALS = {"operating_revenue": 3100, "main_business_revenue": 2900, "rd_expense": 260, "net_profit": 300,
              "total_assets": 5200, "total_liabilities": 2300}


def _enterprise_args(world: World) -> dict[str, Any]:
    return {"id": world.enterprise_a.pk, "year": FIGURES_YEAR}


def _unjudged_year_args(world: World) -> dict[str, Any]:
    """A year A's application under review did not read (those are locked until it is decided)."""
    return {"id": world.enterprise_a.pk, "year": FIGURES_YEAR - 3}


def _application_args(world: World) -> dict[str, Any]:
    return {"id": world.objects["application_a"].pk}


@dataclass(frozen=True)
class Rule:
    """Who gets a success for one operation; everyone else gets 401 (anonymous) or 403/404 and no data.

    ``sees_a`` (lists only): the roles whose 200 list includes A's row (``marker``); the others get a list
    without it. ``setup`` prepares the state the operation needs (e.g. a draft to submit) and may return path
    arguments.
    """

    allowed: frozenset[str]
    body: Callable[[World, str], dict[str, Any]] | None = None
    sees_a: frozenset[str] | None = None
    path_args: Callable[[World], dict[str, Any]] = _enterprise_args
    marker: Callable[[World], int] = lambda world: world.enterprise_a.pk
    setup: Callable[[World], dict[str, Any] | None] | None = None
    format: str = "json"
    refused: frozenset[int] = frozenset({403, 404})


def _withdrawn_first(world: World) -> None:

    applications.withdraw(world.objects["application_a"], user=world.users["member_a"], reason="start again")


def _fresh_draft(world: World) -> dict[str, Any]:

    _withdrawn_first(world)
    draft = applications.create_application(enterprise=world.enterprise_a, tier="specialised_sme", year=FIGURES_YEAR,
                                        user=world.users["member_a"])
    return {"id": draft.pk}


def _recommended(world: World) -> dict[str, Any]:
    from .world import recommended_application

    return {"id": recommended_application(world).pk}


def _with_evidence(world: World) -> dict[str, Any]:
    from registry.models import Application

    from .world import evidence_of_a

    draft = Application.objects.get(pk=_fresh_draft(world)["id"])
    return {"id": draft.pk, "evidence_id": evidence_of_a(world, draft).pk}


def _upload(world: World, role: str) -> dict[str, Any]:
    from django.core.files.uploadedfile import SimpleUploadedFile

    pdf = SimpleUploadedFile("audit.pdf", b"%PDF-1.4\n%%EOF\n", "application/pdf")
    return {"claim": "financial_report", "file": pdf}


def _seat_of_a(world: World) -> dict[str, Any]:
    """A's little-giant application in expert review, its panel drawn (none of the world's roles sits on it)."""
    from .world import drawn_panel_of_a

    app, seat = drawn_panel_of_a(world)
    world.objects["seat_a"] = seat
    return {"id": seat.pk, "evidence_id": app.evidence.get().pk}


def _scores(world: World, role: str) -> dict[str, Any]:
    return {"scores": {"refinement": 20, "chain_support": 20, "product_field": 20}, "recommendation": "recommend"}


# Reviewers who act at A's application's current stage (county review), and superusers who act at any stage.
COUNTY_STAGE = frozenset({"county_in", "superuser"})
PROVINCIAL = frozenset({"province_in", "superuser"})
MEMBERS_A = frozenset({"member_a", "superuser"})


API_RULES: dict[str, Rule] = {
    "POST /api/auth/token/": Rule(EVERYONE, body=lambda w, role: {"username": "member-a", "password": PASSWORD}),
    "POST /api/register/": Rule(EVERYONE, body=_registration),
    # Every signed-in caller may revoke their own token (the world is built afresh for each case).
    "POST /api/auth/token/revoke/": Rule(AUTHENTICATED, body=lambda w, role: {}),
    "GET /api/enterprises/": Rule(AUTHENTICATED, sees_a=SEES_A),
    "GET /api/enterprises/{id}/": Rule(SEES_A),
    "PUT /api/enterprises/{id}/": Rule(EDITS_A, body=_enterprise_put),
    "PATCH /api/enterprises/{id}/": Rule(EDITS_A, body=lambda w, role: {"contact_name": "王经理"}),
    "GET /api/enterprises/{id}/assessment/": Rule(SEES_A),
    "GET /api/enterprises/{id}/financials/{year}/": Rule(SEES_A),
    "PUT /api/enterprises/{id}/financials/{year}/": Rule(EDITS_A, body=lambda w, role: FINANCIALS,
                                                        path_args=_unjudged_year_args),
    "GET /api/enterprises/{id}/declarations/{year}/": Rule(SEES_A),
    "PUT /api/enterprises/{id}/declarations/{year}/": Rule(
        EDITS_A, body=lambda w, role: {"employees": 130, "rd_staff": 20}, path_args=_unjudged_year_args,
    ),
    "GET /api/enterprises/{id}/change-requests/": Rule(SEES_A),
    "POST /api/enterprises/{id}/change-requests/": Rule(
        EDITS_A, body=lambda w, role: {"kind": "rename", "changes": {"name": "甲企业新名称"}, "reason": "更名"},
    ),
    # Applications: A's specialised-SME application is in county review.
    "GET /api/applications/": Rule(AUTHENTICATED, sees_a=SEES_A, marker=lambda w: w.objects["application_a"].pk),
    # Naming an enterprise one may not see is "no such enterprise" (400 on the field): the same answer as an id
    # that does not exist, so nothing is revealed.
    "POST /api/applications/": Rule(
        MEMBERS_A, setup=_withdrawn_first, refused=frozenset({400, 403}),
        body=lambda w, role: {"enterprise": w.enterprise_a.pk, "tier": "specialised_sme", "year": FIGURES_YEAR},
    ),
    "GET /api/applications/{id}/": Rule(SEES_A, path_args=_application_args),
    "POST /api/applications/{id}/submit/": Rule(MEMBERS_A, setup=_fresh_draft),
    "POST /api/applications/{id}/withdraw/": Rule(MEMBERS_A, path_args=_application_args,
                                                  body=lambda w, role: {"reason": "changed our mind"}),
    "POST /api/applications/{id}/decisions/": Rule(
        COUNTY_STAGE, path_args=_application_args, body=lambda w, role: {"action": "approve", "reason": "checked"}
    ),
    "POST /api/applications/{id}/national-outcome/": Rule(
        PROVINCIAL, setup=_recommended, body=lambda w, role: {"outcome": "certified", "reason": "MIIT list 2026"}
    ),
    "GET /api/applications/{id}/evidence/": Rule(SEES_A, path_args=_application_args),
    "POST /api/applications/{id}/evidence/": Rule(MEMBERS_A, setup=_fresh_draft, body=_upload, format="multipart"),
    "GET /api/applications/{id}/evidence/{evidence_id}/": Rule(SEES_A, setup=_with_evidence),
    # Certifications: A holds the innovative SME tier.
    "GET /api/certifications/": Rule(AUTHENTICATED, sees_a=SEES_A, marker=lambda w: w.objects["certification_a"].pk),
    "GET /api/certifications/{id}/": Rule(SEES_A, path_args=lambda w: {"id": w.objects["certification_a"].pk}),
    "POST /api/certifications/{id}/revoke/": Rule(
        PROVINCIAL, path_args=lambda w: {"id": w.objects["certification_a"].pk},
        body=lambda w, role: {"cause": "data_fraud", "reason": "figures were invented"},
    ),
    "GET /api/tiers/": Rule(EVERYONE),
    # The expert API: the caller's own seats only. No role of the world sits on A's panel, so every list is
    # empty and every seat a 404, staff and A's own reviewers included (test_permissions_experts: the experts).
    "GET /api/expert/assignments/": Rule(AUTHENTICATED, sees_a=frozenset(), setup=_seat_of_a,
                                         marker=lambda w: w.objects["seat_a"].pk),
    "GET /api/expert/assignments/{id}/": Rule(frozenset(), setup=_seat_of_a),
    "POST /api/expert/assignments/{id}/scores/": Rule(frozenset(), setup=_seat_of_a, body=_scores),
    "GET /api/expert/assignments/{id}/evidence/{evidence_id}/": Rule(frozenset(), setup=_seat_of_a),
}


def schema_operations() -> set[str]:
    """Every operation the API publishes, as ``"METHOD /path/"``."""
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    return {
        f"{method.upper()} {path}"
        for path, item in schema["paths"].items()
        for method in item
        if method in HTTP_METHODS
    }


def test_every_api_operation_has_a_rule() -> None:
    published = schema_operations()
    missing = sorted(published - set(API_RULES))
    stale = sorted(set(API_RULES) - published)
    assert not missing, f"operations without a declared permission rule in API_RULES: {missing}"
    assert not stale, f"rules for operations the API no longer has: {stale}"


def _a_audit_count(world: World) -> int:
    return AuditEntry.objects.filter(enterprise_id=world.enterprise_a.pk).count()


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("operation", sorted(API_RULES))
def test_api_permission_matrix(api_client: Any, operation: str, role: str) -> None:
    world = build_world()
    rule = API_RULES[operation]
    method, template = operation.split(" ", 1)
    args = (rule.setup(world) if rule.setup else None) or rule.path_args(world)
    url = template.format(**args)
    authenticate(api_client, world, role)
    body = rule.body(world, role) if rule.body else None
    audit_before = _a_audit_count(world)

    response = getattr(api_client, method.lower())(url, body, format=rule.format)

    raw = b"".join(response.streaming_content) if response.streaming else response.content
    text = raw.decode(errors="replace")
    if role in rule.allowed:
        assert 200 <= response.status_code < 300, f"{role} {operation}: {response.status_code} {text[:300]}"
        if rule.sees_a is not None:
            ids = [row["id"] for row in response.json()["results"]]
            assert (rule.marker(world) in ids) == (role in rule.sees_a), f"{role} list: {ids}"
            if role not in rule.sees_a:
                assert all(secret not in text for secret in world.secrets_of_a())
        return
    expected = {401} if role == "anonymous" else rule.refused
    assert response.status_code in expected, f"{role} {operation}: {response.status_code} {text[:300]}"
    assert response.json()["detail"], "refusals are JSON with a detail"
    # Refusals say "not yours" (403/404), never "wrong state" (400) to someone who may not act at all.
    assert all(secret not in text for secret in world.secrets_of_a()), f"{role} {operation} leaked A's data"
    if method != "GET":
        assert _a_audit_count(world) == audit_before, f"{role} {operation} changed A although refused"


@pytest.mark.django_db
def test_ids_of_other_enterprises_give_404_and_no_data(api_client: Any) -> None:
    """IDOR: B's member walks every id around A's; each answer is a 404 with no trace of A."""
    world = build_world()
    authenticate(api_client, world, "member_b")
    for suffix in ("", "assessment/", f"financials/{FIGURES_YEAR}/", f"declarations/{FIGURES_YEAR}/"):
        response = api_client.get(f"/api/enterprises/{world.enterprise_a.pk}/{suffix}")
        assert response.status_code == 404, suffix
        assert world.enterprise_a.uscc not in response.content.decode()
    # A filter on A's code from B returns an empty list, not A.
    response = api_client.get("/api/enterprises/", {"uscc": world.enterprise_a.uscc})
    assert response.status_code == 200 and response.json()["count"] == 0


@pytest.mark.django_db
@pytest.mark.parametrize("role", sorted(EDITS_A))
def test_no_one_moves_a_out_of_its_reviewers_queue_by_editing_it(api_client: Any, role: str) -> None:
    """A's application is in Xihu's county review: its region is locked for its members and for staff alike."""
    world = build_world()
    authenticate(api_client, world, role)
    response = api_client.patch(f"/api/enterprises/{world.enterprise_a.pk}/", {"region_code": "320102"},
                                format="json")
    assert response.status_code == 400, response.content
    assert "region_code" in response.json()["errors"]
    world.enterprise_a.refresh_from_db()
    assert world.enterprise_a.region_id == "330106"
