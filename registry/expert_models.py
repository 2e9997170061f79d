"""Expert panels and on-site checks: the expert pool and their declared ties, each seeded draw with its
candidates and choice, each expert's blind score, and the county or city reviewers' visits with their findings.

Imported at the end of ``registry/models.py``; foreign keys name their models by string so this module never
imports it. Rows are written only by ``registry/experts.py`` and ``registry/onsite.py``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from core.audit import AuditedModel
from core.roles import RestrictedQuerySet

__all__ = [
    "ExpertAssignment", "ExpertDraw", "ExpertProfile", "ExpertTie", "FindingResult", "OnsiteCheck",
    "OnsiteEvidence", "OnsiteFinding", "OnsiteOutcome", "Recommendation",
]


class ExpertProfile(AuditedModel):
    """A user in the expert pool: fields of expertise and a home region (experts never review their own county)."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="expert_profile",
                                verbose_name=_("user"))
    fields = models.CharField(_("fields of expertise"), max_length=300,
                              help_text=_("Comma-separated, e.g. machine tools, integrated circuits."))
    home_region = models.ForeignKey("enterprises.Region", on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("home region"))
    active = models.BooleanField(_("in the pool"), default=True)

    audit_fields = ("user_id", "fields", "home_region_id", "active")

    class Meta:
        ordering = ["user__username"]
        verbose_name = _("expert")
        verbose_name_plural = _("experts")

    def __str__(self) -> str:
        return f"{self.user.get_username()} ({self.fields})"

    @property
    def audit_enterprise_id(self) -> None:
        return None


class ExpertTie(AuditedModel):
    """An enterprise the expert declared a tie to (employment, shareholding, consulting, family): never drawn."""

    expert = models.ForeignKey(ExpertProfile, on_delete=models.CASCADE, related_name="ties", verbose_name=_("expert"))
    enterprise = models.ForeignKey("enterprises.Enterprise", on_delete=models.CASCADE, related_name="+",
                                   verbose_name=_("enterprise"))
    relation = models.CharField(_("relation"), max_length=200)
    declared_at = models.DateTimeField(_("declared"), auto_now_add=True)

    audit_fields = ("expert_id", "enterprise_id", "relation")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["expert", "enterprise"], name="one_tie_per_expert_enterprise")]
        verbose_name = _("declared tie")
        verbose_name_plural = _("declared ties")

    def __str__(self) -> str:
        return f"{self.expert_id} → {self.enterprise_id}: {self.relation}"


class PanelQuerySet(RestrictedQuerySet):
    enterprise_path = "application__enterprise"


class OwnSeatQuerySet(PanelQuerySet):
    """Seats as experts reach them (their pages and the expert API): ``restrict(user)`` is the user's own seats
    and nothing else, whatever else the user may see as a reviewer or as staff. An expert is never a member or a
    reviewer of the enterprise they score, so the region restriction would show them nothing; this is theirs."""

    def restrict(self, user: object) -> OwnSeatQuerySet:
        if not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
            return self.none()
        return self.filter(expert__user=user)


class ExpertDraw(AuditedModel):
    """One random draw of a panel: the seed, the eligible candidates in order and the experts chosen.

    ``random.Random(seed).sample(candidates, size)`` gives ``chosen`` again (``experts.replay_draw``).
    """

    application = models.ForeignKey("registry.Application", on_delete=models.CASCADE, related_name="expert_draws",
                                    verbose_name=_("application"))
    stage_event = models.ForeignKey("registry.ApplicationEvent", on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("expert stage entered"))
    seed = models.BigIntegerField(_("seed"))
    size = models.PositiveSmallIntegerField(_("panel size"))
    candidates = models.JSONField(_("eligible candidates (expert ids)"))
    excluded = models.JSONField(_("excluded (expert id: reason)"), default=dict)
    chosen = models.JSONField(_("chosen (expert ids)"))
    drawn_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+",
                                 verbose_name=_("drawn by"))
    created_at = models.DateTimeField(_("drawn"), auto_now_add=True)

    objects = PanelQuerySet.as_manager()
    audit_fields = ("application_id", "stage_event_id", "seed", "size", "candidates", "excluded", "chosen")

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["stage_event"], name="one_draw_per_expert_stage")]
        verbose_name = _("expert draw")
        verbose_name_plural = _("expert draws")

    def __str__(self) -> str:
        return f"#{self.application_id} draw {self.pk} (seed {self.seed})"

    @property
    def audit_enterprise_id(self) -> int | None:
        return self.application.enterprise_id


class Recommendation(models.TextChoices):
    RECOMMEND = "recommend", _("Recommend")
    RESERVATIONS = "reservations", _("Recommend with reservations")
    NOT_RECOMMEND = "not_recommend", _("Do not recommend")


class ExpertAssignment(AuditedModel):
    """One expert on one drawn panel, and the score they gave (blind: they never see the others')."""

    draw = models.ForeignKey(ExpertDraw, on_delete=models.CASCADE, related_name="assignments",
                             verbose_name=_("draw"))
    application = models.ForeignKey("registry.Application", on_delete=models.CASCADE,
                                    related_name="expert_assignments", verbose_name=_("application"))
    expert = models.ForeignKey(ExpertProfile, on_delete=models.PROTECT, related_name="assignments",
                               verbose_name=_("expert"))
    scores = models.JSONField(_("scores per category"), default=dict, blank=True)
    total = models.PositiveSmallIntegerField(_("total"), null=True, blank=True)
    recommendation = models.CharField(_("recommendation"), max_length=20, choices=Recommendation.choices,
                                      blank=True)
    comment = models.TextField(_("comment"), blank=True)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)

    objects = PanelQuerySet.as_manager()
    by_expert = OwnSeatQuerySet.as_manager()
    audit_fields = ("draw_id", "application_id", "expert_id", "scores", "total", "recommendation", "submitted_at")

    class Meta:
        ordering = ["draw", "id"]
        constraints = [models.UniqueConstraint(fields=["draw", "expert"], name="one_seat_per_expert_draw")]
        verbose_name = _("expert assignment")
        verbose_name_plural = _("expert assignments")

    def __str__(self) -> str:
        return f"#{self.application_id} — {self.expert.user.get_username()}"

    @property
    def audit_enterprise_id(self) -> int | None:
        return self.application.enterprise_id


class OnsiteOutcome(models.TextChoices):
    PASSED = "passed", _("Passed")
    FAILED = "failed", _("Failed")
    RESOLVED = "resolved", _("Failed, then resolved")


class FindingResult(models.TextChoices):
    PASS = "pass", _("As declared")
    FAIL = "fail", _("Not as declared")
    NOT_CHECKED = "not_checked", _("Not checked")


def onsite_path(instance: OnsiteEvidence, filename: str) -> str:
    return f"onsite/{instance.check_record.application_id}/{instance.check_record_id}/{filename}"


class OnsiteCheck(AuditedModel):
    """A county or city reviewer's visit (实地核查): when, who, and the outcome of the checked items."""

    application = models.ForeignKey("registry.Application", on_delete=models.CASCADE, related_name="onsite_checks",
                                    verbose_name=_("application"))
    level = models.CharField(_("level"), max_length=8)
    visited_on = models.DateField(_("visit date"))
    visitors = models.CharField(_("visited by"), max_length=300)
    summary = models.TextField(_("summary"), blank=True)
    outcome = models.CharField(_("outcome"), max_length=10, choices=OnsiteOutcome.choices)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL,
                                    related_name="+", verbose_name=_("recorded by"))
    created_at = models.DateTimeField(_("recorded"), auto_now_add=True)
    resolution_reason = models.TextField(_("resolution"), blank=True)
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+", verbose_name=_("resolved by"))
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)

    objects = PanelQuerySet.as_manager()
    audit_fields = ("application_id", "level", "visited_on", "visitors", "outcome", "resolution_reason")

    class Meta:
        ordering = ["-visited_on", "-id"]
        verbose_name = _("on-site check")
        verbose_name_plural = _("on-site checks")

    def __str__(self) -> str:
        return f"#{self.application_id} {self.visited_on} ({self.get_outcome_display()})"

    @property
    def audit_enterprise_id(self) -> int | None:
        return self.application.enterprise_id


class OnsiteFinding(models.Model):
    """The finding on one item of the checklist (``registry.onsite.CHECKLIST``)."""

    check_record = models.ForeignKey(OnsiteCheck, on_delete=models.CASCADE, related_name="findings",
                                     verbose_name=_("on-site check"))
    item = models.CharField(_("item"), max_length=40)
    result = models.CharField(_("result"), max_length=12, choices=FindingResult.choices)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        ordering = ["check_record", "id"]
        constraints = [models.UniqueConstraint(fields=["check_record", "item"], name="one_finding_per_item")]
        verbose_name = _("finding")
        verbose_name_plural = _("findings")

    def __str__(self) -> str:
        return f"{self.item}: {self.result}"


class OnsiteEvidence(AuditedModel):
    """A photo or document from the visit, accepted under the same upload rules as an application's evidence."""

    check_record = models.ForeignKey(OnsiteCheck, on_delete=models.CASCADE, related_name="evidence",
                                     verbose_name=_("on-site check"))
    file = models.FileField(_("file"), upload_to=onsite_path, max_length=300)
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=100)
    size = models.PositiveIntegerField(_("size (bytes)"))
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField(_("uploaded"), auto_now_add=True)

    audit_fields = ("check_record_id", "original_name", "content_type", "size")

    class Meta:
        ordering = ["check_record", "id"]
        verbose_name = _("on-site evidence")
        verbose_name_plural = _("on-site evidence")

    def __str__(self) -> str:
        return self.original_name

    @property
    def audit_enterprise_id(self) -> int | None:
        return self.check_record.application.enterprise_id
