"""Expert review as the ruleset states it: which tiers an expert panel scores, how many experts, on which form.

The engine ignores the ``expert_review`` key of a tier (it judges the profile, not the panel); the registry
reads it here, from the stored ruleset version, so a ruleset change is a new version and never an edit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class FormCategory:
    code: str
    label: str
    max: int
    source: str = ""


@dataclass(frozen=True)
class ExpertReview:
    """A tier's expert review: ``panel_size`` experts each score every category of ``form``."""

    panel_size: int
    form: tuple[FormCategory, ...]
    source: str = ""

    @property
    def max_total(self) -> int:
        return sum(c.max for c in self.form)


def expert_review(version: Any, tier: str) -> ExpertReview | None:
    """The expert review ``version`` (a stored ruleset version, or its data) asks for ``tier``, or None."""
    data = version.data if hasattr(version, "data") else version
    spec = ((data or {}).get("tiers", {}).get(tier) or {}).get("expert_review")
    if not spec:
        return None
    form = tuple(FormCategory(code=str(c["code"]), label=str(c.get("label", c["code"])), max=int(c["max"]),
                              source=str(c.get("source", ""))) for c in spec.get("form", []))
    return ExpertReview(panel_size=int(spec.get("panel_size", 3)), form=form, source=str(spec.get("source", "")))
