"""Request parsers that turn hostile bodies into clear client errors.

DRF reads the request stream itself, so Django's ``DATA_UPLOAD_MAX_MEMORY_SIZE`` never applies to JSON or form
bodies; Python's ``json`` accepts ``NaN`` and ``Infinity`` (which PostgreSQL and every JSON client reject) and
crashes with ``RecursionError`` on deep nesting. These parsers cap the body size (413), reject non-finite numbers
and nesting deeper than ``JSON_MAX_DEPTH`` with a 400 naming the place, and report undecodable bytes as a 400.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from typing import IO, Any

from django.conf import settings
from django.http import QueryDict
from django.utils.translation import gettext as _
from rest_framework import exceptions, parsers, status


class RequestTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "Request body too large."
    default_code = "request_too_large"


class _NonFinite:
    """Stands in for NaN/Infinity while parsing so the checker can name where it was."""

    def __init__(self, text: str) -> None:
        self.text = text


def read_limited(stream: IO[bytes] | None) -> bytes:
    """The whole body, refusing (413) anything past ``DATA_UPLOAD_MAX_MEMORY_SIZE``."""
    if stream is None:
        return b""
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    data = stream.read(limit + 1) if limit is not None else stream.read()
    if limit is not None and len(data) > limit:
        raise RequestTooLarge(
            _("The request body is larger than %(limit)d bytes.") % {"limit": limit}
        )
    return data


def _finite_float(text: str) -> float | _NonFinite:
    value = float(text)
    return _NonFinite(text) if math.isinf(value) else value


def _check_plain_data(value: Any, max_depth: int) -> None:
    """Walk the parsed document without recursion; raise a 400 naming the first bad place."""
    pending: list[tuple[Any, str, int]] = [(value, "", 1)]
    while pending:
        item, path, depth = pending.pop()
        if isinstance(item, _NonFinite):
            raise exceptions.ValidationError(
                {path or "non_field_errors": [_("%(value)s is not a finite number.") % {"value": item.text}]}
            )
        if isinstance(item, dict | list):
            if depth > max_depth:
                raise exceptions.ValidationError(
                    {path or "non_field_errors": [
                        _("JSON nested deeper than %(depth)d levels.") % {"depth": max_depth}
                    ]}
                )
            if isinstance(item, dict):
                children = [(f"{path}.{key}" if path else str(key), child) for key, child in item.items()]
            else:
                children = [(f"{path}[{index}]", child) for index, child in enumerate(item)]
            pending.extend((child, child_path, depth + 1) for child_path, child in children)


class StrictJSONParser(parsers.JSONParser):
    """JSON limited in size and depth, finite numbers only."""

    def parse(self, stream: IO[bytes], media_type: str | None = None, parser_context: Mapping | None = None) -> Any:
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        raw = read_limited(stream)
        try:
            text = raw.decode(encoding)
        except (UnicodeDecodeError, LookupError) as exc:
            raise exceptions.ParseError(_("The request body is not valid %(encoding)s text: %(error)s")
                                        % {"encoding": encoding, "error": exc})
        try:
            data = json.loads(text, parse_constant=_NonFinite, parse_float=_finite_float)
        except RecursionError:
            raise exceptions.ParseError(_("JSON nested too deeply."))
        except ValueError as exc:
            raise exceptions.ParseError(_("JSON parse error: %(error)s") % {"error": exc})
        _check_plain_data(data, getattr(settings, "JSON_MAX_DEPTH", 32))
        return data


class LimitedFormParser(parsers.FormParser):
    """URL-encoded forms under the same size cap and with the same decoding errors as JSON."""

    def parse(self, stream: IO[bytes], media_type: str | None = None, parser_context: Mapping | None = None) -> Any:
        parser_context = parser_context or {}
        encoding = parser_context.get("encoding", settings.DEFAULT_CHARSET)
        raw = read_limited(stream)
        try:
            raw.decode(encoding)
        except (UnicodeDecodeError, LookupError) as exc:
            raise exceptions.ParseError(_("The request body is not valid %(encoding)s text: %(error)s")
                                        % {"encoding": encoding, "error": exc})
        return QueryDict(raw, encoding=encoding)
