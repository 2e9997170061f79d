"""A new enterprise in a real browser, from sign-up to a submitted application.

Headless Debian Chromium (see tests/conftest.py). Every page gets a screenshot in test-artifacts/portal/ and an
axe accessibility check that fails on serious or critical violations. Selectors use ids and names, so the
walk works whatever language the pages are shown in.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest
from stdnum.cn import uscc

from enterprises.models import Enterprise
from enterprises.uscc import make_uscc
from registry.models import Application
from tests.portal.conftest import browser_context_args  # noqa: F401  (the portal's users browse in Chinese)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Tiered-ladder-2026"
ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
FIGURES = {
    2025: {"operating_revenue": "3000", "main_business_revenue": "2850", "rd_expense": "255", "net_profit": "330",
           "total_assets": "5000", "total_liabilities": "2250"},
    2024: {"operating_revenue": "2600", "main_business_revenue": "2400", "rd_expense": "200", "net_profit": "260",
           "total_assets": "4600", "total_liabilities": "2100"},
    2023: {"operating_revenue": "2300", "main_business_revenue": "2100", "rd_expense": "150", "net_profit": "200",
           "total_assets": "4200", "total_liabilities": "2000"},
}
DECLARATION = {"employees": "120", "rd_staff": "18", "ip_class_i": "3", "ip_class_i_self_developed": "3",
               "ip_class_i_applied": "3", "invention_patents_applied": "3", "niche_years": "7", "field_years": "7",
               "national_share_pct": "6", "digital_level": "3", "local_feature_score": "8"}
DECLARATION_CHECKS = ("strategic_emerging", "six_basics", "management_certified", "own_brand", "it_system")


class Walk:
    """Screenshots and accessibility checks, numbered in the order the pages are visited."""

    def __init__(self, page, folder: Path) -> None:
        self.page, self.folder, self.count = page, folder, 0

    def check(self, name: str) -> None:
        from axe_playwright_python.sync_playwright import Axe

        self.count += 1
        self.page.screenshot(path=str(self.folder / f"{self.count:02d}-{name}.png"), full_page=True)
        violations = Axe().run(self.page).response["violations"]
        serious = [(v["id"], v["impact"], v["help"], [n["target"] for n in v["nodes"]][:3])
                   for v in violations if v["impact"] in ("serious", "critical")]
        assert not serious, f"{name}: {serious}"


def fill(page, values: dict[str, str]) -> None:
    for name, value in values.items():
        page.fill(f"#id_{name}", value)


def submit(page, form: str = "main form[method=post]") -> None:
    with page.expect_navigation():
        page.locator(form).last.locator("button[type=submit]").click()


def test_a_new_enterprise_signs_up_enters_figures_assesses_and_applies(
    migration_data, live_server, page, artifacts_dir
):
    from playwright.sync_api import expect

    folder = artifacts_dir / "portal"
    folder.mkdir(exist_ok=True)
    walk = Walk(page, folder)
    url = live_server.url
    page.set_default_timeout(10_000)

    # Sign-up: the check digit is verified while typing, by the same rule as the server's (python-stdnum).
    page.goto(f"{url}/signup/")
    samples = [make_uscc(region, random.Random(seed)) for seed, region in enumerate(["330106", "110105"] * 10)]
    samples += [c[:-1] + ALPHABET[(ALPHABET.index(c[-1]) + 7) % 31] for c in samples[:10]]
    samples += ["91330106MA2B3C4D5", "91330106MA2B3C4DI0", "9133010OMA2B3C4D5E"]
    verdicts = page.evaluate("codes => codes.map(c => window.usccVerdict(c) === 'ok')", samples)
    assert verdicts == [uscc.is_valid(c) for c in samples]
    assert sum(verdicts) == 20
    code = make_uscc("330106")
    wrong = code[:-1] + ("0" if code[-1] != "0" else "1")
    page.fill("#id_uscc", wrong)
    page.locator("#id_name").focus()
    expect(page.locator("#uscc-status")).to_have_class(re.compile(r"\berror\b"))
    page.fill("#id_uscc", code)
    expect(page.locator("#uscc-status")).to_have_class(re.compile(r"\bgood\b"))
    fill(page, {"name": "丁精密机械有限公司", "established_year": "2011", "username": "ding",
                "email": "ding@example.com", "password1": PASSWORD, "password2": PASSWORD})
    page.select_option("#id_region", "330106")
    walk.check("signup")
    submit(page)
    assert page.url == f"{url}/"
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    enterprise = Enterprise.objects.get(uscc=code)
    expect(page.locator("h1")).to_have_text("丁精密机械有限公司")
    walk.check("home")

    # Financial figures: an error, its inline message, the input kept, then the correction.
    page.goto(f"{url}/figures/2025/financials/")
    fill(page, {**FIGURES[2025], "main_business_revenue": "3200"})
    submit(page)
    expect(page.locator("#id_main_business_revenue_error")).to_be_visible()
    expect(page.locator("#id_main_business_revenue")).to_have_value("3200")
    expect(page.locator("#id_rd_expense")).to_have_value("255")
    expect(page.locator("#error-summary")).to_be_focused()
    walk.check("financials-error")
    page.fill("#id_main_business_revenue", "2850")
    submit(page)
    assert page.url.endswith("/figures/2025/declaration/")

    # The declaration, grouped as the official forms.
    fill(page, DECLARATION)
    page.select_option("#id_rd_institution", "municipal")
    for name in DECLARATION_CHECKS:
        page.check(f"#id_{name}")
    walk.check("declaration")
    submit(page)
    assert page.url == f"{url}/figures/"

    for year in (2024, 2023):
        page.goto(f"{url}/figures/{year}/financials/")
        fill(page, FIGURES[year])
        submit(page)
    page.goto(f"{url}/figures/")
    walk.check("figures")

    # Self-assessment under the 2022 rules, and its printable view.
    page.goto(f"{url}/assessment/?year=2025&ruleset=miit-2022")
    expect(page.locator("#tier-innovative_sme")).to_contain_text(re.compile("passed|通过"))
    expect(page.locator(".scorebar").first).to_be_visible()
    walk.check("assessment")
    page.goto(f"{url}/assessment/print/?year=2025&ruleset=miit-2022")
    walk.check("assessment-print")

    # Apply: choose the tier, attach evidence, review, submit.
    page.goto(f"{url}/apply/")
    walk.check("apply")
    page.check("#tier-innovative_sme")
    submit(page)
    application = Application.objects.get(enterprise=enterprise, tier="innovative_sme")
    assert page.url == f"{url}/applications/{application.pk}/"
    page.select_option("#id_claim", "financial_report")
    page.set_input_files("#id_file", files=[{"name": "审计报告2025.pdf", "mimeType": "application/pdf",
                                             "buffer": b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"}])
    submit(page, f"form[action='/applications/{application.pk}/evidence/']")
    expect(page.locator("#evidence-h + ul")).to_contain_text("审计报告2025.pdf")
    walk.check("application-draft")
    submit(page, f"form[action='/applications/{application.pk}/submit/']")
    application.refresh_from_db()
    assert application.status not in ("draft", "returned") and application.submitted_at is not None
    expect(page.locator("ol.timeline li[aria-current=step]")).to_have_count(1)
    expect(page.locator("#stored-h")).to_be_visible()
    walk.check("application-submitted")

    # Members: invite a colleague.
    page.goto(f"{url}/members/")
    page.fill("#id_email", "colleague@example.com")
    submit(page)
    walk.check("members")

    # The language switch in the header.
    page.select_option("#language-select", "en")
    with page.expect_navigation():
        page.locator("form.lang button").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    assert page.url == f"{url}/members/"

    # Phone width: no sideways scrolling on the home page and a figures form.
    page.set_viewport_size({"width": 375, "height": 800})
    for path, name in (("/", "home-phone"), ("/figures/2025/declaration/", "declaration-phone")):
        page.goto(f"{url}{path}")
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1"), path
        walk.check(name)
