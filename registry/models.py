"""Applications for a tier, their review history and evidence, the certifications they grant, city quotas,
demotion proposals and notifications.

Status fields here are written only by the registry's services (``applications``, ``certifications``,
``quotas``, ``evidence``, ``notifications``); the workflow (which role at
which level may act in which state, and what each action does) is data in ``registry/workflow.py``.
"""

from __future__ import annotations

import datetime
from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core.audit import AuditedModel
from core.roles import RestrictedQuerySet
from enterprises.models import Tier


class ApplicationStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    COUNTY_REVIEW = "county_review", _("County review")
    CITY_REVIEW = "city_review", _("City review")
    PROVINCIAL_REVIEW = "provincial_review", _("Provincial review")
    EXPERT_REVIEW = "expert_review", _("Expert review")
    PUBLICITY = "publicity", _("Publicity")
    CERTIFIED = "certified", _("Certified")
    RECOMMENDED = "recommended", _("Recommended to MIIT")
    RETURNED = "returned", _("Returned for correction")
    REJECTED = "rejected", _("Rejected")
    WITHDRAWN = "withdrawn", _("Withdrawn")


OPEN_STATUSES = (
    ApplicationStatus.DRAFT, ApplicationStatus.COUNTY_REVIEW, ApplicationStatus.CITY_REVIEW,
    ApplicationStatus.PROVINCIAL_REVIEW, ApplicationStatus.EXPERT_REVIEW, ApplicationStatus.PUBLICITY,
    ApplicationStatus.RECOMMENDED, ApplicationStatus.RETURNED,
)
REVIEW_STATUSES = (
    ApplicationStatus.COUNTY_REVIEW, ApplicationStatus.CITY_REVIEW, ApplicationStatus.PROVINCIAL_REVIEW,
    ApplicationStatus.EXPERT_REVIEW, ApplicationStatus.PUBLICITY, ApplicationStatus.RECOMMENDED,
)


class ApplicationKind(models.TextChoices):
    NEW = "new", _("New application")
    REREVIEW = "rereview", _("Re-review (复核)")


class ApplicationQuerySet(RestrictedQuerySet):
    enterprise_path = "enterprise"

    def open(self) -> ApplicationQuerySet:
        return self.filter(status__in=OPEN_STATUSES)



class Application(AuditedModel):
    enterprise = models.ForeignKey(
        "enterprises.Enterprise", on_delete=models.PROTECT, related_name="applications", verbose_name=_("enterprise")
    )
    tier = models.CharField(_("tier"), max_length=20, choices=Tier.choices)
    year = models.PositiveSmallIntegerField(_("figures year"))
    kind = models.CharField(_("kind"), max_length=10, choices=ApplicationKind.choices, default=ApplicationKind.NEW)
    status = models.CharField(
        _("status"), max_length=20, choices=ApplicationStatus.choices, default=ApplicationStatus.DRAFT,
        editable=False, db_index=True,
    )
    certification = models.ForeignKey(
        "Certification", null=True, blank=True, on_delete=models.PROTECT, related_name="applications",
        verbose_name=_("certification"),
        help_text=_("For a re-review, the certification under review; once certified, the certification granted."),
    )
    together_with = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("applied together with"),
        help_text=_("The prerequisite-tier application filed at the same time (Zhejiang allows this)."),
    )
    # The assessment made at submission, frozen with the application (re-scoring never changes it).
    ruleset = models.ForeignKey(
        "evaluation.RulesetVersion", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("ruleset"),
    )
    assessment = models.JSONField(_("assessment at submission"), null=True, blank=True, editable=False)
    input_digest = models.CharField(_("input digest"), max_length=64, blank=True, editable=False)
    flagged = models.BooleanField(
        _("flagged"), default=False, editable=False, help_text=_("The assessment at submission did not pass.")
    )
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True, editable=False)
    publicity_ends_on = models.DateField(_("publicity ends"), null=True, blank=True, editable=False)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    # Follow-up work (notifications, re-score) queued after commit; a periodic sweep re-queues what is not done.
    followup_done = models.BooleanField(default=True, editable=False, db_index=True)
    # When it entered its current status: the newest history entry into that status (``ApplicationEvent.save``
    # keeps it), so the deadlines and the dashboard's overdue count read a column, not the history per row.
    stage_entered_at = models.DateTimeField(_("in this status since"), null=True, blank=True, editable=False)

    objects = ApplicationQuerySet.as_manager()

    audit_fields = ("enterprise_id", "tier", "year", "kind", "status", "certification_id", "flagged",
                    "publicity_ends_on")

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # One open application per enterprise per tier and kind (the database enforces it too).
            models.UniqueConstraint(
                fields=["enterprise", "tier", "kind"],
                condition=Q(status__in=[s.value for s in OPEN_STATUSES]),
                name="one_open_application_per_tier",
            ),
        ]
        indexes = [models.Index(fields=["status", "tier", "stage_entered_at"], name="application_stage_since")]
        verbose_name = _("application")
        verbose_name_plural = _("applications")

    def __str__(self) -> str:
        return f"#{self.pk} {self.enterprise} {self.get_tier_display()} ({self.get_status_display()})"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class ApplicationEvent(models.Model):
    """One decision or step in an application's life, with its author, role and reason (the activity feed)."""

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="events", verbose_name=_("application")
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("actor"),
    )
    actor_label = models.CharField(_("actor"), max_length=150)
    actor_role = models.CharField(_("role"), max_length=32)
    action = models.CharField(_("action"), max_length=32)
    from_status = models.CharField(_("from"), max_length=20, choices=ApplicationStatus.choices, blank=True)
    to_status = models.CharField(_("to"), max_length=20, choices=ApplicationStatus.choices, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    created_at = models.DateTimeField(_("time"), default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("application event")
        verbose_name_plural = _("application history")

    def __str__(self) -> str:
        return f"{self.application_id} {self.action} by {self.actor_label}"

    def save(self, *args: Any, **kwargs: Any) -> None:
        creating = self._state.adding
        super().save(*args, **kwargs)
        if creating and self.to_status:
            entered_status(self.application_id, self.to_status, self.created_at)


def entered_status(application_id: int, status: str, at: datetime.datetime) -> None:
    """Record that the application entered ``status`` at ``at``, if that is still its status and no later entry
    into it is recorded (``Application.stage_entered_at``)."""
    Application.objects.filter(pk=application_id, status=status).filter(
        Q(stage_entered_at__isnull=True) | Q(stage_entered_at__lte=at)
    ).update(stage_entered_at=at)


class EvidenceClaim(models.TextChoices):
    FINANCIAL_REPORT = "financial_report", _("Audited financial report")
    IP_CERTIFICATE = "ip_certificate", _("IP certificates")
    QUALITY_CERTIFICATION = "quality_certification", _("Quality-management certification")
    PRODUCT_CERTIFICATION = "product_certification", _("Product certification")
    AWARD = "award", _("Award documents")
    HONOUR = "honour", _("Honour certificates")
    RD_INSTITUTION = "rd_institution", _("R&D institution recognition")
    EQUITY_FINANCING = "equity_financing", _("Equity financing records")
    MARKET_SHARE = "market_share", _("Market share evidence")
    OTHER = "other", _("Other")


def evidence_path(instance: Evidence, filename: str) -> str:
    return f"evidence/{instance.application.enterprise_id}/{instance.application_id}/{filename}"


class Evidence(AuditedModel):
    """A file supporting one claim of an application; served only to those who may see the application."""

    application = models.ForeignKey(
        Application, on_delete=models.CASCADE, related_name="evidence", verbose_name=_("application")
    )
    claim = models.CharField(_("claim"), max_length=32, choices=EvidenceClaim.choices)
    file = models.FileField(_("file"), upload_to=evidence_path, max_length=300)
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveIntegerField(_("size (bytes)"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded"), auto_now_add=True)

    audit_fields = ("application_id", "claim", "original_name", "content_type", "size")

    class Meta:
        ordering = ["application", "claim", "id"]
        verbose_name = _("evidence")
        verbose_name_plural = _("evidence")

    def __str__(self) -> str:
        return f"{self.get_claim_display()}: {self.original_name}"

    @property
    def audit_enterprise_id(self) -> int | None:
        return self.application.enterprise_id


class CertificationStatus(models.TextChoices):
    ACTIVE = "active", _("Active")
    EXPIRED = "expired", _("Expired")
    REVOKED = "revoked", _("Revoked")
    SUPERSEDED = "superseded", _("Superseded")


class RevocationCause(models.TextChoices):
    MAJOR_ACCIDENT = "major_accident", _("Major safety, quality or environmental accident")
    DATA_FRAUD = "data_fraud", _("False information or data fraud")
    TAX_EVASION = "tax_evasion", _("Tax evasion or other violations")
    SERIOUS_DISHONESTY = "serious_dishonesty", _("Listed as seriously dishonest")
    NOT_SME = "not_sme", _("No longer an SME")
    DEMOTION = "demotion", _("No longer meets the tier (demotion)")


class CertificationQuerySet(RestrictedQuerySet):
    enterprise_path = "enterprise"

    def active(self) -> CertificationQuerySet:
        return self.filter(status=CertificationStatus.ACTIVE)

    def valid_on(self, on: datetime.date | None = None) -> CertificationQuerySet:
        """Active certifications in force on ``on``: granted and not yet expired, or past their expiry date
        while a re-review of them is still under way (the listing stays valid meanwhile, criteria.md §1.6)."""
        on = on or timezone.localdate()
        rereview_open = Application.objects.filter(
            certification=models.OuterRef("pk"), kind=ApplicationKind.REREVIEW,
            status__in=[s.value for s in OPEN_STATUSES if s != ApplicationStatus.DRAFT],
        )
        return self.active().filter(Q(expires_on__gte=on) | Q(models.Exists(rereview_open)), granted_on__lte=on)

    def expiring_within(self, days: int, on: datetime.date | None = None) -> CertificationQuerySet:
        on = on or timezone.localdate()
        return self.valid_on(on).filter(expires_on__lte=on + datetime.timedelta(days=days))



class Certification(AuditedModel):
    """A tier granted to an enterprise for a validity period (3 years), extended by a passed re-review."""

    enterprise = models.ForeignKey(
        "enterprises.Enterprise", on_delete=models.PROTECT, related_name="certifications",
        verbose_name=_("enterprise"),
    )
    tier = models.CharField(_("tier"), max_length=20, choices=Tier.choices)
    ruleset = models.ForeignKey(
        "evaluation.RulesetVersion", on_delete=models.PROTECT, related_name="+", verbose_name=_("ruleset")
    )
    granted_on = models.DateField(_("granted on"))
    expires_on = models.DateField(_("expires on"))
    status = models.CharField(
        _("status"), max_length=12, choices=CertificationStatus.choices, default=CertificationStatus.ACTIVE,
        editable=False, db_index=True,
    )
    revoked_on = models.DateField(_("revoked on"), null=True, blank=True, editable=False)
    revocation_cause = models.CharField(
        _("revocation cause"), max_length=24, choices=RevocationCause.choices, blank=True, editable=False
    )
    revocation_reason = models.TextField(_("revocation reason"), blank=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = CertificationQuerySet.as_manager()

    audit_fields = ("enterprise_id", "tier", "ruleset_id", "granted_on", "expires_on", "status", "revoked_on",
                    "revocation_cause", "revocation_reason")

    class Meta:
        ordering = ["-granted_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["enterprise", "tier"], condition=Q(status="active"), name="one_active_certification_per_tier"
            ),
            models.CheckConstraint(condition=Q(expires_on__gt=models.F("granted_on")), name="expiry_after_grant"),
        ]
        indexes = [models.Index(fields=["tier", "status", "expires_on"]),
                   # the dashboard's month edges: what is granted or expires in a month
                   models.Index(fields=["status", "expires_on"], name="cert_status_expiry"),
                   models.Index(fields=["status", "granted_on"], name="cert_status_grant"),
                   models.Index(fields=["granted_on"], name="cert_grant")]
        verbose_name = _("certification")
        verbose_name_plural = _("certifications")

    def __str__(self) -> str:
        return f"{self.enterprise} — {self.get_tier_display()} ({self.get_status_display()}, {self.expires_on})"


class CityQuota(AuditedModel):
    """How many applications a city may recommend for a tier in a year (set by a provincial reviewer)."""

    city = models.ForeignKey(
        "enterprises.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("city"),
        limit_choices_to={"level": "city"},
    )
    tier = models.CharField(_("tier"), max_length=20, choices=Tier.choices)
    year = models.PositiveSmallIntegerField(_("year"))
    quota = models.PositiveIntegerField(_("quota"))

    audit_fields = ("city_id", "tier", "year", "quota")

    class Meta:
        ordering = ["-year", "city", "tier"]
        constraints = [models.UniqueConstraint(fields=["city", "tier", "year"], name="unique_city_quota")]
        verbose_name = _("city quota")
        verbose_name_plural = _("city quotas")

    def __str__(self) -> str:
        return f"{self.city.name} {self.get_tier_display()} {self.year}: {self.quota}"


class DemotionStatus(models.TextChoices):
    OPEN = "open", _("Open")
    ACCEPTED = "accepted", _("Accepted: certification revoked")
    DISMISSED = "dismissed", _("Dismissed")


class DemotionProposal(AuditedModel):
    """A certified enterprise that no longer meets its tier, proposed to reviewers (never demoted automatically)."""

    enterprise = models.ForeignKey(
        "enterprises.Enterprise", on_delete=models.CASCADE, related_name="demotion_proposals",
        verbose_name=_("enterprise"),
    )
    certification = models.ForeignKey(
        Certification, on_delete=models.CASCADE, related_name="demotion_proposals", verbose_name=_("certification")
    )
    tier = models.CharField(_("tier"), max_length=20, choices=Tier.choices)
    year = models.PositiveSmallIntegerField(_("figures year"))
    unmet = models.JSONField(_("unmet rules"), default=list)
    job_id = models.BigIntegerField(_("re-score job"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=DemotionStatus.choices, default=DemotionStatus.OPEN, editable=False
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decision_reason = models.TextField(_("decision reason"), blank=True)
    created_at = models.DateTimeField(_("proposed"), auto_now_add=True)

    audit_fields = ("enterprise_id", "certification_id", "tier", "year", "status", "decision_reason")

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["certification"], condition=Q(status="open"), name="one_open_demotion_per_certification"
            ),
        ]
        # The dashboard's newest open proposals, without sorting them all.
        indexes = [models.Index(fields=["created_at"], condition=Q(status="open"), name="open_demotion_newest")]
        verbose_name = _("demotion proposal")
        verbose_name_plural = _("demotion proposals")

    def __str__(self) -> str:
        return f"{self.enterprise} — {self.get_tier_display()}"


class Notification(models.Model):
    """A message to an enterprise's members or a reviewer. ``key`` makes each notice unique: never sent twice."""

    key = models.CharField(_("key"), max_length=200, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="notifications"
    )
    enterprise = models.ForeignKey(
        "enterprises.Enterprise", null=True, blank=True, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(_("kind"), max_length=40)
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("message"), blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    sent_at = models.DateTimeField(_("e-mailed"), null=True, blank=True)
    read_at = models.DateTimeField(_("read"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")

    def __str__(self) -> str:
        return self.subject


from .expert_models import *  # noqa: E402, F401, F403  (expert panels and on-site checks)
from .pool_models import *  # noqa: E402, F401, F403 - the cultivation pool
from .public_models import *  # noqa: E402, F401, F403  (objections and announcements: the public side)
from .review_models import LapsedAnnualUpdate, ReviewerPreference, ReviewRound, RoundStatus  # noqa: E402,F401
from .summary_models import *  # noqa: E402, F401, F403  (the dashboard's summary rows)
