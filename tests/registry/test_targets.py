"""Targets as data: the first plan from the data migration, the three counting semantics on hand-built
certifications (expired, revoked, renewed), the parts-exceed-the-whole warning, imports with bad rows."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.conf import settings
from django.core.exceptions import PermissionDenied

from enterprises.models import Region
from registry import targets
from registry.models import CertificationStatus, Plan, Target
from tests.factories import EnterpriseFactory, certify, reviewer

D = datetime.date


@pytest.fixture
def plan(db: Any) -> Plan:
    return Plan.objects.create(name="test plan 2022–2025", first_year=2022, last_year=2025)


def firm(code: str = "330106") -> Any:
    return EnterpriseFactory(region=Region.objects.get(code=code))


def test_first_plan_holds_the_provincial_2025_targets_and_the_setting_is_gone(db: Any) -> None:
    plan = Plan.objects.get(last_year=2025, first_year=2022)
    got = {t.tier: (t.value, t.semantics) for t in Target.objects.filter(plan=plan, region_id="330000")}
    assert got["innovative_sme"] == (50000, "cumulative")
    assert got["specialised_sme"] == (10000, "cumulative")
    assert got["single_champion"] == (130, "new")
    assert "TARGETS" not in settings.REGISTRY


def test_three_semantics_on_expired_revoked_and_renewed_certifications(plan: Plan) -> None:
    on = D(2025, 6, 30)
    before = firm()       # granted before the period, still valid into it
    certify(before, "specialised_sme", D(2020, 3, 1), D(2023, 3, 1))
    expired = firm()      # granted in the period, expired before the date
    certify(expired, "specialised_sme", D(2022, 2, 1), D(2025, 2, 1))
    revoked = firm()      # granted in the period, revoked
    cert = certify(revoked, "specialised_sme", D(2023, 5, 1))
    cert.status, cert.revoked_on = CertificationStatus.REVOKED, D(2024, 1, 10)
    cert.save()
    renewed = firm()      # first granted before the period, renewed (the same certification extended)
    certify(renewed, "specialised_sme", D(2021, 4, 1), D(2027, 4, 1))
    fresh = firm()        # first granted in the period, valid
    certify(fresh, "specialised_sme", D(2024, 9, 1))
    later = firm()        # granted after the date: counts nowhere yet
    certify(later, "specialised_sme", D(2025, 8, 1))
    old = firm()          # validity ended before the period
    certify(old, "specialised_sme", D(2018, 1, 1), D(2021, 1, 1))

    def count(semantics: str) -> int:
        return targets.achieved(semantics, plan, on, "city").get(("330100", "specialised_sme"), 0)

    assert count("cumulative") == 5  # before, expired, revoked, renewed, fresh
    assert count("active") == 2      # renewed, fresh
    assert count("new") == 3         # expired, revoked, fresh (first certified within the period)
    assert targets.achieved("active", plan, on, "county") == {("330106", "specialised_sme"): 2}


def test_new_counts_an_enterprise_once_and_only_for_its_first_certification(plan: Plan) -> None:
    again = firm()
    first = certify(again, "innovative_sme", D(2019, 1, 1), D(2022, 1, 1))
    first.status = CertificationStatus.EXPIRED
    first.save()
    certify(again, "innovative_sme", D(2023, 1, 1))  # certified anew in the period: not "new"
    twice = firm()
    c = certify(twice, "innovative_sme", D(2022, 3, 1), D(2023, 3, 1))
    c.status = CertificationStatus.EXPIRED
    c.save()
    certify(twice, "innovative_sme", D(2024, 3, 1))
    got = targets.achieved("new", plan, D(2025, 1, 1), "province")
    assert got == {("330000", "innovative_sme"): 1}
    assert targets.achieved("cumulative", plan, D(2025, 1, 1), "province") == {("330000", "innovative_sme"): 2}


def test_progress_per_region_uses_each_targets_own_semantics(plan: Plan, django_assert_num_queries: Any) -> None:
    hangzhou, ningbo = Region.objects.get(code="330100"), Region.objects.get(code="330200")
    Target.objects.create(plan=plan, region=hangzhou, tier="innovative_sme", value=4, semantics="active")
    Target.objects.create(plan=plan, region=ningbo, tier="innovative_sme", value=2, semantics="new")
    for _ in range(3):
        certify(firm("330106"), "innovative_sme", D(2024, 1, 1))
    certify(firm("330203"), "innovative_sme", D(2021, 1, 1))
    with django_assert_num_queries(4):  # the targets, "active" (1), "new" (first certifications, then rows)
        rows = targets.progress(plan, [hangzhou, ningbo], D(2025, 1, 1))
    got = {(r.region.code, r.semantics): (r.achieved, r.target, r.percent) for r in rows}
    assert got == {("330100", "active"): (3, 4, 75.0), ("330200", "new"): (0, 2, 0.0)}


def test_parts_exceeding_the_whole_warn(plan: Plan) -> None:
    province = reviewer("province", "330000")
    targets.set_target(province, plan, Region.objects.get(code="330000"), "little_giant", 100, "cumulative")
    _t, warnings = targets.set_target(province, plan, Region.objects.get(code="330100"), "little_giant", 60)
    assert warnings == []
    _t, warnings = targets.set_target(province, plan, Region.objects.get(code="330200"), "little_giant", 50)
    assert len(warnings) == 1 and "110" in warnings[0] and "100" in warnings[0]


def test_only_provincial_staff_of_the_province_edit_targets(plan: Plan) -> None:
    for user in (reviewer("city", "330100"), reviewer("province", "320000", username="province-js")):
        with pytest.raises(PermissionDenied):
            targets.set_target(user, plan, Region.objects.get(code="330100"), "little_giant", 5)
    assert not Target.objects.filter(plan=plan).exists()


def test_import_with_bad_rows_writes_nothing(plan: Plan) -> None:
    province = reviewer("province", "330000")
    rows = ["地区代码,梯度,口径,目标", "330100,innovative_sme,累计,12000", "999999,innovative_sme,累计,1",
            "330200,no_tier,累计,5", "330300,little_giant,新增,1.5", "320100,little_giant,新增,3",
            "330400,little_giant,weird,3"]
    result = targets.import_targets(province, plan, "\n".join(rows).encode(), "t.csv")
    assert [n for n, _m in result.errors] == [3, 4, 5, 6, 7]
    assert not Target.objects.filter(plan=plan).exists()
    good = targets.import_targets(province, plan, "\n".join(rows[:2]).encode(), "t.csv")
    assert good.ok and Target.objects.get(plan=plan).semantics == "cumulative"


def test_target_list_is_region_restricted_with_pinned_queries(plan: Plan, client: Any,
                                                              django_assert_num_queries: Any) -> None:
    for code in ("330000", "330100", "330106", "330200"):
        Target.objects.create(plan=plan, region=Region.objects.get(code=code), tier="innovative_sme", value=10)
    url = "/admin/registry/target/"
    city = reviewer("city", "330100")
    client.force_login(city)
    client.get(url)
    with django_assert_num_queries(10):  # with the admin header's unread-notification badge
        page = client.get(url).content.decode()
    assert page.count('field-region') == 2  # Hangzhou and Xihu, not the province or Ningbo
    client.force_login(reviewer("province", "320000", username="province-js"))
    assert client.get(url).content.decode().count('field-region') == 0
