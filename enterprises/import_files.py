"""Reading import files (CSV, XLSX) within limits, so that a small hostile file cannot take the server's memory.

An XLSX of 1.5 KB can declare its sheet as ``A1:XFD1048576`` (openpyxl then pads every row to 16,384 cells and
fills a million rows), carry a shared-strings part that inflates to gigabytes, put a million cells in one row,
or expand XML entities exponentially. So before openpyxl reads anything:

- the file's size and its parts' inflated sizes are checked (the zip's directory states them, and ``zipfile``
  never inflates a part past its stated size);
- every XML part is scanned once, streaming, with defusedxml (no DTD, no entities), stopping at the first limit
  passed: elements per part, and in the sheets and shared strings rows, cells per row, columns and characters
  per cell;
- the first sheet's declared dimension is checked, then discarded, so a wrong dimension neither pads nor cuts
  the rows.

Only then does openpyxl read the first sheet in read-only (streaming) mode; it uses defusedxml too, as it is
installed. CSV is read row by row under the same limits. The limits are settings (``REGISTRY["IMPORT_LIMITS"]``)
and every error names the one that was passed. Cell length and numeric magnitude are checked per cell by the
importer, so those errors name the row and column.
"""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import iterparse
from django.conf import settings
from django.utils.translation import gettext as _

SHEET_NS = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
ROW, CELL, SHARED = f"{SHEET_NS}row", f"{SHEET_NS}c", f"{SHEET_NS}si"
SHEET_ROOTS = {f"{SHEET_NS}worksheet", f"{SHEET_NS}dialogsheet"}
SHARED_ROOT = f"{SHEET_NS}sst"
TEXT_TAGS = {f"{SHEET_NS}v", f"{SHEET_NS}t", f"{SHEET_NS}f"}
# Structure no real workbook comes near, checked so that openpyxl's tree-building readers stay small.
MAX_PARTS = 1000  # files inside the zip
MAX_PART_ELEMENTS = 200_000  # elements of a part that is not a sheet or the shared strings (styles, workbook, ...)
MAX_CELL_ELEMENTS = 1000  # elements inside one cell or one shared string (rich-text runs)
MAX_OUTSIDE_ROWS = 100_000  # elements of a sheet outside its rows (column widths, merged cells, validations)
EXCEL_COLUMNS = 16384  # cells in a row, empty ones included, as Excel allows
MAX_TEXT = 1_000_000  # characters of one text outside the cells (document properties, ...)


@dataclass(frozen=True)
class ImportLimits:
    max_bytes: int
    max_expanded_bytes: int
    max_rows: int
    max_columns: int
    max_cell_chars: int
    max_number: Decimal

    @classmethod
    def current(cls) -> ImportLimits:
        conf = settings.REGISTRY["IMPORT_LIMITS"]
        return cls(max_bytes=conf["MAX_BYTES"], max_expanded_bytes=conf["MAX_EXPANDED_BYTES"],
                   max_rows=conf["MAX_ROWS"], max_columns=conf["MAX_COLUMNS"],
                   max_cell_chars=conf["MAX_CELL_CHARS"], max_number=Decimal(str(conf["MAX_NUMBER"])))


class ImportFileError(ValueError):
    """The file cannot be read at all (wrong format, empty, no header, past a limit)."""

    def __init__(self, message: str, row: int = 0, column: str = "") -> None:
        super().__init__(message)
        self.row = row
        self.column = column


def _mb(size: int) -> str:
    return f"{size / (1024 * 1024):.1f} MB"


def check_size(size: int, limits: ImportLimits | None = None) -> None:
    limits = limits or ImportLimits.current()
    if size > limits.max_bytes:
        raise ImportFileError(_("The file is %(size)s; the limit is %(limit)s (REGISTRY_IMPORT_MAX_BYTES).")
                              % {"size": _mb(size), "limit": _mb(limits.max_bytes)})


def read_rows(content: bytes, filename: str, limits: ImportLimits | None = None) -> list[list[Any]]:
    """The file's cells, header first. XLSX by extension or signature; otherwise CSV (UTF-8, else GB18030)."""
    limits = limits or ImportLimits.current()
    check_size(len(content), limits)
    suffix = Path(filename).suffix.lower()
    if suffix in (".xlsx", ".xlsm") or content[:2] == b"PK":
        return read_xlsx(content, limits)
    if suffix not in (".csv", ".txt", ""):
        raise ImportFileError(_("Only CSV and XLSX files can be imported."))
    return read_csv(content, limits)


# --- CSV -------------------------------------------------------------------------------------------------------

def _decode(content: bytes) -> str:
    if content.startswith((b"\xff\xfe", b"\xfe\xff")):  # "Unicode" text as Excel and WPS save it
        try:
            return content.decode("utf-16")
        except UnicodeDecodeError:
            pass
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return content.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ImportFileError(_("The CSV file is neither UTF-8 nor GB18030 encoded."))


def _too_many_rows(limits: ImportLimits, row: int) -> ImportFileError:
    return ImportFileError(_("The file goes on past row %(row)s; the limit is %(limit)s data rows "
                             "(REGISTRY_IMPORT_MAX_ROWS): split it into smaller files.")
                           % {"row": limits.max_rows + 1, "limit": limits.max_rows}, row=row)


def _too_many_columns(limits: ImportLimits, row: int, count: int) -> ImportFileError:
    return ImportFileError(_("Row %(row)s has %(count)s columns; the limit is %(limit)s "
                             "(REGISTRY_IMPORT_MAX_COLUMNS).") % {"row": row, "count": count,
                                                                   "limit": limits.max_columns}, row=row)


def _too_long(limits: ImportLimits, row: int, column: str) -> ImportFileError:
    return ImportFileError(_("A cell is longer than %(limit)s characters (REGISTRY_IMPORT_MAX_CELL_CHARS).")
                           % {"limit": limits.max_cell_chars}, row=row, column=column)


def read_csv(content: bytes, limits: ImportLimits) -> list[list[Any]]:
    reader = csv.reader(io.StringIO(_decode(content)))
    rows: list[list[Any]] = []
    try:
        for cells in reader:
            if len(rows) > limits.max_rows:
                raise _too_many_rows(limits, reader.line_num)
            width = len(cells)
            while width and not cells[width - 1].strip():  # trailing empty cells, as spreadsheets save them
                width -= 1
            if width > limits.max_columns:
                raise _too_many_columns(limits, len(rows) + 1, width)
            rows.append(cells[:width])
    except csv.Error as exc:
        if "field larger than field limit" in str(exc):
            raise _too_long(limits, reader.line_num, "")
        raise ImportFileError(_("Line %(line)s of the CSV file cannot be read: %(error)s")
                              % {"line": reader.line_num, "error": exc}, row=reader.line_num)
    return rows


# --- XLSX ------------------------------------------------------------------------------------------------------

def _row_number(value: str | None, previous: int) -> int:
    """A row's number as openpyxl reads it (it accepts "7" and "7.0")."""
    if value is None:
        return previous + 1
    try:
        return int(value)
    except ValueError:
        number = float(value)
        if not number.is_integer():
            raise ImportFileError(_("The sheet has a row numbered %(value)s.") % {"value": value})
        return int(number)


def _column_number(reference: str) -> int:
    letters = reference.rstrip("0123456789$").lstrip("$")
    if not letters.isalpha() or not letters.isascii() or len(letters) > 3:
        raise ImportFileError(_("The sheet has a cell named %(value)s.") % {"value": reference[:20]})
    number = 0
    for letter in letters.upper():
        number = number * 26 + ord(letter) - 64
    return number


class _Scanner:
    """One streaming pass over an XML part, holding at most one row (or one shared string) in memory.

    Finished rows and shared strings are cleared and detached from their parent as the scan goes, so the
    scan's own memory does not grow with the part.
    """

    def __init__(self, limits: ImportLimits, part: str, max_strings: int = 0) -> None:
        self.limits = limits
        self.part = part
        self.max_strings = max_strings
        self.cells = 0  # cells of a sheet, counted for the shared strings' bound

    def scan(self, source: Any) -> None:
        limits = self.limits
        stack: list[Any] = []
        root: str | None = None
        elements = rows = row = cells = column = inner = chars = strings = outside = 0
        in_row = in_cell = False
        cell_name = ""
        for event, element in iterparse(source, events=("start", "end"), forbid_dtd=True):
            tag = element.tag
            if event == "start":
                stack.append(element)
                elements += 1
                if root is None:
                    root = tag
                elif root in SHEET_ROOTS:
                    if tag == ROW:
                        rows += 1
                        row = _row_number(element.get("r"), row)
                        if row > limits.max_rows + 1 or rows > limits.max_rows + 1:
                            raise _too_many_rows(limits, max(row, rows))
                        in_row, cells, column, inner = True, 0, 0, 0
                    elif in_row and tag == CELL and not in_cell:
                        cells += 1
                        self.cells += 1
                        cell_name = element.get("r") or ""
                        column = _column_number(cell_name) if cell_name else column + 1
                        if cells > EXCEL_COLUMNS or column > EXCEL_COLUMNS:
                            raise _too_many_columns(limits, row, max(cells, column))
                        in_cell, chars = True, 0
                    elif in_row:
                        inner += 1  # elements inside the row's cells (values, rich-text runs) and between them
                        if inner > limits.max_columns * MAX_CELL_ELEMENTS:
                            raise self._structure()
                    else:
                        outside += 1
                        if outside > MAX_OUTSIDE_ROWS:
                            raise self._structure()
                elif root == SHARED_ROOT:
                    if tag == SHARED and not in_cell:
                        strings += 1
                        if strings > self.max_strings:
                            raise self._structure()
                        in_cell, inner, chars, cell_name = True, 0, 0, ""
                    else:
                        inner += 1
                        if inner > MAX_CELL_ELEMENTS:
                            raise self._structure()
                elif elements > MAX_PART_ELEMENTS:
                    raise self._structure()
                continue
            # the end of an element
            stack.pop()
            text = element.text
            if text:
                if in_cell and tag in TEXT_TAGS:
                    chars += len(text)
                    if chars > limits.max_cell_chars:
                        raise _too_long(limits, row if root in SHEET_ROOTS else 0, cell_name)
                elif len(text) > MAX_TEXT:
                    raise self._structure()
            if in_cell and tag in (CELL, SHARED):
                in_cell = False
                # A cell with content counts against the column limit; an empty one (formatting only) is
                # dropped with the row's trailing blanks.
                if tag == CELL and chars and column > limits.max_columns:
                    raise _too_many_columns(limits, row, column)
                if tag == SHARED:
                    element.clear()
                    if stack:
                        stack[-1].remove(element)
            elif in_row and tag == ROW:
                in_row = False
                element.clear()
                if stack:
                    stack[-1].remove(element)

    def _structure(self) -> ImportFileError:
        return ImportFileError(_("The part %(part)s of the Excel file is far larger than a spreadsheet of "
                                 "%(rows)s rows and %(columns)s columns can be (REGISTRY_IMPORT_MAX_ROWS, "
                                 "REGISTRY_IMPORT_MAX_COLUMNS).")
                               % {"part": self.part, "rows": self.limits.max_rows,
                                  "columns": self.limits.max_columns})


def _not_readable(exc: Exception) -> ImportFileError:
    return ImportFileError(_("This is not a readable Excel (.xlsx) file: %(error)s") % {"error": exc})


def check_xlsx(content: bytes, limits: ImportLimits) -> None:
    """Refuse, before openpyxl builds anything, a workbook that would take more than its limits allow."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(content))
    except (zipfile.BadZipFile, ValueError, EOFError, OSError) as exc:
        raise _not_readable(exc)
    with archive:
        parts = archive.infolist()
        if len(parts) > MAX_PARTS:
            raise _not_readable(_("%(count)s parts") % {"count": len(parts)})
        expanded = sum(p.file_size for p in parts)
        if expanded > limits.max_expanded_bytes:
            raise ImportFileError(_("The Excel file expands to %(size)s; the limit is %(limit)s "
                                    "(REGISTRY_IMPORT_MAX_EXPANDED_BYTES).")
                                  % {"size": _mb(expanded), "limit": _mb(limits.max_expanded_bytes)})
        xml = [p for p in parts if p.filename.endswith((".xml", ".rels")) and not p.is_dir()]
        sheets = [p for p in xml if p.filename.startswith("xl/worksheets/")]
        # The sheets first: a workbook holds no more shared strings than cells that use them.
        cells = 0
        others = sorted((p for p in xml if p not in sheets), key=lambda p: "sharedstrings" in p.filename.lower())
        for part in [*sheets, *others]:
            scanner = _Scanner(limits, part.filename, max_strings=cells + 1000)
            _scan_part(archive, part, scanner)
            cells += scanner.cells


def _scan_part(archive: zipfile.ZipFile, part: zipfile.ZipInfo, scanner: _Scanner) -> None:
    try:
        with archive.open(part) as source:
            scanner.scan(source)
    except ImportFileError:
        raise
    except DefusedXmlException as exc:
        raise ImportFileError(_("The Excel file contains XML constructs that are not allowed (%(error)s).")
                              % {"error": type(exc).__name__})
    except Exception as exc:  # noqa: BLE001 - a damaged part: expat, zlib and zipfile errors alike
        raise _not_readable(exc)


def read_xlsx(content: bytes, limits: ImportLimits) -> list[list[Any]]:
    check_xlsx(content, limits)
    from openpyxl import load_workbook  # imported on first import file: openpyxl is slow to load

    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception as exc:  # noqa: BLE001 - openpyxl raises many kinds for a damaged file
        raise _not_readable(exc)
    try:
        if not workbook.worksheets:
            raise _not_readable(_("no worksheet"))
        sheet = workbook.worksheets[0]
        if (sheet.max_row or 0) > limits.max_rows + 1 or (sheet.max_column or 0) > limits.max_columns:
            raise ImportFileError(_(
                "The sheet declares its size as %(ref)s (%(rows)s rows, %(columns)s columns); the limits are "
                "%(max_rows)s data rows (REGISTRY_IMPORT_MAX_ROWS) and %(max_columns)s columns "
                "(REGISTRY_IMPORT_MAX_COLUMNS)."
            ) % {"ref": sheet.calculate_dimension(), "rows": sheet.max_row, "columns": sheet.max_column,
                 "max_rows": limits.max_rows, "max_columns": limits.max_columns})
        sheet.reset_dimensions()  # the rows as they are, neither padded to nor cut at the declared size
        return list(_sheet_rows(sheet))
    finally:
        workbook.close()


def _sheet_rows(sheet: Any) -> Iterator[list[Any]]:
    number = 0
    try:
        for number, cells in enumerate(sheet.iter_rows(values_only=True), start=1):  # noqa: B007
            width = len(cells)
            while width and cells[width - 1] is None:
                width -= 1
            yield list(cells[:width])
    except ImportFileError:
        raise
    except Exception as exc:  # noqa: BLE001 - a cell openpyxl cannot convert (bad number, bad shared string)
        raise ImportFileError(_("Row %(row)s of the sheet cannot be read: %(error)s")
                              % {"row": number + 1, "error": exc}, row=number + 1)
