"""The enterprise profile: parsed once, strictly, into immutable dataclasses.

Parsing rejects anything the engine could misread (a string where a number belongs, NaN, a typo'd key, a
missing fiscal year) with a ``ProfileError`` naming the field, so the rules never see bad input. Figures the
profile may legitimately lack are kept as ``None``; the rule that needs one is then reported unmet, naming it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from dataclasses import field as dataclass_field
from decimal import ROUND_CEILING, Decimal, InvalidOperation
from typing import Any

from .errors import ProfileError
from .size import known_sectors

TIER_CODES: tuple[str, ...] = (
    "innovative_sme",
    "specialised_sme",
    "hidden_champion",
    "little_giant",
    "single_champion",
)
RD_INSTITUTION_LEVELS: tuple[str, ...] = ("none", "below_municipal", "municipal", "provincial", "national")
CHUANGKE_RESULTS: tuple[str, ...] = ("top500", "top50")
# Declared items only a reviewer can judge (profile.md ``confirmations``): a rule resting on one is pending
# until a reviewer confirms it, and unmet once a reviewer refuses it.
CONFIRMABLE_FIELDS: tuple[str, ...] = ("market.niche_share_leading", "market.international_share_pct")

MAX_MONEY = Decimal("1e12")  # 万元; far above any enterprise, low enough to keep Decimal arithmetic exact
MAX_COUNT = 100_000_000
MIN_YEAR, MAX_YEAR = 1900, 2200


@dataclass(frozen=True, slots=True)
class Enterprise:
    uscc: str = ""
    name: str = ""
    region_code: str | None = None
    sector: str = "industry"
    established_year: int | None = None


@dataclass(frozen=True, slots=True)
class Financials:
    year: int
    operating_revenue: Decimal | None = None
    main_business_revenue: Decimal | None = None
    rd_expense: Decimal | None = None
    net_profit: Decimal | None = None
    total_assets: Decimal | None = None
    total_liabilities: Decimal | None = None


@dataclass(frozen=True, slots=True)
class IP:
    class_i: int | None = None
    class_i_self_developed: int | None = None
    class_i_high_value: int | None = None
    class_i_applied: int | None = None
    class_ii: int | None = None
    invention_patents_applied: int | None = None


@dataclass(frozen=True, slots=True)
class Market:
    niche_years: int | None = None
    field_years: int | None = None
    new_product: bool | None = None
    main_products: int | None = None
    national_share_pct: Decimal | None = None
    national_rank: int | None = None
    global_rank: int | None = None
    niche_share_leading: bool | None = None
    international_share_pct: Decimal | None = None


@dataclass(frozen=True, slots=True)
class ProductField:
    strategic_emerging: bool | None = None
    six_basics: bool | None = None
    key_chain_results: bool | None = None
    chain_role: bool | None = None
    key_field: bool | None = None


@dataclass(frozen=True, slots=True)
class Quality:
    quality_award: bool | None = None
    management_certified: bool | None = None
    own_brand: bool | None = None
    standards: int | None = None
    international_cert: bool | None = None


@dataclass(frozen=True, slots=True)
class Awards:
    national_sci_rank: int | None = None
    provincial_sci_rank: int | None = None
    chuangke: str | None = None


@dataclass(frozen=True, slots=True)
class Honours:
    high_tech_enterprise: bool | None = None
    innovation_demo: bool | None = None
    ip_advantage: bool | None = None


@dataclass(frozen=True, slots=True)
class EquityFinancing:
    last_2y: Decimal | None = None
    last_3y: Decimal | None = None


@dataclass(frozen=True, slots=True)
class Compliance:
    abnormal_operations_list: bool | None = None
    seriously_dishonest: bool | None = None
    restricted_products: bool | None = None
    major_accident_3y: bool | None = None
    tax_evasion_3y: bool | None = None
    data_fraud_3y: bool | None = None


# The compliance facts a profile declares, in one place (parsing, metrics and messages read this).
COMPLIANCE_KEYS = tuple(f.name for f in fields(Compliance))


@dataclass(frozen=True, slots=True)
class SingleChampionFacts:
    intl_advanced_tech: bool | None = None
    energy_advanced: bool | None = None
    core_ip: bool | None = None
    profit_above_industry: bool | None = None
    niche_product_share_pct: Decimal | None = None


@dataclass(frozen=True, slots=True)
class Profile:
    """One enterprise's facts for fiscal ``year``; ``financials`` runs newest first, from ``year``."""

    enterprise: Enterprise
    year: int
    employees: int
    financials: tuple[Financials, ...]
    rd_staff: int | None = None
    ip: IP = IP()
    market: Market = Market()
    product_field: ProductField = ProductField()
    digital_level: int | None = None
    quality: Quality = Quality()
    it_system: bool | None = None
    rd_institution: str | None = None
    local_feature_score: Decimal | None = None
    awards: Awards = Awards()
    honours: Honours = Honours()
    equity_financing: EquityFinancing = EquityFinancing()
    credit_ok: bool | None = None
    compliance: Compliance = Compliance()
    single_champion: SingleChampionFacts = SingleChampionFacts()
    platform_score: Decimal | None = None
    platform_score_previous: Decimal | None = None
    held_tiers: frozenset[str] = frozenset()
    # A reviewer's judgement of a declared item, by field path: True confirmed, False refused (not yet judged:
    # absent). Keys in ``CONFIRMABLE_FIELDS`` order.
    confirmations: dict[str, bool] = dataclass_field(default_factory=dict)

    def confirmation(self, path: str) -> bool | None:
        return self.confirmations.get(path)


# --- scalar parsers -------------------------------------------------------------------------------------


def _decimal(value: Any, field: str) -> Decimal:
    if isinstance(value, bool):
        raise ProfileError(field, "must be a number, not true/false")
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise ProfileError(field, "must be a finite number (NaN and Infinity are not allowed)")
        number = Decimal(repr(value))
    elif isinstance(value, str):
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            raise ProfileError(field, f"must be a number, got {value!r}") from None
    else:
        raise ProfileError(field, f"must be a number, got {type(value).__name__}")
    if not number.is_finite():
        raise ProfileError(field, "must be a finite number (NaN and Infinity are not allowed)")
    if abs(number) > MAX_MONEY:
        raise ProfileError(field, f"is too large (at most {MAX_MONEY:,.0f} in absolute value)")
    return number + 0  # drops a negative zero and applies the context once


def _money(value: Any, field: str, *, signed: bool = False) -> Decimal | None:
    if value is None:
        return None
    number = _decimal(value, field)
    if not signed and number < 0:
        raise ProfileError(field, "must not be negative")
    return number


def _bounded(value: Any, field: str, low: Decimal, high: Decimal) -> Decimal | None:
    if value is None:
        return None
    number = _decimal(value, field)
    if not low <= number <= high:
        raise ProfileError(field, f"must be between {low} and {high}, got {number}")
    return number


def _int(value: Any, field: str, low: int = 0, high: int = MAX_COUNT) -> int | None:
    if value is None:
        return None
    number = _decimal(value, field)
    if number != number.to_integral_value():
        raise ProfileError(field, f"must be a whole number, got {number}")
    result = int(number)
    if not low <= result <= high:
        raise ProfileError(field, f"must be between {low} and {high}, got {result}")
    return result


def _bool(value: Any, field: str) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    raise ProfileError(field, f"must be true, false or null, got {value!r}")


def _str(value: Any, field: str) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise ProfileError(field, f"must be a string, got {type(value).__name__}")


def _choice(options: tuple[str, ...]):
    def parse(value: Any, field: str) -> str | None:
        if value is None:
            return None
        if value not in options:
            raise ProfileError(field, f"must be one of {', '.join(options)} or null, got {value!r}")
        return value

    return parse


def _percent(value: Any, field: str) -> Decimal | None:
    return _bounded(value, field, Decimal(0), Decimal(100))


def _count(value: Any, field: str) -> int | None:
    return _int(value, field)


def _rank(value: Any, field: str) -> int | None:
    return _int(value, field, 1, MAX_COUNT)


def _years(value: Any, field: str) -> int | None:
    return _int(value, field, 0, 1000)


# Section name -> (dataclass, {field: parser}). The parsers also define which keys are allowed.
_SECTIONS: dict[str, tuple[type, dict[str, Any]]] = {
    "ip": (
        IP,
        dict.fromkeys(
            (
                "class_i",
                "class_i_self_developed",
                "class_i_high_value",
                "class_i_applied",
                "class_ii",
                "invention_patents_applied",
            ),
            _count,
        ),
    ),
    "market": (
        Market,
        {
            "niche_years": _years,
            "field_years": _years,
            "new_product": _bool,
            "main_products": _count,
            "national_share_pct": _percent,
            "national_rank": _rank,
            "global_rank": _rank,
            "niche_share_leading": _bool,
            "international_share_pct": _percent,
        },
    ),
    "product_field": (
        ProductField,
        dict.fromkeys(
            ("strategic_emerging", "six_basics", "key_chain_results", "chain_role", "key_field"), _bool
        ),
    ),
    "quality": (
        Quality,
        {
            "quality_award": _bool,
            "management_certified": _bool,
            "own_brand": _bool,
            "standards": _count,
            "international_cert": _bool,
        },
    ),
    "awards": (
        Awards,
        {"national_sci_rank": _rank, "provincial_sci_rank": _rank, "chuangke": _choice(CHUANGKE_RESULTS)},
    ),
    "honours": (Honours, dict.fromkeys(("high_tech_enterprise", "innovation_demo", "ip_advantage"), _bool)),
    "equity_financing": (EquityFinancing, {"last_2y": _money, "last_3y": _money}),
    "compliance": (Compliance, dict.fromkeys(COMPLIANCE_KEYS, _bool)),
    "single_champion": (
        SingleChampionFacts,
        {
            "intl_advanced_tech": _bool,
            "energy_advanced": _bool,
            "core_ip": _bool,
            "profit_above_industry": _bool,
            "niche_product_share_pct": _percent,
        },
    ),
}

_FIN_FIELDS = (
    "operating_revenue",
    "main_business_revenue",
    "rd_expense",
    "net_profit",
    "total_assets",
    "total_liabilities",
)

_TOP_LEVEL = (
    "enterprise",
    "year",
    "employees",
    "rd_staff",
    "financials",
    "digital_level",
    "it_system",
    "rd_institution",
    "local_feature_score",
    "credit_ok",
    "platform_score",
    "platform_score_previous",
    "held_tiers",
    "confirmations",
    *_SECTIONS,
)


def _object(value: Any, field: str, allowed: tuple[str, ...] | dict) -> dict:
    if not isinstance(value, dict):
        raise ProfileError(field, f"must be an object, got {type(value).__name__}")
    for key in value:
        if key not in allowed:
            raise ProfileError(f"{field}.{key}" if field else str(key), "is not a known field")
    return value


def _section(data: dict, name: str) -> Any:
    cls, parsers = _SECTIONS[name]
    raw = data.get(name)
    if raw is None:
        return cls()
    raw = _object(raw, name, parsers)
    return cls(**{key: parse(raw.get(key), f"{name}.{key}") for key, parse in parsers.items()})


def _confirmations(raw: Any) -> dict[str, bool]:
    """profile.md ``confirmations``: ``{field path: true | false | null}``; null (or absent) = not yet judged."""
    if raw is None:
        return {}
    raw = _object(raw, "confirmations", CONFIRMABLE_FIELDS)
    judged = {path: _bool(raw.get(path), f"confirmations.{path}") for path in CONFIRMABLE_FIELDS}
    return {path: value for path, value in judged.items() if value is not None}


def _enterprise(raw: Any, sectors: frozenset[str] | None) -> Enterprise:
    if raw is None:
        raise ProfileError("enterprise", "is missing")
    raw = _object(raw, "enterprise", ("uscc", "name", "region_code", "sector", "established_year"))
    sector = _str(raw.get("sector"), "enterprise.sector")
    if sector is None:
        raise ProfileError("enterprise.sector", "is missing")
    if sectors is not None and sector not in sectors:
        raise ProfileError(
            "enterprise.sector", f"unknown sector {sector!r}; known: {', '.join(sorted(sectors))}"
        )
    return Enterprise(
        uscc=_str(raw.get("uscc"), "enterprise.uscc") or "",
        name=_str(raw.get("name"), "enterprise.name") or "",
        region_code=_str(raw.get("region_code"), "enterprise.region_code"),
        sector=sector,
        established_year=_int(raw.get("established_year"), "enterprise.established_year", MIN_YEAR, MAX_YEAR),
    )


def _financials(raw: Any, year: int) -> tuple[Financials, ...]:
    if raw is None:
        raise ProfileError("financials", "is missing")
    if not isinstance(raw, list):
        raise ProfileError("financials", f"must be a list, got {type(raw).__name__}")
    by_year: dict[int, Financials] = {}
    for index, entry in enumerate(raw):
        where = f"financials[{index}]"
        entry = _object(entry, where, ("year", *_FIN_FIELDS))
        fy = _int(entry.get("year"), f"{where}.year", MIN_YEAR, MAX_YEAR)
        if fy is None:
            raise ProfileError(f"{where}.year", "is missing")
        if fy > year:
            raise ProfileError(f"{where}.year", f"{fy} is after the profile year {year}")
        if fy in by_year:
            raise ProfileError(f"{where}.year", f"{fy} appears twice")
        values = {
            name: _money(entry.get(name), f"{where}.{name}", signed=name == "net_profit")
            for name in _FIN_FIELDS
        }
        revenue, main = values["operating_revenue"], values["main_business_revenue"]
        if fy == year and revenue is not None and revenue == 0:
            raise ProfileError(
                f"{where}.operating_revenue", f"must be greater than 0 for the profile year {year}"
            )
        if revenue is not None and main is not None and main > revenue:
            raise ProfileError(
                f"{where}.main_business_revenue",
                f"{main} exceeds operating revenue {revenue}, of which it is a part",
            )
        if values["total_assets"] is not None and values["total_assets"] == 0:
            raise ProfileError(f"{where}.total_assets", "must be greater than 0")
        by_year[fy] = Financials(year=fy, **values)
    for needed in (year, year - 1, year - 2):
        if needed not in by_year:
            raise ProfileError(
                f"financials for {needed}",
                f"are missing; a profile gives the fiscal year {year} and the two before it",
            )
    if by_year[year].operating_revenue is None:
        index = next(i for i, e in enumerate(raw) if e.get("year") == year)
        raise ProfileError(
            f"financials[{index}].operating_revenue",
            "is missing; it is needed to classify the enterprise's size",
        )
    return tuple(by_year[y] for y in sorted(by_year, reverse=True))


def parse_profile(data: Any, *, sectors: frozenset[str] | None = None) -> Profile:
    """Validate a profile as described in profile.md and return it as an immutable ``Profile``.

    ``sectors`` restricts ``enterprise.sector`` to the SME size table's keys (the default).
    """
    if sectors is None:
        sectors = known_sectors()
    data = _object(data, "", _TOP_LEVEL)
    year = _int(data.get("year"), "year", MIN_YEAR, MAX_YEAR)
    if year is None:
        raise ProfileError("year", "is missing")
    employees = _int(data.get("employees"), "employees")
    if employees is None:
        raise ProfileError("employees", "is missing; it is needed to classify the enterprise's size")
    enterprise = _enterprise(data.get("enterprise"), sectors)
    if enterprise.established_year is not None and enterprise.established_year > year:
        raise ProfileError("enterprise.established_year", f"{enterprise.established_year} is after {year}")
    rd_staff = _int(data.get("rd_staff"), "rd_staff")
    if rd_staff is not None and rd_staff > employees:
        raise ProfileError("rd_staff", f"{rd_staff} exceeds employees {employees}")
    sections = {name: _section(data, name) for name in _SECTIONS}
    ip = sections["ip"]
    if ip.class_i is not None:
        for sub in ("class_i_self_developed", "class_i_high_value", "class_i_applied"):
            count = getattr(ip, sub)
            if count is not None and count > ip.class_i:
                raise ProfileError(
                    f"ip.{sub}", f"{count} exceeds ip.class_i {ip.class_i}, of which it is a part"
                )
    held_raw = data.get("held_tiers") or []
    if not isinstance(held_raw, list):
        raise ProfileError("held_tiers", "must be a list of tier codes")
    for index, code in enumerate(held_raw):
        if code not in TIER_CODES:
            raise ProfileError(
                f"held_tiers[{index}]", f"unknown tier {code!r}; known: {', '.join(TIER_CODES)}"
            )
    return Profile(
        enterprise=enterprise,
        year=year,
        employees=employees,
        financials=_financials(data.get("financials"), year),
        rd_staff=rd_staff,
        digital_level=_int(data.get("digital_level"), "digital_level", 0, 10),
        it_system=_bool(data.get("it_system"), "it_system"),
        rd_institution=_choice(RD_INSTITUTION_LEVELS)(data.get("rd_institution"), "rd_institution"),
        local_feature_score=_bounded(
            data.get("local_feature_score"), "local_feature_score", Decimal(0), Decimal(15)
        ),
        credit_ok=_bool(data.get("credit_ok"), "credit_ok"),
        platform_score=_bounded(data.get("platform_score"), "platform_score", Decimal(0), Decimal(100)),
        platform_score_previous=_bounded(
            data.get("platform_score_previous"), "platform_score_previous", Decimal(0), Decimal(100)
        ),
        held_tiers=frozenset(held_raw),
        confirmations=_confirmations(data.get("confirmations")),
        **sections,
    )


# --- canonical form -------------------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value else "0"
    return value


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}


def _dump(obj: Any) -> dict[str, Any]:
    names = _FIELD_NAMES.get(obj.__class__)
    if names is None:
        names = _FIELD_NAMES[obj.__class__] = tuple(f.name for f in fields(obj))
    out = {}
    for name in names:
        value = getattr(obj, name)
        out[name] = _plain(value) if value.__class__ is Decimal else value
    return out


def profile_to_dict(profile: Profile) -> dict[str, Any]:
    """The canonical JSON-ready form: fixed key order, Decimals as plain strings (``"2850.5"``).

    ``parse_profile(profile_to_dict(p)) == p``, so it is safe to store as a snapshot and to hash.
    """
    out: dict[str, Any] = {
        "enterprise": _dump(profile.enterprise),
        "year": profile.year,
        "employees": profile.employees,
        "rd_staff": profile.rd_staff,
        "financials": [_dump(f) for f in profile.financials],
    }
    for name in ("ip", "market", "product_field"):
        out[name] = _dump(getattr(profile, name))
    out["digital_level"] = profile.digital_level
    out["quality"] = _dump(profile.quality)
    out["it_system"] = profile.it_system
    out["rd_institution"] = profile.rd_institution
    out["local_feature_score"] = _plain(profile.local_feature_score)
    for name in ("awards", "honours", "equity_financing"):
        out[name] = _dump(getattr(profile, name))
    out["credit_ok"] = profile.credit_ok
    out["compliance"] = _dump(profile.compliance)
    out["single_champion"] = _dump(profile.single_champion)
    out["platform_score"] = _plain(profile.platform_score)
    out["platform_score_previous"] = _plain(profile.platform_score_previous)
    out["held_tiers"] = [code for code in TIER_CODES if code in profile.held_tiers]
    out["confirmations"] = dict(profile.confirmations)
    return out


# --- changes (what-if and advice) ----------------------------------------------------------------------


def apply_changes(profile: Profile, changes: dict[str, Any]) -> Profile:
    """Return a copy of ``profile`` with ``changes`` applied and validated again.

    Keys are paths as advice gives them: ``"rd_staff"``, ``"ip.class_i"``,
    ``"financials[year=2025].rd_expense"``.
    Raising a Class I subset count raises ``ip.class_i`` with it, so the copy stays consistent.
    """
    data = profile_to_dict(profile)
    for path, value in changes.items():
        value = _plain(value)
        if path.startswith("financials[year="):
            head, _, name = path.partition("].")
            year = int(head[len("financials[year=") :])
            entry = next((f for f in data["financials"] if f["year"] == year), None)
            if entry is None or name not in _FIN_FIELDS:
                raise ProfileError(path, "is not a field that can be changed")
            entry[name] = value
        elif "." in path:
            section, _, name = path.partition(".")
            if not isinstance(data.get(section), dict) or name not in data[section]:
                raise ProfileError(path, "is not a field that can be changed")
            data[section][name] = value
        elif path in data and path not in ("financials", "enterprise", "confirmations"):
            data[path] = value
        else:
            raise ProfileError(path, "is not a field that can be changed")
    ip = data["ip"]
    subsets = [ip[k] for k in ("class_i_self_developed", "class_i_high_value", "class_i_applied") if ip[k]]
    if subsets and (ip["class_i"] is None or int(ip["class_i"]) < max(int(s) for s in subsets)):
        ip["class_i"] = max(int(s) for s in subsets)
    return parse_profile(data)


def ceil2(value: Decimal) -> Decimal:
    """Round up to 0.01 (100 yuan when in 万元): a target reached by the rounded figure is really reached."""
    return value.quantize(Decimal("0.01"), rounding=ROUND_CEILING)


# --- trusted construction (bulk re-scoring) ------------------------------------------------------------

# The flat value order ``profile_from_values`` takes, shared with ``parse_profile``'s own field lists so the two
# cannot drift: enterprise columns, the financial figures of one year, then the declaration's scalars followed
# by every section's fields in ``_SECTIONS`` order.
ENTERPRISE_VALUE_FIELDS: tuple[str, ...] = ("uscc", "name", "region_code", "sector", "established_year")
FINANCIAL_VALUE_FIELDS: tuple[str, ...] = _FIN_FIELDS
DECLARATION_SCALAR_FIELDS: tuple[str, ...] = (
    "employees",
    "rd_staff",
    "digital_level",
    "it_system",
    "rd_institution",
    "local_feature_score",
    "credit_ok",
    "platform_score",
    "confirmations",
)
DECLARATION_VALUE_FIELDS: tuple[tuple[str, str], ...] = (
    *((name, "") for name in DECLARATION_SCALAR_FIELDS),
    *((section, key) for section, (_cls, parsers) in _SECTIONS.items() for key in parsers),
)
_SECTION_SLICES: tuple[tuple[str, type, int, int], ...] = ()
_start = len(DECLARATION_SCALAR_FIELDS)
for _name, (_cls, _parsers) in _SECTIONS.items():
    # Positional construction below relies on the dataclass declaring its fields in the parsers' order.
    assert tuple(f.name for f in fields(_cls)) == tuple(_parsers), _name
    _SECTION_SLICES += ((_name, _cls, _start, _start + len(_parsers)),)
    _start += len(_parsers)
del _start, _name, _cls, _parsers
assert set(_TOP_LEVEL) == {
    "enterprise", "year", "financials", "platform_score_previous", "held_tiers", *DECLARATION_SCALAR_FIELDS, *_SECTIONS
}


def values_to_dict(
    enterprise: tuple,
    year: int,
    declaration: tuple,
    financials: tuple,
    platform_score_previous: Any = None,
    held_tiers: Any = (),
) -> dict[str, Any]:
    """The profile.md dict of the values ``profile_from_values`` takes (for ``parse_profile`` and snapshots)."""
    data: dict[str, Any] = {
        "enterprise": dict(zip(ENTERPRISE_VALUE_FIELDS, enterprise, strict=True)),
        "year": year,
        "financials": [dict(zip(("year", *_FIN_FIELDS), row, strict=True)) for row in financials],
    }
    for (section, key), value in zip(DECLARATION_VALUE_FIELDS, declaration, strict=True):
        if key:
            data.setdefault(section, {})[key] = value
        else:
            data[section] = value
    data["platform_score_previous"] = platform_score_previous
    data["held_tiers"] = sorted(held_tiers)
    return data


def profile_from_values(
    enterprise: tuple,
    year: int,
    declaration: tuple,
    financials: tuple,
    platform_score_previous: Any = None,
    held_tiers: Any = (),
) -> Profile:
    """A ``Profile`` straight from already-validated stored values, without ``parse_profile``'s per-field checks.

    For bulk re-scoring, where the database constraints and model validation guarantee each field's type and
    range. ``enterprise`` is in ``ENTERPRISE_VALUE_FIELDS`` order, ``declaration`` in
    ``DECLARATION_VALUE_FIELDS`` order, ``financials`` one ``(year, *FINANCIAL_VALUE_FIELDS)`` row per fiscal
    year, newest first (year, year-1, year-2; a missing year as nulls). Numbers may be ints or Decimals.
    The cross-field rules stored data can still break (no revenue for the profile year, R&D staff above
    employees, …) are checked; when one is broken the values go through ``parse_profile``, which raises the same
    ``ProfileError`` it raises for that profile. Builds exactly what ``parse_profile(values_to_dict(...))``
    builds (a test holds the two together).
    """
    employees = declaration[0]
    rd_staff = declaration[1]
    current = financials[0]
    established = enterprise[4]
    revenue = current[1]
    if (
        employees is None
        or len(financials) != 3
        or current[0] != year
        or financials[1][0] != year - 1
        or financials[2][0] != year - 2
        or revenue is None
        or not revenue
        or (rd_staff is not None and rd_staff > employees)
        or (established is not None and established > year)
        or enterprise[3] is None
        or not _financials_consistent(financials)
        or not _ip_consistent(declaration)
        or any(code not in TIER_CODES for code in held_tiers)
        or not _confirmations_consistent(confirmations := declaration[8] or {})
    ):
        return parse_profile(
            values_to_dict(enterprise, year, declaration, financials, platform_score_previous, held_tiers)
        )
    if enterprise[3] not in known_sectors():
        return parse_profile(
            values_to_dict(enterprise, year, declaration, financials, platform_score_previous, held_tiers)
        )
    sections = {name: cls(*declaration[start:end]) for name, cls, start, end in _SECTION_SLICES}
    return Profile(
        Enterprise(enterprise[0] or "", enterprise[1] or "", enterprise[2], enterprise[3], established),
        year,
        employees,
        tuple(Financials(*row) for row in financials),
        rd_staff,
        digital_level=declaration[2],
        it_system=declaration[3],
        rd_institution=declaration[4],
        local_feature_score=declaration[5],
        credit_ok=declaration[6],
        platform_score=declaration[7],
        platform_score_previous=platform_score_previous,
        held_tiers=frozenset(held_tiers),
        confirmations={path: confirmations[path] for path in CONFIRMABLE_FIELDS
                       if confirmations.get(path) is not None},
        **sections,
    )


def _confirmations_consistent(confirmations: Any) -> bool:
    if not isinstance(confirmations, dict):
        return False
    return all(key in CONFIRMABLE_FIELDS and (value is None or isinstance(value, bool))
               for key, value in confirmations.items())


def _financials_consistent(financials: tuple) -> bool:
    for row in financials:
        revenue, main, assets = row[1], row[2], row[5]
        if revenue is not None and main is not None and main > revenue:
            return False
        if assets is not None and not assets:
            return False
    return True


_IP_START = next(start for name, _cls, start, _end in _SECTION_SLICES if name == "ip")


def _ip_consistent(declaration: tuple) -> bool:
    class_i = declaration[_IP_START]
    if class_i is None:
        return True
    for offset in (1, 2, 3):  # class_i_self_developed, class_i_high_value, class_i_applied
        count = declaration[_IP_START + offset]
        if count is not None and count > class_i:
            return False
    return True
