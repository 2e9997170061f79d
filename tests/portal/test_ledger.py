"""The enterprise's own ledger on the portal: its history with labels, never the reviewers' internal notes or
another enterprise's rows (an account acting for several sees the chosen one), the same queries however long
the history."""

from __future__ import annotations

from typing import Any

from django.test import Client
from django.urls import reverse

from tests.factories import MembershipFactory
from tests.registry.conftest import make_enterprise
from tests.registry.ledger_data import RAW_CODES, add_history


def test_member_sees_the_ledger_without_internal_notes(db: Any) -> None:
    firm = make_enterprise("A", owner="owner-ledger")
    add_history(firm)
    client = Client()
    client.force_login(firm.owner)
    text = client.get(reverse("portal:ledger")).content.decode()
    for seen in ("专精特新中小企业", "已撤销", "71.50", "↑", "政策宣讲0", "营业收入下降 0"):
        assert seen in text, seen
    assert "内部：财务数据存疑" not in text
    assert "研发投入强" not in text  # the reviewers' reason for the pool entry stays in the admin
    assert not [code for code in RAW_CODES if code in text]
    assert reverse("portal:ledger") in client.get(reverse("portal:support")).content.decode()


def test_ledger_in_english(db: Any) -> None:
    firm = make_enterprise("A", owner="owner-ledger")
    add_history(firm)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(firm.owner)
    text = client.get(reverse("portal:ledger")).content.decode()
    assert "Our ledger" in text and "Tiers held over time" in text and "Revoked" in text
    assert not [code for code in RAW_CODES if code in text]


def test_ledger_follows_the_chosen_enterprise_only(db: Any) -> None:
    first = make_enterprise("A", owner="agency")
    second = make_enterprise("A")
    MembershipFactory(user=first.owner, enterprise=second, role="member")
    stranger = make_enterprise("A")
    for firm, mark in ((first, "甲"), (second, "乙"), (stranger, "丙")):
        add_history(firm)
        firm.support_records.filter(internal=False).update(what=f"走访{mark}")
    client = Client()
    client.force_login(first.owner)
    text = client.get(reverse("portal:ledger")).content.decode()
    assert "走访甲" in text and "走访乙" not in text and "走访丙" not in text
    client.post("/switch/", {"enterprise": second.pk})
    text = client.get(reverse("portal:ledger")).content.decode()
    assert "走访乙" in text and "走访甲" not in text and "走访丙" not in text
    assert client.post("/switch/", {"enterprise": stranger.pk}).status_code == 404


def test_ledger_query_count_does_not_grow_with_the_history(db: Any, django_assert_num_queries: Any) -> None:
    firm = make_enterprise("A", owner="owner-ledger")
    add_history(firm)
    client = Client()
    client.force_login(firm.owner)
    client.get(reverse("portal:ledger"))
    # session, user, membership, then certifications, assessments, pool entries, support, applications, alerts
    with django_assert_num_queries(9):
        client.get(reverse("portal:ledger"))
    add_history(firm, 3, start=1)
    with django_assert_num_queries(9):
        assert client.get(reverse("portal:ledger")).status_code == 200
