from django.urls import path
from rest_framework.routers import DefaultRouter

from .expert_views import ExpertAssignmentViewSet
from .views import ApplicationViewSet, CertificationViewSet, EvidenceDownloadView, TierListView

router = DefaultRouter(trailing_slash=True)
router.include_root_view = False
router.register("applications", ApplicationViewSet, basename="application")
router.register("certifications", CertificationViewSet, basename="certification")
router.register("expert/assignments", ExpertAssignmentViewSet, basename="api-expert-assignment")

urlpatterns = [
    path("tiers/", TierListView.as_view(), name="api-tiers"),
    path("applications/<int:pk>/evidence/<int:evidence_id>/", EvidenceDownloadView.as_view(),
         name="api-application-evidence-download"),
    *router.urls,
]
