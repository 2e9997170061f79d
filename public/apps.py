from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PublicConfig(AppConfig):
    """The top layer, beside the portal: the pages anyone may read without signing in (publicity lists and
    objections, announcements, the directory of certified enterprises, open data). It reads the registry's
    public facts and calls its services; it never imports the portal, nor the portal it."""

    name = "public"
    verbose_name = _("Public pages")
