"""Load the bundled GB/T 2260 regions (every province; Zhejiang's cities and counties as of 2024)."""

import csv
from pathlib import Path

from django.db import migrations

CSV = Path(__file__).resolve().parent.parent / "data" / "regions.csv"


def load(apps, schema_editor):
    Region = apps.get_model("enterprises", "Region")
    with open(CSV, newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    order = {"province": 0, "city": 1, "county": 2}
    for row in sorted(rows, key=lambda r: order[r["level"]]):
        code, level, parent = row["code"], row["level"], row["parent_code"] or None
        Region.objects.update_or_create(
            code=code,
            defaults={
                "name": row["name"], "name_en": row["name_en"], "level": level, "parent_id": parent,
                "city_code": code if level == "city" else (parent if level == "county" else ""),
                "province_code": code[:2] + "0000",
            },
        )


class Migration(migrations.Migration):
    dependencies = [("enterprises", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
