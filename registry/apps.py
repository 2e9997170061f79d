from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistryConfig(AppConfig):
    """The programme itself: applications and their review, evidence, certifications, quotas, demotions, the
    certification lifecycle and the dashboard. It builds on evaluation, enterprises and core."""

    name = "registry"
    verbose_name = _("Registry")
    _view = ["registry.view_application", "registry.change_application", "registry.view_applicationevent",
             "registry.view_evidence", "registry.view_certification", "registry.view_demotionproposal",
             "registry.view_cityquota"]
    role_permissions = {
        "reviewers": _view,
        "provincial_reviewers": ["registry.change_certification", "registry.change_demotionproposal",
                                 "registry.add_cityquota", "registry.change_cityquota", "registry.delete_cityquota"],
        "registry_staff": [*_view, "registry.change_certification", "registry.add_cityquota",
                           "registry.change_cityquota", "registry.change_demotionproposal"],
    }

    def ready(self) -> None:
        from evaluation.signals import chunk_scored

        from .certifications import propose_demotions

        # A re-score chunk's shortfalls become demotion proposals, in the chunk's transaction.
        chunk_scored.connect(propose_demotions, dispatch_uid="registry_propose_demotions")

        from enterprises import locks

        from .routing_locks import dependencies

        # Applications under review and certifications lock the routing fields they depend on.
        locks.register("registry", dependencies)
