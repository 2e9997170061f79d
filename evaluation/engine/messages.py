"""Every user-facing text of the engine, keyed, with parameters, in English here and in other languages as data.

Results hold a template key and its parameters; the text is rendered only when somebody reads it, in the
language asked for (``render(template, params, lang)``), which keeps evaluation cheap and lets the same result
be read in Chinese on a page and in English in a script. Parameters that depend on the language (a label, a
figure with its unit, a tier name, a nested sentence) are small ``Text`` objects rendered with the sentence.
The English texts below are the source; ``catalogue/<lang>.json`` gives every other language the same keys
(``N_`` marks a text for extraction, like ``gettext_noop``). The engine imports no Django: the caller passes
the language (Django's active language on a page, ``Accept-Language`` in the API, ``--lang`` on the command line).

A result can also be kept in a language-neutral form (``portable``: template key and encoded parameters, plain
JSON) and rendered later in any language with ``render_portable``; stored assessments use it.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

EN = "en"
ZH = "zh-hans"
LANGUAGES = (EN, ZH)


def N_(text: str) -> str:  # noqa: N802 - conventional name of a translation marker
    """Mark a string for translation without translating it now."""
    return text


OPS = {
    ">=": "≥ ",
    "<=": "≤ ",
    ">": "> ",
    "<": "< ",
    "==": "",
    "!=": "not ",
    "in": "one of ",
    "not_in": "none of ",
    "startswith": "starting with ",
}

# Words and separators that are not whole sentences.
WORDS: dict[str, str] = {
    "none": N_("none"),
    "yes": N_("yes"),
    "no": N_("no"),
    "and": N_(" and "),
    "or": N_(" or "),
    "or_list": N_("; or "),
    "list": N_(", "),
}

TEMPLATES: dict[str, str] = {
    # Unmet comparisons.
    "cmp.>=": N_("{label} {value} is below {limit}"),
    "cmp.>": N_("{label} {value} is not above {limit}"),
    "cmp.<=": N_("{label} {value} is above {limit}"),
    "cmp.<": N_("{label} {value} is not below {limit}"),
    "cmp.==": N_("{label} is {value}, needs {limit}"),
    "cmp.!=": N_("{label} must not be {limit}"),
    "cmp.in": N_("{label} is {value}, needs one of: {limit}"),
    "cmp.not_in": N_("{label} is {value}, which does not qualify"),
    "cmp.startswith": N_("{label} {value} does not start with {limit}"),
    "cmp.none": N_("{label}: none (needs {op}{limit})"),
    "bool.true": N_("needs {label}"),
    "bool.false": N_("disqualified: {label}"),
    # Figures the profile lacks, or that cannot be derived.
    "missing.field": N_("{field} is missing"),
    "missing.fin": N_("financials for {year}: {field} is missing"),
    "undefined.growth": N_(
        "{label} is undefined: {field} for {base_year} is {base}, a zero or negative base"
    ),
    "undefined.ratio": N_("{label} is undefined: financials for {year}: {field} is 0"),
    "pending.field": N_("{label} is not known yet; it must be {op}{limit}"),
    "pending.bool": N_("{label} is not judged yet"),
    # Declared items that count only once a reviewer confirms them (profile.md ``confirmations``).
    "confirm.pending.bool": N_("{by} has not yet confirmed the enterprise's declaration of {label}"),
    "confirm.pending.value": N_("{by} has not yet confirmed the declared {label} of {value} ({op}{limit})"),
    "confirm.refused.bool": N_("{by} did not confirm the enterprise's declaration of {label}"),
    "confirm.refused.value": N_("{by} did not confirm the declared {label} of {value}"),
    "declared.missing": N_("not declared: {label} (the enterprise declares it, then {by} confirms it)"),
    # Eligibility.
    "held.excluded": N_("already holds {tiers}, which excludes this tier"),
    "tier_met.none": N_("is not {tiers} (neither held nor met in this evaluation)"),
    "any": N_("none of the alternatives holds: {parts}"),
    "prereq.unmet": N_("requires {tier}: not held and not met in this evaluation"),
    "prereq.pending": N_("requires {tier}, whose result is pending"),
    # Scores.
    "score.total": N_("score {score} is below the pass mark {limit}"),
    "score.category": N_("{category} subtotal {score} is below the minimum {limit}"),
    "direct.none": N_("no direct qualification condition holds"),
    "direct.leaf": N_("qualifies directly: {label} {value} ({op}{limit})"),
    "direct.bool": N_("qualifies directly: {label}"),
    # Advice.
    "advice.indicator": N_("{label} {from_} → {to} adds {points} points"),
    "advice.threshold": N_("{label} {from_} → {to} (needs {op}{limit})"),
    "advice.obtain": N_("obtain {label}"),
    "advice.count": N_("needs {limit} {label}, has {value}"),
    "advice.wait": N_("{label} {from_} → {to}: {years} more year(s) needed"),
    "advice.cannot": N_("{message}; this cannot be changed by improving figures"),
    "advice.past": N_("{message}; a figure of a past year cannot be changed now"),
    "advice.external": N_("{message}; only the reviewers or the MIIT platform can supply it"),
    "advice.provide": N_("{message}; provide the figure"),
    "advice.unreachable": N_(
        "the pass mark {limit} and the category minimums cannot be reached by improving the scored indicators"
    ),
    "advice.prereq": N_("first meet {tier} (advice below) or hold it"),
}

TIER_LABELS: dict[str, str] = {
    "innovative_sme": N_("innovative SME"),
    "specialised_sme": N_("provincial specialised SME"),
    "hidden_champion": N_("Zhejiang hidden champion"),
    "little_giant": N_("specialised little giant"),
    "single_champion": N_("manufacturing single champion"),
}

CATEGORY_LABELS: dict[str, str] = {
    "innovation": N_("innovation"),
    "growth": N_("growth"),
    "specialisation": N_("specialisation"),
    "refinement": N_("refinement"),
    "distinctiveness": N_("distinctiveness"),
}

# Labels of metrics and profile fields, used in comparison messages ("{label} {value} is below {limit}") and,
# for booleans, after "needs" / "disqualified:".
LABELS: dict[str, str] = {
    "employees": N_("employees"),
    "rd_staff": N_("R&D staff"),
    "digital_level": N_("digital level"),
    "it_system": N_("a core business run on an information system"),
    "rd_institution": N_("R&D institution"),
    "local_feature_score": N_("local distinctive score"),
    "credit_ok": N_("a bank credit rating of A or above, or a clean PBoC credit report"),
    "platform_score": N_("MIIT platform score"),
    "platform_score_previous": N_("prior-year MIIT platform score"),
    "enterprise.region_code": N_("region code"),
    "enterprise.sector": N_("sector"),
    "enterprise.established_year": N_("year established"),
    "ip.class_i": N_("Class I IP"),
    "ip.class_i_self_developed": N_("self-developed Class I IP"),
    "ip.class_i_high_value": N_("high-value Class I IP"),
    "ip.class_i_applied": N_("applied Class I IP"),
    "ip.class_ii": N_("Class II IP"),
    "ip.invention_patents_applied": N_("applied invention patents"),
    "market.niche_years": N_("years in the niche"),
    "market.field_years": N_("years in the field"),
    "market.new_product": N_("a new product"),
    "market.main_products": N_("number of main products"),
    "market.national_share_pct": N_("national niche market share"),
    "market.national_rank": N_("national market rank"),
    "market.global_rank": N_("global market rank"),
    "market.niche_share_leading": N_("a relatively high niche market share of the main product (市场占有率较为靠前)"),
    "market.international_share_pct": N_("international niche market share"),
    "confirmations.market.niche_share_leading": N_(
        "a reviewer's confirmation of the declared relatively high niche market share"
    ),
    "confirmations.market.international_share_pct": N_(
        "a reviewer's confirmation of the declared international niche market share"
    ),
    # Who confirms a declared item (``confirm.by`` in ruleset data).
    "confirmer.city_county": N_("the city or county industry and information technology department (市/县经信部门)"),
    "confirmer.province": N_("the provincial SME department (省级中小企业主管部门)"),
    "product_field.strategic_emerging": N_("a main product in 《战略性新兴产业分类》"),
    "product_field.six_basics": N_(
        "a main product in the 六基 fields (or 中华老字号, or serving a key chain leader)"
    ),
    "product_field.key_chain_results": N_("补短板/锻长板/填空白 results at a key chain link"),
    "product_field.chain_role": N_("a key-link role in the industrial chain (reviewers' judgement)"),
    "product_field.key_field": N_("a main product in a key field (reviewers' judgement)"),
    "quality.quality_award": N_("a provincial-or-higher quality award"),
    "quality.management_certified": N_("a management-system certification such as ISO 9001"),
    "quality.own_brand": N_("an own brand"),
    "quality.standards": N_("standards led or co-drafted"),
    "quality.international_cert": N_("an international certification"),
    "awards.national_sci_rank": N_("rank in a national S&T award (last 3 years)"),
    "awards.provincial_sci_rank": N_("rank in a provincial S&T award (last 3 years)"),
    "awards.chuangke": N_("创客中国 result (last 3 years)"),
    "honours.high_tech_enterprise": N_("a valid 高新技术企业 certificate"),
    "honours.innovation_demo": N_("a valid 国家级技术创新示范企业 title"),
    "honours.ip_advantage": N_("a valid 知识产权优势/示范企业 title"),
    "equity_financing.last_2y": N_("equity financing over the last 2 years (万元)"),
    "equity_financing.last_3y": N_("equity financing over the last 3 years (万元)"),
    "compliance.abnormal_operations_list": N_("listed on the 经营异常名录"),
    "compliance.seriously_dishonest": N_("listed as a seriously dishonest entity (严重失信主体)"),
    "compliance.restricted_products": N_("products in the prohibited, restricted or obsolete classes"),
    "compliance.major_accident_3y": N_(
        "a major safety, quality or environmental accident in the last 3 years"
    ),
    "compliance.tax_evasion_3y": N_("tax evasion or another violation in the last 3 years"),
    "compliance.data_fraud_3y": N_("data fraud in the last 3 years"),
    "single_champion.intl_advanced_tech": N_("internationally advanced technology, process and quality"),
    "single_champion.energy_advanced": N_("energy use at the advanced value of the industry limit standard"),
    "single_champion.core_ip": N_("core independent IP"),
    "single_champion.profit_above_industry": N_("a profit margin above the industry level"),
    "single_champion.niche_product_share_pct": N_("niche products' share of revenue"),
    "size_class": N_("size class"),
    "indicator.ip": N_("IP class"),
    "indicator.product_field": N_("main product field"),
    "indicator.quality": N_("quality items"),
    "operating_years": N_("years in operation"),
    "revenue": N_("operating revenue (万元)"),
    "revenue_prev": N_("prior-year operating revenue (万元)"),
    "main_revenue": N_("main-business revenue (万元)"),
    "rd_expense": N_("R&D expense (万元)"),
    "rd_expense_prev": N_("prior-year R&D expense (万元)"),
    "net_profit": N_("net profit (万元)"),
    "main_share": N_("main-business share of revenue"),
    "main_growth": N_("main-business revenue growth"),
    "main_growth_2y": N_("2-year average main-business revenue growth"),
    "revenue_growth_2y": N_("2-year operating revenue growth"),
    "net_profit_growth_2y": N_("2-year average net-profit growth"),
    "revenue_grew_2y": N_("operating revenue growth in each of the last 2 years"),
    "rd_ratio": N_("R&D ratio"),
    "rd_ratio_prev": N_("prior-year R&D ratio"),
    "rd_total_2y": N_("R&D expense over the last 2 years (万元)"),
    "rd_avg_2y": N_("average R&D expense over the last 2 years (万元)"),
    "debt_ratio": N_("debt-to-asset ratio"),
    "net_margin": N_("net profit margin"),
    "rd_staff_share": N_("R&D staff share"),
    "main_revenue_avg_3y": N_("3-year average main-business revenue (万元)"),
}



# Codes that appear as values (indicator values, size classes, code-valued limits), read as words.
VALUE_LABELS: dict[str, str] = {
    "class_i_self_developed": N_("self-developed Class I IP"),
    "class_i_high_value": N_("high-value Class I IP"),
    "class_i": N_("Class I IP"),
    "class_ii": N_("Class II IP"),
    "strategic_emerging": N_("strategic emerging industry"),
    "six_basics": N_("六基 field"),
    "key_chain_results": N_("key chain link results"),
    "other": N_("other"),
    "none": N_("none"),
    "micro": N_("micro"),
    "small": N_("small"),
    "medium": N_("medium"),
    "large": N_("large"),
    "national": N_("national"),
    "provincial": N_("provincial"),
    "municipal": N_("municipal"),
    "below_municipal": N_("below municipal"),
    "top50": N_("top 50"),
    "top500": N_("top 500"),
    "industry": N_("industry"),
    "software": N_("software and IT services"),
}

# Names of the scored indicators (the ``code`` of an indicator line).
INDICATOR_LABELS: dict[str, str] = {
    "ip": N_("IP class"),
    "rd_ratio": N_("R&D ratio"),
    "rd_input": N_("R&D input"),
    "main_growth": N_("main-business revenue growth"),
    "main_growth_2y": N_("2-year average main-business revenue growth"),
    "debt_ratio": N_("debt-to-asset ratio"),
    "product_field": N_("main product field"),
    "main_share": N_("main-business share of revenue"),
    "niche_years": N_("years in the niche"),
    "quality": N_("quality items"),
    "digital_level": N_("digital level"),
    "rd_institution": N_("R&D institution"),
    "local_feature": N_("local distinctive score"),
    "net_margin": N_("net profit margin"),
    "rd_staff_share": N_("R&D staff share"),
}

# Profile fields named in "is missing" messages. English names the field of the profile contract as it is
# (profile.md: "financials for 2023: main_business_revenue is missing"); other languages give its name.
FIELD_LABELS: dict[str, str] = {}

SOURCE = {
    "templates": TEMPLATES,
    "ops": OPS,
    "words": WORDS,
    "tiers": TIER_LABELS,
    "categories": CATEGORY_LABELS,
    "labels": LABELS,
    "values": VALUE_LABELS,
    "indicators": INDICATOR_LABELS,
    "fields": FIELD_LABELS,
}
SECTIONS = tuple(SOURCE)
_CATALOGUE_DIR = Path(__file__).resolve().parent / "catalogue"


class Catalogue:
    """One language's texts: each section of ``SOURCE``, falling back to English for a key it lacks."""

    __slots__ = (*SECTIONS, "lang", "wan_unit", "year_unit")

    def __init__(self, lang: str, data: dict[str, Any]) -> None:
        self.lang = lang
        for section in SECTIONS:
            setattr(self, section, {**SOURCE[section], **(data.get(section) or {})})
        units = data.get("units") or {}
        self.wan_unit = units.get("wan", "")  # appended to 万元 figures (English labels carry "(万元)")
        self.year_unit = units.get("years", "")


def _load(lang: str) -> Catalogue:
    if lang == EN:
        return Catalogue(EN, {})
    with open(_CATALOGUE_DIR / f"{lang}.json", encoding="utf-8") as handle:
        return Catalogue(lang, json.load(handle))


CATALOGUES: dict[str, Catalogue] = {lang: _load(lang) for lang in LANGUAGES}


def language(code: str | None) -> str:
    """The catalogue for a language code as Django or a browser gives it: zh, zh-hans, zh-CN, zh_Hans → zh-hans."""
    if not code:
        return EN
    code = code.strip().lower().replace("_", "-")
    if code in CATALOGUES:
        return code
    if code.startswith("zh"):
        return ZH
    return EN


def catalogue(lang: str) -> Catalogue:
    found = CATALOGUES.get(lang)
    return found if found is not None else CATALOGUES[language(lang)]


def _number(value: Decimal) -> str:
    text = f"{value:.2f}"  # at most 2 decimals, without trailing zeros: 3000, 2850.5, 305.33
    if text.endswith("0"):
        text = text[:-3] if text.endswith("00") else text[:-1]
    return "0" if text == "-0" else text


def fmt(value: Any, unit: str = "", lang: str = EN) -> str:
    """Format a figure for a message: 2 decimals for derived ratios, plain digits otherwise, codes as words."""
    cls = value.__class__
    if cls is Decimal:
        if unit == "pct2":
            return f"{value:.2f}%"
        text = _number(value)
    elif cls is int:
        text = str(value)
    else:
        cat = CATALOGUES.get(lang) or catalogue(lang)
        if value is None:
            return cat.words["none"]
        if value is True:
            return cat.words["yes"]
        if value is False:
            return cat.words["no"]
        if cls is str:
            return cat.values.get(value, value)
        if isinstance(value, (set, frozenset)):
            return cat.words["list"].join(sorted(fmt(v, unit, lang) for v in value))
        if isinstance(value, (list, tuple)):
            return cat.words["list"].join(fmt(v, unit, lang) for v in value)
        text = str(value)
    if unit == "pct" or unit == "pct2":
        return text + "%"
    if unit == "wan" or unit == "years":
        if lang == EN:
            return text
        cat = CATALOGUES.get(lang) or catalogue(lang)
        return text + (cat.wan_unit if unit == "wan" else cat.year_unit)
    return text


# --- parameters that depend on the language ------------------------------------------------------------


class Text:
    """A parameter rendered with its sentence, in the sentence's language; ``portable`` is its plain JSON."""

    __slots__ = ()

    def text(self, lang: str) -> str:
        raise NotImplementedError

    def portable(self) -> Any:
        raise NotImplementedError

    def __format__(self, spec: str) -> str:
        return self.text(EN)

    def __str__(self) -> str:
        return self.text(EN)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Text) and self.portable() == other.portable()

    def __hash__(self) -> int:
        return hash(json.dumps(self.portable(), sort_keys=True))

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.portable()!r})"


class Label(Text):
    """The label of a metric or profile field; ``custom`` (a ruleset's own label) is a text or one per language."""

    __slots__ = ("key", "custom")

    def __init__(self, key: str, custom: Any = None) -> None:
        self.key = key
        self.custom = custom

    def text(self, lang: str) -> str:
        custom = self.custom
        if custom is not None:
            if isinstance(custom, str):
                return custom if lang == EN else catalogue(lang).labels.get(self.key, custom)
            return custom.get(lang) or custom.get(EN) or self.key
        return catalogue(lang).labels.get(self.key, self.key)

    def portable(self) -> Any:
        return {"l": self.key} if self.custom is None else {"l": self.key, "c": self.custom}


class Num(Text):
    """A figure with its unit (``fmt``)."""

    __slots__ = ("value", "unit")

    def __init__(self, value: Any, unit: str = "") -> None:
        self.value = value
        self.unit = unit

    def text(self, lang: str) -> str:
        return fmt(self.value, self.unit, lang)

    def portable(self) -> Any:
        value = self.value
        if value.__class__ is Decimal:
            return {"d": str(value), "u": self.unit}
        if isinstance(value, (set, frozenset)):
            items = sorted(value, key=str)
            if items and all(v.__class__ is Decimal for v in items):
                return {"ds": [str(v) for v in items], "u": self.unit}
            return {"vs": list(items), "u": self.unit}
        return {"v": value, "u": self.unit}


class Op(Text):
    __slots__ = ("op",)

    def __init__(self, op: str) -> None:
        self.op = op

    def text(self, lang: str) -> str:
        return catalogue(lang).ops.get(self.op, self.op)

    def portable(self) -> Any:
        return {"o": self.op}


class Tiers(Text):
    """Tier names joined by ``and`` / ``or`` / ``list``."""

    __slots__ = ("codes", "joiner")

    def __init__(self, codes: Any, joiner: str = "list") -> None:
        self.codes = tuple(codes)
        self.joiner = joiner

    def text(self, lang: str) -> str:
        cat = catalogue(lang)
        return cat.words[self.joiner].join(cat.tiers.get(c, c) for c in self.codes)

    def portable(self) -> Any:
        return {"tiers": list(self.codes), "j": self.joiner}


class Category(Text):
    __slots__ = ("code",)

    def __init__(self, code: str) -> None:
        self.code = code

    def text(self, lang: str) -> str:
        return catalogue(lang).categories.get(self.code, self.code)

    def portable(self) -> Any:
        return {"c": self.code}


class Field(Text):
    """A profile field named in a "missing" message."""

    __slots__ = ("path",)

    def __init__(self, path: str) -> None:
        self.path = path

    def text(self, lang: str) -> str:
        cat = catalogue(lang)
        if lang == EN:
            return self.path
        return cat.fields.get(self.path) or cat.labels.get(self.path) or self.path

    def portable(self) -> Any:
        return {"f": self.path}


class Msg(Text):
    """A whole sentence used as a parameter (advice quoting an unmet rule)."""

    __slots__ = ("template", "params")

    def __init__(self, template: str, params: dict[str, Any]) -> None:
        self.template = template
        self.params = params

    def text(self, lang: str) -> str:
        return render(self.template, self.params, lang)

    def portable(self) -> Any:
        return {"t": self.template, "p": portable_params(self.params)}


class Alternatives(Text):
    """The alternatives of an ``any`` rule: groups of sentences joined by "and", the groups by "; or"."""

    __slots__ = ("groups",)

    def __init__(self, groups: list) -> None:
        self.groups = groups

    def text(self, lang: str) -> str:
        words = catalogue(lang).words
        return words["or_list"].join(words["and"].join(f.text(lang) for f in group) for group in self.groups)

    def portable(self) -> Any:
        return {"any": [[f.portable() for f in group] for group in self.groups]}


def label(key: str) -> Label:
    """The label of a metric or field; unknown keys read as themselves."""
    return Label(key)


class _Params:
    """The mapping ``str.format_map`` reads: each parameter rendered in the sentence's language."""

    __slots__ = ("params", "lang")

    def __init__(self, params: dict[str, Any], lang: str) -> None:
        self.params = params
        self.lang = lang

    def __getitem__(self, key: str) -> Any:
        value = self.params[key]
        text = getattr(value, "text", None)
        return value if text is None else text(self.lang)


def render(template: str, params: dict[str, Any], lang: str = EN) -> str:
    """Render one template in ``lang``; parameters may be ``Text`` objects or findings (rendered in ``lang``)."""
    cat = CATALOGUES.get(lang) or catalogue(lang)
    return cat.templates[template].format_map(_Params(params, cat.lang))


# --- the language-neutral form -------------------------------------------------------------------------


def portable_value(value: Any) -> Any:
    encode = getattr(value, "portable", None)
    if encode is not None:
        return encode()
    if value.__class__ is Decimal:
        return _number(value)
    return value


def portable_params(params: dict[str, Any]) -> dict[str, Any]:
    return {key: portable_value(value) for key, value in params.items()}


def decode(value: Any) -> Any:
    if not isinstance(value, dict):
        return value
    if "t" in value:
        return Msg(value["t"], {k: decode(v) for k, v in (value.get("p") or {}).items()})
    if "l" in value:
        return Label(value["l"], value.get("c"))
    if "d" in value:
        return Num(Decimal(value["d"]), value.get("u", ""))
    if "ds" in value:
        return Num(frozenset(Decimal(v) for v in value["ds"]), value.get("u", ""))
    if "vs" in value:
        return Num(frozenset(value["vs"]), value.get("u", ""))
    if "v" in value:
        return Num(value["v"], value.get("u", ""))
    if "o" in value:
        return Op(value["o"])
    if "tiers" in value:
        return Tiers(value["tiers"], value.get("j", "list"))
    if "c" in value:
        return Category(value["c"])
    if "f" in value:
        return Field(value["f"])
    if "any" in value:
        return Alternatives([[decode(f) for f in group] for group in value["any"]])
    return value


def render_portable(message: Any, lang: str = EN) -> str | None:
    """The text of a stored ``{"t": template, "p": params}`` in ``lang``; None when it is not one."""
    if not isinstance(message, dict) or message.get("t") not in TEMPLATES:
        return None
    decoded = decode(message)
    return decoded.text(lang)


# --- words for codes -----------------------------------------------------------------------------------


def tier_label(code: str, lang: str = EN) -> str:
    return catalogue(lang).tiers.get(code, code)


def category_label(code: str, lang: str = EN) -> str:
    return catalogue(lang).categories.get(code, code)


def indicator_label(code: str, lang: str = EN) -> str:
    return catalogue(lang).indicators.get(code, code)


def value_label(value: Any, lang: str = EN) -> Any:
    """An indicator's shown value in ``lang``: a code as its word, figures as they are."""
    if isinstance(value, str):
        return catalogue(lang).values.get(value, value)
    return value
