"""The URL map: admin, API (with schema and docs), the public pages and the enterprise portal."""

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

urlpatterns = [
    path("admin/insights/", include("registry.admin_urls")),
    path("admin/", admin.site.urls),
    path("experts/", include("registry.expert_urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/", include("enterprises.api.urls")),
    path("api/", include("evaluation.api.urls")),
    path("api/", include("registry.api.urls")),
    path("", include("config.ops")),
    path("public/", include("public.urls")),
    path("", include("portal.urls")),
]

# Under /api/ even a URL no route matches answers in the API's JSON error shape.
handler404 = "config.api.not_found"
handler500 = "config.api.server_error"
