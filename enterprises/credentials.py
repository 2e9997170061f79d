"""API tokens: issued with a lifetime, revoked by their owner, by staff, and whenever the password changes.

Tokens are django-rest-knox's: only a hash is stored (a leaked database does not leak working tokens), each
client gets its own token, and each expires ``API_TOKEN_TTL_HOURS`` after it was issued. Clients still send
``Authorization: Token …``. A password change or reset (portal, admin, ``changepassword``; anything that calls
``set_password`` and saves) deletes every token of the user, as Django already ends the user's other sessions.
Staff revoke tokens in the admin (*API tokens*). Every revocation, however it happens (the owner, staff, a
password change, expiry), writes an audit entry naming the token's key prefix, its owner and why; never the digest.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.utils import timezone
from knox.models import AuthToken

from core.audit import AuditAction, acting_as, current_actor, record

REVOKED_BY_OWNER = "revoked by its owner"
REVOKED_ON_PASSWORD_CHANGE = "password changed"
EXPIRED = "expired"


def issue_token(user: Any) -> tuple[str, datetime.datetime | None]:
    """A new token for ``user`` and when it expires; the user's expired tokens are cleared on the way."""
    with acting_as(reason=EXPIRED):
        AuthToken.objects.filter(user=user, expiry__lt=timezone.now()).delete()
    instance, token = AuthToken.objects.create(user=user)
    return token, instance.expiry


def revoke_tokens(user: Any, *, token: AuthToken | None = None, reason: str = REVOKED_BY_OWNER) -> int:
    """Delete ``token`` (one client's), or every token of ``user``; returns how many were revoked."""
    tokens = AuthToken.objects.filter(user=user)
    if token is not None:
        tokens = tokens.filter(pk=token.pk)
    with acting_as(reason=reason):
        count, _ = tokens.delete()
    return count


@receiver(post_save, sender=settings.AUTH_USER_MODEL, dispatch_uid="revoke_tokens_on_password_change")
def _revoke_on_password_change(sender: Any, instance: Any, created: bool, **kwargs: Any) -> None:
    # ``set_password`` keeps the new raw password on ``_password`` until the save that follows has run
    # (AbstractBaseUser.save clears it after post_save): the one sign that this save changed the password.
    if created or getattr(instance, "_password", None) is None:
        return
    revoke_tokens(instance, reason=REVOKED_ON_PASSWORD_CHANGE)


@receiver(post_delete, sender=AuthToken, dispatch_uid="audit_token_revocation")
def _audit_revocation(sender: Any, instance: AuthToken, **kwargs: Any) -> None:
    # Deletes from anywhere (the owner, the admin's delete, a password change, a user deleted) pass here.
    # The entry names the token by its public key prefix: the digest would be a credential's hash in the trail.
    record(
        None, AuditAction.DELETE, content_type=ContentType.objects.get_for_model(AuthToken),
        object_id=instance.token_key,
        object_repr=f"API token {instance.token_key}… of user #{instance.user_id}",
        before={"user": instance.user_id, "token_key": instance.token_key, "created": instance.created.isoformat(),
                "expiry": instance.expiry.isoformat() if instance.expiry else None},
        reason=current_actor().reason or "revoked by staff",
    )


