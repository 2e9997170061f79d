"""Data builders shared by the insights tests (dashboard, simulation, import/export)."""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any

from enterprises.models import Enterprise, Region
from evaluation.models import RulesetVersion
from evaluation.versions import get_ruleset_version
from tests import factories
from tests.factories import EnterpriseFactory

DATA = Path(__file__).resolve().parent / "data"


def ruleset() -> RulesetVersion:
    return get_ruleset_version("miit-2022")


def enterprise_in(region_code: str, **extra: Any) -> Enterprise:
    return EnterpriseFactory(region=Region.objects.get(code=region_code), **extra)


def certify(enterprise: Enterprise, tier: str, granted_on: datetime.date, years: int = 3, **extra: Any) -> Any:
    return factories.certify(enterprise, tier, granted_on, years=years, ruleset=ruleset(), **extra)


def load_example(name: str) -> dict[str, Any]:
    """A worked example's profile from the spec (criteria.md §9): A passes clearly, D passes at exactly 60."""
    return json.loads((DATA / f"example_{name}.json").read_text(encoding="utf-8"))["profile"]


def ensure_regions() -> None:
    """Transactional tests (browser, real worker) may start after another one flushed the tables: reload the
    regions the migration loads, if they are gone."""
    from django.core.management import call_command

    if not Region.objects.exists():
        call_command("load_regions", verbosity=0)
