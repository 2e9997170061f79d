from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    """The platform under every app: who acts (audit), who may see what (roles, regions), shared admin parts."""

    name = "core"
    verbose_name = _("Platform")
    # What each role group may do with this app's models (and Django's users); see ``core.roles``.
    role_permissions = {
        "reviewers": ["core.view_auditentry"],
        "registry_staff": ["core.view_auditentry", "auth.add_user", "auth.change_user", "auth.view_user"],
    }

    def ready(self) -> None:
        # Imported here: models, signals and receivers may be imported only once every app is loaded.
        from django.db.models.signals import post_delete, post_migrate

        from . import signals  # noqa: F401  (binds Celery tasks to the audit trail)
        from .audit import record_delete
        from .roles import sync_role_groups

        post_delete.connect(record_delete, dispatch_uid="audit_record_delete")
        post_migrate.connect(sync_role_groups, dispatch_uid="core_sync_role_groups")
