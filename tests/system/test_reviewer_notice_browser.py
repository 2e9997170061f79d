"""A city reviewer is told in the admin's header, opens the notification, lands on the application and decides."""

from __future__ import annotations

import re

import pytest

from registry import applications
from registry.models import Notification
from tests.factories import reviewer
from tests.registry.conftest import YEAR, make_enterprise


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_city_reviewer_goes_from_the_notification_to_a_decision(live_server, migration_data, page,
                                                                 artifacts_dir):
    from playwright.sync_api import expect

    city = reviewer("city", "330100", username="city-notified")
    enterprise = make_enterprise("A")
    app = applications.create_application(enterprise=enterprise, tier="innovative_sme", year=YEAR,
                                          user=enterprise.owner)
    app = applications.submit_application(app, user=enterprise.owner)  # committed: the follow-up tells the city
    assert Notification.objects.filter(user=city, kind="review_waiting").count() == 1

    page.goto(f"{live_server.url}/admin/login/")
    page.locator("#id_username").fill("city-notified")
    page.locator("#id_password").fill("correct-horse-battery")
    page.locator("input[type=submit]").click()
    expect(page.locator("#notifications-badge")).to_have_text("1")
    page.locator("#notifications-link").click()
    notice = page.locator("a.notice-link", has_text=f"Application #{app.pk} waits for you")
    expect(notice).to_be_visible()
    page.screenshot(path=str(artifacts_dir / "review-notifications.png"), full_page=True)
    notice.click()

    expect(page).to_have_url(re.compile(rf"/admin/registry/application/{app.pk}/change/$"))
    expect(page.locator("#notifications-badge")).to_have_text("0")
    page.locator("#id_reason").fill("Figures checked against the audited report.")
    page.locator("#review-actions button[value=approve]").click()
    expect(page.locator(".messagelist")).to_contain_text(re.compile(str(app.pk)))
    page.screenshot(path=str(artifacts_dir / "review-notification-decided.png"), full_page=True)
    app.refresh_from_db()
    assert app.status == "provincial_review"
    assert app.events.last().actor == city
