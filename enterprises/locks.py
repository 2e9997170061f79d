"""Which of an enterprise's fields are locked, and why.

Some fields decide who reviews an enterprise or count against a quota: its region (the county, city and province
queues, the city quota), its sector (the size table), its name and founding date (what a certificate names and
the eligibility checks judged). While an application under review or a certification depends on them, they
change only through a change request that a reviewer of the current region approves (``change_requests``). The
figures a submitted application was judged on (its year's declaration and the financial rows it read) are
locked the same way.

This layer does not know what depends on an enterprise: the layers above register a *provider* here (the
registry does so in ``RegistryConfig.ready``), which answers with the dependencies it holds. Every writer in
``services`` asks ``check_details`` / ``check_figures`` before it writes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

# Model attribute -> the name clients send (API, import), for error messages.
ROUTING_FIELDS: dict[str, str] = {
    "region": "region_code", "sector": "sector", "name": "name",
    "established_year": "established_year", "established_on": "established_on",
}


@dataclass(frozen=True)
class Dependency:
    """Something that relies on an enterprise's routing fields: ``reason`` says what, for people.

    ``financial_years`` / ``declaration_years``: the figures it was judged on, locked as well."""

    reason: str
    financial_years: frozenset[int] = field(default_factory=frozenset)
    declaration_years: frozenset[int] = field(default_factory=frozenset)


# provider(enterprise ids) -> {enterprise id: [dependencies]}, in a constant number of queries (imports ask
# for thousands of enterprises at once).
Provider = Callable[[list[int]], dict[int, list[Dependency]]]
_providers: dict[str, Provider] = {}


def register(uid: str, provider: Provider) -> None:
    """Register a provider under ``uid`` (registering again replaces it)."""
    _providers[uid] = provider


def dependencies_of(ids: Iterable[int]) -> dict[int, list[Dependency]]:
    ids = [pk for pk in ids if pk is not None]
    found: dict[int, list[Dependency]] = {}
    if not ids:
        return found
    for provider in _providers.values():
        for pk, deps in provider(ids).items():
            found.setdefault(pk, []).extend(deps)
    return found


def dependencies(enterprise: Any) -> list[Dependency]:
    return dependencies_of([enterprise.pk]).get(enterprise.pk, [])


def locked_fields(deps: list[Dependency], changed: Iterable[str]) -> dict[str, str]:
    """The routing fields among ``changed`` that ``deps`` lock, each with the refusal message."""
    if not deps:
        return {}
    return {f: refusal(deps[0].reason) for f in changed if f in ROUTING_FIELDS}


def locked_year(deps: list[Dependency], kind: str, year: int) -> str | None:
    """The refusal message when ``deps`` lock the ``kind`` figures of ``year``, else None."""
    for dep in deps:
        if year in (dep.financial_years if kind == "financials" else dep.declaration_years):
            return refusal(dep.reason)
    return None


def refusal(reason: str) -> str:
    return _("Locked: %(reason)s. File a change request, which a reviewer of the current region approves.") % {
        "reason": reason}


def check_details(enterprise: Any, changed: Iterable[str], *, names: dict[str, str] | None = None) -> None:
    """Refuse a change of the routing fields among ``changed`` while something depends on them (400 naming
    each field; ``names`` maps attributes to the names the caller used)."""
    changed = [f for f in changed if f in ROUTING_FIELDS]
    if not changed:
        return
    locked = locked_fields(dependencies(enterprise), changed)
    if locked:
        raise ValidationError({(names or {}).get(f, f): [message] for f, message in locked.items()})


def check_figures(enterprise: Any, kind: str, year: int, changed: Iterable[str]) -> None:
    """Refuse a change of the ``kind`` ("financials" or "declaration") figures of ``year`` that a dependency
    was judged on; ``changed`` names the fields whose value would change."""
    changed = list(changed)
    if not changed:
        return
    message = locked_year(dependencies(enterprise), kind, year)
    if message:
        raise ValidationError({name: [message] for name in changed})
