"""Load GB/T 2260 regions: the bundled file (every province, Zhejiang's cities and counties), or a fuller CSV."""

from pathlib import Path
from typing import Any

from django.core.management.base import CommandError

from core.audit import AuditedCommand
from enterprises.regions import BUNDLED_CSV, RegionFileError, load_regions


class Command(AuditedCommand):
    help = "Load regions from a CSV with columns code,name,name_en,level,parent_code (default: the bundled file)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("csv", nargs="?", default=str(BUNDLED_CSV), help="path of the CSV file")

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["csv"])
        if not path.exists():
            raise CommandError(f"{path}: no such file")
        try:
            created, updated = load_regions(path)
        except RegionFileError as exc:
            raise CommandError(str(exc))
        self.stdout.write(f"regions: {created} created, {updated} updated")
