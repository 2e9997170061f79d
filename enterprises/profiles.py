"""Build the evaluation profile (shared/spec/profile.md) from stored data.

``build_profile`` serves one enterprise (API, portal, admin); ``build_profiles`` serves a chunk of enterprises
with a constant number of queries (re-scoring jobs, simulations).
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from .models import Declaration, Enterprise, FinancialYear


class ProfileUnavailable(ValueError):
    """The stored data cannot make a profile for that year (e.g. no declaration). Names the missing part."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field = field
        self.message = message


def _number(value: Decimal | None) -> Any:
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else value


def declaration_dict(d: Declaration) -> dict[str, Any]:
    """The non-financial part of a profile, from a declaration row."""
    return {
        "employees": d.employees,
        "rd_staff": d.rd_staff,
        "ip": {
            "class_i": d.ip_class_i,
            "class_i_self_developed": d.ip_class_i_self_developed,
            "class_i_high_value": d.ip_class_i_high_value,
            "class_i_applied": d.ip_class_i_applied,
            "class_ii": d.ip_class_ii,
            "invention_patents_applied": d.invention_patents_applied,
        },
        "market": {
            "niche_years": d.niche_years,
            "field_years": d.field_years,
            "new_product": d.new_product,
            "main_products": d.main_products,
            "national_share_pct": _number(d.national_share_pct),
            "national_rank": d.national_rank,
            "global_rank": d.global_rank,
        },
        "product_field": {
            "strategic_emerging": d.strategic_emerging,
            "six_basics": d.six_basics,
            "key_chain_results": d.key_chain_results,
            "chain_role": d.chain_role,
            "key_field": d.key_field,
        },
        "digital_level": d.digital_level,
        "quality": {
            "quality_award": d.quality_award,
            "management_certified": d.management_certified,
            "own_brand": d.own_brand,
            "standards": d.standards,
            "international_cert": d.international_cert,
        },
        "it_system": d.it_system,
        "rd_institution": d.rd_institution,
        "local_feature_score": d.local_feature_score,
        "awards": {
            "national_sci_rank": d.national_sci_rank,
            "provincial_sci_rank": d.provincial_sci_rank,
            "chuangke": d.chuangke or None,
        },
        "honours": {
            "high_tech_enterprise": d.high_tech_enterprise,
            "innovation_demo": d.innovation_demo,
            "ip_advantage": d.ip_advantage,
        },
        "equity_financing": {
            "last_2y": _number(d.equity_financing_2y),
            "last_3y": _number(d.equity_financing_3y),
        },
        "credit_ok": d.credit_ok,
        "compliance": {
            "abnormal_operations_list": d.abnormal_operations_list,
            "seriously_dishonest": d.seriously_dishonest,
            "restricted_products": d.restricted_products,
            "major_accident_3y": d.major_accident_3y,
            "tax_evasion_3y": d.tax_evasion_3y,
            "data_fraud_3y": d.data_fraud_3y,
        },
        "single_champion": {
            "intl_advanced_tech": d.sc_intl_advanced_tech,
            "energy_advanced": d.sc_energy_advanced,
            "core_ip": d.sc_core_ip,
            "profit_above_industry": d.sc_profit_above_industry,
            "niche_product_share_pct": _number(d.sc_niche_product_share_pct),
        },
        "platform_score": _number(d.platform_score),
    }


# Where each profile.md key of the declaration lives on the model: the inverse of declaration_dict.
DECLARATION_GROUPS: dict[str, dict[str, str]] = {
    "ip": {
        "class_i": "ip_class_i", "class_i_self_developed": "ip_class_i_self_developed",
        "class_i_high_value": "ip_class_i_high_value", "class_i_applied": "ip_class_i_applied",
        "class_ii": "ip_class_ii", "invention_patents_applied": "invention_patents_applied",
    },
    "market": {k: k for k in ("niche_years", "field_years", "new_product", "main_products",
                              "national_share_pct", "national_rank", "global_rank")},
    "product_field": {k: k for k in ("strategic_emerging", "six_basics", "key_chain_results", "chain_role",
                                     "key_field")},
    "quality": {k: k for k in ("quality_award", "management_certified", "own_brand", "standards",
                               "international_cert")},
    "awards": {k: k for k in ("national_sci_rank", "provincial_sci_rank", "chuangke")},
    "honours": {k: k for k in ("high_tech_enterprise", "innovation_demo", "ip_advantage")},
    "equity_financing": {"last_2y": "equity_financing_2y", "last_3y": "equity_financing_3y"},
    "compliance": {k: k for k in ("abnormal_operations_list", "seriously_dishonest", "restricted_products",
                                  "major_accident_3y", "tax_evasion_3y", "data_fraud_3y")},
    "single_champion": {
        "intl_advanced_tech": "sc_intl_advanced_tech", "energy_advanced": "sc_energy_advanced",
        "core_ip": "sc_core_ip", "profit_above_industry": "sc_profit_above_industry",
        "niche_product_share_pct": "sc_niche_product_share_pct",
    },
}
DECLARATION_SCALARS = ("employees", "rd_staff", "digital_level", "it_system", "rd_institution",
                       "local_feature_score", "credit_ok", "platform_score")


def financial_dict(f: FinancialYear) -> dict[str, Any]:
    return {"year": f.year, **{name: _number(getattr(f, name)) for name in FinancialYear.PROFILE_FIELDS}}


def assemble(
    enterprise: Enterprise,
    year: int,
    declaration: Declaration | None,
    financials: Iterable[FinancialYear],
    held_tiers: Iterable[str],
    previous_platform_score: Decimal | None = None,
) -> dict[str, Any]:
    """The profile from already-loaded rows. Financial rows outside year-2..year are ignored.

    A year with no stored financial row (a young enterprise, or figures not yet entered) is given with every
    figure null, so each rule that needs it is unmet with a message naming the missing figure, rather than the
    whole evaluation failing.
    """
    if declaration is None:
        raise ProfileUnavailable("declarations", _("no declaration for %(year)s") % {"year": year})
    stored = {f.year: financial_dict(f) for f in financials if year - 2 <= f.year <= year}
    rows = [stored.get(y) or {"year": y, **dict.fromkeys(FinancialYear.PROFILE_FIELDS)}
            for y in (year, year - 1, year - 2)]
    return {
        "enterprise": {
            "uscc": enterprise.uscc,
            "name": enterprise.name,
            "region_code": enterprise.region_id,
            "sector": enterprise.sector,
            "established_year": enterprise.established_year,
        },
        "year": year,
        **{k: v for k, v in declaration_dict(declaration).items() if k in ("employees", "rd_staff")},
        "financials": rows,
        **{k: v for k, v in declaration_dict(declaration).items() if k not in ("employees", "rd_staff")},
        "platform_score_previous": _number(previous_platform_score),
        "held_tiers": sorted(set(held_tiers)),
    }


def held_tiers_by_enterprise(enterprise_ids: Iterable[int], on: datetime.date | None = None) -> dict[int, list[str]]:
    """Tiers each enterprise holds now (active and unexpired certifications), in one query."""
    from registry.models import Certification

    on = on or datetime.date.today()
    held: dict[int, list[str]] = defaultdict(list)
    for enterprise_id, tier in Certification.objects.valid_on(on).filter(
        enterprise_id__in=list(enterprise_ids)
    ).values_list("enterprise_id", "tier"):
        held[enterprise_id].append(tier)
    return held


def build_profile(enterprise: Enterprise, year: int) -> dict[str, Any]:
    """The profile of ``enterprise`` for ``year``: its declaration, the financials of year-2..year, held tiers."""
    return build_profiles([enterprise], year, strict=True)[enterprise.pk]


def build_profiles(
    enterprises: Iterable[Enterprise], year: int, *, strict: bool = False
) -> dict[int, dict[str, Any] | ProfileUnavailable]:
    """Profiles of many enterprises for ``year`` with three queries whatever their number.

    An enterprise whose profile cannot be made maps to its ``ProfileUnavailable`` (or, with ``strict``, raises).
    """
    enterprises = list(enterprises)
    ids = [e.pk for e in enterprises]
    declarations: dict[int, Declaration] = {}
    previous_scores: dict[int, Decimal | None] = {}
    for d in Declaration.objects.filter(enterprise_id__in=ids, year__in=(year, year - 1)):
        if d.year == year:
            declarations[d.enterprise_id] = d
        else:
            previous_scores[d.enterprise_id] = d.platform_score
    financials: dict[int, list[FinancialYear]] = defaultdict(list)
    for f in FinancialYear.objects.filter(enterprise_id__in=ids, year__gte=year - 2, year__lte=year):
        financials[f.enterprise_id].append(f)
    held = held_tiers_by_enterprise(ids)
    out: dict[int, dict[str, Any] | ProfileUnavailable] = {}
    for e in enterprises:
        try:
            out[e.pk] = assemble(e, year, declarations.get(e.pk), financials[e.pk], held.get(e.pk, []),
                                 previous_scores.get(e.pk))
        except ProfileUnavailable as exc:
            if strict:
                raise
            out[e.pk] = exc
    return out
