"""Hostile input gets a clear client error naming the field, never a crash: oversized bodies, deep JSON,
undecodable bytes, huge numbers, NaN and Infinity, SQL and HTML in text fields.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from enterprises.models import Enterprise, FinancialYear

from .world import FIGURES_YEAR, authenticate, build_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def world() -> Any:
    return build_world()


@pytest.fixture
def member(api_client: Any, world: Any) -> Any:
    return authenticate(api_client, world, "member_a")


def _raw(client: Any, method: str, url: str, body: bytes, content_type: str = "application/json") -> Any:
    return getattr(client, method)(url, data=body, content_type=content_type)


def _financials_url(world: Any) -> str:
    return f"/api/enterprises/{world.enterprise_a.pk}/financials/{FIGURES_YEAR}/"


GOOD_FINANCIALS = {"operating_revenue": 3100, "main_business_revenue": 2900, "rd_expense": 260, "net_profit": 300,
                   "total_assets": 5200, "total_liabilities": 2300}


def test_a_body_over_the_upload_limit_is_413_json(member: Any, world: Any, settings: Any) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    body = json.dumps({"contact_name": "x" * 20_000}).encode()
    response = _raw(member, "patch", f"/api/enterprises/{world.enterprise_a.pk}/", body)
    assert response.status_code == 413
    assert "10000 bytes" in response.json()["detail"]
    world.enterprise_a.refresh_from_db()
    assert world.enterprise_a.contact_name == ""


def test_a_form_body_over_the_limit_is_413_too(member: Any, world: Any, settings: Any) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1_000
    body = ("contact_name=" + "y" * 5_000).encode()
    response = _raw(member, "patch", f"/api/enterprises/{world.enterprise_a.pk}/", body,
                    "application/x-www-form-urlencoded")
    assert response.status_code == 413


@pytest.mark.parametrize("depth", [40, 100_000])
def test_deeply_nested_json_is_400(member: Any, world: Any, depth: int) -> None:
    body = ("[" * depth + "]" * depth).encode()
    response = _raw(member, "post", "/api/applications/", body)
    assert response.status_code == 400
    assert "deep" in response.json()["detail"]


def test_nesting_inside_a_field_names_the_field(member: Any, world: Any) -> None:
    nested: Any = 1
    for _ in range(40):
        nested = {"x": nested}
    response = member.put(_financials_url(world), {**GOOD_FINANCIALS, "rd_expense": nested}, format="json")
    assert response.status_code == 400
    assert next(iter(response.json()["errors"])).startswith("rd_expense")


def test_non_utf8_body_is_400(member: Any, world: Any) -> None:
    body = '{"contact_name": "张三"}'.encode("gb18030")
    response = _raw(member, "patch", f"/api/enterprises/{world.enterprise_a.pk}/", body)
    assert response.status_code == 400
    assert "utf-8" in response.json()["detail"].lower()
    form = _raw(member, "patch", f"/api/enterprises/{world.enterprise_a.pk}/", b"contact_name=\xff\xfe",
                "application/x-www-form-urlencoded")
    assert form.status_code == 400


@pytest.mark.parametrize("token", ["NaN", "Infinity", "-Infinity", "1e400"])
def test_nan_and_infinity_are_400_naming_the_field(member: Any, world: Any, token: str) -> None:
    text = json.dumps(GOOD_FINANCIALS).replace('"rd_expense": 260', f'"rd_expense": {token}')
    response = _raw(member, "put", _financials_url(world), text.encode())
    assert response.status_code == 400, response.content
    assert "rd_expense" in response.json()["errors"]
    assert not FinancialYear.objects.filter(enterprise=world.enterprise_a, rd_expense__gt=10**6).exists()


@pytest.mark.parametrize("value", [10**30, -(10**30), int("9" * 4000)])
def test_huge_numbers_are_400_naming_the_field(member: Any, world: Any, value: int) -> None:
    text = json.dumps(GOOD_FINANCIALS).replace('"rd_expense": 260', f'"rd_expense": {value}')
    response = _raw(member, "put", _financials_url(world), text.encode())
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["errors"], body


def test_huge_integers_in_declarations_and_applications_are_400(member: Any, world: Any) -> None:
    url = f"/api/enterprises/{world.enterprise_a.pk}/declarations/{FIGURES_YEAR}/"
    response = member.put(url, {"employees": 10**20, "rd_staff": 1}, format="json")
    assert response.status_code == 400 and "employees" in response.json()["errors"]
    response = member.post("/api/applications/", {"enterprise": 10**20, "tier": "innovative_sme",
                                                  "year": 10**20}, format="json")
    assert response.status_code == 400 and response.json()["errors"]


SQL = "'; DROP TABLE enterprises_enterprise; --"
HTML = '<img src=x onerror="alert(1)">'


@pytest.mark.parametrize("text", [SQL, HTML, "\u202eevil", "a\x00b", "\ud800lone surrogate"])
def test_sql_html_and_control_text_is_stored_as_text_or_refused_clearly(member: Any, world: Any, text: str) -> None:
    body = json.dumps({"contact_name": text}).encode()  # \u escapes: even a lone surrogate is valid JSON text
    response = _raw(member, "patch", f"/api/enterprises/{world.enterprise_a.pk}/", body)
    if response.status_code == 400:
        assert "contact_name" in response.json()["errors"]  # NUL and lone surrogates are refused by name
    else:
        assert response.status_code == 200
        assert response.json()["contact_name"] == text
    assert Enterprise.objects.count() == 2  # the table is still there


def test_sql_in_filters_and_search_finds_nothing_and_breaks_nothing(member: Any, world: Any) -> None:
    for params in ({"search": SQL}, {"name": SQL}, {"uscc": SQL}, {"region": SQL}, {"ordering": SQL}):
        response = member.get("/api/enterprises/", params)
        assert response.status_code in (200, 400), (params, response.status_code)
        if response.status_code == 200:
            assert response.json()["count"] == 0 or "ordering" in params


def test_wrong_types_name_the_field(member: Any, world: Any) -> None:
    response = member.put(_financials_url(world), {**GOOD_FINANCIALS, "net_profit": "lots"}, format="json")
    assert response.status_code == 400 and "net_profit" in response.json()["errors"]
    response = member.post("/api/applications/", {"enterprise": world.enterprise_a.pk, "tier": "<b>x</b>",
                                                  "year": "2025"}, format="json")
    assert response.status_code == 400 and "tier" in response.json()["errors"]
    assert "<b>" not in response.json()["detail"] or response["Content-Type"].startswith("application/json")


def test_a_json_document_that_is_not_an_object_is_400(member: Any, world: Any) -> None:
    for body in (b"[]", b'"text"', b"42", b"null", b"{", b""):
        response = _raw(member, "post", "/api/applications/", body)
        assert response.status_code == 400, (body, response.status_code)
        assert response["Content-Type"].startswith("application/json")
