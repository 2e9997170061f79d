"""The bridge between stored data and the pure engine: ruleset versions, live evaluation, stored assessments."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from core.audit import AuditAction, record
from enterprises.models import Enterprise

from . import engine, tasks
from .models import Assessment, ProfileSnapshot, RulesetVersion, canonical_digest
from .profiles import build_profile, typed_values
from .versions import compiled, get_ruleset_version


@dataclass
class Evaluated:
    """One enterprise's evaluation, ready to show or store."""

    enterprise_id: int
    year: int
    version: RulesetVersion
    profile: dict[str, Any]
    digest: str
    result: Any  # engine.EvaluationResult

    def to_dict(self, lang: str = "en", *, portable: bool = False) -> dict[str, Any]:
        return self.result.to_dict(lang, portable=portable)


def evaluate_profile(
    profile: dict[str, Any], version: RulesetVersion, *, advice: bool = False, rereview: bool = False,
    tiers: Iterable[str] | None = None,
) -> Any:
    parsed = engine.parse_profile(profile)
    return engine.evaluate(parsed, compiled(version), tiers=tiers, rereview=rereview, advice=advice)


def evaluate_enterprise(
    enterprise: Enterprise, year: int, version: RulesetVersion | None = None, *, advice: bool = True,
    rereview: bool = False,
) -> Evaluated:
    """Evaluate an enterprise's stored figures live (self-assessment); nothing is written."""
    version = version or get_ruleset_version()
    profile = build_profile(enterprise, year)
    parsed = engine.parse_profile(profile)
    result = engine.evaluate(parsed, compiled(version), rereview=rereview, advice=advice)
    snapshot = engine.profile_to_dict(parsed)
    return Evaluated(enterprise.pk, year, version, snapshot, canonical_digest(snapshot), result)




def assessment_rows(evaluated: Evaluated, job_id: int | None = None) -> list[Assessment]:
    now = timezone.now()
    rows = []
    for tier, tier_result in evaluated.result.to_dict(portable=True)["tiers"].items():
        rows.append(Assessment(
            enterprise_id=evaluated.enterprise_id, year=evaluated.year, ruleset=evaluated.version, tier=tier,
            status=tier_result["status"], passed=bool(tier_result["passed"]), route=tier_result.get("route") or "",
            score=tier_result.get("score"), max_score=tier_result.get("max_score"), result=tier_result,
            input_digest=evaluated.digest, evaluated_at=now, job_id=job_id,
        ))
    return rows


@transaction.atomic
def store_assessments(evaluations: Iterable[Evaluated], job_id: int | None = None) -> int:
    """Upsert one assessment per tier for each evaluation (unique per enterprise, year, version, tier)."""
    evaluations = list(evaluations)
    if not evaluations:
        return 0
    snapshots = {e.digest: e.profile for e in evaluations}
    ProfileSnapshot.objects.bulk_create(
        [ProfileSnapshot(digest=d, data=p) for d, p in snapshots.items()], ignore_conflicts=True
    )
    rows = [row for e in evaluations for row in assessment_rows(e, job_id)]
    Assessment.objects.bulk_create(
        rows, update_conflicts=True, unique_fields=["enterprise", "year", "ruleset", "tier"],
        update_fields=Assessment.RESULT_FIELDS, batch_size=1000,
    )
    for version in {e.version.pk: e.version for e in evaluations}.values():
        version.mark_used()
    return len(rows)


def assessment_snapshot(assessment: Assessment) -> dict[str, Any] | None:
    """The profile (profile.md form) an assessment was judged on, from its stored snapshot."""
    data = ProfileSnapshot.objects.filter(digest=assessment.input_digest).values_list("data", flat=True).first()
    return snapshot_profile(data)


def snapshot_profile(data: Any) -> dict[str, Any] | None:
    """The profile (profile.md form) a stored ``ProfileSnapshot`` holds. Live evaluations store the profile itself;
    a bulk re-score stores the compact ``{"format": "values", "values": [...]}`` it read (see
    ``evaluation.rescore.snapshot_json``), which gives back exactly the profile that was evaluated."""
    if isinstance(data, dict) and data.get("format") == "values":
        return engine.profile_to_dict(engine.parse_profile(engine.values_to_dict(*typed_values(tuple(data["values"])))))
    return data


def explained_results(assessments: Iterable[Assessment]) -> dict[int, dict[str, Any]]:
    """Each assessment's full breakdown (indicators with values and points, unmet rules with their messages), by id.

    A bulk re-score stores results without their explanation (``"explained": false``) to keep the write path
    small. The engine is deterministic, so the breakdown is worked out again here from the profile snapshot stored
    under the assessment's input digest, under the same ruleset version: one snapshot query for all of them and one
    evaluation per distinct input. Results stored with their explanation are given as stored. A brief result whose
    snapshot is gone is given as stored.
    """
    items = list(assessments)
    out: dict[int, dict[str, Any]] = {}
    brief = []
    for item in items:
        if isinstance(item.result, dict) and item.result.get("explained") is False:
            brief.append(item)
        else:
            out[item.pk] = item.result
    if not brief:
        return out
    snapshots = dict(ProfileSnapshot.objects.filter(digest__in={a.input_digest for a in brief})
                     .values_list("digest", "data"))
    evaluated: dict[tuple[str, int], Any] = {}
    for item in brief:
        key = (item.input_digest, item.ruleset_id)
        if key not in evaluated:
            data = snapshots.get(item.input_digest)
            try:
                evaluated[key] = None if data is None else evaluate_profile(snapshot_profile(data), item.ruleset).tiers
            except engine.ProfileError:
                evaluated[key] = None
        tiers = evaluated[key]
        tier_result = tiers.get(item.tier) if tiers else None
        out[item.pk] = tier_result.to_dict(portable=True) if tier_result is not None else item.result
    return out


def publish_ruleset(version: RulesetVersion, user: Any = None) -> RulesetVersion:
    """Publish a draft ruleset version and, once committed, re-score every enterprise under it.

    Publishing is what makes a version judge; the full re-score makes every stored assessment and demotion
    proposal reflect it (the job runs on the workers, or inline without a broker).
    """
    with transaction.atomic():
        version = RulesetVersion.objects.select_for_update().get(pk=version.pk)
        if version.is_draft:
            version.is_draft = False
            version.save(update_fields=["is_draft"])
            record(version, AuditAction.TRANSITION, before={"is_draft": True}, after={"is_draft": False})
        label = user.get_username() if user is not None else f"publish:{version}"
        transaction.on_commit(lambda: tasks.start_job(scope="all", ruleset=version, user=user, label=label))
    return version
