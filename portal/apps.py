from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    """The enterprise-facing web pages: figures, self-assessment, applications, members."""

    name = "portal"
    verbose_name = _("Enterprise portal")
