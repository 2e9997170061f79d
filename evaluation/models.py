"""Rulesets as stored, immutable versions, and the stored results of evaluating enterprises under them."""

from __future__ import annotations

import datetime
import hashlib
import json
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.roles import RestrictedQuerySet
from enterprises.models import Tier


def canonical_digest(data: Any) -> str:
    """SHA-256 of the canonical JSON of ``data``: the same content always gives the same digest."""
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


class RulesetVersionQuerySet(models.QuerySet):
    def published(self) -> RulesetVersionQuerySet:
        return self.filter(is_draft=False)

    def latest_of(self, code: str) -> RulesetVersion | None:
        return self.published().filter(code=code).order_by("-version").first()

    def in_force(self, on: datetime.date | None = None) -> RulesetVersion | None:
        """The newest published version whose ruleset took effect on or before ``on``."""
        on = on or timezone.localdate()
        return self.published().filter(effective_from__lte=on).order_by("-effective_from", "-version").first()


class RulesetVersion(models.Model):
    """One immutable version of a ruleset's data. Once an assessment uses it, its data can no longer change:
    changing a rule means a new version, and old assessments keep pointing at the version that judged them."""

    code = models.CharField(_("code"), max_length=40)
    version = models.PositiveIntegerField(_("version"), default=1)
    title = models.CharField(_("title"), max_length=200)
    effective_from = models.DateField(_("effective from"))
    data = models.JSONField(_("rules"))
    digest = models.CharField(_("digest"), max_length=64, editable=False)
    is_draft = models.BooleanField(
        _("draft"), default=False, help_text=_("Drafts are for policy simulation only and never judge an application.")
    )
    based_on = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="derived", verbose_name=_("based on")
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    first_used_at = models.DateTimeField(_("first used"), null=True, blank=True, editable=False)

    objects = RulesetVersionQuerySet.as_manager()

    class Meta:
        ordering = ["code", "-version"]
        constraints = [models.UniqueConstraint(fields=["code", "version"], name="unique_ruleset_version")]
        verbose_name = _("ruleset version")
        verbose_name_plural = _("ruleset versions")

    def __str__(self) -> str:
        return f"{self.code} v{self.version}" + (" (draft)" if self.is_draft else "")

    @property
    def label(self) -> str:
        return str(self)

    def save(self, *args: Any, **kwargs: Any) -> None:
        digest = canonical_digest(self.data)
        if self.pk and self.first_used_at is not None:
            stored = RulesetVersion.objects.filter(pk=self.pk).values_list("digest", "code", "version").first()
            if stored and (stored[0] != digest or stored[1:] != (self.code, self.version)):
                raise ValidationError(
                    {"data": _("%(ruleset)s has judged assessments and cannot change; create a new version.")
                     % {"ruleset": str(self)}}
                )
        self.digest = digest
        super().save(*args, **kwargs)

    def mark_used(self) -> None:
        """Freeze this version: called when the first assessment or application is stored under it."""
        if self.first_used_at is None:
            RulesetVersion.objects.filter(pk=self.pk, first_used_at__isnull=True).update(first_used_at=timezone.now())
            self.first_used_at = timezone.now()



class ProfileSnapshot(models.Model):
    """An evaluation input, stored once per distinct content and shared by every assessment that used it."""

    digest = models.CharField(_("digest"), max_length=64, primary_key=True)
    data = models.JSONField(_("profile"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("profile snapshot")
        verbose_name_plural = _("profile snapshots")

    def __str__(self) -> str:
        return self.digest[:12]


class AssessmentStatus(models.TextChoices):
    PASSED = "passed", _("Passed")
    FAILED = "failed", _("Failed")
    PENDING = "pending", _("Pending")


class AssessmentQuerySet(RestrictedQuerySet):
    enterprise_path = "enterprise"

    def current(self) -> AssessmentQuerySet:
        """The newest assessment per (enterprise, tier): latest year, then latest evaluation."""
        return self.order_by("enterprise_id", "tier", "-year", "-evaluated_at")


class Assessment(models.Model):
    """The stored result of evaluating one enterprise for one tier, one year, under one ruleset version.

    Unique per (enterprise, year, ruleset version, tier): re-running upserts instead of duplicating.
    ``result`` holds the engine's full tier result (indicators, unmet rules, prerequisites, advice).
    """

    # No index of its own: ``unique_assessment`` starts with the enterprise, and every index costs each
    # re-scored row a write. Neither foreign key has a constraint in the database: checking them at commit is a
    # locking read per key for every row written (five rows per enterprise), a fifth of a first scoring's time
    # for the ruleset alone, whose one row every worker's chunk locks. Rows are written only by the evaluation
    # services, which read the enterprise and the published version first; deleting goes through the ORM, which
    # still cascades from the enterprise and refuses (``PROTECT``) a ruleset in use, and a version is frozen once
    # used (``mark_used``).
    enterprise = models.ForeignKey(
        "enterprises.Enterprise", on_delete=models.CASCADE, related_name="assessments", verbose_name=_("enterprise"),
        db_index=False, db_constraint=False,
    )
    year = models.PositiveSmallIntegerField(_("year"))
    ruleset = models.ForeignKey(
        RulesetVersion, on_delete=models.PROTECT, related_name="assessments", verbose_name=_("ruleset"),
        db_constraint=False,
    )
    tier = models.CharField(_("tier"), max_length=20, choices=Tier.choices)
    status = models.CharField(_("status"), max_length=8, choices=AssessmentStatus.choices)
    passed = models.BooleanField(_("passed"))
    route = models.CharField(_("route"), max_length=12, blank=True)
    score = models.DecimalField(_("score"), max_digits=6, decimal_places=2, null=True, blank=True)
    max_score = models.DecimalField(_("maximum score"), max_digits=6, decimal_places=2, null=True, blank=True)
    result = models.JSONField(_("breakdown"))
    input_digest = models.CharField(_("input digest"), max_length=64)
    # The enterprise's ``figures_version`` this result judged (re-scoring only; null for a live evaluation).
    figures_version = models.BigIntegerField(_("figures version"), null=True, blank=True)
    evaluated_at = models.DateTimeField(_("evaluated"), default=timezone.now)
    job_id = models.BigIntegerField(_("re-score job"), null=True, blank=True, db_index=True)

    objects = AssessmentQuerySet.as_manager()

    # What a new evaluation of the same (enterprise, year, ruleset, tier) replaces.
    RESULT_FIELDS = ["status", "passed", "route", "score", "max_score", "result", "input_digest",
                     "figures_version", "evaluated_at", "job_id"]

    class Meta:
        ordering = ["enterprise", "-year", "tier"]
        constraints = [
            models.UniqueConstraint(fields=["enterprise", "year", "ruleset", "tier"], name="unique_assessment"),
        ]
        indexes = [models.Index(fields=["tier", "status"])]
        verbose_name = _("assessment")
        verbose_name_plural = _("assessments")

    def __str__(self) -> str:
        return f"{self.enterprise_id} {self.year} {self.tier}: {self.status}"



class RescoreScope(models.TextChoices):
    ALL = "all", _("All enterprises")
    REGION = "region", _("One region")
    TIER = "tier", _("Holders of one tier")
    CHANGED = "changed", _("Enterprises whose figures changed")


class RescoreStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    CANCELLED = "cancelled", _("Cancelled")


class RescoreJob(models.Model):
    """One re-score run over a set of enterprises, split into chunks that workers take independently.

    ``done`` and ``failed`` count enterprises: the sums over the chunks recorded as done, each of which is
    recorded once, so the counts stay right when a chunk task runs twice or a killed worker's chunk is re-queued.
    They are brought up to date after each chunk commits, outside its transaction, so that workers never queue
    on the job's row; they are exact once the job is done.
    """

    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("started by"),
    )
    label = models.CharField(_("started by (label)"), max_length=150,
                             help_text=_("The user, command or schedule entry that started the job."))
    scope = models.CharField(_("scope"), max_length=8, choices=RescoreScope.choices)
    scope_value = models.CharField(_("region or tier"), max_length=20, blank=True)
    ruleset = models.ForeignKey(RulesetVersion, on_delete=models.PROTECT, related_name="+", verbose_name=_("ruleset"))
    year = models.PositiveSmallIntegerField(_("figures year"))
    chunk_size = models.PositiveIntegerField(_("chunk size"), default=1000)
    total = models.PositiveIntegerField(_("enterprises"), default=0)
    done = models.PositiveIntegerField(_("done"), default=0)
    failed = models.PositiveIntegerField(_("failed"), default=0)
    status = models.CharField(_("status"), max_length=10, choices=RescoreStatus.choices,
                              default=RescoreStatus.QUEUED, db_index=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    updated_at = models.DateTimeField(_("last progress"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("re-score job")
        verbose_name_plural = _("re-score jobs")

    def __str__(self) -> str:
        return _("Re-score #%(id)s (%(scope)s)") % {"id": self.pk, "scope": self.scope_label}

    @property
    def scope_label(self) -> str:
        label = str(self.get_scope_display())
        return f"{label}: {self.scope_value}" if self.scope_value else label

    @property
    def progress(self) -> int:
        """Per cent of enterprises handled (passed or failed)."""
        if not self.total:
            return 100 if self.status == RescoreStatus.DONE else 0
        return min(100, (self.done * 100) // self.total)


class RescoreChunk(models.Model):
    """A bounded slice of a job's enterprises, in id order. ``done`` is set in the same transaction that stores
    the chunk's assessments, so a chunk is either wholly stored and counted or not at all."""

    job = models.ForeignKey(RescoreJob, on_delete=models.CASCADE, related_name="chunks", verbose_name=_("job"))
    number = models.PositiveIntegerField(_("number"))
    enterprise_ids = models.JSONField(_("enterprise ids"))
    size = models.PositiveIntegerField(_("size"))
    done = models.BooleanField(_("done"), default=False, db_index=True)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    scored = models.PositiveIntegerField(_("scored"), default=0)
    failed = models.PositiveIntegerField(_("failed"), default=0)

    class Meta:
        ordering = ["job_id", "number"]
        constraints = [models.UniqueConstraint(fields=["job", "number"], name="unique_rescore_chunk")]
        verbose_name = _("re-score chunk")
        verbose_name_plural = _("re-score chunks")

    def __str__(self) -> str:
        return f"{self.job_id}/{self.number}"


class RescoreError(models.Model):
    """Why one enterprise could not be re-scored in a job (e.g. no declaration for the year)."""

    job = models.ForeignKey(RescoreJob, on_delete=models.CASCADE, related_name="errors", verbose_name=_("job"))
    enterprise = models.ForeignKey(
        "enterprises.Enterprise", on_delete=models.CASCADE, related_name="+", verbose_name=_("enterprise")
    )
    field = models.CharField(_("field"), max_length=100, blank=True)
    message = models.TextField(_("message"))
    created_at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        ordering = ["job_id", "enterprise_id"]
        constraints = [models.UniqueConstraint(fields=["job", "enterprise"], name="unique_rescore_error")]
        verbose_name = _("re-score error")
        verbose_name_plural = _("re-score errors")

    def __str__(self) -> str:
        return f"{self.enterprise_id}: {self.message}"


class SimulationStatus(models.TextChoices):
    PENDING = "pending", _("Waiting")
    RUNNING = "running", _("Running")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class SimulationJob(models.Model):
    """A policy simulation: every enterprise in scope evaluated under two rulesets, nothing stored as an assessment.

    Only the differences are kept (``SimulationChange``), with per-tier and per-city totals in ``summary``.
    """

    base = models.ForeignKey(
        RulesetVersion, on_delete=models.PROTECT, related_name="+", verbose_name=_("current ruleset")
    )
    candidate = models.ForeignKey(
        RulesetVersion, on_delete=models.PROTECT, related_name="+", verbose_name=_("proposed ruleset")
    )
    year = models.PositiveSmallIntegerField(_("figures year"))
    region_code = models.CharField(
        _("region"), max_length=6, blank=True, help_text=_("Empty: the whole province.")
    )
    status = models.CharField(
        _("status"), max_length=8, choices=SimulationStatus.choices, default=SimulationStatus.PENDING
    )
    total = models.PositiveIntegerField(_("enterprises"), default=0)
    processed = models.PositiveIntegerField(_("processed"), default=0)
    skipped = models.PositiveIntegerField(
        _("skipped"), default=0, help_text=_("Enterprises without a declaration or figures for the year.")
    )
    summary = models.JSONField(_("summary"), default=dict, blank=True)
    error = models.TextField(_("error"), blank=True)
    task_id = models.CharField(_("task id"), max_length=64, blank=True)
    worker = models.CharField(_("worker"), max_length=200, blank=True, help_text=_("Empty: run inline."))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("policy simulation")
        verbose_name_plural = _("policy simulations")

    def __str__(self) -> str:
        return f"#{self.pk} {self.base} → {self.candidate} ({self.year})"

    @property
    def percent(self) -> int:
        if self.status == SimulationStatus.DONE:
            return 100
        return int(100 * self.processed / self.total) if self.total else 0


class SimulationChangeKind(models.TextChoices):
    GAIN = "gain", _("Would gain")
    LOSS = "loss", _("Would lose")


class SimulationChange(models.Model):
    """One enterprise whose result for one tier differs between the two rulesets of a simulation."""

    job = models.ForeignKey(SimulationJob, on_delete=models.CASCADE, related_name="changes",
                            verbose_name=_("simulation"))
    enterprise = models.ForeignKey(
        "enterprises.Enterprise", on_delete=models.CASCADE, related_name="+", verbose_name=_("enterprise")
    )
    city_code = models.CharField(_("city code"), max_length=6, blank=True)
    tier = models.CharField(_("tier"), max_length=20, choices=Tier.choices)
    kind = models.CharField(_("change"), max_length=4, choices=SimulationChangeKind.choices)
    base_score = models.DecimalField(_("score now"), max_digits=6, decimal_places=2, null=True, blank=True)
    candidate_score = models.DecimalField(
        _("score under the proposal"), max_digits=6, decimal_places=2, null=True, blank=True
    )

    class Meta:
        ordering = ["job", "tier", "kind", "enterprise_id"]
        constraints = [
            models.UniqueConstraint(fields=["job", "enterprise", "tier"], name="unique_simulation_change"),
        ]
        verbose_name = _("simulated change")
        verbose_name_plural = _("simulated changes")

    def __str__(self) -> str:
        return f"{self.enterprise_id} {self.tier} {self.kind}"
