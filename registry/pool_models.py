"""The cultivation pool (培育库): enterprises groomed for a tier, the proposals that put them there, the support
given to them (帮扶台账), risk alerts on them, and each region's targets.

Kept apart from ``registry/models.py`` (which imports this module at its end) and tied to it only by string
foreign keys. Every row is written by the services ``registry.pool``, ``registry.support``, ``registry.alerts``
and ``registry.targets``; the admin calls them.

A pool entry is never edited away: leaving the pool closes the entry with a date and a reason, so the pool of
any past date is the entries entered on or before it and not yet exited on it.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.audit import AuditedModel
from core.roles import RestrictedQuerySet
from enterprises.models import Tier

__all__ = [
    "Plan", "PoolEntry", "PoolExitReason", "PoolProposal", "ProposalStatus", "RiskAlert", "SupportKind",
    "SupportRecord", "Target", "TargetSemantics",
]

# --- pool entries ------------------------------------------------------------------------------------------

class PoolExitReason(models.TextChoices):
    CERTIFIED = "certified", _("Certified for the tier")
    NOT_CANDIDATE = "not_candidate", _("No longer a candidate")
    MERGED_CLOSED = "merged_closed", _("Merged or closed")
    REMOVED = "removed", _("Removed by a reviewer")


class PoolEntryQuerySet(RestrictedQuerySet):
    enterprise_path = "enterprise"

    def current(self) -> PoolEntryQuerySet:
        return self.filter(exited_on__isnull=True)

    def on(self, day: datetime.date) -> PoolEntryQuerySet:
        """The entries in the pool on ``day``: entered on or before it, not exited by then."""
        return self.filter(Q(exited_on__isnull=True) | Q(exited_on__gt=day), entered_on__lte=day)


class PoolEntry(AuditedModel):
    """One stay of an enterprise in the pool for one tier, from entry to exit."""

    enterprise = models.ForeignKey(
        "enterprises.Enterprise", on_delete=models.PROTECT, related_name="pool_entries", verbose_name=_("enterprise")
    )
    tier = models.CharField(_("tier"), max_length=20, choices=Tier.choices)
    entered_on = models.DateField(_("entered on"), editable=False)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("entered by"), editable=False,
    )
    entry_rule = models.CharField(
        _("entry rule"), max_length=60, blank=True, editable=False,
        help_text=_("The discovery rule that proposed the entry, when it came from a proposal."),
    )
    entry_reason = models.TextField(_("entry reason"), editable=False)
    exited_on = models.DateField(_("exited on"), null=True, blank=True, editable=False)
    exited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("exited by"), editable=False,
    )
    exit_reason = models.CharField(
        _("exit reason"), max_length=16, choices=PoolExitReason.choices, blank=True, editable=False
    )
    exit_note = models.TextField(_("exit note"), blank=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = PoolEntryQuerySet.as_manager()

    audit_fields = ("enterprise_id", "tier", "entered_on", "entry_rule", "entry_reason", "exited_on",
                    "exit_reason", "exit_note")

    class Meta:
        ordering = ["-entered_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["enterprise", "tier"], condition=Q(exited_on__isnull=True), name="one_open_pool_entry_per_tier"
            ),
            models.CheckConstraint(
                condition=Q(exited_on__isnull=True) | Q(exited_on__gte=models.F("entered_on")),
                name="pool_exit_after_entry",
            ),
        ]
        indexes = [models.Index(fields=["tier", "entered_on"])]
        verbose_name = _("pool entry")
        verbose_name_plural = _("cultivation pool")

    def __str__(self) -> str:
        return f"{self.enterprise} — {self.get_tier_display()} ({self.entered_on})"

    @property
    def is_current(self) -> bool:
        return self.exited_on is None


class ProposalStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    ACCEPTED = "accepted", _("Accepted into the pool")
    DISMISSED = "dismissed", _("Dismissed")
    NOT_CONCRETE = "not_concrete", _("Withdrawn: the advice is not concrete")


class PoolProposalQuerySet(RestrictedQuerySet):
    enterprise_path = "enterprise"

    def pending(self) -> PoolProposalQuerySet:
        return self.filter(status=ProposalStatus.PENDING)

    def visible(self) -> PoolProposalQuerySet:
        """What reviewers decide on: proposals whose advice is in (the rest are still being advised)."""
        return self.exclude(status=ProposalStatus.PENDING, advised=False)


class PoolProposal(AuditedModel):
    """An enterprise found near a tier it does not hold (proactive discovery), with the engine's advice for it.

    ``input_digest`` is the digest of the figures it was judged on: a dismissed proposal is proposed again only
    when a later assessment of the enterprise carries another digest (its figures changed).

    The advice is the costly part (the engine plans it over several evaluations, and says it is not meant for
    bulk runs), so a re-score chunk proposes with ``advised`` false and ``registry.pool.advise_proposals`` adds
    it afterwards in bounded batches; a proposal whose rule asks for concrete advice and whose advice is not
    concrete is then withdrawn (``not_concrete``), and like a dismissal waits for new figures.
    """

    enterprise = models.ForeignKey(
        "enterprises.Enterprise", on_delete=models.CASCADE, related_name="pool_proposals",
        verbose_name=_("enterprise"),
    )
    tier = models.CharField(_("tier"), max_length=20, choices=Tier.choices)
    year = models.PositiveSmallIntegerField(_("figures year"))
    ruleset = models.ForeignKey(
        "evaluation.RulesetVersion", on_delete=models.PROTECT, related_name="+", verbose_name=_("ruleset")
    )
    input_digest = models.CharField(_("input digest"), max_length=64, editable=False)
    rule = models.CharField(_("near rule"), max_length=60, editable=False)
    score = models.DecimalField(_("score"), max_digits=6, decimal_places=2, null=True, blank=True, editable=False)
    pass_mark = models.DecimalField(
        _("pass mark"), max_digits=6, decimal_places=2, null=True, blank=True, editable=False
    )
    unmet = models.JSONField(_("unmet rules"), default=list, editable=False)
    advice = models.JSONField(_("advice"), default=list, editable=False)
    advised = models.BooleanField(_("advice computed"), default=False, editable=False)
    job_id = models.BigIntegerField(_("re-score job"), null=True, blank=True, editable=False)
    status = models.CharField(
        _("status"), max_length=12, choices=ProposalStatus.choices, default=ProposalStatus.PENDING, editable=False,
        db_index=True,
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True, editable=False)
    decision_note = models.TextField(_("decision note"), blank=True, editable=False)
    created_at = models.DateTimeField(_("proposed"), default=timezone.now, editable=False)

    objects = PoolProposalQuerySet.as_manager()

    audit_fields = ("enterprise_id", "tier", "year", "input_digest", "rule", "status", "decision_note")

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["enterprise", "tier"], condition=Q(status="pending"), name="one_pending_pool_proposal"
            ),
        ]
        indexes = [
            models.Index(fields=["enterprise", "tier", "input_digest"]),
            models.Index(fields=["id"], condition=Q(advised=False), name="pool_proposal_to_advise"),
        ]
        verbose_name = _("pool proposal")
        verbose_name_plural = _("pool proposals")

    def __str__(self) -> str:
        return f"{self.enterprise} — {self.get_tier_display()}"


# --- support ledger ---------------------------------------------------------------------------------------------

class SupportKind(models.Model):
    """A kind of support (visit, training, financing match, ...): a list the registry staff manage."""

    code = models.SlugField(_("code"), max_length=30, unique=True)
    name = models.CharField(_("name"), max_length=60)
    active = models.BooleanField(_("in use"), default=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["order", "code"]
        verbose_name = _("support kind")
        verbose_name_plural = _("support kinds")

    def __str__(self) -> str:
        return self.name


class SupportRecordQuerySet(RestrictedQuerySet):
    enterprise_path = "enterprise"

    def public(self) -> SupportRecordQuerySet:
        return self.filter(internal=False)

    def due(self, on: datetime.date | None = None) -> SupportRecordQuerySet:
        """Follow-ups whose date has come and that nobody has recorded as done."""
        return self.filter(follow_up_on__lte=on or timezone.localdate(), follow_up_done=False)


class SupportRecord(AuditedModel):
    """One visit or support action for a pooled enterprise (a line of the 帮扶台账)."""

    enterprise = models.ForeignKey(
        "enterprises.Enterprise", on_delete=models.PROTECT, related_name="support_records",
        verbose_name=_("enterprise"),
    )
    pool_entry = models.ForeignKey(
        PoolEntry, null=True, blank=True, on_delete=models.PROTECT, related_name="support_records",
        verbose_name=_("pool entry"),
    )
    kind = models.ForeignKey(SupportKind, on_delete=models.PROTECT, related_name="+", verbose_name=_("kind"))
    happened_on = models.DateField(_("date"))
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("recorded by"), editable=False,
    )
    by_label = models.CharField(_("by"), max_length=150, help_text=_("Who gave the support (officials, experts)."))
    what = models.TextField(_("what was done"))
    follow_up_on = models.DateField(_("follow-up date"), null=True, blank=True)
    follow_up_done = models.BooleanField(_("follow-up done"), default=False, editable=False)
    outcome = models.TextField(_("outcome"), blank=True)
    internal = models.BooleanField(
        _("internal"), default=False, help_text=_("Internal notes are never shown to the enterprise.")
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = SupportRecordQuerySet.as_manager()

    audit_fields = ("enterprise_id", "pool_entry_id", "kind_id", "happened_on", "by_label", "what", "follow_up_on",
                    "follow_up_done", "outcome", "internal")

    class Meta:
        ordering = ["-happened_on", "-id"]
        indexes = [models.Index(fields=["follow_up_done", "follow_up_on"])]
        verbose_name = _("support record")
        verbose_name_plural = _("support ledger")

    def __str__(self) -> str:
        return f"{self.enterprise} — {self.kind} ({self.happened_on})"


# --- risk alerts ------------------------------------------------------------------------------------------------

class RiskAlertQuerySet(RestrictedQuerySet):
    enterprise_path = "enterprise"

    def open(self) -> RiskAlertQuerySet:
        return self.filter(closed_at__isnull=True)


class RiskAlert(AuditedModel):
    """A risk found on a pooled or certified enterprise by one of the alert rules (``registry.alerts.RULES``).

    ``key`` names the occurrence (rule, enterprise, and the year or certification it is about), so a rule run
    twice raises it once, and a closed alert is not raised again for the same occurrence.
    """

    key = models.CharField(_("key"), max_length=120, unique=True, editable=False)
    enterprise = models.ForeignKey(
        "enterprises.Enterprise", on_delete=models.CASCADE, related_name="risk_alerts", verbose_name=_("enterprise")
    )
    rule = models.CharField(_("rule"), max_length=30, editable=False)
    message = models.TextField(_("message"), editable=False)
    details = models.JSONField(_("details"), default=dict, editable=False)
    raised_on = models.DateField(_("raised on"), editable=False)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True, editable=False)
    closed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", editable=False
    )
    close_note = models.TextField(_("closing note"), blank=True, editable=False)

    objects = RiskAlertQuerySet.as_manager()

    audit_fields = ("key", "enterprise_id", "rule", "raised_on", "closed_at", "close_note")

    class Meta:
        ordering = ["-raised_on", "-id"]
        verbose_name = _("risk alert")
        verbose_name_plural = _("risk alerts")

    def __str__(self) -> str:
        return f"{self.enterprise} — {self.rule}"


# --- targets ----------------------------------------------------------------------------------------------------

class Plan(AuditedModel):
    """A cultivation plan: a name and the years it covers (e.g. 2021–2025)."""

    name = models.CharField(_("name"), max_length=100, unique=True)
    first_year = models.PositiveSmallIntegerField(_("first year"))
    last_year = models.PositiveSmallIntegerField(_("last year"))
    source = models.CharField(_("source"), max_length=200, blank=True)

    audit_fields = ("name", "first_year", "last_year", "source")

    class Meta:
        ordering = ["-last_year", "name"]
        constraints = [
            models.CheckConstraint(condition=Q(last_year__gte=models.F("first_year")), name="plan_period_order"),
        ]
        verbose_name = _("plan")
        verbose_name_plural = _("plans")

    def __str__(self) -> str:
        return f"{self.name} ({self.first_year}–{self.last_year})"

    @property
    def starts_on(self) -> datetime.date:
        return datetime.date(self.first_year, 1, 1)

    @property
    def ends_on(self) -> datetime.date:
        return datetime.date(self.last_year, 12, 31)


class TargetSemantics(models.TextChoices):
    CUMULATIVE = "cumulative", _("Cumulative: ever certified within the period")
    ACTIVE = "active", _("Active: certification valid at the date")
    NEW = "new", _("New: first certified within the period")


class Target(AuditedModel):
    """How many enterprises of a tier a region should reach by the end of a plan, and what counts."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="targets", verbose_name=_("plan"))
    region = models.ForeignKey(
        "enterprises.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("region")
    )
    tier = models.CharField(_("tier"), max_length=20, choices=Tier.choices)
    semantics = models.CharField(
        _("counts"), max_length=12, choices=TargetSemantics.choices, default=TargetSemantics.ACTIVE
    )
    value = models.PositiveIntegerField(_("target"))

    audit_fields = ("plan_id", "region_id", "tier", "semantics", "value")

    class Meta:
        ordering = ["plan", "region", "tier"]
        constraints = [models.UniqueConstraint(fields=["plan", "region", "tier"], name="unique_plan_target")]
        verbose_name = _("target")
        verbose_name_plural = _("targets")

    def __str__(self) -> str:
        return f"{self.plan.name} {self.region_id} {self.get_tier_display()}: {self.value}"
