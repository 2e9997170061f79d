"""Profile builders for the engine tests (plain functions, usable inside hypothesis strategies).

The worked examples are read from the shared spec when it is beside the repository (as in CI) and from the
verbatim copies in ``tests/data/`` otherwise; ``test_engine_examples`` checks that the copies still match.
"""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
SHARED_EXAMPLES = HERE.parents[3] / "shared" / "spec" / "examples"
LOCAL_EXAMPLES = HERE.parents[1] / "data"


def local_example_path(name: str) -> Path:
    """The repository's verbatim copy of worked example ``name``, shared by every test folder."""
    return LOCAL_EXAMPLES / f"example_{name}.json"


def example(name: str) -> dict[str, Any]:
    """``{"ruleset", "profile", "expected"}`` of worked example ``name`` (A–D)."""
    shared = SHARED_EXAMPLES / f"{name}.json"
    path = shared if shared.exists() else local_example_path(name)
    return json.loads(path.read_text(encoding="utf-8"))


def with_changes(profile: dict[str, Any], changes: dict[str, Any]) -> dict[str, Any]:
    """A deep copy with ``changes`` applied; keys are ``a.b`` or ``financials[2025].rd_expense``."""
    data = copy.deepcopy(profile)
    for path, value in changes.items():
        match = re.fullmatch(r"financials\[(\d{4})\]\.(\w+)", path)
        if match:
            year, name = int(match.group(1)), match.group(2)
            next(f for f in data["financials"] if f["year"] == year)[name] = value
            continue
        target = data
        *parents, last = path.split(".")
        for part in parents:
            target = target[part]
        target[last] = value
    return data


def profile(name: str = "A", **changes: Any) -> dict[str, Any]:
    """Example ``name``'s profile; keyword changes use ``__`` for dots (``market__niche_years=2``)."""
    return with_changes(example(name)["profile"], {k.replace("__", "."): v for k, v in changes.items()})


def star() -> dict[str, Any]:
    """A medium Zhejiang manufacturer that meets every tier of both rulesets (the base of threshold tests; the
    engine benchmark's worst case starts from it too). A fresh copy each call."""
    return json.loads((LOCAL_EXAMPLES / "star.json").read_text(encoding="utf-8"))


def unmet_codes(tier_result: Any) -> list[str]:
    return [u["code"] for u in tier_result.unmet]
