"""The admin header's notification badge."""

from __future__ import annotations

from typing import Any

from django import template

from registry.reviewer_notices import unread_count

register = template.Library()


@register.simple_tag(takes_context=True)
def unread_notices(context: Any) -> int:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.is_staff:
        return 0
    return unread_count(user)
