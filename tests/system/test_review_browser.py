"""A city reviewer logs into the admin, opens an application, approves it with a reason and sees the new state."""

from __future__ import annotations

import re

import pytest

from registry import applications
from tests.factories import reviewer
from tests.registry.conftest import YEAR, make_enterprise


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_city_reviewer_approves_in_the_admin(live_server, migration_data, page, artifacts_dir):
    from playwright.sync_api import expect

    enterprise = make_enterprise("A")
    app = applications.create_application(enterprise=enterprise, tier="innovative_sme", year=YEAR,
                                      user=enterprise.owner)
    app = applications.submit_application(app, user=enterprise.owner)
    reviewer("city", "330100", username="city-browser")

    page.goto(f"{live_server.url}/admin/login/")
    page.locator("#id_username").fill("city-browser")
    page.locator("#id_password").fill("correct-horse-battery")
    page.locator("input[type=submit]").click()
    page.goto(f"{live_server.url}/admin/registry/application/")
    page.get_by_role("link", name=str(app.pk), exact=True).click()
    expect(page.locator("#review-actions")).to_be_visible()
    page.locator("#id_reason").fill("Figures match the audited report; on-site check done.")
    page.locator("#review-actions button[value=approve]").click()
    expect(page.locator(".messagelist")).to_contain_text(re.compile(str(app.pk)))
    page.screenshot(path=str(artifacts_dir / "registry-city-reviewer-approved.png"), full_page=True)

    app.refresh_from_db()
    assert app.status == "provincial_review"
    assert app.events.last().reason == "Figures match the audited report; on-site check done."
    # The page now shows the new state and no more buttons for the city reviewer.
    expect(page.locator("#review-actions")).to_have_count(0)
    expect(page.locator(".field-status")).to_contain_text(app.get_status_display())
