"""SME size classes (criteria.md §0.4): a per-sector table kept as data, read once."""

from __future__ import annotations

import json
from decimal import Decimal
from functools import cache
from pathlib import Path

from .errors import ProfileError

SIZE_TABLE_PATH = Path(__file__).resolve().parent.parent / "rulesets" / "sme_size.json"
_CLASSES = ("large", "medium", "small")


@cache
def _table() -> dict[str, tuple[tuple[str, int | None, Decimal | None], ...]]:
    data = json.loads(SIZE_TABLE_PATH.read_text(encoding="utf-8"))
    table = {}
    for sector, row in data["sectors"].items():
        steps = []
        for cls in _CLASSES:
            limits = row[cls]
            employees = limits.get("employees")
            revenue = limits.get("revenue")
            steps.append((cls, employees, None if revenue is None else Decimal(str(revenue))))
        table[sector] = tuple(steps)
    return table


def size_steps(sector: str) -> tuple[tuple[str, int | None, Decimal | None], ...]:
    """(class, minimum employees, minimum revenue), large first; the sector is already validated."""
    return _table()[sector]


def known_sectors() -> frozenset[str]:
    """The sector keys a profile may use."""
    return frozenset(_table())


def size_class(sector: str, employees: int, operating_revenue: Decimal | int | str) -> str:
    """``micro`` | ``small`` | ``medium`` | ``large`` by 300号: a class needs every listed figure reached.

    So an industrial firm is large only with ≥1000 employees *and* ≥40,000万 revenue, and an SME otherwise.
    """
    steps = _table().get(sector)
    if steps is None:
        raise ProfileError(
            "enterprise.sector", f"unknown sector {sector!r}; known: {', '.join(sorted(_table()))}"
        )
    revenue = operating_revenue if isinstance(operating_revenue, Decimal) else Decimal(str(operating_revenue))
    for cls, min_employees, min_revenue in steps:
        if (min_employees is None or employees >= min_employees) and (
            min_revenue is None or revenue >= min_revenue
        ):
            return cls
    return "micro"
