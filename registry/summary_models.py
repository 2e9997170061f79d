"""The dashboard's summary rows: counts of certifications, applications and open demotion proposals per region,
tier and key, kept current by the services that change them (``registry.dashboard_summary``)."""

from __future__ import annotations

import datetime

from django.db import models
from django.utils.translation import gettext_lazy as _

# The key a row does not use (a date column must hold a value for the unique constraint to work everywhere).
NO_DATE = datetime.date(1, 1, 1)


class SummaryKind(models.TextChoices):
    ACTIVE = "active", _("Active certifications by grant and expiry month")
    GRANTED = "granted", _("Certifications by grant year")
    FIRST = "first", _("First certifications of a tier by grant month")
    SPAN = "span", _("Periods a tier was held, by start and end month")
    GAP = "gap", _("Gaps between periods a tier was held, by end and restart month")
    APPLICATION = "application", _("Applications by status")
    DEMOTION = "demotion", _("Open demotion proposals")


__all__ = ["NO_DATE", "DashboardCount", "SummaryKind"]


class DashboardCount(models.Model):
    """How many of ``kind`` an enterprise region holds for a tier under one key (months and years are their
    first days)."""

    region = models.ForeignKey("enterprises.Region", on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("region"))
    tier = models.CharField(_("tier"), max_length=20)
    kind = models.CharField(_("kind"), max_length=12, choices=SummaryKind.choices)
    since = models.DateField(_("month"), default=NO_DATE)
    until = models.DateField(_("until month"), default=NO_DATE)
    status = models.CharField(_("status"), max_length=20, blank=True, default="")
    n = models.IntegerField(_("count"), default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "region", "tier", "since", "until", "status"],
                                               name="unique_dashboard_count")]
        verbose_name = _("dashboard count")
        verbose_name_plural = _("dashboard counts")

    def __str__(self) -> str:
        return f"{self.kind} {self.region_id} {self.tier} {self.since} {self.until} {self.status}: {self.n}"
