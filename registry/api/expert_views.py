"""The expert API: an expert's own assignments in the expert stage, each with the application, its evidence and
the engine's assessment, and the submission of their blind score.

Who may see a seat is ``ExpertAssignment.by_expert.restrict(user)``: the caller's own seats, nothing else (an
assignment of someone else is a 404, whoever asks). Who may score is the workflow table (``submit_expert_score``
in expert review, by an expert on the current panel); outside the stage the answer is a 400 naming ``action``.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch, QuerySet
from django.http import FileResponse
from django.shortcuts import get_object_or_404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, permissions
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response

from core.api import RestrictedViewSet

from .. import experts
from ..models import Evidence, ExpertAssignment
from .expert_serializers import ExpertAssignmentSerializer, ScoreSubmitSerializer

# Error keys of the scoring service that are not categories of the form.
_NOT_CATEGORIES = {"scores", "recommendation", "comment", "application", "action", "tier", "__all__"}


class ExpertAssignmentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, RestrictedViewSet):
    """The caller's own expert assignments. The list holds those open in the expert stage (the application in
    expert review with this panel); an assignment opens by id afterwards too, with the caller's own score."""

    serializer_class = ExpertAssignmentSerializer
    permission_classes = [permissions.IsAuthenticated]
    filter_backends: list[Any] = []
    queryset = ExpertAssignment.by_expert.select_related("application__enterprise__region",
                                                         "application__ruleset")

    def get_queryset(self) -> QuerySet:
        seats = experts.with_open(super().get_queryset()).prefetch_related(
            Prefetch("application__evidence", queryset=Evidence.objects.order_by("uploaded_at", "id")))
        if self.action == "list":
            seats = seats.filter(on_current_panel=True).order_by("submitted_at", "-pk")
        return seats

    @extend_schema(request=ScoreSubmitSerializer, responses={200: ExpertAssignmentSerializer})
    @action(detail=True, methods=["post"])
    def scores(self, request: Request, pk: str) -> Response:
        """Submit the caller's score (once, in the expert stage): a 400 names each wrong category as
        ``scores.<code>``."""
        seat = self.get_object()
        serializer = ScoreSubmitSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            experts.submit_score(seat, user=request.user, scores=data["scores"],
                                 recommendation=data["recommendation"], comment=data["comment"])
        except DjangoValidationError as exc:
            if not hasattr(exc, "error_dict"):
                raise
            raise ValidationError({(key if key in _NOT_CATEGORIES else f"scores.{key}"): [
                str(m) for e in errors for m in e.messages] for key, errors in exc.error_dict.items()}) from exc
        fresh = self.get_queryset().get(pk=seat.pk)
        return Response(self.get_serializer(fresh).data)

    @extend_schema(responses={(200, "application/octet-stream"): OpenApiTypes.BINARY})
    @action(detail=True, methods=["get"], url_path=r"evidence/(?P<evidence_id>\d+)",
            url_name="evidence", pagination_class=None)
    def evidence(self, request: Request, pk: str, evidence_id: str) -> FileResponse:
        """Download one evidence file of the assignment's application."""
        seat = self.get_object()
        item = get_object_or_404(Evidence, pk=int(evidence_id), application_id=seat.application_id)
        response = FileResponse(item.file.storage.open(item.file.name, "rb"), as_attachment=True,
                                filename=item.original_name, content_type=item.content_type)
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "private, no-store"
        return response
