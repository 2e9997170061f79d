"""Every user-facing text of the engine, as format strings in one place.

Kept apart from the logic so the texts can later be translated (the ``N_`` marker is a no-op that a message
extractor can find, like ``gettext_noop``) without the engine importing Django. Results hold a template key
and its parameters; the text is rendered only when somebody reads it, which keeps evaluation cheap.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any


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
    "pending.field": N_("{label} is not known yet ({field}); it must be {op}{limit}"),
    "pending.bool": N_("{label} is not judged yet ({field})"),
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


def fmt(value: Any, unit: str = "") -> str:
    """Format a figure for a message: 2 decimals for derived ratios, plain digits otherwise."""
    if value is None:
        return "none"
    if value is True:
        return "yes"
    if value is False:
        return "no"
    if value.__class__ is Decimal:
        if unit == "pct2":
            return f"{value:.2f}%"
        text = f"{value:.2f}"  # at most 2 decimals, without trailing zeros: 3000, 2850.5, 305.33
        if text.endswith("0"):
            text = text[:-3] if text.endswith("00") else text[:-1]
        if text == "-0":
            text = "0"
        return text + "%" if unit == "pct" else text
    if isinstance(value, (set, frozenset)):
        return ", ".join(sorted(fmt(v, unit) for v in value))
    if isinstance(value, (list, tuple)):
        return ", ".join(fmt(v, unit) for v in value)
    text = str(value)
    return text + "%" if unit in ("pct", "pct2") else text


def label(key: str) -> str:
    """The label of a metric or field; unknown keys read as themselves."""
    return LABELS.get(key, key)


def render(template: str, params: dict[str, Any]) -> str:
    """Render one template; parameters may themselves be lazy findings (rendered through ``str``)."""
    return TEMPLATES[template].format_map(params)
