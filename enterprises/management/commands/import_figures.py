"""``manage.py import_figures FILE [--dry-run]``: load enterprises and yearly figures from CSV or XLSX."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser

from core.audit import AuditedCommand, acting_as
from enterprises.import_files import ImportFileError, check_size
from enterprises.importer import import_file


class Command(AuditedCommand):
    help = "Import enterprises and yearly figures from a CSV or XLSX file; nothing is written if any row is bad."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="CSV or XLSX file; headers in Chinese (official forms) or English")
        parser.add_argument("--dry-run", action="store_true", help="validate and report, write nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        try:
            check_size(path.stat().st_size)  # before reading it into memory
        except ImportFileError as exc:
            raise CommandError(f"{path.name}: {exc}")
        started = time.perf_counter()
        with acting_as(reason=f"import_figures {path.name}"):
            result = import_file(path.read_bytes(), path.name, dry_run=options["dry_run"])
        elapsed = time.perf_counter() - started
        if result.errors:
            for error in result.errors[:200]:
                self.stderr.write(str(error))
            if len(result.errors) > 200:
                self.stderr.write(f"... and {len(result.errors) - 200} more errors")
            raise CommandError(f"{len(result.errors)} errors in {path.name}: nothing was imported")
        verb = "Checked (dry run, nothing written)" if options["dry_run"] else "Imported"
        self.stdout.write(self.style.SUCCESS(f"{verb}: {result.summary()} [{elapsed:.1f} s]"))
