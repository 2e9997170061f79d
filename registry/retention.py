"""How the assessment table stays the size of what is read: superseded results are pruned.

Assessments grow by one row per tier per enterprise per ruleset version per figures year. The rows of the
ruleset in force for each year are the registry's history (the ledger's score trend, the dashboard's pipeline)
and stay. What does not need to stay is a result a newer version of the same ruleset has replaced for the same
enterprise, year and tier: a corrected ruleset republished, a policy simulation's candidate published, a
benchmark's version. Nothing refers to an assessment row by key (an application freezes its assessment as it was
at submission, with the digest of its input), so those rows go; a profile snapshot goes once no assessment, no
application and no pool proposal names its digest.

``prune(dry_run=True)`` counts without deleting. The deletes run in bounded ranges of enterprise ids, each in its
own transaction, so a re-score or a reviewer is never held up for long, and a run stopped half-way is simply run
again. Each run writes one audit entry per ruleset version it pruned.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.db.models import Count, Exists, Max, Min, OuterRef

from core.audit import AuditAction, record
from evaluation.models import Assessment, ProfileSnapshot, RulesetVersion

from .models import Application
from .pool_models import PoolProposal

RANGE = 20_000


@dataclass
class PruneResult:
    assessments: int = 0
    snapshots: int = 0
    by_version: Counter = field(default_factory=Counter)


def superseded(queryset=None):
    """Assessments for which a newer version of the same ruleset holds a result for the same enterprise, year
    and tier."""
    queryset = Assessment.objects.all() if queryset is None else queryset
    newer = Assessment.objects.filter(
        enterprise_id=OuterRef("enterprise_id"), year=OuterRef("year"), tier=OuterRef("tier"),
        ruleset__code=OuterRef("ruleset__code"), ruleset__version__gt=OuterRef("ruleset__version"),
    )
    return queryset.filter(Exists(newer))


def orphan_snapshots():
    """Snapshots whose digest no assessment, application or pool proposal names."""
    return ProfileSnapshot.objects.filter(
        ~Exists(Assessment.objects.filter(input_digest=OuterRef("digest"))),
        ~Exists(Application.objects.filter(input_digest=OuterRef("digest"))),
        ~Exists(PoolProposal.objects.filter(input_digest=OuterRef("digest"))),
    )


def prune(*, dry_run: bool = False, step: int = RANGE) -> PruneResult:
    """Delete superseded assessments, then the snapshots left without a reader (see the module's text)."""
    result = PruneResult()
    bounds = Assessment.objects.aggregate(low=Min("enterprise_id"), high=Max("enterprise_id"))
    if bounds["low"] is not None:
        for first in range(bounds["low"], bounds["high"] + 1, step):
            rows = superseded(Assessment.objects.filter(enterprise_id__gte=first, enterprise_id__lt=first + step))
            with transaction.atomic():
                counts = Counter(dict(rows.order_by().values_list("ruleset_id").annotate(n=Count("id"))
                                      .values_list("ruleset_id", "n")))
                if counts and not dry_run:
                    Assessment.objects.filter(pk__in=list(rows.values_list("pk", flat=True))).delete()
            result.by_version.update(counts)
    result.assessments = sum(result.by_version.values())
    orphans = orphan_snapshots()
    result.snapshots = orphans.count()
    if not dry_run:
        with transaction.atomic():
            orphans.delete()
            kind = ContentType.objects.get_for_model(Assessment)
            for version in RulesetVersion.objects.filter(pk__in=list(result.by_version)):
                count = result.by_version[version.pk]
                record(None, AuditAction.DELETE, content_type=kind, object_id=f"ruleset-{version.pk}",
                       object_repr=f"{count} superseded assessments of {version}"[:200],
                       reason="superseded by a newer version of the same ruleset",
                       context={"ruleset": version.pk, "assessments": count})
    return result
