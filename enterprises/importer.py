"""Import enterprises and their yearly figures from the spreadsheets the departments already keep (CSV, XLSX).

- Column headers may be the official forms' Chinese names (统一社会信用代码, 营业收入, ...) or English keys
  (``uscc``, ``operating_revenue``, ...); units in brackets ("营业收入（万元）") are ignored.
- The whole file is validated before anything is written, with the same model validation the admin, API and
  services use; any bad row means nothing is written. Errors name the spreadsheet row and the column.
- Tiers, certifications and application states are never importable: they change only through review.
- Writes are bulk (10,000 rows in seconds) and every created or changed row gets an audit entry.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.audit import AuditAction, build_entry, record_many, snapshot
from core.formulae import restore

from . import import_files, locks
from .import_files import ImportFileError, ImportLimits
from .models import Declaration, Enterprise, FinancialYear, Region
from .services import figures_changed, region_changed
from .validators import normalize_uscc

# Enterprise columns: key -> official Chinese header (first) and other accepted names.
ENTERPRISE_COLUMNS: dict[str, tuple[str, ...]] = {
    "uscc": ("统一社会信用代码", "信用代码"),
    "name": ("企业名称", "单位名称"),
    "region_code": ("行政区划代码", "所在地区代码", "地区代码"),
    "sector": ("所属行业", "行业类别"),
    "established_year": ("成立年份",),
    "established_on": ("成立日期",),
    "address": ("地址", "注册地址"),
    "contact_name": ("联系人",),
    "contact_phone": ("联系电话",),
    "contact_email": ("电子邮箱", "联系邮箱"),
}
YEAR_COLUMN: dict[str, tuple[str, ...]] = {"year": ("年度", "年份", "数据年度")}
FINANCIAL_COLUMNS: dict[str, tuple[str, ...]] = {
    "operating_revenue": ("营业收入",),
    "main_business_revenue": ("主营业务收入",),
    "rd_expense": ("研发费用", "研发费用总额"),
    "net_profit": ("净利润",),
    "total_assets": ("资产总额", "总资产"),
    "total_liabilities": ("负债总额", "总负债"),
}
# Declaration columns with an official name of their own; every other declaration field is accepted by its key
# or its verbose name in either language.
DECLARATION_OFFICIAL: dict[str, tuple[str, ...]] = {
    "employees": ("从业人员数", "从业人员", "职工人数"),
    "rd_staff": ("研发人员数", "研发人员"),
    "ip_class_i": ("I类知识产权数", "Ⅰ类知识产权数"),
    "ip_class_ii": ("II类知识产权数", "Ⅱ类知识产权数"),
    "invention_patents_applied": ("发明专利申请数",),
    "high_tech_enterprise": ("高新技术企业",),
    "digital_level": ("数字化水平等级",),
}
# Never importable: these change only through the review services. Named so the error says why.
FORBIDDEN_COLUMNS: dict[str, tuple[str, ...]] = {
    "current_tier": ("梯度层级", "当前层级", "tier", "层级"),
    "certification": ("认定", "认定状态", "certification_status", "证书", "certified"),
    "application_status": ("申报状态", "application", "status", "状态"),
    "size_class": ("企业规模",),
    "needs_rescore": (),
    "banned_until": (),
    "confirmations": ("确认", "评审确认"),
}
DECLARATION_SKIP = {"id", "enterprise", "year", "updated_at", "confirmations"}
BOOL_TRUE = {"1", "true", "yes", "y", "是", "有", "√", "t"}
BOOL_FALSE = {"0", "false", "no", "n", "否", "无", "×", "f", ""}
MAX_PREVIEW = 50


def _declaration_fields() -> list[models.Field]:
    return [f for f in Declaration._meta.concrete_fields if f.name not in DECLARATION_SKIP]


def normalise_header(text: Any) -> str:
    """Case, spacing and units do not matter: "营业收入（万元）" and "Operating revenue" match their keys."""
    value = str(text or "").strip()
    value = re.sub(r"[（(][^）)]*[）)]\s*$", "", value).strip()
    value = re.sub(r"[\s_\-/]+", "_", value.lower())
    return value.strip("_")


def _verbose_names(f: models.Field) -> list[str]:
    names = [str(f.verbose_name)]
    for language in ("zh-hans", "en"):
        with translation.override(language):
            names.append(str(f.verbose_name))
    return names


def header_map() -> dict[str, str]:
    """Every accepted header (normalised) -> its key; forbidden headers map to ``!key``."""
    mapping: dict[str, str] = {}
    for group in (ENTERPRISE_COLUMNS, YEAR_COLUMN, FINANCIAL_COLUMNS):
        for key, names in group.items():
            for name in (key, *names):
                mapping[normalise_header(name)] = key
    for name in FinancialYear.PROFILE_FIELDS:
        for verbose in _verbose_names(FinancialYear._meta.get_field(name)):
            mapping.setdefault(normalise_header(verbose), name)
    for f in _declaration_fields():
        for name in (f.attname, *DECLARATION_OFFICIAL.get(f.attname, ()), *_verbose_names(f)):
            mapping.setdefault(normalise_header(name), f.attname)
    for f in Enterprise._meta.concrete_fields:
        if f.attname in ENTERPRISE_COLUMNS:
            for verbose in _verbose_names(f):
                mapping.setdefault(normalise_header(verbose), f.attname)
    for key, names in FORBIDDEN_COLUMNS.items():
        for name in (key, *names):
            mapping[normalise_header(name)] = f"!{key}"
    return mapping


def export_headers(language: str | None = None) -> dict[str, str]:
    """The header written for each key on export: the official Chinese name, or the English key."""
    language = language or translation.get_language() or "zh-hans"
    chinese = language.lower().startswith("zh")
    headers: dict[str, str] = {}
    for group in (ENTERPRISE_COLUMNS, YEAR_COLUMN, FINANCIAL_COLUMNS):
        for key, names in group.items():
            headers[key] = names[0] if chinese else key
    for f in _declaration_fields():
        if chinese:
            official = DECLARATION_OFFICIAL.get(f.attname)
            if official:
                headers[f.attname] = official[0]
            else:
                with translation.override("zh-hans"):
                    headers[f.attname] = str(f.verbose_name)
        else:
            headers[f.attname] = f.attname
    return headers


# --- reading files ---------------------------------------------------------------------------------------------

def read_rows(content: bytes, filename: str) -> list[list[Any]]:
    """The file's cells, header first, read within the import limits (see ``import_files``)."""
    return import_files.read_rows(content, filename)


# --- parsing cells -----------------------------------------------------------------------------------------------

def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _choice(f: models.Field, value: str) -> str:
    text = value.strip()
    for code, label in f.choices:
        names = {str(code).lower()}
        for language in ("zh-hans", "en"):
            with translation.override(language):
                names.add(str(label).lower())
        if text.lower() in names:
            return code
    allowed = ", ".join(str(code) for code, _label in f.choices)
    raise ValidationError(_("Unknown value %(value)r; allowed: %(allowed)s.") % {"value": text, "allowed": allowed})


def _number(value: Any, message: str) -> Decimal:
    """A cell's number, refused past the numeric limit before anything computes with it.

    ``1e1000000`` is a finite decimal but no figure; a spreadsheet stores it as infinity. Both, a 27-digit
    revenue and a year of ``1e308``, get this error (with the row and column) instead of an arithmetic error.
    """
    text = str(value).replace(",", "").strip()
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise ValidationError(message % {"value": value})
    if number.is_nan():
        raise ValidationError(message % {"value": value})
    limit = Decimal(settings.REGISTRY["IMPORT_LIMITS"]["MAX_NUMBER"])
    if number.is_infinite() or number.copy_abs() > limit:
        raise ValidationError(_("%(value)s is beyond the limit of ±%(limit)s (REGISTRY_IMPORT_MAX_NUMBER).")
                              % {"value": text[:40], "limit": f"{limit:,}"})
    return number


def parse_cell(f: models.Field, value: Any) -> Any:
    """Convert a spreadsheet cell to the field's Python value, or raise ValidationError saying why."""
    if _blank(value):
        if isinstance(f, models.BooleanField) and not f.null:
            return f.default if f.has_default() else False
        return None
    if isinstance(f, models.BooleanField):
        text = str(value).strip().lower()
        if isinstance(value, bool):
            return value
        if text in BOOL_TRUE:
            return True
        if text in BOOL_FALSE:
            return False
        raise ValidationError(_("Expected yes or no (是/否), got %(value)r.") % {"value": value})
    if f.choices:
        return _choice(f, str(value))
    if isinstance(f, models.DecimalField):
        number = _number(value, _("Expected a number, got %(value)r."))
        return number.quantize(Decimal(1).scaleb(-f.decimal_places))
    if isinstance(f, models.IntegerField):
        number = _number(value, _("Expected a whole number, got %(value)r."))
        if number != number.to_integral_value():
            raise ValidationError(_("Expected a whole number, got %(value)r.") % {"value": value})
        return int(number)
    if isinstance(f, models.DateField):
        if hasattr(value, "date") and callable(value.date):
            return value.date()
        if hasattr(value, "year") and hasattr(value, "month"):
            return value
        return f.to_python(str(value).strip())
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


# --- the result ------------------------------------------------------------------------------------------------

@dataclass
class RowError:
    row: int
    column: str
    message: str

    def __str__(self) -> str:
        if not self.row:  # the file as a whole
            return self.message
        if not self.column:
            return _("row %(row)s: %(message)s") % {"row": self.row, "message": self.message}
        return _("row %(row)s, column %(column)s: %(message)s") % {
            "row": self.row, "column": self.column or "-", "message": self.message
        }


@dataclass
class PreviewRow:
    row: int
    uscc: str
    name: str
    year: int | None
    actions: list[str]


@dataclass
class ImportResult:
    rows: int = 0
    errors: list[RowError] = field(default_factory=list)
    created: dict[str, int] = field(default_factory=lambda: {"enterprise": 0, "financials": 0, "declaration": 0})
    updated: dict[str, int] = field(default_factory=lambda: {"enterprise": 0, "financials": 0, "declaration": 0})
    unchanged: int = 0
    preview: list[PreviewRow] = field(default_factory=list)
    dry_run: bool = True
    written: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        return _(
            "%(rows)s rows: enterprises %(ec)s new, %(eu)s changed; financial years %(fc)s new, %(fu)s changed; "
            "declarations %(dc)s new, %(du)s changed."
        ) % {
            "rows": self.rows, "ec": self.created["enterprise"], "eu": self.updated["enterprise"],
            "fc": self.created["financials"], "fu": self.updated["financials"],
            "dc": self.created["declaration"], "du": self.updated["declaration"],
        }


ACTION_LABELS = {
    "create_enterprise": gettext_lazy("new enterprise"),
    "update_enterprise": gettext_lazy("enterprise details changed"),
    "create_financials": gettext_lazy("new financial year"),
    "update_financials": gettext_lazy("financial year changed"),
    "create_declaration": gettext_lazy("new declaration"),
    "update_declaration": gettext_lazy("declaration changed"),
}


# --- the import itself -----------------------------------------------------------------------------------------

@dataclass
class _Planned:
    """What one validated file will write."""

    enterprises: dict[str, Enterprise] = field(default_factory=dict)  # by uscc
    enterprise_changed: dict[str, list[str]] = field(default_factory=dict)
    enterprise_before: dict[str, dict[str, Any]] = field(default_factory=dict)
    financials: dict[tuple[str, int], FinancialYear] = field(default_factory=dict)
    financial_before: dict[tuple[str, int], dict[str, Any] | None] = field(default_factory=dict)
    declarations: dict[tuple[str, int], Declaration] = field(default_factory=dict)
    declaration_before: dict[tuple[str, int], dict[str, Any] | None] = field(default_factory=dict)


ENTERPRISE_EDITABLE = ("name", "region_id", "sector", "established_year", "established_on", "address",
                       "contact_name", "contact_phone", "contact_email")


def _message_list(exc: ValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return {name: [str(m) for e in errs for m in e.messages] for name, errs in exc.error_dict.items()}
    return {"": [str(m) for m in exc.messages]}


class FiguresImporter:
    """Validate a whole file, then (unless dry run) write it in one transaction."""

    def __init__(self, rows: list[list[Any]]) -> None:
        self.raw = rows
        self.result = ImportResult()
        self.headers: list[str] = []
        self.columns: dict[int, str] = {}  # column index -> key
        self.label: dict[str, str] = {}  # key -> the header as the file spells it

    def column_label(self, key: str) -> str:
        """The column as the file spells it; for a column the file lacks, its official name and key."""
        if key in self.label:
            return self.label[key]
        for group in (ENTERPRISE_COLUMNS, YEAR_COLUMN, FINANCIAL_COLUMNS, DECLARATION_OFFICIAL):
            if key in group and group[key]:
                return f"{group[key][0]} / {key}"
        return key

    # header ---------------------------------------------------------------------------------------------------
    def _read_header(self) -> bool:
        while self.raw and all(_blank(c) for c in self.raw[0]):
            self.raw.pop(0)
        if not self.raw:
            self.result.errors.append(RowError(1, "", _("The file is empty.")))
            return False
        self.headers = [str(c).strip() if c is not None else "" for c in self.raw[0]]
        mapping = header_map()
        seen: dict[str, int] = {}
        for index, header in enumerate(self.headers):
            if not header:
                continue
            key = mapping.get(normalise_header(header))
            if key is None:
                self.result.errors.append(RowError(1, header, _("Unknown column.")))
            elif key.startswith("!"):
                self.result.errors.append(RowError(1, header, _(
                    "Tiers, certifications and application states cannot be imported: they change only "
                    "through review."
                )))
            elif key in seen:
                self.result.errors.append(RowError(1, header, _("Column given twice (also column %(n)s).")
                                                   % {"n": seen[key] + 1}))
            else:
                seen[key] = index
                self.columns[index] = key
                self.label[key] = header
        if "uscc" not in seen:
            self.result.errors.append(RowError(1, "统一社会信用代码 / uscc", _("Required column is missing.")))
        has_figures = any(k in seen for k in FINANCIAL_COLUMNS) or any(
            k in seen for k in (f.attname for f in _declaration_fields())
        )
        if has_figures and "year" not in seen:
            self.result.errors.append(RowError(1, "年度 / year", _("Required column is missing.")))
        return not self.result.errors

    def _records(self) -> Iterator[tuple[int, dict[str, Any]]]:
        """The data rows as {key: cell}; a row with a cell past the length limit is reported and skipped."""
        max_chars = ImportLimits.current().max_cell_chars
        for offset, cells in enumerate(self.raw[1:], start=2):
            if all(_blank(c) for c in cells):
                continue
            record = {}
            refused = False
            for index, key in self.columns.items():
                value = cells[index] if index < len(cells) else None
                if isinstance(value, str) and (len(value) > max_chars or "\x00" in value):
                    refused = True
                    self.result.errors.append(RowError(offset, self.label[key], (
                        _("The cell has %(count)s characters; the limit is %(limit)s "
                          "(REGISTRY_IMPORT_MAX_CELL_CHARS).") % {"count": len(value), "limit": max_chars}
                        if len(value) > max_chars else _("The cell contains a NUL character."))))
                # An export wrote formula-like text with a leading apostrophe (see ``formulae``).
                record[key] = restore(value)
            if not refused:
                yield offset, record

    # validation -----------------------------------------------------------------------------------------------
    def plan(self) -> _Planned:
        """Validate every row; collect the objects to write. Errors go to ``self.result.errors``."""
        planned = _Planned()
        if not self._read_header():
            return planned
        records = list(self._records())
        self.result.rows = len(records)
        self._load_stored(records)
        self._first_row_of: dict[str, int] = {}
        self._year_rows: dict[tuple[str, int], int] = {}
        for row, record in records:
            self._plan_row(planned, row, record)
        return planned

    def _load_stored(self, records: list[tuple[int, dict[str, Any]]]) -> None:
        """What the file touches that is already stored (and what depends on it), in a constant number of queries
        whatever the file's length."""
        codes = {normalize_uscc(str(r.get("uscc") or "")) for _row, r in records}
        self.existing = {e.uscc: e for e in Enterprise.objects.filter(uscc__in=codes)}
        ids = [e.pk for e in self.existing.values()]
        self.locks = locks.dependencies_of(ids)
        years = set()
        for _row, r in records:
            try:
                if not _blank(r.get("year")):
                    years.add(parse_cell(FinancialYear._meta.get_field("year"), r["year"]))
            except ValidationError:
                pass  # reported with its row
        self.stored = {
            FinancialYear: {(f.enterprise_id, f.year): f
                            for f in FinancialYear.objects.filter(enterprise_id__in=ids, year__in=years)},
            Declaration: {(d.enterprise_id, d.year): d
                          for d in Declaration.objects.filter(enterprise_id__in=ids, year__in=years)},
        }
        self.regions = set(Region.objects.values_list("code", flat=True))
        self.decl_fields = {f.attname: f for f in _declaration_fields()}

    def _plan_row(self, planned: _Planned, row: int, record: dict[str, Any]) -> None:
        errors: list[RowError] = []

        def fail(key: str, message: str) -> None:
            errors.append(RowError(row, self.column_label(key), message))

        code = normalize_uscc(str(record.get("uscc") or ""))
        if not code:
            fail("uscc", _("This column is required."))
            self.result.errors.extend(errors)
            return
        actions: list[str] = []
        enterprise = self._plan_enterprise(planned, row, record, code, fail, errors, actions)
        year = self._plan_year(row, record, code, fail)
        if year is not None:
            fin_given = {k: record[k] for k in FINANCIAL_COLUMNS if k in record and not _blank(record[k])}
            decl_given = {k: record[k] for k in self.decl_fields if k in record and not _blank(record[k])}
            if fin_given:
                self._plan_figures(planned, FinancialYear, code, enterprise, year, fin_given, fail, errors, actions)
            if decl_given:
                self._plan_figures(planned, Declaration, code, enterprise, year, decl_given, fail, errors, actions)

        self.result.errors.extend(errors)
        for action in actions:
            kind, what = action.split("_", 1)
            bucket = self.result.created if kind == "create" else self.result.updated
            bucket[what] += 1
        if not actions and not errors:
            self.result.unchanged += 1
        if len(self.result.preview) < MAX_PREVIEW:
            self.result.preview.append(PreviewRow(
                row, code, enterprise.name, year, [str(ACTION_LABELS[a]) for a in actions]
            ))

    def _clean(self, obj: models.Model, exclude: list[str], fail: Any, skip: set[str] = frozenset()) -> None:
        """The model's own validation (as in the admin and the API), reported against the file's columns.

        Uniqueness and constraints are not queried row by row: the file is checked for duplicates and the
        stored rows were loaded up front; the models' ``clean()`` repeats their check constraints.
        """
        try:
            obj.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
        except ValidationError as exc:
            for name, messages in _message_list(exc).items():
                key = "region_code" if name == "region" else name
                if self.column_label(key) not in skip:
                    for message in messages:
                        fail(key, message)

    def _plan_enterprise(
        self, planned: _Planned, row: int, record: dict[str, Any], code: str, fail: Any, errors: list[RowError],
        actions: list[str],
    ) -> Enterprise:
        enterprise = planned.enterprises.get(code) or self.existing.get(code)
        is_new = code not in self.existing
        values: dict[str, Any] = {}
        for key in ENTERPRISE_COLUMNS:
            if key == "uscc" or key not in record or _blank(record[key]):
                continue
            try:
                if key == "region_code":
                    value = str(record[key]).strip().split(".")[0]
                    if value not in self.regions:
                        raise ValidationError(_("Unknown region code %(code)s.") % {"code": value})
                    values["region_id"] = value
                else:
                    values[key] = parse_cell(Enterprise._meta.get_field(key), record[key])
            except ValidationError as exc:
                fail(key, " ".join(exc.messages))
        if enterprise is None:
            enterprise = Enterprise(uscc=code)
            for name in ("name", "region_id", "established_year"):
                if name not in values:
                    fail("region_code" if name == "region_id" else name,
                         _("Required for an enterprise not yet in the registry."))
        if code in planned.enterprises:
            # A later row of an enterprise already planned: its details must agree with the first row's.
            for attname, value in values.items():
                if getattr(enterprise, attname) != value:
                    fail("region_code" if attname == "region_id" else attname,
                         _("Differs from row %(row)s for the same enterprise.") % {"row": self._first_row_of[code]})
            return enterprise
        if errors:
            # Check the row's other values too, so every problem of the row is reported at once.
            probe = copy.copy(enterprise)
            for attname, value in values.items():
                setattr(probe, attname, value)
            self._clean(probe, ["region"], fail, skip={e.column for e in errors})
            return enterprise
        if not is_new:
            planned.enterprise_before.setdefault(code, snapshot(enterprise, Enterprise.audit_fields))
        changed = [a for a, v in values.items() if getattr(enterprise, a) != v]
        if not is_new:  # routing fields with an application or certification depending on them
            deps = self.locks.get(enterprise.pk, [])
            for attname, message in locks.locked_fields(deps, [a.removesuffix("_id") for a in changed]).items():
                fail("region_code" if attname == "region" else attname, message)
            if len(errors):
                return enterprise
        for attname in changed:
            setattr(enterprise, attname, values[attname])
        self._clean(enterprise, ["region"], fail)  # region existence was checked above against one query
        if is_new:
            actions.append("create_enterprise")
        elif changed:
            actions.append("update_enterprise")
            planned.enterprise_changed[code] = changed
        self._first_row_of[code] = row
        planned.enterprises[code] = enterprise
        return enterprise

    def _plan_year(self, row: int, record: dict[str, Any], code: str, fail: Any) -> int | None:
        """The row's figures year; None when the row carries no figures (an enterprise-only row) or is bad."""
        given = any(k in record and not _blank(record[k]) for k in (*FINANCIAL_COLUMNS, *self.decl_fields, "year"))
        if not given:
            return None
        try:
            year = parse_cell(FinancialYear._meta.get_field("year"), record.get("year"))
            if year is None:
                raise ValidationError(_("This column is required when figures are given."))
            if (code, year) in self._year_rows:
                raise ValidationError(_("Year %(year)s of this enterprise is already in row %(row)s.")
                                      % {"year": year, "row": self._year_rows[(code, year)]})
        except ValidationError as exc:
            fail("year", " ".join(exc.messages))
            return None
        self._year_rows[(code, year)] = row
        return year

    def _plan_figures(
        self, planned: _Planned, model: type[FinancialYear] | type[Declaration], code: str, enterprise: Enterprise,
        year: int, given: dict[str, Any], fail: Any, errors: list[RowError], actions: list[str],
    ) -> None:
        """One financial year or declaration: a new row needs its required columns, a stored one is updated."""
        stored = self.stored[model].get((enterprise.pk, year)) if enterprise.pk else None
        obj = model(enterprise_id=enterprise.pk, year=year) if stored is None else stored
        before = None if stored is None else snapshot(stored, model.audit_fields)
        errors_before = len(errors)
        for key, raw in given.items():
            try:
                setattr(obj, key, parse_cell(model._meta.get_field(key), raw))
            except ValidationError as exc:
                fail(key, " ".join(exc.messages))
        if stored is None:
            required = FINANCIAL_COLUMNS if model is FinancialYear else ("employees",)
            message = (_("Required for a new financial year.") if model is FinancialYear
                       else _("Required for a new declaration."))
            for key in required:
                if key not in given:
                    fail(key, message)
        if len(errors) > errors_before:
            return
        if stored is not None and model is Declaration:
            obj.drop_stale_confirmations(before)
        self._clean(obj, ["enterprise"], fail)
        what = "financials" if model is FinancialYear else "declaration"
        if stored is None or snapshot(obj, model.audit_fields) != before:
            message = locks.locked_year(self.locks.get(enterprise.pk, []), what, year) if enterprise.pk else None
            if message:
                for key in given:
                    fail(key, message)
                return
        if stored is None:
            actions.append(f"create_{what}")
        elif snapshot(obj, model.audit_fields) != before:
            actions.append(f"update_{what}")
        rows, befores = ((planned.financials, planned.financial_before) if model is FinancialYear
                         else (planned.declarations, planned.declaration_before))
        rows[(code, year)] = obj
        befores[(code, year)] = before

    # writing ----------------------------------------------------------------------------------------------------
    @transaction.atomic
    def write(self, planned: _Planned) -> None:
        """Write the validated plan; the caller has checked there are no errors."""
        now = timezone.now()
        entries = []
        new = [e for e in planned.enterprises.values() if e.pk is None]
        Enterprise.objects.bulk_create(new, batch_size=1000)
        if any(e.pk is None for e in new):  # a backend that does not return ids
            ids = dict(Enterprise.objects.filter(uscc__in=[e.uscc for e in new]).values_list("uscc", "pk"))
            for e in new:
                e.pk = ids[e.uscc]
        for e in new:
            entries.append(build_entry(e, AuditAction.CREATE, after=snapshot(e, Enterprise.audit_fields)))
        changed = [planned.enterprises[c] for c in planned.enterprise_changed]
        for e in changed:
            e.updated_at = now
            entries.append(build_entry(e, AuditAction.UPDATE, before=planned.enterprise_before[e.uscc],
                                       after=snapshot(e, Enterprise.audit_fields)))
        if changed:
            Enterprise.objects.bulk_update(changed, [*ENTERPRISE_EDITABLE, "updated_at"], batch_size=1000)
            region_changed({e.pk: (planned.enterprise_before[e.uscc].get("region_id"), e.region_id)
                            for e in changed})

        for model, rows, befores in (
            (FinancialYear, planned.financials, planned.financial_before),
            (Declaration, planned.declarations, planned.declaration_before),
        ):
            to_create, to_update = [], []
            for (code, _year), obj in rows.items():
                obj.enterprise_id = planned.enterprises[code].pk
                before = befores[(code, _year)]
                after = snapshot(obj, model.audit_fields)
                if obj.pk is None:
                    to_create.append(obj)
                elif after != before:
                    obj.updated_at = now
                    to_update.append(obj)
                else:
                    continue
                entries.append((obj, before, after))
            model.objects.bulk_create(to_create, batch_size=1000)
            if to_update:
                names = [f.attname for f in model._meta.concrete_fields if f.attname not in ("id", "enterprise_id",
                                                                                              "year")]
                model.objects.bulk_update(to_update, names, batch_size=500)
        audit = []
        for item in entries:
            if isinstance(item, tuple):
                obj, before, after = item
                audit.append(build_entry(obj, AuditAction.CREATE if before is None else AuditAction.UPDATE,
                                         before=before, after=after, object_id=obj.pk or "-"))
            else:
                audit.append(item)
        record_many(audit)
        touched = {planned.enterprises[code].pk for code, _y in (*planned.financials, *planned.declarations)}
        touched |= {e.pk for e in new}
        touched |= {e.pk for e in changed}  # their own profile fields may have changed

        figures_changed(touched)
        self.result.written = True


def import_figures(rows: list[list[Any]], *, dry_run: bool = False) -> ImportResult:
    """Validate ``rows`` (header first) and, when every row is valid and not ``dry_run``, write them all."""
    importer = FiguresImporter(rows)
    planned = importer.plan()
    importer.result.dry_run = dry_run
    if importer.result.ok and not dry_run:
        try:
            importer.write(planned)
        except IntegrityError as exc:
            # Another writer changed the same enterprises between validation and writing; nothing was written.
            importer.result.errors.append(RowError(0, "", _(
                "The registry changed while importing (%(error)s); nothing was imported, please try again."
            ) % {"error": exc}))
    return importer.result


def import_file(content: bytes, filename: str, *, dry_run: bool = False) -> ImportResult:
    """Read a CSV or XLSX file and import it (see ``import_figures``)."""
    try:
        rows = read_rows(content, filename)
    except ImportFileError as exc:
        result = ImportResult(dry_run=dry_run)
        result.errors.append(RowError(exc.row, exc.column, str(exc)))
        return result
    return import_figures(rows, dry_run=dry_run)


def iter_errors(result: ImportResult) -> Iterable[str]:
    return (str(e) for e in result.errors)
