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
    # Expert panels and on-site checks: every reviewer sees their region's checks and draws; county and city
    # reviewers record visits; provincial staff keep the expert pool and draw panels.
    _panels = ["registry.view_onsitecheck", "registry.change_onsitecheck", "registry.view_expertdraw"]
    _pool = ["registry.view_expertprofile", "registry.add_expertprofile", "registry.change_expertprofile",
             "registry.view_experttie", "registry.add_experttie", "registry.change_experttie",
             "registry.add_expertdraw"]
    role_permissions = {
        "reviewers": [*_view, *_panels],
        "county_reviewers": ["registry.add_onsitecheck"],
        "city_reviewers": ["registry.add_onsitecheck"],
        "provincial_reviewers": ["registry.change_certification", "registry.change_demotionproposal",
                                 "registry.add_cityquota", "registry.change_cityquota", "registry.delete_cityquota",
                                 *_pool],
        "registry_staff": [*_view, "registry.change_certification", "registry.add_cityquota",
                           "registry.change_cityquota", "registry.change_demotionproposal", *_panels, *_pool],
    }

    def ready(self) -> None:
        from evaluation.signals import chunk_scored

        from .certifications import propose_demotions

        # A re-score chunk's shortfalls become demotion proposals, in the chunk's transaction.
        chunk_scored.connect(propose_demotions, dispatch_uid="registry_propose_demotions")
