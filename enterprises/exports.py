"""Export admin lists (enterprises, applications, certifications, assessments) to CSV and XLSX.

The export of a changelist is exactly what the list shows: the admin's own ``ChangeList`` applies the filters,
the search and the reviewer's region, so a reviewer can never export more than they may see. Enterprise exports
use the import columns, so an exported file imports back to the same data.
"""

from __future__ import annotations

import csv
import datetime
import io
from collections import defaultdict
from collections.abc import Iterable, Sequence
from decimal import Decimal
from typing import Any

from django.contrib import admin
from django.contrib.admin.options import IncorrectLookupParameters
from django.db import models
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _

from .admin_base import RegionReadOnlyAdmin
from .importer import ENTERPRISE_COLUMNS, FINANCIAL_COLUMNS, _declaration_fields, export_headers
from .models import Declaration, Enterprise, FinancialYear

FORMATS = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
CHUNK = 2000


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
        import json

        return json.dumps(value, ensure_ascii=False)
    return value


def write_table(headers: Sequence[str], rows: Iterable[Sequence[Any]], fmt: str) -> bytes:
    """The table as CSV (UTF-8 with BOM, so Excel opens Chinese correctly) or XLSX bytes."""
    if fmt == "csv":
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        writer.writerow(headers)
        for row in rows:
            writer.writerow([_cell(v) for v in row])
        return ("\ufeff" + buffer.getvalue()).encode("utf-8")
    if fmt == "xlsx":
        from openpyxl import Workbook

        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet()
        sheet.append(list(headers))
        for row in rows:
            values = []
            for v in row:
                v = _cell(v)
                values.append(str(v) if isinstance(v, Decimal) else v)
            sheet.append(values)
        out = io.BytesIO()
        workbook.save(out)
        return out.getvalue()
    raise ValueError(f"unknown export format {fmt!r}")


def file_response(content: bytes, basename: str, fmt: str) -> HttpResponse:
    response = HttpResponse(content, content_type=FORMATS[fmt])
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="{basename}-{stamp}.{fmt}"'
    return response


# --- enterprises with their figures: the import format -------------------------------------------------------

def enterprise_figure_rows(queryset: QuerySet, language: str | None = None) -> tuple[list[str], Iterable[list]]:
    """One row per enterprise and year with figures (an enterprise without figures gets one row), in chunks."""
    headers = export_headers(language)
    decl_names = [f.attname for f in _declaration_fields()]
    keys = [*ENTERPRISE_COLUMNS, "year", *FINANCIAL_COLUMNS, *decl_names]

    def rows() -> Iterable[list]:
        ids = list(queryset.order_by("pk").values_list("pk", flat=True))
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start:start + CHUNK]
            enterprises = Enterprise.objects.filter(pk__in=chunk).order_by("pk")
            fins: dict[int, dict[int, FinancialYear]] = defaultdict(dict)
            for f in FinancialYear.objects.filter(enterprise_id__in=chunk):
                fins[f.enterprise_id][f.year] = f
            decls: dict[int, dict[int, Declaration]] = defaultdict(dict)
            for d in Declaration.objects.filter(enterprise_id__in=chunk):
                decls[d.enterprise_id][d.year] = d
            for e in enterprises:
                base = [e.uscc, e.name, e.region_id, e.sector, e.established_year, e.established_on, e.address,
                        e.contact_name, e.contact_phone, e.contact_email]
                years = sorted(set(fins[e.pk]) | set(decls[e.pk]))
                if not years:
                    yield [*base, None, *([None] * (len(FINANCIAL_COLUMNS) + len(decl_names)))]
                for year in years:
                    f = fins[e.pk].get(year)
                    d = decls[e.pk].get(year)
                    yield [
                        *base, year,
                        *[getattr(f, k) if f else None for k in FINANCIAL_COLUMNS],
                        *[getattr(d, k) if d else None for k in decl_names],
                    ]

    return [headers[k] for k in keys], rows()


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


def export_queryset(queryset: QuerySet, fmt: str) -> bytes:
    if queryset.model is Enterprise:
        headers, rows = enterprise_figure_rows(queryset)
    else:
        headers, rows = model_rows(queryset)
    return write_table(headers, rows, fmt)


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
        from django.core.exceptions import PermissionDenied
        from django.http import Http404

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
        queryset = changelist.queryset
        return file_response(export_queryset(queryset, fmt), self.opts.model_name, fmt)

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
    def action(modeladmin: admin.ModelAdmin, request: HttpRequest, queryset: QuerySet) -> HttpResponse:
        return file_response(export_queryset(queryset, fmt), modeladmin.opts.model_name, fmt)

    return action


class ReadOnlyExportAdmin(ExportMixin, RegionReadOnlyAdmin):
    """A read-only, region-scoped list that exports (also the plain admin given to exported models no other
    admin is registered for)."""


EXPORTED_MODELS = ("enterprises.Enterprise", "registry.Application", "registry.Certification",
                   "evaluation.Assessment")


def install_exports(site: admin.AdminSite) -> None:
    """Give each exported model's admin the export buttons and actions, whoever registered that admin.

    Called once when the URLs are built, after every app's ``admin.py`` has registered its classes.
    """
    from django.apps import apps

    for label in EXPORTED_MODELS:
        model = apps.get_model(label)
        current = site._registry.get(model)
        if current is not None and isinstance(current, ExportMixin):
            continue
        if current is None:
            admin_class: type = type(f"{model.__name__}ExportAdmin", (ReadOnlyExportAdmin,), {
                "list_display": ["__str__"], "list_filter": [f for f in ("tier", "status") if _has(model, f)],
            })
        else:
            admin_class = type(type(current).__name__, (ExportMixin, type(current)), {})
            site.unregister(model)
        site.register(model, admin_class)


def _has(model: type[models.Model], name: str) -> bool:
    try:
        model._meta.get_field(name)
    except Exception:  # noqa: BLE001
        return False
    return True
