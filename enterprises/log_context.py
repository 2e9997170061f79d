"""What a log line is about: the request id, the user and the enterprise, kept per request (or task).

``bind`` adds fields as the request learns them (the middleware binds the request id and the user; the views that
resolve an enterprise bind it); ``LogContextFilter`` copies them onto every log record, so the JSON formatter of
production writes them beside each message and an incident can be followed across lines.
"""

from __future__ import annotations

import contextvars
import logging
from typing import Any

FIELDS = ("request_id", "user", "enterprise")
_context: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar("log_context", default=None)


def bind(**fields: Any) -> None:
    _context.set({**(_context.get() or {}), **fields})


def start() -> contextvars.Token:
    """A fresh context (a request begins); pass the result to ``end`` when it is over."""
    return _context.set({})


def end(token: contextvars.Token) -> None:
    _context.reset(token)


def current() -> dict[str, Any]:
    return dict(_context.get() or {})


class LogContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        # Django's request logger writes after the request's middleware has returned; the record carries the
        # request, and the request keeps its fields.
        context = _context.get() or getattr(getattr(record, "request", None), "log_context", None) or {}
        for name in FIELDS:
            if not hasattr(record, name):
                setattr(record, name, context.get(name))
        return True
