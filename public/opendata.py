"""The open-data files: the directory (CSV, JSON) and each announcement (CSV, JSON, XLSX), with the fields and
licence ``docs/open-data.md`` documents.

A spreadsheet runs a cell that starts with ``=``, ``+``, ``-`` or ``@`` (and some read a leading tab or carriage
return the same way) as a formula: every text cell that starts so gets a leading ``'``. Numbers and dates are
written as they are.
"""

from __future__ import annotations

import csv
import datetime
import io
import json
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from django.utils import timezone

from .directory import Listing

LICENCE = "CC BY 4.0 (https://creativecommons.org/licenses/by/4.0/): reuse freely, naming the provincial " \
          "department of industry and information technology as the source."
SCHEMA_VERSION = "1"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

DIRECTORY_FIELDS = ["uscc", "name", "region_code", "region_name", "tier", "tier_name", "granted_on", "expires_on",
                    "status", "revoked_on"]
ANNOUNCEMENT_FIELDS = ["no", "uscc", "name", "region_code", "region_name", "tier", "tier_name", "certified_on",
                       "expires_on"]


def neutralise(value: Any) -> Any:
    """A cell safe to open in a spreadsheet: text starting like a formula gets a leading quote."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def directory_record(row: Listing) -> dict[str, Any]:
    return {
        "uscc": row.uscc, "name": row.name, "region_code": row.region_code, "region_name": row.region_name,
        "tier": row.tier, "tier_name": row.tier_name, "granted_on": row.granted_on.isoformat(),
        "expires_on": row.expires_on.isoformat(), "status": row.state,
        "revoked_on": row.revoked_on.isoformat() if row.revoked_on else None,
    }


class _Echo:
    def write(self, value: str) -> str:
        return value


def csv_stream(fields: Sequence[str], records: Iterable[dict[str, Any]]) -> Iterator[str]:
    """CSV text row by row (UTF-8 with a BOM so spreadsheets read the Chinese), every cell neutralised."""
    writer = csv.writer(_Echo())
    yield "\ufeff" + writer.writerow(fields)
    for record in records:
        yield writer.writerow([neutralise(record[f]) for f in fields])


def json_stream(dataset: str, fields: Sequence[str], records: Iterable[dict[str, Any]]) -> Iterator[str]:
    """A JSON document with the licence and schema first and the records streamed after."""
    head = {"dataset": dataset, "schema_version": SCHEMA_VERSION, "licence": LICENCE,
            "generated_at": timezone.now().isoformat(timespec="seconds"), "fields": list(fields)}
    yield json.dumps(head, ensure_ascii=False)[:-1] + ', "records": ['
    first = True
    for record in records:
        yield ("" if first else ",") + "\n" + json.dumps(record, ensure_ascii=False)
        first = False
    yield "\n]}\n"


def xlsx_bytes(fields: Sequence[str], records: Iterable[dict[str, Any]]) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    sheet.append(list(fields))
    for record in records:
        sheet.append([neutralise(record[f]) for f in fields])
    sheet.append([])
    sheet.append([LICENCE])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
