"""Time the import of a 10,000-row figures file (the issue asks for under a minute).

    DATABASE_URL=postgres://... python bench/bench_import.py --rows 10000 --format xlsx

Generates a file with the official Chinese headers (new enterprises, each with a financial year and a
declaration), imports it through the same path as ``manage.py import_figures``, prints the times, and rolls
the import back unless ``--keep`` is given. Run ``manage.py migrate`` on the database first.
"""

from __future__ import annotations

import argparse
import io
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.db import transaction  # noqa: E402

from enterprises.importer import import_file  # noqa: E402
from enterprises.uscc import make_uscc  # noqa: E402

HEADER = ["统一社会信用代码", "企业名称", "行政区划代码", "成立年份", "年度", "营业收入（万元）",
          "主营业务收入（万元）", "研发费用（万元）", "净利润（万元）", "资产总额（万元）",
          "负债总额（万元）", "从业人员数", "研发人员数"]
COUNTIES = ["330106", "330108", "330203", "330205", "330302", "330402", "330502", "330602", "330702"]


def make_rows(n: int, seed: int) -> list[list]:
    rng = random.Random(seed)
    rows = []
    for i in range(n):
        region = rng.choice(COUNTIES)
        revenue = rng.randint(500, 80000)
        employees = rng.randint(10, 900)
        rows.append([
            make_uscc(region, rng), f"基准测试企业{i:05d}有限公司", region, rng.randint(1995, 2020), 2025,
            revenue, int(revenue * rng.uniform(0.5, 1.0)), round(revenue * rng.uniform(0.01, 0.08), 2),
            round(revenue * rng.uniform(-0.05, 0.15), 2), revenue * 2, int(revenue * rng.uniform(0.3, 1.5)),
            employees, rng.randint(0, employees // 3),
        ])
    return rows


def encode(rows: list[list], fmt: str) -> bytes:
    if fmt == "csv":
        import csv

        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(HEADER)
        writer.writerows(rows)
        return buffer.getvalue().encode("utf-8")
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet()
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


class Rollback(Exception):
    pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=10000)
    parser.add_argument("--format", choices=["csv", "xlsx"], default="xlsx")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", action="store_true", help="keep the imported rows instead of rolling back")
    args = parser.parse_args()

    content = encode(make_rows(args.rows, args.seed), args.format)
    engine = django.conf.settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    print(f"{args.rows} rows, {args.format}, {len(content) / 1024:.0f} KiB, database {engine}")
    started = time.perf_counter()
    dry = import_file(content, f"bench.{args.format}", dry_run=True)
    checked = time.perf_counter() - started
    print(f"dry run (read + validate): {checked:.1f} s, {len(dry.errors)} errors")
    started = time.perf_counter()
    try:
        with transaction.atomic():
            result = import_file(content, f"bench.{args.format}")
            elapsed = time.perf_counter() - started
            if not args.keep:
                raise Rollback
    except Rollback:
        pass
    print(f"import (read + validate + write + audit): {elapsed:.1f} s; {result.summary()}")
    print("rolled back" if not args.keep else "kept")


if __name__ == "__main__":
    main()
