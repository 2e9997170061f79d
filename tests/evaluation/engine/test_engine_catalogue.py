"""The engine's catalogue: every text it can produce exists in Chinese, and results read in either language."""

from __future__ import annotations

import io
import json
import pickle
import re
from pathlib import Path

import pytest

from evaluation import cli
from evaluation.engine import evaluate, load_ruleset, messages, parse_profile
from evaluation.engine.localise import localise
from evaluation.engine.metrics import METRICS

DATA = Path(__file__).resolve().parents[2] / "data"
CHINESE = re.compile(r"[\u4e00-\u9fff]")
ZH = messages.catalogue(messages.ZH)


def example(name: str) -> dict:
    return json.loads((DATA / f"example_{name}.json").read_text(encoding="utf-8"))["profile"]


def ruleset_codes(kind: str) -> set[str]:
    """Indicator codes, category codes or the code values (``value`` / ``when``) the built-in rulesets use."""
    found: set[str] = set()
    for code in ("miit-2022", "miit-2026"):
        compiled = load_ruleset(code)
        for tier in compiled.tiers.values():
            if kind == "indicators":
                found.update(ind.code for ind in tier.indicators)
            elif kind == "categories":
                found.update(tier.categories)
    return found


@pytest.mark.parametrize("section", messages.SECTIONS)
def test_every_english_text_has_a_chinese_translation_with_chinese_characters(section):
    source = messages.SOURCE[section]
    translated = getattr(ZH, section)
    words = {"ops"}  # operators are symbols (≥, <) in both languages
    for key, english in source.items():
        if section == "fields":
            continue
        text = translated.get(key)
        assert text and text != english or section in words, f"{section}.{key} has no Chinese text"
        if section not in words and section != "words":
            assert CHINESE.search(text), f"{section}.{key}: {text!r} has no Chinese characters"


def test_every_metric_indicator_category_and_tier_of_the_rulesets_is_named_in_chinese():
    for name in METRICS:
        assert CHINESE.search(ZH.labels.get(name, "")), f"metric {name} has no Chinese label"
    for code in ruleset_codes("indicators"):
        assert CHINESE.search(ZH.indicators.get(code, "")), f"indicator {code} has no Chinese name"
    for code in ruleset_codes("categories"):
        assert CHINESE.search(ZH.categories.get(code, "")), f"category {code} has no Chinese name"
    for code in messages.TIER_LABELS:
        assert CHINESE.search(ZH.tiers[code])
    # The value labels the issue names.
    assert ZH.values["class_i"] == "Ⅰ类知识产权"
    assert ZH.values["strategic_emerging"] == "战略性新兴产业"
    assert ZH.values["small"] == "小型企业"


def test_the_chinese_templates_take_the_same_parameters_as_the_english_ones():
    fields = re.compile(r"{(\w+)}")
    for key, english in messages.TEMPLATES.items():
        assert set(fields.findall(ZH.templates[key])) <= set(fields.findall(english)), key


def test_a_shortfall_reads_as_the_official_text_does():
    profile = parse_profile({**example("A"), "financials": [
        {**f, "rd_expense": f["operating_revenue"] * 0.0093} if i == 0 else f
        for i, f in enumerate(example("A")["financials"])]})
    result = evaluate(profile, load_ruleset("miit-2026"))
    unmet = result.tiers["specialised_sme"].unmet
    texts = {u.code: u.text("zh-hans") for u in unmet}
    assert "研发费用占营业收入比重 0.93%，低于 3%" in texts.values()
    english = {u.code: u["message"] for u in unmet}
    assert "R&D ratio 0.93% is below 3%" in english.values()


def every_message(result, lang):
    for tier in result.tiers.values():
        for item in [*tier.unmet, *tier.direct, *(tier.advice or [])]:
            yield item, item.text(lang)


@pytest.mark.parametrize("name", ["A", "B", "C", "D"])
@pytest.mark.parametrize("ruleset", ["miit-2022", "miit-2026"])
def test_every_message_of_the_worked_examples_is_chinese_without_codes(name, ruleset):
    result = evaluate(parse_profile(example(name)), load_ruleset(ruleset), advice=True)
    seen = 0
    for item, text in every_message(result, "zh-hans"):
        seen += 1
        assert CHINESE.search(text), text
        assert not re.search(r"[a-z]{2,}", text), f"{item.code}: {text}"  # no code, no English word
    assert seen
    data = localise(result.to_dict("zh-hans"), "zh-hans")
    for tier in data["tiers"].values():
        assert CHINESE.search(tier["label"])
        for line in tier["indicators"]:
            assert CHINESE.search(line["label"]) and CHINESE.search(line["category_label"])
            assert line["value_label"] is None or not re.search(r"[a-z]{2,}", str(line["value_label"]))
    assert CHINESE.search(data["size_class_label"])


def test_a_stored_result_is_read_later_in_either_language_with_its_codes_unchanged():
    result = evaluate(parse_profile(example("A")), load_ruleset("miit-2026"), advice=True)
    stored = json.loads(json.dumps(result.to_dict(portable=True)))
    english, chinese = localise(stored, "en"), localise(stored, "zh-hans")
    for code, tier in result.tiers.items():
        for key in ("unmet", "advice", "direct"):
            live = [item.text("zh-hans") for item in getattr(tier, key) or []]
            assert [i["message"] for i in chinese["tiers"][code].get(key) or []] == live
            assert [i["message"] for i in english["tiers"][code].get(key) or []] == [
                item["message"] for item in getattr(tier, key) or []]
            assert [i["code"] for i in chinese["tiers"][code].get(key) or []] == [
                i["code"] for i in english["tiers"][code].get(key) or []]
            assert all("msg" not in i for i in chinese["tiers"][code].get(key) or [])
    assert result.to_dict() == {**result.to_dict(), "tiers": result.to_dict()["tiers"]}
    assert "msg" not in json.dumps(result.to_dict())  # the plain result JSON keeps profile.md's shape


def test_a_copied_finding_keeps_both_languages():
    result = evaluate(parse_profile(example("A")), load_ruleset("miit-2022"), advice=True)
    tier = result.tiers["little_giant"]
    copied = pickle.loads(pickle.dumps(tier))
    assert [u.text("zh-hans") for u in copied.unmet] == [u.text("zh-hans") for u in tier.unmet]
    assert [a.text("zh-hans") for a in copied.advice] == [a.text("zh-hans") for a in tier.advice]


def test_numbers_are_formatted_with_the_units_of_the_forms():
    from decimal import Decimal

    assert messages.fmt(Decimal("3000"), "wan", "zh-hans") == "3000万元"
    assert messages.fmt(Decimal("3000"), "wan", "en") == "3000"  # the English label carries (万元)
    assert messages.fmt(Decimal("0.934"), "pct2", "zh-hans") == "0.93%"
    assert messages.fmt("small", "code", "zh-hans") == "小型企业"
    assert messages.fmt(None, "", "zh-hans") == "无"
    assert messages.language("zh-CN") == messages.language("zh_Hans") == "zh-hans"
    assert messages.language("fr") == "en"


def test_the_command_renders_in_the_language_asked_for_with_the_same_codes():
    profile = json.dumps(example("A"))
    outputs = {}
    for lang in ("en", "zh-hans"):
        out = io.StringIO()
        assert cli.main(["-", "--ruleset", "miit-2022", "--lang", lang], stdin=io.StringIO(profile), stdout=out) == 0
        outputs[lang] = json.loads(out.getvalue())[0]
    en, zh = outputs["en"]["tiers"]["little_giant"], outputs["zh-hans"]["tiers"]["little_giant"]
    assert [u["code"] for u in en["unmet"]] == [u["code"] for u in zh["unmet"]]
    assert all(CHINESE.search(u["message"]) for u in zh["unmet"])
    assert not any(CHINESE.search(u["message"].replace("万元", "").replace("创客中国", "")) for u in en["unmet"])
    default = io.StringIO()
    cli.main(["-", "--ruleset", "miit-2022"], stdin=io.StringIO(profile), stdout=default)
    assert json.loads(default.getvalue())[0]["tiers"]["little_giant"] == en  # English by default
    bad = io.StringIO()
    with pytest.raises(SystemExit):
        cli.main(["-", "--lang", "fr"], stdin=io.StringIO(profile), stdout=io.StringIO(), stderr=bad)
