from typing import Any

from django.utils.translation import gettext as _

from core.audit import AuditedCommand
from evaluation.schedule import DEFAULT_SCHEDULE, install_default_schedule


class Command(AuditedCommand):
    help = _("Install the default periodic schedule (re-scores, expiry, reminders). Idempotent: entries an "
             "administrator changed are kept unless --reset is given.")

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--reset", action="store_true", help=_("Restore changed entries to their defaults."))

    def handle(self, *args: Any, **options: Any) -> None:
        created, restored = install_default_schedule(reset=options["reset"])
        self.stdout.write(_("Schedule: %(total)s entries, %(created)s created, %(reset)s reset.")
                          % {"total": len(DEFAULT_SCHEDULE), "created": len(created), "reset": len(restored)})
