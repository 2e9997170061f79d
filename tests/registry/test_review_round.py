"""The review round: reviewers told when an application reaches their stage (and a daily digest), deadlines and
overdue flags on fixed dates, rounds (批次) opened and closed, and the annual update's consequence."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from registry import applications, followup, rounds
from registry.annual_update import lapsed_enterprises, missed_update
from registry.deadlines import overdue_q, timing, with_stage_since
from registry.eligibility import Situation, judge
from registry.models import Application, ApplicationEvent, Notification, ReviewRound
from registry.reviewer_notices import send_reviewer_digests, set_email_preference
from tests.factories import ApplicationFactory, EnterpriseFactory, MembershipFactory, api_token, certify, reviewer

from .conftest import YEAR, file_annual_updates, make_enterprise

pytestmark = pytest.mark.django_db
TZ = timezone.get_current_timezone()


def at(day: datetime.date, hour: int = 10) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour), tzinfo=TZ)


def in_stage(status: str, since: datetime.datetime, tier: str = "innovative_sme", region: str = "330106",
             **kw: Any) -> Application:
    """An application that entered ``status`` at ``since`` (its history says so)."""
    app = ApplicationFactory(status=status, tier=tier, enterprise=EnterpriseFactory(region_id=region), **kw)
    ApplicationEvent.objects.create(application=app, actor_label="x", actor_role="enterprise", action="submit",
                                    from_status="draft", to_status=status, created_at=since)
    return app


def reviewer_notes(user: Any) -> Any:
    return Notification.objects.filter(user=user, kind="review_waiting")


def mails_to(user: Any) -> list[Any]:
    return [m for m in mail.outbox if m.to == [user.email]]


# --- reviewers are told ----------------------------------------------------------------------------------------


@pytest.fixture
def reviewers(db: Any) -> dict[str, Any]:
    return {
        "county": reviewer("county", "330106", username="county-xihu"),
        "other_county": reviewer("county", "330102", username="county-shangcheng"),
        "city": reviewer("city", "330100", username="city-hangzhou"),
        "city_quiet": reviewer("city", "330100", username="city-hangzhou-quiet"),
        "city_member": reviewer("city", "330100", username="city-hangzhou-member"),
        "other_city": reviewer("city", "330200", username="city-ningbo"),
        "province": reviewer("province", "330000", username="province-zj"),
        "other_province": reviewer("province", "320000", username="province-js"),
    }


def test_reaching_a_stage_tells_exactly_the_reviewers_who_may_act_once_each(
        reviewers, django_capture_on_commit_callbacks):
    enterprise = make_enterprise("A", owner="owner-a")  # Xihu district, Hangzhou
    MembershipFactory(user=reviewers["city_member"], enterprise=enterprise)  # a member never reviews it
    set_email_preference(reviewers["city_quiet"], False)
    app = applications.create_application(enterprise=enterprise, tier="innovative_sme", year=YEAR,
                                          user=enterprise.owner)
    with django_capture_on_commit_callbacks(execute=True):
        applications.submit_application(app, user=enterprise.owner)  # innovative SME: city review first

    told = {n.user.username for n in Notification.objects.filter(kind="review_waiting")}
    assert told == {"city-hangzhou", "city-hangzhou-quiet"}
    note = reviewer_notes(reviewers["city"]).get()
    assert f"#{app.pk}" in note.subject and "City review" in note.subject and note.sent_at is not None
    assert len(mails_to(reviewers["city"])) == 1
    assert mails_to(reviewers["city_quiet"]) == []  # opted out: the in-admin notice only
    assert reviewer_notes(reviewers["city_quiet"]).get().sent_at is None

    # The follow-up run again (a retry, the sweep) tells nobody twice.
    before = len(mail.outbox)
    followup.run_followup(app.pk)
    assert Notification.objects.filter(kind="review_waiting").count() == 2 and len(mail.outbox) == before

    # The city approves: now the province's reviewers, and only they, are told.
    with django_capture_on_commit_callbacks(execute=True):
        applications.decide(app, user=reviewers["city"], action="approve")
    assert {n.user.username for n in Notification.objects.filter(kind="review_waiting")} == {
        "city-hangzhou", "city-hangzhou-quiet", "province-zj"}
    assert len(mails_to(reviewers["province"])) == 1 and mails_to(reviewers["other_province"]) == []


def test_a_county_stage_tells_the_county_reviewer_of_the_enterprise_only(
        reviewers, django_capture_on_commit_callbacks):
    enterprise = make_enterprise("A", owner="owner-a")
    certify(enterprise, "innovative_sme", timezone.localdate() - datetime.timedelta(days=100))
    app = applications.create_application(enterprise=enterprise, tier="specialised_sme", year=YEAR,
                                          user=enterprise.owner)
    with django_capture_on_commit_callbacks(execute=True):
        applications.submit_application(app, user=enterprise.owner)
    assert [n.user.username for n in Notification.objects.filter(kind="review_waiting")] == ["county-xihu"]


def test_the_daily_digest_lists_what_waits_and_what_is_overdue_once_a_day(
        reviewers, django_capture_on_commit_callbacks):
    day = datetime.date(2026, 6, 20)
    late = in_stage("city_review", at(datetime.date(2026, 6, 1)))  # 15 days allowed: due 16 June
    fresh = in_stage("city_review", at(datetime.date(2026, 6, 18)))
    in_stage("city_review", at(datetime.date(2026, 6, 1)), region="330203")  # Ningbo: not Hangzhou's
    set_email_preference(reviewers["city_quiet"], False)
    with django_capture_on_commit_callbacks(execute=True):
        created = send_reviewer_digests(on=day)
    digest = Notification.objects.get(user=reviewers["city"], kind="review_digest")
    assert "2 applications wait for you, 1 overdue" in digest.subject
    lines = digest.body.splitlines()
    assert lines[0].startswith(f"#{late.pk} ") and "overdue by 4 days" in lines[0]
    assert lines[1].startswith(f"#{fresh.pk} ") and "13 days left" in lines[1]
    assert len(mails_to(reviewers["city"])) == 1
    assert mails_to(reviewers["city_quiet"]) == []  # it has its digest in the admin, but no e-mail
    assert Notification.objects.filter(user=reviewers["city_quiet"], kind="review_digest").exists()
    # Nothing waits for county or provincial reviewers: no digest for them.
    assert not Notification.objects.filter(user=reviewers["county"], kind="review_digest").exists()
    assert Notification.objects.filter(user=reviewers["other_city"], kind="review_digest").exists()
    assert created == Notification.objects.filter(kind="review_digest").count()
    before = len(mail.outbox)
    with django_capture_on_commit_callbacks(execute=True):
        assert send_reviewer_digests(on=day) == 0
    assert len(mail.outbox) == before


def test_the_admin_lists_a_reviewers_own_notifications_and_leads_to_the_application(
        client, reviewers, django_capture_on_commit_callbacks):
    enterprise = make_enterprise("A", owner="owner-a")
    app = applications.create_application(enterprise=enterprise, tier="innovative_sme", year=YEAR,
                                          user=enterprise.owner)
    with django_capture_on_commit_callbacks(execute=True):
        applications.submit_application(app, user=enterprise.owner)
    client.force_login(reviewers["city"])
    page = client.get(reverse("admin:registry_notification_changelist")).content.decode()
    assert f"Application #{app.pk} waits for you" in page
    assert 'id="notifications-badge">1<' in page
    note = reviewer_notes(reviewers["city"]).get()
    response = client.get(reverse("admin:registry_notification_open", args=[note.pk]))
    assert response["Location"] == reverse("admin:registry_application_change", args=[app.pk])
    note.refresh_from_db()
    assert note.read_at is not None
    assert 'id="notifications-badge">0<' in client.get(reverse("admin:index")).content.decode()
    # Another reviewer sees neither the list entry nor the notice itself.
    client.force_login(reviewers["other_city"])
    assert f"#{app.pk}" not in client.get(reverse("admin:registry_notification_changelist")).content.decode()
    assert client.get(reverse("admin:registry_notification_open", args=[note.pk])).status_code == 404


def test_a_reviewer_turns_off_the_e_mails_in_the_admin(client, reviewers):
    client.force_login(reviewers["city"])
    url = reverse("admin:registry_notification_preferences")
    assert 'name="email_notifications"' in client.get(url).content.decode()
    assert client.post(url, {}).status_code == 302
    assert reviewers["city"].review_preference.email_notifications is False


# --- deadlines ---------------------------------------------------------------------------------------------------


def test_days_in_stage_days_left_and_overdue_on_fixed_dates():
    app = in_stage("city_review", at(datetime.date(2026, 6, 1), hour=23))  # innovative SME: 15 days at city
    annotated = with_stage_since(Application.objects.filter(pk=app.pk)).get()
    on_due = timing(annotated, datetime.date(2026, 6, 16))
    assert (on_due.days_in_stage, on_due.days_left, on_due.overdue) == (15, 0, False)
    assert on_due.due_on == datetime.date(2026, 6, 16)
    late = timing(annotated, datetime.date(2026, 6, 19))
    assert (late.days_in_stage, late.days_left, late.overdue) == (18, -3, True)

    def overdue_on(day: datetime.date) -> bool:
        return with_stage_since(Application.objects.filter(pk=app.pk)).filter(overdue_q(day)).exists()

    assert overdue_on(datetime.date(2026, 6, 16)) is False and overdue_on(datetime.date(2026, 6, 17)) is True


def test_stages_without_a_limit_are_never_overdue_and_the_limit_is_per_tier(settings):
    publicity = in_stage("publicity", at(datetime.date(2026, 1, 1)))
    annotated = with_stage_since(Application.objects.filter(pk=publicity.pk)).get()
    assert timing(annotated, datetime.date(2026, 12, 1)).overdue is False
    settings.REGISTRY = {**settings.REGISTRY, "STAGE_DEADLINE_DAYS": {
        "default": {"city_review": 15}, "little_giant": {"city_review": 5}}}
    giant = in_stage("city_review", at(datetime.date(2026, 6, 1)), tier="little_giant")
    small = in_stage("city_review", at(datetime.date(2026, 6, 1)))
    day = datetime.date(2026, 6, 8)
    overdue = set(with_stage_since(Application.objects.all()).filter(overdue_q(day)).values_list("pk", flat=True))
    assert overdue == {giant.pk} and small.pk not in overdue


def test_the_queue_shows_days_in_stage_days_left_and_filters_the_overdue(client, city):
    today = timezone.localdate()
    late = in_stage("city_review", at(today - datetime.timedelta(days=20)))
    fresh = in_stage("city_review", at(today - datetime.timedelta(days=2)))
    client.force_login(city)
    url = reverse("admin:registry_application_changelist")
    page = client.get(url).content.decode()
    assert "Days in stage" in page and "Days left" in page
    assert '<td class="field-days_left">-5</td>' in page and '<td class="field-days_left">13</td>' in page
    overdue = client.get(url + "?overdue=yes").content.decode()
    assert f"/admin/registry/application/{late.pk}/change/" in overdue
    assert f"/admin/registry/application/{fresh.pk}/change/" not in overdue


def overdue_cell(page: str, code: str) -> str | None:
    import re

    found = re.search(rf'<tr data-region="{code}"><th scope="row">[^<]*</th><td>(\d+)</td></tr>', page)
    return found.group(1) if found else None


def test_the_dashboard_shows_each_regions_overdue_count(client, city):
    from tests.factories import UserFactory

    today = timezone.localdate()
    in_stage("city_review", at(today - datetime.timedelta(days=20)))  # Hangzhou, Xihu
    in_stage("city_review", at(today - datetime.timedelta(days=20)), region="330102")  # Hangzhou, Shangcheng
    in_stage("city_review", at(today - datetime.timedelta(days=20)), region="330203")  # Ningbo
    in_stage("city_review", at(today - datetime.timedelta(days=3)), region="330203")  # Ningbo, in time
    client.force_login(UserFactory(username="boss", is_staff=True, is_superuser=True))
    page = client.get(reverse("insights:dashboard")).content.decode()
    assert overdue_cell(page, "330100") == "2" and overdue_cell(page, "330200") == "1"
    assert overdue_cell(page, "330300") == "0"
    client.force_login(city)  # Hangzhou's reviewer: its counties
    page = client.get(reverse("insights:dashboard")).content.decode()
    assert overdue_cell(page, "330106") == "1" and overdue_cell(page, "330102") == "1"
    assert 'data-region="330200"' not in page


# --- rounds ------------------------------------------------------------------------------------------------------


def test_provincial_staff_open_and_close_a_round_others_may_not(province, city):
    day = timezone.localdate()
    with pytest.raises(PermissionDenied):
        rounds.open_round(tier="innovative_sme", name="2026 第一批", opens_on=day, closes_on=day, user=city)
    with pytest.raises(ValidationError) as bad:
        rounds.open_round(tier="innovative_sme", name="2026 第一批", opens_on=day,
                          closes_on=day - datetime.timedelta(days=1), user=province)
    assert "closes_on" in bad.value.message_dict
    round_ = rounds.open_round(tier="innovative_sme", name="2026 第一批", opens_on=day,
                               closes_on=day + datetime.timedelta(days=30), user=province)
    with pytest.raises(ValidationError) as twice:
        rounds.open_round(tier="innovative_sme", name="2026 第二批", opens_on=day, closes_on=day, user=province)
    assert "still open" in twice.value.message_dict["tier"][0]
    with pytest.raises(PermissionDenied):
        rounds.close_round(round_, user=city)
    closed = rounds.close_round(round_, user=province)
    assert closed.status == "closed" and closed.closed_by == province
    from core.audit import AuditEntry
    assert AuditEntry.objects.for_object(round_).count() == 2


def test_outside_an_open_round_new_applications_are_refused_with_the_reason(province):
    enterprise = make_enterprise("A", owner="owner-a")
    day = timezone.localdate()
    # No round was ever run for the tier: not gated.
    assert judge(Situation.load(enterprise), "innovative_sme").allowed
    round_ = rounds.open_round(tier="innovative_sme", name="2026 第一批", opens_on=day + datetime.timedelta(days=10),
                               closes_on=day + datetime.timedelta(days=40), user=province)
    with pytest.raises(ValidationError) as early:
        applications.create_application(enterprise=enterprise, tier="innovative_sme", year=YEAR,
                                        user=enterprise.owner)
    assert "next one (2026 第一批) opens on" in early.value.message_dict["tier"][0]
    ReviewRound.objects.filter(pk=round_.pk).update(opens_on=day - datetime.timedelta(days=1))
    app = applications.create_application(enterprise=enterprise, tier="innovative_sme", year=YEAR,
                                          user=enterprise.owner)
    assert app.status == "draft"
    app.delete()
    rounds.close_round(round_, user=province)
    with pytest.raises(ValidationError) as closed:
        applications.create_application(enterprise=enterprise, tier="innovative_sme", year=YEAR,
                                        user=enterprise.owner)
    assert "No round of Innovative SME is open now" in closed.value.message_dict["tier"][0]


def test_the_api_and_the_portal_refuse_outside_a_round_naming_the_tier(client, province):
    enterprise = make_enterprise("A", owner="owner-a")
    day = timezone.localdate()
    round_ = rounds.open_round(tier="innovative_sme", name="R1", opens_on=day, closes_on=day, user=province)
    rounds.close_round(round_, user=province)
    api = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    api.credentials(HTTP_AUTHORIZATION=f"Token {api_token(enterprise.owner)}")
    response = api.post("/api/applications/", {"enterprise": enterprise.pk, "tier": "innovative_sme",
                                                "year": YEAR}, format="json")
    assert response.status_code == 400, response.content
    assert "No round of Innovative SME is open" in response.json()["errors"]["tier"][0]
    assert not Application.objects.filter(enterprise=enterprise).exists()
    client.force_login(enterprise.owner)
    page = client.get(reverse("portal:apply")).content.decode()
    assert "No round of Innovative SME is open now" in page


def test_provincial_staff_open_a_round_in_the_admin_and_a_city_reviewer_cannot(client, province, city):
    day = timezone.localdate()
    data = {"tier": "innovative_sme", "name": "2026 第一批", "opens_on": day.isoformat(),
            "closes_on": (day + datetime.timedelta(days=30)).isoformat()}
    client.force_login(city)
    assert client.post(reverse("admin:registry_reviewround_add"), data).status_code == 403
    client.force_login(province)
    response = client.post(reverse("admin:registry_reviewround_add"), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    round_ = ReviewRound.objects.get()
    assert round_.opened_by == province and round_.status == "open"
    again = client.post(reverse("admin:registry_reviewround_add"), data)
    assert again.status_code == 200 and "still open" in again.content.decode()
    client.post(reverse("admin:registry_reviewround_changelist"),
                {"action": "close_selected", "_selected_action": [round_.pk]})
    round_.refresh_from_db()
    assert round_.status == "closed"


# --- the annual update's consequence --------------------------------------------------------------------------


def test_a_missed_annual_update_refuses_the_re_review_with_the_reason():
    enterprise = make_enterprise("A", owner="owner-a")  # figures filed for 2025 only
    cert = certify(enterprise, "innovative_sme", datetime.date(2023, 7, 1))  # expires 1 July 2026
    day = datetime.date(2026, 6, 15)  # in the re-review window
    missed = missed_update(cert, day)
    assert missed is not None and missed.figures_year == 2023 and missed.deadline == datetime.date(2024, 4, 30)
    verdict = judge(Situation.load(enterprise, on=day), "innovative_sme")
    assert not verdict.allowed
    assert "2023 figures were not updated by" in verdict.reason and "re-review" in verdict.reason
    assert list(lapsed_enterprises(day).values_list("pk", flat=True)) == [enterprise.pk]
    file_annual_updates(enterprise, [2023, 2024])
    verdict = judge(Situation.load(enterprise, on=day), "innovative_sme")
    assert verdict.allowed and verdict.kind == "rereview"
    assert not lapsed_enterprises(day).exists()


def test_a_certification_granted_after_the_deadline_owes_nothing_until_next_year():
    enterprise = make_enterprise("A")
    cert = certify(enterprise, "innovative_sme", datetime.date(2026, 6, 1))  # after the 2026 deadline
    assert missed_update(cert, datetime.date(2026, 12, 1)) is None
    assert not lapsed_enterprises(datetime.date(2026, 12, 1)).exists()


def test_reviewers_see_their_regions_enterprises_that_missed_the_update(client, city, other_city):
    lapsed = make_enterprise("A")
    certify(lapsed, "innovative_sme", timezone.localdate() - datetime.timedelta(days=700))
    url = reverse("admin:registry_lapsedannualupdate_changelist")
    client.force_login(city)
    assert lapsed.uscc in client.get(url).content.decode()
    client.force_login(other_city)
    page = client.get(url)
    assert page.status_code == 200 and lapsed.uscc not in page.content.decode()
