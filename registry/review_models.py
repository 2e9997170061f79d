"""The review round as provinces run it: rounds (批次) per tier, reviewers' notification preferences, and the
list of certified enterprises that missed the annual update.

Foreign keys are strings so this module never imports ``registry.models`` (it is imported at the end of it).
Rows here are written by ``registry/rounds.py`` and ``registry/reviewer_notices.py`` only.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from core.audit import AuditedModel
from enterprises.models import Enterprise, Tier


class RoundStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


class ReviewRound(AuditedModel):
    """A round (批次) of one tier: new applications are accepted from ``opens_on`` to ``closes_on`` while it is
    open. Provincial staff open and close it (``registry.rounds``)."""

    tier = models.CharField(_("tier"), max_length=20, choices=Tier.choices)
    name = models.CharField(_("name"), max_length=100)
    opens_on = models.DateField(_("opens on"))
    closes_on = models.DateField(_("closes on"))
    status = models.CharField(_("status"), max_length=8, choices=RoundStatus.choices, default=RoundStatus.OPEN,
                              editable=False, db_index=True)
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+", verbose_name=_("opened by"), editable=False)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+", verbose_name=_("closed by"), editable=False)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    audit_fields = ("tier", "name", "opens_on", "closes_on", "status")

    class Meta:
        ordering = ["-opens_on", "tier"]
        constraints = [
            models.UniqueConstraint(fields=["tier"], condition=Q(status="open"), name="one_open_round_per_tier"),
            models.CheckConstraint(condition=Q(closes_on__gte=models.F("opens_on")), name="round_closes_after_open"),
        ]
        verbose_name = _("round")
        verbose_name_plural = _("rounds")

    def __str__(self) -> str:
        return f"{self.get_tier_display()} {self.name} ({self.opens_on} – {self.closes_on})"


class ReviewerPreference(models.Model):
    """A reviewer's (or expert's) choice about e-mail: the notices in the admin or on the experts' page are always
    kept."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                                related_name="review_preference", verbose_name=_("user"))
    email_notifications = models.BooleanField(_("e-mail me when an application reaches my stage"), default=True)

    class Meta:
        verbose_name = _("reviewer preference")
        verbose_name_plural = _("reviewer preferences")

    def __str__(self) -> str:
        return str(self.user)


class LapsedAnnualUpdate(Enterprise):
    """Certified enterprises that did not update their figures by the ruleset's deadline (criteria.md §1.6,
    §4.3): they have lost re-review eligibility. A view of enterprises for the reviewers' admin list."""

    class Meta:
        proxy = True
        verbose_name = _("missed annual update")
        verbose_name_plural = _("missed annual updates")
