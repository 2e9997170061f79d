"""The experts' pages, mounted at /experts/."""

from django.urls import path

from . import views_experts

app_name = "experts"
urlpatterns = [
    path("", views_experts.assignment_list, name="list"),
    path("assignments/<int:pk>/", views_experts.assignment_detail, name="detail"),
    path("notices/<int:pk>/", views_experts.notice_open, name="notice"),
    path("preferences/", views_experts.preferences, name="preferences"),
    path("assignments/<int:pk>/evidence/<int:evidence_id>/", views_experts.evidence_download, name="evidence"),
]
