"""The application API: apply, submit, withdraw, decide, upload evidence; certifications; the tier ladder.

Views are thin: they parse, call the registry's services and serialise. Who may see an application is
``Application.objects.restrict(user)`` (someone else's is a 404); who may act is the workflow table (403).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet
from django.http import FileResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, permissions, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from core.api import RestrictedViewSet
from enterprises.models import Tier

from .. import applications, certifications, evidence
from ..eligibility import prerequisites
from ..filtersets import ApplicationFilterSet, CertificationFilterSet
from ..models import Application, ApplicationEvent, Certification, Evidence
from ..workflow import stages
from .serializers import (
    ApplicationCreateSerializer,
    ApplicationListSerializer,
    ApplicationSerializer,
    CertificationSerializer,
    DecisionSerializer,
    EvidenceSerializer,
    EvidenceUploadSerializer,
    NationalOutcomeSerializer,
    ReasonSerializer,
    RevokeSerializer,
    TierSerializer,
)


class ApplicationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin,
                         RestrictedViewSet):
    """Applications the caller may see: members their enterprise's, reviewers their region's, provincial staff all."""

    permission_classes = [permissions.IsAuthenticated]
    filterset_class = ApplicationFilterSet
    search_fields = ["enterprise__name", "=enterprise__uscc"]
    ordering_fields = ["created_at", "submitted_at", "id", "year"]

    queryset = Application.objects.select_related("enterprise", "ruleset")

    def get_queryset(self) -> QuerySet:
        qs = super().get_queryset()
        if self.action == "list":
            return qs.defer("assessment")
        return qs.select_related("enterprise__region").prefetch_related(
            Prefetch("events", queryset=ApplicationEvent.objects.order_by("created_at", "id")), "evidence"
        )

    def get_serializer_class(self) -> type:
        if self.action == "list":
            return ApplicationListSerializer
        if self.action == "create":
            return ApplicationCreateSerializer
        return ApplicationSerializer

    def _detail(self, application: Application, code: int = status.HTTP_200_OK) -> Response:
        fresh = self.get_queryset().get(pk=application.pk)
        return Response(ApplicationSerializer(fresh, context=self.get_serializer_context()).data, status=code)

    @extend_schema(request=ApplicationCreateSerializer, responses={201: ApplicationSerializer})
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Open a draft application for a tier; refused with the reason when the enterprise may not apply."""
        serializer = ApplicationCreateSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        application = applications.create_application(
            enterprise=data["enterprise"], tier=data["tier"], year=data["year"], user=request.user,
            kind=data["kind"], together_with=data.get("together_with"),
        )
        return self._detail(application, status.HTTP_201_CREATED)

    @extend_schema(request=None, responses={200: ApplicationSerializer})
    @action(detail=True, methods=["post"])
    def submit(self, request: Request, pk: str) -> Response:
        """Submit (or resubmit after return): evaluated now, the assessment stored with the application."""
        application = applications.submit_application(self.get_object(), user=request.user)
        return self._detail(application)

    @extend_schema(request=ReasonSerializer, responses={200: ApplicationSerializer})
    @action(detail=True, methods=["post"])
    def withdraw(self, request: Request, pk: str) -> Response:
        serializer = ReasonSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        application = applications.withdraw(self.get_object(), user=request.user,
                                        reason=serializer.validated_data["reason"])
        return self._detail(application)

    @extend_schema(request=DecisionSerializer, responses={200: ApplicationSerializer})
    @action(detail=True, methods=["post"])
    def decisions(self, request: Request, pk: str) -> Response:
        """A reviewer's decision: approve, return or reject (object during publicity); the same service as the
        admin's buttons."""
        serializer = DecisionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        application = applications.decide(self.get_object(), user=request.user, **serializer.validated_data)
        return self._detail(application)

    @extend_schema(request=NationalOutcomeSerializer, responses={200: ApplicationSerializer})
    @action(detail=True, methods=["post"], url_path="national-outcome")
    def national_outcome(self, request: Request, pk: str) -> Response:
        """Record MIIT's decision on a recommended application (provincial reviewers)."""
        serializer = NationalOutcomeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        application = applications.record_national_outcome(self.get_object(), user=request.user,
                                                       **serializer.validated_data)
        return self._detail(application)

    @extend_schema(methods=["get"], responses={200: EvidenceSerializer(many=True)})
    @extend_schema(methods=["post"], request={"multipart/form-data": EvidenceUploadSerializer},
                   responses={201: EvidenceSerializer})
    @action(detail=True, methods=["get", "post"], pagination_class=None)  # a plain list, as the schema says
    def evidence(self, request: Request, pk: str) -> Response:
        """The application's evidence files; POST (multipart: claim, file) uploads one."""
        application = self.get_object()
        context = self.get_serializer_context()
        if request.method == "GET":
            return Response(EvidenceSerializer(application.evidence.all(), many=True, context=context).data)
        serializer = EvidenceUploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        item = evidence.add_evidence(application, user=request.user, claim=serializer.validated_data["claim"],
                                     uploaded_file=serializer.validated_data["file"])
        return Response(EvidenceSerializer(item, context=context).data, status=status.HTTP_201_CREATED)


class EvidenceDownloadView(APIView):
    """Stream one evidence file through the storage API to someone who may see the application."""

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY})
    def get(self, request: Request, pk: int, evidence_id: int) -> FileResponse:
        application = get_object_or_404(Application.objects.restrict(request.user), pk=pk)
        evidence = get_object_or_404(Evidence, pk=evidence_id, application=application)
        handle = evidence.file.storage.open(evidence.file.name, "rb")
        response = FileResponse(handle, as_attachment=True, filename=evidence.original_name,
                                content_type=evidence.content_type)
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "private, no-store"
        return response


class CertificationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, RestrictedViewSet):
    """Certifications the caller may see; provincial reviewers revoke them."""

    serializer_class = CertificationSerializer
    permission_classes = [permissions.IsAuthenticated]
    filterset_class = CertificationFilterSet
    ordering_fields = ["granted_on", "expires_on", "id"]
    search_fields = ["enterprise__name", "=enterprise__uscc"]

    queryset = Certification.objects.select_related("enterprise", "ruleset")

    @extend_schema(request=RevokeSerializer, responses={200: CertificationSerializer})
    @action(detail=True, methods=["post"])
    def revoke(self, request: Request, pk: str) -> Response:
        serializer = RevokeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        cert = certifications.revoke_certification(self.get_object(), user=request.user, **serializer.validated_data)
        return Response(CertificationSerializer(self.get_queryset().get(pk=cert.pk)).data)


class TierListView(APIView):
    """The ladder, lowest first: codes, labels, order, prerequisites and review stages."""

    permission_classes = [permissions.AllowAny]

    @extend_schema(responses={200: TierSerializer(many=True)})
    def get(self, request: Request) -> Response:
        needed = prerequisites()
        rows = [
            {
                "code": tier.value,
                "label": str(tier.label),
                "order": index + 1,
                "prerequisites": [needed[tier.value]["tier"]] if tier.value in needed else [],
                "prerequisite_together": bool(needed.get(tier.value, {}).get("together", False)),
                "stages": stages(tier.value),
            }
            for index, tier in enumerate(Tier)
        ]
        return Response(TierSerializer(rows, many=True).data)
