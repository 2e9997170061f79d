"""Hostile spreadsheets built by hand: a few kilobytes each that would make a naive reader allocate gigabytes."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Iterable

NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
HEADER = ["统一社会信用代码", "企业名称", "行政区划代码", "成立年份"]

CONTENT_TYPES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Override PartName="/xl/workbook.xml"
 ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>
<Override PartName="/xl/worksheets/sheet1.xml"
 ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>
{shared}
</Types>"""
SHARED_TYPE = ('<Override PartName="/xl/sharedStrings.xml" '
               'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>')
ROOT_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Target="xl/workbook.xml"
 Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"/>
</Relationships>"""
WORKBOOK = f"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="{NS}" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">
<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>"""
WORKBOOK_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1" Target="worksheets/sheet1.xml"
 Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"/>
{shared}
</Relationships>"""
SHARED_REL = ('<Relationship Id="rId2" Target="sharedStrings.xml" '
              'Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings"/>')


def _inline(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def header_row() -> str:
    return '<row r="1">' + "".join(_inline(f"{col}1", h) for col, h in zip("ABCD", HEADER, strict=True)) + "</row>"


def workbook(sheet_xml: str | Iterable[str], shared_xml: Iterable[str] | None = None, *, prolog: str = "") -> bytes:
    """An XLSX whose first sheet is ``sheet_xml`` (a string or chunks, streamed into the zip)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        shared = shared_xml is not None
        archive.writestr("[Content_Types].xml", CONTENT_TYPES.format(shared=SHARED_TYPE if shared else ""))
        archive.writestr("_rels/.rels", ROOT_RELS)
        archive.writestr("xl/workbook.xml", WORKBOOK)
        archive.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS.format(shared=SHARED_REL if shared else ""))
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as part:
            part.write(prolog.encode())
            for chunk in [sheet_xml] if isinstance(sheet_xml, str) else sheet_xml:
                part.write(chunk.encode())
        if shared:
            with archive.open("xl/sharedStrings.xml", "w", force_zip64=True) as part:
                for chunk in shared_xml:
                    part.write(chunk.encode())
    return out.getvalue()


def sheet(rows: str, dimension: str = "") -> str:
    dim = f'<dimension ref="{dimension}"/>' if dimension else ""
    return (f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{NS}">{dim}'
            f"<sheetData>{rows}</sheetData></worksheet>")


def data_row(number: int, values: list[str]) -> str:
    return f'<row r="{number}">' + "".join(_inline(f"{col}{number}", v) for col, v in zip("ABCD", values,
                                                                                           strict=False)) + "</row>"


GOOD_ROW = ["91330106MA2B3C4D5E", "示例企业", "330106", "2012"]


def huge_dimension() -> bytes:
    """About 1.5 KB that declares A1:XFD1048576: openpyxl pads a million rows to 16,384 cells each."""
    return workbook(sheet(header_row() + data_row(2, GOOD_ROW), dimension="A1:XFD1048576"))


def far_row() -> bytes:
    """No dimension, but one cell in the last row Excel allows: a million empty rows before it."""
    return workbook(sheet(header_row() + '<row r="1048576"><c r="A1048576"><v>1</v></c></row>'))


def wide_row(cells: int = 2_000_000) -> bytes:
    """One row of two million cells (a few hundred kilobytes compressed)."""
    def chunks() -> Iterable[str]:
        yield f'<?xml version="1.0" encoding="UTF-8"?><worksheet xmlns="{NS}"><sheetData>' + header_row()
        yield '<row r="2">'
        for _ in range(cells // 10_000):
            yield "<c><v>1</v></c>" * 10_000
        yield "</row></sheetData></worksheet>"

    return workbook(chunks())


def shared_strings_bomb(megabytes: int) -> bytes:
    """A shared-strings part of ``megabytes`` MB of one-letter strings, compressed to a fraction of that."""
    piece = "<si><t>a</t></si>" * 6000  # about 100 KB

    def chunks() -> Iterable[str]:
        yield f'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="{NS}">'
        for _ in range(megabytes * 10):
            yield piece
        yield "</sst>"

    rows = header_row() + '<row r="2"><c r="A2" t="s"><v>0</v></c></row>'
    return workbook(sheet(rows), shared_xml=chunks())


BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
"""


def billion_laughs() -> bytes:
    body = sheet(header_row() + '<row r="2"><c r="A2" t="inlineStr"><is><t>&lol9;</t></is></c></row>')
    return workbook(body.split("?>", 1)[1], prolog=BILLION_LAUGHS)


def good_workbook(rows: int) -> bytes:
    """A plain file of ``rows`` data rows, for the control: the limits must not stop real files."""
    import random

    from openpyxl import Workbook

    from enterprises.uscc import make_uscc

    rng = random.Random(rows)
    book = Workbook(write_only=True)
    ws = book.create_sheet()
    ws.append(HEADER)
    for i in range(rows):
        ws.append([make_uscc("330106", rng), f"示例企业{i}", "330106", 2012])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
