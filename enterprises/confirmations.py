"""Reviewers' judgements of the declared items only a reviewer can judge (profile.md ``confirmations``).

The enterprise declares, for the 2026 rules, that its main product's niche market share is relatively high
(2号文 附件1 item 6) or its international niche share; a rule resting on such an item stays pending until a
reviewer whose region contains the enterprise confirms or refuses it here. The verdict in force is kept on the
declaration (``Declaration.confirmations``, which profiles read); each judgement is also kept as a
``Confirmation`` row (who, when, the value judged). Both writes are audited, and the enterprise is flagged for
re-scoring like any change of its figures. A later change of the declared value clears the verdict
(``Declaration.drop_stale_confirmations``, called by every writer of declarations).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import acting_as
from core.roles import reviewer_of

from . import services
from .models import CONFIRMABLE, Confirmation, Declaration, Enterprise


def _plain(value: Any) -> Any:
    """The declared value as JSON keeps it: a share as text (``"12.5"``), a yes/no as it is."""
    return value if isinstance(value, bool) else format(value.normalize(), "f")


def may_judge(user: Any, enterprise: Enterprise) -> bool:
    """A reviewer whose region contains the enterprise's region (county, city or province), or a superuser."""
    if getattr(user, "is_superuser", False):
        return True
    reviewer = reviewer_of(user)
    return reviewer is not None and reviewer.region.contains(enterprise.region)


def pending_items(declaration: Declaration) -> list[tuple[str, Any, bool | None]]:
    """The declared items of ``declaration`` a reviewer may judge: (path, declared value, verdict in force)."""
    return [(path, getattr(declaration, column), declaration.confirmations.get(path))
            for path, column in CONFIRMABLE.items() if getattr(declaration, column) is not None]


@transaction.atomic
def judge(declaration: Declaration, field: str, *, user: Any, confirmed: bool, reason: str = "") -> Confirmation:
    """Confirm (``confirmed=True``) or refuse the declared item ``field`` (a profile.md path) of a declaration."""
    row = (Declaration.objects.select_for_update(of=("self",)).select_related("enterprise__region")
           .get(pk=declaration.pk))
    if field not in CONFIRMABLE:
        raise ValidationError({"field": [_("Not a declared item reviewers confirm: %(field)s.") % {"field": field}]})
    if not may_judge(user, row.enterprise):
        raise PermissionDenied(_("Only a reviewer of the enterprise's region confirms its declared items."))
    if not isinstance(confirmed, bool):
        raise ValidationError({"confirmed": [_("Say whether the declared item is confirmed or refused.")]})
    value = getattr(row, CONFIRMABLE[field])
    if value is None:
        raise ValidationError({field: [_("The enterprise has not declared this item; there is nothing to confirm.")]})
    reason = (reason or "").strip() or (_("Declared item confirmed") if confirmed else _("Declared item refused"))
    with acting_as(user, reason=reason):
        row.confirmations = {**row.confirmations, field: confirmed}
        row._audit_reason = reason
        row.save()
        judgement = Confirmation(declaration=row, field=field, declared_value=_plain(value), confirmed=confirmed,
                                 reason=reason, judged_by=user if getattr(user, "pk", None) else None,
                                 judged_at=timezone.now())
        judgement._audit_reason = reason
        judgement.save()
    services.figures_changed([row.enterprise_id])
    return judgement
