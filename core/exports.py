"""Export admin lists (enterprises, applications, certifications, assessments) to CSV and XLSX.

The export of a changelist is exactly what the list shows: the admin's own ``ChangeList`` applies the filters,
the search and the reviewer's region, so a reviewer can never export more than they may see. An admin chooses
its columns with ``export_rows`` (the enterprises' admin uses the import columns, so an exported file imports
back to the same data).
"""

from __future__ import annotations

import csv
import datetime
import io
import json
import re
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.contrib.admin.options import IncorrectLookupParameters
from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBadRequest
from django.urls import path
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext as _

from .admin_base import RegionReadOnlyAdmin
from .formulae import is_formula_like, neutralise_text

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
CHUNK = 2000
# Control characters XML 1.0 cannot carry (all but tab, newline and carriage return): XLSX cannot store them.
XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, Decimal):
        return format(value.normalize(), "f") if value == value.to_integral_value() else format(value, "f")
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).replace(tzinfo=None) if timezone.is_aware(value) else value
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return value


def write_table(headers: Sequence[str], rows: Iterable[Sequence[Any]], fmt: str) -> bytes:
    """The table as CSV (UTF-8 with BOM, so Excel opens Chinese correctly) or XLSX bytes.

    Every export goes through here, so text a spreadsheet would run as a formula is neutralised here, once
    (see ``formulae``): the headers too, as a ruleset draft's or a report's headers may come from data.
    """
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow([neutralise_text(str(h)) for h in headers])
        for row in rows:
            # Only text is neutralised: a number (a negative one too) is written as the number it is.
            writer.writerow([neutralise_text(str(v)) if isinstance(v, str | Promise) else _cell(v) for v in row])
        return ("\ufeff" + buffer.getvalue()).encode("utf-8")
    if fmt == "xlsx":
        from openpyxl import Workbook  # imported on first export: openpyxl costs ~0.1 s at every start-up

        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet()
        sheet.append([_xlsx_cell(sheet, str(h)) for h in headers])
        for row in rows:
            sheet.append([_xlsx_cell(sheet, v) for v in row])
        out = io.BytesIO()
        workbook.save(out)
        return out.getvalue()
    raise ValueError(f"unknown export format {fmt!r}")


def _xlsx_cell(sheet: Any, value: Any) -> Any:
    """A value for an XLSX row: numbers as numbers, formula-like text as a quote-prefixed string cell."""
    if isinstance(value, Promise):
        value = str(value)
    if isinstance(value, Decimal):
        return value  # a number cell (openpyxl writes the decimal's own digits)
    if not isinstance(value, str):
        return _cell(value)
    value = XML_ILLEGAL.sub("", value)
    if not is_formula_like(value):
        return value
    from openpyxl.cell import WriteOnlyCell  # see write_table: openpyxl is imported on first use

    cell = WriteOnlyCell(sheet, value)
    cell.data_type = "s"  # openpyxl would otherwise store text starting with "=" as a formula
    cell.quotePrefix = True  # and Excel keeps it text when the cell is edited
    return cell


def file_response(content: bytes, basename: str, fmt: str) -> HttpResponse:
    response = HttpResponse(content, content_type=FORMATS[fmt])
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="{basename}-{stamp}.{fmt}"'
    return response


# --- any model: its concrete fields, choices shown as labels -----------------------------------------------------

def model_rows(queryset: QuerySet) -> tuple[list[str], Iterable[list]]:
    """Every concrete field of the model; foreign keys as their text, choices as their labels."""
    model = queryset.model
    fields = list(model._meta.concrete_fields)
    related = [f.name for f in fields if isinstance(f, models.ForeignKey)]
    headers = [str(f.verbose_name) for f in fields]

    def rows() -> Iterable[list]:
        for obj in queryset.select_related(*related).iterator(chunk_size=CHUNK):
            row = []
            for f in fields:
                if isinstance(f, models.ForeignKey):
                    target = getattr(obj, f.name)
                    row.append(str(target) if target is not None else "")
                elif f.choices:
                    row.append(getattr(obj, f"get_{f.name}_display")())
                else:
                    row.append(getattr(obj, f.attname))
            yield row

    return headers, rows()


# --- the admin side: buttons on the changelist and actions on selected rows ---------------------------------------

class ExportMixin:
    """Adds "Export CSV / Export XLSX" to a changelist (respecting its filters) and as actions."""

    change_list_template = "admin/export_change_list.html"

    def get_urls(self) -> list:
        info = self.opts.app_label, self.opts.model_name
        return [
            path("export/<str:fmt>/", self.admin_site.admin_view(self.export_view), name="{}_{}_export".format(*info)),
            *super().get_urls(),
        ]

    def export_view(self, request: HttpRequest, fmt: str) -> HttpResponse:
        if fmt not in FORMATS:
            raise Http404
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        try:
            changelist = self.get_changelist_instance(request)
        except IncorrectLookupParameters as exc:
            # The list itself shows these as "?e=1"; a download has no page to show it on: say what was wrong.
            return HttpResponseBadRequest(_("The list's filter is not valid: %(reason)s") % {"reason": exc},
                                          content_type="text/plain; charset=utf-8")
        return self.export_response(changelist.queryset, fmt)

    def export_rows(self, queryset: QuerySet) -> tuple[list[str], Iterable[list]]:
        """The headers and rows of an export: every concrete field unless the admin says otherwise."""
        return model_rows(queryset)

    def export_response(self, queryset: QuerySet, fmt: str) -> HttpResponse:
        headers, rows = self.export_rows(queryset)
        return file_response(write_table(headers, rows, fmt), self.opts.model_name, fmt)

    def get_actions(self, request: HttpRequest) -> dict:
        actions = super().get_actions(request)
        for fmt in FORMATS:
            name = f"export_selected_{fmt}"
            actions[name] = (_export_action(fmt), name, _export_description(fmt))
        return actions


def _export_description(fmt: str) -> str:
    # The admin fills in %(verbose_name_plural)s itself, so it is escaped here.
    return _("Export selected %%(verbose_name_plural)s as %(format)s") % {"format": fmt.upper()}


def _export_action(fmt: str) -> Any:
    def action(modeladmin: ExportMixin, request: HttpRequest, queryset: QuerySet) -> HttpResponse:
        return modeladmin.export_response(queryset, fmt)

    return action


class ReadOnlyExportAdmin(ExportMixin, RegionReadOnlyAdmin):
    """A read-only, region-scoped list that exports."""
