from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _

# The cultivation pool: every reviewer sees the pool, proposals, ledger, alerts and targets of their region;
# reviewers change the pool, decide proposals, keep the ledger and close alerts; provincial staff edit targets.
POOL_VIEW = ["registry.view_poolentry", "registry.view_poolproposal", "registry.view_supportrecord",
             "registry.view_supportkind", "registry.view_riskalert", "registry.view_plan", "registry.view_target"]
POOL_REVIEW = ["registry.add_poolentry", "registry.change_poolentry", "registry.change_poolproposal",
               "registry.add_supportrecord", "registry.change_supportrecord", "registry.change_riskalert"]
PLAN_EDIT = ["registry.add_plan", "registry.change_plan", "registry.add_target", "registry.change_target",
             "registry.delete_target"]


class RegistryConfig(AppConfig):
    """The programme itself: applications and their review, evidence, certifications, quotas, demotions, the
    certification lifecycle and the dashboard. It builds on evaluation, enterprises and core."""

    name = "registry"
    verbose_name = _("Registry")
    _view = ["registry.view_application", "registry.change_application", "registry.view_applicationevent",
             "registry.view_evidence", "registry.view_certification", "registry.view_demotionproposal",
             "registry.view_cityquota", *POOL_VIEW]
    # Expert panels and on-site checks: every reviewer sees their region's checks and draws; county and city
    # reviewers record visits; provincial staff keep the expert pool and draw panels.
    _panels = ["registry.view_onsitecheck", "registry.change_onsitecheck", "registry.view_expertdraw"]
    _pool = ["registry.view_expertprofile", "registry.add_expertprofile", "registry.change_expertprofile",
             "registry.view_experttie", "registry.add_experttie", "registry.change_experttie",
             "registry.add_expertdraw"]
    role_permissions = {
        "reviewers": [*_view, *POOL_REVIEW, *_panels],
        "county_reviewers": ["registry.add_onsitecheck"],
        "city_reviewers": ["registry.add_onsitecheck"],
        "provincial_reviewers": ["registry.change_certification", "registry.change_demotionproposal",
                                 "registry.add_cityquota", "registry.change_cityquota", "registry.delete_cityquota",
                                 "registry.view_objection", "registry.change_objection",
                                 "registry.view_announcement", *PLAN_EDIT, *_pool],
        "registry_staff": [*_view, "registry.change_certification", "registry.add_cityquota",
                           "registry.change_cityquota", "registry.change_demotionproposal",
                           "registry.view_objection", "registry.view_announcement",
                           *POOL_REVIEW, *PLAN_EDIT, "registry.add_supportkind", "registry.change_supportkind",
                           *_panels, *_pool],
    }
    # Rounds (批次) and the missed-annual-update list (registry/review_models.py).
    for _group, _perms in {"reviewers": ["registry.view_reviewround", "registry.view_lapsedannualupdate"],
                           "provincial_reviewers": ["registry.add_reviewround"],
                           "registry_staff": ["registry.view_reviewround", "registry.add_reviewround",
                                              "registry.view_lapsedannualupdate"]}.items():
        role_permissions[_group] = [*role_permissions[_group], *_perms]
    del _group, _perms

    def ready(self) -> None:
        # Imported here: models, signals and receivers may be imported only once every app is loaded.
        from evaluation.signals import chunk_scored, job_finished

        from .certifications import propose_demotions
        from .tasks import queue_discovery_after_rescore

        # A re-score chunk's shortfalls become demotion proposals, in the chunk's transaction.
        chunk_scored.connect(propose_demotions, dispatch_uid="registry_propose_demotions")
        # After each re-score job, the enterprises it judged anew are looked at for tiers they are near (discovery).
        job_finished.connect(queue_discovery_after_rescore, dispatch_uid="registry_discover_pool")

        from enterprises.signals import region_changed

        from .dashboard_summary import on_region_changed

        # An enterprise that moves region takes its dashboard counts with it.
        region_changed.connect(on_region_changed, dispatch_uid="registry_dashboard_region")

        from enterprises import locks

        from .routing_locks import dependencies

        # Applications under review and certifications lock the routing fields they depend on.
        locks.register("registry", dependencies)
