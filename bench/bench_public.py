"""Time the public directory on a large registry (PostgreSQL: the trigram index is what is measured).

    DATABASE_URL=postgres://... python bench/bench_public.py --enterprises 1000000

Fills the database in one transaction (enterprises with varied Chinese names across Zhejiang's counties, one
certification each for 60 % of them, in SQL with ``generate_series``), merges GIN's pending list and analyses,
then times the directory's searches as the page runs them (partial name, rare and common; USCC; city and tier)
and the first kilobytes of the open-data CSV, prints each plan's index, and rolls everything back. Run
``manage.py migrate`` first.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402

from evaluation.versions import get_ruleset_version  # noqa: E402
from public import directory, opendata  # noqa: E402

TRADES = ["精密机械", "电子科技", "新材料", "智能装备", "生物医药", "汽车零部件", "光电", "传感器", "仪器仪表", "阀门",
          "轴承", "模具", "环保设备", "医疗器械", "新能源", "半导体", "工业软件", "纺织机械", "泵业", "化工材料"]
HEADS = list("华东浙新中恒瑞精博海天嘉永正宏安信明德金利创远晨宇泰鼎诚卓越")


class Rollback(Exception):
    pass


def fill(n: int) -> None:
    trades = "ARRAY[" + ",".join(f"'{t}'" for t in TRADES) + "]"
    heads = "ARRAY[" + ",".join(f"'{h}'" for h in HEADS) + "]"
    with connection.cursor() as cursor:
        cursor.execute("SELECT code FROM enterprises_region WHERE level = 'county' AND province_code = '330000'")
        counties = [row[0] for row in cursor.fetchall()]
        county_array = "ARRAY[" + ",".join(f"'{c}'" for c in counties) + "]"
        cursor.execute(f"""
            INSERT INTO enterprises_enterprise (uscc, name, region_id, sector, established_year, address,
                contact_name, contact_phone, contact_email, size_class, current_tier, held_tiers, needs_rescore,
                created_at, updated_at)
            SELECT 'B' || lpad(g::text, 17, '0'),
                   ({heads})[1 + g %% {len(HEADS)}] || ({heads})[1 + (g / 7) %% {len(HEADS)}] || g::text
                       || ({trades})[1 + (g / 3) %% {len(TRADES)}] || '有限公司',
                   ({county_array})[1 + g %% {len(counties)}], 'industry', 2011, '', '', '', '', '', '', '',
                   false, now(), now()
            FROM generate_series(1, %s) AS g""", [n])
        ruleset = get_ruleset_version().pk
        cursor.execute("""
            INSERT INTO registry_certification (enterprise_id, tier, ruleset_id, granted_on, expires_on, status,
                revoked_on, revocation_cause, revocation_reason, created_at)
            SELECT id, (ARRAY['innovative_sme','specialised_sme','hidden_champion','little_giant'])[1 + id %% 4],
                   %s, current_date - (id %% 1500)::int, current_date - (id %% 1500)::int + 1095,
                   CASE WHEN id %% 1500 > 1095 THEN 'expired' ELSE 'active' END, NULL, '', '', now()
            FROM enterprises_enterprise WHERE uscc LIKE 'B%%' AND id %% 10 < 6""", [ruleset])
        cursor.execute("SELECT gin_clean_pending_list('enterprise_name_upper_trgm')")
        cursor.execute("ANALYZE enterprises_enterprise")
        cursor.execute("ANALYZE registry_certification")


def timed(label: str, search: directory.Search, repeat: int) -> None:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        rows, more = directory.search(search, offset=0, limit=20)
        times.append((time.perf_counter() - start) * 1000)
    sql, params = search.filter(directory._certifications()).order_by("-id")[:21].query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + sql, params)
        plan = " ".join(row[0] for row in cursor.fetchall())
    index = next((name for name in ("enterprise_name_upper_trgm", "enterprises_enterprise_uscc")
                  if name in plan), "-")
    print(f"{label:<38} {len(rows):>3} rows  median {statistics.median(times):8.1f} ms  "
          f"max {max(times):8.1f} ms  index: {index}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--enterprises", type=int, default=200_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("bench_public measures the PostgreSQL trigram index: set DATABASE_URL=postgres://...")
    try:
        with transaction.atomic():
            start = time.perf_counter()
            fill(args.enterprises)
            print(f"filled {args.enterprises:,} enterprises in {time.perf_counter() - start:.1f} s")
            g = args.enterprises // 2
            timed("name, rare (one enterprise)", directory.Search(q=f"{g}{TRADES[(g // 3) % len(TRADES)]}"),
                  args.repeat)
            timed("name, a trade (精密轴承 absent)", directory.Search(q="精密轴承"), args.repeat)
            timed("name, common (电子科技)", directory.Search(q="电子科技"), args.repeat)
            timed("USCC, exact", directory.Search(q="B" + f"{args.enterprises // 3:017d}"), args.repeat)
            timed("city 330100 + tier", directory.Search(region="330100", tier="specialised_sme"), args.repeat)
            start = time.perf_counter()
            stream = opendata.csv_stream(opendata.DIRECTORY_FIELDS,
                                         (opendata.directory_record(r) for r in directory.all_listings()))
            first = [next(stream) for _ in range(100)]
            print(f"open-data CSV: first 100 rows after {(time.perf_counter() - start) * 1000:.1f} ms "
                  f"({sum(len(x) for x in first)} characters)")
            raise Rollback
    except Rollback:
        print("rolled back")


if __name__ == "__main__":
    main()
