"""Evidence files: type and size limits checked on the content, served only to those who may see the application."""

from __future__ import annotations

import io

import openpyxl
import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile

from registry import applications, evidence
from tests.factories import api_token

from .conftest import YEAR, make_enterprise

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def xlsx_bytes() -> bytes:
    book = openpyxl.Workbook()
    book.active["A1"] = "revenue"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)


def client_for(api_client, user):
    token = api_token(user)
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return api_client


def upload(client, app_id, name, content, claim="financial_report"):
    return client.post(f"/api/applications/{app_id}/evidence/",
                       {"claim": claim, "file": SimpleUploadedFile(name, content)}, format="multipart")


@pytest.fixture
def draft(enterprise_a):
    return applications.create_application(enterprise=enterprise_a, tier="innovative_sme", year=YEAR,
                                       user=enterprise_a.owner)


def test_upload_list_and_download(api_client, draft, enterprise_a):
    client = client_for(api_client, enterprise_a.owner)
    assert client.get(f"/api/applications/{draft.pk}/").json()["missing_evidence"][0] == "financial_report"
    response = upload(client, draft.pk, "audit 2025.pdf", PDF)
    assert response.status_code == 201, response.json()
    evidence = response.json()
    assert evidence["content_type"] == "application/pdf" and evidence["size"] == len(PDF)
    assert client.get(f"/api/applications/{draft.pk}/evidence/").json()[0]["id"] == evidence["id"]
    assert "financial_report" not in client.get(f"/api/applications/{draft.pk}/").json()["missing_evidence"]
    response = client.get(f"/api/applications/{draft.pk}/evidence/{evidence['id']}/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert "attachment" in response["Content-Disposition"]
    assert upload(client, draft.pk, "sheet.xlsx", xlsx_bytes(), "market_share").status_code == 201
    assert upload(client, draft.pk, "cert.png", PNG, "quality_certification").status_code == 201


def test_files_are_checked_by_content_and_size(api_client, draft, enterprise_a, settings):
    client = client_for(api_client, enterprise_a.owner)
    for name, content in (("fake.pdf", PNG), ("report.exe", PDF), ("zip.xlsx", b"PK\x03\x04junk"),
                          ("empty.pdf", b"")):
        response = upload(client, draft.pk, name, content)
        assert response.status_code == 400, name
        assert "file" in response.json()["errors"], name
    settings.REGISTRY = {**settings.REGISTRY, "EVIDENCE_MAX_BYTES": 20}
    response = upload(client, draft.pk, "big.pdf", PDF)
    assert response.status_code == 400 and "limit" in response.json()["errors"]["file"][0]
    response = upload(client, draft.pk, "a.pdf", PDF, claim="bribe")
    assert response.status_code == 400 and "claim" in response.json()["errors"]


def test_only_those_who_see_the_application_get_the_file(api_client, draft, enterprise_a, city, other_city):
    evidence = upload(client_for(api_client, enterprise_a.owner), draft.pk, "audit.pdf", PDF).json()
    path = f"/api/applications/{draft.pk}/evidence/{evidence['id']}/"
    applications.submit_application(draft, user=enterprise_a.owner)
    assert client_for(api_client, city).get(path).status_code == 200
    assert client_for(api_client, other_city).get(path).status_code == 404
    assert client_for(api_client, make_enterprise("A").owner).get(path).status_code == 404
    api_client.credentials()
    assert api_client.get(path).status_code == 401


def test_evidence_is_frozen_once_submitted_and_only_the_enterprise_adds_it(api_client, draft, enterprise_a, city):
    with pytest.raises(PermissionDenied):
        evidence.add_evidence(draft, user=city, claim="award", uploaded_file=SimpleUploadedFile("a.pdf", PDF))
    applications.submit_application(draft, user=enterprise_a.owner)
    response = upload(client_for(api_client, enterprise_a.owner), draft.pk, "late.pdf", PDF)
    assert response.status_code == 400 and "status" in response.json()["errors"]


def test_reviewers_download_from_the_admin_session(client, api_client, draft, enterprise_a, city):
    evidence = upload(client_for(api_client, enterprise_a.owner), draft.pk, "audit.pdf", PDF).json()
    applications.submit_application(draft, user=enterprise_a.owner)
    client.force_login(city)
    page = client.get(f"/admin/registry/application/{draft.pk}/change/").content.decode()
    path = f"/api/applications/{draft.pk}/evidence/{evidence['id']}/"
    assert path in page
    response = client.get(path)
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
