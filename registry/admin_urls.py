"""Admin pages beyond the model lists: dashboard, policy simulation, import. Mounted under /admin/insights/."""

from django.contrib import admin
from django.urls import path

from enterprises.views_import import import_view
from evaluation.views_simulation import draft_view, job_export, job_view, simulation_view

from .views_assessment import assessment_print_view
from .views_dashboard import dashboard_view
from .views_ledger import ledger_view
from .views_report import year_report_export, year_report_view

app_name = "insights"
urlpatterns = [
    path("dashboard/", admin.site.admin_view(dashboard_view), name="dashboard"),
    path("report/", admin.site.admin_view(year_report_view), name="year_report"),
    path("report/export/xlsx/", admin.site.admin_view(year_report_export), name="year_report_export"),
    path("simulation/", admin.site.admin_view(simulation_view), name="simulation"),
    path("simulation/draft/", admin.site.admin_view(draft_view), name="simulation_draft"),
    path("simulation/<int:pk>/", admin.site.admin_view(job_view), name="simulation_job"),
    path("simulation/<int:pk>/export/<str:fmt>/", admin.site.admin_view(job_export), name="simulation_export"),
    path("import/", admin.site.admin_view(import_view), name="import"),
    path("enterprises/<int:pk>/assessment/", admin.site.admin_view(assessment_print_view),
         name="assessment_print"),
    path("enterprises/<int:pk>/ledger/", admin.site.admin_view(ledger_view), name="enterprise_ledger"),
]
