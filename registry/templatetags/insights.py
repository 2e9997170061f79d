"""Template helpers for the dashboard pages."""

from django import template

from enterprises.models import Region
from registry.dashboard import region_name

register = template.Library()


@register.filter
def local_name(region: Region | None) -> str:
    """A region's name in the page's language."""
    return region_name(region) if region is not None else ""
