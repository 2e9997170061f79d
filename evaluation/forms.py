"""Forms of the evaluation admin."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from core.validators import EARLIEST_FIGURES_YEAR
from enterprises.models import Tier

from . import engine
from .models import RescoreScope
from .rescore import RescoreRequestError, default_year, resolve_ruleset, scope_queryset


class StartRescoreForm(forms.Form):
    """What an administrator asks for when starting a re-score; validated like ``manage.py rescore``."""

    scope = forms.ChoiceField(label=_("Scope"), choices=RescoreScope.choices, initial=RescoreScope.ALL)
    region = forms.CharField(label=_("Region code"), required=False, max_length=6,
                             help_text=_("For the region scope: a GB/T 2260 code, e.g. 330100 (Hangzhou)."))
    tier = forms.ChoiceField(label=_("Tier"), required=False, choices=[("", "—"), *Tier.choices],
                             help_text=_("For the tier scope: enterprises whose current tier is this one."))
    ruleset = forms.ChoiceField(label=_("Ruleset"), required=False,
                                help_text=_("Empty: the ruleset in force today."))
    year = forms.IntegerField(label=_("Figures year"), min_value=EARLIEST_FIGURES_YEAR, required=False,
                              help_text=_("Empty: last year."))

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["ruleset"].choices = [("", "—"), *((c, c) for c in engine.available_rulesets())]
        self.fields["year"].initial = default_year()

    def clean(self) -> dict:
        data = super().clean()
        scope = data.get("scope")
        value = ""
        if scope == RescoreScope.REGION:
            value = data.get("region", "")
            if not value:
                self.add_error("region", _("Give the region code for a region re-score."))
        elif scope == RescoreScope.TIER:
            value = data.get("tier", "")
            if not value:
                self.add_error("tier", _("Choose the tier for a tier re-score."))
        if self.errors:
            return data
        try:
            scope_queryset(scope, value)
            data["version"] = resolve_ruleset(data.get("ruleset") or None)
        except RescoreRequestError as exc:
            self.add_error(exc.field if exc.field in self.fields else None, exc.message)
        data["value"] = value
        return data
