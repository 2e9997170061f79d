"""Page caching that never breaks a page: a cache error is logged and the page is computed as if missed."""

from __future__ import annotations

import hashlib
import logging
from typing import Any

from django.core.cache import cache

logger = logging.getLogger(__name__)
TIMEOUT = 300


def key(*parts: Any) -> str:
    digest = hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).hexdigest()[:32]
    return f"public:page:{digest}"


def get(name: str) -> Any:
    try:
        return cache.get(name)
    except Exception:  # noqa: BLE001
        logger.warning("public page cache unavailable (get)", exc_info=True)
        return None


def put(name: str, value: Any, timeout: int = TIMEOUT) -> None:
    try:
        cache.set(name, value, timeout)
    except Exception:  # noqa: BLE001
        logger.warning("public page cache unavailable (set)", exc_info=True)
