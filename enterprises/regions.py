"""Loading GB/T 2260 regions from CSV (``code,name,name_en,level,parent_code``)."""

from __future__ import annotations

import csv
from pathlib import Path

from django.db import transaction
from django.utils.translation import gettext as _

from .models import Region, RegionLevel

BUNDLED_CSV = Path(__file__).resolve().parent / "data" / "regions.csv"


class RegionFileError(ValueError):
    pass


def _level_of(code: str) -> str:
    if code.endswith("0000"):
        return RegionLevel.PROVINCE
    if code.endswith("00"):
        return RegionLevel.CITY
    return RegionLevel.COUNTY


def read_regions(path: Path) -> list[dict[str, str]]:
    """Read and check a region file; raise RegionFileError naming the line and column of the first problem."""
    rows: list[dict[str, str]] = []
    try:
        with open(path, newline="", encoding="utf-8-sig") as handle:
            reader = csv.DictReader(handle)
            missing = {"code", "name"} - set(reader.fieldnames or [])
            if missing:
                raise RegionFileError(_("%(path)s: missing column(s) %(cols)s") % {"path": path,
                                                                                  "cols": ", ".join(sorted(missing))})
            for line, row in enumerate(reader, start=2):
                code = (row.get("code") or "").strip()
                if len(code) != 6 or not code.isdigit():
                    raise RegionFileError(_("line %(line)s, column code: %(code)r is not a six-digit code")
                                          % {"line": line, "code": code})
                if not (row.get("name") or "").strip():
                    raise RegionFileError(_("line %(line)s, column name: empty") % {"line": line})
                level = (row.get("level") or "").strip() or _level_of(code)
                if level not in RegionLevel.values:
                    raise RegionFileError(_("line %(line)s, column level: unknown level %(level)r")
                                          % {"line": line, "level": level})
                rows.append({"code": code, "name": row["name"].strip(), "name_en": (row.get("name_en") or "").strip(),
                             "level": level, "parent_code": (row.get("parent_code") or "").strip()})
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise RegionFileError(f"{path}: {exc}")
    return rows


def _derived_parent(code: str, level: str) -> str:
    if level == RegionLevel.COUNTY:
        return code[:4] + "00"
    if level == RegionLevel.CITY:
        return code[:2] + "0000"
    return ""


@transaction.atomic
def load_regions(path: Path = BUNDLED_CSV) -> tuple[int, int]:
    """Create or update regions from a CSV; parents are linked after all rows exist. Returns (created, updated).

    A county whose city is not in the data (e.g. 省直辖县) is linked to its province.
    """
    rows = read_regions(path)
    known = set(Region.objects.values_list("code", flat=True)) | {r["code"] for r in rows}
    created = updated = 0
    order = {RegionLevel.PROVINCE: 0, RegionLevel.CITY: 1, RegionLevel.COUNTY: 2}
    for row in sorted(rows, key=lambda r: order[r["level"]]):
        code, level = row["code"], row["level"]
        parent = row["parent_code"] or _derived_parent(code, level)
        if parent and parent not in known:
            parent = code[:2] + "0000" if code[:2] + "0000" in known and code[:2] + "0000" != code else ""
        city_code = code if level == RegionLevel.CITY else (parent if level == RegionLevel.COUNTY
                                                            and parent.endswith("00") and not parent.endswith("0000")
                                                            else "")
        _, was_created = Region.objects.update_or_create(
            code=code,
            defaults={"name": row["name"], "name_en": row["name_en"], "level": level, "parent_id": parent or None,
                      "city_code": city_code, "province_code": code[:2] + "0000"},
        )
        created += was_created
        updated += not was_created
    return created, updated
