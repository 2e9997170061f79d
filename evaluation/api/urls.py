from django.urls import path

from .views import EnterpriseAssessmentViewSet

urlpatterns = [
    path("enterprises/<int:pk>/assessment/", EnterpriseAssessmentViewSet.as_view({"get": "retrieve"}),
         name="enterprise-assessment"),
]
