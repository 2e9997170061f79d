"""Each tier checks the no-bad-record items its own text names, as ruleset data with the clause.

criteria.md §0.4 (the 63号 tiers): 经营异常名录, 严重失信, prohibited/restricted products, a major accident and
tax evasion: five items, data fraud not among them. HC-9 (hidden champion 2026): major accident, serious
dishonesty, tax evasion and data fraud. 138号 第三条 (single champion): the §0.4 items and data fraud.
"""

from __future__ import annotations

import pytest
from engine_factories import star, with_changes

from evaluation.engine import evaluate, load_ruleset

SECTION_0_4 = {"abnormal_operations_list", "seriously_dishonest", "restricted_products", "major_accident_3y",
               "tax_evasion_3y"}
HC_9 = {"seriously_dishonest", "major_accident_3y", "tax_evasion_3y", "data_fraud_3y"}
SC_138 = SECTION_0_4 | {"data_fraud_3y"}

SCOPE = {
    "miit-2022": {"innovative_sme": SECTION_0_4, "specialised_sme": SECTION_0_4, "little_giant": SECTION_0_4,
                  "hidden_champion": SECTION_0_4, "single_champion": SC_138},
    "miit-2026": {"innovative_sme": SECTION_0_4, "specialised_sme": SECTION_0_4, "little_giant": SECTION_0_4,
                  "hidden_champion": HC_9, "single_champion": SC_138},
}


def compliance_leaves(ruleset: str, tier: str) -> list:
    compiled = load_ruleset(ruleset).tiers[tier]
    return [leaf for node in compiled.rules_new for leaf in node.leaves()
            if leaf.metric.name.startswith("compliance.")]


@pytest.mark.parametrize("ruleset", sorted(SCOPE))
@pytest.mark.parametrize("tier", ["innovative_sme", "specialised_sme", "hidden_champion", "little_giant",
                                  "single_champion"])
def test_each_tier_checks_exactly_the_compliance_items_its_text_names_with_the_clause(ruleset, tier):
    leaves = compliance_leaves(ruleset, tier)
    assert {leaf.metric.name.removeprefix("compliance.") for leaf in leaves} == SCOPE[ruleset][tier]
    for leaf in leaves:
        assert leaf.source, leaf.code
        if ruleset == "miit-2026" and tier == "hidden_champion":
            assert "HC-9" in leaf.source
        elif tier == "single_champion":
            assert "138号" in leaf.source
        else:
            assert "§0.4" in leaf.source


def test_data_fraud_bars_the_hidden_champion_2026_but_not_the_63_tiers():
    tiers = evaluate(with_changes(star(), {"compliance.data_fraud_3y": True}), "miit-2026").tiers
    assert tiers["hidden_champion"].status == "failed"
    assert [u.text("zh-hans") for u in tiers["hidden_champion"].unmet] == ["不符合条件：近三年存在数据造假行为"]
    assert tiers["innovative_sme"].passed and tiers["specialised_sme"].passed and tiers["little_giant"].passed


def test_the_abnormal_operations_list_is_not_an_hc9_item():
    tiers = evaluate(with_changes(star(), {"compliance.abnormal_operations_list": True}), "miit-2026").tiers
    assert tiers["hidden_champion"].passed
    assert not tiers["innovative_sme"].passed
    assert [u.code for u in tiers["innovative_sme"].unmet] == ["abnormal_operations_list"]
