"""Demo data for the cultivation pool (called by ``seed_demo`` in one line): proposals found by discovery
(some pending), accepted entries with visits and due follow-ups, one alert of each kind, and a 2026–2030 plan
with per-city targets at different completion rates. Idempotent: a second run adds nothing twice."""

from __future__ import annotations

import datetime
import random
from typing import Any

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from core.audit import acting_as
from enterprises.models import Declaration, Enterprise, FinancialYear, Region
from enterprises.services import figures_changed

from . import alerts, pool, support
from .models import Certification, Plan, PoolProposal, RiskAlert, SupportKind, SupportRecord, Target

DEMO_PLAN = "浙江省优质中小企业梯度培育 2026–2030（演示）"


def seed_pool(year: int, seed: int = 1, on: datetime.date | None = None) -> dict[str, int]:
    on = on or timezone.localdate()
    rng = random.Random(seed)
    actor = get_user_model().objects.filter(is_superuser=True).first()
    made = {"proposals": pool.discover_for_region("330000", year=year)}
    pool.advise_all()
    with acting_as(actor, label="command:seed_demo", source="command"):
        pending = list(PoolProposal.objects.pending().filter(advised=True).order_by("pk"))
        accept = pending[: max(1, len(pending) // 2)]
        if accept and actor is not None:
            made["accepted"] = len(pool.accept_proposals(actor, accept, "演示：走访后确认入库",
                                                         on=on - datetime.timedelta(days=120)))
        _visits(actor, rng, on, made)
        _alert_cases(on, year)
        made["alerts"] = alerts.raise_alerts(on)
        _plan(rng, on)
    return made


def _visits(actor: Any, rng: random.Random, on: datetime.date, made: dict[str, int]) -> None:
    if actor is None or SupportRecord.objects.exists():
        return
    kinds = list(SupportKind.objects.filter(active=True))
    entries = list(pool.PoolEntry.objects.current().select_related("enterprise").order_by("pk")[:40])
    count = 0
    for i, entry in enumerate(entries):
        happened = on - datetime.timedelta(days=rng.randint(20, 100))
        follow = happened + datetime.timedelta(days=rng.choice([14, 30, 60, 150]))  # some already due
        support.record_support(actor, entry.enterprise, kind=kinds[i % len(kinds)], happened_on=happened,
                               by_label="区经信局 企业服务科",
                               what="走访企业，了解研发投入和专利布局，宣讲梯度培育政策",
                               follow_up_on=follow, outcome="企业计划今年新增发明专利 2 件")
        if i % 3 == 0:
            support.record_support(actor, entry.enterprise, kind=kinds[0], happened_on=happened,
                                   by_label="区经信局", what="内部备注：财务数据待核实", internal=True)
        count += 1
    made["visits"] = count


@transaction.atomic
def _alert_cases(on: datetime.date, year: int) -> None:
    """Make sure each alert rule has a case among the watched enterprises."""
    if RiskAlert.objects.exists():
        return
    watched = list(Enterprise.objects.filter(pk__in=alerts.watched(on)).order_by("pk")[:4])
    if len(watched) < 4:
        return
    down, flagged, late, expiring = watched
    row = FinancialYear.objects.filter(enterprise=down, year=year - 1).first()
    if row and row.operating_revenue:
        FinancialYear.objects.filter(enterprise=down, year=year).update(
            operating_revenue=row.operating_revenue / 2, main_business_revenue=row.operating_revenue * 9 / 20
            if row.main_business_revenue is not None else None)
    Declaration.objects.filter(enterprise=flagged, year=year).update(abnormal_operations_list=True)
    cert = Certification.objects.valid_on(on).filter(enterprise=late).first()
    if cert is not None:
        Declaration.objects.filter(enterprise=late, year=year).delete()
    # Demo figures written in bulk: counted as a figures change, like the services' own writes.
    figures_changed([down.pk, flagged.pk, late.pk])
    cert = Certification.objects.valid_on(on).filter(enterprise=expiring).first() or Certification.objects.filter(
        enterprise__in=watched).first()
    if cert is not None:
        Certification.objects.filter(pk=cert.pk).update(
            granted_on=on - datetime.timedelta(days=3 * 365 - 40), expires_on=on + datetime.timedelta(days=40))


def _plan(rng: random.Random, on: datetime.date) -> None:
    plan, created = Plan.objects.get_or_create(name=DEMO_PLAN, defaults={
        "first_year": 2026, "last_year": 2030, "source": "演示数据（非正式目标）"})
    if not created:
        return
    province = Region.objects.get(code="330000")
    cities = list(Region.objects.filter(level="city", province_code="330000").order_by("code"))
    counts = dict(Certification.objects.valid_on(on).filter(tier="innovative_sme")
                  .values_list("enterprise__region__city_code").annotate(n=Count("id"))
                  .values_list("enterprise__region__city_code", "n"))
    total = 0
    for i, city in enumerate(cities):
        have = counts.get(city.code, 0)
        rate = (0.35, 0.6, 0.85, 1.1)[i % 4]  # cities at different completion rates
        value = max(5, round(have / rate)) if have else 5 + i
        total += value
        Target.objects.create(plan=plan, region=city, tier="innovative_sme", semantics="active", value=value)
        Target.objects.create(plan=plan, region=city, tier="specialised_sme", semantics="cumulative",
                              value=max(2, value // 4))
    Target.objects.create(plan=plan, region=province, tier="innovative_sme", semantics="active", value=total)
    Target.objects.create(plan=plan, region=province, tier="specialised_sme", semantics="cumulative",
                          value=max(2, total // 4))
    Target.objects.create(plan=plan, region=province, tier="single_champion", semantics="new", value=30)
