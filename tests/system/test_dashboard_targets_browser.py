"""The dashboard in headless Chromium with per-city targets: each city against its own target, at different
completion rates, the pool and the projection; a screenshot is kept."""

from __future__ import annotations

import datetime

import pytest

from enterprises.models import Region
from registry import pool
from registry.models import Plan, Target
from tests.factories import UserFactory
from tests.helpers import certify, ensure_regions, enterprise_in


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_dashboard_shows_each_city_against_its_own_target(live_server, page, artifacts_dir):
    ensure_regions()
    chief = UserFactory(username="chief", is_staff=True, is_superuser=True)
    today = datetime.date.today()
    plan = Plan.objects.create(name="2026–2030", first_year=today.year, last_year=today.year + 4)
    for city, county, have, target in (("330100", "330106", 3, 4), ("330200", "330203", 1, 4)):
        Target.objects.create(plan=plan, region=Region.objects.get(code=city), tier="innovative_sme",
                              semantics="active", value=target)
        for _ in range(have):
            certify(enterprise_in(county), "innovative_sme", today - datetime.timedelta(days=30))
    candidate = enterprise_in("330106")
    pool.add_to_pool(chief, [candidate], "specialised_sme", "county visit")

    page.goto(f"{live_server.url}/admin/login/?next=/admin/insights/dashboard/")
    page.fill("#id_username", "chief")
    page.fill("#id_password", "correct-horse-battery")
    page.click("input[type=submit]")
    page.wait_for_url("**/admin/insights/dashboard/")
    hangzhou = page.locator('#area-targets tr[data-area="330100"]')
    ningbo = page.locator('#area-targets tr[data-area="330200"]')
    assert "3 / 4" in hangzhou.inner_text() and "75.0%" in hangzhou.inner_text()
    assert "1 / 4" in ningbo.inner_text() and "25.0%" in ningbo.inner_text()
    assert page.locator("#pool-projection").is_visible()
    page.locator("#area-targets").scroll_into_view_if_needed()
    page.screenshot(path=str(artifacts_dir / "dashboard-city-targets.png"), full_page=True)
