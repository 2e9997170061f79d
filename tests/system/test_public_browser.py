"""A citizen in a phone-sized browser: finds an enterprise in publicity, objects, confirms from the e-mail and
follows the status as reviewers investigate and decide. Chinese (the default), no login; every page gets a
screenshot in test-artifacts/public/ and an axe check that fails on serious or critical violations."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from django.core import mail

from registry.models import Objection, ObjectionStatus
from registry.objections import decide_objection
from tests.factories import ApplicationFactory, EnterpriseFactory, reviewer

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PHONE = {"width": 375, "height": 812}


@pytest.fixture
def browser_context_args(browser_context_args: dict) -> dict:
    return {**browser_context_args, "locale": "zh-CN", "viewport": PHONE}


def check(page: Any, folder: Path, name: str) -> None:
    from axe_playwright_python.sync_playwright import Axe

    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)
    violations = Axe().run(page).response["violations"]
    serious = [(v["id"], v["impact"], v["help"], [n["target"] for n in v["nodes"]][:3])
               for v in violations if v["impact"] in ("serious", "critical")]
    assert not serious, f"{name}: {serious}"
    # Phone width: the page itself never scrolls sideways (wide tables scroll inside their own box).
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"], name


def test_a_citizen_objects_confirms_and_follows_the_status(live_server: Any, page: Any, artifacts_dir: Path) -> None:
    folder = artifacts_dir / "public"
    folder.mkdir(exist_ok=True)
    app = ApplicationFactory(enterprise=EnterpriseFactory(name="杭州明德精密机械有限公司"), status="publicity")
    ApplicationFactory(enterprise=EnterpriseFactory(name="宁波海天新材料有限公司", region_id="330203"),
                       status="publicity")

    page.goto(f"{live_server.url}/public/publicity/")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert page.get_by_text(app.enterprise.uscc).is_visible()
    check(page, folder, "01-publicity")

    page.locator(f'a[href="/public/publicity/{app.pk}/object/"]').click()
    page.wait_for_url(re.compile(r"/object/$"))
    check(page, folder, "02-form")
    page.click("main form button[type=submit]")  # empty: every required field says so
    assert page.locator("#form-errors").is_visible()
    assert page.locator("#id_reason[aria-invalid=true]").count() == 1
    check(page, folder, "03-form-errors")
    assert not Objection.objects.exists()

    page.fill("#id_objector_name", "张三")
    page.fill("#id_contact_email", "zhang@example.org")
    page.fill("#id_contact_phone", "0571-8888 1234")
    page.fill("#id_reason", "该企业公示的研发人员数量与社保缴纳人数明显不符。")
    page.click("main form button[type=submit]")
    objection = Objection.objects.get()
    assert page.get_by_text(objection.reference).is_visible()
    check(page, folder, "04-sent")

    (message,) = mail.outbox
    confirm, status = re.findall(r"(http://\S+/public/objections/\S+/)", message.body)
    page.goto(confirm)
    check(page, folder, "05-confirm")
    objection.refresh_from_db()
    assert objection.status == ObjectionStatus.UNCONFIRMED  # opening the link alone confirms nothing
    page.click("main button[type=submit]")
    page.wait_for_selector("main [role=status]")
    objection.refresh_from_db()
    assert objection.status == ObjectionStatus.RECEIVED
    check(page, folder, "06-confirmed")

    page.click("main [role=status] a")
    assert page.locator(".status-received").is_visible()
    assert page.get_by_text(objection.reference).is_visible()
    check(page, folder, "07-status-received")

    province = reviewer("province", "330000", username="province-zj")
    decide_objection(objection, user=province, action="investigate", reason="已调取社保记录。")
    page.goto(status)
    assert page.locator(".status-investigating").is_visible()
    decide_objection(objection, user=province, action="uphold", reason="研发人员数量不实，退回省级复审。")
    page.reload()
    assert page.locator(".status-upheld").is_visible()
    assert page.get_by_text("研发人员数量不实").is_visible()
    check(page, folder, "08-status-upheld")

    # The enterprise left publicity: it is no longer listed.
    page.goto(f"{live_server.url}/public/publicity/")
    assert page.get_by_text("杭州明德精密机械有限公司").count() == 0
    assert page.get_by_role("cell", name="宁波海天新材料有限公司", exact=True).is_visible()


def test_the_directory_and_an_announcement_at_phone_width(live_server: Any, page: Any, artifacts_dir: Path) -> None:
    import datetime

    from django.utils import timezone

    from registry.applications import close_publicity

    folder = artifacts_dir / "public"
    folder.mkdir(exist_ok=True)
    today = timezone.localdate()
    app = ApplicationFactory(enterprise=EnterpriseFactory(name="绍兴宏博智能装备有限公司", region_id="330602"),
                             status="publicity", publicity_ends_on=today - datetime.timedelta(days=2))
    close_publicity(app, on=today - datetime.timedelta(days=1))

    page.goto(f"{live_server.url}/public/directory/")
    check(page, folder, "10-directory")
    page.fill("#id_q", "宏博")
    page.click("form[role=search] button")
    assert page.get_by_role("cell", name="绍兴宏博智能装备有限公司").is_visible()
    check(page, folder, "11-directory-results")

    page.goto(f"{live_server.url}/public/announcements/")
    check(page, folder, "12-announcements")
    page.locator("main a").first.click()
    assert page.get_by_role("cell", name="绍兴宏博智能装备有限公司").is_visible()
    check(page, folder, "13-announcement")
    page.emulate_media(media="print")
    assert not page.locator("header.site").is_visible()
