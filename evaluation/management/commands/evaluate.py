"""``manage.py evaluate FILE [--ruleset CODE] [--format json|text] [--lang en|zh-hans]``: a thin wrapper around
evaluation.cli."""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand, CommandError

from evaluation.cli import CliError, build_parser, run


class Command(BaseCommand):
    help = (
        "Evaluate enterprise profiles (a JSON object or list; '-' for stdin) against a ruleset and print the "
        "results. Needs no database."
    )
    requires_system_checks: list[str] = []  # pure computation: no checks, no database, fast start
    requires_migrations_checks = False

    def add_arguments(self, parser):
        build_parser(parser)

    def handle(self, *args, **options):
        try:
            output = run(
                options["file"],
                ruleset=options["ruleset"],
                fmt=options["format"],
                stdin=sys.stdin,
                rereview=options["rereview"],
                advice=options["advice"],
                lang=options["lang"],
            )
        except CliError as exc:
            raise CommandError(str(exc), returncode=exc.exit_code) from None
        self.stdout.write(output, ending="")
