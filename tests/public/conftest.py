"""A small public world: enterprises in publicity, certified, expired and revoked ones, an announced round, and
private values (figures, scores, contacts, evidence names, an objector) that no public page may show."""

from __future__ import annotations

import datetime
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from enterprises.models import Region
from registry import objections
from registry.applications import close_publicity
from registry.models import Announcement, Evidence, RevocationCause
from tests.factories import ApplicationFactory, EnterpriseFactory, FinancialYearFactory, certify

PRIVATE = SimpleNamespace(
    revenue="98765.43", rd="4321.98", score="91.37", contact_name="赵私密", contact_phone="13900001111",
    contact_email="private-contact@example.com", address="私密路88号", evidence="秘密审计报告.pdf",
    objector="李举报人", objector_email="whistle@example.org", objector_phone="13811112222",
    objection_reason="内部消息称其专利系购买所得", objection_file="举报材料.pdf",
)


def private_enterprise(name: str, region: str = "330106") -> Any:
    enterprise = EnterpriseFactory(name=name, region=Region.objects.get(code=region),
                                   contact_name=PRIVATE.contact_name, contact_phone=PRIVATE.contact_phone,
                                   contact_email=PRIVATE.contact_email, address=PRIVATE.address)
    FinancialYearFactory(enterprise=enterprise, operating_revenue=Decimal(PRIVATE.revenue),
                         rd_expense=Decimal(PRIVATE.rd))
    return enterprise


@pytest.fixture
def world(db: Any, settings: Any, tmp_path: Any) -> SimpleNamespace:
    settings.MEDIA_ROOT = str(tmp_path)
    today = timezone.localdate()
    listed = ApplicationFactory(enterprise=private_enterprise("杭州明德精密机械有限公司"), status="publicity",
                                assessment={"score": float(PRIVATE.score), "status": "passed"})
    Evidence.objects.create(application=listed, claim="financial_report", file="evidence/x.pdf",
                            original_name=PRIVATE.evidence, content_type="application/pdf", size=10)
    second = ApplicationFactory(enterprise=private_enterprise("宁波海天新材料有限公司", "330203"),
                                tier="specialised_sme", status="publicity")
    objection = objections.submit_objection(
        listed, name=PRIVATE.objector, email=PRIVATE.objector_email, phone=PRIVATE.objector_phone,
        reason=PRIVATE.objection_reason, links=lambda o: ("x", "y"),
        files=[SimpleUploadedFile(PRIVATE.objection_file, b"%PDF-1.4 test", content_type="application/pdf")])
    objections.confirm_objection(objections.confirm_token(objection))

    valid = certify(private_enterprise("温州瑞安精密轴承有限公司", "330300"), "specialised_sme",
                    today - datetime.timedelta(days=100))
    expired = certify(private_enterprise("嘉兴恒信电子科技有限公司", "330400"), "innovative_sme",
                      today - datetime.timedelta(days=4 * 365), years=3)
    expired.status = "expired"
    expired.save()
    revoked = certify(private_enterprise("湖州金利阀门有限公司", "330500"), "innovative_sme",
                      today - datetime.timedelta(days=200))
    revoked.status, revoked.revoked_on = "revoked", today - datetime.timedelta(days=10)
    revoked.revocation_cause, revoked.revocation_reason = RevocationCause.DATA_FRAUD, "私密的撤销细节"
    revoked.save()

    announced = ApplicationFactory(enterprise=private_enterprise("绍兴宏博智能装备有限公司", "330600"),
                                   status="publicity", publicity_ends_on=today - datetime.timedelta(days=2))
    close_publicity(announced, on=today - datetime.timedelta(days=1))
    announced.refresh_from_db()
    return SimpleNamespace(listed=listed, second=second, objection=objection, valid=valid, expired=expired,
                           revoked=revoked, announced=announced, announcement=Announcement.objects.get())
