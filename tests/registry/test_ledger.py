"""An enterprise's ledger in the admin: everything on one page with labels, held to the reviewer's region, the
same queries however long the history."""

from __future__ import annotations

from typing import Any

from django.test import Client
from django.urls import reverse

from tests.factories import reviewer
from tests.registry.conftest import make_enterprise
from tests.registry.ledger_data import RAW_CODES, add_history


def page(user: Any, enterprise: Any, language: str = "zh-hans") -> Any:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(user)
    return client.get(reverse("insights:enterprise_ledger", args=[enterprise.pk]))


def test_ledger_shows_the_whole_history_with_labels(db: Any, city: Any) -> None:
    firm = make_enterprise("A")
    add_history(firm)
    response = page(city, firm)
    assert response.status_code == 200
    text = response.content.decode()
    for seen in ("专精特新中小企业", "已撤销", "2020-04-01", "62.00", "71.50", "↑", "不再是培育对象", "政策宣讲0",
                 "内部：财务数据存疑0", "营业收入下降 0", "研发投入强"):
        assert seen in text, seen
    assert not [code for code in RAW_CODES if code in text]


def test_ledger_in_english(db: Any, city: Any) -> None:
    firm = make_enterprise("A")
    add_history(firm)
    text = page(city, firm, "en").content.decode()
    assert "Tiers held over time" in text and "Provincial specialised SME" in text and "Revoked" in text
    assert "Operating revenue down on the year" in text
    assert not [code for code in RAW_CODES if code in text]


def test_ledger_is_held_to_the_reviewers_region(db: Any, county: Any) -> None:
    firm = make_enterprise("A")  # in 西湖区, Hangzhou
    add_history(firm)
    assert page(county, firm).status_code == 200
    for outsider in (reviewer("county", "330203", username="county-nb"),
                     reviewer("city", "330200", username="city-nb"),
                     reviewer("province", "320000", username="province-js")):
        assert page(outsider, firm).status_code == 404


def test_enterprise_admin_links_to_the_ledger(db: Any, city: Any) -> None:
    firm = make_enterprise("A")
    client = Client()
    client.force_login(city)
    text = client.get(reverse("admin:enterprises_enterprise_change", args=[firm.pk])).content.decode()
    assert reverse("insights:enterprise_ledger", args=[firm.pk]) in text


def test_ledger_query_count_does_not_grow_with_the_history(db: Any, city: Any, django_assert_num_queries: Any) -> None:
    firm = make_enterprise("A")
    add_history(firm)
    client = Client()
    client.force_login(city)
    url = reverse("insights:enterprise_ledger", args=[firm.pk])
    client.get(url)
    # session, user, permissions (2), reviewer, enterprise, then certifications, assessments, pool entries,
    # support, applications, alerts, and the admin header's unread-notification badge
    with django_assert_num_queries(13):
        client.get(url)
    add_history(firm, 3, start=1)
    with django_assert_num_queries(13):
        assert client.get(url).status_code == 200
