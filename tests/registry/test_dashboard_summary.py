"""The dashboard's summary rows stay equal to a fresh count after every service that changes certifications or
applications, and the figures read from them equal the base-table counts on any date."""

from __future__ import annotations

import datetime
import random

import pytest
from django.core.management import call_command
from django.utils import timezone

from enterprises import change_requests
from enterprises import services as enterprise_services
from enterprises.models import Region
from evaluation.rescore import Shortfall
from registry import applications, certifications, dashboard_summary, targets
from registry.certifications import add_years
from registry.dashboard_figures import Figures
from registry.models import Certification, DashboardCount, DemotionProposal, Plan
from tests.factories import EnterpriseFactory, UserFactory, certify, reviewer

from .conftest import YEAR, file_annual_updates, make_enterprise

pytestmark = pytest.mark.django_db
D = datetime.date
TODAY = timezone.localdate


def agrees() -> None:
    """The stored rows are what a count from scratch gives."""
    assert dashboard_summary.stored() == dashboard_summary.computed()


def new_app(enterprise, tier="innovative_sme"):
    app = applications.create_application(enterprise=enterprise, tier=tier, year=YEAR, user=enterprise.owner)
    agrees()
    return app


def test_every_service_keeps_the_rows_equal_to_a_fresh_count(city, province):
    enterprise = make_enterprise("A")
    agrees()
    app = new_app(enterprise)
    app = applications.submit_application(app, user=enterprise.owner)
    agrees()
    applications.decide(app, user=city, action="return", reason="attach the audit")
    agrees()
    app = applications.submit_application(app, user=enterprise.owner)  # resubmit
    agrees()
    applications.decide(app, user=city, action="approve")
    agrees()
    app = applications.decide(app, user=province, action="approve")
    agrees()
    app = applications.decide(app, user=province, action="object", reason="a complaint")
    agrees()
    app = applications.decide(app, user=province, action="approve")
    app = applications.close_publicity(app, on=app.publicity_ends_on + datetime.timedelta(days=1))  # grant
    agrees()
    cert = app.certification
    assert DashboardCount.objects.filter(kind="active", region_id="330106", tier="innovative_sme").get().n == 1

    # Renewal: a re-review extends the certification from its expiry.
    Certification.objects.filter(pk=cert.pk).update(granted_on=add_years(TODAY(), -3) + datetime.timedelta(days=60),
                                                    expires_on=TODAY() + datetime.timedelta(days=60))
    dashboard_summary.rebuild()  # the dates above were moved by hand
    file_annual_updates(enterprise, range(TODAY().year - 4, TODAY().year))
    rereview = new_app(enterprise)
    assert rereview.kind == "rereview"
    rereview = applications.submit_application(rereview, user=enterprise.owner)
    applications.decide(rereview, user=city, action="approve")
    rereview = applications.decide(rereview, user=province, action="approve")
    agrees()
    applications.close_publicity(rereview, on=TODAY() + datetime.timedelta(days=6))
    agrees()

    # Demotion proposed (a second proposal for the same certification is a no-op), then accepted: the
    # certification is revoked.
    assert certifications.propose_demotions([Shortfall(enterprise.pk, cert.tier, YEAR, ["growth"])]) == 1
    agrees()
    assert DashboardCount.objects.get(kind="demotion", region_id="330106", tier=cert.tier).n == 1
    assert certifications.propose_demotions([Shortfall(enterprise.pk, cert.tier, YEAR)]) == 0
    agrees()
    proposal = DemotionProposal.objects.get(certification=cert)
    certifications.decide_demotion(proposal, user=province, accept=True, reason="growth fell below the bar")
    agrees()
    assert not DashboardCount.objects.filter(kind__in=["active", "demotion"], n__gt=0).exists()

    # Withdrawal and rejection.
    other = make_enterprise("A", region="330108")
    app = new_app(other)
    applications.withdraw(app, user=other.owner)
    agrees()
    app = applications.submit_application(new_app(other), user=other.owner)
    applications.decide(app, user=city, action="reject", reason="not an SME")
    agrees()


def test_revocation_expiry_and_a_second_certification(province):
    enterprise = make_enterprise("A")
    cert = certify(enterprise, "innovative_sme", TODAY() - datetime.timedelta(days=100))
    agrees()
    certifications.revoke_certification(cert, user=province, cause="not_sme", reason="grew large")
    agrees()
    certify(enterprise, "innovative_sme", TODAY() - datetime.timedelta(days=1200), TODAY() - datetime.timedelta(days=2))
    certify(EnterpriseFactory(), "specialised_sme", TODAY() - datetime.timedelta(days=1100),
            TODAY() - datetime.timedelta(days=1))
    agrees()
    assert certifications.expire_certifications(TODAY()) == 2
    agrees()
    assert not DashboardCount.objects.filter(kind="active", n__gt=0).exists()


def test_an_enterprise_moving_region_takes_its_rows_along():
    enterprise = make_enterprise("A")
    certify(enterprise, "innovative_sme", D(2019, 1, 1), D(2022, 1, 1))  # expired: locks nothing
    Certification.objects.filter(enterprise=enterprise).update(status="expired")
    dashboard_summary.rebuild()
    new_app(enterprise)  # a draft locks nothing either
    enterprise_services.update_enterprise(enterprise, {"region": Region.objects.get(code="330203")})
    agrees()
    assert DashboardCount.objects.filter(region_id="330203", kind="granted", n=1).exists()
    assert not DashboardCount.objects.filter(region_id="330106", n__gt=0).exists()


def test_open_demotion_proposals_count_where_their_enterprise_is(province):
    moving, staying = make_enterprise("A"), make_enterprise("A", region="330108")
    for enterprise in (moving, staying):
        certify(enterprise, "innovative_sme", TODAY() - datetime.timedelta(days=100))
    assert certifications.propose_demotions([Shortfall(moving.pk, "innovative_sme", YEAR),
                                             Shortfall(staying.pk, "innovative_sme", YEAR),
                                             Shortfall(staying.pk, "specialised_sme", YEAR)]) == 2  # one held
    agrees()
    move = change_requests.file_change_request(moving, user=moving.owner, kind="move",
                                               changes={"region_code": "330203"}, reason="迁址宁波")
    change_requests.decide_change_request(move, user=reviewer("city", "330100"), approve=True, reason="核实")
    agrees()
    assert DashboardCount.objects.get(kind="demotion", region_id="330203").n == 1
    certifications.decide_demotion(DemotionProposal.objects.get(enterprise=staying), user=province, accept=False,
                                   reason="a one-off dip")
    agrees()
    assert Figures(UserFactory(is_staff=True, is_superuser=True), "330000").open_demotions() == 1
    assert Figures(reviewer("city", "330100", username="hz"), "330100").open_demotions() == 0
    call_command("rebuild_dashboard_summary")
    agrees()


def test_the_rebuild_command_restores_rows_written_around_the_services(capsys):
    enterprise = EnterpriseFactory()
    Certification.objects.bulk_create([Certification(enterprise=enterprise, tier="innovative_sme",
                                                     ruleset_id=certify(EnterpriseFactory(), "innovative_sme",
                                                                        D(2024, 1, 1)).ruleset_id,
                                                     granted_on=D(2024, 5, 1), expires_on=D(2027, 5, 1))])
    assert dashboard_summary.stored() != dashboard_summary.computed()
    call_command("rebuild_dashboard_summary")
    agrees()
    assert "summary rows written" in capsys.readouterr().out


@pytest.mark.parametrize("on", [D(2025, 6, 15), D(2025, 6, 30), D(2024, 2, 1), D(2026, 12, 1), D(2023, 11, 29)])
def test_the_figures_equal_the_base_table_counts_on_any_date(on):
    """Random certifications (expired, revoked, superseded, renewed, granted late in the month) in three
    counties: active, cumulative and new by region from the summary equal ``targets.achieved`` on the base rows."""
    rng = random.Random(17)
    plan = Plan.objects.create(name="check", first_year=2023, last_year=2025)
    counties = ["330106", "330108", "330203"]
    for i in range(60):
        enterprise = EnterpriseFactory(region=Region.objects.get(code=counties[i % 3]))
        granted = D(2020, 1, 1) + datetime.timedelta(days=rng.randrange(0, 7 * 365))
        for _round in range(rng.choice([1, 1, 2, 3])):
            tier = rng.choice(["innovative_sme", "specialised_sme"])
            Certification.objects.filter(enterprise=enterprise, tier=tier, status="active").update(
                status="superseded")
            expires = add_years(granted, rng.choice([1, 3, 6]))
            cert = certify(enterprise, tier, granted, expires)
            fate = rng.random()
            if fate < 0.2:
                cert.status, cert.revoked_on = "revoked", granted + datetime.timedelta(days=rng.randrange(1, 400))
                cert.save()
            elif fate < 0.4:
                cert.status = "expired"
                cert.save()
            granted = granted + datetime.timedelta(days=rng.randrange(1, 900))
    dashboard_summary.rebuild()  # statuses above were changed by hand
    staff = UserFactory(is_staff=True, is_superuser=True)
    figures = Figures(staff, "330000")
    expected_active = {(r, t): n for (r, t), n in targets.achieved("active", plan, on, "county").items()}
    assert {k: v for k, v in figures.active(on).items() if v} == expected_active
    assert {k: v for k, v in figures.cumulative(plan, on).items() if v} == targets.achieved(
        "cumulative", plan, on, "county")
    assert {k: v for k, v in figures.new(plan, on).items() if v} == targets.achieved("new", plan, on, "county")
    # A city reviewer's figures are their city's only.
    ningbo = Figures(reviewer("city", "330200"), "330000")  # asking for the province changes nothing
    assert {k: v for k, v in ningbo.active(on).items() if v} == {
        k: v for k, v in expected_active.items() if k[0] == "330203"}


def test_the_migration_sums_monthly_granted_rows_into_years_and_back():
    from importlib import import_module

    from django.apps import apps as global_apps

    migration = import_module("registry.migrations.0013_dashboard_granted_by_year")
    certify(EnterpriseFactory(), "innovative_sme", D(2024, 3, 5))
    certify(EnterpriseFactory(), "innovative_sme", D(2024, 9, 20))
    certify(EnterpriseFactory(), "specialised_sme", D(2025, 1, 2))
    migration.count_by_month(global_apps, None)  # back to the rows by grant month
    months = set(DashboardCount.objects.filter(kind="granted").values_list("since", "tier", "n"))
    assert months == {(D(2024, 3, 1), "innovative_sme", 1), (D(2024, 9, 1), "innovative_sme", 1),
                      (D(2025, 1, 1), "specialised_sme", 1)}
    migration.sum_into_years(global_apps, None)
    agrees()
    assert DashboardCount.objects.get(kind="granted", tier="innovative_sme").n == 2
