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

from enterprises.audit import AuditEntry

from .security_world import (
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
    return {"name": "甲企业（改名）", "region_code": "330106", "sector": "industry", "established_year": 2011}


FINANCIALS = {"operating_revenue": 3100, "main_business_revenue": 2900, "rd_expense": 260, "net_profit": 300,
              "total_assets": 5200, "total_liabilities": 2300}


@dataclass(frozen=True)
class Rule:
    """Who gets a success for one operation; everyone else gets 401 (anonymous) or 403/404 and no data.

    ``sees_a`` (lists only): the roles whose 200 list includes enterprise A; the others get a list without it.
    """

    allowed: frozenset[str]
    body: Callable[[World, str], dict[str, Any]] | None = None
    sees_a: frozenset[str] | None = None
    path_args: Callable[[World], dict[str, Any]] = lambda world: {"id": world.enterprise_a.pk, "year": FIGURES_YEAR}


API_RULES: dict[str, Rule] = {
    "POST /api/auth/token/": Rule(EVERYONE, body=lambda w, role: {"username": "member-a", "password": PASSWORD}),
    "POST /api/register/": Rule(EVERYONE, body=_registration),
    "GET /api/enterprises/": Rule(AUTHENTICATED, sees_a=SEES_A),
    "GET /api/enterprises/{id}/": Rule(SEES_A),
    "PUT /api/enterprises/{id}/": Rule(EDITS_A, body=_enterprise_put),
    "PATCH /api/enterprises/{id}/": Rule(EDITS_A, body=lambda w, role: {"contact_name": "王经理"}),
    "GET /api/enterprises/{id}/assessment/": Rule(SEES_A),
    "GET /api/enterprises/{id}/financials/{year}/": Rule(SEES_A),
    "PUT /api/enterprises/{id}/financials/{year}/": Rule(EDITS_A, body=lambda w, role: FINANCIALS),
    "GET /api/enterprises/{id}/declarations/{year}/": Rule(SEES_A),
    "PUT /api/enterprises/{id}/declarations/{year}/": Rule(
        EDITS_A, body=lambda w, role: {"employees": 130, "rd_staff": 20}
    ),
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
    url = template.format(**rule.path_args(world))
    authenticate(api_client, world, role)
    body = rule.body(world, role) if rule.body else None
    audit_before = _a_audit_count(world)

    response = getattr(api_client, method.lower())(url, body, format="json")

    text = response.content.decode()
    if role in rule.allowed:
        assert 200 <= response.status_code < 300, f"{role} {operation}: {response.status_code} {text[:300]}"
        if rule.sees_a is not None:
            ids = [row["id"] for row in response.json()["results"]]
            assert (world.enterprise_a.pk in ids) == (role in rule.sees_a), f"{role} list: {ids}"
            if role not in rule.sees_a:
                assert all(secret not in text for secret in world.secrets_of_a())
        return
    expected = {401} if role == "anonymous" else {403, 404}
    assert response.status_code in expected, f"{role} {operation}: {response.status_code} {text[:300]}"
    assert response.json()["detail"], "refusals are JSON with a detail"
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
