"""The public pages under ``/public/``. These paths are linked from outside: keep them."""

from django.urls import path

from . import views

app_name = "public"

urlpatterns = [
    path("publicity/", views.publicity, name="publicity"),
    path("publicity/<int:pk>/object/", views.object_form, name="object"),
    path("objections/confirm/<str:token>/", views.objection_confirm, name="objection_confirm"),
    path("objections/<str:token>/", views.objection_status, name="objection_status"),
    path("announcements/", views.announcement_list, name="announcements"),
    path("announcements/<int:pk>/", views.announcement_detail, name="announcement"),
    path("announcements/<int:pk>.csv", views.announcement_file, {"fmt": "csv"}, name="announcement_csv"),
    path("announcements/<int:pk>.json", views.announcement_file, {"fmt": "json"}, name="announcement_json"),
    path("announcements/<int:pk>.xlsx", views.announcement_file, {"fmt": "xlsx"}, name="announcement_xlsx"),
    path("directory/", views.directory_page, name="directory"),
    path("data/", views.open_data, name="open_data"),
    path("data/directory.csv", views.directory_csv, name="directory_csv"),
    path("data/directory.json", views.directory_json, name="directory_json"),
]
