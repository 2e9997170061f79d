"""The support ledger (帮扶台账): records for pooled enterprises, due follow-ups in the reviewers' queue, what the
enterprise sees on the portal (never the internal notes), and the region restriction."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone

from registry import pool, support
from registry.models import SupportKind, SupportRecord
from tests.factories import reviewer
from tests.registry.conftest import make_enterprise

TODAY = timezone.localdate()
DAY = datetime.timedelta(days=1)


@pytest.fixture
def pooled(db: Any, county: Any) -> Any:
    firm = make_enterprise("A", owner="owner-pooled")
    pool.add_to_pool(county, [firm], "hidden_champion", "strong niche product")
    return firm


def visit() -> SupportKind:
    return SupportKind.objects.get(code="visit")


def test_support_kinds_are_a_managed_list(db: Any) -> None:
    assert {"visit", "training", "financing", "policy", "diagnosis"} <= set(
        SupportKind.objects.values_list("code", flat=True))


def test_record_ties_to_the_current_pool_entry(pooled: Any, county: Any) -> None:
    record = support.record_support(county, pooled, kind=visit(), happened_on=TODAY, by_label="西湖区经信局",
                                    what="走访了解研发投入", follow_up_on=TODAY + 30 * DAY)
    assert record.pool_entry.tier == "hidden_champion" and record.by == county


def test_only_pooled_enterprises_have_a_ledger(db: Any, county: Any) -> None:
    firm = make_enterprise("B")
    with pytest.raises(ValidationError):
        support.record_support(county, firm, kind=visit(), happened_on=TODAY, by_label="x", what="visit")


def test_follow_up_cannot_precede_the_support(pooled: Any, county: Any) -> None:
    with pytest.raises(ValidationError):
        support.record_support(county, pooled, kind=visit(), happened_on=TODAY, by_label="x", what="visit",
                               follow_up_on=TODAY - DAY)
    assert not SupportRecord.objects.exists()


def test_due_follow_ups_are_in_the_queue_until_done(pooled: Any, county: Any, client: Any,
                                                    django_assert_num_queries: Any) -> None:
    due = support.record_support(county, pooled, kind=visit(), happened_on=TODAY - 40 * DAY, by_label="局",
                                 what="首次走访", follow_up_on=TODAY - DAY)
    support.record_support(county, pooled, kind=visit(), happened_on=TODAY, by_label="局", what="回访",
                           follow_up_on=TODAY + 10 * DAY)
    assert list(SupportRecord.objects.due()) == [due]
    client.force_login(county)
    url = reverse("admin:registry_supportrecord_changelist") + "?follow_up=due"
    client.get(url)
    with django_assert_num_queries(10):  # with the admin header's unread-notification badge
        page = client.get(url).content.decode()
    assert page.count('class="action-select"') == 1
    support.complete_follow_ups(county, [due], "已回访，研发费用已提升")
    assert not SupportRecord.objects.due().exists()
    with pytest.raises(ValidationError):
        support.complete_follow_ups(county, [due])


def test_portal_shows_support_but_never_internal_notes(pooled: Any, county: Any, client: Any,
                                                       django_assert_num_queries: Any) -> None:
    support.record_support(county, pooled, kind=visit(), happened_on=TODAY, by_label="西湖区经信局",
                           what="政策宣讲：研发费用加计扣除")
    support.record_support(county, pooled, kind=visit(), happened_on=TODAY, by_label="西湖区经信局",
                           what="内部：财务数据存疑", internal=True)
    client.force_login(pooled.owner)
    client.get(reverse("portal:support"))
    with django_assert_num_queries(4):  # session, user, membership, then support (the ledger has its own page)
        page = client.get(reverse("portal:support")).content.decode()
    assert "研发费用加计扣除" in page and "财务数据存疑" not in page
    assert 'id="ledger"' in page


def test_reviewer_of_another_county_or_province_cannot_record_or_see(pooled: Any, county: Any) -> None:
    record = support.record_support(county, pooled, kind=visit(), happened_on=TODAY, by_label="x", what="visit",
                                    follow_up_on=TODAY)
    for outsider in (reviewer("county", "330203", username="county-nb"),
                     reviewer("province", "320000", username="province-js")):
        with pytest.raises(PermissionDenied):
            support.record_support(outsider, pooled, kind=visit(), happened_on=TODAY, by_label="x", what="v")
        with pytest.raises(PermissionDenied):
            support.complete_follow_ups(outsider, [record])
        assert SupportRecord.objects.restrict(outsider).count() == 0
