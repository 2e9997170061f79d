"""Bad figures get a clear error naming the field, in the API and the admin alike, and nothing is half-saved."""

import datetime

import pytest

from core.audit import AuditEntry
from enterprises.models import Declaration, Enterprise, FinancialYear
from tests.factories import EnterpriseFactory, MembershipFactory, UserFactory, api_token

pytestmark = pytest.mark.django_db

GOOD = {"operating_revenue": 3000, "main_business_revenue": 2850, "rd_expense": 255, "net_profit": 330,
        "total_assets": 5000, "total_liabilities": 2250}


@pytest.fixture
def member_client(api_client):
    membership = MembershipFactory()
    token = api_token(membership.user)
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    api_client.enterprise = membership.enterprise
    return api_client


def put_financials(client, year, **changes):
    return client.put(f"/api/enterprises/{client.enterprise.pk}/financials/{year}/", {**GOOD, **changes},
                      format="json")


def test_good_financials_are_stored_then_replaced(member_client):
    assert put_financials(member_client, 2025).status_code == 201
    response = put_financials(member_client, 2025, rd_expense=300)
    assert response.status_code == 200
    assert FinancialYear.objects.get(enterprise=member_client.enterprise, year=2025).rd_expense == 300


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"operating_revenue": -1, "main_business_revenue": -2}, "operating_revenue"),
        ({"total_assets": 0}, "total_assets"),
        ({"total_assets": -5}, "total_assets"),
        ({"main_business_revenue": 3001}, "main_business_revenue"),
        ({"rd_expense": "lots"}, "rd_expense"),
    ],
)
def test_bad_financials_name_the_field_and_store_nothing(member_client, changes, field):
    put_financials(member_client, 2024)
    before = list(FinancialYear.objects.values_list("year", "operating_revenue", "total_assets"))
    response = put_financials(member_client, 2024, **changes)
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"], response.json()
    assert list(FinancialYear.objects.values_list("year", "operating_revenue", "total_assets")) == before


def test_a_year_in_the_future_is_refused(member_client):
    future = datetime.date.today().year + 1
    response = put_financials(member_client, future)
    assert response.status_code == 400
    assert "year" in response.json()["errors"]
    assert not FinancialYear.objects.exists()


def test_rd_staff_above_employees_is_refused(member_client):
    url = f"/api/enterprises/{member_client.enterprise.pk}/declarations/2025/"
    response = member_client.put(url, {"employees": 10, "rd_staff": 11}, format="json")
    assert response.status_code == 400
    assert "rd_staff" in response.json()["errors"]
    assert not Declaration.objects.exists()


def test_a_subset_larger_than_its_whole_names_the_nested_field(member_client):
    url = f"/api/enterprises/{member_client.enterprise.pk}/declarations/2025/"
    response = member_client.put(url, {"employees": 10, "rd_staff": 1, "ip": {"class_i": 1, "class_i_applied": 2}},
                                 format="json")
    assert response.status_code == 400
    assert "ip.class_i_applied" in response.json()["errors"]


def test_registration_with_an_invalid_code_or_unknown_region_names_each_field(api_client):
    response = api_client.post("/api/register/", {
        "username": "new-user", "password": "Tier-Registry-2025", "email": "a@example.com",
        "enterprise": {"uscc": "91330106MA2B3C4D5E", "name": "x", "region_code": "999999", "sector": "industry",
                       "established_year": 2011},
    }, format="json")
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert "enterprise.uscc" in errors
    assert not Enterprise.objects.exists()
    assert not UserFactory._meta.model.objects.filter(username="new-user").exists()


def test_unknown_region_is_named(api_client):
    from enterprises.uscc import make_uscc

    response = api_client.post("/api/register/", {
        "username": "new-user", "password": "Tier-Registry-2025", "email": "a@example.com",
        "enterprise": {"uscc": make_uscc("330106"), "name": "x", "region_code": "999999", "sector": "industry",
                       "established_year": 2011},
    }, format="json")
    assert response.status_code == 400
    assert "enterprise.region_code" in response.json()["errors"]
    assert not Enterprise.objects.exists()


def test_admin_refuses_bad_inline_figures_and_saves_nothing(client):
    admin = UserFactory(username="root", is_staff=True, is_superuser=True)
    enterprise = EnterpriseFactory(name="原名称")
    client.force_login(admin)
    url = f"/admin/enterprises/enterprise/{enterprise.pk}/change/"
    page = client.get(url)
    assert page.status_code == 200
    data = {
        "uscc": enterprise.uscc, "name": "新名称", "region": enterprise.region_id, "sector": "industry",
        "established_year": 2011, "established_on": "", "address": "", "contact_name": "", "contact_phone": "",
        "contact_email": "",
        "memberships-TOTAL_FORMS": 0, "memberships-INITIAL_FORMS": 0,
        "financials-TOTAL_FORMS": 1, "financials-INITIAL_FORMS": 0,
        "financials-0-year": 2025, "financials-0-operating_revenue": 100, "financials-0-main_business_revenue": 200,
        "financials-0-rd_expense": 1, "financials-0-net_profit": 1, "financials-0-total_assets": 10,
        "financials-0-total_liabilities": 1,
        "declarations-TOTAL_FORMS": 0, "declarations-INITIAL_FORMS": 0,
    }
    response = client.post(url, data, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200  # the form is shown again with the error
    assert "Main-business revenue cannot exceed operating revenue" in response.content.decode()
    enterprise.refresh_from_db()
    assert enterprise.name == "原名称"
    assert not FinancialYear.objects.exists()
    assert not AuditEntry.objects.filter(action="update", object_repr="新名称").exists()
