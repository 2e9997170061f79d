"""An application's stages as a timeline: where it has been, where it is, and how it ended."""

from __future__ import annotations

from typing import Any

from django.conf import settings

from registry.models import Application, ApplicationStatus

S = ApplicationStatus
NATIONAL_TIERS = ("little_giant", "single_champion")
ENDINGS = {S.CERTIFIED, S.RECOMMENDED, S.REJECTED, S.WITHDRAWN}


def review_stages(tier: str) -> list[str]:
    """The states after submission for ``tier``: the registry's configured stages when it states them."""
    configured = settings.REGISTRY.get("STAGES", {}).get(tier)
    if configured:
        return list(configured)
    if tier in NATIONAL_TIERS:
        return [S.COUNTY_REVIEW, S.CITY_REVIEW, S.PROVINCIAL_REVIEW, S.RECOMMENDED]
    return [S.COUNTY_REVIEW, S.CITY_REVIEW, S.PROVINCIAL_REVIEW, S.PUBLICITY]


def application_timeline(application: Application, events: list[Any]) -> list[dict[str, Any]]:
    """Each stage with ``state``: ``done``, ``current`` or ``todo``; the ending is the last step."""
    reached = {S.DRAFT}
    for event in events:
        reached |= {event.from_status, event.to_status} - {""}
    current = application.status
    stages = [S.DRAFT, *review_stages(application.tier)]
    if stages[-1] != S.RECOMMENDED:
        stages.append(S.CERTIFIED)
    if current in (S.REJECTED, S.WITHDRAWN):
        stages = [s for s in stages if s in reached or s == S.DRAFT] + [current]
    elif current == S.RETURNED:
        # Returned to the enterprise: the step sits after the last review stage it reached.
        last = max(i for i, stage in enumerate(stages) if stage in reached)
        stages.insert(last + 1, S.RETURNED)
    steps = []
    for stage in stages:
        if stage == current:
            state = "current"
        elif stage in reached:
            state = "done"
        else:
            state = "todo"
        steps.append({"status": stage, "label": S(stage).label, "state": state})
    return steps
