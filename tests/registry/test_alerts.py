"""Risk alerts: each rule at its edge, raised once per occurrence, listed per region, closed with a note."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from enterprises.models import Declaration, FinancialYear, Region
from registry import alerts, pool
from registry.models import RiskAlert
from tests.factories import ApplicationFactory, EnterpriseFactory, certify, reviewer
from tests.registry.conftest import make_enterprise

ON = datetime.date(2026, 7, 1)  # after the 2026 annual update deadline (31 May under miit-2026)


def revenue(firm: Any, year: int, value: str) -> None:
    FinancialYear.objects.update_or_create(enterprise=firm, year=year, defaults={"operating_revenue": Decimal(value)})


def test_revenue_down_at_its_edge(db: Any, county: Any) -> None:
    down, almost = make_enterprise("A"), make_enterprise("A")
    pool.add_to_pool(county, [down, almost], "little_giant", "candidates", on=datetime.date(2026, 1, 5))
    revenue(down, 2024, "10000"), revenue(down, 2025, "8000")       # exactly 20% down
    revenue(almost, 2024, "10000"), revenue(almost, 2025, "8000.01")  # 19.9999% down
    alerts.raise_alerts(ON)
    hit = set(RiskAlert.objects.filter(rule="revenue_down").values_list("enterprise_id", flat=True))
    assert hit == {down.pk}


def test_each_rule_raises_once_and_a_closed_alert_stays_closed(db: Any, county: Any) -> None:
    flagged = make_enterprise("A")
    Declaration.objects.filter(enterprise=flagged, year=2025).update(tax_evasion_3y=True)
    pool.add_to_pool(county, [flagged], "little_giant", "candidate", on=datetime.date(2026, 1, 5))
    late = EnterpriseFactory(region=Region.objects.get(code="330106"))  # certified, no 2025 declaration
    certify(late, "innovative_sme", datetime.date(2024, 3, 1))
    expiring = make_enterprise("A")
    certify(expiring, "innovative_sme", datetime.date(2023, 8, 1), datetime.date(2026, 9, 1))
    covered = make_enterprise("A")
    cert = certify(covered, "innovative_sme", datetime.date(2023, 8, 1), datetime.date(2026, 9, 1))
    ApplicationFactory(enterprise=covered, tier="innovative_sme", kind="rereview", certification=cert,
                       status="county_review")
    made = alerts.raise_alerts(ON)
    by_rule = {(a.rule, a.enterprise_id) for a in RiskAlert.objects.all()}
    assert ("compliance_flag", flagged.pk) in by_rule
    assert ("annual_update_missed", late.pk) in by_rule
    assert ("expiring_no_rereview", expiring.pk) in by_rule
    assert ("expiring_no_rereview", covered.pk) not in by_rule
    assert made == len(by_rule)
    assert alerts.raise_alerts(ON) == 0
    alert = RiskAlert.objects.get(rule="compliance_flag")
    with pytest.raises(ValidationError):
        alerts.close_alerts(county, [alert], " ")
    alerts.close_alerts(county, [alert], "核实为历史问题，已整改")
    assert alerts.raise_alerts(ON + datetime.timedelta(days=1)) == 0
    alert.refresh_from_db()
    assert alert.closed_by == county and alert.close_note.startswith("核实")


def test_alert_list_per_region_and_other_province(db: Any, county: Any, client: Any,
                                                  django_assert_num_queries: Any) -> None:
    mine = EnterpriseFactory(region=Region.objects.get(code="330106"))
    theirs = EnterpriseFactory(region=Region.objects.get(code="330203"))
    for firm in (mine, theirs):
        certify(firm, "innovative_sme", datetime.date(2024, 3, 1))
    alerts.raise_alerts(ON)
    client.force_login(county)
    url = reverse("admin:registry_riskalert_changelist") + "?state=open"
    client.get(url)
    with django_assert_num_queries(10):  # with the admin header's unread-notification badge
        page = client.get(url).content.decode()
    assert mine.name in page and theirs.name not in page
    outsider = reviewer("province", "320000", username="province-js")
    assert RiskAlert.objects.restrict(outsider).count() == 0
    with pytest.raises(PermissionDenied):
        alerts.close_alerts(outsider, list(RiskAlert.objects.all()), "no")
