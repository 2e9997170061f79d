"""Worked examples A–D of criteria.md §9, indicator by indicator, under ruleset miit-2022."""

from __future__ import annotations

import json

import pytest
from engine_factories import SHARED_EXAMPLES, example, local_example_path

from evaluation.engine import evaluate, load_ruleset

# Indicator points per example, as in the tables of criteria.md §9.
INNOVATIVE = {
    "A": {
        "ip": 15,
        "rd_ratio": 20,
        "main_growth": 20,
        "debt_ratio": 10,
        "product_field": 10,
        "main_share": 20,
    },
    "B": {"ip": 20, "rd_ratio": 20, "main_growth": 0, "debt_ratio": 5, "product_field": 5, "main_share": 20},
    "C": {"ip": 0, "rd_ratio": 20, "main_growth": 20, "debt_ratio": 10, "product_field": 5, "main_share": 5},
    "D": {"ip": 0, "rd_ratio": 20, "main_growth": 10, "debt_ratio": 5, "product_field": 5, "main_share": 20},
}
SPECIALISED = {
    "A": {
        "main_share": 5,
        "main_growth_2y": 10,
        "niche_years": 3,
        "product_field": 3,
        "digital_level": 5,
        "quality": 5,
        "net_margin": 10,
        "debt_ratio": 5,
        "local_feature": 8,
        "ip": 8,
        "rd_input": 8,
        "rd_staff_share": 3,
        "rd_institution": 4,
    },
    "B": {
        "main_share": 5,
        "main_growth_2y": 2,
        "niche_years": 5,
        "product_field": 0,
        "digital_level": 3,
        "quality": 3,
        "net_margin": 2,
        "debt_ratio": 3,
        "local_feature": 5,
        "ip": 10,
        "rd_input": 8,
        "rd_staff_share": 3,
        "rd_institution": 0,
    },
    "C": {
        "main_share": 0,
        "main_growth_2y": 10,
        "niche_years": 1,
        "product_field": 0,
        "digital_level": 0,
        "quality": 0,
        "net_margin": 0,
        "debt_ratio": 5,
        "local_feature": 0,
        "ip": 0,
        "rd_input": 10,
        "rd_staff_share": 5,
        "rd_institution": 0,
    },
    "D": {
        "main_share": 3,
        "main_growth_2y": 8,
        "niche_years": 1,
        "product_field": 0,
        "digital_level": 5,
        "quality": 3,
        "net_margin": 10,
        "debt_ratio": 0,
        "local_feature": 5,
        "ip": 0,
        "rd_input": 4,
        "rd_staff_share": 3,
        "rd_institution": 2,
    },
}
ROUTES = {  # (innovative route, specialised route)
    "A": ("score", "score"),
    "B": (None, None),
    "C": ("direct", "direct"),
    "D": ("score", None),
}


@pytest.fixture(scope="module")
def ruleset():
    return load_ruleset("miit-2022")


def _points(tier_result):
    return {i["code"]: i["points"] for i in tier_result.indicators}


@pytest.mark.parametrize("name", "ABCD")
def test_innovative_indicators_match_the_worked_example(ruleset, name):
    result = evaluate(example(name)["profile"], ruleset).tiers["innovative_sme"]
    assert _points(result) == INNOVATIVE[name]


@pytest.mark.parametrize("name", "ABCD")
def test_specialised_indicators_match_the_worked_example(ruleset, name):
    result = evaluate(example(name)["profile"], ruleset).tiers["specialised_sme"]
    assert _points(result) == SPECIALISED[name]


@pytest.mark.parametrize("name", "ABCD")
def test_expected_outputs_of_the_shared_examples(ruleset, name):
    data = example(name)
    assert data["ruleset"] == "miit-2022"
    result = evaluate(data["profile"], ruleset).to_dict()
    for tier, expected in data["expected"].items():
        for key, value in expected.items():
            assert result["tiers"][tier][key] == value, (tier, key)


@pytest.mark.parametrize("name", "ABCD")
def test_routes_of_the_worked_examples(ruleset, name):
    tiers = evaluate(example(name)["profile"], ruleset).tiers
    assert (tiers["innovative_sme"].route, tiers["specialised_sme"].route) == ROUTES[name]
    for tier in ("hidden_champion", "little_giant", "single_champion"):
        assert tiers[tier].status == "failed"
        assert tiers[tier].unmet, tier


def test_example_a_shows_derived_values_as_in_the_spec(ruleset):
    result = evaluate(example("A")["profile"], ruleset)
    assert result.size_class == "small"
    innovative = {i["code"]: i["value"] for i in result.tiers["innovative_sme"].indicators}
    assert innovative == {
        "ip": "class_i_self_developed",
        "rd_ratio": "8.50%",
        "main_growth": "18.75%",
        "debt_ratio": "45.00%",
        "product_field": "strategic_emerging",
        "main_share": "95.00%",
    }
    specialised = {i["code"]: i["value"] for i in result.tiers["specialised_sme"].indicators}
    assert specialised["main_growth_2y"] == "16.52%"
    assert result.tiers["specialised_sme"].prerequisites == [
        {"tier": "innovative_sme", "met": True, "via": "evaluated"}
    ]


def test_example_a_little_giant_names_the_national_share(ruleset):
    little_giant = evaluate(example("A")["profile"], ruleset).tiers["little_giant"]
    assert {"code": "national_share", "message": "national niche market share 6% is below 10%"} in [
        dict(u) for u in little_giant.unmet
    ]
    innovation = next(u for u in little_giant.unmet if u["code"] == "innovation")
    assert "equity financing over the last 2 years (万元) 0 is below 8000" in innovation["message"]


def test_example_b_fails_innovative_on_the_growth_minimum_only(ruleset):
    innovative = evaluate(example("B")["profile"], ruleset).tiers["innovative_sme"]
    assert innovative.score == 70
    assert [u["code"] for u in innovative.unmet] == ["category.growth", "direct"]
    assert "growth subtotal 5 is below the minimum 15" in innovative.unmet[0]["message"]


def test_example_b_specialised_lacks_the_innovative_prerequisite(ruleset):
    specialised = evaluate(example("B")["profile"], ruleset).tiers["specialised_sme"]
    assert specialised.prerequisites == [{"tier": "innovative_sme", "met": False, "via": None}]
    codes = [u["code"] for u in specialised.unmet]
    assert codes == ["prerequisite.innovative_sme", "score", "direct"]


def test_example_b_little_giant_needs_six_percent_in_both_years(ruleset):
    little_giant = evaluate(example("B")["profile"], ruleset).tiers["little_giant"]
    innovation = next(u for u in little_giant.unmet if u["code"] == "innovation")
    assert "prior-year R&D ratio 5.49% is below 6%" in innovation["message"]


def test_example_c_direct_routes_bypass_the_category_minimum(ruleset):
    tiers = evaluate(example("C")["profile"], ruleset).tiers
    innovative, specialised = tiers["innovative_sme"], tiers["specialised_sme"]
    assert innovative.categories == {"innovation": 20, "growth": 30, "specialisation": 10}
    assert [d["code"] for d in innovative.direct] == ["equity_3y"]
    assert [d["code"] for d in specialised.direct] == ["equity_2y"]
    assert innovative.unmet == [] and specialised.unmet == []


def test_example_d_fails_with_exclusive_boundaries(ruleset):
    """The spec's control: exclusive band edges would give R&D 15, growth 5, debt 0, share 15 and FAIL."""
    data = json.loads(json.dumps(ruleset.data))
    data["settings"]["band_boundary"]["value"] = "exclusive"
    from evaluation.engine import ruleset_from_dict

    strict = evaluate(example("D")["profile"], ruleset_from_dict(data)).tiers["innovative_sme"]
    assert _points(strict) == {
        "ip": 0,
        "rd_ratio": 15,
        "main_growth": 5,
        "debt_ratio": 0,
        "product_field": 5,
        "main_share": 15,
    }
    assert strict.status == "failed"


@pytest.mark.skipif(not SHARED_EXAMPLES.exists(), reason="shared spec not beside the repository")
@pytest.mark.parametrize("name", "ABCD")
def test_local_copies_match_the_shared_examples(name):
    shared = json.loads((SHARED_EXAMPLES / f"{name}.json").read_text(encoding="utf-8"))
    local = json.loads(local_example_path(name).read_text(encoding="utf-8"))
    assert shared == local


@pytest.mark.parametrize("name", "ABCD")
def test_results_survive_pickling_and_deep_copies(ruleset, name):
    import copy
    import pickle

    result = evaluate(example(name)["profile"], ruleset, advice=True)
    expected = result.to_dict()
    assert pickle.loads(pickle.dumps(result)).to_dict() == expected
    assert copy.deepcopy(result).to_dict() == expected
