"""Who the enterprises are, where they are, who acts for them, and their yearly figures.

Money is in 万元 (10,000 CNY) as the official forms use, stored as ``Decimal``. The yearly figures are split
as profile.md splits them: the financial row (``FinancialYear``) and the declaration (``Declaration``).
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.audit import AuditedModel
from core.roles import RestrictedQuerySet
from core.validators import validate_not_future_year, validate_plausible_year

from .validators import validate_uscc

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractUser

MONEY = {"max_digits": 14, "decimal_places": 2}
PERCENT = {"max_digits": 6, "decimal_places": 2, "validators": [MinValueValidator(0), MaxValueValidator(100)]}


class RegionLevel(models.TextChoices):
    PROVINCE = "province", _("Province")
    CITY = "city", _("City")
    COUNTY = "county", _("County / district")


class RegionQuerySet(models.QuerySet):
    def within(self, code: str) -> RegionQuerySet:
        """The region with this code and every region below it."""
        return self.filter(models.Q(code=code) | models.Q(city_code=code) | models.Q(province_code=code))


class Region(models.Model):
    """A GB/T 2260 administrative division. City and province codes are kept on every row for roll-ups."""

    code = models.CharField(_("code"), max_length=6, primary_key=True)
    name = models.CharField(_("name"), max_length=64)
    name_en = models.CharField(_("English name"), max_length=128, blank=True)
    level = models.CharField(_("level"), max_length=8, choices=RegionLevel.choices)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    city_code = models.CharField(_("city code"), max_length=6, blank=True, db_index=True)
    province_code = models.CharField(_("province code"), max_length=6, db_index=True)

    objects = RegionQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        verbose_name = _("region")
        verbose_name_plural = _("regions")

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    def contains(self, other: Region) -> bool:
        """True when ``other`` is this region or lies inside it."""
        return other.code == self.code or self.code in (other.city_code, other.province_code)


class Sector(models.TextChoices):
    """Keys of the SME size table (criteria.md §0.4); the thresholds live in the ruleset data."""

    INDUSTRY = "industry", _("Industry")
    SOFTWARE = "software_it", _("Software and IT services")


class SizeClass(models.TextChoices):
    MICRO = "micro", _("Micro")
    SMALL = "small", _("Small")
    MEDIUM = "medium", _("Medium")
    LARGE = "large", _("Large")


class Tier(models.TextChoices):
    """The ladder, lowest first. Codes are the evaluation contract's (profile.md)."""

    INNOVATIVE_SME = "innovative_sme", _("Innovative SME")
    SPECIALISED_SME = "specialised_sme", _("Provincial specialised SME")
    HIDDEN_CHAMPION = "hidden_champion", _("Provincial hidden champion")
    LITTLE_GIANT = "little_giant", _('National "little giant"')
    SINGLE_CHAMPION = "single_champion", _("Manufacturing single champion")

    @classmethod
    def rank(cls, code: str) -> int:
        return list(cls.values).index(code)


class EnterpriseQuerySet(RestrictedQuerySet):
    def in_region(self, code: str) -> EnterpriseQuerySet:
        return self.filter(
            models.Q(region_id=code) | models.Q(region__city_code=code) | models.Q(region__province_code=code)
        )

    def for_member(self, user: AbstractUser) -> EnterpriseQuerySet:
        return self.filter(memberships__user=user)



class Enterprise(AuditedModel):
    uscc = models.CharField(
        _("unified social credit code"), max_length=18, unique=True, validators=[validate_uscc],
        help_text=_("统一社会信用代码: 18 characters with a check digit."),
    )
    name = models.CharField(_("name"), max_length=200)
    region = models.ForeignKey(Region, verbose_name=_("region"), on_delete=models.PROTECT, related_name="+")
    sector = models.CharField(_("sector"), max_length=16, choices=Sector.choices, default=Sector.INDUSTRY)
    established_year = models.PositiveSmallIntegerField(
        _("year established"), validators=[MinValueValidator(1949)]
    )
    established_on = models.DateField(_("date established"), null=True, blank=True)
    address = models.CharField(_("address"), max_length=300, blank=True)
    contact_name = models.CharField(_("contact person"), max_length=100, blank=True)
    contact_phone = models.CharField(_("contact phone"), max_length=40, blank=True)
    contact_email = models.EmailField(_("contact email"), blank=True)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, through="Membership", related_name="enterprises", verbose_name=_("members")
    )
    # Derived, never entered: kept on the row so lists filter without touching the figures.
    size_class = models.CharField(
        _("size class"), max_length=8, choices=SizeClass.choices, blank=True, editable=False, db_index=True
    )
    current_tier = models.CharField(
        _("current tier"), max_length=20, choices=Tier.choices, blank=True, editable=False, db_index=True
    )
    # Every tier the enterprise holds a valid certification of, comma-separated in ladder order; kept by the
    # registry's certification services, read by the evaluation layer as data (``held_tier_codes``).
    held_tiers = models.CharField(_("tiers held"), max_length=120, blank=True, editable=False)
    # Set when figures change; the nightly re-score picks these up and clears the flag.
    needs_rescore = models.BooleanField(_("needs re-scoring"), default=True, editable=False, db_index=True)
    # Bumped by the services whenever anything an evaluation reads changes (figures, declarations, the
    # enterprise's own profile fields, the tiers held). A stored assessment records the version it judged, so a
    # re-score can tell in SQL which enterprises are unchanged and never read them.
    figures_version = models.PositiveBigIntegerField(_("figures version"), default=1, editable=False)
    banned_until = models.DateField(
        _("barred from applying until"), null=True, blank=True, editable=False,
        help_text=_("Set when a certification is revoked for data fraud."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = EnterpriseQuerySet.as_manager()

    audit_fields = (
        "uscc", "name", "region_id", "sector", "established_year", "established_on", "address",
        "contact_name", "contact_phone", "contact_email",
    )
    # The enterprise's own fields an evaluation reads (with its figures): a change to one is a figures change.
    PROFILE_FIELDS = ("uscc", "name", "region", "sector", "established_year")

    class Meta:
        ordering = ["name", "id"]
        # Lists are ordered by name: with this index the first page of 100,000 enterprises is an index scan.
        indexes = [models.Index(fields=["name", "id"], name="enterprise_name_id")]
        verbose_name = _("enterprise")
        verbose_name_plural = _("enterprises")

    # Written only by ``enterprises.services.figures_changed`` and the tier refresh, with ``F() + 1``.
    SERVICE_COUNTERS = ("figures_version",)

    def save(self, *args: Any, **kwargs: Any) -> None:
        # A stored row's counters are never written back from the instance: one loaded before a change was
        # counted would otherwise put the old version back, and a re-score would take new figures for unchanged.
        if not self._state.adding and kwargs.get("update_fields") is None and not kwargs.get("force_insert"):
            deferred = self.get_deferred_fields()
            kwargs["update_fields"] = [
                f.name for f in self._meta.concrete_fields
                if not f.primary_key and f.name not in self.SERVICE_COUNTERS and f.attname not in deferred
            ]
        super().save(*args, **kwargs)

    def __str__(self) -> str:
        return self.name

    @property
    def audit_enterprise_id(self) -> int | None:
        return self.pk

    @property
    def held_tier_codes(self) -> tuple[str, ...]:
        return self.held_tiers_codes(self.held_tiers)

    @staticmethod
    def held_tiers_text(tiers: Any) -> str:
        """The stored form of a set of tier codes: distinct, in ladder order, comma-separated."""
        return ",".join(sorted(set(tiers), key=Tier.rank))

    @staticmethod
    def held_tiers_codes(text: str) -> tuple[str, ...]:
        """The tier codes of a stored ``held_tiers`` value, sorted by code (as profiles list them)."""
        return tuple(sorted(text.split(","))) if text else ()

    def clean(self) -> None:
        super().clean()
        this_year = datetime.date.today().year
        if self.established_year and self.established_year > this_year:
            raise ValidationError({"established_year": _("The founding year cannot be in the future.")})
        if self.established_on and self.established_year and self.established_on.year != self.established_year:
            raise ValidationError({"established_on": _("The founding date must fall in the founding year.")})


class MembershipRole(models.TextChoices):
    OWNER = "owner", _("Owner")
    MEMBER = "member", _("Member")


class Membership(AuditedModel):
    """A user account that acts for an enterprise."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("user")
    )
    enterprise = models.ForeignKey(
        Enterprise, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("enterprise")
    )
    role = models.CharField(_("role"), max_length=8, choices=MembershipRole.choices, default=MembershipRole.MEMBER)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    audit_fields = ("user_id", "enterprise_id", "role")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "enterprise"], name="unique_membership")]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")

    def __str__(self) -> str:
        return f"{self.user} @ {self.enterprise}"


class ReviewerLevel(models.TextChoices):
    COUNTY = "county", _("County")
    CITY = "city", _("City")
    PROVINCE = "province", _("Province")


class ReviewerProfile(AuditedModel):
    """A reviewer at a department of industry and information technology (经信部门), bound to one region."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="reviewer", verbose_name=_("user")
    )
    level = models.CharField(_("level"), max_length=8, choices=ReviewerLevel.choices)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="+", verbose_name=_("region"))

    audit_fields = ("user_id", "level", "region_id")

    class Meta:
        verbose_name = _("reviewer")
        verbose_name_plural = _("reviewers")

    def __str__(self) -> str:
        return f"{self.user} ({self.get_level_display()}, {self.region.name})"

    def clean(self) -> None:
        super().clean()
        if self.region_id and self.level and self.region.level != self.level:
            raise ValidationError(
                {"region": _("A %(level)s reviewer must be bound to a %(level)s region.")
                 % {"level": self.get_level_display()}}
            )


class FinancialYear(AuditedModel):
    """One year's financial row (profile.md ``financials``), in 万元."""

    enterprise = models.ForeignKey(
        Enterprise, on_delete=models.CASCADE, related_name="financials", verbose_name=_("enterprise")
    )
    year = models.PositiveSmallIntegerField(_("year"), validators=[validate_plausible_year, validate_not_future_year])
    operating_revenue = models.DecimalField(_("operating revenue (万元)"), **MONEY)
    main_business_revenue = models.DecimalField(_("main-business revenue (万元)"), **MONEY)
    rd_expense = models.DecimalField(_("R&D expense (万元)"), **MONEY)
    net_profit = models.DecimalField(_("net profit (万元)"), **MONEY)
    total_assets = models.DecimalField(_("total assets (万元)"), **MONEY)
    total_liabilities = models.DecimalField(_("total liabilities (万元)"), **MONEY)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    PROFILE_FIELDS = (
        "operating_revenue", "main_business_revenue", "rd_expense", "net_profit", "total_assets",
        "total_liabilities",
    )
    audit_fields = ("enterprise_id", "year", *PROFILE_FIELDS)

    class Meta:
        ordering = ["enterprise", "-year"]
        constraints = [
            models.UniqueConstraint(fields=["enterprise", "year"], name="unique_financial_year"),
            models.CheckConstraint(condition=models.Q(operating_revenue__gte=0), name="financials_revenue_gte_0"),
            models.CheckConstraint(condition=models.Q(total_assets__gt=0), name="financials_assets_gt_0"),
            models.CheckConstraint(
                condition=models.Q(main_business_revenue__lte=models.F("operating_revenue")),
                name="financials_main_lte_operating",
            ),
        ]
        verbose_name = _("financial year")
        verbose_name_plural = _("financial years")

    def __str__(self) -> str:
        return f"{self.enterprise_id}/{self.year}"

    def clean(self) -> None:
        super().clean()
        errors: dict[str, str] = {}
        for name in ("operating_revenue", "main_business_revenue", "rd_expense"):
            value = getattr(self, name)
            if value is not None and value < 0:
                errors[name] = _("Must not be negative.")
        if self.total_assets is not None and self.total_assets <= 0:
            errors["total_assets"] = _("Total assets must be greater than zero.")
        if self.total_liabilities is not None and self.total_liabilities < 0:
            errors["total_liabilities"] = _("Must not be negative.")
        if (
            self.main_business_revenue is not None
            and self.operating_revenue is not None
            and self.main_business_revenue > self.operating_revenue
            and "main_business_revenue" not in errors
        ):
            errors["main_business_revenue"] = _("Main-business revenue cannot exceed operating revenue.")
        if errors:
            raise ValidationError(errors)


# The declared items only a reviewer can judge (profile.md ``confirmations``): profile.md path -> column.
CONFIRMABLE: dict[str, str] = {
    "market.niche_share_leading": "niche_share_leading",
    "market.international_share_pct": "international_share_pct",
}


def _declared(value: Any) -> Any:
    """A declared value compared as stored: 12, "12" and 12.00 are one share; audit snapshots hold text."""
    if value is None or isinstance(value, bool):
        return value
    try:
        return Decimal(str(value))
    except ArithmeticError:
        return value


class RdInstitution(models.TextChoices):
    NATIONAL = "national", _("National")
    PROVINCIAL = "provincial", _("Provincial")
    MUNICIPAL = "municipal", _("Municipal")
    BELOW_MUNICIPAL = "below_municipal", _("Below municipal")
    NONE = "none", _("None")


class Chuangke(models.TextChoices):
    TOP50 = "top50", _("National top 50")
    TOP500 = "top500", _("National top 500")


class Declaration(AuditedModel):
    """One year's declaration: everything in profile.md that is not the financial row.

    Field names follow profile.md; nested groups are flattened with their group's prefix
    (``ip.class_i`` → ``ip_class_i``, ``single_champion.core_ip`` → ``sc_core_ip``).
    """

    enterprise = models.ForeignKey(
        Enterprise, on_delete=models.CASCADE, related_name="declarations", verbose_name=_("enterprise")
    )
    year = models.PositiveSmallIntegerField(_("year"), validators=[validate_plausible_year, validate_not_future_year])
    employees = models.PositiveIntegerField(_("employees"))
    rd_staff = models.PositiveIntegerField(_("R&D staff"), default=0)
    # IP related to the main product
    ip_class_i = models.PositiveIntegerField(_("Class I IP"), default=0)
    ip_class_i_self_developed = models.PositiveIntegerField(_("self-developed Class I IP"), default=0)
    ip_class_i_high_value = models.PositiveIntegerField(_("high-value Class I IP"), default=0)
    ip_class_i_applied = models.PositiveIntegerField(_("applied Class I IP"), default=0)
    ip_class_ii = models.PositiveIntegerField(_("Class II IP"), default=0)
    invention_patents_applied = models.PositiveIntegerField(_("applied invention patents"), default=0)
    # Market position
    niche_years = models.PositiveSmallIntegerField(_("years in the niche market"), default=0)
    field_years = models.PositiveSmallIntegerField(_("years in the product field"), default=0)
    new_product = models.BooleanField(_("new product"), default=False)
    main_products = models.PositiveSmallIntegerField(_("number of main products"), default=1)
    national_share_pct = models.DecimalField(_("national niche market share (%)"), null=True, blank=True, **PERCENT)
    national_rank = models.PositiveSmallIntegerField(_("national market rank"), null=True, blank=True,
                                                     validators=[MinValueValidator(1)])
    global_rank = models.PositiveSmallIntegerField(_("global market rank"), null=True, blank=True,
                                                   validators=[MinValueValidator(1)])
    # Declared for the 2026 rules; each counts only once a reviewer confirms it (``confirmations``).
    niche_share_leading = models.BooleanField(
        _("main product's niche market share relatively high (declared)"), null=True, blank=True,
        help_text=_("市场占有率较为靠前 (2号文 附件1 item 6); empty = not declared."),
    )
    international_share_pct = models.DecimalField(
        _("international niche market share (%)"), null=True, blank=True, **PERCENT
    )
    # Field of the main product
    strategic_emerging = models.BooleanField(_("in the strategic emerging industries"), default=False)
    six_basics = models.BooleanField(_("in the six basics fields"), default=False)
    key_chain_results = models.BooleanField(_("results at a key chain link"), default=False)
    chain_role = models.BooleanField(_("key role in the industrial chain (reviewers)"), null=True, blank=True)
    key_field = models.BooleanField(_("main product in a key field (reviewers)"), null=True, blank=True)
    digital_level = models.PositiveSmallIntegerField(
        _("digital level"), default=1, validators=[MinValueValidator(1), MaxValueValidator(6)]
    )
    # Quality
    quality_award = models.BooleanField(_("provincial or higher quality award"), default=False)
    management_certified = models.BooleanField(_("management-system certification"), default=False)
    own_brand = models.BooleanField(_("own brand"), default=False)
    standards = models.PositiveSmallIntegerField(_("standards led or joined"), default=0)
    international_cert = models.BooleanField(_("international certification"), default=False)
    it_system = models.BooleanField(_("core business on an information system"), default=False)
    rd_institution = models.CharField(
        _("R&D institution"), max_length=16, choices=RdInstitution.choices, default=RdInstitution.NONE
    )
    local_feature_score = models.PositiveSmallIntegerField(
        _("local distinctive score"), default=0, validators=[MaxValueValidator(15)]
    )
    # Awards and honours
    national_sci_rank = models.PositiveSmallIntegerField(_("national S&T award rank"), null=True, blank=True,
                                                         validators=[MinValueValidator(1)])
    provincial_sci_rank = models.PositiveSmallIntegerField(_("provincial S&T award rank"), null=True, blank=True,
                                                           validators=[MinValueValidator(1)])
    chuangke = models.CharField(_("创客中国 result"), max_length=8, choices=Chuangke.choices, blank=True)
    high_tech_enterprise = models.BooleanField(_("high-tech enterprise"), default=False)
    innovation_demo = models.BooleanField(_("national technology innovation demonstration"), default=False)
    ip_advantage = models.BooleanField(_("IP advantage or demonstration enterprise"), default=False)
    # Equity financing from qualified institutional investors, paid-in, 万元
    equity_financing_2y = models.DecimalField(_("equity financing, last 2 years (万元)"), default=0, **MONEY)
    equity_financing_3y = models.DecimalField(_("equity financing, last 3 years (万元)"), default=0, **MONEY)
    credit_ok = models.BooleanField(_("credit rating A or clean credit report"), default=True)
    # Compliance (criteria.md §0.4)
    abnormal_operations_list = models.BooleanField(_("on the abnormal operations list"), default=False)
    seriously_dishonest = models.BooleanField(_("on the seriously dishonest list"), default=False)
    restricted_products = models.BooleanField(_("prohibited, restricted or obsolete products"), default=False)
    major_accident_3y = models.BooleanField(_("major accident in the last 3 years"), default=False)
    tax_evasion_3y = models.BooleanField(_("tax evasion in the last 3 years"), default=False)
    data_fraud_3y = models.BooleanField(_("data fraud in the last 3 years"), default=False)
    # Single champion
    sc_intl_advanced_tech = models.BooleanField(_("internationally advanced technology"), default=False)
    sc_energy_advanced = models.BooleanField(_("energy use at the advanced value"), default=False)
    sc_core_ip = models.BooleanField(_("core independent IP"), default=False)
    sc_profit_above_industry = models.BooleanField(_("profit above the industry level"), default=False)
    sc_niche_product_share_pct = models.DecimalField(
        _("niche product share of revenue (%)"), null=True, blank=True, **PERCENT
    )
    platform_score = models.DecimalField(
        _("MIIT platform development score"), max_digits=5, decimal_places=2, null=True, blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
    )
    # A reviewer's judgement of the declared items above, by profile.md path (``CONFIRMABLE``): true confirmed,
    # false refused, absent not yet judged. Written only by ``confirmations.judge``; a changed declaration
    # clears its entry (``services.save_declaration``). ``Confirmation`` keeps who judged what, when.
    confirmations = models.JSONField(_("reviewers' confirmations"), default=dict, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["enterprise", "-year"]
        constraints = [
            models.UniqueConstraint(fields=["enterprise", "year"], name="unique_declaration_year"),
            models.CheckConstraint(condition=models.Q(rd_staff__lte=models.F("employees")),
                                   name="declaration_rd_staff_lte_employees"),
        ]
        verbose_name = _("declaration")
        verbose_name_plural = _("declarations")

    def __str__(self) -> str:
        return f"{self.enterprise_id}/{self.year}"

    def drop_stale_confirmations(self, before: dict[str, Any] | None) -> list[str]:
        """Forget the reviewers' verdict on every declared item whose value differs from ``before`` (stored
        values by attribute): a judgement holds for the value judged. Returns the profile.md paths cleared."""
        if not before or not self.confirmations:
            return []
        stale = [path for path, column in CONFIRMABLE.items()
                 if path in self.confirmations and _declared(before.get(column)) != _declared(getattr(self, column))]
        if stale:
            self.confirmations = {k: v for k, v in self.confirmations.items() if k not in stale}
        return stale

    def clean(self) -> None:
        super().clean()
        errors: dict[str, Any] = {}
        if self.rd_staff is not None and self.employees is not None and self.rd_staff > self.employees:
            errors["rd_staff"] = _("R&D staff cannot exceed the number of employees.")
        if self.ip_class_i is not None:
            for name in ("ip_class_i_self_developed", "ip_class_i_high_value", "ip_class_i_applied"):
                value = getattr(self, name)
                if value is not None and value > self.ip_class_i:
                    errors[name] = _("Cannot exceed the number of Class I IP.")
        if (
            self.equity_financing_2y is not None
            and self.equity_financing_3y is not None
            and self.equity_financing_2y > self.equity_financing_3y
        ):
            errors["equity_financing_3y"] = _("The 3-year total includes the last 2 years and cannot be smaller.")
        for name in ("equity_financing_2y", "equity_financing_3y"):
            value = getattr(self, name)
            if value is not None and value < Decimal(0):
                errors[name] = _("Must not be negative.")
        if errors:
            raise ValidationError(errors)


Declaration.audit_fields = tuple(
    f.attname for f in Declaration._meta.concrete_fields if f.name not in ("id", "updated_at")
)


# Where each profile.md key of the declaration lives on ``Declaration`` (profile.md section -> key -> column).
DECLARATION_GROUPS: dict[str, dict[str, str]] = {
    "ip": {
        "class_i": "ip_class_i", "class_i_self_developed": "ip_class_i_self_developed",
        "class_i_high_value": "ip_class_i_high_value", "class_i_applied": "ip_class_i_applied",
        "class_ii": "ip_class_ii", "invention_patents_applied": "invention_patents_applied",
    },
    "market": {k: k for k in ("niche_years", "field_years", "new_product", "main_products",
                              "national_share_pct", "national_rank", "global_rank", "niche_share_leading",
                              "international_share_pct")},
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
                       "local_feature_score", "credit_ok", "platform_score", "confirmations")



class ConfirmationQuerySet(RestrictedQuerySet):
    enterprise_path = "declaration__enterprise"


class Confirmation(AuditedModel):
    """One reviewer's judgement of one declared item: who, when, the value judged and the verdict. The verdict
    in force is the declaration's ``confirmations``; these rows are its history and stay when it is cleared."""

    declaration = models.ForeignKey(Declaration, verbose_name=_("declaration"), on_delete=models.CASCADE,
                                    related_name="judgements")
    field = models.CharField(_("declared item"), max_length=64,
                             choices=[(path, path) for path in CONFIRMABLE])
    declared_value = models.JSONField(_("declared value"), null=True)
    confirmed = models.BooleanField(_("confirmed"))
    reason = models.TextField(_("reason"), blank=True)
    judged_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("judged by"), null=True,
                                  on_delete=models.SET_NULL, related_name="+")
    judged_at = models.DateTimeField(_("judged at"))

    objects = ConfirmationQuerySet.as_manager()

    class Meta:
        ordering = ["-judged_at", "-id"]
        verbose_name = _("confirmation of a declared item")
        verbose_name_plural = _("confirmations of declared items")

    def __str__(self) -> str:
        return f"{self.declaration_id}/{self.field}"

    @property
    def audit_enterprise_id(self) -> int | None:
        return self.declaration.enterprise_id


class ChangeRequestKind(models.TextChoices):
    RENAME = "rename", _("Renaming")
    MERGER = "merger", _("Merger, split or reorganisation")
    MOVE = "move", _("Moving to another region or province")
    SECTOR = "sector", _("Change of sector")
    OTHER = "other", _("Other major change")


class ChangeRequestStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    APPROVED = "approved", _("Approved")
    REJECTED = "rejected", _("Rejected")


class ChangeRequestQuerySet(RestrictedQuerySet):
    enterprise_path = "enterprise"


class ChangeRequest(AuditedModel):
    """A major change (renaming, merger, move, sector) reported by the enterprise: the routing fields it names
    change only when a reviewer of the enterprise's region at the time approves it. The row stays as history."""

    enterprise = models.ForeignKey(Enterprise, verbose_name=_("enterprise"), on_delete=models.CASCADE,
                                   related_name="change_requests")
    kind = models.CharField(_("kind"), max_length=8, choices=ChangeRequestKind.choices)
    changes = models.JSONField(_("changes"), help_text=_("The new values, by field (name, region_code, sector, "
                                                         "established_year)."))
    before = models.JSONField(_("values before"), default=dict)
    reason = models.TextField(_("reason"))
    region = models.ForeignKey(Region, verbose_name=_("region when filed"), on_delete=models.PROTECT,
                               related_name="+")
    status = models.CharField(_("status"), max_length=8, choices=ChangeRequestStatus.choices,
                              default=ChangeRequestStatus.PENDING)
    filed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("filed by"), null=True,
                                 on_delete=models.SET_NULL, related_name="+")
    filed_at = models.DateTimeField(_("filed at"), auto_now_add=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("decided by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_reason = models.TextField(_("decision reason"), blank=True)

    objects = ChangeRequestQuerySet.as_manager()
    audit_fields = ("enterprise_id", "kind", "changes", "status", "decided_by_id", "decision_reason")

    class Meta:
        verbose_name = _("change request")
        verbose_name_plural = _("change requests")
        ordering = ["-filed_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["enterprise"], condition=models.Q(status="pending"),
                                    name="one_pending_change_request"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_kind_display()} ({self.get_status_display()})"
