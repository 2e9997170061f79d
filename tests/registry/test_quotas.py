"""City quotas are set and edited only through ``quotas.set_city_quota``, in the admin as through the service, and
only a provincial reviewer of the city's province may; reviewers see the quotas of their own region only."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from core.audit import AuditEntry
from registry import quotas
from registry.models import CityQuota
from tests.factories import reviewer

pytestmark = pytest.mark.django_db

YEAR = 2026


@pytest.fixture
def hangzhou_quota(province):
    return quotas.set_city_quota(city="330100", tier="innovative_sme", year=YEAR, quota=5, user=province)


@pytest.fixture
def jiangsu_province(db):
    return reviewer("province", "320000", username="province-js")


def _change(client, user, quota: CityQuota, value: int):
    client.force_login(user)
    return client.post(reverse("admin:registry_cityquota_change", args=[quota.pk]), {"quota": value})


def test_provincial_reviewer_edits_a_quota_through_the_service(client, province, hangzhou_quota):
    response = _change(client, province, hangzhou_quota, 9)
    assert response.status_code == 302
    hangzhou_quota.refresh_from_db()
    assert hangzhou_quota.quota == 9
    entry = AuditEntry.objects.for_object(hangzhou_quota).order_by("-id").first()
    assert entry.actor_label == province.username and entry.changes["quota"] == [5, 9]


def test_city_reviewer_cannot_edit_other_city_quota(client, other_city, hangzhou_quota):
    response = _change(client, other_city, hangzhou_quota, 50)
    assert response.status_code in (403, 404)
    hangzhou_quota.refresh_from_db()
    assert hangzhou_quota.quota == 5
    with pytest.raises(PermissionDenied):
        quotas.set_city_quota(city="330100", tier="innovative_sme", year=YEAR, quota=50, user=other_city)


def test_city_reviewer_cannot_edit_own_city_quota_either(client, city, hangzhou_quota):
    assert _change(client, city, hangzhou_quota, 50).status_code == 403
    hangzhou_quota.refresh_from_db()
    assert hangzhou_quota.quota == 5


def test_city_reviewer_cannot_create_a_quota(client, city):
    client.force_login(city)
    response = client.post(reverse("admin:registry_cityquota_add"),
                           {"city": "330200", "tier": "innovative_sme", "year": YEAR, "quota": 3})
    assert response.status_code == 403
    assert not CityQuota.objects.exists()
    with pytest.raises(PermissionDenied):
        quotas.set_city_quota(city="330200", tier="innovative_sme", year=YEAR, quota=3, user=city)


def test_provincial_reviewer_of_another_province_neither_sees_nor_edits_the_quota(client, jiangsu_province,
                                                                                  hangzhou_quota):
    client.force_login(jiangsu_province)
    listing = client.get(reverse("admin:registry_cityquota_changelist"))
    assert listing.status_code == 200 and "330100" not in listing.content.decode()
    assert _change(client, jiangsu_province, hangzhou_quota, 50).status_code in (302, 403, 404)
    hangzhou_quota.refresh_from_db()
    assert hangzhou_quota.quota == 5
    with pytest.raises(PermissionDenied):
        quotas.set_city_quota(city="330100", tier="innovative_sme", year=YEAR, quota=50, user=jiangsu_province)


def test_a_quota_keeps_its_city_tier_and_year_when_edited(client, province, hangzhou_quota):
    client.force_login(province)
    client.post(reverse("admin:registry_cityquota_change", args=[hangzhou_quota.pk]),
                {"city": "330200", "tier": "little_giant", "year": 2020, "quota": 6})
    hangzhou_quota.refresh_from_db()
    assert (hangzhou_quota.city_id, hangzhou_quota.tier, hangzhou_quota.year, hangzhou_quota.quota) == (
        "330100", "innovative_sme", YEAR, 6)
    assert CityQuota.objects.count() == 1
