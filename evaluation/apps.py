from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EvaluationConfig(AppConfig):
    """Judging enterprises: the pure engine, rulesets (and the one in force), stored assessments, the profile
    loader, re-scoring jobs and simulations. It builds on enterprises and core, and knows nothing of
    applications or certifications: tiers held reach it as data."""

    name = "evaluation"
    verbose_name = _("Evaluation")
    role_permissions = {
        "reviewers": ["evaluation.view_assessment", "evaluation.view_rulesetversion"],
        "registry_staff": ["evaluation.view_assessment", "evaluation.view_rulesetversion",
                           "evaluation.add_rulesetversion", "evaluation.change_rulesetversion"],
    }

    def ready(self) -> None:
        # Imported here: models, signals and receivers may be imported only once every app is loaded.
        from enterprises.signals import figures_changed

        from .sizes import refresh_size_classes

        figures_changed.connect(refresh_size_classes, dispatch_uid="evaluation_size_classes")
