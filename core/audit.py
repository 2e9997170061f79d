"""The audit trail: who changed what, when, from what to what, and why.

Unlike a request-bound change log, the actor lives in a context variable, so changes made by management
commands and Celery tasks are recorded with the command or task as their author, not only web requests.

- ``AuditedModel`` records every create, update and delete made through ``save()`` and ``delete()``.
- Services that write in bulk (``bulk_create``, ``update()``) call ``record()`` / ``record_many()``.
- ``acting_as()`` sets the actor and the reason for a block of work.
"""

from __future__ import annotations

import contextlib
import datetime
import sys
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.management.base import BaseCommand
from django.db import models
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Actor:
    """Who is acting: a user, a command or a task, with an optional reason and context (e.g. a job id)."""

    user_id: int | None = None
    label: str = "system"
    source: str = "system"
    reason: str = ""
    context: dict[str, Any] = field(default_factory=dict)
    request: Any = None

    def resolved(self) -> Actor:
        """Resolve a request-bound actor lazily: DRF authenticates tokens after middleware has run."""
        if self.request is None:
            return self
        user = getattr(self.request, "user", None)
        if user is not None and user.is_authenticated:
            return replace(self, user_id=user.pk, label=user.get_username(), request=None)
        return replace(self, label="anonymous", request=None)


_actor: ContextVar[Actor | None] = ContextVar("audit_actor", default=None)


def _fallback_actor() -> Actor:
    argv = sys.argv
    if len(argv) > 1 and argv[0].endswith("manage.py"):
        return Actor(label=f"command:{argv[1]}", source="command")
    return Actor()


def current_actor() -> Actor:
    actor = _actor.get()
    return actor.resolved() if actor is not None else _fallback_actor()


@contextlib.contextmanager
def acting_as(
    user: Any = None,
    *,
    label: str | None = None,
    source: str | None = None,
    reason: str | None = None,
    context: dict[str, Any] | None = None,
) -> Iterator[Actor]:
    """Set the actor (and optionally the reason and context) for everything recorded inside the block.

    Values not given are inherited from the enclosing actor, so a task run inline inside a request keeps the
    request's user and adds its own context.
    """
    outer = current_actor()
    actor = Actor(
        user_id=user.pk if user is not None else outer.user_id,
        label=label or (user.get_username() if user is not None else outer.label),
        source=source or outer.source,
        reason=reason if reason is not None else outer.reason,
        context={**outer.context, **(context or {})},
    )
    token = _actor.set(actor)
    try:
        yield actor
    finally:
        _actor.reset(token)


class AuditActorMiddleware:
    """Bind the request's user as the actor of every change made while handling it."""

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: Any) -> Any:
        path = request.path
        source = "api" if path.startswith("/api/") else "admin" if path.startswith("/admin/") else "web"
        token = _actor.set(Actor(label="anonymous", source=source, request=request))
        try:
            return self.get_response(request)
        finally:
            _actor.reset(token)


class AuditedCommand(BaseCommand):
    """A management command whose changes are recorded with the command as their author."""

    def execute(self, *args: Any, **options: Any) -> Any:
        name = self.__module__.rsplit(".", 1)[-1]
        with acting_as(label=f"command:{name}", source="command"):
            return super().execute(*args, **options)


class AuditAction(models.TextChoices):
    CREATE = "create", _("Created")
    UPDATE = "update", _("Updated")
    DELETE = "delete", _("Deleted")
    TRANSITION = "transition", _("Status changed")


class AuditEntryQuerySet(models.QuerySet):
    def for_object(self, obj: models.Model) -> AuditEntryQuerySet:
        return self.filter(content_type=ContentType.objects.get_for_model(obj), object_id=str(obj.pk))

    def for_enterprise(self, enterprise_id: int) -> AuditEntryQuerySet:
        return self.filter(enterprise_id=enterprise_id)


class AuditEntry(models.Model):
    """One recorded change. Kept when the object is deleted (no foreign key to it)."""

    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("user"),
    )
    actor_label = models.CharField(_("actor"), max_length=150)
    source = models.CharField(_("source"), max_length=16)
    action = models.CharField(_("action"), max_length=32)
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.CharField(_("object id"), max_length=64, db_index=True)
    object_repr = models.CharField(_("object"), max_length=200)
    enterprise_id = models.BigIntegerField(_("enterprise id"), null=True, blank=True, db_index=True)
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    before = models.JSONField(_("before"), null=True, blank=True)
    after = models.JSONField(_("after"), null=True, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    context = models.JSONField(_("context"), default=dict, blank=True)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        # The table keeps the name it had when the audit trail lived in the enterprises app.
        db_table = "enterprises_auditentry"
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["content_type", "object_id"])]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit trail")

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_label} {self.action} {self.object_repr}"


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        # Canonical text: 3000, 3000.0 and 3000.00 are the same amount and must not show as a change.
        return format(value.normalize(), "f") if value.is_finite() else str(value)
    if isinstance(value, datetime.date | datetime.datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def snapshot(instance: models.Model, fields: Iterable[str]) -> dict[str, Any]:
    return {name: _jsonable(getattr(instance, name)) for name in fields}


def diff(before: dict[str, Any] | None, after: dict[str, Any] | None) -> dict[str, list[Any]]:
    before, after = before or {}, after or {}
    return {
        key: [before.get(key), after.get(key)]
        for key in sorted(set(before) | set(after))
        if before.get(key) != after.get(key)
    }


def build_entry(
    obj: models.Model | None,
    action: str,
    *,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    reason: str | None = None,
    enterprise_id: int | None = None,
    context: dict[str, Any] | None = None,
    content_type: ContentType | None = None,
    object_id: Any = None,
    object_repr: str | None = None,
) -> AuditEntry:
    """An unsaved entry for ``obj`` (or an explicit content type and id), authored by the current actor."""
    actor = current_actor()
    if enterprise_id is None and obj is not None:
        enterprise_id = getattr(obj, "audit_enterprise_id", None)
    return AuditEntry(
        actor_id=actor.user_id,
        actor_label=actor.label[:150],
        source=actor.source,
        action=action,
        content_type=content_type or ContentType.objects.get_for_model(obj),
        object_id=str(object_id if object_id is not None else obj.pk),
        object_repr=(object_repr if object_repr is not None else str(obj))[:200],
        enterprise_id=enterprise_id,
        changes=diff(before, after),
        before=_jsonable(before),
        after=_jsonable(after),
        reason=reason or actor.reason,
        context={**actor.context, **(context or {})},
    )


def record(obj: models.Model, action: str, **kwargs: Any) -> AuditEntry:
    """Write one audit entry now (inside the caller's transaction)."""
    entry = build_entry(obj, action, **kwargs)
    entry.save()
    return entry


def record_many(entries: Iterable[AuditEntry], batch_size: int = 2000) -> None:
    """Write entries built with ``build_entry`` in bulk (imports, re-scoring)."""
    AuditEntry.objects.bulk_create(list(entries), batch_size=batch_size)


class AuditedModel(models.Model):
    """A model whose every ``save()`` and delete writes an audit entry with before/after values."""

    audit_fields: tuple[str, ...] = ()

    class Meta:
        abstract = True

    @classmethod
    def from_db(cls, db: str, field_names: Any, values: Any) -> AuditedModel:
        instance = super().from_db(db, field_names, values)
        instance._audit_loaded = snapshot(instance, [f for f in cls.audit_fields if f in instance.__dict__])
        return instance

    @property
    def audit_enterprise_id(self) -> int | None:
        """The enterprise whose trail shows this row's changes: its ``enterprise`` by default."""
        return getattr(self, "enterprise_id", None)

    def _audit_fields(self) -> tuple[str, ...]:
        return self.audit_fields or tuple(f.attname for f in self._meta.concrete_fields)

    def save(self, *args: Any, **kwargs: Any) -> None:
        creating = self._state.adding
        before = None if creating else getattr(self, "_audit_loaded", None)
        super().save(*args, **kwargs)
        after = snapshot(self, self._audit_fields())
        if creating or before is None or diff(before, after):
            record(
                self,
                AuditAction.CREATE if creating else AuditAction.UPDATE,
                before=before,
                after=after,
                reason=getattr(self, "_audit_reason", None),
            )
        self._audit_loaded = after



def record_delete(sender: type[models.Model], instance: models.Model, **kwargs: Any) -> None:
    """``post_delete`` receiver: also catches rows removed by cascade, which never call ``delete()``."""
    if isinstance(instance, AuditedModel):
        record(
            instance,
            AuditAction.DELETE,
            before=snapshot(instance, instance._audit_fields()),
            reason=getattr(instance, "_audit_reason", None),
        )
