"""The reviewers' admin: queue first, the assessment on the page, decision buttons and bulk actions."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse
from django.utils import timezone

from registry import applications
from registry.models import Application, ApplicationEvent
from tests.factories import certify

from .conftest import YEAR, make_enterprise

pytestmark = pytest.mark.django_db
CHANGELIST = "/admin/registry/application/"


def submitted(enterprise, tier="innovative_sme"):
    app = applications.create_application(enterprise=enterprise, tier=tier, year=YEAR, user=enterprise.owner)
    return applications.submit_application(app, user=enterprise.owner)


def test_the_changelist_shows_the_reviewers_queue_first_in_constant_queries(client, city,
                                                                           django_assert_max_num_queries):
    later = submitted(make_enterprise("A"))
    applications.decide(later, user=city, action="approve")  # now at provincial review: not the city's queue
    mine = [submitted(make_enterprise("A")) for _ in range(3)]
    client.force_login(city)
    with django_assert_max_num_queries(12):
        response = client.get(CHANGELIST)
    ids = [obj.pk for obj in response.context["cl"].result_list]
    assert ids[:3] == [a.pk for a in mine] and ids[3] == later.pk
    for _ in range(5):
        submitted(make_enterprise("A"))
    with django_assert_max_num_queries(12):
        assert client.get(CHANGELIST).status_code == 200
    assert client.get(CHANGELIST + "?queue=mine").context["cl"].result_count == 8


def test_reviewers_see_only_their_region(client, other_city):
    submitted(make_enterprise("A"))
    client.force_login(other_city)
    assert client.get(CHANGELIST).context["cl"].result_count == 0


def test_the_change_page_shows_the_assessment_history_and_the_buttons(client, city, county):
    app = submitted(make_enterprise("B"))
    client.force_login(city)
    page = client.get(reverse("admin:registry_application_change", args=[app.pk])).content.decode()
    assert "growth subtotal 5 is below the minimum 15" in page  # unmet rule
    assert "main-business revenue growth" in page and "main_growth" not in page  # score breakdown, by name
    assert "Audited financial report" in page  # claim without evidence
    assert 'value="approve"' in page and 'value="return"' in page and 'value="reject"' in page
    assert "8000" in page  # the figures at submission
    client.force_login(county)
    page = client.get(reverse("admin:registry_application_change", args=[app.pk])).content.decode()
    assert 'value="approve"' not in page


def test_the_decide_view_calls_the_service_and_reports_refusals(client, city):
    app = submitted(make_enterprise("A"))
    client.force_login(city)
    url = reverse("admin:registry_application_decide", args=[app.pk])
    response = client.post(url, {"action": "reject", "reason": ""}, follow=True)
    assert "A reason is required" in response.content.decode()
    app.refresh_from_db()
    assert app.status == "city_review"
    client.post(url, {"action": "approve", "reason": "checked"})
    app.refresh_from_db()
    assert app.status == "provincial_review"
    assert app.events.last().reason == "checked"


def test_bulk_return_writes_one_history_entry_per_application(client, city):
    apps = [submitted(make_enterprise("A")) for _ in range(3)]
    client.force_login(city)
    data = {"action": "return_selected", ACTION_CHECKBOX_NAME: [a.pk for a in apps]}
    response = client.post(CHANGELIST, data)
    assert response.status_code == 200 and "Reason" in response.content.decode()  # asks for the reason first
    client.post(CHANGELIST, {**data, "apply": "1", "reason": "missing audit reports"})
    assert set(Application.objects.filter(pk__in=[a.pk for a in apps]).values_list("status", flat=True)) == {
        "returned"}
    events = ApplicationEvent.objects.filter(action="return", reason="missing audit reports")
    assert events.count() == 3


def test_bulk_reject_without_reason_changes_nothing(client, city):
    apps = [submitted(make_enterprise("A")) for _ in range(2)]
    client.force_login(city)
    client.post(CHANGELIST, {"action": "reject_selected", ACTION_CHECKBOX_NAME: [a.pk for a in apps],
                             "apply": "1", "reason": ""})
    assert not Application.objects.filter(status="rejected").exists()


def test_certification_revoke_action(client, province):
    enterprise = make_enterprise("A")
    cert = certify(enterprise, "innovative_sme", timezone.localdate() - datetime.timedelta(days=10))
    client.force_login(province)
    client.post("/admin/registry/certification/", {
        "action": "revoke_selected", ACTION_CHECKBOX_NAME: [cert.pk], "apply": "1", "cause": "data_fraud",
        "reason": "forged invoices"})
    cert.refresh_from_db()
    enterprise.refresh_from_db()
    assert cert.status == "revoked" and enterprise.banned_until is not None


def test_city_quota_admin_for_provincial_reviewers(client, province, city):
    client.force_login(province)
    response = client.post("/admin/registry/cityquota/add/", {"city": "330100", "tier": "innovative_sme",
                                                              "year": 2026, "quota": 12})
    assert response.status_code == 302
    client.force_login(city)
    assert client.get("/admin/registry/cityquota/add/").status_code == 403
    assert client.get("/admin/registry/cityquota/").status_code == 200


def test_demotion_proposals_are_accepted_from_the_admin(client, province):
    from registry.models import DemotionProposal

    enterprise = make_enterprise("A")
    cert = certify(enterprise, "innovative_sme", timezone.localdate() - datetime.timedelta(days=10))
    proposal = DemotionProposal.objects.create(enterprise=enterprise, certification=cert, tier=cert.tier, year=YEAR)
    client.force_login(province)
    assert client.get("/admin/registry/demotionproposal/").context["cl"].result_count == 1
    client.post("/admin/registry/demotionproposal/", {
        "action": "accept_selected", ACTION_CHECKBOX_NAME: [proposal.pk], "apply": "1",
        "reason": "main-business share fell to 40%"})
    proposal.refresh_from_db()
    cert.refresh_from_db()
    assert proposal.status == "accepted" and cert.revocation_cause == "demotion"
