"""Fixtures of the re-scoring and lifecycle tests."""

from __future__ import annotations

import copy
import functools
import json
from pathlib import Path
from typing import Any

import pytest

# criteria.md §9 Example A (the profile.md sample): passes innovative (95) and specialised (77) under miit-2022,
# fails the hidden champion, the little giant and the single champion.
EXAMPLE_A: dict[str, Any] = json.loads(
    (Path(__file__).resolve().parent.parent / "data" / "example_A.json").read_text(encoding="utf-8"))["profile"]
YEAR = 2025


@pytest.fixture
def ruleset_2022():
    from evaluation.versions import get_ruleset_version

    return get_ruleset_version("miit-2022")


@pytest.fixture
def example_enterprise():
    """Make an enterprise with Example A's figures stored."""
    from tests.factories import EnterpriseFactory, store_profile

    def make(**fields: Any):
        enterprise = EnterpriseFactory(**fields)
        store_profile(enterprise, copy.deepcopy(EXAMPLE_A))
        return enterprise

    return make


@pytest.fixture
def certify(ruleset_2022):
    """Grant a certification directly under the 2022 rules (the review workflow is not under test here)."""
    from tests.factories import certify

    return functools.partial(certify, ruleset=ruleset_2022)
