"""The dashboard's figures against hand-built data, the region restriction and the query budget."""

from __future__ import annotations

import datetime

import pytest
from django.urls import reverse

from evaluation.rescore import Shortfall
from registry.certifications import propose_demotions
from registry.dashboard import dashboard_data
from tests.factories import ApplicationFactory, UserFactory, reviewer
from tests.helpers import certify, enterprise_in

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2026, 11, 26)


@pytest.fixture
def registry_data():
    """Hangzhou: 3 innovative (one expired, one expiring soon), 1 specialised; Ningbo: 2 innovative."""
    xihu = [enterprise_in("330106") for _ in range(3)]
    binjiang = enterprise_in("330108")
    haishu = [enterprise_in("330203") for _ in range(2)]
    certify(xihu[0], "innovative_sme", datetime.date(2024, 5, 1))
    certify(xihu[1], "innovative_sme", datetime.date(2023, 12, 20))  # expires 2026-12-20: within 90 days
    certify(xihu[2], "innovative_sme", datetime.date(2022, 5, 1))  # expired 2025-05-01
    certify(binjiang, "specialised_sme", datetime.date(2025, 6, 1))
    certify(binjiang, "innovative_sme", datetime.date(2025, 3, 1))
    certify(haishu[0], "innovative_sme", datetime.date(2025, 3, 1))
    certify(haishu[1], "innovative_sme", datetime.date(2026, 1, 10))
    ApplicationFactory(enterprise=xihu[2], tier="innovative_sme")
    ApplicationFactory(enterprise=haishu[0], tier="specialised_sme", status="city_review")
    assert propose_demotions([Shortfall(haishu[0].pk, "innovative_sme", 2025)]) == 1
    return {"xihu": xihu, "binjiang": binjiang, "haishu": haishu}


def _row(rows, tier):
    return next(r for r in rows if r["tier"] == tier)


def test_province_staff_see_every_active_certification_against_the_targets(registry_data):
    admin = UserFactory(username="boss", is_staff=True, is_superuser=True)
    data = dashboard_data(admin, today=TODAY)
    innovative = _row(data["tier_rows"], "innovative_sme")
    assert innovative["count"] == 5  # the 2022 certification has expired
    assert innovative["target"] == 50000
    assert innovative["percent"] == 0.0
    assert _row(data["tier_rows"], "specialised_sme")["count"] == 1
    assert _row(data["tier_rows"], "specialised_sme")["target"] == 10000
    assert _row(data["tier_rows"], "single_champion")["target"] == 130
    by_city = {r["code"]: r["total"] for r in data["area_rows"]}
    assert by_city["330100"] == 4 and by_city["330200"] == 2
    assert sum(by_city.values()) == 6


def test_choosing_a_city_splits_it_by_county(registry_data):
    admin = UserFactory(username="boss", is_staff=True, is_superuser=True)
    data = dashboard_data(admin, city="330100", today=TODAY)
    by_county = {r["code"]: r["counts"] for r in data["area_rows"]}
    assert by_county["330106"][0] == 2  # Xihu innovative
    assert by_county["330108"] == [1, 1, 0, 0, 0]  # Binjiang innovative + specialised
    assert data["scope"].breakdown == "county"


def test_trend_pipeline_expiring_and_proposals(registry_data):
    admin = UserFactory(username="boss", is_staff=True, is_superuser=True)
    data = dashboard_data(admin, today=TODAY)
    trend = {r["year"]: r["counts"] for r in data["year_rows"]}
    assert trend[2025] == [2, 1, 0, 0, 0]
    assert trend[2022] == [1, 0, 0, 0, 0]  # granted per year, whatever became of it
    stages = {r["status"]: r["total"] for r in data["pipeline_rows"]}
    assert stages["draft"] == 1 and stages["city_review"] == 1 and stages["certified"] == 0
    assert [c.enterprise for c in data["expiring"]] == [registry_data["xihu"][1]]
    assert data["expiring_count"] == 1
    assert data["proposals_count"] == 1


def test_a_city_reviewer_sees_only_their_city(registry_data):
    ningbo = reviewer("city", "330200")
    data = dashboard_data(ningbo, city="330100", today=TODAY)  # asking for Hangzhou changes nothing
    assert data["scope"].region.code == "330200" and data["scope"].locked
    assert _row(data["tier_rows"], "innovative_sme")["count"] == 2
    assert _row(data["tier_rows"], "specialised_sme")["count"] == 0
    assert {r["code"] for r in data["area_rows"]} >= {"330203", "330205"}
    assert all(r["code"].startswith("3302") for r in data["area_rows"])
    assert data["expiring_count"] == 0
    assert data["proposals_count"] == 1
    stages = {r["status"]: r["total"] for r in data["pipeline_rows"]}
    assert stages["draft"] == 0 and stages["city_review"] == 1


def test_a_county_reviewer_sees_only_their_county(registry_data):
    xihu = reviewer("county", "330106")
    data = dashboard_data(xihu, today=TODAY)
    assert _row(data["tier_rows"], "innovative_sme")["count"] == 2
    assert [r["code"] for r in data["area_rows"]] == ["330106"]


def test_page_renders_tables_and_chart_data_for_a_reviewer(client, registry_data):
    client.force_login(reviewer("city", "330200"))
    response = client.get(reverse("insights:dashboard"))
    assert response.status_code == 200
    body = response.content.decode()
    assert 'id="chart-targets"' in body and "vendor/chartjs/chart.umd.min.js" in body
    assert "Haishu District" in body and "Xihu District" not in body and "海曙区" not in body
    assert 'id="dashboard-charts"' in body


def test_enterprise_members_cannot_open_the_dashboard(client):
    client.force_login(UserFactory(username="member", is_staff=False))
    response = client.get(reverse("insights:dashboard"))
    assert response.status_code == 302  # the admin sends non-staff to its login page


def test_dashboard_query_count_does_not_grow_with_the_data(client, registry_data, django_assert_num_queries):
    """Session, user, the viewer's province and areas, the summary rows (active, cumulative, new, granted, the
    pipeline) with the month's edge rows, whether the plan is the province's, two short lists and their counts,
    the targets, the pool per area and last year's conversion, the overdue count, the cities and the header's
    badge: the same with 7 or 27 rows."""
    admin = UserFactory(username="boss", is_staff=True, is_superuser=True)
    client.force_login(admin)
    url = reverse("insights:dashboard")
    client.get(url)
    with django_assert_num_queries(27):
        client.get(url)
    for _ in range(20):
        certify(enterprise_in("330203"), "innovative_sme", datetime.date(2025, 12, 20))
    with django_assert_num_queries(27):
        client.get(url)
    with django_assert_num_queries(25):  # a city's counties, no city list to widen it
        response = client.get(url + "?city=330200")
    assert response.status_code == 200
    client.force_login(reviewer("city", "330200"))
    with django_assert_num_queries(26):  # plus the reviewer's permissions and profile
        assert client.get(url).status_code == 200


def test_a_reviewer_of_another_province_sees_their_own_province_and_no_zhejiang_targets(client, registry_data):
    """Jiangsu's provincial reviewer: the scope, title and targets are Jiangsu's (empty), nothing of Zhejiang."""
    jiangsu = reviewer("province", "320000")
    data = dashboard_data(jiangsu, today=TODAY)
    assert data["scope"].province.code == "320000" and data["scope"].code == "320000"
    assert all(r["target"] is None and r["count"] == 0 for r in data["tier_rows"])
    assert all(r["total"] == 0 for r in data["pipeline_rows"])
    assert data["year_rows"] == [] and data["expiring_count"] == 0 and data["proposals_count"] == 0
    assert not any(r["code"].startswith("33") for r in data["area_rows"])
    client.force_login(jiangsu)
    body = client.get(reverse("insights:dashboard")).content.decode()
    assert "Zhejiang" not in body and "浙江" not in body and "Hangzhou" not in body
    assert "Jiangsu" in body or "江苏" in body
    # The home province's staff still see Zhejiang's title and targets.
    admin = UserFactory(username="boss", is_staff=True, is_superuser=True)
    mine = dashboard_data(admin, today=TODAY)
    assert mine["scope_name"] in ("Zhejiang Province", "浙江省")
    assert _row(mine["tier_rows"], "innovative_sme")["target"] == 50000
