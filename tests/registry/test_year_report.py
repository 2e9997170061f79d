"""The yearly progress report of a region: per tier the target and what it achieved as the target counts, new
certifications, the pool, the visits and the open alerts of the year; the page and its XLSX held to the reader's
region; a bad year refused with 400."""

from __future__ import annotations

import datetime
import io
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from enterprises.models import Region
from registry.models import Plan, PoolEntry, RiskAlert, SupportKind, SupportRecord, Target
from tests.factories import EnterpriseFactory, UserFactory, certify, reviewer

D = datetime.date
URL = "insights:year_report"


def firm(code: str) -> Any:
    return EnterpriseFactory(region=Region.objects.get(code=code))


@pytest.fixture
def figures(db: Any) -> dict[str, Any]:
    plan = Plan.objects.create(name="测试计划 2017–2019", first_year=2017, last_year=2019)
    Target.objects.create(plan=plan, region_id="330000", tier="specialised_sme", value=4, semantics="new")
    Target.objects.create(plan=plan, region_id="330100", tier="specialised_sme", value=2, semantics="new")
    Target.objects.create(plan=plan, region_id="330000", tier="innovative_sme", value=10, semantics="active")
    xihu, haishu, older = firm("330106"), firm("330203"), firm("330106")
    certify(xihu, "specialised_sme", D(2019, 3, 1))
    certify(haishu, "specialised_sme", D(2019, 4, 1))
    certify(older, "specialised_sme", D(2016, 5, 1), D(2022, 5, 1))  # in force, but not new in 2019
    certify(older, "innovative_sme", D(2018, 1, 1))
    entry = PoolEntry.objects.create(enterprise=xihu, tier="little_giant", entered_on=D(2019, 2, 1),
                                     entry_reason="strong R&D")
    PoolEntry.objects.create(enterprise=haishu, tier="little_giant", entered_on=D(2019, 2, 1),
                             exited_on=D(2019, 6, 1), exit_reason="removed", entry_reason="x")  # gone by year end
    visit = SupportKind.objects.get(code="visit")
    for day in (D(2019, 5, 1), D(2019, 9, 1), D(2020, 1, 5)):  # the last one falls in the next year
        SupportRecord.objects.create(enterprise=xihu, pool_entry=entry, kind=visit, happened_on=day,
                                     by_label="西湖区经信局", what="走访")
    RiskAlert.objects.create(key="revenue_down:x:2019", enterprise=xihu, rule="revenue_down", message="down",
                             raised_on=D(2019, 7, 1))
    return {"xihu": xihu, "haishu": haishu}


def lines(response: Any) -> dict[str, Any]:
    return {line.tier: line for line in response.context["report"].lines}


def test_province_report_counts_each_figure_as_its_target_says(figures: dict, province: Any) -> None:
    client = Client()
    client.force_login(province)
    response = client.get(reverse(URL), {"year": "2019"})
    assert response.status_code == 200
    got = lines(response)
    sme = got["specialised_sme"]
    assert (sme.target, sme.semantics, sme.achieved, sme.new) == (4, "new", 2, 2)
    assert got["innovative_sme"].achieved == 1 and got["innovative_sme"].new == 0  # first certified in 2018
    giant = got["little_giant"]
    assert (giant.target, giant.pool, giant.visits, giant.alerts) == (None, 1, 2, 1)
    assert response.context["report"].region.code == "330000"


def test_city_reviewer_sees_only_their_city(figures: dict, city: Any) -> None:
    client = Client()
    client.force_login(city)
    response = client.get(reverse(URL), {"year": "2019"})
    sme = lines(response)["specialised_sme"]
    assert response.context["report"].region.code == "330100"
    assert (sme.target, sme.achieved, sme.new) == (2, 1, 1)  # Ningbo's certification is not theirs
    assert client.get(reverse(URL), {"year": "2019", "region": "330000"}).status_code == 404
    assert client.get(reverse(URL), {"year": "2019", "region": "330200"}).status_code == 404


def test_reviewer_of_another_province_sees_nothing_of_zhejiang(figures: dict) -> None:
    outsider = reviewer("province", "320000", username="province-js")
    client = Client()
    client.force_login(outsider)
    for region in ("330000", "330100", "330106"):
        assert client.get(reverse(URL), {"year": "2019", "region": region}).status_code == 404
        assert client.get(reverse("insights:year_report_export"),
                          {"year": "2019", "region": region}).status_code == 404
    own = client.get(reverse(URL), {"year": "2019"})
    assert own.context["report"].region.code == "320000"
    assert all((line.achieved, line.new, line.pool, line.visits, line.alerts) == (0, 0, 0, 0, 0)
               for line in own.context["report"].lines)


@pytest.mark.parametrize("year", ["abc", "1800", "2019.5", "99999"])
def test_bad_year_is_a_400_naming_the_field(figures: dict, province: Any, year: str) -> None:
    client = Client()
    client.force_login(province)
    for name in (URL, "insights:year_report_export"):
        response = client.get(reverse(name), {"year": year})
        assert response.status_code == 400
        assert "year" in response.content.decode()


def test_xlsx_holds_the_same_lines(figures: dict, province: Any) -> None:
    client = Client()
    client.force_login(province)
    response = client.get(reverse("insights:year_report_export"), {"year": "2019", "region": "330000"})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="progress-330000-2019')
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[0][:2] == ["梯度层级", "目标"]
    sme = next(r for r in rows if r[0] == "省级专精特新中小企业")
    assert sme[1:4] == [4, "新增：期内首次获认定", 2]


def test_page_in_chinese_by_default_and_in_english(figures: dict, province: Any) -> None:
    zh = Client()
    zh.force_login(province)
    text = zh.get(reverse(URL), {"year": "2019"}).content.decode()
    assert "2019 年度培育工作进展报告：浙江省" in text and "年末在库" in text
    en = Client(HTTP_ACCEPT_LANGUAGE="en")
    en.force_login(province)
    text = en.get(reverse(URL), {"year": "2019"}).content.decode()
    assert "cultivation progress report" in text and "Pool at year end" in text


def test_report_query_count_is_pinned(figures: dict, province: Any, django_assert_num_queries: Any) -> None:
    client = Client()
    client.force_login(province)
    client.get(reverse(URL), {"year": "2019"})
    # session, user, permissions (2), reviewer, region, plan, targets and one per counting (3), first
    # certifications, pool, visits, alerts with their pool entries and certifications (3), tiers in force
    with django_assert_num_queries(18):
        client.get(reverse(URL), {"year": "2019"})
    for _ in range(3):  # more enterprises, certifications, visits and alerts: the same queries
        extra = firm("330106")
        certify(extra, "specialised_sme", D(2019, 8, 1))
        RiskAlert.objects.create(key=f"k{extra.pk}", enterprise=extra, rule="revenue_down", message="m",
                                 raised_on=D(2019, 8, 2))
    with django_assert_num_queries(18):
        client.get(reverse(URL), {"year": "2019"})


def test_dashboard_links_to_the_report(figures: dict, province: Any) -> None:
    client = Client()
    client.force_login(province)
    assert reverse(URL) in client.get(reverse("insights:dashboard")).content.decode()



def test_registry_staff_get_the_province_by_default(figures: dict) -> None:
    client = Client()
    client.force_login(UserFactory(username="boss", is_staff=True, is_superuser=True))
    response = client.get(reverse(URL), {"year": "2019"})
    assert response.context["report"].region.code == "330000"
    assert lines(response)["specialised_sme"].new == 2
