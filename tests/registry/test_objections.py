"""Objections to an application in publicity: only a confirmed one counts, it holds the daily close until a
provincial reviewer decides, upheld returns the application, dismissed lets the next run certify it."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from core.audit import AuditEntry
from registry import objections
from registry.applications import close_due_publicity
from registry.models import Announcement, ApplicationStatus, Objection, ObjectionEvidence, ObjectionStatus
from tests.factories import ApplicationFactory, EnterpriseFactory, reviewer

pytestmark = pytest.mark.django_db
LINKS = ("https://example.test/confirm", "https://example.test/status")


@pytest.fixture
def in_publicity() -> Any:
    return ApplicationFactory(enterprise=EnterpriseFactory(name="杭州明德精密机械有限公司"), status="publicity")


@pytest.fixture
def province() -> Any:
    return reviewer("province", "330000", username="province-zj")


def submit(app: Any, **extra: Any) -> Objection:
    values = {"name": "王某某", "email": "objector@example.org", "phone": "0571-8888 1234",
              "reason": "该企业研发费用数据与年报不一致，请核查。", **extra}
    return objections.submit_objection(app, links=lambda o: LINKS, **values)


def confirmed(app: Any, capture: Any) -> Objection:
    with capture(execute=True):
        objection = submit(app)
    return objections.confirm_objection(objections.confirm_token(objection))


def after_publicity(app: Any) -> datetime.date:
    return app.publicity_ends_on + datetime.timedelta(days=1)


def test_an_unconfirmed_objection_does_not_hold_the_close(in_publicity: Any, mailoutbox: Any,
                                                          django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        objection = submit(in_publicity)
    assert objection.status == ObjectionStatus.UNCONFIRMED
    assert len(mailoutbox) == 1 and LINKS[0] in mailoutbox[0].body and objection.reference in mailoutbox[0].body
    assert mailoutbox[0].to == ["objector@example.org"]

    assert close_due_publicity(after_publicity(in_publicity)) == 1
    in_publicity.refresh_from_db()
    assert in_publicity.status == ApplicationStatus.CERTIFIED


def test_a_confirmed_objection_blocks_the_daily_close(in_publicity: Any,
                                                      django_capture_on_commit_callbacks: Any) -> None:
    objection = confirmed(in_publicity, django_capture_on_commit_callbacks)
    assert objection.status == ObjectionStatus.RECEIVED and objection.confirmed_at is not None

    assert close_due_publicity(after_publicity(in_publicity)) == 0
    in_publicity.refresh_from_db()
    assert in_publicity.status == ApplicationStatus.PUBLICITY
    raised = in_publicity.events.get(action="objection_raised")
    assert objection.reference in raised.reason
    assert "王某某" not in raised.reason and "objector@example.org" not in raised.reason
    assert raised.actor_label == "public"
    entry = AuditEntry.objects.for_object(objection).latest("id")
    assert entry.changes["status"] == ["unconfirmed", "received"]
    assert "王某某" not in str(entry.after) and "objector@example.org" not in str(entry.after)


def test_confirming_twice_is_harmless(in_publicity: Any, django_capture_on_commit_callbacks: Any) -> None:
    objection = confirmed(in_publicity, django_capture_on_commit_callbacks)
    again = objections.confirm_objection(objections.confirm_token(objection))
    assert again.status == ObjectionStatus.RECEIVED
    assert in_publicity.events.filter(action="objection_raised").count() == 1


def test_upheld_returns_the_application_to_provincial_review_with_the_reason(
    in_publicity: Any, province: Any, django_capture_on_commit_callbacks: Any,
) -> None:
    objection = confirmed(in_publicity, django_capture_on_commit_callbacks)
    day = after_publicity(in_publicity)
    objections.decide_objection(objection, user=province, action="investigate", reason="调取了年报原件。")
    objection.refresh_from_db()
    assert objection.status == ObjectionStatus.INVESTIGATING and "调取了年报原件" in objection.investigation

    objections.decide_objection(objection, user=province, action="uphold", reason="研发费用填报不实。")
    objection.refresh_from_db()
    in_publicity.refresh_from_db()
    assert objection.status == ObjectionStatus.UPHELD and objection.decided_by == province
    assert in_publicity.status == ApplicationStatus.PROVINCIAL_REVIEW
    assert in_publicity.publicity_ends_on is None
    back = in_publicity.events.get(action="object")
    assert back.to_status == ApplicationStatus.PROVINCIAL_REVIEW
    assert "研发费用填报不实" in back.reason and objection.reference in back.reason
    assert list(in_publicity.events.filter(action__startswith="objection_").values_list("action", flat=True)) == [
        "objection_raised", "objection_investigating", "objection_upheld"]
    assert close_due_publicity(day) == 0


def test_dismissed_lets_the_next_run_close_and_announce(
    in_publicity: Any, province: Any, django_capture_on_commit_callbacks: Any,
) -> None:
    objection = confirmed(in_publicity, django_capture_on_commit_callbacks)
    day = after_publicity(in_publicity)
    assert close_due_publicity(day) == 0
    objections.decide_objection(objection, user=province, action="dismiss", reason="经核查，数据属实。")
    in_publicity.refresh_from_db()
    assert in_publicity.status == ApplicationStatus.PUBLICITY

    next_day = day + datetime.timedelta(days=1)
    assert close_due_publicity(next_day) == 1
    in_publicity.refresh_from_db()
    assert in_publicity.status == ApplicationStatus.CERTIFIED
    announcement = Announcement.objects.get(tier=in_publicity.tier, published_on=next_day)
    assert list(announcement.entries.values_list("certification_id", flat=True)) == [in_publicity.certification_id]


def test_a_decision_needs_a_reason_and_a_provincial_reviewer(
    in_publicity: Any, province: Any, django_capture_on_commit_callbacks: Any,
) -> None:
    objection = confirmed(in_publicity, django_capture_on_commit_callbacks)
    with pytest.raises(ValidationError) as err:
        objections.decide_objection(objection, user=province, action="dismiss", reason="  ")
    assert "reason" in err.value.message_dict
    city = reviewer("city", "330100", username="city-hz")
    with pytest.raises(PermissionDenied):
        objections.decide_objection(objection, user=city, action="dismiss", reason="不成立")
    objection.refresh_from_db()
    assert objection.status == ObjectionStatus.RECEIVED
    objections.decide_objection(objection, user=province, action="dismiss", reason="不成立")
    with pytest.raises(ValidationError):
        objections.decide_objection(objection, user=province, action="uphold", reason="改判")


def test_bad_submission_names_every_field_and_stores_nothing(in_publicity: Any) -> None:
    bad_file = SimpleUploadedFile("proof.pdf", b"not a pdf at all", content_type="application/pdf")
    with pytest.raises(ValidationError) as err:
        submit(in_publicity, name="", email="not-an-address", phone="call me", reason="<b>x</b>" * 500,
               files=[bad_file])
    assert set(err.value.message_dict) == {"objector_name", "contact_email", "contact_phone", "reason", "files"}
    assert not Objection.objects.exists() and not ObjectionEvidence.objects.exists()


def test_evidence_files_are_kept_with_the_objection(in_publicity: Any, settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = str(tmp_path)
    pdf = SimpleUploadedFile("年报对比.pdf", b"%PDF-1.4\n%test\n", content_type="application/pdf")
    objection = submit(in_publicity, files=[pdf])
    item = objection.evidence.get()
    assert item.content_type == "application/pdf" and item.size == len(b"%PDF-1.4\n%test\n")
    assert item.file.read().startswith(b"%PDF-")


def test_no_objection_once_the_period_is_over(in_publicity: Any) -> None:
    in_publicity.status = ApplicationStatus.CERTIFIED
    in_publicity.save()
    with pytest.raises(ValidationError) as err:
        submit(in_publicity)
    assert "application" in err.value.message_dict


def test_a_tampered_or_foreign_token_names_no_objection(in_publicity: Any) -> None:
    objection = submit(in_publicity)
    token = objections.status_token(objection)
    assert objections.objection_for_status(token) == objection
    for bad in (token[:-2] + "xx", objections.confirm_token(objection), "abc"):
        with pytest.raises(ValidationError) as err:
            objections.objection_for_status(bad)
        assert "token" in err.value.message_dict


# --- the admin: provincial reviewers of the region decide ------------------------------------------------------

def test_provincial_reviewers_see_only_their_regions_confirmed_objections(
    in_publicity: Any, province: Any, client: Any, django_capture_on_commit_callbacks: Any, settings: Any,
    tmp_path: Any,
) -> None:
    settings.MEDIA_ROOT = str(tmp_path)
    with django_capture_on_commit_callbacks(execute=True):
        objection = submit(in_publicity, files=[SimpleUploadedFile("证据.pdf", b"%PDF-1.4 x")])
    unconfirmed = submit(ApplicationFactory(status="publicity"), email="someone@example.org")
    objections.confirm_objection(objections.confirm_token(objection))

    client.force_login(province)
    listing = client.get("/admin/registry/objection/").content.decode()
    assert objection.reference in listing and unconfirmed.reference not in listing
    page = client.get(f"/admin/registry/objection/{objection.pk}/change/").content.decode()
    assert "王某某" in page and "证据.pdf" in page  # the reviewer sees who objected, and the evidence
    item = objection.evidence.get()
    download = client.get(f"/admin/registry/objection/{objection.pk}/evidence/{item.pk}/")
    assert download.status_code == 200 and b"".join(download.streaming_content).startswith(b"%PDF")

    jiangsu = reviewer("province", "320000", username="province-js")
    client.force_login(jiangsu)
    assert objection.reference not in client.get("/admin/registry/objection/").content.decode()
    assert client.get(f"/admin/registry/objection/{objection.pk}/evidence/{item.pk}/").status_code == 404

    city = reviewer("city", "330100", username="city-hz")
    client.force_login(city)
    assert client.get("/admin/registry/objection/").status_code == 403


def test_the_admin_action_upholds_through_the_service(in_publicity: Any, province: Any, client: Any,
                                                      django_capture_on_commit_callbacks: Any) -> None:
    objection = confirmed(in_publicity, django_capture_on_commit_callbacks)
    client.force_login(province)
    url = "/admin/registry/objection/"
    asked = client.post(url, {"action": "uphold_selected", "_selected_action": [objection.pk]})
    assert asked.status_code == 200 and "reason" in asked.content.decode()
    empty = client.post(url, {"action": "uphold_selected", "_selected_action": [objection.pk], "apply": "1",
                              "reason": ""}, follow=True)
    assert "A reason is required for the decision." in empty.content.decode()
    client.post(url, {"action": "uphold_selected", "_selected_action": [objection.pk], "apply": "1",
                      "reason": "专利权属存在争议。"})
    objection.refresh_from_db()
    in_publicity.refresh_from_db()
    assert objection.status == ObjectionStatus.UPHELD
    assert in_publicity.status == ApplicationStatus.PROVINCIAL_REVIEW
