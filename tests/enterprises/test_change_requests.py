"""Routing fields are locked while an application or certification depends on them; they change through a
change request that a reviewer of the enterprise's current region approves (issue 18 item 1, issue 15)."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from core.audit import AuditEntry
from enterprises import change_requests
from enterprises.models import ChangeRequest, Enterprise, FinancialYear
from registry import applications
from registry.models import Application
from tests.factories import MembershipFactory, UserFactory, api_token, reviewer, store_profile
from tests.helpers import enterprise_in
from tests.registry.conftest import example_profile

pytestmark = pytest.mark.django_db
YEAR = 2025


@pytest.fixture
def at_city_review():
    """An enterprise of Xihu (Hangzhou) whose application the county passed: it waits in Hangzhou's queue."""
    enterprise = enterprise_in("330106", name="甲企业")
    store_profile(enterprise, example_profile("A"))
    owner = MembershipFactory(enterprise=enterprise, user=UserFactory(username="owner")).user
    app = applications.create_application(enterprise=enterprise, tier="innovative_sme", year=YEAR, user=owner)
    app = applications.submit_application(app, user=owner)
    if app.status == "county_review":
        app = applications.decide(app, user=reviewer("county", "330106"), action="approve", reason="ok")
    assert app.status == "city_review"
    return enterprise, owner, app


def api(user):
    from rest_framework.test import APIClient

    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.credentials(HTTP_AUTHORIZATION=f"Token {api_token(user)}")
    return client


def test_moving_region_during_city_review_is_refused_naming_the_field(at_city_review):
    enterprise, owner, app = at_city_review
    response = api(owner).patch(f"/api/enterprises/{enterprise.pk}/", {"region_code": "330203"}, format="json")
    assert response.status_code == 400, response.content
    body = response.json()
    assert "region_code" in body["errors"] and "city review" in body["errors"]["region_code"][0].lower()
    enterprise.refresh_from_db()
    assert enterprise.region_id == "330106"
    city = reviewer("city", "330100")
    assert Application.objects.restrict(city).filter(pk=app.pk).exists()  # still in Hangzhou's queue


@pytest.mark.parametrize("field, value", [("sector", "service"), ("name", "改名企业"), ("established_year", 2001)])
def test_other_routing_fields_are_locked_too(at_city_review, field, value):
    enterprise, owner, _app = at_city_review
    response = api(owner).patch(f"/api/enterprises/{enterprise.pk}/", {field: value}, format="json")
    assert response.status_code == 400 and field in response.json()["errors"]


def test_contact_details_stay_editable(at_city_review):
    enterprise, owner, _app = at_city_review
    response = api(owner).patch(f"/api/enterprises/{enterprise.pk}/", {"contact_name": "王经理",
                                                                        "region_code": "330106"}, format="json")
    assert response.status_code == 200, response.content


def test_the_figures_judged_by_the_application_are_locked_but_other_years_are_not(at_city_review):
    enterprise, owner, _app = at_city_review
    client = api(owner)
    refused = client.put(f"/api/enterprises/{enterprise.pk}/declarations/{YEAR}/", {"employees": 999},
                         format="json")
    assert refused.status_code == 400, refused.content
    assert any(key.endswith("employees") for key in refused.json()["errors"]), refused.content
    row = FinancialYear.objects.get(enterprise=enterprise, year=YEAR)
    revenue = {f: getattr(row, f) for f in FinancialYear.PROFILE_FIELDS}
    refused = client.put(f"/api/enterprises/{enterprise.pk}/financials/{YEAR}/",
                         {**{k: str(v) for k, v in revenue.items()}, "operating_revenue": "1"}, format="json")
    assert refused.status_code == 400 and "operating_revenue" in refused.json()["errors"]
    same = client.put(f"/api/enterprises/{enterprise.pk}/financials/{YEAR}/",
                      {k: str(v) for k, v in revenue.items()}, format="json")
    assert same.status_code == 200, same.content  # re-sending the same figures changes nothing
    older = client.put(f"/api/enterprises/{enterprise.pk}/financials/{YEAR - 4}/",
                       {k: str(v) for k, v in revenue.items()}, format="json")
    assert older.status_code == 201, older.content


def test_a_returned_application_unlocks_for_correction(at_city_review):
    enterprise, owner, app = at_city_review
    applications.decide(app, user=reviewer("city", "330100"), action="return", reason="fix the figures")
    response = api(owner).put(f"/api/enterprises/{enterprise.pk}/declarations/{YEAR}/", {"employees": 120},
                              format="json")
    assert response.status_code == 200, response.content


def test_the_portal_refuses_the_judged_figures(at_city_review):
    enterprise, owner, _app = at_city_review
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(owner)
    row = FinancialYear.objects.get(enterprise=enterprise, year=YEAR)
    data = {f: getattr(row, f) for f in FinancialYear.PROFILE_FIELDS}
    data["operating_revenue"] = 1
    response = client.post(reverse("portal:financials", args=[YEAR]), data)
    assert response.status_code == 200 and "Locked" in response.content.decode()
    row.refresh_from_db()
    assert row.operating_revenue != 1


def test_the_admin_refuses_a_region_change_for_staff(at_city_review):
    enterprise, _owner, _app = at_city_review
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    url = reverse("admin:enterprises_enterprise_change", args=[enterprise.pk])
    page = client.get(url)
    assert page.status_code == 200
    form = page.context["adminform"].form
    data = {name: form.initial.get(name) or "" for name in form.fields}
    data.update({"region": "330203", "established_on": ""})
    for prefix in (inline.formset.prefix for inline in page.context["inline_admin_formsets"]):
        data.update({f"{prefix}-TOTAL_FORMS": 0, f"{prefix}-INITIAL_FORMS": 0})
    response = client.post(url, data)
    assert response.status_code == 200 and "Locked" in response.content.decode()
    enterprise.refresh_from_db()
    assert enterprise.region_id == "330106"


def test_the_import_refuses_a_region_change(at_city_review, tmp_path):
    enterprise, _owner, _app = at_city_review
    path = tmp_path / "move.csv"
    path.write_text(f"uscc,region_code\n{enterprise.uscc},330203\n", encoding="utf-8")
    out = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_figures", str(path), stdout=out, stderr=out)
    assert "region_code" in out.getvalue() and "Locked" in out.getvalue(), out.getvalue()
    enterprise.refresh_from_db()
    assert enterprise.region_id == "330106"


def test_a_move_goes_through_a_change_request_approved_by_the_current_city(at_city_review):
    enterprise, owner, app = at_city_review
    client = api(owner)
    filed = client.post(f"/api/enterprises/{enterprise.pk}/change-requests/",
                        {"kind": "move", "changes": {"region_code": "330203"}, "reason": "迁址宁波"}, format="json")
    assert filed.status_code == 201, filed.content
    request = ChangeRequest.objects.get()
    assert request.region_id == "330106" and request.before == {"region_code": "330106"}
    again = client.post(f"/api/enterprises/{enterprise.pk}/change-requests/",
                        {"kind": "rename", "changes": {"name": "新名"}, "reason": "x"}, format="json")
    assert again.status_code == 400  # one pending at a time

    with pytest.raises(PermissionDenied):  # Ningbo (the destination) does not decide
        change_requests.decide_change_request(request, user=reviewer("city", "330200"), approve=True)
    with pytest.raises(PermissionDenied):  # nor another province
        change_requests.decide_change_request(request, user=reviewer("province", "320000"), approve=True)

    change_requests.decide_change_request(request, user=reviewer("city", "330100", username="hz"), approve=True,
                                          reason="核实")
    enterprise.refresh_from_db()
    assert enterprise.region_id == "330203"
    history = client.get(f"/api/enterprises/{enterprise.pk}/change-requests/").json()
    assert [(r["status"], r["before"], r["changes"]) for r in history] == [
        ("approved", {"region_code": "330106"}, {"region_code": "330203"})]
    trail = AuditEntry.objects.for_enterprise(enterprise.pk)
    assert trail.filter(content_type__model="changerequest").count() == 2  # filed, approved
    assert any("region_id" in (e.changes or {}) for e in trail)


def test_bad_change_requests_name_the_field(at_city_review):
    enterprise, owner, _app = at_city_review
    client = api(owner)
    for changes, field in (({"region_code": "999999"}, "changes.region_code"),
                           ({"uscc": "x"}, "changes"), ({"name": "甲企业"}, "changes.name")):
        response = client.post(f"/api/enterprises/{enterprise.pk}/change-requests/",
                               {"kind": "rename", "changes": changes, "reason": "r"}, format="json")
        assert response.status_code == 400 and field in response.json()["errors"], (changes, response.content)
    assert not ChangeRequest.objects.exists()


def test_a_reviewer_lists_only_their_regions_change_requests_in_the_admin(at_city_review):
    enterprise, owner, _app = at_city_review
    change_requests.file_change_request(enterprise, user=owner, kind="rename", changes={"name": "新名称"},
                                        reason="更名")
    for user, sees in ((reviewer("city", "330100"), True), (reviewer("city", "330200"), False),
                       (reviewer("province", "320000"), False), (reviewer("province", "330000"), True)):
        client = Client(HTTP_ACCEPT_LANGUAGE="en")
        client.force_login(user)
        page = client.get(reverse("admin:enterprises_changerequest_changelist")).content.decode()
        assert (enterprise.uscc in page or enterprise.name in page) == sees, user.username


def test_an_approved_rename_in_the_admin_applies(at_city_review):
    enterprise, owner, _app = at_city_review
    request = change_requests.file_change_request(enterprise, user=owner, kind="rename",
                                                  changes={"name": "新名称有限公司"}, reason="更名")
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(reviewer("county", "330106"))
    client.post(reverse("admin:enterprises_changerequest_changelist"),
                {"action": "approve_selected", "_selected_action": [request.pk]})
    assert Enterprise.objects.get(pk=enterprise.pk).name == "新名称有限公司"
