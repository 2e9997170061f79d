"""A reviewer's confirmation of a declared item reaches the stored assessment through the usual re-score."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from enterprises import confirmations
from enterprises.models import Declaration, Enterprise
from evaluation import rescore
from evaluation.models import Assessment
from tests.conftest import YEAR
from tests.factories import EnterpriseFactory, reviewer, store_profile

pytestmark = pytest.mark.django_db

STAR = json.loads((Path(__file__).resolve().parents[1] / "data" / "star.json").read_text(encoding="utf-8"))


def stored_status(enterprise, tier: str = "specialised_sme") -> str:
    job = rescore.run_job_inline(rescore.plan_job(scope="all", ruleset="miit-2026", year=YEAR))
    assert job.failed == 0
    return Assessment.objects.get(enterprise=enterprise, year=YEAR, tier=tier, ruleset__code="miit-2026").status


def test_confirming_the_leading_share_turns_the_pending_specialised_sme_into_passed():
    enterprise = EnterpriseFactory()
    store_profile(enterprise, {**copy.deepcopy(STAR), "confirmations": {}})
    assert stored_status(enterprise) == "pending"
    assert not Enterprise.objects.get(pk=enterprise.pk).needs_rescore
    declaration = Declaration.objects.get(enterprise=enterprise, year=YEAR)
    confirmations.judge(declaration, "market.niche_share_leading", user=reviewer("city", "330100"), confirmed=True)
    assert Enterprise.objects.get(pk=enterprise.pk).needs_rescore
    assert stored_status(enterprise) == "passed"
    confirmations.judge(declaration, "market.niche_share_leading", user=reviewer("county", "330106"),
                        confirmed=False)
    assert stored_status(enterprise) == "failed"
