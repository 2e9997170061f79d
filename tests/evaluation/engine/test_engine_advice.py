"""Advice: computed changes that, applied, make the tier pass; only on request, only for tiers not passed."""

from __future__ import annotations

from engine_factories import example, star, with_changes

from evaluation.engine import apply_changes, evaluate, parse_profile


def _apply(data, advice):
    changes = {}
    for item in advice:
        changes.update(item["set"])
    return apply_changes(parse_profile(data), changes)


def test_advice_is_absent_unless_asked_and_only_for_tiers_not_passed():
    data = example("B")["profile"]
    plain = evaluate(data, "miit-2022").to_dict()
    assert all("advice" not in t for t in plain["tiers"].values())
    asked = evaluate(example("A")["profile"], "miit-2022", advice=True).to_dict()["tiers"]
    assert "advice" not in asked["innovative_sme"] and "advice" in asked["little_giant"]


def test_example_b_innovative_needs_only_five_percent_growth():
    data = example("B")["profile"]
    advice = evaluate(data, "miit-2022", advice=True).tiers["innovative_sme"].advice
    assert advice == [
        {
            "code": "main_growth",
            "message": "main-business revenue growth -4.00% → 5.00% adds 10 points",
            "from": "-4.00",
            "to": "5.00",
            "points_gained": 10,
            "set": {"financials[year=2025].main_business_revenue": "7875"},
        }
    ]
    assert evaluate(_apply(data, advice), "miit-2022").tiers["innovative_sme"].passed


def test_example_d_specialised_advice_reaches_the_pass_mark():
    data = example("D")["profile"]
    advice = evaluate(data, "miit-2022", advice=True).tiers["specialised_sme"].advice
    assert advice and all("set" in item for item in advice)
    assert sum(item["points_gained"] for item in advice) >= 16  # 44 → at least 60
    after = evaluate(_apply(data, advice), "miit-2022").tiers["specialised_sme"]
    assert after.passed and after.score >= 60


def test_threshold_advice_names_each_unmet_threshold_with_its_target():
    data = with_changes(star(), {"market.national_share_pct": 6, "ip.class_i_applied": 1})
    advice = evaluate(data, "miit-2022", advice=True).tiers["little_giant"].advice
    by_code = {item["code"]: item for item in advice}
    assert by_code["national_share"]["message"] == "national niche market share 6% → 10% (needs ≥ 10%)"
    assert by_code["national_share"]["set"] == {"market.national_share_pct": "10"}
    assert by_code["class_i_applied"]["message"] == "applied Class I IP 1 → 2 (needs ≥ 2)"
    assert evaluate(_apply(data, advice), "miit-2022").tiers["little_giant"].passed


def test_what_cannot_be_changed_is_said_without_a_change():
    data = with_changes(star(), {"compliance.major_accident_3y": True, "platform_score": None})
    tiers = evaluate(data, "miit-2026", advice=True).tiers
    notes = tiers["little_giant"].advice
    accident = next(item for item in notes if item["code"] == "major_accident_3y")
    assert "set" not in accident and "cannot be changed" in accident["message"]
    platform = next(item for item in notes if item["code"] == "platform_score")
    assert "set" not in platform and "MIIT platform" in platform["message"]


def test_past_year_figures_are_not_advised_as_changes():
    data = with_changes(star(), {"financials[2024].rd_expense": 1000})
    advice = evaluate(data, "miit-2022", advice=True).tiers["hidden_champion"].advice
    assert [item["code"] for item in advice] == ["rd_ratio_prev"]
    assert "set" not in advice[0] and "past year" in advice[0]["message"]
