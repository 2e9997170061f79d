"""Cache-based limits on the objection form, per client address and per enterprise.

Counting lives in the cache (Redis in production), so a limit holds across the web workers. When the cache is
down the form keeps working unthrottled (logged): refusing every citizen because a counter is unavailable would
be worse than a burst of objections, which still need an e-mail confirmation to count.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

logger = logging.getLogger(__name__)

DEFAULT_LIMITS = {"address": (10, 3600), "enterprise": (50, 24 * 3600)}


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    scope: str = ""
    retry_after: int = 0


def limits() -> dict[str, tuple[int, int]]:
    return {**DEFAULT_LIMITS, **getattr(settings, "PUBLIC_OBJECTION_LIMITS", {})}


def client_address(request: HttpRequest) -> str:
    """The client's address: the last ``TRUSTED_PROXY_COUNT`` hops of X-Forwarded-For are our own proxies."""
    proxies = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if proxies and forwarded:
        hops = [h.strip() for h in forwarded.split(",") if h.strip()]
        if len(hops) >= proxies:
            return hops[-proxies]
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def _hit(key: str, limit: int, window: int) -> bool:
    """Count one attempt under ``key``; whether it is still within ``limit`` per ``window`` seconds."""
    cache.add(key, 0, timeout=window)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.add(key, 1, timeout=window)
        count = 1
    return count <= limit


def check_objection(request: HttpRequest, application_id: int) -> Verdict:
    """Count this objection attempt against the address's and the enterprise's limits."""
    configured = limits()
    scopes = {
        "address": f"public:objection:address:{client_address(request)}",
        "enterprise": f"public:objection:application:{application_id}",
    }
    try:
        for scope, key in scopes.items():
            limit, window = configured[scope]
            if not _hit(key, limit, window):
                return Verdict(False, scope, window)
    except Exception:  # noqa: BLE001  (any cache failure: see the module's docstring)
        logger.warning("objection throttle unavailable: cache error", exc_info=True)
    return Verdict(True)
