"""Engine results in the reader's language: Django's active language picks the engine's catalogue.

The engine knows nothing of Django; pages, e-mails and the API call ``readable`` at display time, so one stored
result reads in Chinese on a Chinese page and in English in an English one.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import get_language, gettext_lazy, pgettext_lazy

from .engine import messages
from .engine.localise import localise


def reader_language(code: str | None = None) -> str:
    """The engine catalogue for ``code`` (default: the active language), e.g. ``zh-hans`` or ``en``."""
    return messages.language(code if code is not None else get_language())


def readable(result: Any, lang: str | None = None) -> Any:
    """A result dict (whole or one tier's, fresh or stored) with messages and labels in the reader's language."""
    return localise(result, reader_language(lang))


def tier_label(code: str, lang: str | None = None) -> str:
    return messages.tier_label(code, reader_language(lang))


def _labels():
    status = {"passed": pgettext_lazy("assessment status", "passed"),
              "failed": pgettext_lazy("assessment status", "failed"),
              "pending": pgettext_lazy("assessment status", "pending")}
    route = {"score": gettext_lazy("by score"), "direct": gettext_lazy("by a direct condition"),
             "thresholds": gettext_lazy("every threshold met")}
    return status, route


STATUS_LABELS, ROUTE_LABELS = _labels()


def status_label(code: str | None) -> str:
    return STATUS_LABELS.get(code, code or "—") if code else "—"


def route_label(code: str | None) -> str:
    return ROUTE_LABELS.get(code, code) if code else "—"
