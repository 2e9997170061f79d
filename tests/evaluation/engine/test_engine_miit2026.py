"""Ruleset miit-2026: 2号文 thresholds, the platform score (pending until known), and re-review rules."""

from __future__ import annotations

import pytest
from engine_factories import example, star, unmet_codes, with_changes

from evaluation.engine import evaluate

F25, F24 = "financials[2025]", "financials[2024]"


@pytest.mark.parametrize("name", "ABCD")
def test_innovative_sme_is_still_scored_on_annex_1(name):
    old = evaluate(example(name)["profile"], "miit-2022").tiers["innovative_sme"]
    new = evaluate(example(name)["profile"], "miit-2026").tiers["innovative_sme"]
    assert (new.score, new.categories, new.status) == (old.score, old.categories, old.status)


def test_specialised_sme_has_no_score_in_2026():
    specialised = evaluate(star(), "miit-2026").tiers["specialised_sme"]
    assert specialised.passed and specialised.route == "thresholds"
    assert specialised.score is None and specialised.categories is None and specialised.max_score is None
    assert specialised.to_dict()["indicators"] == []


def test_unknown_platform_score_makes_both_tiers_pending_not_failed():
    tiers = evaluate(with_changes(star(), {"platform_score": None}), "miit-2026").tiers
    specialised, little_giant = tiers["specialised_sme"], tiers["little_giant"]
    assert (specialised.status, specialised.passed, specialised.route) == ("pending", False, None)
    assert unmet_codes(specialised) == ["platform_score"]
    assert "not known yet" in specialised.unmet[0]["message"]
    assert little_giant.status == "pending"
    assert little_giant.prerequisites == [{"tier": "specialised_sme", "met": False, "via": None}]
    assert unmet_codes(little_giant) == ["prerequisite.specialised_sme", "platform_score"]


def test_pending_never_hides_a_real_failure():
    data = with_changes(star(), {"platform_score": None, "market.niche_years": 2})
    specialised = evaluate(data, "miit-2026").tiers["specialised_sme"]
    assert specialised.status == "failed"
    assert unmet_codes(specialised) == ["niche_years", "platform_score"]


def test_example_a_fails_specialised_sme_under_2026_until_it_declares_a_leading_share():
    """Example A predates the 2026 declared items: without ``niche_share_leading`` item 6 is unmet, naming the
    field (profile.md: a figure the rule needs but the profile lacks); declared, it waits for the reviewers."""
    tiers = evaluate(example("A")["profile"], "miit-2026").tiers
    assert tiers["innovative_sme"].passed
    assert tiers["specialised_sme"].status == "failed"
    assert unmet_codes(tiers["specialised_sme"]) == ["niche_share_leading", "platform_score"]
    assert tiers["specialised_sme"].unmet[0]["message"].startswith("not declared: a relatively high niche market share")
    declared = evaluate(with_changes(example("A")["profile"], {"market.niche_share_leading": True}), "miit-2026")
    assert declared.tiers["specialised_sme"].status == "pending"


def test_little_giant_growth_is_not_checked_at_re_review():
    data = with_changes(
        star(),
        {f"{F25}.operating_revenue": 41000, f"{F25}.main_business_revenue": 40000, f"{F25}.rd_expense": 2000},
    )
    new = evaluate(data, "miit-2026").tiers["little_giant"]
    assert unmet_codes(new) == ["revenue_growth_2y"]
    again = evaluate(data, "miit-2026", rereview=True).tiers["little_giant"]
    assert again.passed


def test_little_giant_re_review_accepts_60_in_either_of_the_last_two_years():
    low_now = with_changes(star(), {"platform_score": 55})
    assert evaluate(low_now, "miit-2026").tiers["little_giant"].status == "failed"
    pending = evaluate(low_now, "miit-2026", rereview=True).tiers["little_giant"]
    assert pending.status == "pending"
    message = pending.unmet[0]["message"]
    assert "MIIT platform score 55 is below 60" in message
    assert "prior-year MIIT platform score is not known yet" in message
    earlier = with_changes(low_now, {"platform_score_previous": 62})
    assert evaluate(earlier, "miit-2026", rereview=True).tiers["little_giant"].passed
    both_low = with_changes(low_now, {"platform_score_previous": 50})
    assert evaluate(both_low, "miit-2026", rereview=True).tiers["little_giant"].status == "failed"


def test_hidden_champion_2026_excludes_holders_except_at_re_review():
    data = with_changes(star(), {"held_tiers": ["little_giant"]})
    new = evaluate(data, "miit-2026").tiers["hidden_champion"]
    assert unmet_codes(new) == ["excluded_higher_tier"]
    assert "already holds specialised little giant" in new.unmet[0]["message"]
    assert evaluate(data, "miit-2026", rereview=True).tiers["hidden_champion"].passed


def test_hidden_champion_2026_re_review_keeps_its_listed_conditions_only():
    data = with_changes(
        star(),
        {
            "enterprise.established_year": 2020,
            "quality.international_cert": False,
            f"{F24}.operating_revenue": 52000,
        },
    )
    new = evaluate(data, "miit-2026").tiers["hidden_champion"]
    assert unmet_codes(new) == ["operating_years", "revenue_grew", "international_cert"]
    assert evaluate(data, "miit-2026", rereview=True).tiers["hidden_champion"].passed
    weak = with_changes(data, {"ip.invention_patents_applied": 3})
    assert unmet_codes(evaluate(weak, "miit-2026", rereview=True).tiers["hidden_champion"]) == [
        "invention_patents"
    ]


def test_hidden_champion_debt_limit_moved_from_70_to_75():
    data = with_changes(star(), {f"{F25}.total_liabilities": 43800})  # 73%
    assert not evaluate(data, "miit-2022").tiers["hidden_champion"].passed
    assert evaluate(data, "miit-2026").tiers["hidden_champion"].passed


@pytest.mark.parametrize(
    "tier", ["innovative_sme", "specialised_sme", "hidden_champion", "little_giant", "single_champion"]
)
def test_every_2026_tier_passes_for_the_star_and_fails_for_example_b(tier):
    assert evaluate(star(), "miit-2026").tiers[tier].passed
    failed = evaluate(example("B")["profile"], "miit-2026").tiers[tier]
    assert failed.status == "failed" and failed.unmet
