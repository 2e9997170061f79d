"""One enterprise's ledger (企业培育台账) on one page: the tiers it has held over time, its assessments per year
with the score trend, its stays in the cultivation pool, the support it received, its applications and the risk
alerts raised on it.

The same figures serve the admin (a reviewer of the enterprise's region) and the portal (the enterprise's own
member); for the enterprise ``for_enterprise`` leaves out the support notes marked internal. The caller has
already checked that the reader may see the enterprise (``core.roles``). Six queries whatever the history.
Every code is given with its label (tiers, statuses, reasons, alert rules), never shown raw.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from enterprises.models import Enterprise, Tier
from evaluation.models import Assessment, AssessmentStatus

from .alerts import RULE_LABELS
from .models import Application, Certification, PoolEntry, RiskAlert, SupportRecord

TREND_UP, TREND_DOWN, TREND_SAME = "up", "down", "same"


@dataclass
class ScoreCell:
    year: int
    score: Decimal | None
    max_score: Decimal | None
    status: str
    status_label: Any
    trend: str = ""  # up / down / same against the tier's previous assessed year; empty for the first

    @property
    def trend_sign(self) -> str:
        return {TREND_UP: "↑", TREND_DOWN: "↓", TREND_SAME: "→"}.get(self.trend, "")


@dataclass
class ScoreRow:
    tier: str
    label: Any
    cells: list[ScoreCell | None] = field(default_factory=list)  # one per year of ``Ledger.years``


@dataclass
class Ledger:
    enterprise: Enterprise
    certifications: list[Certification]
    years: list[int]
    scores: list[ScoreRow]
    pool_entries: list[PoolEntry]
    support: list[SupportRecord]
    applications: list[Application]
    alerts: list[dict[str, Any]]


def _scores(enterprise: Enterprise) -> tuple[list[int], list[ScoreRow]]:
    """Per tier and year the latest stored assessment (any ruleset), with its trend against the year before."""
    latest: dict[tuple[str, int], dict[str, Any]] = {}
    rows = (Assessment.objects.filter(enterprise=enterprise).order_by("evaluated_at", "id")
            .values("tier", "year", "score", "max_score", "status"))
    for row in rows:
        latest[(row["tier"], row["year"])] = row
    years = sorted({year for _tier, year in latest})
    labels = dict(AssessmentStatus.choices)
    out = []
    for tier in Tier:
        if not any((tier.value, y) in latest for y in years):
            continue
        line = ScoreRow(tier.value, tier.label)
        previous = None
        for year in years:
            row = latest.get((tier.value, year))
            if row is None:
                line.cells.append(None)
                continue
            cell = ScoreCell(year, row["score"], row["max_score"], row["status"], labels.get(row["status"], "—"))
            if previous is not None and previous.score is not None and cell.score is not None:
                cell.trend = (TREND_UP if cell.score > previous.score
                              else TREND_DOWN if cell.score < previous.score else TREND_SAME)
            previous = cell
            line.cells.append(cell)
        out.append(line)
    return years, out


def enterprise_ledger(enterprise: Enterprise, *, for_enterprise: bool = False) -> Ledger:
    support = SupportRecord.objects.filter(enterprise=enterprise).select_related("kind")
    if for_enterprise:
        support = support.public()
    years, scores = _scores(enterprise)
    alerts = [{"label": RULE_LABELS.get(a.rule, "—"), "message": a.message, "raised_on": a.raised_on,
               "closed_at": a.closed_at, "close_note": a.close_note}
              for a in RiskAlert.objects.filter(enterprise=enterprise).order_by("-raised_on", "-id")]
    return Ledger(
        enterprise=enterprise,
        certifications=list(Certification.objects.filter(enterprise=enterprise).order_by("granted_on", "id")),
        years=years,
        scores=scores,
        pool_entries=list(PoolEntry.objects.filter(enterprise=enterprise).order_by("entered_on", "id")),
        support=list(support.order_by("-happened_on", "-id")),
        applications=list(Application.objects.filter(enterprise=enterprise).order_by("-created_at", "-id")),
        alerts=alerts,
    )
