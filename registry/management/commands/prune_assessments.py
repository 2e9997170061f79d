"""``manage.py prune_assessments [--dry-run]``: delete assessments a newer ruleset version has superseded."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from core.audit import AuditedCommand
from registry import retention


class Command(AuditedCommand):
    help = _("Delete the assessments that a newer version of the same ruleset has replaced (same enterprise, year "
             "and tier) and the profile snapshots nothing names any more. The history of the ruleset in force for "
             "each year is kept. Safe to stop and run again.")

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--dry-run", action="store_true", help=_("Count what would be deleted; delete nothing."))

    def handle(self, *args: Any, **options: Any) -> None:
        result = retention.prune(dry_run=options["dry_run"])
        verb = _("would delete") if options["dry_run"] else _("deleted")
        self.stdout.write(_("%(verb)s %(a)s superseded assessments and %(s)s unused profile snapshots.")
                          % {"verb": verb, "a": result.assessments, "s": result.snapshots})
