"""Risk alerts on pooled and certified enterprises: the rules are data (``RULES``), one small finder each.

``raise_alerts`` runs every rule over the enterprises watched on a date (those in the pool and those holding a
valid certification) and stores what it finds as ``RiskAlert`` rows. Each occurrence has a key (rule, enterprise
and the year or certification concerned), unique in the database, so a run repeated the same day, or the next
day, raises nothing twice, and an alert a reviewer closed stays closed for that occurrence. Reviewers close
alerts with a note (``close_alerts``); both write audit rows.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.audit import AuditAction, acting_as, build_entry, record_many
from enterprises.models import DECLARATION_GROUPS, Declaration, Enterprise, FinancialYear
from evaluation.versions import annual_update_deadline, ruleset_in_force

from .models import (
    OPEN_STATUSES,
    Application,
    ApplicationKind,
    ApplicationStatus,
    Certification,
    PoolEntry,
    RiskAlert,
)
from .pool import require_reviewer_for


@dataclass(frozen=True)
class Rule:
    code: str
    label: Any
    source: str
    params: dict[str, Any]
    find: Callable[[Rule, set[int], datetime.date], list[tuple[int, str, str, dict]]]  # (enterprise, key, msg, details)


def _revenue_down(rule: Rule, ids: set[int], on: datetime.date) -> list[tuple[int, str, str, dict]]:
    year = on.year - 1
    share = Decimal(str(rule.params["drop_at_least"]))
    rows = FinancialYear.objects.filter(enterprise_id__in=ids, year__in=(year, year - 1),
                                        operating_revenue__isnull=False)
    by: dict[int, dict[int, Decimal]] = {}
    for enterprise_id, y, revenue in rows.values_list("enterprise_id", "year", "operating_revenue"):
        by.setdefault(enterprise_id, {})[y] = revenue
    out = []
    for enterprise_id, figures in by.items():
        now, before = figures.get(year), figures.get(year - 1)
        if now is None or not before or before <= 0:
            continue
        drop = (before - now) / before
        if drop >= share:
            out.append((enterprise_id, f"revenue_down:{enterprise_id}:{year}",
                        _("Operating revenue fell %(pct)s%% in %(year)s (%(before)s → %(now)s 万元).")
                        % {"pct": round(drop * 100, 1), "year": year, "before": before, "now": now},
                        {"year": year, "before": str(before), "now": str(now)}))
    return out


def _compliance_flag(rule: Rule, ids: set[int], on: datetime.date) -> list[tuple[int, str, str, dict]]:
    year = on.year - 1
    flags = list(DECLARATION_GROUPS["compliance"].values())
    raised = Q()
    for name in flags:
        raised |= Q(**{name: True})
    out = []
    for row in Declaration.objects.filter(raised, enterprise_id__in=ids, year=year).values("enterprise_id", *flags):
        names = [f for f in flags if row[f]]
        out.append((row["enterprise_id"], f"compliance:{row['enterprise_id']}:{year}:{','.join(names)}",
                    _("Compliance flag raised in the %(year)s declaration: %(flags)s.")
                    % {"year": year, "flags": ", ".join(names)}, {"year": year, "flags": names}))
    return out


def _annual_update_missed(rule: Rule, ids: set[int], on: datetime.date) -> list[tuple[int, str, str, dict]]:
    deadline = annual_update_deadline(ruleset_in_force(on), on.year)
    if on <= deadline:
        return []
    year = on.year - 1
    certified = set(Certification.objects.valid_on(on).filter(enterprise_id__in=ids)
                    .values_list("enterprise_id", flat=True))
    late = (Enterprise.objects.filter(pk__in=certified)
            .exclude(Exists(Declaration.objects.filter(enterprise=OuterRef("pk"), year=year))))
    return [(pk, f"annual_update:{pk}:{on.year}",
             _("The %(year)s figures were not updated by the deadline %(deadline)s.")
             % {"year": year, "deadline": deadline.isoformat()}, {"year": year, "deadline": deadline.isoformat()})
            for pk in late.values_list("pk", flat=True)]


def _expiring_without_rereview(rule: Rule, ids: set[int], on: datetime.date) -> list[tuple[int, str, str, dict]]:
    rereview = Application.objects.filter(
        certification=OuterRef("pk"), kind=ApplicationKind.REREVIEW,
        status__in=[s.value for s in OPEN_STATUSES if s != ApplicationStatus.DRAFT])
    due = (Certification.objects.expiring_within(rule.params["days"], on).filter(enterprise_id__in=ids)
           .exclude(Exists(rereview)))
    return [(c.enterprise_id, f"expiring:{c.pk}:{c.expires_on.isoformat()}",
             _("The %(tier)s certification expires on %(day)s and no re-review has been filed.")
             % {"tier": c.get_tier_display(), "day": c.expires_on.isoformat()},
             {"certification": c.pk, "expires_on": c.expires_on.isoformat()}) for c in due]


RULES: tuple[Rule, ...] = (
    Rule("revenue_down", gettext_lazy("Operating revenue down on the year"),
         "Cultivation pool risk rule (issue 14): operating revenue down by at least 20% on the year",
         {"drop_at_least": "0.20"}, _revenue_down),
    Rule("compliance_flag", gettext_lazy("Compliance flag raised"),
         "criteria.md §1 compliance conditions (the declaration's compliance flags)", {}, _compliance_flag),
    Rule("annual_update_missed", gettext_lazy("Annual update missed"),
         "criteria.md §1.6, §2.5, §4.3: certified firms update their data every year by the deadline", {},
         _annual_update_missed),
    Rule("expiring_no_rereview", gettext_lazy("Expiring without a re-review"),
         "Cultivation pool risk rule (issue 14): expiring within 90 days without a re-review application",
         {"days": 90}, _expiring_without_rereview),
)
RULE_LABELS = {r.code: r.label for r in RULES}


def watched(on: datetime.date) -> set[int]:
    """The enterprises the rules look at: in the pool, or holding a valid certification."""
    pooled = set(PoolEntry.objects.on(on).values_list("enterprise_id", flat=True))
    return pooled | set(Certification.objects.valid_on(on).values_list("enterprise_id", flat=True))


def raise_alerts(on: datetime.date | None = None) -> int:
    """Run every rule and store the new occurrences (one transaction). Returns how many were raised."""
    on = on or timezone.localdate()
    with transaction.atomic():
        ids = watched(on)
        found = [(rule, hit) for rule in RULES for hit in rule.find(rule, ids, on)] if ids else []
        keys = {hit[1] for _rule, hit in found}
        known = set(RiskAlert.objects.filter(key__in=keys).values_list("key", flat=True))
        fresh = [RiskAlert(key=key[:120], enterprise_id=eid, rule=rule.code, message=message, details=details,
                           raised_on=on)
                 for rule, (eid, key, message, details) in found if key not in known]
        RiskAlert.objects.bulk_create(fresh, ignore_conflicts=True)
        stored = list(RiskAlert.objects.filter(key__in=[a.key for a in fresh], raised_on=on))
        record_many(build_entry(a, AuditAction.CREATE, after={"rule": a.rule, "key": a.key}, object_repr=a.key,
                                reason=_("Raised by the risk rules")) for a in stored)
        return len(stored)


def close_alerts(user: Any, alerts: list[RiskAlert], note: str) -> int:
    """Close open alerts with a note; all or none."""
    if not (note or "").strip():
        raise ValidationError({"note": _("Say how the risk was handled.")})
    with transaction.atomic(), acting_as(user, reason=note):
        rows = list(RiskAlert.objects.select_for_update().select_related("enterprise__region")
                    .filter(pk__in=[a.pk for a in alerts]).order_by("pk"))
        require_reviewer_for(user, [r.enterprise for r in rows])
        closed = [r for r in rows if r.closed_at is not None]
        if closed:
            raise ValidationError({"alert": [_("%(a)s is already closed.") % {"a": r} for r in closed]})
        now = timezone.now()
        RiskAlert.objects.filter(pk__in=[r.pk for r in rows]).update(closed_at=now, closed_by=user, close_note=note)
        record_many(build_entry(r, AuditAction.TRANSITION, before={"closed_at": None},
                                after={"closed_at": now.isoformat()}, reason=note) for r in rows)
        return len(rows)
