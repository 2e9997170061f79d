"""Ruleset versions: the built-in ruleset files stored as versions, the version in force on a date, the
engine's compiled form of a stored version (cached by content), and the annual update deadline a version sets."""

from __future__ import annotations

import datetime
import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import timezone

from . import engine
from .models import RulesetVersion, canonical_digest

RULESET_DIR = Path(__file__).resolve().parent / "rulesets"


def builtin_ruleset_data(code: str) -> dict[str, Any]:
    path = RULESET_DIR / f"{code}.json"
    if code not in engine.available_rulesets() or not path.exists():
        known = ", ".join(engine.available_rulesets())
        raise engine.ProfileError("ruleset", f"unknown ruleset {code!r}; known: {known}")
    return json.loads(path.read_text(encoding="utf-8"))


def sync_builtin_rulesets() -> list[RulesetVersion]:
    """Store each built-in ruleset file as a version; a changed file becomes a new version, never an edit."""
    versions = []
    for code in engine.available_rulesets():
        data = builtin_ruleset_data(code)
        digest = canonical_digest(data)
        latest = RulesetVersion.objects.filter(code=code, is_draft=False).order_by("-version").first()
        if latest is None or latest.digest != digest:
            latest = RulesetVersion.objects.create(
                code=code,
                version=(latest.version + 1) if latest else 1,
                title=data.get("title", code),
                effective_from=datetime.date.fromisoformat(data["effective_from"]),
                data=data,
            )
        versions.append(latest)
    return versions


def get_ruleset_version(code: str | None = None, on: datetime.date | None = None) -> RulesetVersion:
    """The version to judge with: the latest published version of ``code``, or the one in force on ``on``."""
    if code is None:
        code = engine.ruleset_for_date(on or timezone.localdate())
    version = RulesetVersion.objects.latest_of(code)
    if version is None:
        if code not in engine.available_rulesets():
            raise engine.ProfileError("ruleset", f"unknown ruleset {code!r}")
        sync_builtin_rulesets()
        version = RulesetVersion.objects.latest_of(code)
    return version


def ruleset_in_force(on: datetime.date | None = None) -> RulesetVersion:
    """The published version of the ruleset in force on ``on`` (today by default)."""
    return get_ruleset_version(on=on or timezone.localdate())


def annual_update_deadline(version: Any, year: int) -> datetime.date:
    """The date by which certified firms must update their data on the platform in ``year``.

    Taken from the ruleset's data (``annual_update_deadline``, "MM-DD") when it states one, else from
    ``REGISTRY["ANNUAL_UPDATE_DEADLINES"]`` keyed by ruleset code (30 April under miit-2022, 31 May under
    miit-2026: criteria.md §1.6, §2.5, §4.3).
    """
    text = (version.data or {}).get("annual_update_deadline") if hasattr(version, "data") else None
    if not text:
        deadlines = settings.REGISTRY["ANNUAL_UPDATE_DEADLINES"]
        text = deadlines.get(version.code) or deadlines["default"]
    month, day = (int(part) for part in str(text).split("-")[-2:])
    return datetime.date(year, month, day)


@lru_cache(maxsize=64)
def _compile(digest: str, data_json: str) -> Any:
    return engine.ruleset_from_dict(json.loads(data_json))


def compiled(version: RulesetVersion) -> Any:
    """The engine's compiled ruleset for a stored version, cached by content."""
    return _compile(version.digest, json.dumps(version.data, sort_keys=True))
