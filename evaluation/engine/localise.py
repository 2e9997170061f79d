"""A result dict (profile.md's shape, fresh or stored) made readable in one language.

The codes stay as they are (clients are written against them); beside them come the rendered words: every
``message`` in the language, and a ``label`` for each tier, indicator, category, value and size class. A stored
result keeps each message's language-neutral form under ``msg`` (``TierResult.to_dict(portable=True)``); it is
rendered here and dropped, so a page or an API answer never shows it. An old stored result without ``msg`` keeps
its English message.
"""

from __future__ import annotations

from typing import Any

from . import messages

_SAID = ("unmet", "direct", "advice")


def _said(item: Any, lang: str) -> Any:
    if not isinstance(item, dict):
        return item
    out = {k: v for k, v in item.items() if k != "msg"}
    rendered = messages.render_portable(item.get("msg"), lang)
    if rendered is not None:
        out["message"] = rendered
    return out


def localise_tier(result: dict[str, Any], lang: str, code: str | None = None) -> dict[str, Any]:
    """One tier's result with its messages in ``lang`` and labels beside its codes."""
    lang = messages.language(lang)
    out = dict(result)
    for key in _SAID:
        if isinstance(result.get(key), list):
            out[key] = [_said(item, lang) for item in result[key]]
    tier = code or result.get("tier")
    if tier:
        out["label"] = messages.tier_label(tier, lang)
    if isinstance(result.get("categories"), dict):
        out["category_labels"] = {c: messages.category_label(c, lang) for c in result["categories"]}
    indicators = result.get("indicators")
    if isinstance(indicators, list):
        out["indicators"] = [
            {**item, "label": messages.indicator_label(item.get("code", ""), lang),
             "category_label": messages.category_label(item.get("category", ""), lang),
             "value_label": messages.value_label(item.get("value"), lang)}
            if isinstance(item, dict) else item
            for item in indicators
        ]
    if isinstance(result.get("prerequisites"), list):
        out["prerequisites"] = [
            {**p, "label": messages.tier_label(p.get("tier", ""), lang)} if isinstance(p, dict) else p
            for p in result["prerequisites"]
        ]
    if result.get("size_class"):
        out["size_class_label"] = messages.value_label(result["size_class"], lang)
    return out


def localise(result: dict[str, Any], lang: str) -> dict[str, Any]:
    """A whole result (``{"ruleset", "year", "size_class", "tiers"}``) or one tier's, in ``lang``."""
    if not isinstance(result, dict):
        return result
    if not isinstance(result.get("tiers"), dict):
        return localise_tier(result, lang)
    lang = messages.language(lang)
    out = dict(result)
    out["tiers"] = {code: localise_tier(t, lang, code) if isinstance(t, dict) else t
                    for code, t in result["tiers"].items()}
    if result.get("size_class"):
        out["size_class_label"] = messages.value_label(result["size_class"], lang)
    return out
