"""Validators every app shares. The figures-year rule lives here once: a year of figures lies between
``EARLIEST_FIGURES_YEAR`` and this year (the registry's records start in 1990; a future year has no figures)."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

EARLIEST_FIGURES_YEAR = 1990


def latest_figures_year() -> int:
    return timezone.localdate().year


def validate_not_future_year(value: int) -> None:
    """Model field validator: no figures for a year that has not begun."""
    if value > latest_figures_year():
        raise ValidationError(_("Year %(year)s is in the future."), params={"year": value}, code="future_year")


def validate_plausible_year(value: int) -> None:
    """Model field validator: nothing before the registry's earliest year."""
    if value < EARLIEST_FIGURES_YEAR:
        raise ValidationError(_("Year %(year)s is too early."), params={"year": value}, code="early_year")


def figures_year(value: Any, field: str = "year") -> int:
    """``value`` as a figures year, or a ``ValidationError`` on ``field`` saying what is wrong."""
    try:
        year = int(value)
    except (TypeError, ValueError, OverflowError):
        raise ValidationError({field: _("Enter a four-digit year.")})
    if not EARLIEST_FIGURES_YEAR <= year <= latest_figures_year():
        raise ValidationError({field: _("Year %(year)s is outside %(first)s–%(last)s.")
                               % {"year": year, "first": EARLIEST_FIGURES_YEAR, "last": latest_figures_year()}})
    return year


def is_figures_year(value: Any) -> bool:
    try:
        figures_year(value)
    except ValidationError:
        return False
    return True
