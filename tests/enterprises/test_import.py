"""Importing enterprises and yearly figures: good, bad and mixed files; nothing is written when a row is bad."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse

from core.audit import AuditEntry
from enterprises.importer import import_file
from enterprises.models import Declaration, Enterprise, FinancialYear
from enterprises.uscc import make_uscc
from registry.models import Certification
from tests.factories import EnterpriseFactory, FinancialYearFactory, UserFactory

pytestmark = pytest.mark.django_db

CHINESE = ["统一社会信用代码", "企业名称", "行政区划代码", "成立年份", "年度", "营业收入（万元）",
           "主营业务收入（万元）", "研发费用（万元）", "净利润（万元）", "资产总额（万元）",
           "负债总额（万元）", "从业人员数", "研发人员数"]
ENGLISH = ["uscc", "name", "region_code", "established_year", "year", "operating_revenue", "main_business_revenue",
           "rd_expense", "net_profit", "total_assets", "total_liabilities", "employees", "rd_staff"]


def codes(n: int, region: str = "330106") -> list[str]:
    import random

    rng = random.Random(n)
    return [make_uscc(region, rng) for _ in range(n)]


def figures(code: str, name: str, year: int = 2025, **changes) -> list:
    row = {"uscc": code, "name": name, "region_code": "330106", "established_year": 2012, "year": year,
           "operating_revenue": "3000", "main_business_revenue": "2800", "rd_expense": "150.5", "net_profit": "300",
           "total_assets": "5000", "total_liabilities": "2000", "employees": "120", "rd_staff": "15"}
    row.update(changes)
    return [row[k] for k in ENGLISH]


def as_csv(header: list[str], rows: list[list]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8")


def as_xlsx(header: list[str], rows: list[list]) -> bytes:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_a_good_chinese_csv_creates_enterprises_figures_and_declarations():
    a, b = codes(2)
    content = as_csv(CHINESE, [
        figures(a, "甲公司"),
        figures(a, "甲公司", year=2024, operating_revenue="2500", main_business_revenue="2400"),
        figures(b, "乙公司"),
    ])
    result = import_file(content, "figures.csv")
    assert result.ok, [str(e) for e in result.errors]
    assert result.created == {"enterprise": 2, "financials": 3, "declaration": 3}
    company = Enterprise.objects.get(uscc=a)
    assert company.name == "甲公司" and company.region_id == "330106"
    assert company.size_class == "small" and company.needs_rescore
    assert FinancialYear.objects.get(enterprise=company, year=2024).operating_revenue == Decimal("2500")
    assert FinancialYear.objects.get(enterprise=company, year=2025).rd_expense == Decimal("150.50")
    assert Declaration.objects.get(enterprise=company, year=2025).employees == 120
    created = AuditEntry.objects.filter(enterprise_id=company.pk, action="create")
    assert created.count() == 5  # the enterprise, two financial years, two declarations
    assert Certification.objects.count() == 0


def test_a_good_english_xlsx_updates_existing_figures_with_an_audit_entry():
    company = EnterpriseFactory(name="旧名称")
    FinancialYearFactory(enterprise=company, year=2025, operating_revenue=Decimal("1000"),
                         main_business_revenue=Decimal("900"))
    content = as_xlsx(ENGLISH, [figures(company.uscc, "新名称", operating_revenue=3500)])
    result = import_file(content, "figures.xlsx")
    assert result.ok, [str(e) for e in result.errors]
    assert result.updated["enterprise"] == 1 and result.updated["financials"] == 1
    company.refresh_from_db()
    assert company.name == "新名称"
    assert FinancialYear.objects.get(enterprise=company, year=2025).operating_revenue == Decimal("3500")
    entry = AuditEntry.objects.filter(enterprise_id=company.pk, action="update",
                                      object_repr__contains="/2025").first()
    assert entry is not None
    assert [Decimal(v) for v in entry.changes["operating_revenue"]] == [Decimal("1000"), Decimal("3500")]


def test_a_bad_file_writes_nothing_and_names_row_and_column():
    a, b, c = codes(3)
    content = as_csv(CHINESE, [
        figures(a, "甲公司"),
        figures(b, "乙公司", operating_revenue="-5"),
        figures(c, "丙公司", main_business_revenue="abc"),
    ])
    result = import_file(content, "figures.csv")
    assert not result.ok
    problems = {(e.row, e.column) for e in result.errors}
    assert (3, "营业收入（万元）") in problems
    assert (4, "主营业务收入（万元）") in problems
    assert any("number" in e.message or "数字" in e.message for e in result.errors if e.row == 4)
    assert Enterprise.objects.count() == 0 and FinancialYear.objects.count() == 0
    assert AuditEntry.objects.count() == 0


def test_a_mixed_file_with_one_bad_row_among_good_ones_imports_nothing():
    good = codes(5)
    rows = [figures(code, f"公司{i}") for i, code in enumerate(good)]
    rows.append(figures("91330106XXXXXXXXX1", "坏代码公司"))
    result = import_file(as_xlsx(ENGLISH, rows), "mixed.xlsx")
    assert [(e.row, e.column) for e in result.errors] == [(7, "uscc")]
    assert Enterprise.objects.count() == 0


def test_model_rules_are_the_same_as_in_the_admin():
    (a,) = codes(1)
    result = import_file(as_csv(ENGLISH, [figures(a, "甲", main_business_revenue="4000", rd_staff="500")]), "x.csv")
    messages = {e.column: e.message for e in result.errors}
    assert "main_business_revenue" in messages  # cannot exceed operating revenue (FinancialYear.clean)
    assert "rd_staff" in messages  # cannot exceed employees (Declaration.clean)


def test_tiers_and_certifications_are_never_importable():
    (a,) = codes(1)
    header = [*ENGLISH, "梯度层级"]
    result = import_file(as_csv(header, [[*figures(a, "甲"), "little_giant"]]), "x.csv")
    assert not result.ok
    assert result.errors[0].row == 1 and result.errors[0].column == "梯度层级"
    assert Enterprise.objects.count() == 0


def test_unknown_columns_duplicate_years_and_missing_required_fields_are_reported():
    a, b = codes(2)
    assert import_file(as_csv([*ENGLISH, "颜色"], [[*figures(a, "甲"), "红"]]), "x.csv").errors[0].column == "颜色"
    duplicate = import_file(as_csv(ENGLISH, [figures(a, "甲"), figures(a, "甲")]), "x.csv")
    assert [(e.row, e.column) for e in duplicate.errors] == [(3, "year")]
    missing = import_file(as_csv(["uscc", "year", "operating_revenue"], [[b, 2025, 100]]), "x.csv")
    columns = {e.column for e in missing.errors}
    assert {"企业名称 / name", "行政区划代码 / region_code", "成立年份 / established_year",
            "主营业务收入 / main_business_revenue"} <= columns


def test_dry_run_validates_and_previews_without_writing():
    a, b = codes(2)
    result = import_file(as_csv(CHINESE, [figures(a, "甲"), figures(b, "乙")]), "x.csv", dry_run=True)
    assert result.ok and not result.written
    assert result.created["enterprise"] == 2
    assert [p.uscc for p in result.preview] == [a, b]
    assert Enterprise.objects.count() == 0


def test_command_imports_and_exits_non_zero_on_errors(tmp_path):
    a, b = codes(2)
    good = tmp_path / "good.csv"
    good.write_bytes(as_csv(CHINESE, [figures(a, "甲"), figures(b, "乙")]))
    out = io.StringIO()
    call_command("import_figures", str(good), "--dry-run", stdout=out)
    assert "dry run" in out.getvalue() and Enterprise.objects.count() == 0
    call_command("import_figures", str(good), stdout=out)
    assert Enterprise.objects.count() == 2
    assert AuditEntry.objects.filter(actor_label="command:import_figures").exists()
    bad = tmp_path / "bad.csv"
    bad.write_bytes(as_csv(CHINESE, [figures(codes(3)[2], "丙", total_assets="0")]))
    err = io.StringIO()
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import_figures", str(bad), stderr=err)
    assert "row 2" in err.getvalue() or "第 2 行" in err.getvalue()
    with pytest.raises(CommandError):
        call_command("import_figures", str(tmp_path / "missing.csv"))


def test_admin_upload_preview_then_confirm(client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(UserFactory(username="boss", is_staff=True, is_superuser=True))
    a, b = codes(2)
    upload = SimpleUploadedFile("figures.csv", as_csv(CHINESE, [figures(a, "甲"), figures(b, "乙")]))
    preview = client.post(reverse("insights:import"), {"file": upload})
    assert preview.status_code == 200 and Enterprise.objects.count() == 0
    token = preview.context["token"]
    confirm = client.post(reverse("insights:import"), {"token": token, "name": "figures.csv"})
    assert confirm.status_code == 302
    assert Enterprise.objects.count() == 2
    assert AuditEntry.objects.filter(actor_label="boss", action="create").count() >= 2


def test_admin_upload_shows_errors(client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(UserFactory(username="boss", is_staff=True, is_superuser=True))
    upload = SimpleUploadedFile("figures.csv", as_csv(CHINESE, [figures(codes(1)[0], "甲", year="20x5")]))
    page = client.post(reverse("insights:import"), {"file": upload})
    assert "token" not in page.context
    assert "import-errors" in page.content.decode()


def test_reviewers_cannot_import(client):
    from tests.factories import reviewer

    client.force_login(reviewer("city", "330100"))
    assert client.get(reverse("insights:import")).status_code == 403
