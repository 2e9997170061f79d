"""Which unheld tiers an enterprise is *near* (proactive discovery, 主动发现): the rule per tier is ruleset data.

Each ruleset file may carry ``cultivation_near``: per tier, ``score_within`` (a scored tier failed by at most
that many points below its pass mark) and/or ``max_unmet`` (at most that many unmet rules), optionally with
``concrete_advice`` (every item of the engine's advice names a change the enterprise can make), each with its
``source``. This module reads those rules and judges one engine result against them; it writes nothing, and the
engine itself knows nothing of it. The registry turns what it finds into pool proposals.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from . import engine
from .models import RulesetVersion

KEY = "cultivation_near"


@dataclass(frozen=True)
class NearRule:
    tier: str
    score_within: Decimal | None
    max_unmet: int | None
    concrete_advice: bool
    source: str

    @property
    def code(self) -> str:
        parts = []
        if self.score_within is not None:
            parts.append(f"score_within:{self.score_within}")
        if self.max_unmet is not None:
            parts.append(f"max_unmet:{self.max_unmet}")
        return ",".join(parts)


def rules_from_data(data: dict[str, Any]) -> dict[str, NearRule]:
    """The near rules of a ruleset's data, by tier (empty when the ruleset states none)."""
    out: dict[str, NearRule] = {}
    for tier, spec in ((data or {}).get(KEY) or {}).get("tiers", {}).items():
        within = spec.get("score_within")
        unmet = spec.get("max_unmet")
        out[tier] = NearRule(
            tier=tier,
            score_within=None if within is None else Decimal(str(within)),
            max_unmet=None if unmet is None else int(unmet),
            concrete_advice=bool(spec.get("concrete_advice", False)),
            source=str(spec.get("source", "")),
        )
    return out


_CACHE: dict[tuple[int, str], dict[str, NearRule]] = {}


def near_rules(version: RulesetVersion) -> dict[str, NearRule]:
    """The near rules of a stored ruleset version, read once per process (cached by id and content digest)."""
    key = (version.pk, version.digest)
    if key not in _CACHE:
        data = RulesetVersion.objects.filter(pk=version.pk).values_list("data", flat=True).first()
        _CACHE[key] = rules_from_data(data or {})
    return _CACHE[key]


def judge(rule: NearRule, result: Any, pass_mark: Any, advice: list[dict[str, Any]] | None = None) -> bool:
    """Whether an explained failed tier result is near under ``rule``.

    Both conditions a rule states must hold: the score within reach and the unmet rules few enough, with
    concrete advice when the rule asks for it. Without ``advice`` (not computed yet) that last check is left
    for a second call; advice is costly, so it is computed only for results that pass the first."""
    if result.status != "failed":
        return False
    if rule.score_within is not None:
        if result.score is None or pass_mark is None:
            return False
        if Decimal(str(result.score)) < Decimal(str(pass_mark)) - rule.score_within:
            return False
    if rule.max_unmet is not None:
        if len(result.unmet) > rule.max_unmet:
            return False
        if rule.concrete_advice and advice is not None and (not advice or any("set" not in a for a in advice)):
            return False
    return True


def advice_for(profile: Any, ruleset: Any, tier: str) -> list[dict[str, Any]]:
    """The engine's advice for ``tier`` (several evaluations: only for tiers ``judge`` already finds near), as
    stored: the English text plus each message's language-neutral form (``msg``), rendered when shown."""
    return [{**item.to_dict(), "msg": item.portable()} for item in engine.advise(profile, ruleset, tier)]
