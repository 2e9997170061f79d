"""The enterprise portal, mounted at the site root under the ``portal`` namespace."""

from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from . import switching, views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("signup/", views.signup, name="signup"),
    path("login/", views.PortalLoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(next_page=reverse_lazy("portal:login")), name="logout"),
    path(
        "password-reset/",
        auth_views.PasswordResetView.as_view(
            template_name="portal/password_reset_form.html",
            email_template_name="portal/email/password_reset.txt",
            subject_template_name="portal/email/password_reset_subject.txt",
            success_url=reverse_lazy("portal:password_reset_done"),
        ),
        name="password_reset",
    ),
    path(
        "password-reset/sent/",
        auth_views.PasswordResetDoneView.as_view(template_name="portal/password_reset_done.html"),
        name="password_reset_done",
    ),
    path(
        "reset/<uidb64>/<token>/",
        auth_views.PasswordResetConfirmView.as_view(
            template_name="portal/password_reset_confirm.html",
            success_url=reverse_lazy("portal:password_reset_complete"),
        ),
        name="password_reset_confirm",
    ),
    path(
        "reset/done/",
        auth_views.PasswordResetCompleteView.as_view(template_name="portal/password_reset_complete.html"),
        name="password_reset_complete",
    ),
    path("figures/", views.figures, name="figures"),
    path("figures/<int:year>/financials/", views.financials_form, name="financials"),
    path("figures/<int:year>/declaration/", views.declaration_form, name="declaration"),
    path("assessment/", views.assessment, name="assessment"),
    path("assessment/print/", views.assessment, {"printable": True}, name="assessment_print"),
    path("apply/", views.apply, name="apply"),
    path("applications/<int:pk>/", views.application_detail, name="application"),
    path("applications/<int:pk>/evidence/", views.evidence_upload, name="evidence_upload"),
    path("applications/<int:pk>/evidence/<int:evidence_pk>/", views.evidence_file, name="evidence_file"),
    path("applications/<int:pk>/submit/", views.application_submit, name="application_submit"),
    path("applications/<int:pk>/withdraw/", views.application_withdraw, name="application_withdraw"),
    path("members/", views.members, name="members"),
    path("support/", views.support, name="support"),
    path("ledger/", views.ledger, name="ledger"),
    path("switch/", switching.switch_enterprise, name="switch_enterprise"),
    path("invitation/<str:token>/", views.accept_invitation, name="accept_invitation"),
]
