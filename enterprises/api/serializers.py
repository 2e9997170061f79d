"""Serializers of the enterprise API. Field names follow shared/spec/profile.md."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from rest_framework import serializers

from ..models import DECLARATION_GROUPS, DECLARATION_SCALARS, Declaration, Enterprise, FinancialYear, Region
from ..validators import normalize_uscc, validate_uscc


class EnterpriseSerializer(serializers.ModelSerializer):
    region_code = serializers.SlugRelatedField(
        source="region", slug_field="code", queryset=Region.objects.all(),
        error_messages={"does_not_exist": "Unknown region code {value}."},
    )
    region_name = serializers.CharField(source="region.name", read_only=True)
    city_code = serializers.CharField(source="region.city_code", read_only=True)

    class Meta:
        model = Enterprise
        fields = [
            "id", "uscc", "name", "region_code", "region_name", "city_code", "sector", "established_year",
            "established_on", "address", "contact_name", "contact_phone", "contact_email", "size_class",
            "current_tier", "created_at", "updated_at",
        ]
        read_only_fields = ["uscc", "size_class", "current_tier", "created_at", "updated_at"]


class RegisterEnterpriseSerializer(serializers.Serializer):
    uscc = serializers.CharField(max_length=30)
    name = serializers.CharField(max_length=200)
    region_code = serializers.CharField(max_length=6)
    sector = serializers.ChoiceField(choices=Enterprise._meta.get_field("sector").choices, default="industry")
    established_year = serializers.IntegerField(min_value=1949, max_value=9999)

    def validate_uscc(self, value: str) -> str:
        value = normalize_uscc(value)
        try:
            validate_uscc(value)
        except ValidationError as exc:
            raise serializers.ValidationError(list(exc.messages))
        if Enterprise.objects.filter(uscc=value).exists():
            raise serializers.ValidationError("An enterprise with this code is already registered.")
        return value


class RegisterSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(write_only=True, max_length=128, style={"input_type": "password"})
    email = serializers.EmailField()
    enterprise = RegisterEnterpriseSerializer()


class RegisteredSerializer(serializers.Serializer):
    """What sign-up returns."""

    user_id = serializers.IntegerField()
    username = serializers.CharField()
    token = serializers.CharField()
    enterprise = EnterpriseSerializer()


class TokenRequestSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=128, style={"input_type": "password"})


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField()
    expiry = serializers.DateTimeField(allow_null=True, help_text="When the token stops working (API_TOKEN_TTL_HOURS).")


class TokenRevokeSerializer(serializers.Serializer):
    all = serializers.BooleanField(default=False, help_text="Revoke every token of the user, not only this one.")


class TokenRevokedSerializer(serializers.Serializer):
    revoked = serializers.IntegerField()


class FinancialsSerializer(serializers.ModelSerializer):
    """One ``financials`` row of profile.md, without ``year`` (the year is in the URL)."""

    class Meta:
        model = FinancialYear
        fields = list(FinancialYear.PROFILE_FIELDS)
        extra_kwargs = {name: {"min_value": -10**11, "max_value": 10**11} for name in FinancialYear.PROFILE_FIELDS}


def _field_for(attname: str, **overrides: Any) -> serializers.Field:
    model_field = Declaration._meta.get_field(attname)
    field_class, kwargs = serializers.ModelSerializer().build_standard_field(attname, model_field)
    kwargs.update(overrides)
    if attname == "chuangke":
        kwargs.update(allow_null=True, allow_blank=True)
    return field_class(**kwargs)


def _group_serializer(group: str, mapping: dict[str, str]) -> type[serializers.Serializer]:
    attrs = {key: _field_for(attname, **({"source": attname} if attname != key else {}))
             for key, attname in mapping.items()}
    name = "".join(part.title() for part in group.split("_")) + "Serializer"
    return type(name, (serializers.Serializer,), attrs)


_GROUPS = {group: _group_serializer(group, mapping) for group, mapping in DECLARATION_GROUPS.items()}


class DeclarationSerializer(serializers.Serializer):
    """The non-financial fields of profile.md for one year, nested exactly as profile.md nests them."""

    employees = _field_for("employees")
    rd_staff = _field_for("rd_staff")
    ip = _GROUPS["ip"](source="*", required=False)
    market = _GROUPS["market"](source="*", required=False)
    product_field = _GROUPS["product_field"](source="*", required=False)
    digital_level = _field_for("digital_level")
    quality = _GROUPS["quality"](source="*", required=False)
    it_system = _field_for("it_system")
    rd_institution = _field_for("rd_institution")
    local_feature_score = _field_for("local_feature_score")
    awards = _GROUPS["awards"](source="*", required=False)
    honours = _GROUPS["honours"](source="*", required=False)
    equity_financing = _GROUPS["equity_financing"](source="*", required=False)
    credit_ok = _field_for("credit_ok")
    compliance = _GROUPS["compliance"](source="*", required=False)
    single_champion = _GROUPS["single_champion"](source="*", required=False)
    platform_score = _field_for("platform_score")
    confirmations = serializers.JSONField(
        read_only=True,
        help_text="A reviewer's judgement of the declared items, by field: true confirmed, false refused, absent "
                  "not yet judged. Set by reviewers only; a changed declaration clears its entry.",
    )

    def to_internal_value(self, data: Any) -> dict[str, Any]:
        if isinstance(data, dict) and "confirmations" in data:
            raise serializers.ValidationError(
                {"confirmations": [_("Only a reviewer of the enterprise's region confirms declared items.")]})
        values = super().to_internal_value(data)
        if values.get("chuangke") is None and "chuangke" in values:
            values["chuangke"] = ""
        return values


assert set(DECLARATION_SCALARS) <= set(DeclarationSerializer._declared_fields)


class ChangeRequestSerializer(serializers.ModelSerializer):
    """A major change reported by the enterprise (``changes``: new values of name, region_code, sector,
    established_year); a reviewer of the enterprise's current region decides it."""

    region_code = serializers.CharField(source="region_id", read_only=True)
    changes = serializers.JSONField()

    class Meta:
        from ..models import ChangeRequest

        model = ChangeRequest
        fields = ["id", "kind", "changes", "before", "reason", "region_code", "status", "filed_at", "decided_at",
                  "decision_reason"]
        read_only_fields = ["before", "status", "filed_at", "decided_at", "decision_reason"]
