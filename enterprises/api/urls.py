from django.urls import path
from rest_framework.routers import DefaultRouter

from .views import EnterpriseViewSet, RegisterView, TokenRevokeView, TokenView

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("enterprises", EnterpriseViewSet, basename="enterprise")

urlpatterns = [
    path("register/", RegisterView.as_view(), name="api-register"),
    path("auth/token/", TokenView.as_view(), name="api-token"),
    path("auth/token/revoke/", TokenRevokeView.as_view(), name="api-token-revoke"),
    *router.urls,
]
