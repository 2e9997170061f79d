"""Certification lifecycle: expiry, reminders (never sent twice), publicity close-out, schedule tasks."""

from __future__ import annotations

import datetime
from types import SimpleNamespace

import pytest
from django.core import mail

from core.audit import AuditEntry
from enterprises.models import Enterprise
from evaluation.models import RescoreJob
from evaluation.versions import annual_update_deadline
from registry import applications, certifications, notifications
from registry.certifications import refresh_current_tier
from registry.models import Application, Certification, Notification
from tests.factories import (
    DeclarationFactory,
    EnterpriseFactory,
    FinancialYearFactory,
    MembershipFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 11, 26)


def days(n: int) -> datetime.timedelta:
    return datetime.timedelta(days=n)


def test_an_expired_certification_expires_and_the_current_tier_drops_to_the_next_held(certify):
    enterprise = EnterpriseFactory()
    giant = certify(enterprise, "little_giant", TODAY - days(3 * 365), TODAY - days(1))
    certify(enterprise, "innovative_sme", TODAY - days(300), TODAY + days(800))
    refresh_current_tier([enterprise.pk], TODAY - days(2))
    assert Enterprise.objects.get(pk=enterprise.pk).current_tier == "little_giant"

    assert certifications.expire_certifications(TODAY) == 1
    giant.refresh_from_db()
    enterprise.refresh_from_db()
    assert giant.status == "expired"
    assert enterprise.current_tier == "innovative_sme"
    assert AuditEntry.objects.for_object(giant).filter(action="transition").get().changes == {
        "status": ["active", "expired"]}
    tier_entry = AuditEntry.objects.for_object(enterprise).get(action="update")
    assert tier_entry.changes == {"current_tier": ["little_giant", "innovative_sme"]}
    assert certifications.expire_certifications(TODAY) == 0, "a second run changes nothing"


def test_a_certification_is_valid_through_its_expiry_day(certify):
    enterprise = EnterpriseFactory()
    cert = certify(enterprise, "innovative_sme", TODAY - days(3 * 365), TODAY)
    assert certifications.expire_certifications(TODAY) == 0
    assert certifications.expire_certifications(TODAY + days(1)) == 1
    cert.refresh_from_db()
    assert cert.status == "expired"


def test_a_certification_under_a_running_rereview_stays_valid(certify):
    enterprise = EnterpriseFactory()
    cert = certify(enterprise, "specialised_sme", TODAY - days(3 * 365), TODAY - days(10))
    Application.objects.create(enterprise=enterprise, tier="specialised_sme", year=2025, kind="rereview",
                               status="provincial_review", certification=cert)
    assert certifications.expire_certifications(TODAY) == 0
    cert.refresh_from_db()
    assert cert.status == "active"
    # ...and its tier still counts as held: profiles and the current tier see it while the re-review runs.
    assert Certification.objects.valid_on(TODAY).filter(pk=cert.pk).exists()
    certifications.refresh_current_tier([enterprise.pk], TODAY)
    enterprise.refresh_from_db()
    assert enterprise.held_tier_codes == ("specialised_sme",)


def test_an_expired_certification_without_a_rereview_is_no_longer_held(certify):
    enterprise = EnterpriseFactory()
    cert = certify(enterprise, "specialised_sme", TODAY - days(3 * 365), TODAY - days(10))
    assert not Certification.objects.valid_on(TODAY).filter(pk=cert.pk).exists()


def _member(enterprise, email: str):
    return MembershipFactory(enterprise=enterprise, user=UserFactory(email=email))


def test_an_expiry_reminder_goes_out_90_days_before_and_never_twice(certify, django_capture_on_commit_callbacks):
    soon, later = EnterpriseFactory(), EnterpriseFactory()
    _member(soon, "owner@soon.example")
    _member(later, "owner@later.example")
    cert = certify(soon, "innovative_sme", TODAY - days(1000), TODAY + days(90))
    certify(later, "innovative_sme", TODAY - days(900), TODAY + days(91))

    with django_capture_on_commit_callbacks(execute=True):
        assert notifications.send_reminders(TODAY) == 1
    notice = Notification.objects.get()
    assert notice.key == f"certification-expiry:{cert.pk}:{cert.expires_on.isoformat()}"
    assert notice.enterprise_id == soon.pk and notice.sent_at is not None
    assert [m.to for m in mail.outbox] == [["owner@soon.example"]]

    with django_capture_on_commit_callbacks(execute=True):
        assert notifications.send_reminders(TODAY) == 0
        assert notifications.send_reminders(TODAY + days(1)) == 1  # now the other one is 90 days out
    assert Notification.objects.count() == 2
    assert len(mail.outbox) == 2


def test_a_notification_is_delivered_at_most_once_even_if_the_task_runs_twice():
    enterprise = EnterpriseFactory()
    _member(enterprise, "a@example.com")
    notice = Notification.objects.create(key="k1", enterprise=enterprise, kind="test", subject="s", body="b")
    assert notifications.deliver_notifications([notice.pk]) == 1
    assert notifications.deliver_notifications([notice.pk]) == 0
    assert len(mail.outbox) == 1


def test_a_failed_delivery_releases_its_claim_for_the_retry(monkeypatch):
    enterprise = EnterpriseFactory()
    _member(enterprise, "a@example.com")
    notice = Notification.objects.create(key="k2", enterprise=enterprise, kind="test", subject="s", body="b")

    def broken(*args, **kwargs):
        raise ConnectionError("smtp down")

    monkeypatch.setattr(notifications, "send_mail", broken)
    with pytest.raises(ConnectionError):
        notifications.deliver_notifications([notice.pk])
    notice.refresh_from_db()
    assert notice.sent_at is None
    monkeypatch.undo()
    assert notifications.deliver_notifications([notice.pk]) == 1


@pytest.mark.parametrize(("on", "reminded"), [
    (datetime.date(2025, 4, 20), True),    # miit-2022: 10 days before 30 April
    (datetime.date(2025, 5, 20), False),   # miit-2022: deadline passed
    (datetime.date(2026, 5, 20), True),    # miit-2026: 11 days before 31 May
    (datetime.date(2026, 4, 20), False),   # miit-2026: 41 days before 31 May, not yet
])
def test_the_annual_update_reminder_follows_the_deadline_of_the_ruleset_in_force(certify, on, reminded):
    late, done = EnterpriseFactory(), EnterpriseFactory()
    for enterprise in (late, done):
        certify(enterprise, "innovative_sme", on - days(200), on + days(600))
    FinancialYearFactory(enterprise=done, year=on.year - 1)
    DeclarationFactory(enterprise=done, year=on.year - 1)
    notifications.send_reminders(on)
    keys = set(Notification.objects.filter(kind="annual_update").values_list("key", flat=True))
    assert keys == ({f"annual-update:{on.year}:{late.pk}"} if reminded else set())


def test_the_annual_deadline_comes_from_the_ruleset_data_when_it_states_one(settings):
    assert annual_update_deadline(SimpleNamespace(code="miit-2022", data={}), 2025) == \
        datetime.date(2025, 4, 30)
    assert annual_update_deadline(SimpleNamespace(code="miit-2026", data={}), 2026) == \
        datetime.date(2026, 5, 31)
    stated = SimpleNamespace(code="miit-2026", data={"annual_update_deadline": "06-15"})
    assert annual_update_deadline(stated, 2027) == datetime.date(2027, 6, 15)


def test_the_yearly_rescore_starts_once_after_the_update_deadline():
    from evaluation.tasks import rescore_after_update_deadline

    EnterpriseFactory()
    assert rescore_after_update_deadline(on="2026-05-31") is None  # the deadline day itself
    job_id = rescore_after_update_deadline(on="2026-06-01")
    job = RescoreJob.objects.get(pk=job_id)
    assert (job.scope, job.year, job.label) == ("all", 2025, "schedule:yearly-rescore:2026")
    assert rescore_after_update_deadline(on="2026-06-02") is None


def test_the_nightly_rescore_takes_only_the_changed_enterprises(django_capture_on_commit_callbacks):
    from evaluation.tasks import rescore_changed

    changed, unchanged = EnterpriseFactory(), EnterpriseFactory()
    Enterprise.objects.filter(pk=unchanged.pk).update(needs_rescore=False)
    with django_capture_on_commit_callbacks(execute=True):
        job_id = rescore_changed()
    job = RescoreJob.objects.get(pk=job_id)
    assert job.chunks.get().enterprise_ids == [changed.pk]
    assert rescore_changed() is None, "nothing flagged any more"


def test_the_daily_run_expires_what_ended(certify):
    from registry.tasks import daily_certifications

    enterprise = EnterpriseFactory()
    certify(enterprise, "innovative_sme", TODAY - days(1100), TODAY - days(1))
    result = daily_certifications(on=TODAY.isoformat())
    assert result["expired"] == 1
    assert isinstance(result["publicity_closed"], int)


def test_the_daily_run_certifies_applications_whose_publicity_ended(certify, ruleset_2022):
    enterprise = EnterpriseFactory()
    application = Application.objects.create(enterprise=enterprise, tier="innovative_sme", year=2025,
                                             status="publicity", ruleset=ruleset_2022,
                                             publicity_ends_on=TODAY - days(1))
    assert applications.close_due_publicity(TODAY) == 1
    application.refresh_from_db()
    assert application.status == "certified"
    assert Certification.objects.filter(enterprise=enterprise, tier="innovative_sme", status="active").exists()


