"""A Redis cache that an unreachable Redis does not turn into an outage.

The cache holds only what can be rebuilt: the large lists' cached counts and the login throttle's counters.
When Redis does not answer, each operation is done on a per-process local-memory cache instead and a warning
is logged (at most once per ``WARN_SECONDS``); for ``RETRY_SECONDS`` after a failure Redis is not tried at all,
so a dead server costs one connection timeout, not one per request. Counts are then exact again (or cached per
process) and the throttle counts per process, which is looser by the number of web processes but still a limit.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache

logger = logging.getLogger("config.cache")

RETRY_SECONDS = 10.0
WARN_SECONDS = 60.0
_OPERATIONS = ("add", "get", "set", "touch", "delete", "get_many", "has_key", "incr", "set_many", "delete_many",
               "clear")


class ResilientRedisCache(RedisCache):
    def __init__(self, server: str, params: dict[str, Any]) -> None:
        params = {**params, "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5,
                                        **params.get("OPTIONS", {})}}
        super().__init__(server, params)
        self._fallback = LocMemCache(f"redis-fallback-{id(self)}", {"OPTIONS": {"MAX_ENTRIES": 10_000}})
        self._down_until = 0.0
        self._warned_at = 0.0

    def _redis_or_fallback(self, name: str, *args: Any, **kwargs: Any) -> Any:
        now = time.monotonic()
        if now >= self._down_until:
            try:
                return getattr(super(), name)(*args, **kwargs)
            except ValueError:  # incr of a missing key: the caller's concern, as with any cache
                raise
            except Exception as exc:  # noqa: BLE001 - redis-py's errors do not share a base with OSError
                self._down_until = now + RETRY_SECONDS
                if now - self._warned_at >= WARN_SECONDS:
                    self._warned_at = now
                    logger.warning("Redis cache unreachable (%s: %s); using a per-process cache for %.0f s",
                                   type(exc).__name__, exc, RETRY_SECONDS)
        return getattr(self._fallback, name)(*args, **kwargs)

    @property
    def redis_available(self) -> bool:
        return time.monotonic() >= self._down_until


def _delegate(name: str) -> Any:
    def method(self: ResilientRedisCache, *args: Any, **kwargs: Any) -> Any:
        return self._redis_or_fallback(name, *args, **kwargs)

    method.__name__ = name
    return method


for _name in _OPERATIONS:
    setattr(ResilientRedisCache, _name, _delegate(_name))
