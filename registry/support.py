"""The support ledger (帮扶台账): visits and support actions recorded for pooled enterprises, and their
follow-ups.

A record belongs to an enterprise in the pool (its current entry); the reviewer's region must hold it. Records
marked ``internal`` are never shown to the enterprise. A follow-up whose date has come and that is not marked
done is in the reviewers' queue (``SupportRecord.objects.due()``).
"""

from __future__ import annotations

import datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from core.audit import acting_as
from enterprises.models import Enterprise

from .models import PoolEntry, SupportKind, SupportRecord
from .pool import require_reviewer_for

EDITABLE = ("kind", "happened_on", "by_label", "what", "follow_up_on", "outcome", "internal")


def record_support(user: Any, enterprise: Enterprise, *, kind: SupportKind, happened_on: datetime.date,
                   by_label: str, what: str, follow_up_on: datetime.date | None = None, outcome: str = "",
                   internal: bool = False) -> SupportRecord:
    """Add a line to the enterprise's ledger, tied to its current pool entry."""
    with transaction.atomic(), acting_as(user):
        enterprise = Enterprise.objects.select_for_update().select_related("region").get(pk=enterprise.pk)
        require_reviewer_for(user, [enterprise])
        entry = PoolEntry.objects.current().filter(enterprise=enterprise).order_by("entered_on", "pk").first()
        if entry is None:
            raise ValidationError({"enterprise": _("Only enterprises in the cultivation pool have a support ledger.")})
        if not kind.active:
            raise ValidationError({"kind": _("This kind of support is no longer in use.")})
        if follow_up_on is not None and follow_up_on < happened_on:
            raise ValidationError({"follow_up_on": _("The follow-up cannot come before the support itself.")})
        if not (what or "").strip():
            raise ValidationError({"what": _("Say what was done.")})
        record = SupportRecord(enterprise=enterprise, pool_entry=entry, kind=kind, happened_on=happened_on,
                               by=user if getattr(user, "pk", None) else None, by_label=by_label or str(user),
                               what=what, follow_up_on=follow_up_on, outcome=outcome, internal=internal)
        record.save()
        return record


def update_support(user: Any, record: SupportRecord, **changes: Any) -> SupportRecord:
    """Correct a ledger line (the audit trail keeps what it said before)."""
    unknown = set(changes) - set(EDITABLE)
    if unknown:
        raise ValidationError({name: _("This field cannot be changed.") for name in unknown})
    with transaction.atomic(), acting_as(user):
        record = SupportRecord.objects.select_for_update().select_related("enterprise__region").get(pk=record.pk)
        require_reviewer_for(user, [record.enterprise])
        for name, value in changes.items():
            setattr(record, name, value)
        if record.follow_up_on is not None and record.follow_up_on < record.happened_on:
            raise ValidationError({"follow_up_on": _("The follow-up cannot come before the support itself.")})
        record.save()
        return record


def complete_follow_ups(user: Any, records: list[SupportRecord], outcome: str = "") -> int:
    """Mark follow-ups done (they leave the queue), adding the outcome; all or none."""
    with transaction.atomic(), acting_as(user, reason=outcome or None):
        rows = list(SupportRecord.objects.select_for_update().select_related("enterprise__region")
                    .filter(pk__in=[r.pk for r in records]).order_by("pk"))
        require_reviewer_for(user, [r.enterprise for r in rows])
        missing = [r for r in rows if r.follow_up_on is None or r.follow_up_done]
        if missing:
            raise ValidationError({"follow_up": [_("%(r)s has no open follow-up.") % {"r": r} for r in missing]})
        for r in rows:
            r.follow_up_done = True
            if outcome:
                r.outcome = f"{r.outcome}\n{outcome}".strip()
            r.save()
        return len(rows)
