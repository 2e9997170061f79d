"""Evidence files: what an upload must be (type, size, content), who may add one and when, and which claims an
application's assessment still needs proved."""

from __future__ import annotations

import zipfile
from pathlib import PurePath
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.text import get_valid_filename
from django.utils.translation import gettext as _

from core.audit import acting_as

from .access import require_member
from .models import Application, ApplicationStatus, Evidence, EvidenceClaim
from .transitions import lock, setting

S = ApplicationStatus


_CONTENT_TYPES = {
    "pdf": "application/pdf",
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}

def sniff(head: bytes, uploaded: UploadedFile) -> str | None:
    """The file type its bytes say it is (pdf, png, jpg, xlsx), or None."""
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if head.startswith(b"PK\x03\x04"):
        uploaded.seek(0)
        try:
            with zipfile.ZipFile(uploaded) as archive:
                names = set(archive.namelist())
        except zipfile.BadZipFile:
            return None
        finally:
            uploaded.seek(0)
        if "xl/workbook.xml" in names and "[Content_Types].xml" in names:
            return "xlsx"
    return None

def validate_upload(uploaded: UploadedFile) -> tuple[str, str]:
    """(safe file name, content type) of an acceptable upload, or a ``ValidationError`` on ``file``."""
    allowed = [ext.lower() for ext in setting("EVIDENCE_EXTENSIONS")]
    limit = setting("EVIDENCE_MAX_BYTES")
    name = PurePath(uploaded.name or "").name
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if ext not in allowed:
        raise ValidationError({"file": _("Files of type %(ext)s are not accepted; use one of %(allowed)s.")
                               % {"ext": ext or "?", "allowed": ", ".join(allowed)}})
    if uploaded.size is None or uploaded.size == 0:
        raise ValidationError({"file": _("The file is empty.")})
    if uploaded.size > limit:
        raise ValidationError({"file": _("The file is %(size)s bytes; the limit is %(limit)s.")
                               % {"size": uploaded.size, "limit": limit}})
    uploaded.seek(0)
    head = uploaded.read(16)
    uploaded.seek(0)
    kind = sniff(head, uploaded)
    if kind is None or _CONTENT_TYPES.get(kind) != _CONTENT_TYPES[ext]:
        raise ValidationError({"file": _("The content of %(name)s is not a valid %(ext)s file.")
                               % {"name": name, "ext": ext}})
    return get_valid_filename(name) or f"evidence.{ext}", _CONTENT_TYPES[ext]

EVIDENCE_EDITABLE = (S.DRAFT, S.RETURNED)

@transaction.atomic
def add_evidence(application: Application, *, user: Any, claim: str, uploaded_file: UploadedFile) -> Evidence:
    """Attach a file supporting ``claim``; only the enterprise, and only while the application is editable."""
    if claim not in EvidenceClaim.values:
        raise ValidationError({"claim": _("Unknown claim %(claim)s.") % {"claim": claim}})
    app = lock(application)
    require_member(user, app.enterprise)
    if app.status not in EVIDENCE_EDITABLE:
        raise ValidationError({"status": _("Evidence can be added only to a draft or returned application.")})
    name, content_type = validate_upload(uploaded_file)
    evidence = Evidence(application=app, claim=claim, original_name=name, content_type=content_type,
                        size=uploaded_file.size, uploaded_by=user)
    evidence.file.save(name, uploaded_file, save=False)
    try:
        with acting_as(user, context={"action": "add_evidence"}):
            evidence.save()
    except Exception:
        evidence.file.delete(save=False)
        raise
    return evidence

def missing_claims(application: Application, evidence: list[Evidence] | None = None) -> list[str]:
    """Claims the frozen assessment leans on that have no file yet (always the audited financial report)."""
    have = {e.claim for e in (evidence if evidence is not None else application.evidence.all())}
    wanted = [EvidenceClaim.FINANCIAL_REPORT]
    profile_claims = claims_for_assessment(application.assessment or {})
    wanted += [c for c in profile_claims if c not in wanted]
    return [c for c in wanted if c not in have]

CLAIM_FOR_CODE: dict[str, str] = {
    **dict.fromkeys(("ip", "class_i_ip", "class_i_applied", "invention_patents", "core_ip"),
                    EvidenceClaim.IP_CERTIFICATE),
    **dict.fromkeys(("quality", "certification"), EvidenceClaim.QUALITY_CERTIFICATION),
    "international_cert": EvidenceClaim.PRODUCT_CERTIFICATION,
    **dict.fromkeys(("sci_award", "sci_award_rank", "chuangke"), EvidenceClaim.AWARD),
    "honour": EvidenceClaim.HONOUR,
    "rd_institution": EvidenceClaim.RD_INSTITUTION,
    **dict.fromkeys(("equity_2y", "equity_3y"), EvidenceClaim.EQUITY_FINANCING),
    **dict.fromkeys(("national_share", "market_rank", "global_rank", "market_position"), EvidenceClaim.MARKET_SHARE),
}

def claims_for_assessment(assessment: dict[str, Any]) -> list[str]:
    """The claims behind the points and direct conditions the assessment credited."""
    codes = [str(i.get("code", "")) for i in assessment.get("indicators") or [] if i.get("points")]
    codes += [str(d.get("code", "")) if isinstance(d, dict) else str(d) for d in assessment.get("direct") or []]
    claims: list[str] = []
    for code in codes:
        claim = CLAIM_FOR_CODE.get(code)
        if claim and claim not in claims:
            claims.append(claim)
    return claims
