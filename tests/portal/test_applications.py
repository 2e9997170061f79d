"""Apply, evidence, submit, withdraw and resubmit through the portal pages (Django test client)."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from registry import applications
from registry.models import Application
from tests.factories import reviewer

pytestmark = pytest.mark.django_db

ENGLISH = {"HTTP_ACCEPT_LANGUAGE": "en"}
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def media(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def test_apply_offers_tiers_whose_preconditions_can_be_met_and_says_why_not_for_the_others(
    signed_in, with_figures, django_assert_max_num_queries
):
    with django_assert_max_num_queries(8):
        response = signed_in.get(reverse("portal:apply"), **ENGLISH)
    body = text(response)
    assert 'id="tier-innovative_sme"' in body
    assert 'id="tier-little_giant"' not in body
    assert "Requires a valid Provincial specialised SME certification." in body
    assert "Requires Innovative SME: hold it, or apply for it at the same time." in body


def test_apply_without_figures_asks_for_them_first(signed_in):
    assert "Enter a declaration and financial figures first." in text(signed_in.get(reverse("portal:apply"),
                                                                                    **ENGLISH))


def test_applying_creates_a_draft_and_a_tier_not_offered_is_refused(signed_in, with_figures):
    response = signed_in.post(reverse("portal:apply"), {"tier": "little_giant", "year": 2025}, **ENGLISH)
    assert response.status_code == 200
    assert "Select a valid choice" in text(response)
    assert not Application.objects.exists()

    response = signed_in.post(reverse("portal:apply"), {"tier": "innovative_sme", "year": 2025})
    application = Application.objects.get()
    assert response["Location"] == reverse("portal:application", args=[application.pk])
    assert (application.status, application.year, application.enterprise) == ("draft", 2025, with_figures)

    # Once innovative SME is being applied for, the specialised SME may be applied for together with it.
    body = text(signed_in.get(reverse("portal:apply"), **ENGLISH))
    assert 'id="tier-specialised_sme"' in body and f"Together with application #{application.pk}" in body


def test_draft_page_reviews_the_assessment_and_lists_missing_evidence(signed_in, with_figures, member,
                                                                       django_assert_max_num_queries):
    application = applications.create_application(enterprise=with_figures, tier="innovative_sme", year=2025,
                                              user=member.user)
    with django_assert_max_num_queries(16):
        response = signed_in.get(reverse("portal:application", args=[application.pk]), **ENGLISH)
    body = text(response)
    assert "Review before submitting" in body and "Score 95 of 100; pass mark 60." in body
    assert "Still to attach: Audited financial report" in body
    assert "Submit the application" in body and "Withdraw the application" in body


def test_evidence_upload_errors_name_the_file_field(signed_in, with_figures, member):
    application = applications.create_application(enterprise=with_figures, tier="innovative_sme", year=2025,
                                              user=member.user)
    url = reverse("portal:evidence_upload", args=[application.pk])
    response = signed_in.post(url, {"claim": "financial_report",
                                    "file": SimpleUploadedFile("report.pdf", b"not a pdf at all")}, **ENGLISH)
    assert response.status_code == 400
    assert "File: The content of report.pdf is not a valid pdf file." in text(response)
    response = signed_in.post(url, {"claim": "financial_report", "file": SimpleUploadedFile("report.pdf", PDF)})
    assert response.status_code == 302
    assert application.evidence.get().original_name == "report.pdf"


def test_submit_freezes_the_assessment_and_shows_it_with_the_stage(signed_in, with_figures, member):
    application = applications.create_application(enterprise=with_figures, tier="innovative_sme", year=2025,
                                              user=member.user)
    response = signed_in.post(reverse("portal:application_submit", args=[application.pk]))
    assert response.status_code == 302
    application.refresh_from_db()
    assert application.status == "city_review" and application.assessment["status"] == "passed"
    body = text(signed_in.get(reverse("portal:application", args=[application.pk]), **ENGLISH))
    assert "Assessment stored at submission" in body
    assert re.search(r'<li class="current" aria-current="step">\s*City review', body)
    assert "Submit the application" not in body and "Withdraw the application" in body


def test_withdraw_while_undecided(signed_in, with_figures, member):
    application = applications.create_application(enterprise=with_figures, tier="innovative_sme", year=2025,
                                              user=member.user)
    applications.submit_application(application, user=member.user)
    signed_in.post(reverse("portal:application_withdraw", args=[application.pk]), {"reason": "资料不全"})
    application.refresh_from_db()
    assert application.status == "withdrawn"
    body = text(signed_in.get(reverse("portal:application", args=[application.pk]), **ENGLISH))
    assert "资料不全" in body and "Withdraw the application" not in body


def test_a_returned_application_shows_the_reason_and_can_be_corrected_and_resubmitted(
    signed_in, with_figures, member
):
    application = applications.create_application(enterprise=with_figures, tier="innovative_sme", year=2025,
                                              user=member.user)
    applications.submit_application(application, user=member.user)
    city = reviewer("city", "330100")
    applications.decide(application, user=city, action="return", reason="请补充审计报告")
    body = text(signed_in.get(reverse("portal:application", args=[application.pk]), **ENGLISH))
    assert "请补充审计报告" in body and "Return for correction" in body
    assert "Submit again" in body and "Correct the figures" in body

    signed_in.post(reverse("portal:evidence_upload", args=[application.pk]),
                   {"claim": "financial_report", "file": SimpleUploadedFile("审计报告.pdf", PDF)})
    signed_in.post(reverse("portal:application_submit", args=[application.pk]))
    application.refresh_from_db()
    assert application.status == "city_review"
    assert application.evidence.count() == 1


def test_a_submit_the_service_refuses_is_reported_not_crashed(signed_in, enterprise, member):
    application = Application.objects.create(enterprise=enterprise, tier="innovative_sme", year=2025)
    response = signed_in.post(reverse("portal:application_submit", args=[application.pk]), follow=True,
                              **ENGLISH)
    application.refresh_from_db()
    assert application.status == "draft"
    assert "no declaration for 2025" in text(response)
