"""The 2026 items no figure decides: declared by the enterprise, counted once a reviewer confirms them."""

from __future__ import annotations

import copy

import pytest
from engine_factories import star, unmet_codes, with_changes

from evaluation.engine import ProfileError, RulesetError, evaluate, load_ruleset, parse_profile, ruleset_from_dict

LEADING = "market.niche_share_leading"
INTERNATIONAL = "market.international_share_pct"


def specialised(data: dict):
    return evaluate(data, "miit-2026").tiers["specialised_sme"]


def judged(data: dict, **verdicts) -> dict:
    """``data`` with the reviewers' verdicts (``leading=True``, ``international=None`` …) in force."""
    paths = {"leading": LEADING, "international": INTERNATIONAL}
    return {**data, "confirmations": {paths[k]: v for k, v in verdicts.items()}}


def test_a_declared_and_confirmed_leading_share_passes_item_6():
    result = specialised(judged(star(), leading=True))
    assert result.passed and result.route == "thresholds"


def test_a_declared_leading_share_nobody_has_judged_is_pending_and_says_who_must_confirm_it():
    result = specialised(judged(star(), leading=None))
    assert (result.status, result.passed) == ("pending", False)
    assert unmet_codes(result) == ["niche_share_leading"]
    finding = result.unmet[0]
    assert finding.text("zh-hans") == "市/县经信部门尚未确认企业申报的“主导产品细分市场占有率较为靠前”"
    assert finding.text("en").startswith(
        "the city or county industry and information technology department (市/县经信部门) has not yet confirmed "
        "the enterprise's declaration of a relatively high niche market share")


def test_a_refused_leading_share_is_unmet():
    result = specialised(judged(star(), leading=False))
    assert result.status == "failed"
    assert unmet_codes(result) == ["niche_share_leading"]
    assert result.unmet[0].text("zh-hans") == "市/县经信部门未认可企业申报的“主导产品细分市场占有率较为靠前”"


def test_declaring_no_leading_share_is_unmet_whatever_a_reviewer_said():
    result = specialised(judged(with_changes(star(), {LEADING: False}), leading=True))
    assert result.status == "failed"
    assert unmet_codes(result) == ["niche_share_leading"]


def test_an_undeclared_leading_share_is_unmet_naming_the_field():
    """profile.md: a figure a rule needs but the profile lacks makes the rule unmet, naming the field; only a
    declared item waits for the reviewers."""
    result = specialised(judged(with_changes(star(), {LEADING: None})))
    assert result.status == "failed"
    assert result.unmet[0]["message"].startswith("not declared: a relatively high niche market share")
    assert result.unmet[0].text("zh-hans") == (
        "企业未申报“主导产品细分市场占有率较为靠前”；由企业申报后经市/县经信部门确认")


def test_pending_item_6_never_hides_a_real_failure():
    result = specialised(judged(with_changes(star(), {"market.niche_years": 2}), leading=None))
    assert result.status == "failed"
    assert unmet_codes(result) == ["niche_years", "niche_share_leading"]


def little_giant(data: dict, rereview: bool = False):
    return evaluate(data, "miit-2026", rereview=rereview).tiers["little_giant"]


# National share 5%, rank 8: only the international share can carry the little giant's item 5.
SMALL_AT_HOME = {"market.national_share_pct": 5, "market.national_rank": 8}


@pytest.mark.parametrize(("share", "verdict", "status"), [
    (12, True, "passed"),
    (12, None, "pending"),
    (12, False, "failed"),
    (8, True, "failed"),  # confirmed, but below 10%
    (None, None, "failed"),
])
def test_the_little_giant_counts_an_international_share_once_confirmed(share, verdict, status):
    data = judged(with_changes(star(), {**SMALL_AT_HOME, INTERNATIONAL: share}), leading=True,
                  international=verdict)
    result = little_giant(data)
    assert result.status == status
    assert unmet_codes(result) == ([] if status == "passed" else ["market_position"])


def test_an_unconfirmed_international_share_names_the_provincial_department_in_both_languages():
    data = judged(with_changes(star(), {**SMALL_AT_HOME, INTERNATIONAL: 12}), leading=True)
    message = little_giant(data).unmet[0]
    assert ("the provincial SME department (省级中小企业主管部门) has not yet confirmed the declared international "
            "niche market share of 12% (≥ 10%)") in message.text("en")
    assert "省级中小企业主管部门尚未确认企业申报的细分市场国际占有率 12%（须≥ 10%）" in message.text("zh-hans")


def test_a_national_share_of_10_percent_needs_no_international_share_or_confirmation():
    data = judged(with_changes(star(), {"market.national_share_pct": 10, "market.national_rank": 8}), leading=True)
    assert little_giant(data).passed


def test_the_2022_rules_ignore_the_declared_items():
    plain = evaluate(star(), "miit-2022").to_dict()
    refused = evaluate(judged(with_changes(star(), {INTERNATIONAL: 3}), leading=False), "miit-2022").to_dict()
    assert refused["tiers"] == plain["tiers"]


def test_the_thresholds_and_their_clauses_are_ruleset_data():
    rules = {rule["code"]: rule for rule in load_ruleset("miit-2026").data["tiers"]["specialised_sme"]["rules"]
             if "code" in rule}
    assert rules["niche_share_leading"]["confirm"]["by"] == "city_county"
    assert "第6项" in rules["niche_share_leading"]["source"]
    position = next(r for r in load_ruleset("miit-2026").data["tiers"]["little_giant"]["rules"]
                    if r.get("code") == "market_position")
    international = next(a for a in position["any"] if a["metric"] == INTERNATIONAL)
    assert (international["value"], international["confirm"]["by"]) == (10, "province")
    assert "国内或国际" in position["source"]


def test_a_ruleset_may_ask_for_confirmation_only_of_a_declared_item():
    data = copy.deepcopy(load_ruleset("miit-2026").data)
    rules = data["tiers"]["specialised_sme"]["rules"]
    index = next(i for i, r in enumerate(rules) if r.get("code") == "main_share")
    rules[index] = {**rules[index], "confirm": {"by": "city_county", "source": "x", "confidence": "U"}}
    with pytest.raises(RulesetError, match=rf"tiers\.specialised_sme\.rules\[{index}\]\.confirm"):
        ruleset_from_dict(data)
    leading = next(i for i, r in enumerate(rules) if r.get("code") == "niche_share_leading")
    rules[index] = load_ruleset("miit-2026").data["tiers"]["specialised_sme"]["rules"][index]
    rules[leading]["confirm"]["by"] = "nobody"
    with pytest.raises(RulesetError, match=r"confirm\.by"):
        ruleset_from_dict(data)


def test_a_profile_without_the_2026_items_still_loads_as_not_declared():
    data = star()
    del data["confirmations"]
    del data["market"]["niche_share_leading"]
    del data["market"]["international_share_pct"]
    profile = parse_profile(data)
    assert profile.market.niche_share_leading is None and profile.market.international_share_pct is None
    assert profile.confirmations == {}


@pytest.mark.parametrize(("change", "field"), [
    ({"confirmations": {"market.national_share_pct": True}}, "confirmations.market.national_share_pct"),
    ({"confirmations": {LEADING: "yes"}}, f"confirmations.{LEADING}"),
    ({"confirmations": [LEADING]}, "confirmations"),
    ({"market": {"niche_share_leading": "yes"}}, LEADING),
    ({"market": {"international_share_pct": 120}}, INTERNATIONAL),
])
def test_bad_declared_items_or_verdicts_are_refused_naming_the_field(change, field):
    data = star()
    for key, value in change.items():
        data[key] = {**data[key], **value} if key == "market" else value
    with pytest.raises(ProfileError) as caught:
        parse_profile(data)
    assert caught.value.field == field
