"""On-site checks (实地核查): who records a visit and when, the checklist and the upload rules, and a failed check
blocking recommendation until it is resolved with a reason."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from core.audit import AuditEntry
from registry import applications, onsite
from registry.models import OnsiteCheck, OnsiteEvidence
from tests.factories import certify, reviewer

from .conftest import YEAR, make_enterprise

pytestmark = pytest.mark.django_db
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n%%EOF\n"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)


def in_county_review():
    enterprise = make_enterprise("A")
    certify(enterprise, "innovative_sme", timezone.localdate() - datetime.timedelta(days=100))
    app = applications.create_application(enterprise=enterprise, tier="specialised_sme", year=YEAR,
                                          user=enterprise.owner)
    app = applications.submit_application(app, user=enterprise.owner)
    app.owner = enterprise.owner
    return app


def all_pass(**overrides):
    findings = {code: {"result": "pass", "note": ""} for code in onsite.CHECKLIST_CODES}
    findings.update(overrides)
    return findings


def visit(app, user, findings=None, files=()):
    return onsite.record_visit(app, user=user, visited_on=timezone.localdate(), visitors="Wang, Li",
                               findings=findings or all_pass(), files=files)


def test_a_failed_check_blocks_recommendation_until_resolved_with_a_reason(county, city):
    app = in_county_review()
    check = visit(app, county, all_pass(premises={"result": "fail", "note": "no production line at the address"}))
    assert check.outcome == "failed" and check.level == "county"
    with pytest.raises(ValidationError) as exc:
        applications.decide(app, user=county, action="approve")
    assert "on-site check" in exc.value.messages[0]
    app.refresh_from_db()
    assert app.status == "county_review"
    # Returning or rejecting is still possible; resolving needs a reason.
    with pytest.raises(ValidationError) as exc:
        onsite.resolve_failure(check, user=county, reason="  ")
    assert "reason" in exc.value.message_dict
    onsite.resolve_failure(check, user=county, reason="moved to the new plant; lease and photos provided")
    check.refresh_from_db()
    assert check.outcome == "resolved" and check.resolved_by == county
    assert AuditEntry.objects.filter(reason__startswith="moved to the new plant").exists()
    app = applications.decide(app, user=county, action="approve")
    assert app.status == "city_review"


def test_a_failed_city_check_blocks_the_city_and_a_passed_one_blocks_nothing(county, city):
    app = in_county_review()
    visit(app, county)  # passed
    app = applications.decide(app, user=county, action="approve")
    visit(app, city, all_pass(figures={"result": "fail", "note": "revenue 20% below the report"}))
    with pytest.raises(ValidationError):
        applications.decide(app, user=city, action="approve")
    # A county reviewer cannot resolve a city-level failure; the city can.
    check = OnsiteCheck.objects.get(application=app, level="city")
    with pytest.raises(PermissionDenied):
        onsite.resolve_failure(check, user=county, reason="fine")
    onsite.resolve_failure(check, user=city, reason="figures corrected after audit")
    assert applications.decide(app, user=city, action="approve").status == "provincial_review"


def test_only_the_stages_reviewer_of_the_region_records_a_visit(county, city, province, other_city):
    app = in_county_review()
    other_county = reviewer("county", "330102", username="county-shangcheng")
    for user in (city, province, other_city, other_county, app.owner):
        with pytest.raises(PermissionDenied):
            visit(app, user)
    applications.decide(app, user=county, action="approve")
    with pytest.raises(PermissionDenied):
        visit(app, county)  # the county's stage is over
    app.refresh_from_db()
    assert visit(app, city).level == "city"
    applications.decide(app, user=city, action="approve")
    app.refresh_from_db()
    with pytest.raises(ValidationError):
        visit(app, province)  # provincial review has no visit step
    assert OnsiteCheck.objects.count() == 1


def test_findings_cover_the_checklist_and_a_failure_says_what_was_found(county):
    app = in_county_review()
    findings = all_pass(rd={"result": "fail", "note": ""}, bogus={"result": "pass"})
    del findings["ip"]
    with pytest.raises(ValidationError) as exc:
        onsite.record_visit(app, user=county, visited_on=timezone.localdate() + datetime.timedelta(days=1),
                            visitors="", findings=findings)
    assert set(exc.value.message_dict) == {"rd", "bogus", "ip", "visited_on", "visitors"}
    assert not OnsiteCheck.objects.exists()


def test_visit_evidence_follows_the_upload_rules(county):
    app = in_county_review()
    fake = SimpleUploadedFile("photo.png", b"not an image at all", "image/png")
    with pytest.raises(ValidationError) as exc:
        visit(app, county, files=[SimpleUploadedFile("report.pdf", PDF, "application/pdf"), fake])
    assert "photo.png" in exc.value.message_dict["file"][0]
    assert not OnsiteCheck.objects.exists() and not OnsiteEvidence.objects.exists()
    check = visit(app, county, files=[SimpleUploadedFile("site.png", PNG, "image/png"),
                                      SimpleUploadedFile("minutes.pdf", PDF, "application/pdf")])
    stored = list(check.evidence.order_by("pk"))
    assert [(e.original_name, e.content_type) for e in stored] == [("site.png", "image/png"),
                                                                  ("minutes.pdf", "application/pdf")]
    assert stored[0].file.read() == PNG


def test_the_admin_records_a_visit_and_resolves_it(client, county, city):
    app = in_county_review()
    client.force_login(county)
    page = client.get(reverse("admin:registry_application_change", args=[app.pk])).content.decode()
    url = reverse("admin:registry_application_onsite_check", args=[app.pk])
    assert url in page
    data = {"visited_on": timezone.localdate().isoformat(), "visitors": "Wang", "summary": "",
            **{f"result_{code}": "pass" for code in onsite.CHECKLIST_CODES},
            **{f"note_{code}": "" for code in onsite.CHECKLIST_CODES}}
    data["result_main_business"] = "fail"
    response = client.post(url, data)
    assert response.status_code == 200 and "Say what was found" in response.content.decode()
    data["note_main_business"] = "main product is trading, not manufacturing"
    data["files"] = SimpleUploadedFile("site.png", PNG, "image/png")
    response = client.post(url, data)
    assert response.status_code == 302
    check = OnsiteCheck.objects.get(application=app)
    assert check.outcome == "failed" and check.evidence.count() == 1
    page = client.get(reverse("admin:registry_application_change", args=[app.pk])).content.decode()
    assert "main_business" in page and "Failed" in page
    evidence = check.evidence.get()
    download = client.get(reverse("admin:registry_onsitecheck_evidence", args=[check.pk, evidence.pk]))
    assert download.status_code == 200 and b"".join(download.streaming_content) == PNG
    resolve = reverse("admin:registry_onsitecheck_resolve", args=[check.pk])
    assert resolve in client.get(reverse("admin:registry_onsitecheck_change", args=[check.pk])).content.decode()
    assert client.post(resolve, {"reason": ""}).status_code == 200
    assert client.post(resolve, {"reason": "second visit: manufacturing confirmed"}).status_code == 302
    check.refresh_from_db()
    assert check.outcome == "resolved"
    client.force_login(city)  # the city cannot record during county review
    assert url not in client.get(reverse("admin:registry_application_change", args=[app.pk])).content.decode()
    assert client.post(url, data).status_code == 302
    assert OnsiteCheck.objects.count() == 1
