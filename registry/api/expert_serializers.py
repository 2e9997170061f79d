"""Serializers of the expert API: an expert's own assignment, the application it is about (its evidence and the
engine's assessment) and the expert's own score. Nothing here reaches another expert's seat: scoring is blind.
Keys are a contract with outside clients."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from evaluation.display import readable

from .. import experts
from ..models import Application, Evidence, ExpertAssignment, Recommendation
from .serializers import EvidenceSerializer


class ExpertEvidenceSerializer(EvidenceSerializer):
    """An evidence file, downloaded through the expert's own assignment."""

    def get_download(self, obj: Evidence) -> str:
        path = reverse("api-expert-assignment-evidence", args=[self.context["seat"].pk, obj.pk])
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path


class ExpertApplicationSerializer(serializers.ModelSerializer):
    """The application an expert scores: who, which tier and year, where it stands, the frozen assessment."""

    enterprise_name = serializers.CharField(source="enterprise.name", read_only=True)
    region_name = serializers.CharField(source="enterprise.region.name", read_only=True)
    tier_label = serializers.CharField(source="get_tier_display", read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    assessment = serializers.SerializerMethodField()

    class Meta:
        model = Application
        fields = ["id", "enterprise_name", "region_name", "tier", "tier_label", "year", "status", "status_label",
                  "submitted_at", "assessment"]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.OBJECT)
    def get_assessment(self, obj: Application) -> Any:
        """The engine's assessment frozen at submission, messages in the request's language."""
        return readable(obj.assessment) if obj.assessment else obj.assessment


class FormCategorySerializer(serializers.Serializer):
    code = serializers.CharField()
    label = serializers.CharField()
    max = serializers.IntegerField()
    source = serializers.CharField()


class ExpertAssignmentSerializer(serializers.ModelSerializer):
    """One of the caller's own seats: the application, its evidence, the scoring form and the caller's score."""

    application = ExpertApplicationSerializer(read_only=True)
    evidence = serializers.SerializerMethodField()
    form = serializers.SerializerMethodField()
    max_total = serializers.SerializerMethodField()
    open = serializers.SerializerMethodField()
    submitted = serializers.SerializerMethodField()

    class Meta:
        model = ExpertAssignment
        fields = ["id", "application", "evidence", "form", "max_total", "open", "submitted", "submitted_at",
                  "scores", "total", "recommendation", "comment"]
        read_only_fields = fields

    @extend_schema_field(ExpertEvidenceSerializer(many=True))
    def get_evidence(self, obj: ExpertAssignment) -> list[dict[str, Any]]:
        context = {**self.context, "seat": obj}
        return ExpertEvidenceSerializer(obj.application.evidence.all(), many=True, context=context).data

    @extend_schema_field(FormCategorySerializer(many=True))
    def get_form(self, obj: ExpertAssignment) -> list[dict[str, Any]]:
        review = experts.review_of(obj.application)
        return FormCategorySerializer(review.form, many=True).data

    def get_max_total(self, obj: ExpertAssignment) -> int:
        return experts.review_of(obj.application).max_total

    def get_open(self, obj: ExpertAssignment) -> bool:
        """Whether the caller may submit now: not yet submitted, the application in expert review with this
        panel."""
        return obj.submitted_at is None and bool(getattr(obj, "on_current_panel", False))

    def get_submitted(self, obj: ExpertAssignment) -> bool:
        return obj.submitted_at is not None


class ScoreSubmitSerializer(serializers.Serializer):
    """The caller's score: a whole number for every category of the form, and a recommendation."""

    scores = serializers.DictField(child=serializers.IntegerField(min_value=0),
                                   help_text="Category code → points (0 to the category's maximum).")
    recommendation = serializers.ChoiceField(choices=Recommendation.choices)
    comment = serializers.CharField(required=False, allow_blank=True, default="", max_length=4000)
