"""Serializers of the application, certification and tier API. Keys are a contract with outside clients."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from rest_framework import serializers

from core.validators import EARLIEST_FIGURES_YEAR
from enterprises.models import Enterprise, Tier
from evaluation.display import readable

from ..evidence import missing_claims
from ..models import (
    Application,
    ApplicationEvent,
    ApplicationKind,
    ApplicationStatus,
    Certification,
    Evidence,
    EvidenceClaim,
    RevocationCause,
)
from ..workflow import DECISIONS, available_actions


class HistorySerializer(serializers.ModelSerializer):
    """One step of the application's life, as the enterprise sees it."""

    actor = serializers.CharField(source="actor_label")
    time = serializers.DateTimeField(source="created_at")

    class Meta:
        model = ApplicationEvent
        fields = ["actor", "actor_role", "action", "from_status", "to_status", "reason", "time"]


class EvidenceSerializer(serializers.ModelSerializer):
    claim_label = serializers.CharField(source="get_claim_display", read_only=True)
    download = serializers.SerializerMethodField()

    class Meta:
        model = Evidence
        fields = ["id", "claim", "claim_label", "original_name", "content_type", "size", "uploaded_at", "download"]

    def get_download(self, obj: Evidence) -> str:
        path = reverse("api-application-evidence-download", args=[obj.application_id, obj.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path


class ApplicationListSerializer(serializers.ModelSerializer):
    enterprise_name = serializers.CharField(source="enterprise.name", read_only=True)
    tier_label = serializers.CharField(source="get_tier_display", read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    ruleset = serializers.CharField(source="ruleset.code", read_only=True, default=None)
    ruleset_version = serializers.IntegerField(source="ruleset.version", read_only=True, default=None)

    class Meta:
        model = Application
        fields = [
            "id", "enterprise", "enterprise_name", "tier", "tier_label", "year", "kind", "status", "status_label",
            "flagged", "certification", "together_with", "ruleset", "ruleset_version", "submitted_at",
            "publicity_ends_on", "decided_at", "created_at", "updated_at",
        ]
        read_only_fields = fields


class ApplicationSerializer(ApplicationListSerializer):
    """The full application: the assessment frozen at submission, the history, the evidence."""

    history = HistorySerializer(source="events", many=True, read_only=True)
    evidence = EvidenceSerializer(many=True, read_only=True)
    missing_evidence = serializers.SerializerMethodField()
    available_actions = serializers.SerializerMethodField()
    assessment = serializers.SerializerMethodField()

    class Meta(ApplicationListSerializer.Meta):
        fields = [*ApplicationListSerializer.Meta.fields, "assessment", "history", "evidence", "missing_evidence",
                  "available_actions"]
        read_only_fields = fields

    def get_assessment(self, obj: Application) -> Any:
        """The frozen assessment with its codes as stored and its messages in the request's language."""
        return readable(obj.assessment) if obj.assessment else obj.assessment

    def get_missing_evidence(self, obj: Application) -> list[str]:
        return missing_claims(obj, list(obj.evidence.all()))

    def get_available_actions(self, obj: Application) -> list[str]:
        request = self.context.get("request")
        return available_actions(obj, request.user) if request is not None else []


class ApplicationCreateSerializer(serializers.Serializer):
    enterprise = serializers.PrimaryKeyRelatedField(queryset=Enterprise.objects.none())
    tier = serializers.ChoiceField(choices=Tier.choices)
    year = serializers.IntegerField(min_value=EARLIEST_FIGURES_YEAR, max_value=9999)
    kind = serializers.ChoiceField(choices=ApplicationKind.choices, default=ApplicationKind.NEW)
    together_with = serializers.PrimaryKeyRelatedField(queryset=Application.objects.none(), required=False,
                                                       allow_null=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["enterprise"].queryset = Enterprise.objects.restrict(request.user)
            self.fields["together_with"].queryset = Application.objects.restrict(request.user)


class DecisionSerializer(serializers.Serializer):
    action = serializers.ChoiceField(choices=[(a.value, a.label) for a in DECISIONS])
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=4000)


class ReasonSerializer(serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=4000)


class NationalOutcomeSerializer(serializers.Serializer):
    outcome = serializers.ChoiceField(choices=[(s.value, s.label) for s in (ApplicationStatus.CERTIFIED,
                                                                          ApplicationStatus.REJECTED)])
    reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=4000)


class EvidenceUploadSerializer(serializers.Serializer):
    claim = serializers.ChoiceField(choices=EvidenceClaim.choices)
    file = serializers.FileField(allow_empty_file=False)


class CertificationSerializer(serializers.ModelSerializer):
    enterprise_name = serializers.CharField(source="enterprise.name", read_only=True)
    tier_label = serializers.CharField(source="get_tier_display", read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    ruleset = serializers.CharField(source="ruleset.code", read_only=True)
    ruleset_version = serializers.IntegerField(source="ruleset.version", read_only=True)

    class Meta:
        model = Certification
        fields = [
            "id", "enterprise", "enterprise_name", "tier", "tier_label", "ruleset", "ruleset_version", "granted_on",
            "expires_on", "status", "status_label", "revoked_on", "revocation_cause", "revocation_reason",
        ]
        read_only_fields = fields


class RevokeSerializer(serializers.Serializer):
    cause = serializers.ChoiceField(choices=RevocationCause.choices)
    reason = serializers.CharField(max_length=4000)


class TierSerializer(serializers.Serializer):
    """One rung of the ladder."""

    code = serializers.CharField()
    label = serializers.CharField()
    order = serializers.IntegerField()
    prerequisites = serializers.ListField(child=serializers.CharField())
    prerequisite_together = serializers.BooleanField()
    stages = serializers.ListField(child=serializers.CharField())
