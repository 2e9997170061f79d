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
    # Rounds (批次) and the missed-annual-update list (registry/review_models.py).
    for _group, _perms in {"reviewers": ["registry.view_reviewround", "registry.view_lapsedannualupdate"],
                           "provincial_reviewers": ["registry.add_reviewround"],
                           "registry_staff": ["registry.view_reviewround", "registry.add_reviewround",
                                              "registry.view_lapsedannualupdate"]}.items():
        role_permissions[_group] = [*role_permissions[_group], *_perms]
    del _group, _perms

    def ready(self) -> None:
        from evaluation.signals import chunk_scored

        from .certifications import propose_demotions

        # A re-score chunk's shortfalls become demotion proposals, in the chunk's transaction.
        chunk_scored.connect(propose_demotions, dispatch_uid="registry_propose_demotions")
