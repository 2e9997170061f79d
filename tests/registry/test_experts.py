"""Expert review: the stage from the ruleset, the seeded draw (ties and the enterprise's county excluded, replayed
identically), blind scoring on the expert's own pages, and the panel's result at the provincial decision."""

from __future__ import annotations

import datetime

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from evaluation.panels import expert_review
from evaluation.versions import get_ruleset_version
from registry import applications, experts, workflow
from registry.models import ExpertDraw, Recommendation
from tests.factories import MembershipFactory, api_token, certify, expert

from .conftest import YEAR, make_enterprise

pytestmark = pytest.mark.django_db


def in_expert_review(county, city, province, tier="little_giant", region="330106"):
    enterprise = make_enterprise("A", region=region)
    certify(enterprise, "innovative_sme", timezone.localdate() - datetime.timedelta(days=400))
    certify(enterprise, "specialised_sme", timezone.localdate() - datetime.timedelta(days=300))
    app = applications.create_application(enterprise=enterprise, tier=tier, year=YEAR, user=enterprise.owner)
    app = applications.submit_application(app, user=enterprise.owner)
    for reviewer_ in (county, city, province):
        app = applications.decide(app, user=reviewer_, action="approve", reason="checked")
    assert app.status == "expert_review"
    return app


def full_marks(app, share=1.0):
    return {c.code: int(c.max * share) for c in experts.review_of(app).form}


# --- the stage comes from the ruleset ----------------------------------------------------------------------

def test_the_rulesets_send_little_giants_and_hidden_champions_to_expert_review():
    for code in ("miit-2022", "miit-2026"):
        version = get_ruleset_version(code)
        for tier in ("little_giant", "hidden_champion"):
            review = expert_review(version, tier)
            assert review is not None and review.panel_size == 3 and review.source
            assert all(c.max > 0 and c.source for c in review.form)
        for tier in ("innovative_sme", "specialised_sme", "single_champion"):
            assert expert_review(version, tier) is None
    assert workflow.stages("little_giant") == ["county_review", "city_review", "provincial_review",
                                               "expert_review", "recommended"]
    assert "expert_review" not in workflow.stages("specialised_sme")


def test_a_ruleset_without_expert_review_skips_the_stage():
    data = dict(get_ruleset_version().data)
    data["tiers"] = {**data["tiers"], "hidden_champion": {
        k: v for k, v in data["tiers"]["hidden_champion"].items() if k != "expert_review"}}
    assert workflow.stages("hidden_champion", type("V", (), {"data": data})()) == [
        "county_review", "city_review", "provincial_review", "publicity"]


# --- the draw ------------------------------------------------------------------------------------------------

def test_the_draw_excludes_ties_members_and_the_enterprises_county(county, city, province):
    app = in_expert_review(county, city, province)
    tied = expert("tied", home_region="330203", ties=(app.enterprise,))
    same_county = expert("same-county", home_region="330106")
    member = expert("member", home_region="330203")
    MembershipFactory(user=member.user, enterprise=app.enterprise)
    eligible = [expert(f"eligible-{i}", home_region=code)
                for i, code in enumerate(("330203", "330102", "330100", "320000"))]
    candidates, excluded = experts.eligible_experts(app)
    assert candidates == [e.pk for e in eligible]  # same city, other county is fine; so is another province
    assert excluded == {str(tied.pk): "tie", str(same_county.pk): "county", str(member.pk): "member"}
    for seed in range(200):  # no seed can reach an excluded expert
        assert set(experts.pick(seed, candidates, 3)) <= set(candidates)
    draw = experts.draw_experts(app, user=province)
    assert len(draw.chosen) == 3 and set(draw.chosen) <= set(candidates)
    assert sorted(a.expert_id for a in draw.assignments.all()) == sorted(draw.chosen)
    assert {tied.pk, same_county.pk, member.pk}.isdisjoint(draw.chosen)


def test_the_draw_replays_identically_from_its_seed(county, city, province):
    pool = [expert(f"pool-{i}", home_region="330203") for i in range(7)]
    first = in_expert_review(county, city, province)
    draw = experts.draw_experts(first, user=province, seed=424242)
    stored = ExpertDraw.objects.get(pk=draw.pk)
    assert stored.seed == 424242 and stored.candidates == [e.pk for e in pool]
    assert experts.replay_draw(stored) == stored.chosen
    # The same seed over the same candidates draws the same panel for another application.
    second = in_expert_review(county, city, province)
    assert experts.draw_experts(second, user=province, seed=424242).chosen == stored.chosen
    # A record altered after the fact no longer replays.
    ExpertDraw.objects.filter(pk=stored.pk).update(chosen=list(reversed(stored.chosen)))
    assert experts.replay_draw(ExpertDraw.objects.get(pk=stored.pk)) != list(reversed(stored.chosen))
    # An unseeded draw picks its own seed and records it.
    third = in_expert_review(county, city, province)
    own = experts.draw_experts(third, user=province)
    assert own.seed and experts.replay_draw(own) == own.chosen


def test_only_a_provincial_reviewer_of_the_region_draws_once_with_enough_candidates(county, city, province):
    app = in_expert_review(county, city, province)
    for _ in range(2):
        expert(home_region="330203")
    with pytest.raises(ValidationError) as exc:
        experts.draw_experts(app, user=province)
    assert "size" in exc.value.message_dict  # 2 eligible, 3 needed
    expert(home_region="330203")
    from tests.factories import reviewer

    other_province = reviewer("province", "320000", username="province-js")
    for user in (county, city, other_province):
        with pytest.raises(PermissionDenied):
            experts.draw_experts(app, user=user)
    experts.draw_experts(app, user=province)
    with pytest.raises(ValidationError):
        experts.draw_experts(app, user=province)
    assert ExpertDraw.objects.filter(application=app).count() == 1


# --- blind scoring -----------------------------------------------------------------------------------------

@pytest.fixture
def panel(county, city, province):
    pool = [expert(f"expert-{i}", home_region="330203") for i in range(3)]
    app = in_expert_review(county, city, province)
    draw = experts.draw_experts(app, user=province, seed=7)
    seats = list(draw.assignments.select_related("expert__user").order_by("pk"))
    return app, seats, pool


def test_an_expert_never_sees_another_experts_score(client, panel):
    app, seats, _pool = panel
    first, second = seats[0], seats[1]
    experts.submit_score(first, user=first.expert.user, scores={"refinement": 27, "chain_support": 33,
                                                                "product_field": 11},
                         recommendation=Recommendation.RESERVATIONS, comment="FIRST-EXPERT-NOTE")
    client.force_login(second.expert.user)
    page = client.get(reverse("experts:detail", args=[second.pk])).content.decode()
    assert "FIRST-EXPERT-NOTE" not in page and "71" not in page and 'name="score_refinement"' in page
    assert app.enterprise.name in page and "expert_review" not in page  # the application, in words
    experts.submit_score(second, user=second.expert.user, scores=full_marks(app, 0.5),
                         recommendation=Recommendation.NOT_RECOMMEND, comment="SECOND-EXPERT-NOTE")
    page = client.get(reverse("experts:detail", args=[second.pk])).content.decode()
    assert "SECOND-EXPERT-NOTE" in page and "FIRST-EXPERT-NOTE" not in page  # after submitting too
    listing = client.get(reverse("experts:list")).content.decode()
    assert "FIRST-EXPERT-NOTE" not in listing and "71" not in listing


def test_an_expert_reaches_only_their_assignments_on_pages_and_api(client, panel, county, city, province):
    app, seats, pool = panel
    outsider = expert("outsider", home_region="330203")
    other_app = in_expert_review(county, city, province)
    client.force_login(outsider.user)
    assert client.get(reverse("experts:list")).content.decode().count("/experts/assignments/") == 0
    for seat in seats:
        assert client.get(reverse("experts:detail", args=[seat.pk])).status_code == 404
        assert client.post(reverse("experts:detail", args=[seat.pk]),
                           {f"score_{c}": 1 for c in full_marks(app)}).status_code == 404
    evidence_url = reverse("experts:evidence", args=[seats[0].pk, 1])
    assert client.get(evidence_url).status_code == 404
    with pytest.raises(PermissionDenied):
        experts.submit_score(seats[0], user=outsider.user, scores=full_marks(app), recommendation="recommend")
    # The API shows experts no application at all, assigned or not (their pages are their way in).
    api = type(client)()
    for user in (outsider.user, seats[0].expert.user):
        token = api_token(user)
        listing = api.get("/api/applications/", HTTP_AUTHORIZATION=f"Token {token}")
        assert listing.status_code == 200 and listing.json()["results"] == []
        for target in (app, other_app):
            assert api.get(f"/api/applications/{target.pk}/",
                           HTTP_AUTHORIZATION=f"Token {token}").status_code == 404
    # Their own assignment opens.
    client.force_login(seats[0].expert.user)
    assert client.get(reverse("experts:detail", args=[seats[0].pk])).status_code == 200
    assert client.get(reverse("admin:registry_application_change", args=[app.pk])).status_code == 302


def test_an_expert_scores_only_in_the_expert_stage_and_only_once(panel, province):
    app, seats, _pool = panel
    seat = seats[0]
    experts.submit_score(seat, user=seat.expert.user, scores=full_marks(app), recommendation="recommend")
    with pytest.raises(ValidationError) as exc:
        experts.submit_score(seat, user=seat.expert.user, scores=full_marks(app), recommendation="recommend")
    assert "scores" in exc.value.message_dict
    applications.decide(app, user=province, action="return", reason="figures need an audit")
    late = seats[1]
    with pytest.raises(ValidationError):
        experts.submit_score(late, user=late.expert.user, scores=full_marks(app), recommendation="recommend")
    assert late.expert.user not in [s.expert.user for s in seats if s.submitted_at]


def test_a_score_is_checked_per_category_of_the_form(panel):
    app, seats, _pool = panel
    seat = seats[0]
    with pytest.raises(ValidationError) as exc:
        experts.submit_score(seat, user=seat.expert.user, recommendation="maybe",
                             scores={"refinement": 31, "chain_support": "x", "bogus": 1})
    errors = exc.value.message_dict
    assert set(errors) == {"refinement", "chain_support", "product_field", "bogus"}
    assert "30" in errors["refinement"][0]
    with pytest.raises(ValidationError) as exc:
        experts.submit_score(seat, user=seat.expert.user, scores=full_marks(app), recommendation="maybe")
    assert "recommendation" in exc.value.message_dict


def test_the_provincial_decision_waits_for_the_panel_and_shows_its_result(client, panel, province):
    app, seats, _pool = panel
    shares = (0.9, 0.6, 0.3)
    for seat, share in zip(seats[:2], shares, strict=False):
        experts.submit_score(seat, user=seat.expert.user, scores=full_marks(app, share), recommendation="recommend")
    with pytest.raises(ValidationError) as exc:
        applications.decide(app, user=province, action="approve")
    assert "2 of 3" in exc.value.messages[0]
    client.force_login(province)
    page = client.get(reverse("admin:registry_application_change", args=[app.pk])).content.decode()
    assert "2 of 3" in page and "expert-0" not in page.split("2 of 3")[1][:400]  # no scores before all are in
    experts.submit_score(seats[2], user=seats[2].expert.user, scores=full_marks(app, shares[2]),
                         recommendation="not_recommend", comment="weak chain role")
    totals = sorted(s.total for s in type(seats[0]).objects.filter(draw=seats[0].draw))
    result = experts.panel_result(app)
    assert result.complete and result.spread == totals[-1] - totals[0]
    assert float(result.mean) == pytest.approx(sum(totals) / 3, abs=0.01)
    page = client.get(reverse("admin:registry_application_change", args=[app.pk])).content.decode()
    assert str(result.mean) in page and "weak chain role" in page
    assert all(s.expert.user.username in page for s in seats)
    app = applications.decide(app, user=province, action="approve")
    assert app.status == "recommended"


def test_provincial_staff_draw_from_the_application_page(client, county, city, province):
    for i in range(3):
        expert(f"page-expert-{i}", home_region="330203")
    app = in_expert_review(county, city, province)
    client.force_login(province)
    page = client.get(reverse("admin:registry_application_change", args=[app.pk])).content.decode()
    url = reverse("admin:registry_application_draw_experts", args=[app.pk])
    assert f'formaction="{url}"' in page
    client.force_login(city)
    assert url not in client.get(reverse("admin:registry_application_change", args=[app.pk])).content.decode()
    client.post(url)
    assert not ExpertDraw.objects.filter(application=app).exists()
    client.force_login(province)
    client.post(url)
    assert ExpertDraw.objects.get(application=app).size == 3


def test_the_expert_page_submits_a_score_and_runs_constant_queries(client, panel, django_assert_max_num_queries):
    app, seats, _pool = panel
    seat = seats[0]
    client.force_login(seat.expert.user)
    response = client.post(reverse("experts:detail", args=[seat.pk]),
                           {"score_refinement": "40", "score_chain_support": "20", "score_product_field": "10",
                            "recommendation": "recommend"})
    assert response.status_code == 200 and "0–30" in response.content.decode()
    assert "from 0 to 30" in response.content.decode()
    response = client.post(reverse("experts:detail", args=[seat.pk]),
                           {"score_refinement": "25", "score_chain_support": "20", "score_product_field": "10",
                            "recommendation": "recommend", "comment": "solid"})
    assert response.status_code == 302
    seat.refresh_from_db()
    assert seat.total == 55 and seat.scores == {"refinement": 25, "chain_support": 20, "product_field": 10}
    with django_assert_max_num_queries(8):
        assert client.get(reverse("experts:list")).status_code == 200
    more = [experts.draw_experts(in_expert_review(*_reviewers(app)), user=_reviewers(app)[2], seed=s)
            for s in (1, 2)]
    assert more
    with django_assert_max_num_queries(8):
        assert client.get(reverse("experts:list")).status_code == 200


def _reviewers(app):
    from django.contrib.auth import get_user_model

    users = get_user_model().objects
    return (users.get(username="county-xihu"), users.get(username="city-hangzhou"),
            users.get(username="province-zj"))



def test_the_demo_has_an_expert_account_and_a_panel_waiting_for_its_score(settings, tmp_path):
    from io import StringIO

    from django.contrib.auth import authenticate
    from django.core.management import call_command

    from registry.models import ExpertAssignment, OnsiteCheck

    settings.MEDIA_ROOT = str(tmp_path)
    out = StringIO()
    call_command("seed_demo", "--enterprises", "400", "--seed", "1", stdout=out)
    output = out.getvalue()
    assert "expert       Tier-Demo-2025   expert (" in output
    user = authenticate(username="expert", password="Tier-Demo-2025")
    assert user is not None and not user.is_staff
    seat = ExpertAssignment.objects.get(expert__user=user)
    app = seat.application
    assert app.status == "expert_review" and seat.submitted_at is None
    assert experts.panel_result(app).submitted == 2 and experts.panel_result(app).size == 3
    failed = OnsiteCheck.objects.get(outcome="failed")
    assert failed.application.status == "county_review"
    from django.contrib.auth import get_user_model

    with pytest.raises(ValidationError):
        applications.decide(failed.application, user=get_user_model().objects.get(username="xihu"),
                            action="approve")
    again = StringIO()
    call_command("seed_demo", "--enterprises", "400", "--seed", "1", stdout=again)
    assert ExpertAssignment.objects.count() == 3 and OnsiteCheck.objects.count() == 1


def test_provincial_staff_add_an_expert_with_a_declared_tie_in_the_admin(client, province, county):
    from django.contrib.auth import get_user_model

    from core.audit import AuditEntry
    from registry.models import ExpertProfile
    from tests.factories import UserFactory, reviewer

    enterprise = make_enterprise("A")
    newcomer = UserFactory(username="new-expert")
    client.force_login(province)
    response = client.post(reverse("admin:registry_expertprofile_add"), {
        "user": newcomer.pk, "fields": " bearings ,, machine tools ", "home_region": "330203", "active": "on",
        "ties-TOTAL_FORMS": "1", "ties-INITIAL_FORMS": "0", "ties-MIN_NUM_FORMS": "0", "ties-MAX_NUM_FORMS": "1000",
        "ties-0-enterprise": enterprise.pk, "ties-0-relation": "former employee",
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    profile = ExpertProfile.objects.get(user=newcomer)
    assert profile.fields == "bearings, machine tools"
    assert list(profile.ties.values_list("enterprise_id", "relation")) == [(enterprise.pk, "former employee")]
    assert AuditEntry.objects.filter(enterprise_id=enterprise.pk, object_id=str(profile.ties.get().pk)).exists()
    # Another province's reviewer does not see Zhejiang's experts; a county reviewer cannot keep the pool.
    client.force_login(reviewer("province", "320000", username="province-js"))
    assert client.get(reverse("admin:registry_expertprofile_change", args=[profile.pk])).status_code == 302
    client.force_login(county)
    assert client.get(reverse("admin:registry_expertprofile_changelist")).status_code == 403
    with pytest.raises(PermissionDenied):
        experts.save_expert(user=county, expert_user=get_user_model().objects.get(username="new-expert"),
                            fields="x", home_region=profile.home_region, expert=profile)


# --- experts are told when drawn -----------------------------------------------------------------------------

def _drawn_pool(county, city, province):
    """Five experts in the pool (one opted out of e-mail), one from the enterprise's county (never drawn)."""
    from registry.reviewer_notices import set_email_preference

    pool = [expert(f"pool-{i}", home_region="330203") for i in range(5)]
    set_email_preference(pool[1].user, False)
    local = expert("local", home_region="330106")
    return pool, local, in_expert_review(county, city, province)


def _drawn_notes():
    from registry.models import Notification

    return Notification.objects.filter(kind="expert_drawn")


def test_exactly_the_drawn_experts_are_told_once_each(client, county, city, province,
                                                      django_capture_on_commit_callbacks):
    from django.core import mail

    from registry import followup

    pool, local, app = _drawn_pool(county, city, province)
    quiet = pool[1].pk
    seed = next(s for s in range(1000) if quiet in experts.pick(s, experts.eligible_experts(app)[0], 3))
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        draw = experts.draw_experts(app, user=province, seed=seed)
    drawn = {seat.expert.user.username for seat in draw.assignments.select_related("expert__user")}
    assert len(drawn) == 3 and "local" not in drawn
    assert sorted(n.user.username for n in _drawn_notes()) == sorted(drawn)
    mailed = sorted(m.to[0] for m in mail.outbox if "/experts/assignments/" in m.body)
    emails = {p.user.username: p.user.email for p in pool}
    assert mailed == sorted(emails[u] for u in drawn if u != "pool-1")  # the one who opted out: the notice only
    assert all(f"#{app.pk}" in m.subject for m in mail.outbox)

    # The follow-up again (a retry, the sweep) tells nobody twice.
    followup.run_followup(app.pk)
    assert followup.sweep_followups(older_than_seconds=0) == 0
    assert _drawn_notes().count() == 3
    assert sorted(m.to[0] for m in mail.outbox if "/experts/assignments/" in m.body) == mailed

    # The expert sees the notice on their page; opening it marks it read and leads to the assignment.
    seat = draw.assignments.select_related("expert__user").order_by("pk").first()
    client.force_login(seat.expert.user)
    page = client.get(reverse("experts:list")).content.decode()
    note = _drawn_notes().get(user=seat.expert.user)
    assert note.subject in page and 'class="notice-link unread"' in page
    opened = client.get(reverse("experts:notice", args=[note.pk]))
    assert opened.status_code == 302 and opened.url == reverse("experts:detail", args=[seat.pk])
    note.refresh_from_db()
    assert note.read_at is not None
    # Someone else's notice is not found.
    client.force_login(local.user)
    assert client.get(reverse("experts:notice", args=[note.pk])).status_code == 404
    assert note.subject not in client.get(reverse("experts:list")).content.decode()


def test_an_expert_turns_the_e_mails_off_on_their_page(client, county, city, province,
                                                       django_capture_on_commit_callbacks):
    from django.core import mail

    pool = [expert(f"pool-{i}", home_region="330203") for i in range(3)]
    app = in_expert_review(county, city, province)
    client.force_login(pool[0].user)
    assert 'id="email_notifications" checked' in client.get(reverse("experts:list")).content.decode()
    assert client.post(reverse("experts:preferences"), {}).status_code == 302
    assert 'id="email_notifications" checked' not in client.get(reverse("experts:list")).content.decode()
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        experts.draw_experts(app, user=province, seed=1)
    assert _drawn_notes().count() == 3
    assert sorted(m.to[0] for m in mail.outbox if "/experts/assignments/" in m.body) == sorted(
        [pool[1].user.email, pool[2].user.email])


def test_with_the_broker_down_no_expert_is_told_until_the_sweep(county, city, province, monkeypatch,
                                                               django_capture_on_commit_callbacks):
    from django.core import mail
    from kombu.exceptions import OperationalError

    from registry import followup
    from registry.models import Application

    _pool, _local, app = _drawn_pool(county, city, province)

    def broker_down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    mail.outbox.clear()
    with monkeypatch.context() as patched:
        patched.setattr(followup.run_followup, "apply_async", broker_down)
        with django_capture_on_commit_callbacks(execute=True):
            draw = experts.draw_experts(app, user=province, seed=3)
        assert draw.pk and not _drawn_notes().exists() and mail.outbox == []
        assert Application.objects.get(pk=app.pk).followup_done is False
        assert followup.sweep_followups(older_than_seconds=0) == 0  # still down: nothing queued, nothing lost
        assert not _drawn_notes().exists()
    # The broker is back: the sweep tells every drawn expert, once.
    assert followup.sweep_followups(older_than_seconds=0) == 1
    drawn = sorted(seat.expert.user.username for seat in draw.assignments.select_related("expert__user"))
    assert sorted(n.user.username for n in _drawn_notes()) == drawn
    assert Application.objects.get(pk=app.pk).followup_done is True
    assert followup.sweep_followups(older_than_seconds=0) == 0
    followup.run_followup(app.pk)
    assert _drawn_notes().count() == 3
    assert len([m for m in mail.outbox if "/experts/assignments/" in m.body]) == len(
        [d for d in drawn if d != "pool-1"])
