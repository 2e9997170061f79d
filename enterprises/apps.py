from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EnterprisesConfig(AppConfig):
    name = "enterprises"
    verbose_name = _("Enterprises")

    def ready(self) -> None:
        from django.db.models.signals import post_delete

        from . import credentials, signals  # noqa: F401
        from .audit import record_delete

        post_delete.connect(record_delete, dispatch_uid="audit_record_delete")
