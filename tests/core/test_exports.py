"""Exports of filtered admin lists, and exported enterprise files importing back to the same data."""

from __future__ import annotations

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation

from enterprises.importer import import_file
from enterprises.models import Declaration, Enterprise, FinancialYear
from evaluation.models import Assessment
from registry.models import Application
from tests.factories import DeclarationFactory, FinancialYearFactory, UserFactory, reviewer
from tests.helpers import certify, enterprise_in, ruleset

pytestmark = pytest.mark.django_db


@pytest.fixture
def registry():
    hangzhou = enterprise_in("330106", name="杭州精密", established_on=datetime.date(2011, 3, 8),
                             address="西湖区文三路 1 号", contact_email="a@example.com")
    ningbo = enterprise_in("330203", name="宁波模具", sector="software_it")
    bare = enterprise_in("330108", name="还没有数据的企业")
    for year, revenue in ((2024, "2500.5"), (2025, "3000")):
        FinancialYearFactory(enterprise=hangzhou, year=year, operating_revenue=Decimal(revenue),
                             main_business_revenue=Decimal("2400.25"))
    FinancialYearFactory(enterprise=ningbo, year=2025)
    DeclarationFactory(enterprise=hangzhou, year=2025, ip_class_i=3, ip_class_i_high_value=1, chuangke="top500",
                       national_rank=4, strategic_emerging=True, national_share_pct=Decimal("12.5"),
                       chain_role=None, equity_financing_2y=Decimal("300"), equity_financing_3y=Decimal("800"))
    DeclarationFactory(enterprise=ningbo, year=2024, employees=40, rd_staff=4)
    return {"hangzhou": hangzhou, "ningbo": ningbo, "bare": bare}


def stored_data() -> dict:
    """Everything an import may write, keyed by USCC, ignoring ids and timestamps."""
    out = {}
    skip = {"id", "enterprise", "updated_at", "created_at"}
    for e in Enterprise.objects.all():
        out[e.uscc] = {
            "enterprise": {f: getattr(e, f) for f in ("name", "region_id", "sector", "established_year",
                                                       "established_on", "address", "contact_name",
                                                       "contact_phone", "contact_email")},
            "financials": {f.year: {n: getattr(f, n) for n in FinancialYear.PROFILE_FIELDS}
                           for f in FinancialYear.objects.filter(enterprise=e)},
            "declarations": {d.year: {fld.attname: getattr(d, fld.attname) for fld in Declaration._meta.concrete_fields
                                      if fld.name not in skip}
                             for d in Declaration.objects.filter(enterprise=e)},
        }
    return out


def wipe() -> None:
    Declaration.objects.all().delete()
    FinancialYear.objects.all().delete()
    Enterprise.objects.all().delete()


@pytest.mark.parametrize(("fmt", "language"), [("csv", "zh-hans"), ("xlsx", "zh-hans"), ("csv", "en"),
                                               ("xlsx", "en")])
def test_an_exported_enterprise_list_imports_back_to_the_same_data(client, registry, fmt, language):
    client.force_login(UserFactory(username="boss", is_staff=True, is_superuser=True))
    before = stored_data()
    url = reverse("admin:enterprises_enterprise_export", args=[fmt])
    response = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    wipe()
    with translation.override(language):
        result = import_file(response.content, f"export.{fmt}")
    assert result.ok, [str(e) for e in result.errors]
    assert stored_data() == before


def test_export_respects_the_changelist_filters(client, registry):
    client.force_login(UserFactory(username="boss", is_staff=True, is_superuser=True))
    response = client.get(reverse("admin:enterprises_enterprise_export", args=["csv"]) + "?city=330200",
                          HTTP_ACCEPT_LANGUAGE="en")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert {r["name"] for r in rows} == {"宁波模具"}
    assert {r["year"] for r in rows} == {"2024", "2025"}
    search = client.get(reverse("admin:enterprises_enterprise_export", args=["csv"]) + "?q=杭州",
                        HTTP_ACCEPT_LANGUAGE="en")
    assert {r["name"] for r in csv.DictReader(io.StringIO(search.content.decode("utf-8-sig")))} == {"杭州精密"}


def test_a_reviewer_exports_only_their_region(client, registry):
    client.force_login(reviewer("city", "330200"))
    response = client.get(reverse("admin:enterprises_enterprise_export", args=["csv"]), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    names = {r["name"] for r in csv.DictReader(io.StringIO(response.content.decode("utf-8-sig")))}
    assert names == {"宁波模具"}


def test_changelist_shows_export_buttons_with_the_current_filters(client, registry):
    client.force_login(UserFactory(username="boss", is_staff=True, is_superuser=True))
    page = client.get(reverse("admin:enterprises_enterprise_changelist") + "?city=330200").content.decode()
    assert reverse("admin:enterprises_enterprise_export", args=["xlsx"]) + "?city=330200" in page


def test_selected_rows_export_as_an_admin_action(client, registry):
    client.force_login(UserFactory(username="boss", is_staff=True, is_superuser=True))
    response = client.post(reverse("admin:enterprises_enterprise_changelist"), {
        "action": "export_selected_xlsx", "_selected_action": [registry["bare"].pk],
    })
    assert response.status_code == 200 and response.content[:2] == b"PK"
    from openpyxl import load_workbook

    rows = list(load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True))
    assert len(rows) == 2 and rows[1][1] == "还没有数据的企业"


def test_applications_certifications_and_assessments_export(client, registry):
    client.force_login(UserFactory(username="boss", is_staff=True, is_superuser=True))
    Application.objects.create(enterprise=registry["hangzhou"], tier="innovative_sme", year=2025)
    certify(registry["ningbo"], "innovative_sme", datetime.date(2025, 3, 1))
    Assessment.objects.create(enterprise=registry["hangzhou"], year=2025, ruleset=ruleset(), tier="innovative_sme",
                              status="passed", passed=True, score=Decimal("75"), max_score=Decimal("100"),
                              result={}, input_digest="x" * 64)
    for name, expected in (("registry_application", "杭州精密"), ("registry_certification", "宁波模具"),
                           ("evaluation_assessment", "杭州精密")):
        response = client.get(reverse(f"admin:{name}_export", args=["csv"]) + "?tier=innovative_sme")
        assert response.status_code == 200, name
        text = response.content.decode("utf-8-sig")
        assert expected in text, name


def test_one_enterprise_assessment_prints(client, registry):
    from tests.factories import store_profile
    from tests.helpers import load_example

    store_profile(registry["hangzhou"], load_example("A"))
    client.force_login(UserFactory(username="boss", is_staff=True, is_superuser=True))
    url = reverse("insights:assessment_print", args=[registry["hangzhou"].pk]) + "?year=2025"
    page = client.get(url, HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    body = page.content.decode()
    assert "杭州精密" in body and "window.print()" in body
    assert "R&amp;D ratio" in body and "rd_ratio" not in body  # the indicator lines, by name
    assert Assessment.objects.count() == 0


def test_the_enterprise_page_links_its_printable_assessment(client, registry):
    client.force_login(UserFactory(username="boss", is_staff=True, is_superuser=True))
    page = client.get(reverse("admin:enterprises_enterprise_change", args=[registry["hangzhou"].pk]))
    assert reverse("insights:assessment_print", args=[registry["hangzhou"].pk]) in page.content.decode()
