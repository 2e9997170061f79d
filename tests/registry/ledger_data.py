"""An enterprise with a history for the ledger tests: tiers held and lost, two years of assessments, a pool stay,
support (one note internal), an application and an alert."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any

from evaluation.models import Assessment
from registry.models import (
    Application,
    CertificationStatus,
    PoolEntry,
    RiskAlert,
    SupportKind,
    SupportRecord,
)
from tests.factories import certify
from tests.helpers import ruleset

D = datetime.date


def assess(enterprise: Any, year: int, tier: str, score: str, status: str) -> Assessment:
    return Assessment.objects.create(enterprise=enterprise, year=year, ruleset=ruleset(), tier=tier, status=status,
                                     passed=status == "passed", score=Decimal(score), max_score=Decimal("100"),
                                     result={}, input_digest=f"{year}{tier}"[:64])


def add_history(enterprise: Any, n: int = 1, start: int = 0) -> None:
    """``n`` rounds of history (each adds rows to every part of the ledger; the tiers held come with the first)."""
    for i in range(start, start + n):
        year = 2020 + 2 * i
        if i == 0:
            certify(enterprise, "innovative_sme", D(year, 3, 1))
            lost = certify(enterprise, "specialised_sme", D(year, 4, 1))
            lost.status, lost.revoked_on = CertificationStatus.REVOKED, D(year + 1, 1, 10)
            lost.save()
        assess(enterprise, year, "specialised_sme", "62", "failed")
        assess(enterprise, year + 1, "specialised_sme", "71.5", "passed")
        PoolEntry.objects.create(enterprise=enterprise, tier="little_giant", entered_on=D(year, 2, 1),
                                 exited_on=D(year, 9, 1), exit_reason="not_candidate", entry_reason="研发投入强")
        kind = SupportKind.objects.get(code="visit")
        SupportRecord.objects.create(enterprise=enterprise, kind=kind, happened_on=D(year, 5, 1),
                                     by_label="西湖区经信局", what=f"政策宣讲{i}")
        SupportRecord.objects.create(enterprise=enterprise, kind=kind, happened_on=D(year, 6, 1),
                                     by_label="西湖区经信局", what=f"内部：财务数据存疑{i}", internal=True)
        Application.objects.create(enterprise=enterprise, tier="little_giant", year=year,
                                   status="draft" if i == 0 else "rejected")
        RiskAlert.objects.create(key=f"revenue_down:{enterprise.pk}:{year}", enterprise=enterprise,
                                 rule="revenue_down", message=f"营业收入下降 {i}", raised_on=D(year, 7, 1))


RAW_CODES = ("specialised_sme", "innovative_sme", "little_giant", "not_candidate", "revenue_down", "revoked<",
             ">failed", ">passed", ">draft")
