"""Deterministic demo data: enterprises across Zhejiang's 11 cities, three years of figures each, drawn from
archetypes so that every tier of the ladder has members.

Used by ``manage.py seed_demo`` and by benchmarks that need many realistic enterprises quickly.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from enterprises.uscc import make_uscc

# Share of each archetype in the generated population (the rest fall short of every tier).
ARCHETYPES: list[tuple[str, float]] = [
    ("below", 0.30),
    ("innovative", 0.38),
    ("specialised", 0.20),
    ("hidden_champion", 0.04),
    ("little_giant", 0.05),
    ("single_champion", 0.03),
]

_NAME_HEAD = list("华东浙新中恒瑞精博海天嘉永正宏安信明德金利创远晨宇泰鼎诚卓越")
_NAME_TAIL = list("科达盛隆通源邦峰汇联智威航腾川润辰杰")
_TRADE = ["精密机械", "电子科技", "新材料", "智能装备", "生物医药", "汽车零部件", "光电", "传感器", "仪器仪表", "阀门",
          "轴承", "模具", "环保设备", "医疗器械", "新能源", "半导体", "工业软件", "纺织机械", "泵业", "化工材料"]


def _d(value: float, places: str = "1") -> Decimal:
    return Decimal(str(value)).quantize(Decimal(places), rounding=ROUND_HALF_UP)


@dataclass
class DemoEnterprise:
    """One generated enterprise: its identity, its archetype and its figures by year."""

    uscc: str
    name: str
    region_code: str
    established_year: int
    archetype: str
    financials: dict[int, dict[str, Decimal]]
    declarations: dict[int, dict[str, Any]]


def _pick_archetype(rng: random.Random) -> str:
    roll, acc = rng.random(), 0.0
    for name, share in ARCHETYPES:
        acc += share
        if roll < acc:
            return name
    return ARCHETYPES[0][0]


def _financial_series(rng: random.Random, years: list[int], revenue: float, growth: list[float], main_share: float,
                      rd_ratio: list[float], margin: float, debt: float) -> dict[int, dict[str, Decimal]]:
    """Financial rows for ``years`` (oldest first); growth[i] applies from years[i-1] to years[i]."""
    rows: dict[int, dict[str, Decimal]] = {}
    revenues = [revenue]
    for g in growth:
        revenues.append(revenues[-1] * (1 + g))
    for year, rev, rd in zip(years, revenues, rd_ratio, strict=True):
        assets = rev * rng.uniform(1.1, 1.9)
        rows[year] = {
            "operating_revenue": _d(rev),
            "main_business_revenue": _d(rev * main_share),
            "rd_expense": _d(rev * rd),
            "net_profit": _d(rev * margin * rng.uniform(0.9, 1.1)),
            "total_assets": _d(assets),
            "total_liabilities": _d(assets * debt),
        }
    return rows


def _declaration(rng: random.Random, archetype: str, employees: int, year: int) -> dict[str, Any]:
    strong = archetype in ("specialised", "hidden_champion", "little_giant", "single_champion")
    top = archetype in ("hidden_champion", "little_giant", "single_champion")
    class_i = rng.randint(4, 12) if top else rng.randint(1, 4) if strong else rng.randint(0, 2)
    return {
        "employees": employees,
        "rd_staff": max(1, int(employees * rng.uniform(0.12, 0.3 if strong else 0.15))),
        "ip_class_i": class_i,
        "ip_class_i_self_developed": class_i if strong else min(class_i, rng.randint(0, 1)),
        "ip_class_i_high_value": min(class_i, rng.randint(1, 3)) if top else 0,
        "ip_class_i_applied": class_i,
        "ip_class_ii": rng.randint(0, 10),
        "invention_patents_applied": class_i,
        "niche_years": rng.randint(11, 20) if top else rng.randint(3, 9) if strong else rng.randint(0, 5),
        "field_years": rng.randint(12, 25) if top else rng.randint(3, 10),
        "new_product": False,
        "main_products": rng.randint(1, 2) if top else rng.randint(1, 4),
        "national_share_pct": _d(rng.uniform(12, 35)) if top else (_d(rng.uniform(1, 8)) if strong else None),
        "national_rank": rng.randint(1, 3) if top else None,
        "global_rank": rng.randint(1, 3) if archetype == "single_champion" else (rng.randint(4, 10) if top else None),
        # Declared for the 2026 rules and, in the demo, already confirmed by the city's reviewers.
        "niche_share_leading": True if strong else None,
        "confirmations": {"market.niche_share_leading": True} if strong else {},
        "strategic_emerging": rng.random() < (0.9 if strong else 0.5),
        "six_basics": strong or rng.random() < 0.3,
        "key_chain_results": top,
        "chain_role": True if top else None,
        "key_field": True if top else None,
        "digital_level": rng.randint(3, 4) if strong else rng.randint(1, 3),
        "quality_award": top and rng.random() < 0.5,
        "management_certified": strong or rng.random() < 0.6,
        "own_brand": strong or rng.random() < 0.4,
        "standards": rng.randint(1, 5) if top else rng.randint(0, 1),
        "international_cert": top,
        "it_system": strong or rng.random() < 0.5,
        "rd_institution": rng.choice(["national", "provincial"]) if top else (
            rng.choice(["provincial", "municipal"]) if strong else rng.choice(["none", "below_municipal", "municipal"])
        ),
        "local_feature_score": rng.randint(8, 15) if strong else rng.randint(0, 8),
        "national_sci_rank": None,
        "provincial_sci_rank": rng.randint(1, 3) if top and rng.random() < 0.3 else None,
        "chuangke": "",
        "high_tech_enterprise": strong and rng.random() < 0.7,
        "innovation_demo": False,
        "ip_advantage": top and rng.random() < 0.3,
        "equity_financing_2y": Decimal(0),
        "equity_financing_3y": Decimal(0),
        "credit_ok": True,
        "abnormal_operations_list": False,
        "seriously_dishonest": False,
        "restricted_products": False,
        "major_accident_3y": False,
        "tax_evasion_3y": False,
        "data_fraud_3y": False,
        "sc_intl_advanced_tech": archetype == "single_champion",
        "sc_energy_advanced": archetype == "single_champion",
        "sc_core_ip": archetype == "single_champion",
        "sc_profit_above_industry": archetype == "single_champion",
        "sc_niche_product_share_pct": _d(rng.uniform(72, 95)) if archetype == "single_champion" else None,
        "platform_score": _d(rng.uniform(62, 90)) if top else (_d(rng.uniform(52, 75)) if strong else None),
    }


def generate(count: int, seed: int, last_year: int, county_codes: list[str]) -> Iterator[DemoEnterprise]:
    """Yield ``count`` enterprises, the same ones for the same seed."""
    rng = random.Random(seed)
    years = [last_year - 2, last_year - 1, last_year]
    used: set[str] = set()
    for _ in range(count):
        archetype = _pick_archetype(rng)
        region = rng.choice(county_codes)
        uscc = make_uscc(region, rng)
        while uscc in used:
            uscc = make_uscc(region, rng)
        used.add(uscc)
        name = f"{rng.choice(_NAME_HEAD)}{rng.choice(_NAME_TAIL)}{rng.choice(_TRADE)}有限公司"
        if archetype == "below":
            revenue, growth = rng.uniform(150, 3000), [rng.uniform(-0.15, 0.04), rng.uniform(-0.2, 0.03)]
            rd, margin, debt, share, employees = [rng.uniform(0.002, 0.012)] * 3, rng.uniform(-0.05, 0.04), \
                rng.uniform(0.6, 0.9), rng.uniform(0.3, 0.6), rng.randint(8, 150)
        elif archetype == "innovative":
            revenue, growth = rng.uniform(500, 4000), [rng.uniform(0.06, 0.2), rng.uniform(0.05, 0.25)]
            rd, margin, debt, share, employees = [rng.uniform(0.03, 0.07)] * 3, rng.uniform(0.03, 0.09), \
                rng.uniform(0.3, 0.6), rng.uniform(0.75, 0.98), rng.randint(20, 200)
        elif archetype == "specialised":
            revenue, growth = rng.uniform(1500, 9000), [rng.uniform(0.08, 0.2), rng.uniform(0.08, 0.25)]
            rd, margin, debt, share, employees = [rng.uniform(0.045, 0.09)] * 3, rng.uniform(0.08, 0.14), \
                rng.uniform(0.3, 0.5), rng.uniform(0.9, 0.99), rng.randint(60, 280)
        elif archetype == "hidden_champion":
            revenue, growth = rng.uniform(7000, 40000), [rng.uniform(0.06, 0.15), rng.uniform(0.06, 0.15)]
            rd, margin, debt, share, employees = [rng.uniform(0.045, 0.08)] * 3, rng.uniform(0.09, 0.15), \
                rng.uniform(0.3, 0.55), rng.uniform(0.92, 0.99), rng.randint(300, 900)
        elif archetype == "little_giant":
            revenue, growth = rng.uniform(12000, 38000), [rng.uniform(0.07, 0.2), rng.uniform(0.07, 0.2)]
            rd, margin, debt, share, employees = [rng.uniform(0.04, 0.08)] * 3, rng.uniform(0.09, 0.15), \
                rng.uniform(0.3, 0.55), rng.uniform(0.92, 0.99), rng.randint(150, 900)
        else:  # single_champion
            revenue, growth = rng.uniform(45000, 160000), [rng.uniform(0.05, 0.12), rng.uniform(0.05, 0.12)]
            rd, margin, debt, share, employees = [rng.uniform(0.04, 0.07)] * 3, rng.uniform(0.1, 0.16), \
                rng.uniform(0.35, 0.55), rng.uniform(0.9, 0.98), rng.randint(900, 3000)
        top = archetype in ("hidden_champion", "little_giant", "single_champion")
        established = last_year - (rng.randint(11, 30) if top else rng.randint(2, 20))
        financials = _financial_series(rng, years, revenue, growth, share, rd, margin, debt)
        declarations = {year: _declaration(rng, archetype, employees, year) for year in years}
        yield DemoEnterprise(uscc, name, region, established, archetype, financials, declarations)
