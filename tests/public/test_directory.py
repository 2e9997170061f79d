"""The directory, the announcements and the open data: searchable by partial Chinese name, USCC, region and
tier; the downloads match the directory; every text cell is safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

import pytest
from django.db import connection
from django.db.models import Q
from django.urls import reverse

from public.opendata import neutralise
from tests.conftest import using_postgres
from tests.factories import EnterpriseFactory, certify

pytestmark = pytest.mark.django_db


def names(html: str, world: Any) -> set[str]:
    everyone = [world.valid, world.expired, world.revoked, world.announced.certification]
    return {c.enterprise.name for c in everyone if c.enterprise.name in html}


def test_search_by_partial_chinese_name(world: Any, client: Any) -> None:
    html = client.get("/public/directory/", {"q": "瑞安精密"}).content.decode()
    assert names(html, world) == {"温州瑞安精密轴承有限公司"}
    html = client.get("/public/directory/", {"q": "有限公司"}).content.decode()
    assert names(html, world) == {"温州瑞安精密轴承有限公司", "嘉兴恒信电子科技有限公司", "湖州金利阀门有限公司",
                                  "绍兴宏博智能装备有限公司"}
    assert "No certification matches" in client.get("/public/directory/", {"q": "不存在的名字"}).content.decode()


def test_search_by_uscc_region_and_tier(world: Any, client: Any) -> None:
    uscc = world.revoked.enterprise.uscc
    assert names(client.get("/public/directory/", {"q": uscc.lower()}).content.decode(), world) == {
        "湖州金利阀门有限公司"}
    assert names(client.get("/public/directory/", {"region": "330300"}).content.decode(), world) == {
        "温州瑞安精密轴承有限公司"}
    assert names(client.get("/public/directory/", {"tier": "specialised_sme"}).content.decode(), world) == {
        "温州瑞安精密轴承有限公司"}
    bad = client.get("/public/directory/", {"region": "999999", "tier": "gold"}).content.decode()
    assert "Unknown region code." in bad and "Unknown tier." in bad


def test_each_result_shows_tier_dates_and_validity(world: Any, client: Any) -> None:
    html = client.get("/public/directory/", {"q": "有限公司"}).content.decode()
    for cert, state in ((world.valid, "Valid"), (world.expired, "Expired"), (world.revoked, "Revoked")):
        row = html[html.index(cert.enterprise.name):]
        row = row[:row.index("</tr>")]
        assert cert.granted_on.isoformat() in row and cert.expires_on.isoformat() in row
        assert state in row
    assert "Provincial specialised SME" in html and "Innovative SME" in html


def test_the_directory_query_count_is_constant(world: Any, client: Any,
                                               django_assert_max_num_queries: Any) -> None:
    for n in range(15):
        certify(EnterpriseFactory(name=f"额外企业{n}有限公司"), "innovative_sme", world.valid.granted_on)
    with django_assert_max_num_queries(4):
        client.get("/public/directory/", {"q": "有限公司", "page": "1"})


def test_search_results_are_cached(world: Any, client: Any) -> None:
    assert "温州瑞安精密轴承有限公司" in client.get("/public/directory/", {"q": "瑞安"}).content.decode()
    world.valid.enterprise.__class__.objects.filter(pk=world.valid.enterprise_id).update(name="改名后的企业")
    again = client.get("/public/directory/", {"q": "瑞安"}).content.decode()
    assert "温州瑞安精密轴承有限公司" in again and "改名后的企业" not in again  # served from the cache
    # The page itself is rendered per visitor: the language switch carries this visitor's CSRF token.
    assert 'name="csrfmiddlewaretoken"' in again


def _csv_rows(content: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(content.decode("utf-8-sig"))))


def test_open_data_matches_the_directory(world: Any, client: Any) -> None:
    html = client.get("/public/directory/", {"q": "有限公司"}).content.decode()
    response = client.get("/public/data/directory.csv")
    assert response["Content-Type"].startswith("text/csv") and 'rel="license"' in response["Link"]
    rows = _csv_rows(b"".join(response.streaming_content))
    document = json.loads(b"".join(client.get("/public/data/directory.json").streaming_content))
    assert "CC BY 4.0" in document["licence"] and document["fields"][0] == "uscc"
    assert [dict(r) for r in rows] == [{k: ("" if v is None else v) for k, v in r.items()}
                                       for r in document["records"]]
    by_uscc = {r["uscc"]: r for r in rows}
    for cert, state in ((world.valid, "valid"), (world.expired, "expired"), (world.revoked, "revoked"),
                        (world.announced.certification, "valid")):
        row = by_uscc[cert.enterprise.uscc]
        assert row["name"] in html and row["uscc"] in html
        assert (row["tier"], row["granted_on"], row["expires_on"], row["status"]) == (
            cert.tier, cert.granted_on.isoformat(), cert.expires_on.isoformat(), state)
    assert len(rows) == 4


def test_csv_cells_cannot_become_formulas(world: Any, client: Any) -> None:
    for bad in ("=HYPERLINK(\"http://x\")", "+1", "-1+2", "@SUM(A1)", "\tx", "\rx"):
        assert neutralise(bad) == "'" + bad
    assert neutralise(42) == 42 and neutralise("正常名称") == "正常名称"
    enterprise = world.valid.enterprise
    enterprise.name = "=cmd|' /C calc'!A0"
    enterprise.save()
    rows = _csv_rows(b"".join(client.get("/public/data/directory.csv").streaming_content))
    assert {r["name"] for r in rows if r["uscc"] == enterprise.uscc} == {"'=cmd|' /C calc'!A0"}


def test_announcements_list_page_and_downloads(world: Any, client: Any) -> None:
    announcement = world.announcement
    listing = client.get("/public/announcements/").content.decode()
    assert reverse("public:announcement", args=[announcement.pk]) in listing
    page = client.get(f"/public/announcements/{announcement.pk}/").content.decode()
    assert "绍兴宏博智能装备有限公司" in page and announcement.published_on.isoformat() in page
    assert "window.print()" in page
    rows = _csv_rows(client.get(f"/public/announcements/{announcement.pk}.csv").content)
    assert [(r["no"], r["name"], r["certified_on"]) for r in rows] == [
        ("1", "绍兴宏博智能装备有限公司", announcement.published_on.isoformat())]
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(client.get(f"/public/announcements/{announcement.pk}.xlsx").content))
    sheet = list(book.active.iter_rows(values_only=True))
    assert sheet[0][:3] == ("no", "uscc", "name") and sheet[1][0] == 1 and sheet[1][2] == "绍兴宏博智能装备有限公司"
    data = json.loads(client.get(f"/public/announcements/{announcement.pk}.json").content)
    assert data["records"][0]["name"] == "绍兴宏博智能装备有限公司"
    assert client.get("/public/announcements/999999/").status_code == 404


@pytest.mark.postgres
def test_the_name_search_uses_the_trigram_index(world: Any, postgres_only: None) -> None:
    assert using_postgres()
    from enterprises.models import Enterprise

    # Enough rows for the planner to prefer an index to a scan (names in the demo's style).
    trades = ["精密机械", "电子科技", "新材料", "智能装备", "生物医药", "汽车零部件", "光电", "传感器"]
    Enterprise.objects.bulk_create([
        Enterprise(uscc=f"91330106{n:010d}", name=f"浙江{n}号{trades[n % 8]}有限公司", region_id="330106",
                   established_year=2011) for n in range(20000)], batch_size=5000)
    with connection.cursor() as cursor:
        # Rows inserted after the index was built wait in GIN's pending list (autovacuum merges them later).
        cursor.execute("SELECT gin_clean_pending_list('enterprise_name_upper_trgm')")
        cursor.execute("ANALYZE enterprises_enterprise")
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'enterprise_name_upper_trgm'")
        (definition,) = cursor.fetchone()
        assert "gin_trgm_ops" in definition
        from registry.models import Certification

        sql, params = (Certification.objects.filter(enterprise__name__icontains="精密轴承")
                       .values("id").query.sql_with_params())
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
        assert "enterprise_name_upper_trgm" in plan, plan

        # The admin's search (the name anywhere in it, or the exact credit code) and the API's ``?search=``
        # (either anywhere) OR a condition on the credit code with the name's: both sides are indexed.
        cursor.execute("SELECT gin_clean_pending_list('enterprise_uscc_upper_trgm')")
        for condition in (Q(name__icontains="精密轴承") | Q(uscc__iexact="91330106000000123X"),
                          Q(name__icontains="0001234") | Q(uscc__icontains="0001234")):
            sql, params = Enterprise.objects.filter(condition).values("id").query.sql_with_params()
            cursor.execute("EXPLAIN " + sql, params)
            plan = "\n".join(row[0] for row in cursor.fetchall())
            assert "enterprise_uscc_upper_trgm" in plan and "Seq Scan" not in plan, plan
