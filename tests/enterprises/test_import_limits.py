"""Imports are bounded: file size, inflated size, rows, columns, declared dimension, cell length and numeric
magnitude each have a limit, and passing one gives an error naming it, in the admin and in ``import_figures``
alike. Nothing is written when any row is bad."""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.urls import reverse
from django.utils import translation

from enterprises.importer import import_file
from enterprises.models import Enterprise, FinancialYear
from tests.factories import UserFactory

from . import hostile_files as hostile
from .test_import import ENGLISH, as_csv, as_xlsx, codes, figures

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def limits(settings):
    """Change some import limits for one test."""

    def change(**values):
        settings.REGISTRY = {**settings.REGISTRY,
                             "IMPORT_LIMITS": {**settings.REGISTRY["IMPORT_LIMITS"], **values}}

    return change


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(username="boss", is_staff=True, is_superuser=True))
    return client


def upload(client, content: bytes, name: str):
    """The admin's import page, dry run (preview) step."""
    response = client.post(reverse("insights:import"), {"file": SimpleUploadedFile(name, content)},
                           HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    return response


def admin_errors(response) -> list[str]:
    result = response.context.get("result")
    if result is None:  # refused by the form before reading
        return [str(e) for e in response.context["form"].errors["file"]]
    return [str(e) for e in result.errors]


def command_errors(tmp_path, content: bytes, name: str, capsys) -> list[str]:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(CommandError, match="nothing was imported|REGISTRY_IMPORT"), translation.override("en"):
        call_command("import_figures", str(path))
    return [line for line in capsys.readouterr().err.splitlines() if line]


def both(client, tmp_path, capsys, content: bytes, name: str) -> tuple[list[str], list[str]]:
    return admin_errors(upload(client, content, name)), command_errors(tmp_path, content, name, capsys)


# --- the example of the issue: a tiny file declaring the whole sheet --------------------------------------------

def test_a_tiny_xlsx_declaring_the_whole_sheet_is_refused_naming_the_limits(admin_client, tmp_path, capsys):
    content = hostile.huge_dimension()
    assert len(content) < 2000
    in_admin, in_command = both(admin_client, tmp_path, capsys, content, "huge.xlsx")
    for errors in (in_admin, in_command):
        assert len(errors) == 1
        assert "A1:XFD1048576" in errors[0] and "REGISTRY_IMPORT_MAX_ROWS" in errors[0]
        assert "REGISTRY_IMPORT_MAX_COLUMNS" in errors[0]
    assert in_admin == in_command
    assert not Enterprise.objects.exists()


def test_a_wrong_small_dimension_neither_cuts_nor_pads_the_rows():
    rows = "".join(hostile.data_row(n, [c, f"企业{n}", "330106", "2012"])
                   for n, c in enumerate(codes(3), start=2))
    content = hostile.workbook(hostile.sheet(hostile.header_row() + rows, dimension="A1:A1"))
    result = import_file(content, "small-dimension.xlsx")
    assert result.ok, [str(e) for e in result.errors]
    assert Enterprise.objects.count() == 3


# --- rows, columns, cells, sizes ----------------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_more_data_rows_than_the_limit_are_refused(admin_client, tmp_path, capsys, limits, fmt):
    limits(MAX_ROWS=5)
    encode = as_csv if fmt == "csv" else as_xlsx
    exactly = encode(ENGLISH, [figures(c, f"企业{i}") for i, c in enumerate(codes(5))])
    assert import_file(exactly, f"five.{fmt}", dry_run=True).ok
    content = encode(ENGLISH, [figures(c, f"企业{i}") for i, c in enumerate(codes(6))])
    for errors in both(admin_client, tmp_path, capsys, content, f"six.{fmt}"):
        assert len(errors) == 1 and "REGISTRY_IMPORT_MAX_ROWS" in errors[0] and "5" in errors[0]
    assert not Enterprise.objects.exists()


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_more_columns_than_the_limit_are_refused(admin_client, tmp_path, capsys, limits, fmt):
    limits(MAX_COLUMNS=len(ENGLISH))
    encode = as_csv if fmt == "csv" else as_xlsx
    if fmt == "csv":  # the trailing commas spreadsheets write after the last column do not count
        trailing_blanks = encode(ENGLISH + ["", ""], [figures(c, "企业") + ["", ""] for c in codes(1)])
        assert import_file(trailing_blanks, "blanks.csv", dry_run=True).ok
    content = encode([*ENGLISH, "extra"], [[*figures(c, "企业"), "x"] for c in codes(2)])
    for errors in both(admin_client, tmp_path, capsys, content, f"wide.{fmt}"):
        assert len(errors) == 1 and "REGISTRY_IMPORT_MAX_COLUMNS" in errors[0]


def test_a_row_of_two_million_cells_is_refused_while_streaming():
    result = import_file(hostile.wide_row(), "wide-row.xlsx")
    assert [e.row for e in result.errors] == [2]
    assert "REGISTRY_IMPORT_MAX_COLUMNS" in result.errors[0].message


def test_a_cell_longer_than_the_limit_is_a_row_error_naming_row_and_column(admin_client, tmp_path, capsys, limits):
    limits(MAX_CELL_CHARS=200)
    rows = [figures(c, f"企业{i}") for i, c in enumerate(codes(3))]
    rows[1][ENGLISH.index("name")] = "长" * 201
    in_admin, in_command = both(admin_client, tmp_path, capsys, as_csv(ENGLISH, rows), "long.csv")
    for errors in (in_admin, in_command):
        assert len(errors) == 1
        assert "row 3" in errors[0] and "name" in errors[0] and "REGISTRY_IMPORT_MAX_CELL_CHARS" in errors[0]
    xlsx = import_file(as_xlsx(ENGLISH, rows), "long.xlsx")
    assert [(e.row, e.column) for e in xlsx.errors] == [(3, "B3")]
    assert "REGISTRY_IMPORT_MAX_CELL_CHARS" in xlsx.errors[0].message
    assert not Enterprise.objects.exists()


def test_a_csv_field_past_the_csv_readers_own_limit_is_a_clear_error():
    content = as_csv(ENGLISH, [figures(c, "x" * 200_000) for c in codes(1)])
    result = import_file(content, "huge-field.csv")
    assert [e.row for e in result.errors] == [2]
    assert "REGISTRY_IMPORT_MAX_CELL_CHARS" in result.errors[0].message


def test_a_file_larger_than_the_limit_is_refused_before_it_is_read(admin_client, tmp_path, limits):
    limits(MAX_BYTES=1000)
    content = as_csv(ENGLISH, [figures(c, f"企业{i}") for i, c in enumerate(codes(20))])
    assert len(content) > 1000
    assert "REGISTRY_IMPORT_MAX_BYTES" in admin_errors(upload(admin_client, content, "big.csv"))[0]
    path = tmp_path / "big.csv"
    path.write_bytes(content)
    with pytest.raises(CommandError, match="REGISTRY_IMPORT_MAX_BYTES"):
        call_command("import_figures", str(path))


def test_a_shared_strings_bomb_is_refused(limits):
    inflated = import_file(hostile.shared_strings_bomb(300), "bomb.xlsx")
    assert ["REGISTRY_IMPORT_MAX_EXPANDED_BYTES" in e.message for e in inflated.errors] == [True]
    # Within the inflated-size limit, a file still cannot hold more shared strings than it has cells.
    dense = import_file(hostile.shared_strings_bomb(60), "dense.xlsx")
    assert len(dense.errors) == 1 and "sharedStrings.xml" in dense.errors[0].message


def test_xml_entities_are_refused_and_openpyxl_uses_defusedxml():
    import openpyxl.xml

    assert openpyxl.xml.DEFUSEDXML is True
    result = import_file(hostile.billion_laughs(), "laughs.xlsx")
    assert len(result.errors) == 1 and "DTDForbidden" in result.errors[0].message


def test_a_csv_with_a_nul_byte_is_a_clear_error():
    rows = [figures(c, f"企业{i}") for i, c in enumerate(codes(2))]
    rows[1][ENGLISH.index("name")] = "企\x00业"
    result = import_file(as_csv(ENGLISH, rows), "nul.csv")
    assert len(result.errors) == 1 and result.errors[0].row == 3
    assert not Enterprise.objects.exists()


def test_a_utf16_csv_as_spreadsheets_save_unicode_text_imports():
    content = as_csv(ENGLISH, [figures(c, "统一编码企业") for c in codes(1)]).decode().encode("utf-16")
    result = import_file(content, "utf16.csv")
    assert result.ok, [str(e) for e in result.errors]
    assert Enterprise.objects.get().name == "统一编码企业"


# --- numbers past any figure ----------------------------------------------------------------------------------

OVERFLOWING = [("operating_revenue", "1e1000000"), ("operating_revenue", "1" * 27), ("year", "1e308"),
               ("employees", "-1e400"), ("net_profit", "Infinity")]


@pytest.mark.parametrize(("column", "value"), OVERFLOWING)
def test_an_overflowing_number_in_a_csv_is_a_row_error(admin_client, tmp_path, capsys, column, value):
    rows = [figures(c, f"企业{i}") for i, c in enumerate(codes(3))]
    rows[2][ENGLISH.index(column)] = value
    in_admin, in_command = both(admin_client, tmp_path, capsys, as_csv(ENGLISH, rows), "overflow.csv")
    for errors in (in_admin, in_command):
        assert len(errors) == 1, errors
        assert "row 4" in errors[0] and column in errors[0] and "REGISTRY_IMPORT_MAX_NUMBER" in errors[0]
    assert not Enterprise.objects.exists() and not FinancialYear.objects.exists()


@pytest.mark.parametrize(("column", "value"), OVERFLOWING[:4])
def test_an_overflowing_number_in_an_xlsx_number_cell_is_a_row_error(column, value):
    columns = "ABCDEFGHIJKLM"
    header = '<row r="1">' + "".join(hostile._inline(f"{columns[i]}1", h) for i, h in enumerate(ENGLISH)) + "</row>"
    row = figures(codes(1)[0], "企业")
    row[ENGLISH.index(column)] = value
    cells = "".join(
        f'<c r="{columns[i]}2"><v>{v}</v></c>' if k not in ("uscc", "name") else hostile._inline(f"{columns[i]}2", v)
        for i, (k, v) in enumerate(zip(ENGLISH, row, strict=True))
    )
    result = import_file(hostile.workbook(hostile.sheet(header + f'<row r="2">{cells}</row>')), "overflow.xlsx")
    assert [(e.row, e.column) for e in result.errors] == [(2, column)]
    assert "REGISTRY_IMPORT_MAX_NUMBER" in result.errors[0].message
    assert not Enterprise.objects.exists()


def test_the_largest_figure_a_field_holds_still_imports():
    row = figures(codes(1)[0], "大企业", operating_revenue="999999999999.99", main_business_revenue="1000000")
    result = import_file(as_csv(ENGLISH, [row]), "large.csv")
    assert result.ok, [str(e) for e in result.errors]


# --- memory: the importer in a process with an address-space limit -------------------------------------------

ADDRESS_SPACE = 512 * 1024 * 1024
HOSTILE = {
    "huge-dimension": (hostile.huge_dimension, "A1:XFD1048576"),
    "far-row": (hostile.far_row, "REGISTRY_IMPORT_MAX_ROWS"),
    "wide-row": (hostile.wide_row, "REGISTRY_IMPORT_MAX_COLUMNS"),
    "shared-strings-bomb": (lambda: hostile.shared_strings_bomb(300), "REGISTRY_IMPORT_MAX_EXPANDED_BYTES"),
    "dense-shared-strings": (lambda: hostile.shared_strings_bomb(60), "sharedStrings.xml"),
    "billion-laughs": (hostile.billion_laughs, "DTDForbidden"),
}


@pytest.fixture(scope="module")
def command_database(tmp_path_factory):
    """A migrated SQLite file for the subprocess (the test database is not visible to another process)."""
    path = tmp_path_factory.mktemp("limits") / "db.sqlite3"
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, check=True, timeout=300,
                   env={**os.environ, "DATABASE_URL": f"sqlite:///{path}", "REDIS_URL": ""})
    return path


def run_limited(path: Path, database: Path, *options: str) -> subprocess.CompletedProcess:
    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))

    return subprocess.run(
        [sys.executable, "manage.py", "import_figures", *options, str(path)], cwd=ROOT, capture_output=True,
        text=True, timeout=300, preexec_fn=limit,
        env={**os.environ, "DATABASE_URL": f"sqlite:///{database}", "REDIS_URL": ""},
    )


def test_a_real_file_imports_within_the_address_space_limit(tmp_path, command_database):
    path = tmp_path / "good.xlsx"
    path.write_bytes(hostile.good_workbook(2000))
    done = run_limited(path, command_database, "--dry-run")
    assert done.returncode == 0, done.stderr[-2000:]
    assert "2000" in done.stdout


@pytest.mark.parametrize("name", HOSTILE)
def test_a_hostile_file_gets_a_clean_error_within_the_address_space_limit(tmp_path, command_database, name):
    build, expected = HOSTILE[name]
    path = tmp_path / f"{name}.xlsx"
    path.write_bytes(build())
    done = run_limited(path, command_database)
    assert done.returncode == 1, done.stderr[-2000:]
    assert "Traceback" not in done.stderr and "MemoryError" not in done.stderr, done.stderr[-2000:]
    assert expected in done.stderr and "nothing was imported" in done.stderr
