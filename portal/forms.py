"""Portal forms. They collect and present; the services in ``enterprises``/``registry`` validate and write."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import SetPasswordForm
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from enterprises.models import Declaration, FinancialYear, Region, RegionLevel, Sector
from enterprises.validators import normalize_uscc
from registry.models import EvidenceClaim

MONEY_UNIT = "万元"
PERCENT_UNIT = "%"


def apply_service_errors(form: forms.Form, exc: ValidationError, names: dict[str, str] | None = None) -> None:
    """Put a service's ``ValidationError`` on the form: each message beside the field it names."""
    names = names or {}
    if not hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return
    for field, errors in exc.error_dict.items():
        target = names.get(field, field)
        form.add_error(target if target in form.fields else None, errors)


class GroupedFormMixin:
    """A form laid out in titled sections, each field with its unit beside it."""

    groups: list[tuple[Any, tuple[str, ...]]] = []
    units: dict[str, str] = {}

    def sections(self) -> list[dict[str, Any]]:
        out = []
        for title, names in self.groups:
            fields = [self[name] for name in names if name in self.fields]
            for bound in fields:
                bound.unit = self.units.get(bound.name, "")
            out.append({"title": title, "fields": fields})
        return out

    def describe_widgets(self) -> None:
        """Link each input to its unit, help and error text, and mark invalid ones (for screen readers)."""
        for name, field in self.fields.items():
            attrs = field.widget.attrs
            ids = []
            if self.units.get(name):
                ids.append(f"id_{name}_unit")
            if field.help_text:
                ids.append(f"id_{name}_helptext")
            if self.is_bound and name in self.errors:
                ids.append(f"id_{name}_error")
                attrs["aria-invalid"] = "true"
            if ids:
                attrs["aria-describedby"] = " ".join(ids)


def region_choices() -> list[tuple[str, str]]:
    """Every region, provinces then their cities and counties in code order, indented by level."""
    indent = {RegionLevel.PROVINCE: "", RegionLevel.CITY: "　", RegionLevel.COUNTY: "　　"}
    return [("", "---------")] + [
        (code, f"{indent.get(level, '')}{name} ({code})")
        for code, name, level in Region.objects.order_by("code").values_list("code", "name", "level")
    ]


class SignupForm(forms.Form):
    uscc = forms.CharField(
        label=_("Unified social credit code"), max_length=24,
        help_text=_("18 characters, as on the business licence; the last one is a check digit."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "data-uscc": "1",
                                      "autocapitalize": "characters"}),
    )
    name = forms.CharField(label=_("Enterprise name"), max_length=200)
    region = forms.ChoiceField(label=_("Region"), help_text=_("The county or district where it is registered."))
    sector = forms.ChoiceField(label=_("Sector"), choices=Sector.choices, initial=Sector.INDUSTRY)
    established_year = forms.IntegerField(label=_("Year established"), min_value=1949)
    username = forms.CharField(label=_("Username"), max_length=150,
                               widget=forms.TextInput(attrs={"autocomplete": "username"}))
    email = forms.EmailField(label=_("E-mail"), widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    password1 = forms.CharField(label=_("Password"), strip=False,
                                widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
                                help_text=_("At least 8 characters, not only digits, not a common password."))
    password2 = forms.CharField(label=_("Password again"), strip=False,
                                widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))

    # Service error keys → form fields.
    SERVICE_NAMES = {
        "password": "password1", "enterprise.uscc": "uscc", "enterprise.name": "name",
        "enterprise.region_code": "region", "enterprise.region": "region", "enterprise.sector": "sector",
        "enterprise.established_year": "established_year",
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["region"].choices = region_choices()
        self.fields["established_year"].max_value = datetime.date.today().year
        self.fields["established_year"].widget.attrs["max"] = datetime.date.today().year

    def clean_uscc(self) -> str:
        """Spaces and dashes are dropped and letters capitalised; the service checks the code itself."""
        return normalize_uscc(self.cleaned_data["uscc"])

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("password1") and data.get("password2") and data["password1"] != data["password2"]:
            self.add_error("password2", _("The two passwords differ."))
        return data


class FinancialsForm(GroupedFormMixin, forms.ModelForm):
    """The financial row of one year, in 万元."""

    class Meta:
        model = FinancialYear
        fields = FinancialYear.PROFILE_FIELDS
        labels = {
            "operating_revenue": _("Operating revenue"),
            "main_business_revenue": _("Main-business revenue"),
            "rd_expense": _("R&D expense"),
            "net_profit": _("Net profit"),
            "total_assets": _("Total assets"),
            "total_liabilities": _("Total liabilities"),
        }

    groups = [(_("Finance"), FinancialYear.PROFILE_FIELDS)]
    units = dict.fromkeys(FinancialYear.PROFILE_FIELDS, MONEY_UNIT)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs.update({"inputmode": "decimal", "step": "0.01"})
        self.describe_widgets()

    def _post_clean(self) -> None:
        """The service validates against the stored row (and reports every field at once); skip the model's."""


DECLARATION_GROUPS: list[tuple[Any, tuple[str, ...]]] = [
    (_("Finance"), ("equity_financing_2y", "equity_financing_3y", "credit_ok", "platform_score")),
    (_("R&D"), ("employees", "rd_staff", "rd_institution", "digital_level", "it_system")),
    (_("Intellectual property"), ("ip_class_i", "ip_class_i_self_developed", "ip_class_i_high_value",
                                  "ip_class_i_applied", "ip_class_ii", "invention_patents_applied")),
    (_("Market and product"), ("niche_years", "field_years", "main_products", "new_product", "national_share_pct",
                               "national_rank", "global_rank", "niche_share_leading", "international_share_pct",
                               "strategic_emerging", "six_basics",
                               "key_chain_results", "local_feature_score", "sc_intl_advanced_tech",
                               "sc_energy_advanced", "sc_core_ip", "sc_profit_above_industry",
                               "sc_niche_product_share_pct")),
    (_("Quality"), ("quality_award", "management_certified", "own_brand", "standards", "international_cert")),
    (_("Awards and honours"), ("national_sci_rank", "provincial_sci_rank", "chuangke", "high_tech_enterprise",
                               "innovation_demo", "ip_advantage")),
    (_("Compliance"), ("abnormal_operations_list", "seriously_dishonest", "restricted_products",
                       "major_accident_3y", "tax_evasion_3y", "data_fraud_3y")),
]
DECLARATION_FIELDS = tuple(name for _title, names in DECLARATION_GROUPS for name in names)


class DeclarationForm(GroupedFormMixin, forms.ModelForm):
    """The declaration of one year, in the sections of the official forms. Reviewers' judgements are left out."""

    class Meta:
        model = Declaration
        fields = DECLARATION_FIELDS
        labels = {
            "equity_financing_2y": _("Equity financing, last 2 years"),
            "equity_financing_3y": _("Equity financing, last 3 years"),
            "national_share_pct": _("National niche market share"),
            "sc_niche_product_share_pct": _("Niche product share of revenue"),
            "platform_score": _("MIIT platform development score (if known)"),
            "international_share_pct": _("International niche market share"),
        }
        help_texts = {
            "employees": _("Average staff during the year."),
            "ip_class_i": _("Valid Class I IP related to the main product (invention patents, IC layouts, …)."),
            "national_share_pct": _("Enter 18 for 18%."),
            "local_feature_score": _("0 to 15, as the county assessed it."),
            "national_sci_rank": _("Best rank among the winning units in the last 3 years; empty if none."),
            "provincial_sci_rank": _("Best rank among the winning units in the last 3 years; empty if none."),
            "digital_level": _("1 to 6, from the digital-transformation assessment."),
            "international_share_pct": _("For the 2026 little-giant rules; enter 12 for 12%. A reviewer "
                                         "confirms it; changing it clears the confirmation."),
        }


    # Declared or not (the empty choice), and nothing else: an unknown answer is an error, not "not declared".
    niche_share_leading = forms.TypedChoiceField(
        label=_("Main product's niche market share relatively high (市场占有率较为靠前)"),
        choices=[("", _("Not declared")), ("True", _("Yes")), ("False", _("No"))],
        coerce=lambda value: value == "True", empty_value=None, required=False,
        help_text=_("For the 2026 rules. A reviewer of your region confirms it; changing it clears the "
                    "confirmation."),
    )

    groups = DECLARATION_GROUPS
    units = {
        "equity_financing_2y": MONEY_UNIT, "equity_financing_3y": MONEY_UNIT,
        "national_share_pct": PERCENT_UNIT, "sc_niche_product_share_pct": PERCENT_UNIT,
        "international_share_pct": PERCENT_UNIT,
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            if isinstance(field, forms.DecimalField):
                field.widget.attrs.update({"inputmode": "decimal", "step": "0.01"})
            if Declaration._meta.get_field(name).has_default():
                field.required = False  # left empty, it keeps the stored value or the default
        self.describe_widgets()

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        for name, value in list(data.items()):
            model_field = Declaration._meta.get_field(name)
            if value is None and model_field.has_default() and not model_field.null:
                data[name] = getattr(self.instance, name) if self.instance.pk else model_field.get_default()
        return data

    def _post_clean(self) -> None:
        """Cross-field rules are the service's (``save_declaration``); it names each field in its errors."""


class YearForm(forms.Form):
    year = forms.TypedChoiceField(label=_("Year of the figures"), coerce=int)

    def __init__(self, *args: Any, years: list[int], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [(y, str(y)) for y in years]


class AssessmentForm(forms.Form):
    year = forms.TypedChoiceField(label=_("Year of the figures"), coerce=int)
    ruleset = forms.ChoiceField(label=_("Ruleset"))

    def __init__(self, *args: Any, years: list[int], rulesets: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [(y, str(y)) for y in years]
        self.fields["ruleset"].choices = rulesets


class ApplyForm(forms.Form):
    tier = forms.ChoiceField(label=_("Tier"), widget=forms.RadioSelect)
    year = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, tiers: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["tier"].choices = tiers


class EvidenceForm(forms.Form):
    claim = forms.ChoiceField(label=_("What it shows"), choices=EvidenceClaim.choices)
    file = forms.FileField(label=_("File"), help_text=_("PDF, PNG, JPG or XLSX."))


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason (optional)"), required=False, max_length=1000,
                             widget=forms.Textarea(attrs={"rows": 2}))


class InviteForm(forms.Form):
    email = forms.EmailField(label=_("Colleague's e-mail"), widget=forms.EmailInput(attrs={"autocomplete": "off"}))


class AcceptInvitationForm(SetPasswordForm):
    """Choose a username and password for the invited account."""

    username = forms.CharField(label=_("Username"), max_length=150,
                               widget=forms.TextInput(attrs={"autocomplete": "username"}))
    field_order = ["username", "new_password1", "new_password2"]

    def clean_username(self) -> str:
        username = self.cleaned_data["username"]
        if get_user_model().objects.filter(username__iexact=username).exists():
            raise ValidationError(_("This username is taken."))
        return username
