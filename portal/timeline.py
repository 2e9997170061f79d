"""An application's stages as a timeline: where it has been, where it is, and how it ended."""

from __future__ import annotations

from typing import Any

from registry.models import Application, ApplicationStatus

S = ApplicationStatus
MAIN_STAGES = [S.DRAFT, S.COUNTY_REVIEW, S.CITY_REVIEW, S.PROVINCIAL_REVIEW, S.PUBLICITY]
ENDINGS = {S.CERTIFIED, S.RECOMMENDED, S.REJECTED, S.WITHDRAWN}


def application_timeline(application: Application, events: list[Any]) -> list[dict[str, Any]]:
    """Each stage with ``state``: ``done``, ``current`` or ``todo``; the ending is the last step."""
    reached = {S.DRAFT}
    for event in events:
        reached |= {event.from_status, event.to_status} - {""}
    current = application.status
    if current in ENDINGS:
        ending = current
    elif application.tier in ("little_giant", "single_champion"):
        ending = S.RECOMMENDED
    else:
        ending = S.CERTIFIED
    stages = [*MAIN_STAGES, ending]
    if current == S.RETURNED:
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
