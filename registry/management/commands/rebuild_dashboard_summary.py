"""``manage.py rebuild_dashboard_summary``: count the dashboard's summary rows afresh from the certifications and
applications (after a bulk write that bypassed the services: seeding, a data migration, a restore)."""

from __future__ import annotations

import time
from typing import Any

from django.utils.translation import gettext as _

from core.audit import AuditedCommand
from registry import dashboard_summary


class Command(AuditedCommand):
    help = _("Rebuild the dashboard's summary rows from the certifications and applications (for bulk writes "
             "that bypassed the registry's services); safe to run any time.")

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        rows = dashboard_summary.rebuild()
        self.stdout.write(_("%(rows)s summary rows written in %(seconds).1f s.")
                          % {"rows": rows, "seconds": time.perf_counter() - started})
