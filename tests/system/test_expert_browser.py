"""An expert signs in, finds the application assigned to them, reads the engine's assessment and submits a score
per category of the scoring form; a wrong score is refused on the page first."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from registry import applications, experts
from tests.factories import certify, expert, reviewer
from tests.registry.conftest import YEAR, make_enterprise


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_an_expert_walks_from_assignment_to_a_submitted_score(live_server, migration_data, page, artifacts_dir):
    from playwright.sync_api import expect

    enterprise = make_enterprise("A")
    certify(enterprise, "innovative_sme", timezone.localdate() - datetime.timedelta(days=400))
    certify(enterprise, "specialised_sme", timezone.localdate() - datetime.timedelta(days=300))
    app = applications.create_application(enterprise=enterprise, tier="little_giant", year=YEAR,
                                          user=enterprise.owner)
    app = applications.submit_application(app, user=enterprise.owner)
    province = reviewer("province", "330000", username="province-browser")
    for user in (reviewer("county", "330106"), reviewer("city", "330100"), province):
        app = applications.decide(app, user=user, action="approve", reason="checked")
    panel = [expert("expert-browser", home_region="330203"), expert(home_region="330203"),
             expert(home_region="330203")]
    draw = experts.draw_experts(app, user=province)
    assert panel[0].pk in draw.chosen

    page.goto(f"{live_server.url}/login/?next=/experts/")
    page.get_by_label("Username").fill("expert-browser")
    page.get_by_label("Password").fill("correct-horse-battery")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="My assignments")).to_be_visible()
    page.get_by_role("link", name=f"#{app.pk} {enterprise.name}").click()
    expect(page.get_by_role("heading", name="The engine's assessment")).to_be_visible()

    page.get_by_label("产业链配套 (industrial-chain support) (0–40)").fill("55")
    page.get_by_label("精细化：战略、治理、质量与数字化绿色化 (refinement: strategy, governance, quality, digital and "
                      "green) (0–30)").fill("24")
    page.get_by_label("主导产品所属领域 (field of the main product) (0–30)").fill("21")
    page.get_by_label("Recommendation").select_option("recommend")
    page.get_by_label("Comment").fill("Key supplier of spindle bearings to two OEMs.")
    page.get_by_role("button", name="Submit my score").click()
    expect(page.get_by_role("alert")).to_contain_text("from 0 to 40")  # the service refused it; nothing stored

    page.get_by_label("产业链配套 (industrial-chain support) (0–40)").fill("35")
    page.get_by_label("Recommendation").select_option("recommend")
    page.get_by_role("button", name="Submit my score").click()
    expect(page.locator("#submitted")).to_contain_text("80 of 100")
    page.screenshot(path=str(artifacts_dir / "expert-score-submitted.png"), full_page=True)

    seat = draw.assignments.get(expert=panel[0])
    assert seat.total == 80 and seat.recommendation == "recommend" and seat.submitted_at is not None
    assert experts.panel_result(app).submitted == 1
    page.get_by_role("link", name="My assignments").first.click()
    expect(page.get_by_role("cell", name="80 · Recommend")).to_be_visible()
