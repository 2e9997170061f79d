"""Rulesets are data: versioned, dated, sourced, validated, and changeable without touching code."""

from __future__ import annotations

import copy
import datetime
import json
import subprocess
import sys
from pathlib import Path

import pytest
from engine_factories import example, profile, star, with_changes

from evaluation.engine import (
    TIER_CODES,
    RulesetError,
    UnknownRuleset,
    available_rulesets,
    evaluate,
    load_ruleset,
    ruleset_for_date,
    ruleset_from_dict,
)
from evaluation.engine.rulesets import RULESET_DIR

ENGINE_DIR = Path(__file__).resolve().parents[3] / "evaluation" / "engine"


def test_built_in_rulesets_and_their_metadata():
    assert available_rulesets() == ["miit-2022", "miit-2026"]
    for code in available_rulesets():
        ruleset = load_ruleset(code)
        assert ruleset.code == code and ruleset.version and ruleset.title
        assert tuple(ruleset.tiers) == TIER_CODES
    assert load_ruleset("miit-2022").effective_from == datetime.date(2022, 8, 1)
    assert load_ruleset("miit-2026").effective_from == datetime.date(2026, 4, 1)
    assert load_ruleset("miit-2022") is load_ruleset("miit-2022")  # compiled once


@pytest.mark.parametrize(
    ("day", "code"),
    [
        (datetime.date(2022, 8, 1), "miit-2022"),
        (datetime.date(2026, 3, 31), "miit-2022"),
        (datetime.date(2026, 4, 1), "miit-2026"),
        (datetime.date(2030, 1, 1), "miit-2026"),
    ],
)
def test_ruleset_in_force_on_a_date(day, code):
    assert ruleset_for_date(day) == code


def test_no_ruleset_before_the_first_effective_date():
    with pytest.raises(UnknownRuleset) as caught:
        ruleset_for_date(datetime.date(2022, 7, 31))
    assert caught.value.field == "ruleset"


def test_a_draft_copy_with_pass_mark_65():
    data = load_ruleset("miit-2022").data
    data["code"], data["version"] = "miit-2022-draft", "2-draft"
    data["tiers"]["innovative_sme"]["pass_mark"]["value"] = 65
    draft = ruleset_from_dict(json.loads(json.dumps(data)))  # as stored in the database, through JSON
    assert evaluate(example("A")["profile"], draft).tiers["innovative_sme"].passed
    d_result = evaluate(example("D")["profile"], draft).tiers["innovative_sme"]
    assert d_result.score == 60 and d_result.status == "failed"
    assert {"code": "score", "message": "score 60 is below the pass mark 65"} in [
        dict(u) for u in d_result.unmet
    ]
    assert (
        evaluate(example("D")["profile"], "miit-2022").tiers["innovative_sme"].passed
    )  # the original is intact


def test_ruleset_data_is_a_copy():
    ruleset = load_ruleset("miit-2022")
    ruleset.data["tiers"]["innovative_sme"]["pass_mark"]["value"] = 99
    assert load_ruleset("miit-2022").data["tiers"]["innovative_sme"]["pass_mark"]["value"] == 60


def test_little_giant_rd_total_window_is_data():
    """The '研发费用总额3000万元' reading (2-year total, U) can be switched to last year's R&D only."""
    changes = {
        "financials[2025].operating_revenue": 4000,
        "financials[2025].main_business_revenue": 3900,
        "financials[2025].rd_expense": 1000,
        "financials[2024].operating_revenue": 3000,
        "financials[2024].main_business_revenue": 2900,
        "financials[2024].rd_expense": 2000,
        "financials[2023].operating_revenue": 2500,
        "financials[2023].main_business_revenue": 2400,
        "equity_financing.last_2y": 8000,
        "rd_staff": 450,
    }
    data = with_changes(star(), changes)
    assert evaluate(data, "miit-2022").tiers["little_giant"].passed
    rules = load_ruleset("miit-2022").data
    text = json.dumps(rules, ensure_ascii=False).replace('"metric": "rd_total_2y"', '"metric": "rd_expense"')
    last_year_only = ruleset_from_dict(json.loads(text))
    assert not evaluate(data, last_year_only).tiers["little_giant"].passed


def _walk(node, path=""):
    if isinstance(node, dict):
        yield path, node
        for key, value in node.items():
            yield from _walk(value, f"{path}.{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _walk(value, f"{path}[{index}]")


@pytest.mark.parametrize("name", ["miit-2022.json", "miit-2026.json"])
def test_every_rule_and_indicator_in_the_files_carries_source_and_confidence(name):
    data = json.loads((RULESET_DIR / name).read_text(encoding="utf-8"))
    for path, node in _walk(data["tiers"]):
        top_level = path.count(".") == 3 and path.split(".")[2] in (
            "rules",
            "indicators",
            "direct",
            "categories",
        )
        is_rule = ("code" in node or "kind" in node) and top_level or "pass_mark" in path.split(".")[-1:]
        if is_rule and "ref" not in node:
            assert node.get("source"), path
            assert node.get("confidence") in ("V", "V1", "U"), path


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (
            lambda d: d["tiers"]["innovative_sme"]["indicators"][1].update(metric="rd_ratoi"),
            "tiers.innovative_sme.indicators[1].metric",
        ),
        (
            lambda d: d["tiers"]["innovative_sme"]["indicators"][1]["bands"].reverse(),
            "tiers.innovative_sme.indicators[1].bands",
        ),
        (
            lambda d: d["tiers"]["innovative_sme"]["indicators"][1]["bands"][0].update(points=25),
            "tiers.innovative_sme.indicators[1].bands[0].points",
        ),
        (
            lambda d: d["tiers"]["innovative_sme"]["indicators"][1].pop("source"),
            "tiers.innovative_sme.indicators[1].source",
        ),
        (lambda d: d["tiers"]["little_giant"]["rules"][3].update(op="~"), "tiers.little_giant.rules[3].op"),
        (
            lambda d: d["tiers"]["little_giant"]["prerequisites"][0].update(tier="single_champion"),
            "tiers.little_giant.prerequisites[0].tier",
        ),
        (lambda d: d.update(effective_from="soon"), "effective_from"),
        (
            lambda d: d["metric_options"]["main_growth_2y"].update(method="geometric"),
            "metric_options.main_growth_2y.method",
        ),
        (lambda d: d["tiers"].update(gazelle={}), "tiers.gazelle"),
    ],
)
def test_invalid_ruleset_data_names_the_path(mutate, field):
    data = copy.deepcopy(load_ruleset("miit-2022").data)
    mutate(data)
    with pytest.raises(RulesetError) as caught:
        ruleset_from_dict(data)
    assert caught.value.field == field


def test_the_engine_never_imports_django():
    for path in ENGINE_DIR.glob("*.py"):
        text = path.read_text(encoding="utf-8")
        assert "import django" not in text and "from django" not in text, path.name
    code = (
        f"import sys, evaluation.engine as e; e.evaluate(e.parse_profile({profile('A')!r}), 'miit-2022'); "
        "assert not any(m.split('.')[0] == 'django' for m in sys.modules)"
    )
    subprocess.run([sys.executable, "-c", code], check=True, cwd=ENGINE_DIR.parents[1])
