"""The review workflow as data: which stages each tier passes, and who may do what in which state.

One table (``RULES``) answers "who may do what, in which state, and where does it lead"; the services
(``registry/applications.py`` and the rest) consult it before every change, and the admin and the portal ask
``available_actions()`` which buttons to show. Nothing else decides a transition.

The stages per tier are configuration (``settings.REGISTRY["STAGES"]``), defaulting to the process in
criteria.md §1.7 (innovative SME: city → province → publicity), §2.6 and §3.4 (specialised SME, hidden
champion: county → city → province → publicity) and §4.4 / §5.1 (little giant, single champion:
county → city → province → recommended to MIIT, whose outcome a provincial reviewer records). A tier whose
ruleset asks for expert review (``expert_review`` in its data) passes ``expert_review`` after provincial review:
provincial staff draw the panel, the drawn experts score, and the provincial reviewer decides there.

A rule may name guards: functions (dotted paths) that refuse the step with the reason, e.g. an unresolved failed
on-site check blocks recommendation, and a provincial decision waits for the whole panel's scores.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.roles import reviewer_of
from enterprises.models import Membership
from evaluation.panels import expert_review
from evaluation.versions import get_ruleset_version

from .models import Application, ApplicationStatus

S = ApplicationStatus


class Action(models.TextChoices):
    SUBMIT = "submit", gettext_lazy("Submit")
    RESUBMIT = "resubmit", gettext_lazy("Resubmit")
    WITHDRAW = "withdraw", gettext_lazy("Withdraw")
    APPROVE = "approve", gettext_lazy("Approve")
    RETURN = "return", gettext_lazy("Return for correction")
    REJECT = "reject", gettext_lazy("Reject")
    OBJECT = "object", gettext_lazy("Record an objection")
    CLOSE_PUBLICITY = "close_publicity", gettext_lazy("Publicity closed without objection")
    NATIONAL_OUTCOME = "record_national_outcome", gettext_lazy("Record the national outcome")
    # Steps of a public objection, recorded in the application's history (``registry/objections.py``).
    OBJECTION_RAISED = "objection_raised", gettext_lazy("An objection was raised")
    OBJECTION_INVESTIGATING = "objection_investigating", gettext_lazy("The objection is under investigation")
    OBJECTION_UPHELD = "objection_upheld", gettext_lazy("The objection was upheld")
    OBJECTION_DISMISSED = "objection_dismissed", gettext_lazy("The objection was dismissed")
    DRAW_EXPERTS = "draw_experts", gettext_lazy("Draw the expert panel")
    SCORE = "submit_expert_score", gettext_lazy("Submit an expert score")


class Role(models.TextChoices):
    ENTERPRISE = "enterprise", gettext_lazy("Enterprise")
    COUNTY = "county", gettext_lazy("County reviewer")
    CITY = "city", gettext_lazy("City reviewer")
    PROVINCE = "province", gettext_lazy("Provincial reviewer")
    SYSTEM = "system", gettext_lazy("System")
    # A drawn expert, on the applications assigned to them (registry/experts.py).
    EXPERT = "expert", gettext_lazy("Expert")
    # Recorded in the history only: a superuser acting at a stage (no rule names it).
    SUPERUSER = "superuser", gettext_lazy("Superuser")


# Targets that depend on the tier's stages or on the decision itself.
FIRST_STAGE = "<first stage>"
NEXT_STAGE = "<next stage>"
OUTCOME = "<national outcome>"

# The reviewer level that acts in each review state.
STAGE_LEVEL: dict[str, str] = {
    S.COUNTY_REVIEW: Role.COUNTY,
    S.CITY_REVIEW: Role.CITY,
    S.PROVINCIAL_REVIEW: Role.PROVINCE,
    S.EXPERT_REVIEW: Role.PROVINCE,
    S.PUBLICITY: Role.PROVINCE,
    S.RECOMMENDED: Role.PROVINCE,
}
REVIEW_STAGES = (S.COUNTY_REVIEW, S.CITY_REVIEW, S.PROVINCIAL_REVIEW)
FINAL_STAGES = (S.PUBLICITY, S.RECOMMENDED)


@dataclass(frozen=True)
class Rule:
    """``role`` may take ``action`` on an application in ``state``; it then goes to ``target``."""

    action: str
    state: str
    role: str
    target: str
    reason_required: bool = False
    guards: tuple[str, ...] = ()


# Guards (dotted paths to functions of the application that raise ValidationError when the step must wait).
NO_FAILED_ONSITE_CHECK = "registry.onsite.require_no_unresolved_failure"
PANEL_COMPLETE = "registry.experts.require_complete_panel"


RULES: tuple[Rule, ...] = (
    # The enterprise
    Rule(Action.SUBMIT, S.DRAFT, Role.ENTERPRISE, FIRST_STAGE),
    Rule(Action.RESUBMIT, S.RETURNED, Role.ENTERPRISE, FIRST_STAGE),
    *(Rule(Action.WITHDRAW, state, Role.ENTERPRISE, S.WITHDRAWN)
      for state in (S.DRAFT, S.RETURNED, S.COUNTY_REVIEW, S.CITY_REVIEW, S.PROVINCIAL_REVIEW, S.EXPERT_REVIEW,
                    S.PUBLICITY)),
    # Reviewers, each at the level of the stage
    Rule(Action.APPROVE, S.COUNTY_REVIEW, Role.COUNTY, NEXT_STAGE, guards=(NO_FAILED_ONSITE_CHECK,)),
    Rule(Action.RETURN, S.COUNTY_REVIEW, Role.COUNTY, S.RETURNED, reason_required=True),
    Rule(Action.REJECT, S.COUNTY_REVIEW, Role.COUNTY, S.REJECTED, reason_required=True),
    Rule(Action.APPROVE, S.CITY_REVIEW, Role.CITY, NEXT_STAGE, guards=(NO_FAILED_ONSITE_CHECK,)),
    Rule(Action.RETURN, S.CITY_REVIEW, Role.CITY, S.RETURNED, reason_required=True),
    Rule(Action.REJECT, S.CITY_REVIEW, Role.CITY, S.REJECTED, reason_required=True),
    Rule(Action.APPROVE, S.PROVINCIAL_REVIEW, Role.PROVINCE, NEXT_STAGE, guards=(NO_FAILED_ONSITE_CHECK,)),
    Rule(Action.RETURN, S.PROVINCIAL_REVIEW, Role.PROVINCE, S.RETURNED, reason_required=True),
    Rule(Action.REJECT, S.PROVINCIAL_REVIEW, Role.PROVINCE, S.REJECTED, reason_required=True),
    # Expert review: provincial staff draw the panel, the drawn experts score blind, and the provincial
    # reviewer decides with the panel's result once every score is in.
    Rule(Action.DRAW_EXPERTS, S.EXPERT_REVIEW, Role.PROVINCE, S.EXPERT_REVIEW),
    Rule(Action.SCORE, S.EXPERT_REVIEW, Role.EXPERT, S.EXPERT_REVIEW),
    Rule(Action.APPROVE, S.EXPERT_REVIEW, Role.PROVINCE, NEXT_STAGE, guards=(PANEL_COMPLETE, NO_FAILED_ONSITE_CHECK)),
    Rule(Action.RETURN, S.EXPERT_REVIEW, Role.PROVINCE, S.RETURNED, reason_required=True),
    Rule(Action.REJECT, S.EXPERT_REVIEW, Role.PROVINCE, S.REJECTED, reason_required=True),
    # Publicity: an objection sends it back to provincial review; silence certifies it (the daily job).
    Rule(Action.OBJECT, S.PUBLICITY, Role.PROVINCE, S.PROVINCIAL_REVIEW, reason_required=True),
    Rule(Action.CLOSE_PUBLICITY, S.PUBLICITY, Role.SYSTEM, S.CERTIFIED),
    # National tiers: MIIT decides; a provincial reviewer records it (certified or rejected).
    Rule(Action.NATIONAL_OUTCOME, S.RECOMMENDED, Role.PROVINCE, OUTCOME),
)

# Reviewer decisions the API's ``decisions`` endpoint and the admin accept.
DECISIONS = (Action.APPROVE, Action.RETURN, Action.REJECT, Action.OBJECT)


def stages(tier: str, ruleset: Any = None) -> list[str]:
    """The review states ``tier`` passes through after submission, in order.

    ``expert_review`` is kept only when the ruleset (the application's, else the one in force) asks for it.
    """
    configured = settings.REGISTRY["STAGES"]
    if tier not in configured:
        raise ValidationError({"tier": _("No review stages are configured for %(tier)s.") % {"tier": tier}})
    ordered = list(configured[tier])
    if S.EXPERT_REVIEW in ordered and expert_review(ruleset or get_ruleset_version(), tier) is None:
        ordered.remove(S.EXPERT_REVIEW)
    return ordered


def first_stage(tier: str) -> str:
    return stages(tier)[0]


def next_stage(tier: str, current: str, ruleset: Any = None) -> str:
    """The stage after ``current`` for ``tier`` (the last review stage leads to publicity or recommended)."""
    ordered = stages(tier, ruleset)
    if current not in ordered or current == ordered[-1]:
        raise ValidationError({"status": _("%(state)s has no next stage for this tier.") % {"state": current}})
    return ordered[ordered.index(current) + 1]


def last_review_stage(tier: str) -> str:
    return [s for s in stages(tier) if s in REVIEW_STAGES][-1]


@cache
def _rules_by_key() -> dict[tuple[str, str], list[Rule]]:
    table: dict[tuple[str, str], list[Rule]] = {}
    for rule in RULES:
        table.setdefault((rule.action, rule.state), []).append(rule)
    return table


def rules_for(action: str, state: str) -> list[Rule]:
    return _rules_by_key().get((action, state), [])


def is_member(user: Any, application: Application) -> bool:
    """Whether ``user`` acts for the application's enterprise (cached per user and enterprise)."""
    if not getattr(user, "is_authenticated", False):
        return False
    cache_ = user.__dict__.setdefault("_membership_cache", {})
    if application.enterprise_id not in cache_:
        cache_[application.enterprise_id] = Membership.objects.filter(
            user=user, enterprise_id=application.enterprise_id
        ).exists()
    return cache_[application.enterprise_id]


def in_region(reviewer_region: Any, enterprise_region: Any) -> bool:
    return reviewer_region.contains(enterprise_region)


def roles_of(user: Any, application: Application) -> set[str]:
    """The roles ``user`` holds for this application.

    A member acts as the enterprise. A reviewer acts at their level when the enterprise lies in their region
    and they are not one of its members. A superuser acts at every level, unless they are a member.
    """
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return set()
    member = is_member(user, application)
    roles: set[str] = {Role.ENTERPRISE} if member or user.is_superuser else set()
    if member:
        return roles
    if user.is_superuser:
        return roles | {Role.COUNTY, Role.CITY, Role.PROVINCE}
    reviewer = reviewer_of(user)
    if reviewer is not None and user.is_staff and in_region(reviewer.region, application.enterprise.region):
        roles.add(reviewer.level)
    return roles


def choice_label(choices: type[models.TextChoices], value: str) -> str:
    """The readable label of a stored code (a history row's action, role or state); an unknown code as itself."""
    return choices(value).label if value in choices.values else value


def role_label(user: Any, application: Application, rule: Rule | None = None) -> str:
    """The role recorded in the history (a ``Role`` value) for ``user`` acting on ``application``."""
    if user is None:
        return Role.SYSTEM
    if user.is_superuser and not is_member(user, application):
        return Role.SUPERUSER
    if rule is not None:
        return rule.role
    reviewer = reviewer_of(user)
    return reviewer.level if reviewer is not None else Role.SUPERUSER


def check(user: Any, application: Application, action: str) -> Rule:
    """The rule allowing ``user`` to take ``action`` now, or the error saying why not.

    Raises ``ValidationError`` (the action does not apply in this state: 400) or ``PermissionDenied``
    (this user may not take it: 403).
    """
    if action not in Action.values:
        raise ValidationError({"action": _("Unknown action %(action)s.") % {"action": action}})
    rules = rules_for(action, application.status)
    if not rules:
        raise ValidationError({"action": _("Cannot %(action)s an application in the %(state)s state.") % {
            "action": Action(action).label, "state": ApplicationStatus(application.status).label}})
    roles = roles_of(user, application)
    if any(rule.role == Role.EXPERT for rule in rules) and is_assigned_expert(user, application):
        roles.add(Role.EXPERT)
    for rule in rules:
        if rule.role in roles:
            for guard in rule.guards:
                import_string(guard)(application)
            return rule
    raise PermissionDenied(_refusal(user, application, rules))


def is_assigned_expert(user: Any, application: Application) -> bool:
    """Whether ``user`` sits on the application's current expert panel (never one of its members)."""
    if not getattr(user, "is_authenticated", False) or not user.is_active or is_member(user, application):
        return False
    return import_string("registry.experts.is_on_current_panel")(user, application)


def _refusal(user: Any, application: Application, rules: list[Rule]) -> str:
    needed = {rule.role for rule in rules}
    if needed == {Role.SYSTEM}:
        return _("Only the scheduled job takes this step.")
    if needed == {Role.ENTERPRISE}:
        return _("Only the enterprise's own users may do this.")
    if needed == {Role.EXPERT}:
        return _("Only the experts drawn for this application may score it.")
    if is_member(user, application):
        return _("You are a member of this enterprise and cannot review its application.")
    reviewer = reviewer_of(user)
    if reviewer is None or not user.is_staff:
        return _("Only reviewers may decide on applications.")
    if not in_region(reviewer.region, application.enterprise.region):
        return _("This enterprise is outside your region.")
    return _("This stage is decided at %(level)s level, not by a %(yours)s reviewer.") % {
        "level": ", ".join(str(Role(r).label) for r in sorted(needed)), "yours": reviewer.get_level_display()}


def available_actions(application: Application, user: Any) -> list[str]:
    """The actions ``user`` may take on ``application`` now (for the admin's buttons and the portal)."""
    roles = roles_of(user, application)
    if application.status == S.EXPERT_REVIEW and is_assigned_expert(user, application):
        roles.add(Role.EXPERT)
    return [
        rule.action
        for rule in RULES
        if rule.state == application.status and rule.role in roles and rule.role != Role.SYSTEM
    ]


def queue_states(user: Any) -> list[str]:
    """The states a reviewer works on: their stage's queue (every review state for a superuser)."""
    if getattr(user, "is_superuser", False):
        return list(STAGE_LEVEL)
    reviewer = reviewer_of(user)
    if reviewer is None:
        return []
    return [state for state, level in STAGE_LEVEL.items() if level == reviewer.level]


def check_system(application: Application, action: str) -> Rule:
    """The rule letting the scheduler take ``action`` now (no user: the daily job), or a ``ValidationError``."""
    for rule in rules_for(action, application.status):
        if rule.role == Role.SYSTEM:
            return rule
    raise ValidationError({"status": _("Cannot %(action)s an application in the %(state)s state.") % {
        "action": Action(action).label, "state": ApplicationStatus(application.status).label}})
