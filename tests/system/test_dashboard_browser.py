"""The dashboard in headless Chromium: the Chart.js charts are drawn (not blank) from the static file."""

from __future__ import annotations

import datetime

import pytest

from tests.factories import UserFactory
from tests.helpers import certify, ensure_regions, enterprise_in


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_dashboard_draws_its_charts(live_server, page, artifacts_dir):
    ensure_regions()
    UserFactory(username="chief", is_staff=True, is_superuser=True)
    today = datetime.date.today()
    for region, tier, years_ago in (("330106", "innovative_sme", 1), ("330106", "innovative_sme", 2),
                                    ("330203", "innovative_sme", 0), ("330203", "specialised_sme", 1),
                                    ("330302", "innovative_sme", 1)):
        certify(enterprise_in(region), tier, today.replace(year=today.year - years_ago) - datetime.timedelta(days=1))

    page.goto(f"{live_server.url}/admin/login/?next=/admin/insights/dashboard/")
    page.fill("#id_username", "chief")
    page.fill("#id_password", "correct-horse-battery")
    page.click("input[type=submit]")
    page.wait_for_url("**/admin/insights/dashboard/")
    page.wait_for_function("() => window.Chart && Object.keys(Chart.instances).length === 3")

    drawn = page.evaluate("""() => ['chart-targets', 'chart-areas', 'chart-trend'].map(id => {
        const canvas = document.getElementById(id);
        const data = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
        let painted = 0;
        for (let i = 3; i < data.length; i += 4) { if (data[i] !== 0) painted++; }
        return painted;
    })""")
    assert all(count > 500 for count in drawn), drawn
    assert page.locator("table.dashboard-table").first.is_visible()
    page.screenshot(path=str(artifacts_dir / "dashboard.png"), full_page=True)

    # The header's language switch turns the page (and its charts' legends) into Chinese.
    page.select_option("#language-switch-select", "zh-hans")
    page.locator("form.language-switch button").click()
    page.wait_for_load_state()
    assert page.locator("h1").inner_text() == "梯度培育仪表板"
    page.wait_for_function("() => window.Chart && Object.keys(Chart.instances).length === 3")
    legend = page.evaluate("() => Object.values(Chart.instances).map(c => c.data.datasets[0].label)")
    assert "有效认定" in legend
    page.screenshot(path=str(artifacts_dir / "dashboard-zh.png"), full_page=True)
