"""``manage.py discover_candidates --region CODE``: proactive discovery on demand for one region."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from core.audit import AuditedCommand
from enterprises.models import Region
from evaluation.rescore import RescoreRequestError
from registry import pool


class Command(AuditedCommand):
    help = _("Propose cultivation-pool entries for the enterprises of a region that are near a tier they do not "
             "hold (the ruleset's near rules), in bounded chunks; safe to run twice.")

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--region", required=True, help=_("Region code (province, city or county)."))
        parser.add_argument("--year", type=int, default=None, help=_("Figures year (default: last year)."))
        parser.add_argument("--ruleset", default=None, help=_("Ruleset code (default: the one in force)."))
        parser.add_argument("--chunk-size", type=int, default=None)

    def handle(self, *args: Any, **options: Any) -> None:
        code = options["region"]
        if not Region.objects.filter(code=code).exists():
            raise CommandError(_("Unknown region %(code)s.") % {"code": code})
        if options["chunk_size"] is not None and options["chunk_size"] < 1:
            raise CommandError(_("--chunk-size must be at least 1."))
        try:
            made = pool.discover_for_region(code, year=options["year"], ruleset=options["ruleset"],
                                            chunk_size=options["chunk_size"])
        except RescoreRequestError as exc:
            raise CommandError(f"{exc.field}: {exc.message}")
        pending = pool.PoolProposal.objects.filter(status="pending").count()
        self.stdout.write(_("%(n)s new proposals for %(code)s; %(p)s pending in all.")
                          % {"n": made, "code": code, "p": pending})
