from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    """The top layer: the enterprise-facing web pages (figures, self-assessment, applications, members). It
    calls the services of the layers below and is imported by none of them."""

    name = "portal"
    verbose_name = _("Enterprise portal")
