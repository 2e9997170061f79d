from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EnterprisesConfig(AppConfig):
    """Who the enterprises are: regions (GB/T 2260), enterprises, their members and reviewers, yearly figures."""

    name = "enterprises"
    verbose_name = _("Enterprises")
    # What each role group may do with this app's models; see ``core.roles``.
    role_permissions = {
        "reviewers": ["enterprises.view_enterprise", "enterprises.view_financialyear",
                      "enterprises.view_declaration", "enterprises.view_region", "enterprises.view_changerequest",
                      "enterprises.change_changerequest", "enterprises.view_confirmation"],
        "provincial_reviewers": ["enterprises.change_declaration"],
        "registry_staff": [
            "enterprises.view_enterprise", "enterprises.view_financialyear", "enterprises.view_declaration",
            "enterprises.view_region", "enterprises.add_enterprise", "enterprises.change_enterprise",
            "enterprises.add_financialyear", "enterprises.change_financialyear", "enterprises.add_declaration",
            "enterprises.change_declaration", "enterprises.add_reviewerprofile",
            "enterprises.change_reviewerprofile", "enterprises.view_reviewerprofile",
            "enterprises.delete_reviewerprofile", "enterprises.view_membership", "enterprises.view_changerequest",
            "enterprises.view_confirmation",
        ],
    }

    def ready(self) -> None:
        # Imported here: receivers may be connected only once every app is loaded.
        from . import credentials  # noqa: F401  (revokes a user's API tokens when the password changes)
