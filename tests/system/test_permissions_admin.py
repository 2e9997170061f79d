"""Who may open every admin page, for every kind of user; reviewers see only their region's rows; HTML that an
enterprise typed into its name is shown escaped.

The models come from the admin site's registry: a newly registered model without a rule here fails
``test_every_admin_model_has_a_rule``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import reverse

from .world import REVIEWERS_IN, REVIEWERS_OUT, ROLES, STAFF, World, build_world

REVIEWERS = REVIEWERS_IN | REVIEWERS_OUT
SUPERUSER = frozenset({"superuser"})
OFFICIALS = frozenset(REVIEWERS | STAFF)
SEES_A_IN_ADMIN = frozenset(REVIEWERS_IN | STAFF)


@dataclass(frozen=True)
class AdminRule:
    """``lists``: roles that may open the list; ``a_object`` gives a row of A's, which ``sees_a`` may open
    (and see in the list) while every other role is turned away without seeing it."""

    lists: frozenset[str]
    a_object: Callable[[World], Any] | None = None
    sees_a: frozenset[str] = frozenset()


def _audit_entry_of_a(world: World) -> Any:
    from core.audit import AuditEntry

    return AuditEntry.objects.filter(enterprise_id=world.enterprise_a.pk).order_by("pk").first()


def _assessment_of_a(world: World) -> Any:
    from evaluation.models import Assessment

    return Assessment.objects.filter(enterprise=world.enterprise_a).order_by("pk").first()


def _objection_to_a(world: World) -> Any:
    from registry.models import Objection

    return Objection.objects.create(application=world.objects["application_a"], reference="YY-TEST-A",
                                    objector_name="异议人", contact_email="objector@example.org",
                                    reason="理由足够长的一段文字。", status="received")


PROVINCIAL = frozenset({"province_in", "province_out"})


# Provincial reviewers (of any province: each keeps their own province's experts) and registry staff.
POOL_KEEPERS = frozenset({"province_in", "province_out", *STAFF})


def _expert_of_zhejiang(world: World) -> Any:
    from tests.factories import expert

    return expert("zhejiang-expert", home_region="330102", ties=(world.enterprise_a,))


def _draw_of_a(world: World) -> Any:
    from registry.models import ExpertAssignment, ExpertDraw
    from tests.factories import expert

    app = world.objects["application_a"]
    panel = [expert(f"panel-{i}", home_region="330203") for i in range(3)]
    draw = ExpertDraw.objects.create(application=app, stage_event=app.events.first(), seed=1, size=3,
                                     candidates=[e.pk for e in panel], chosen=[e.pk for e in panel])
    for member in panel:
        ExpertAssignment.objects.create(draw=draw, application=app, expert=member)
    return draw


def _onsite_check_of_a(world: World) -> Any:
    from django.utils import timezone

    from registry import onsite

    findings = {code: {"result": "pass"} for code in onsite.CHECKLIST_CODES}
    return onsite.record_visit(world.objects["application_a"], user=world.users["county_in"],
                               visited_on=timezone.localdate(), visitors="Wang", findings=findings)


def _change_request_of_a(world: World) -> Any:
    from enterprises.change_requests import file_change_request

    return file_change_request(world.enterprise_a, user=world.users["member_a"], kind="rename",
                               changes={"name": "甲企业新名称"}, reason="更名")


def _confirmation_of_a(world: World) -> Any:
    from enterprises import confirmations
    from enterprises.models import Declaration

    declaration = Declaration.objects.filter(enterprise=world.enterprise_a).order_by("-year").first()
    Declaration.objects.filter(pk=declaration.pk).update(niche_share_leading=True)
    return confirmations.judge(declaration, "market.niche_share_leading", user=world.users["province_in"],
                               confirmed=True, reason="核实")


ADMIN_RULES: dict[str, AdminRule] = {
    "auth.group": AdminRule(SUPERUSER),
    "auth.user": AdminRule(STAFF),
    "knox.authtoken": AdminRule(SUPERUSER),
    "django_celery_beat.periodictask": AdminRule(SUPERUSER),
    "django_celery_beat.clockedschedule": AdminRule(SUPERUSER),
    "django_celery_beat.crontabschedule": AdminRule(SUPERUSER),
    "django_celery_beat.solarschedule": AdminRule(SUPERUSER),
    "django_celery_beat.intervalschedule": AdminRule(SUPERUSER),
    "axes.accessattempt": AdminRule(SUPERUSER),
    "axes.accesslog": AdminRule(SUPERUSER),
    "axes.accessfailurelog": AdminRule(SUPERUSER),
    "evaluation.rescorejob": AdminRule(SUPERUSER),
    "enterprises.enterprise": AdminRule(OFFICIALS, lambda w: w.enterprise_a, SEES_A_IN_ADMIN),
    "enterprises.region": AdminRule(OFFICIALS),
    "enterprises.changerequest": AdminRule(OFFICIALS, lambda w: _change_request_of_a(w), SEES_A_IN_ADMIN),
    "enterprises.reviewerprofile": AdminRule(STAFF),
    # Reviewers' judgements of declared items: officials list their region's; another region's are not shown.
    "enterprises.confirmation": AdminRule(OFFICIALS, _confirmation_of_a, SEES_A_IN_ADMIN),
    "core.auditentry": AdminRule(OFFICIALS, _audit_entry_of_a, SEES_A_IN_ADMIN),
    "registry.application": AdminRule(OFFICIALS, lambda w: w.objects["application_a"], SEES_A_IN_ADMIN),
    "registry.certification": AdminRule(OFFICIALS, lambda w: w.objects["certification_a"], SEES_A_IN_ADMIN),
    "registry.cityquota": AdminRule(OFFICIALS),
    "registry.demotionproposal": AdminRule(OFFICIALS),
    "evaluation.assessment": AdminRule(OFFICIALS, _assessment_of_a, SEES_A_IN_ADMIN),
    "registry.objection": AdminRule(PROVINCIAL | STAFF, _objection_to_a, frozenset({"province_in"}) | STAFF),
    "registry.announcement": AdminRule(PROVINCIAL | STAFF),
    # The cultivation pool: every official opens the lists (rows are their region's; tests/registry/test_pool.py).
    **{f"registry.{name}": AdminRule(OFFICIALS) for name in (
        "plan", "target", "poolentry", "poolproposal", "supportkind", "supportrecord", "riskalert")},
    "registry.expertprofile": AdminRule(POOL_KEEPERS, _expert_of_zhejiang, frozenset({"province_in", *STAFF})),
    "registry.expertdraw": AdminRule(OFFICIALS, _draw_of_a, SEES_A_IN_ADMIN),
    "registry.onsitecheck": AdminRule(OFFICIALS, _onsite_check_of_a, SEES_A_IN_ADMIN),
    # The review round: rounds (provincial staff open them; every reviewer sees them), each staff user's own
    # notifications, and the region's enterprises that missed the annual update.
    "registry.reviewround": AdminRule(OFFICIALS),
    "registry.notification": AdminRule(OFFICIALS),
    "registry.lapsedannualupdate": AdminRule(OFFICIALS),
}


def test_every_admin_model_has_a_rule() -> None:
    registered = {model._meta.label_lower for model in admin.site._registry}
    missing = sorted(registered - set(ADMIN_RULES))
    stale = sorted(set(ADMIN_RULES) - registered)
    assert not missing, f"admin models without a declared rule in ADMIN_RULES: {missing}"
    assert not stale, f"rules for models no longer in the admin: {stale}"


def _client(world: World, role: str) -> Client:
    client = Client()
    if role != "anonymous":
        client.force_login(world.users[role])
    return client


def _turned_away(response: Any, role: str) -> bool:
    """Anonymous users and non-staff are sent to the login page; staff without the right get 403, or, for a row
    outside their region, the admin's "does not exist" redirect to the index."""
    if response.status_code == 302:
        return True
    return response.status_code in (403, 404)


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("label", sorted(ADMIN_RULES))
def test_admin_page_matrix(label: str, role: str) -> None:
    world = build_world()
    rule = ADMIN_RULES[label]
    app_label, model_name = label.split(".")
    client = _client(world, role)
    secrets = world.secrets_of_a()

    listing = client.get(reverse(f"admin:{app_label}_{model_name}_changelist"))
    if role in rule.lists:
        assert listing.status_code == 200, f"{role} cannot list {label}: {listing.status_code}"
        if rule.a_object is not None and role not in rule.sees_a:
            assert world.enterprise_a.uscc not in listing.content.decode(), f"{role} sees A in the {label} list"
    else:
        assert _turned_away(listing, role), f"{role} listed {label}: {listing.status_code}"
        if role in ("anonymous", "member_a", "member_b"):
            assert listing.status_code == 302 and "/admin/login/" in listing["Location"]

    if rule.a_object is None:
        return
    obj = rule.a_object(world)
    for page in ("change", "history"):
        response = client.get(reverse(f"admin:{app_label}_{model_name}_{page}", args=[obj.pk]))
        text = response.content.decode()
        if role in rule.sees_a:
            assert response.status_code == 200, f"{role} cannot open A's {label} {page}: {response.status_code}"
        else:
            assert _turned_away(response, role), f"{role} opened A's {label} {page}: {response.status_code}"
            assert all(secret not in text for secret in secrets), f"{role} saw A's data on the {label} {page}"


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_only_superusers_may_start_a_rescore_from_the_admin(role: str) -> None:
    world = build_world()
    response = _client(world, role).get(reverse("admin:evaluation_rescorejob_start"))
    if role == "superuser":
        assert response.status_code == 200
    else:
        assert _turned_away(response, role), f"{role} opened the re-score start page: {response.status_code}"


@pytest.mark.django_db
def test_html_in_an_enterprise_name_is_escaped_in_the_admin() -> None:
    world = build_world()
    client = _client(world, "superuser")
    pages = [
        reverse("admin:enterprises_enterprise_changelist"),
        reverse("admin:enterprises_enterprise_change", args=[world.enterprise_a.pk]),
        reverse("admin:registry_application_changelist"),
        reverse("admin:registry_application_change", args=[world.objects["application_a"].pk]),
    ]
    for url in pages:
        text = client.get(url).content.decode()
        assert "<script>alert(1)</script>" not in text, url
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text, url


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_only_provincial_staff_may_open_a_round(role: str) -> None:
    world = build_world()
    response = _client(world, role).get(reverse("admin:registry_reviewround_add"))
    if role in ("province_in", "province_out", "staff", "superuser"):
        assert response.status_code == 200, f"{role} cannot open the round form: {response.status_code}"
    else:
        assert _turned_away(response, role), f"{role} opened the round form: {response.status_code}"


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_a_notification_opens_only_for_its_own_reviewer(role: str) -> None:
    from registry.models import Notification

    world = build_world()
    note = Notification.objects.create(key="application:1:event:1:reviewer:x", user=world.users["city_in"],
                                       kind="review_waiting", subject="secret-notice")
    client = _client(world, role)
    for name in ("registry_notification_open", "registry_notification_change"):
        response = client.get(reverse(f"admin:{name}", args=[note.pk]))
        if role == "city_in":
            assert response.status_code in (200, 302) and "/admin/login/" not in response.get("Location", "")
        else:
            assert _turned_away(response, role), f"{role} opened {name}: {response.status_code}"
            assert "secret-notice" not in response.content.decode()
    listing = client.get(reverse("admin:registry_notification_changelist"))
    assert ("secret-notice" in listing.content.decode()) == (role == "city_in")
    preferences = client.get(reverse("admin:registry_notification_preferences"))
    if role in OFFICIALS:
        assert preferences.status_code == 200
    else:
        assert _turned_away(preferences, role)


# --- jobs started from the admin: their scope, results and exports -------------------------------------------

SIMULATES = frozenset(REVIEWERS | STAFF)


@pytest.mark.django_db
@pytest.mark.parametrize("role", sorted(SIMULATES))
def test_a_policy_simulation_reaches_only_what_its_starter_may_see(role: str, django_capture_on_commit_callbacks):
    from evaluation.models import SimulationJob
    from evaluation.simulation import create_draft, population
    from tests.helpers import ruleset

    world = build_world()
    base = ruleset()
    draft = create_draft(base, changes={"tiers.innovative_sme.pass_mark.value": 99})
    client = _client(world, role)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("insights:simulation"),
                               {"base": base.pk, "candidate": draft.pk, "year": 2025, "city": ""})
    assert response.status_code == 302, f"{role} could not start a simulation: {response.status_code}"
    job = SimulationJob.objects.get()
    reached = set(population(job).values_list("pk", flat=True))
    assert (world.enterprise_a.pk in reached) == (role in SEES_A_IN_ADMIN), f"{role}'s simulation reached A"
    export = client.get(reverse("insights:simulation_export", args=[job.pk, "csv"])).content.decode("utf-8-sig")
    page = client.get(reverse("insights:simulation_job", args=[job.pk])).content.decode()
    if role not in SEES_A_IN_ADMIN:
        assert world.enterprise_a.uscc not in export and world.enterprise_a.uscc not in page
    else:
        assert world.enterprise_a.uscc in export, f"{role} lost A from their own simulation's export"


@pytest.mark.django_db
@pytest.mark.parametrize("role", sorted(REVIEWERS_OUT | REVIEWERS_IN - {"province_in"}))
def test_a_reviewer_cannot_aim_a_simulation_at_a_city_outside_their_region(role: str) -> None:
    from evaluation.models import SimulationJob
    from evaluation.simulation import create_draft
    from tests.helpers import ruleset

    world = build_world()
    base = ruleset()
    draft = create_draft(base, changes={"tiers.innovative_sme.pass_mark.value": 99})
    city = "330200" if role in REVIEWERS_IN else "330100"
    _client(world, role).post(reverse("insights:simulation"),
                              {"base": base.pk, "candidate": draft.pk, "year": 2025, "city": city})
    for job in SimulationJob.objects.all():
        assert job.region_code != city, f"{role} simulated city {city}"


@pytest.mark.django_db
@pytest.mark.parametrize("role", sorted(REVIEWERS))
def test_a_city_quota_is_seen_only_within_its_province(role: str) -> None:
    from enterprises.models import Region
    from registry import quotas

    world = build_world()
    quotas.set_city_quota(city=Region.objects.get(code="330100"), tier="specialised_sme", year=2026, quota=7,
                          user=world.users["superuser"])
    listing = _client(world, role).get(reverse("admin:registry_cityquota_changelist")).content.decode()
    sees = role in {"city_in", "province_in"}
    assert ("杭州" in listing) == sees, f"{role} and Hangzhou's quota"
