"""Benchmark of the scoring engine: profiles per second on one core.

    .venv/bin/python bench/bench_engine.py --profiles 100000

Profiles are generated deterministically (seeded), parsed once (not timed), then evaluated in-process:

- ``engine, explanations``: ``evaluate(profile, ruleset)``: every tier, indicators, unmet (texts lazy);
- ``engine, explanations + to_dict()``: the same, rendered to the result JSON shape (every message built);
- ``engine, no explanations``: ``explain=False``;
- ``engine, advice``: ``advice=True`` on a sample (advice re-evaluates; it is for single requests);
- ``render 1,000 explained results in zh-hans``: the same results, evaluated beforehand (not timed), rendered
  to the result JSON with every message in Chinese (``to_dict("zh-hans")``), fresh results each run so no text
  is cached; and the same with advice;
- ``plain scorer``: a hand-written scorer of the same miit-2022 numbers with no explanations, as a yardstick
  for this machine (the brief's "~120,000/s here").

Times are CPU time of this process (``time.process_time``), so other load on the machine disturbs them less
than wall-clock time; runs alternate and the best of ``--repeat`` is reported.
"""

from __future__ import annotations

import argparse
import copy
import json
import random
import sys
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from evaluation.engine import evaluate, load_ruleset, parse_profile  # noqa: E402

D = Decimal


def generate(count: int, seed: int = 20250801) -> list[dict]:
    """Deterministic, varied, valid profiles (roughly: many small firms, a few large ones)."""
    rng = random.Random(seed)
    profiles = []
    for index in range(count):
        scale = rng.choice((300, 1000, 3000, 8000, 20000, 60000))
        financials = []
        revenue = D(rng.randint(scale // 2, scale * 2))
        for year in (2025, 2024, 2023):
            main = (revenue * D(rng.randint(40, 100)) / 100).quantize(D("0.01"))
            assets = D(rng.randint(scale // 2, scale * 3))
            financials.append(
                {
                    "year": year,
                    "operating_revenue": str(revenue),
                    "main_business_revenue": str(main),
                    "rd_expense": str((revenue * D(rng.randint(0, 120)) / 1000).quantize(D("0.01"))),
                    "net_profit": str((revenue * D(rng.randint(-20, 20)) / 100).quantize(D("0.01"))),
                    "total_assets": str(assets),
                    "total_liabilities": str((assets * D(rng.randint(10, 95)) / 100).quantize(D("0.01"))),
                }
            )
            revenue = (revenue * D(rng.randint(80, 115)) / 100).quantize(D("0.01")) or D(1)
        employees = rng.randint(5, 1500)
        class_i = rng.randint(0, 6)
        profiles.append(
            {
                "enterprise": {
                    "uscc": f"9133{index:014d}",
                    "name": f"bench {index}",
                    "region_code": rng.choice(("330106", "330212", "320100")),
                    "sector": "industry",
                    "established_year": rng.randint(1995, 2024),
                },
                "year": 2025,
                "employees": employees,
                "rd_staff": rng.randint(0, employees),
                "financials": financials,
                "ip": {
                    "class_i": class_i,
                    "class_i_self_developed": rng.randint(0, class_i),
                    "class_i_high_value": rng.randint(0, class_i) // 2,
                    "class_i_applied": rng.randint(0, class_i),
                    "class_ii": rng.randint(0, 5),
                    "invention_patents_applied": rng.randint(0, 6),
                },
                "market": {
                    "niche_years": rng.randint(0, 20),
                    "field_years": rng.randint(0, 20),
                    "new_product": rng.random() < 0.1,
                    "main_products": rng.randint(1, 5),
                    "national_share_pct": rng.choice((None, rng.randint(0, 30))),
                    "national_rank": rng.choice((None, rng.randint(1, 10))),
                    "global_rank": rng.choice((None, None, rng.randint(1, 15))),
                },
                "product_field": {
                    k: rng.random() < 0.4
                    for k in (
                        "strategic_emerging",
                        "six_basics",
                        "key_chain_results",
                        "chain_role",
                        "key_field",
                    )
                },
                "digital_level": rng.randint(1, 5),
                "quality": {
                    "quality_award": rng.random() < 0.1,
                    "management_certified": rng.random() < 0.6,
                    "own_brand": rng.random() < 0.5,
                    "standards": rng.randint(0, 3),
                    "international_cert": rng.random() < 0.2,
                },
                "it_system": rng.random() < 0.6,
                "rd_institution": rng.choice(
                    ("none", "below_municipal", "municipal", "provincial", "national")
                ),
                "local_feature_score": rng.randint(0, 15),
                "awards": {
                    "national_sci_rank": rng.choice((None,) * 9 + (rng.randint(1, 8),)),
                    "provincial_sci_rank": rng.choice((None,) * 5 + (rng.randint(1, 8),)),
                    "chuangke": rng.choice((None,) * 8 + ("top500", "top50")),
                },
                "honours": {
                    "high_tech_enterprise": rng.random() < 0.3,
                    "innovation_demo": False,
                    "ip_advantage": rng.random() < 0.05,
                },
                "equity_financing": {
                    "last_2y": rng.choice((0, 0, 0, rng.randint(0, 9000))),
                    "last_3y": rng.choice((0, 0, rng.randint(0, 9000))),
                },
                "credit_ok": rng.random() < 0.9,
                "compliance": {
                    k: rng.random() < 0.02
                    for k in (
                        "abnormal_operations_list",
                        "seriously_dishonest",
                        "restricted_products",
                        "major_accident_3y",
                        "tax_evasion_3y",
                        "data_fraud_3y",
                    )
                },
                "single_champion": {
                    "intl_advanced_tech": rng.random() < 0.1,
                    "energy_advanced": rng.random() < 0.3,
                    "core_ip": rng.random() < 0.3,
                    "profit_above_industry": rng.random() < 0.5,
                    "niche_product_share_pct": None,
                },
                "platform_score": rng.choice((None, rng.randint(30, 95))),
                "held_tiers": rng.choice(([], [], ["innovative_sme"], ["specialised_sme"])),
            }
        )
    return profiles


STAR = Path(__file__).resolve().parent.parent / "tests" / "data" / "star.json"


def all_passing(count: int, seed: int = 7) -> list[dict]:
    """Profiles that meet every tier (no early exit anywhere): the engine's slowest case. Variations of the
    tests' all-passing profile (``tests/data/star.json``): figures scaled by 1.00–1.30, other counts varied."""
    rng = random.Random(seed)
    base = json.loads(STAR.read_text(encoding="utf-8"))
    profiles = []
    for index in range(count):
        profile = copy.deepcopy(base)
        k = D(rng.randint(100, 130)) / 100
        for row in profile["financials"]:
            for name, value in row.items():
                if name != "year":
                    row[name] = str(D(value) * k)
        profile["enterprise"]["name"] = f"passing {index}"
        profile["employees"] = rng.randint(300, 999)
        profile["market"]["niche_years"] = rng.randint(10, 30)
        profile["local_feature_score"] = rng.randint(5, 15)
        profiles.append(profile)
    return profiles


def plain_scorer(p) -> tuple:
    """The yardstick: miit-2022 innovative and specialised scores and the main thresholds, hard-coded."""
    f0, f1, f2 = p.financials[0], p.financials[1], p.financials[2]
    rev = f0.operating_revenue
    rd = f0.rd_expense * 100 / rev
    share = f0.main_business_revenue * 100 / rev
    g1 = (f0.main_business_revenue - f1.main_business_revenue) * 100 / f1.main_business_revenue
    g0 = (f1.main_business_revenue - f2.main_business_revenue) * 100 / f2.main_business_revenue
    debt = f0.total_liabilities * 100 / f0.total_assets
    margin = f0.net_profit * 100 / rev
    ip = p.ip
    ip_pts = (
        20
        if ip.class_i_high_value
        else 15
        if ip.class_i_self_developed
        else 10
        if ip.class_i
        else (5 if ip.class_ii else 0)
    )
    inno = ip_pts + (20 if rd >= 5 else 15 if rd >= 3 else 10 if rd >= 2 else 5 if rd >= 1 else 0)
    grow = (20 if g1 >= 15 else 15 if g1 >= 10 else 10 if g1 >= 5 else 5 if g1 >= 0 else 0) + (
        10 if debt <= 55 else 5 if debt <= 75 else 0
    )
    spec = (10 if p.product_field.strategic_emerging else 5) + (
        20 if share >= 70 else 15 if share >= 60 else 10 if share >= 55 else 5 if share >= 50 else 0
    )
    innovative = inno + grow + spec >= 60 and inno >= 20 and grow >= 15 and spec >= 15
    avg = (g1 + g0) / 2
    q = p.quality
    s_spec = (
        (5 if share >= 80 else 3 if share >= 70 else 1 if share >= 60 else 0)
        + (10 if avg >= 10 else 8 if avg >= 8 else 6 if avg >= 6 else 4 if avg >= 4 else 2 if avg >= 0 else 0)
        + min(p.market.niche_years // 2, 5)
        + (5 if p.product_field.key_chain_results else 3 if p.product_field.six_basics else 0)
    )
    s_ref = (
        (5 if p.digital_level >= 3 else 3 if p.digital_level >= 2 else 0)
        + min(3 * (q.quality_award + q.management_certified + q.own_brand + (q.standards >= 1)), 5)
        + (
            10
            if margin >= 10
            else 8
            if margin >= 8
            else 6
            if margin >= 6
            else 4
            if margin >= 4
            else 2
            if margin >= 2
            else 0
        )
        + (5 if debt <= 50 else 3 if debt <= 60 else 1 if debt <= 70 else 0)
    )
    r = f0.rd_expense
    rd_pts = max(
        10 if r >= 500 else 8 if r >= 400 else 6 if r >= 300 else 4 if r >= 200 else 2 if r >= 100 else 0,
        10 if rd >= 10 else 8 if rd >= 8 else 6 if rd >= 6 else 4 if rd >= 4 else 2 if rd >= 3 else 0,
    )
    staff = p.rd_staff * 100 / p.employees
    s_inn = (
        (
            10
            if ip.class_i_high_value
            else 8
            if ip.class_i_self_developed
            else 6
            if ip.class_i
            else 2
            if ip.class_ii
            else 0
        )
        + rd_pts
        + (5 if staff >= 20 else 3 if staff >= 10 else 1 if staff >= 5 else 0)
        + {"national": 10, "provincial": 8, "municipal": 4, "below_municipal": 2}.get(p.rd_institution, 0)
    )
    specialised = (
        innovative
        and p.market.niche_years >= 2
        and r >= 100
        and rd >= 3
        and rev >= 1000
        and s_spec + s_ref + p.local_feature_score + s_inn >= 60
    )
    little_giant = (
        specialised
        and p.market.niche_years >= 3
        and share >= 70
        and avg >= 5
        and debt <= 70
        and (p.market.national_share_pct or 0) >= 10
        and q.own_brand
        and p.it_system
    )
    hidden = (
        p.enterprise.region_code.startswith("33")
        and rev >= 5000
        and debt <= 70
        and share >= 70
        and p.market.niche_years >= 10
        and rd >= 4
    )
    single = p.market.field_years >= 10 and (p.market.global_rank or 99) <= 3
    return innovative, specialised, hidden, little_giant, single


def _rate(fn, items) -> float:
    start = time.process_time()
    for item in items:
        fn(item)
    elapsed = time.process_time() - start
    return len(items) / elapsed if elapsed else float("inf")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profiles", type=int, default=20000)
    parser.add_argument("--ruleset", default="miit-2022")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--advice-sample", type=int, default=500)
    parser.add_argument("--render", type=int, default=1000, help="explained results rendered in --lang")
    parser.add_argument("--lang", default="zh-hans", help="language of the rendering run (en or zh-hans)")
    args = parser.parse_args(argv)

    ruleset = load_ruleset(args.ruleset)
    started = time.process_time()
    profiles = [parse_profile(p) for p in generate(args.profiles)]
    parse_rate = len(profiles) / (time.process_time() - started)

    runs = {
        "engine, explanations": lambda p: evaluate(p, ruleset),
        "engine, explanations + to_dict()": lambda p: evaluate(p, ruleset).to_dict(),
        "engine, no explanations": lambda p: evaluate(p, ruleset, explain=False),
        "plain scorer (yardstick)": plain_scorer,
    }
    best = dict.fromkeys(runs, 0.0)
    for _ in range(args.repeat):
        for name, fn in runs.items():
            best[name] = max(best[name], _rate(fn, profiles))
    passing = [parse_profile(p) for p in all_passing(min(args.profiles, 20000))]
    assert all(t.passed for t in evaluate(passing[0], ruleset).tiers.values())
    passing_rate = max(_rate(lambda p: evaluate(p, ruleset), passing) for _ in range(args.repeat))
    sample = profiles[: args.advice_sample]
    advice_rate = _rate(lambda p: evaluate(p, ruleset, advice=True), sample)

    render_times = {}
    for label, with_advice in (("", False), (" with advice", True)):
        best_time = float("inf")
        for _ in range(args.repeat):
            results = [evaluate(p, ruleset, advice=with_advice) for p in profiles[: args.render]]
            start = time.process_time()
            for result in results:
                result.to_dict(args.lang)
            best_time = min(best_time, time.process_time() - start)
        render_times[label] = best_time

    passed = [0] * 5
    for p in profiles[:5000]:
        for i, tier in enumerate(evaluate(p, ruleset, explain=False).tiers.values()):
            passed[i] += tier.passed
    print(
        f"{len(profiles)} generated profiles, ruleset {ruleset.code}, best of {args.repeat}, "
        "CPU time, one core"
    )
    print(f"  tier pass counts in the first 5000: {passed}")
    print(f"  {'parse_profile (not part of the runs below)':<42} {parse_rate:>10,.0f} profiles/s")
    for name, rate in best.items():
        print(f"  {name:<42} {rate:>10,.0f} profiles/s")
    print(f"  {'engine, explanations, all tiers passing':<42} {passing_rate:>10,.0f} profiles/s")
    print(f"  {'engine, advice (sample of ' + str(len(sample)) + ')':<42} {advice_rate:>10,.0f} profiles/s")
    for label, seconds in render_times.items():
        name = f"render {args.render:,} explained results{label} in {args.lang}"
        print(f"  {name:<56} {seconds:>8.3f} s")
    ratio = best["engine, explanations"] / best["plain scorer (yardstick)"]
    print(f"  engine with explanations runs at {ratio:.0%} of the plain scorer's speed on this machine")


if __name__ == "__main__":
    main()
