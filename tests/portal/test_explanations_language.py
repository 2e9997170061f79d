"""Explanations in the reader's language: the API, the portal's self-assessment and the admin's assessment views.

The API keeps its codes and renders each message in the ``Accept-Language`` language; the pages show no
explanation line without Chinese characters in Chinese, and no raw code in either language.
"""

from __future__ import annotations

import copy
import re

import pytest
from django.urls import reverse

from evaluation.engine import messages
from registry import applications
from tests.factories import UserFactory, store_profile

from .conftest import PROFILE

CHINESE = re.compile(r"[\u4e00-\u9fff]")
# Codes a person must never see: every catalogue key that is an identifier (rd_ratio, class_i, strategic_emerging,
# innovative_sme, ...), and the short ones that read like words only to a program.
SECTIONS = ("labels", "values", "indicators", "tiers", "categories")
CODES = {key for section in SECTIONS for key in messages.SOURCE[section] if "_" in key or "." in key} | {
    "ip", "rd_ratio", "class_i", "small"}
CODE_PATTERN = re.compile(r"(?<![\w.])(" + "|".join(sorted(map(re.escape, CODES), key=len, reverse=True))
                          + r")(?![\w])")


def raw_codes(text: str, lang: str) -> list[str]:
    found = CODE_PATTERN.findall(text)
    if lang == "zh-hans":
        found = [c for c in found if c not in ("small",)] + re.findall(r"\b[a-z]+_[a-z_0-9]+\b", text)
    return found


@pytest.mark.django_db
@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_the_assessment_api_renders_messages_in_the_accept_language_with_codes_unchanged(api_client, lang):
    from tests.factories import EnterpriseFactory, MembershipFactory

    member = MembershipFactory(user=UserFactory(username="api-user"), enterprise=EnterpriseFactory())
    store_profile(member.enterprise, copy.deepcopy(PROFILE))
    api_client.force_authenticate(member.user)
    url = f"/api/enterprises/{member.enterprise.pk}/assessment/?year=2025&ruleset=miit-2022"
    body = api_client.get(url, HTTP_ACCEPT_LANGUAGE=lang).json()
    english = api_client.get(url, HTTP_ACCEPT_LANGUAGE="en").json()
    assert body["size_class"] == english["size_class"] == "small"
    giant, giant_en = body["tiers"]["little_giant"], english["tiers"]["little_giant"]
    assert [u["code"] for u in giant["unmet"]] == [u["code"] for u in giant_en["unmet"]]
    assert [a["code"] for a in giant["advice"]] == [a["code"] for a in giant_en["advice"]]
    assert [i["code"] for i in body["tiers"]["innovative_sme"]["indicators"]] == [
        i["code"] for i in english["tiers"]["innovative_sme"]["indicators"]]
    lines = [u["message"] for u in giant["unmet"]] + [a["message"] for a in giant["advice"]]
    assert lines
    if lang == "zh-hans":
        assert all(CHINESE.search(line) for line in lines), lines
        assert body["size_class_label"] == "小型企业"
        assert "细分市场全国占有率 6%，低于 10%" in lines
    else:
        assert "national niche market share 6% is below 10%" in lines
        assert body["size_class_label"] == "small"
    assert all("msg" not in u for u in giant["unmet"])


def visible_text(html: str) -> str:
    html = re.sub(r"(?is)<(script|style|svg|select)\b.*?</\1>", " ", html.split("<body", 1)[1])
    return re.sub(r"<[^>]+>", " ", html)


def explanation_lines(page, selectors: str) -> list[str]:
    return [t.strip() for t in page.locator(selectors).all_inner_texts() if t.strip()]


def check_lines(lines: list[str], lang: str, where: str) -> None:
    assert lines, f"{where}: no explanation lines"
    for line in lines:
        if lang == "zh-hans":
            assert CHINESE.search(line), f"{where}: {line!r} has no Chinese characters"
        assert not raw_codes(line, lang), f"{where}: raw code in {line!r}"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("lang", ["zh-hans", "en"])
def test_self_assessment_and_admin_assessment_read_in_the_language_without_codes(
    live_server, page, lang, artifacts_dir
):
    from django.test import Client

    from evaluation.models import Assessment
    from evaluation.services import evaluate_enterprise, store_assessments
    from tests.factories import EnterpriseFactory, MembershipFactory

    member = MembershipFactory(user=UserFactory(username="finance"), enterprise=EnterpriseFactory(name="甲精密机械"))
    enterprise = member.enterprise
    store_profile(enterprise, copy.deepcopy(PROFILE))
    store_assessments([evaluate_enterprise(enterprise, 2025, advice=True)])
    admin = UserFactory(username="province-admin", is_staff=True, is_superuser=True)

    def sign_in(user) -> None:
        client = Client()
        client.force_login(user)
        page.context.clear_cookies()
        host = live_server.url.split("//")[1].split(":")[0]
        page.context.add_cookies([
            {"name": "sessionid", "value": client.cookies["sessionid"].value, "domain": host, "path": "/"},
            {"name": "django_language", "value": lang, "domain": host, "path": "/"},
        ])

    sign_in(member.user)
    page.goto(f"{live_server.url}{reverse('portal:assessment')}?year=2025&ruleset=miit-2026")
    page.locator("details").evaluate_all("els => els.forEach(e => e.open = true)")
    page.screenshot(path=str(artifacts_dir / f"assessment-{lang}.png"), full_page=True)
    lines = explanation_lines(page, "ul.unmet li, section.next li, details li, table.indicators tbody th, "
                                    "table.indicators tbody td:nth-child(2)")
    check_lines(lines, lang, "self-assessment")
    values = explanation_lines(page, "table.indicators tbody td:nth-child(3)")
    assert values and not [v for v in values if raw_codes(v, lang)]
    if lang == "zh-hans":
        assert "自主研发的Ⅰ类知识产权" in values
    if lang == "zh-hans":
        assert any("低于" in line for line in lines)

    sign_in(admin)
    page.goto(f"{live_server.url}{reverse('insights:assessment_print', args=[enterprise.pk])}?year=2025")
    page.screenshot(path=str(artifacts_dir / f"admin-assessment-print-{lang}.png"), full_page=True)
    check_lines(explanation_lines(page, "li, tbody td:first-child"), lang, "admin print view")
    values = explanation_lines(page, "tbody td:nth-child(2)")
    assert values and not [v for v in values if raw_codes(v, lang)]
    stored = Assessment.objects.filter(enterprise=enterprise, tier="little_giant").first()
    page.goto(f"{live_server.url}{reverse('admin:evaluation_assessment_change', args=[stored.pk])}")
    page.screenshot(path=str(artifacts_dir / f"admin-assessment-{lang}.png"), full_page=True)
    check_lines(explanation_lines(page, ".field-breakdown li, .field-breakdown td:first-child"), lang,
                "admin assessment")
    assert not raw_codes(page.locator(".field-breakdown").inner_text(), lang)


@pytest.mark.django_db
def test_a_stored_application_assessment_reads_in_the_readers_language_everywhere(api_client):
    from django.test import Client

    from enterprises.models import Region
    from tests.factories import EnterpriseFactory, MembershipFactory, reviewer

    member = MembershipFactory(user=UserFactory(username="applicant"),
                               enterprise=EnterpriseFactory(region=Region.objects.get(code="330106")))
    store_profile(member.enterprise, copy.deepcopy(PROFILE))
    app = applications.create_application(enterprise=member.enterprise, tier="hidden_champion", year=2025,
                                      user=member.user)
    app = applications.submit_application(app, user=member.user)
    assert app.assessment["unmet"] and all("msg" in u for u in app.assessment["unmet"])  # stored neutral

    county = reviewer("county", "330106", username="county-reviewer")
    for user, url in ((county, reverse("admin:registry_application_change", args=[app.pk])),
                      (member.user, reverse("portal:application", args=[app.pk]))):
        client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
        client.force_login(user)
        page = client.get(url).content.decode()
        assert "上年度营业收入 3000万元，低于 5000万元" in page, url
        text = visible_text(page)
        assert "operating revenue" not in text, text[text.find("operating revenue") - 300:][:600]
        assert not raw_codes(text, "zh-hans")
        english = Client(HTTP_ACCEPT_LANGUAGE="en")
        english.force_login(user)
        assert "operating revenue (万元) 3000 is below 5000" in english.get(url).content.decode()

    api_client.force_authenticate(member.user)
    zh = api_client.get(f"/api/applications/{app.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans").json()["assessment"]
    en = api_client.get(f"/api/applications/{app.pk}/", HTTP_ACCEPT_LANGUAGE="en").json()["assessment"]
    assert [u["code"] for u in zh["unmet"]] == [u["code"] for u in en["unmet"]]
    assert all(CHINESE.search(u["message"]) for u in zh["unmet"])
    assert "operating revenue (万元) 3000 is below 5000" in [u["message"] for u in en["unmet"]]
    assert zh["tier"] == en["tier"] == "hidden_champion" and zh["label"] == "浙江省隐形冠军企业"
    assert all("msg" not in u for u in zh["unmet"])
