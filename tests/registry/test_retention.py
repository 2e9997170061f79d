"""Pruning superseded assessments: what a newer version of the same ruleset replaced goes, the history stays."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from core.audit import AuditEntry
from evaluation import rescore
from evaluation.models import Assessment, ProfileSnapshot, RulesetVersion
from registry import retention
from registry.bulk_seed import seed_enterprises
from tests.conftest import YEAR
from tests.factories import ApplicationFactory

pytestmark = pytest.mark.django_db


def _newer(base: RulesetVersion) -> RulesetVersion:
    return RulesetVersion.objects.create(code=base.code, version=base.version + 1, title="corrected",
                                         effective_from=base.effective_from, data=base.data)


def _score(version: RulesetVersion, year: int = YEAR) -> None:
    rescore.run_job_inline(rescore.plan_job(scope="all", ruleset=version, year=year))


def test_results_a_newer_version_replaced_go_and_the_rest_stays(ruleset_2022):
    ids = seed_enterprises(4, YEAR, prefix="P")
    seed_enterprises(2, YEAR - 1, prefix="Q")
    _score(ruleset_2022)
    _score(ruleset_2022, YEAR - 1)  # another year's history under the old version: nothing replaced it
    newer = _newer(ruleset_2022)
    _score(newer)
    tiers = Assessment.objects.filter(enterprise_id=ids[0], year=YEAR, ruleset=newer).count()
    assert retention.prune(dry_run=True).assessments == 4 * tiers
    assert Assessment.objects.filter(ruleset=ruleset_2022, year=YEAR).count() == 4 * tiers  # a dry run keeps all

    result = retention.prune(step=3)  # several id ranges
    assert result.assessments == 4 * tiers
    assert not Assessment.objects.filter(ruleset=ruleset_2022, year=YEAR).exists()
    assert Assessment.objects.filter(ruleset=ruleset_2022, year=YEAR - 1).count() == 2 * tiers
    assert Assessment.objects.filter(ruleset=newer, year=YEAR).count() == 4 * tiers
    entry = AuditEntry.objects.get(context__ruleset=ruleset_2022.pk)
    assert entry.context["assessments"] == 4 * tiers and "superseded" in entry.reason
    assert retention.prune().assessments == 0  # run again: nothing left to do


def test_a_snapshot_goes_only_when_nothing_names_its_digest(ruleset_2022):
    ProfileSnapshot.objects.create(digest="a" * 64, data={"format": "values", "values": []})
    ProfileSnapshot.objects.create(digest="b" * 64, data={"format": "values", "values": []})
    ApplicationFactory(input_digest="b" * 64)
    assert retention.prune().snapshots == 1
    assert list(ProfileSnapshot.objects.filter(digest__in=["a" * 64, "b" * 64]).values_list("digest", flat=True)) \
        == ["b" * 64]


def test_the_command_says_what_it_did(ruleset_2022, capsys):
    seed_enterprises(2, YEAR, prefix="C")
    _score(ruleset_2022)
    _score(_newer(ruleset_2022))
    call_command("prune_assessments", "--dry-run")
    assert "would delete 10 superseded assessments" in capsys.readouterr().out
    call_command("prune_assessments")
    assert "deleted 10 superseded assessments" in capsys.readouterr().out
