"""The evaluation API: an enterprise's live self-assessment (nothing is stored)."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers
from rest_framework.request import Request
from rest_framework.response import Response

from core.api import RestrictedViewSet
from core.validators import figures_year
from enterprises.models import Enterprise

from .. import engine
from ..display import readable, reader_language
from ..profiles import ProfileUnavailable
from ..services import evaluate_enterprise, get_ruleset_version


class EnterpriseAssessmentViewSet(mixins.RetrieveModelMixin, RestrictedViewSet):
    """``GET /api/enterprises/{id}/assessment/``: a live self-assessment of an enterprise the caller may see."""

    queryset = Enterprise.objects.select_related("region")

    @extend_schema(
        operation_id="enterprises_assessment_retrieve",
        parameters=[
            OpenApiParameter("year", int, description="Figures year (default: last complete year)"),
            OpenApiParameter("ruleset", str, description="Ruleset code (default: the one in force today)"),
        ],
        responses={200: OpenApiTypes.OBJECT},
    )
    def retrieve(self, request: Request, pk: str) -> Response:
        """A live self-assessment in the result shape of profile.md; each failed tier carries its ``advice``."""
        enterprise = self.get_object()
        raw_year = request.query_params.get("year") or str(timezone.localdate().year - 1)
        if not raw_year.isdigit():
            raise serializers.ValidationError({"year": ["Enter a four-digit year."]})
        year = figures_year(raw_year)
        try:
            version = get_ruleset_version(request.query_params.get("ruleset") or None)
            evaluated = evaluate_enterprise(enterprise, year, version, advice=True)
        except (ProfileUnavailable, engine.ProfileError) as exc:
            raise serializers.ValidationError({exc.field: [exc.message]})
        # Codes as profile.md gives them; every message, and a label beside each code, in the request's language
        # (Accept-Language, read by Django's locale middleware).
        body = readable(evaluated.to_dict(reader_language()))
        body["ruleset_version"] = version.version
        return Response(body)
