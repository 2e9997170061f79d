"""What the public side of the programme stores: objections raised against an application in publicity (with
their evidence) and the announcements (公告) of the certified list of each round.

Foreign keys name their targets as strings so this module never imports ``registry.models`` (which imports it,
in one line at its end). The objector's identity lives only on ``Objection`` and is never part of its audit
fields, its text, the application's history or any public page.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.audit import AuditedModel
from core.roles import RestrictedQuerySet
from enterprises.models import Tier

__all__ = ["OPEN_OBJECTION_STATUSES", "Announcement", "AnnouncementEntry", "Objection", "ObjectionEvidence",
           "ObjectionStatus"]


class ObjectionStatus(models.TextChoices):
    UNCONFIRMED = "unconfirmed", _("Awaiting e-mail confirmation")
    RECEIVED = "received", _("Received")
    INVESTIGATING = "investigating", _("Under investigation")
    UPHELD = "upheld", _("Upheld")
    DISMISSED = "dismissed", _("Dismissed")


# A confirmed objection not yet decided: it holds the publicity's close.
OPEN_OBJECTION_STATUSES = (ObjectionStatus.RECEIVED, ObjectionStatus.INVESTIGATING)


class ObjectionQuerySet(RestrictedQuerySet):
    enterprise_path = "application__enterprise"

    def confirmed(self) -> ObjectionQuerySet:
        return self.exclude(status=ObjectionStatus.UNCONFIRMED)

    def open(self) -> ObjectionQuerySet:
        return self.filter(status__in=OPEN_OBJECTION_STATUSES)


def objection_evidence_path(instance: ObjectionEvidence, filename: str) -> str:
    return f"objections/{instance.objection.application_id}/{instance.objection.reference}/{filename}"


class Objection(AuditedModel):
    """A real-name objection to an application in publicity. It counts once its e-mail address is confirmed."""

    application = models.ForeignKey(
        "registry.Application", on_delete=models.PROTECT, related_name="objections", verbose_name=_("application")
    )
    reference = models.CharField(_("reference number"), max_length=32, unique=True, editable=False)
    objector_name = models.CharField(_("name or unit"), max_length=100)
    contact_email = models.EmailField(_("e-mail"))
    contact_phone = models.CharField(_("phone"), max_length=30, blank=True)
    reason = models.TextField(_("reason"))
    status = models.CharField(
        _("status"), max_length=16, choices=ObjectionStatus.choices, default=ObjectionStatus.UNCONFIRMED,
        editable=False, db_index=True,
    )
    created_at = models.DateTimeField(_("submitted"), auto_now_add=True)
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True, editable=False)
    investigation = models.TextField(_("investigation record"), blank=True, editable=False)
    decision_reason = models.TextField(_("decision reason"), blank=True, editable=False)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True, editable=False)

    objects = ObjectionQuerySet.as_manager()

    # Never the objector's name or contact: the enterprise's audit trail shows these rows.
    audit_fields = ("application_id", "reference", "status", "investigation", "decision_reason")

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["application", "status"])]
        verbose_name = _("objection")
        verbose_name_plural = _("objections")

    def __str__(self) -> str:
        return self.reference

    @property
    def audit_enterprise_id(self) -> int | None:
        return self.application.enterprise_id

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_OBJECTION_STATUSES


class ObjectionEvidence(models.Model):
    """A file the objector attached (checked by the same rules as an application's evidence)."""

    objection = models.ForeignKey(Objection, on_delete=models.CASCADE, related_name="evidence",
                                  verbose_name=_("objection"))
    file = models.FileField(_("file"), upload_to=objection_evidence_path, max_length=300)
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveIntegerField(_("size (bytes)"))

    class Meta:
        ordering = ["objection", "id"]
        verbose_name = _("objection evidence")
        verbose_name_plural = _("objection evidence")

    def __str__(self) -> str:
        return self.original_name


class Announcement(AuditedModel):
    """The announcement (公告) of one round: the applications of a tier certified when their publicity closed
    on ``published_on``."""

    tier = models.CharField(_("tier"), max_length=20, choices=Tier.choices)
    published_on = models.DateField(_("published on"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    audit_fields = ("tier", "published_on")

    class Meta:
        ordering = ["-published_on", "tier", "-id"]
        constraints = [models.UniqueConstraint(fields=["tier", "published_on"], name="one_announcement_per_round")]
        verbose_name = _("announcement")
        verbose_name_plural = _("announcements")

    def __str__(self) -> str:
        return f"{self.get_tier_display()} {self.published_on:%Y-%m-%d}"


class AnnouncementEntry(models.Model):
    """One certified enterprise on an announcement."""

    announcement = models.ForeignKey(Announcement, on_delete=models.CASCADE, related_name="entries",
                                     verbose_name=_("announcement"))
    certification = models.ForeignKey("registry.Certification", on_delete=models.PROTECT, related_name="+",
                                      verbose_name=_("certification"))
    enterprise = models.ForeignKey("enterprises.Enterprise", on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("enterprise"))

    class Meta:
        ordering = ["announcement", "id"]
        constraints = [
            models.UniqueConstraint(fields=["announcement", "certification"], name="one_entry_per_certification"),
        ]
        verbose_name = _("announcement entry")
        verbose_name_plural = _("announcement entries")

    def __str__(self) -> str:
        return str(self.enterprise_id)
