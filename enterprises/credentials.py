"""API tokens: issued with a lifetime, revoked by their owner, by staff, and whenever the password changes.

Tokens are django-rest-knox's: only a hash is stored (a leaked database does not leak working tokens), each
client gets its own token, and each expires ``API_TOKEN_TTL_HOURS`` after it was issued. Clients still send
``Authorization: Token …``. A password change or reset (portal, admin, ``changepassword``; anything that calls
``set_password`` and saves) deletes every token of the user, as Django already ends the user's other sessions.
Staff revoke tokens in the admin (*API tokens*), or all of a user's at once with the user list's action.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.db.models.signals import post_save
from django.dispatch import receiver
from django.utils import timezone
from knox.models import AuthToken


def issue_token(user: Any) -> tuple[str, datetime.datetime | None]:
    """A new token for ``user`` and when it expires; the user's expired tokens are cleared on the way."""
    AuthToken.objects.filter(user=user, expiry__lt=timezone.now()).delete()
    instance, token = AuthToken.objects.create(user=user)
    return token, instance.expiry


def revoke_tokens(user: Any, *, token: AuthToken | None = None) -> int:
    """Delete ``token`` (one client's), or every token of ``user``; returns how many were revoked."""
    tokens = AuthToken.objects.filter(user=user)
    if token is not None:
        tokens = tokens.filter(pk=token.pk)
    count, _ = tokens.delete()
    return count


@receiver(post_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="revoke_tokens_on_password_change")
def _revoke_on_password_change(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
    # ``set_password`` keeps the new raw password on ``_password`` until the save that follows has run
    # (AbstractBaseUser.save clears it after post_save): the one sign that this save changed the password.
    if created or getattr(instance, "_password", None) is None:
        return
    AuthToken.objects.filter(user=instance).delete()

