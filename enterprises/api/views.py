"""The enterprise API: sign-up, tokens, enterprises, their yearly figures and live self-assessment."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import authenticate
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from knox.models import AuthToken
from rest_framework import mixins, permissions, serializers, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from core.api import RestrictedViewSet
from core.roles import sees_everything
from core.validators import figures_year

from ..credentials import issue_token, revoke_tokens
from ..filtersets import EnterpriseFilterSet
from ..models import Declaration, Enterprise, FinancialYear
from ..services import register_enterprise, save_declaration, save_financials, update_enterprise
from .serializers import (
    ChangeRequestSerializer,
    DeclarationSerializer,
    EnterpriseSerializer,
    FinancialsSerializer,
    RegisteredSerializer,
    RegisterSerializer,
    TokenRequestSerializer,
    TokenRevokedSerializer,
    TokenRevokeSerializer,
    TokenSerializer,
)


class RegisterView(APIView):
    """Create a user account, its enterprise and the membership that binds them."""

    permission_classes = [permissions.AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "login"

    @extend_schema(request=RegisterSerializer, responses={201: RegisteredSerializer})
    def post(self, request: Request) -> Response:
        serializer = RegisterSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        user, enterprise = register_enterprise(
            username=data["username"], password=data["password"], email=data["email"],
            enterprise=data["enterprise"],
        )
        token, _expiry = issue_token(user)
        body = {"user_id": user.pk, "username": user.username, "token": token,
                "enterprise": EnterpriseSerializer(enterprise).data}
        return Response(body, status=status.HTTP_201_CREATED)


class TokenView(APIView):
    """Exchange a username and password for an API token (send it as ``Authorization: Token …``)."""

    permission_classes = [permissions.AllowAny]
    authentication_classes: list[Any] = []
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "login"

    @extend_schema(request=TokenRequestSerializer, responses={200: TokenSerializer})
    def post(self, request: Request) -> Response:
        serializer = TokenRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = authenticate(request=request._request, **serializer.validated_data)
        if user is None or not user.is_active:
            raise serializers.ValidationError(
                {"non_field_errors": [_("Unable to log in with the given username and password.")]}
            )
        token, expiry = issue_token(user)
        return Response(TokenSerializer({"token": token, "expiry": expiry}).data)


class TokenRevokeView(APIView):
    """Revoke the token this request is signed with, or with ``{"all": true}`` every token of the caller."""

    @extend_schema(request=TokenRevokeSerializer, responses={200: TokenRevokedSerializer})
    def post(self, request: Request) -> Response:
        serializer = TokenRevokeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        if serializer.validated_data["all"]:
            revoked = revoke_tokens(request.user)
        elif isinstance(request.auth, AuthToken):
            revoked = revoke_tokens(request.user, token=request.auth)
        else:
            raise serializers.ValidationError({"all": [
                _("This request is not signed with a token; send all=true to revoke every token.")
            ]})
        return Response({"revoked": revoked})


class CanEditEnterprise(permissions.BasePermission):
    """Reads for anyone who may see the enterprise; writes for its members and registry staff."""

    def has_object_permission(self, request: Request, view: Any, obj: Enterprise) -> bool:
        if request.method in permissions.SAFE_METHODS:
            return True
        user = request.user
        if sees_everything(user) and user.is_staff:
            return True
        return obj.memberships.filter(user=user).exists()


class EnterpriseViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.UpdateModelMixin,
                        RestrictedViewSet):
    """Enterprises the caller may see: members their own, reviewers their region, provincial staff all."""

    serializer_class = EnterpriseSerializer
    permission_classes = [permissions.IsAuthenticated, CanEditEnterprise]
    filterset_class = EnterpriseFilterSet
    search_fields = ["name", "uscc"]
    ordering_fields = ["name", "id", "created_at"]
    http_method_names = ["get", "put", "patch", "post", "head", "options"]

    queryset = Enterprise.objects.select_related("region").order_by("name", "id")

    def perform_update(self, serializer: EnterpriseSerializer) -> None:
        update_enterprise(serializer.instance, serializer.validated_data)

    def update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        if request.method == "PUT" and self.action == "update":
            kwargs["partial"] = False
        return super().update(request, *args, **kwargs)

    def _figures(self, request: Request, year: int, model: type, serializer_class: type, save: Any) -> Response:
        enterprise = self.get_object()
        figures_year(year)
        row = model.objects.filter(enterprise=enterprise, year=year).first()
        if request.method == "GET":
            if row is None:
                return Response({"detail": _("No figures for %(year)s.") % {"year": year}, "errors": {}},
                                status=404)
            return Response(serializer_class(row).data)
        serializer = serializer_class(data=request.data)
        serializer.is_valid(raise_exception=True)
        row, created = save(enterprise, year, serializer.validated_data)
        return Response(serializer_class(row).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    @extend_schema(request=FinancialsSerializer, responses={200: FinancialsSerializer, 201: FinancialsSerializer})
    @action(detail=True, methods=["get", "put"], url_path=r"financials/(?P<year>\d{4})")
    def financials(self, request: Request, pk: str, year: str) -> Response:
        """One year's financial row (profile.md ``financials`` without ``year``), in 万元."""
        return self._figures(request, int(year), FinancialYear, FinancialsSerializer, save_financials)

    @extend_schema(request=DeclarationSerializer, responses={200: DeclarationSerializer, 201: DeclarationSerializer})
    @action(detail=True, methods=["get", "put"], url_path=r"declarations/(?P<year>\d{4})")
    def declarations(self, request: Request, pk: str, year: str) -> Response:
        """One year's declaration: the non-financial fields of profile.md."""
        return self._figures(request, int(year), Declaration, DeclarationSerializer, save_declaration)

    @extend_schema(request=ChangeRequestSerializer, responses={200: ChangeRequestSerializer(many=True),
                                                               201: ChangeRequestSerializer})
    @action(detail=True, methods=["get", "post"], url_path="change-requests", pagination_class=None)  # a plain list
    def change_requests(self, request: Request, pk: str) -> Response:
        """The enterprise's change requests (history, newest first); POST files one. A reviewer of the
        enterprise's current region approves it in the admin; approval applies the change."""
        from .. import change_requests
        from ..models import ChangeRequest

        enterprise = self.get_object()
        if request.method == "GET":
            rows = ChangeRequest.objects.filter(enterprise=enterprise).order_by("-filed_at", "-id")
            return Response(ChangeRequestSerializer(rows, many=True).data)
        serializer = ChangeRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        row = change_requests.file_change_request(enterprise, user=request.user, **serializer.validated_data)
        return Response(ChangeRequestSerializer(row).data, status=status.HTTP_201_CREATED)
