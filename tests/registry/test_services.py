"""The review workflow through its services: every transition and every refusal."""

from __future__ import annotations

import datetime

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from core.audit import AuditEntry
from enterprises.models import Enterprise
from evaluation.profiles import build_profile
from registry import applications, certifications, evidence, notifications, quotas
from registry.certifications import add_years
from registry.eligibility import tier_options
from registry.models import CertificationStatus, CityQuota, DemotionProposal, Notification
from registry.workflow import available_actions
from tests.factories import MembershipFactory, UserFactory, certify, pass_expert_review

from .conftest import YEAR, file_annual_updates, make_enterprise

pytestmark = pytest.mark.django_db
TODAY = timezone.localdate


def new_app(enterprise, tier="innovative_sme", **kw):
    return applications.create_application(enterprise=enterprise, tier=tier, year=YEAR, user=enterprise.owner, **kw)


def submitted(enterprise, tier="innovative_sme", **kw):
    return applications.submit_application(new_app(enterprise, tier, **kw), user=enterprise.owner)


def statuses(app):
    return [(e.action, e.from_status, e.to_status) for e in app.events.all()]


# --- the happy paths -------------------------------------------------------------------------------------


def test_innovative_sme_goes_city_province_publicity_then_certified(enterprise_a, city, province,
                                                                    django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        app = submitted(enterprise_a)
    assert app.status == "city_review"
    assert app.assessment["passed"] is True and app.assessment["score"] == 95
    assert app.assessment["categories"] == {"innovation": 35, "growth": 30, "specialisation": 30}
    assert app.flagged is False and app.ruleset is not None and app.submitted_at is not None
    assert enterprise_a.assessments.filter(tier="innovative_sme", year=YEAR).exists()

    applications.decide(app, user=city, action="approve", reason="figures checked on site")
    app = applications.decide(app, user=province, action="approve")
    assert app.status == "publicity"
    assert app.publicity_ends_on == TODAY() + datetime.timedelta(days=5)

    with pytest.raises(ValidationError):
        applications.close_publicity(app, on=app.publicity_ends_on)  # the last day still belongs to publicity
    app = applications.close_publicity(app, on=app.publicity_ends_on + datetime.timedelta(days=1))
    assert app.status == "certified"
    cert = app.certification
    assert cert.tier == "innovative_sme" and cert.status == CertificationStatus.ACTIVE
    assert cert.expires_on == add_years(cert.granted_on, 3)
    assert Enterprise.objects.get(pk=enterprise_a.pk).current_tier == "innovative_sme"
    assert statuses(app) == [
        ("submit", "draft", "city_review"),
        ("approve", "city_review", "provincial_review"),
        ("approve", "provincial_review", "publicity"),
        ("close_publicity", "publicity", "certified"),
    ]
    first = app.events.all()[1]
    assert (first.actor_label, first.actor_role, first.reason) == ("city-hangzhou", "city",
                                                                   "figures checked on site")
    transitions = AuditEntry.objects.for_object(app).filter(action="transition")
    assert transitions.count() == 4
    assert transitions.filter(reason="figures checked on site", actor=city).exists()
    # The enterprise was told about its submission once, by e-mail too.
    assert Notification.objects.filter(user=enterprise_a.owner).count() == 1
    owner_mails = [m for m in mail.outbox if m.to == [enterprise_a.owner.email]]
    assert len(owner_mails) == 1 and "city" in owner_mails[0].body.lower()


def test_notifications_are_sent_after_commit_and_never_twice(enterprise_a, city,
                                                             django_capture_on_commit_callbacks):
    app = submitted(enterprise_a)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        applications.decide(app, user=city, action="return", reason="audit report missing")
    assert mail.outbox == []  # nothing before commit
    for callback in callbacks:
        callback()
    for callback in callbacks:  # a retry of the same follow-up sends nothing more
        callback()
    assert len(mail.outbox) == 1
    assert "audit report missing" in mail.outbox[0].body


def test_specialised_sme_starts_at_county_review(city, county):
    enterprise = make_enterprise("A")
    certify(enterprise, "innovative_sme", TODAY() - datetime.timedelta(days=100))
    app = submitted(enterprise, "specialised_sme")
    assert app.status == "county_review"
    app = applications.decide(app, user=county, action="approve")
    assert app.status == "city_review"


def test_little_giant_is_recommended_then_the_national_outcome_is_recorded(county, city, province):
    enterprise = make_enterprise("A")
    certify(enterprise, "innovative_sme", TODAY() - datetime.timedelta(days=400))
    certify(enterprise, "specialised_sme", TODAY() - datetime.timedelta(days=300))
    app = submitted(enterprise, "little_giant")
    assert app.flagged  # example A does not meet the little giant: reviewers still see it, flagged
    for reviewer_ in (county, city, province):
        app = applications.decide(app, user=reviewer_, action="approve")
    assert app.status == "expert_review"  # the little giant's ruleset asks for an expert panel
    app = pass_expert_review(app, province)
    assert app.status == "recommended"
    assert available_actions(app, province) == ["record_national_outcome"]
    with pytest.raises(ValidationError) as exc:
        applications.record_national_outcome(app, user=province, outcome="rejected")
    assert "reason" in exc.value.message_dict
    with pytest.raises(PermissionDenied):
        applications.record_national_outcome(app, user=city, outcome="certified")
    app = applications.record_national_outcome(app, user=province, outcome="certified", reason="MIIT list 2026")
    assert app.status == "certified" and app.certification.tier == "little_giant"
    assert Enterprise.objects.get(pk=enterprise.pk).current_tier == "little_giant"


def test_national_rejection_is_recorded_with_its_reason(county, city, province):
    enterprise = make_enterprise("A")
    certify(enterprise, "specialised_sme", TODAY() - datetime.timedelta(days=300))
    app = submitted(enterprise, "single_champion")
    for reviewer_ in (county, city, province):
        app = applications.decide(app, user=reviewer_, action="approve")
    app = applications.record_national_outcome(app, user=province, outcome="rejected", reason="not global top 3")
    assert app.status == "rejected" and app.events.last().reason == "not global top 3"


def test_a_failed_tier_may_be_submitted_but_is_flagged_with_unmet_rules():
    enterprise = make_enterprise("B")
    app = submitted(enterprise)
    assert app.status == "city_review" and app.flagged
    assert app.assessment["passed"] is False
    assert app.assessment["categories"]["growth"] == 5
    assert any(u["code"] == "category.growth" for u in app.assessment["unmet"])
    assert "advice" in app.assessment


def test_return_then_resubmit_evaluates_again(enterprise_a, city):
    app = submitted(enterprise_a)
    with pytest.raises(ValidationError) as exc:
        applications.decide(app, user=city, action="return")
    assert "reason" in exc.value.message_dict
    app = applications.decide(app, user=city, action="return", reason="please attach the audit report")
    assert app.status == "returned"
    app = applications.submit_application(app, user=enterprise_a.owner)
    assert app.status == "city_review"
    assert [e.action for e in app.events.all()] == ["submit", "return", "resubmit"]


def test_reject_requires_a_reason_and_is_final(enterprise_a, city):
    app = submitted(enterprise_a)
    with pytest.raises(ValidationError):
        applications.decide(app, user=city, action="reject", reason="   ")
    app = applications.decide(app, user=city, action="reject", reason="data does not match the audit")
    assert app.status == "rejected" and app.decided_at is not None
    with pytest.raises(ValidationError):
        applications.decide(app, user=city, action="approve")
    assert available_actions(app, city) == []


def test_objection_during_publicity_returns_to_provincial_review(enterprise_a, city, province):
    app = submitted(enterprise_a)
    applications.decide(app, user=city, action="approve")
    app = applications.decide(app, user=province, action="approve")
    with pytest.raises(ValidationError):
        applications.decide(app, user=province, action="object")
    app = applications.decide(app, user=province, action="object", reason="a competitor disputes the patents")
    assert app.status == "provincial_review" and app.publicity_ends_on is None
    assert applications.close_due_publicity(on=TODAY() + datetime.timedelta(days=30)) == 0


def test_close_due_publicity_certifies_once_however_often_it_runs(enterprise_a, city, province):
    app = submitted(enterprise_a)
    applications.decide(app, user=city, action="approve")
    applications.decide(app, user=province, action="approve")
    later = TODAY() + datetime.timedelta(days=6)
    assert applications.close_due_publicity(on=TODAY()) == 0
    assert applications.close_due_publicity(on=later) == 1
    assert applications.close_due_publicity(on=later) == 0
    app.refresh_from_db()
    assert app.status == "certified"
    assert enterprise_a.certifications.count() == 1


def test_withdraw(enterprise_a, city):
    app = submitted(enterprise_a)
    with pytest.raises(PermissionDenied):
        applications.withdraw(app, user=city)
    app = applications.withdraw(app, user=enterprise_a.owner, reason="we will apply next year")
    assert app.status == "withdrawn"
    with pytest.raises(ValidationError):
        applications.withdraw(app, user=enterprise_a.owner)
    new_app(enterprise_a)  # the tier is free again


# --- who may act ---------------------------------------------------------------------------------------


def test_a_reviewer_at_the_wrong_level_is_refused(enterprise_a, county, province):
    app = submitted(enterprise_a)
    for wrong in (county, province):
        with pytest.raises(PermissionDenied, match="level"):
            applications.decide(app, user=wrong, action="approve")
    app.refresh_from_db()
    assert app.status == "city_review"


def test_a_reviewer_of_another_region_is_refused(enterprise_a, other_city):
    app = submitted(enterprise_a)
    with pytest.raises(PermissionDenied, match="region"):
        applications.decide(app, user=other_city, action="approve")
    assert available_actions(app, other_city) == []


def test_a_reviewer_who_is_a_member_cannot_act_on_their_enterprise(enterprise_a, city):
    MembershipFactory(user=city, enterprise=enterprise_a, role="member")
    app = submitted(enterprise_a)
    with pytest.raises(PermissionDenied, match="member"):
        applications.decide(app, user=city, action="approve")


def test_enterprise_users_cannot_decide_and_reviewers_cannot_submit(enterprise_a, city):
    app = new_app(enterprise_a)
    with pytest.raises(PermissionDenied):
        applications.submit_application(app, user=city)
    app = applications.submit_application(app, user=enterprise_a.owner)
    with pytest.raises(PermissionDenied):
        applications.decide(app, user=enterprise_a.owner, action="approve")
    stranger = UserFactory()
    with pytest.raises(PermissionDenied):
        applications.create_application(enterprise=enterprise_a, tier="specialised_sme", year=YEAR, user=stranger)


def test_a_superuser_may_act_at_every_stage(enterprise_a):
    admin = UserFactory(username="root", is_superuser=True, is_staff=True)
    app = submitted(enterprise_a)
    app = applications.decide(app, user=admin, action="approve")
    app = applications.decide(app, user=admin, action="approve")
    assert app.status == "publicity"
    assert app.events.last().actor_role == "superuser"


def test_unknown_actions_are_refused_naming_the_field(enterprise_a, city):
    app = submitted(enterprise_a)
    with pytest.raises(ValidationError) as exc:
        applications.decide(app, user=city, action="promote")
    assert "action" in exc.value.message_dict


# --- preconditions -------------------------------------------------------------------------------------


def test_one_open_application_per_enterprise_and_tier(enterprise_a):
    new_app(enterprise_a)
    with pytest.raises(ValidationError, match="still open"):
        new_app(enterprise_a)


def test_specialised_needs_innovative_held_or_applied_for_together():
    enterprise = make_enterprise("A")
    with pytest.raises(ValidationError, match="Innovative SME"):
        new_app(enterprise, "specialised_sme")
    innovative = new_app(enterprise)
    joint = new_app(enterprise, "specialised_sme")
    assert joint.together_with == innovative


def test_little_giant_needs_specialised_held():
    enterprise = make_enterprise("A")
    certify(enterprise, "innovative_sme", TODAY() - datetime.timedelta(days=100))
    new_app(enterprise, "specialised_sme")  # applying for it is not enough
    with pytest.raises(ValidationError, match="specialised"):
        new_app(enterprise, "little_giant")


def test_a_banned_enterprise_cannot_apply(enterprise_a):
    Enterprise.objects.filter(pk=enterprise_a.pk).update(banned_until=TODAY() + datetime.timedelta(days=30))
    enterprise_a.refresh_from_db()
    with pytest.raises(ValidationError) as exc:
        new_app(enterprise_a)
    assert "enterprise" in exc.value.message_dict
    assert all(not allowed for _, allowed, _ in tier_options(enterprise_a, YEAR))


def test_tier_options_say_why_not():
    enterprise = make_enterprise("A")
    options = {tier: (allowed, reason) for tier, allowed, reason in tier_options(enterprise, YEAR)}
    assert options["innovative_sme"] == (True, "")
    assert options["specialised_sme"][0] is False and "Innovative SME" in options["specialised_sme"][1]
    assert options["little_giant"][0] is False
    assert options["hidden_champion"] == (True, "")
    app = new_app(enterprise)
    options = {tier: (allowed, reason) for tier, allowed, reason in tier_options(enterprise, YEAR)}
    assert options["innovative_sme"][0] is False and f"#{app.pk}" in options["innovative_sme"][1]
    assert options["specialised_sme"][0] is True and "Together" in options["specialised_sme"][1]


def test_city_quota_stops_the_city_reviewer_but_not_re_reviews(city):
    CityQuota.objects.create(city_id="330100", tier="innovative_sme", year=TODAY().year, quota=1)
    first = submitted(make_enterprise("A"))
    second = submitted(make_enterprise("A", region="330102"))
    applications.decide(first, user=city, action="approve")
    with pytest.raises(ValidationError, match="quota"):
        applications.decide(second, user=city, action="approve")
    second.refresh_from_db()
    assert second.status == "city_review"
    # A re-review does not count against the quota.
    holder = make_enterprise("A", region="330105")
    certify(holder, "innovative_sme", add_years(TODAY(), -3) + datetime.timedelta(days=30))
    file_annual_updates(holder, range(TODAY().year - 4, TODAY().year))  # it kept its data up to date
    rereview = submitted(holder)
    assert rereview.kind == "rereview"
    assert applications.decide(rereview, user=city, action="approve").status == "provincial_review"


def test_set_city_quota_is_for_provincial_reviewers(city, province):
    with pytest.raises(PermissionDenied):
        quotas.set_city_quota(city="330100", tier="innovative_sme", year=2026, quota=5, user=city)
    quota = quotas.set_city_quota(city="330100", tier="innovative_sme", year=2026, quota=5, user=province)
    again = quotas.set_city_quota(city="330100", tier="innovative_sme", year=2026, quota=7, user=province)
    assert quota.pk == again.pk and again.quota == 7
    with pytest.raises(ValidationError):
        quotas.set_city_quota(city="330106", tier="innovative_sme", year=2026, quota=5, user=province)


# --- re-review ------------------------------------------------------------------------------------------


def test_rereview_opens_six_months_before_expiry_and_extends_from_expiry(city, province):
    enterprise = make_enterprise("A")
    early = certify(enterprise, "innovative_sme", TODAY() - datetime.timedelta(days=365))
    with pytest.raises(ValidationError, match="re-review opens"):
        new_app(enterprise)
    early.delete()
    granted = add_years(TODAY(), -3) + datetime.timedelta(days=60)  # expires in 60 days
    cert = certify(enterprise, "innovative_sme", granted)
    file_annual_updates(enterprise, range(TODAY().year - 4, TODAY().year))  # it kept its data up to date
    app = new_app(enterprise)
    assert app.kind == "rereview" and app.certification == cert
    app = applications.submit_application(app, user=enterprise.owner)
    applications.decide(app, user=city, action="approve")
    applications.decide(app, user=province, action="approve")
    # Under review the certification stays valid.
    assert "innovative_sme" in build_profile(enterprise, YEAR)["held_tiers"]
    app = applications.close_publicity(app, on=TODAY() + datetime.timedelta(days=6))
    cert.refresh_from_db()
    assert app.certification == cert
    assert cert.expires_on == add_years(add_years(granted, 3), 3)
    assert enterprise.certifications.count() == 1


# --- revocation and demotion ----------------------------------------------------------------------------


def test_revocation_for_fraud_bars_new_applications_for_three_years(city, province,
                                                                     django_capture_on_commit_callbacks):
    enterprise = make_enterprise("A")
    cert = certify(enterprise, "innovative_sme", TODAY() - datetime.timedelta(days=100))
    with pytest.raises(PermissionDenied):
        certifications.revoke_certification(cert, user=city, cause="data_fraud", reason="falsified audit")
    with pytest.raises(ValidationError):
        certifications.revoke_certification(cert, user=province, cause="data_fraud", reason="")
    with django_capture_on_commit_callbacks(execute=True):
        cert = certifications.revoke_certification(cert, user=province, cause="data_fraud", reason="falsified audit")
    enterprise.refresh_from_db()
    assert cert.status == "revoked" and cert.revocation_reason == "falsified audit"
    assert enterprise.banned_until == add_years(TODAY(), 3)
    assert enterprise.current_tier == ""
    assert AuditEntry.objects.filter(enterprise_id=enterprise.pk, changes__has_key="banned_until").exists()
    assert "falsified audit" in mail.outbox[-1].body
    with pytest.raises(ValidationError, match="Barred"):
        new_app(enterprise)


def test_revocation_for_other_causes_does_not_bar(province):
    enterprise = make_enterprise("A")
    cert = certify(enterprise, "innovative_sme", TODAY() - datetime.timedelta(days=100))
    certifications.revoke_certification(cert, user=province, cause="not_sme", reason="grew into a large enterprise")
    enterprise.refresh_from_db()
    assert enterprise.banned_until is None
    new_app(enterprise)


def test_demotion_proposals_are_accepted_or_dismissed_by_provincial_reviewers(city, province):
    enterprise = make_enterprise("A")
    cert = certify(enterprise, "innovative_sme", TODAY() - datetime.timedelta(days=100))
    proposal = DemotionProposal.objects.create(enterprise=enterprise, certification=cert, tier=cert.tier,
                                               year=YEAR, unmet=[])
    with pytest.raises(PermissionDenied):
        certifications.decide_demotion(proposal, user=city, accept=True, reason="x")
    certifications.decide_demotion(proposal, user=province, accept=True, reason="growth fell below the bar")
    cert.refresh_from_db()
    assert (cert.status, cert.revocation_cause) == ("revoked", "demotion")
    second = DemotionProposal.objects.create(enterprise=enterprise, certification=cert, tier=cert.tier, year=YEAR)
    second = certifications.decide_demotion(second, user=province, accept=False, reason="one-off loss")
    assert second.status == "dismissed"



def test_claims_without_evidence_follow_what_the_assessment_credited():
    a = submitted(make_enterprise("A"))
    assert evidence.missing_claims(a) == ["financial_report", "ip_certificate"]
    c = submitted(make_enterprise("C"))  # qualifies directly through equity financing
    assert "equity_financing" in evidence.missing_claims(c)


def test_a_lost_follow_up_is_finished_by_the_sweep_without_repeating_sent_mail(enterprise_a, city):
    app = submitted(enterprise_a)  # on-commit callbacks never ran: as if the process died after commit
    applications.decide(app, user=city, action="return", reason="missing audit report")
    app.refresh_from_db()
    assert app.followup_done is False and mail.outbox == []
    assert notifications.finish_followups() == 1
    assert len(mail.outbox) == 2  # the submission and the return
    app.refresh_from_db()
    assert app.followup_done is True
    notifications.finish_followups()
    notifications.notify_event(app.events.last().pk)
    assert len(mail.outbox) == 2


def test_the_time_an_application_entered_its_status_is_its_newest_history_entry_into_it(enterprise_a, city,
                                                                                        province):
    """``stage_entered_at`` (what the deadlines and the overdue counts read) agrees with the history after every
    step, including a return to a status the application held before."""
    from django.db.models import OuterRef, Subquery

    from registry.models import Application, ApplicationEvent

    def from_history() -> dict:
        newest = (ApplicationEvent.objects.filter(application=OuterRef("pk"), to_status=OuterRef("status"))
                  .order_by("-created_at", "-id").values("created_at")[:1])
        return dict(Application.objects.annotate(h=Subquery(newest)).values_list("pk", "h"))

    def stored() -> dict:
        return dict(Application.objects.values_list("pk", "stage_entered_at"))

    app = submitted(enterprise_a)
    seen = [stored()[app.pk]]
    assert stored() == from_history() and seen[0] is not None
    app = applications.decide(app, user=city, action="return", reason="please attach the audit report")
    app = applications.submit_application(app, user=enterprise_a.owner)  # back in city review
    assert stored() == from_history() and stored()[app.pk] > seen[0]
    applications.decide(app, user=city, action="approve")
    app = applications.decide(app, user=province, action="approve")
    app = applications.decide(app, user=province, action="object", reason="a competitor disputes the patents")
    assert app.status == "provincial_review"
    assert stored() == from_history()
