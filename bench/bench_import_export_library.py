"""Prototype, for the decision only: bench_import's 10,000-row file through django-import-export resources.

    pip install django-import-export==4.4.3   # not a requirement of the project
    DATABASE_URL=postgres://... python bench/bench_import_export_library.py --bulk [--rows=10000] [--no-clean]

One resource per model (enterprise by USCC, financial year and declaration by enterprise and year), Chinese
headers through ``column_name``, model validation on (``clean_model_instances``) as our importer does; no
audit entries (the project's importer writes them), so this is the library's best case. Rolled back at the end.
Prints wall and CPU seconds per resource: on a shared machine the CPU seconds are the comparable number.
"""
# ruff: noqa: E402, E501, E702
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
import django

django.setup()
import tablib
from django.db import transaction

try:
    from import_export import fields, resources, widgets
except ImportError:
    sys.exit("django-import-export is not installed: pip install django-import-export==4.4.3")
import bench_import as b

from enterprises.models import Declaration, Enterprise, FinancialYear, Region

BULK = "--bulk" in sys.argv
CLEAN = "--no-clean" not in sys.argv


class EnterpriseResource(resources.ModelResource):
    uscc = fields.Field(attribute="uscc", column_name="统一社会信用代码")
    name = fields.Field(attribute="name", column_name="企业名称")
    region = fields.Field(attribute="region", column_name="行政区划代码", widget=widgets.ForeignKeyWidget(Region, "code"))
    established_year = fields.Field(attribute="established_year", column_name="成立年份", widget=widgets.IntegerWidget())

    class Meta:
        model = Enterprise
        import_id_fields = ("uscc",)
        fields = ("uscc", "name", "region", "established_year")
        use_bulk = BULK
        batch_size = 1000
        skip_unchanged = True
        clean_model_instances = CLEAN


class FinancialResource(resources.ModelResource):
    enterprise = fields.Field(attribute="enterprise", column_name="统一社会信用代码", widget=widgets.ForeignKeyWidget(Enterprise, "uscc"))
    year = fields.Field(attribute="year", column_name="年度", widget=widgets.IntegerWidget())

    class Meta:
        model = FinancialYear
        import_id_fields = ("enterprise", "year")
        fields = ("enterprise", "year", *FinancialYear.PROFILE_FIELDS)
        use_bulk = BULK
        batch_size = 1000
        skip_unchanged = True
        clean_model_instances = CLEAN

    def __init__(self):
        super().__init__()
        names = ["营业收入（万元）", "主营业务收入（万元）", "研发费用（万元）", "净利润（万元）", "资产总额（万元）", "负债总额（万元）"]
        for f, n in zip(FinancialYear.PROFILE_FIELDS, names, strict=True):
            self.fields[f].column_name = n


class DeclarationResource(resources.ModelResource):
    enterprise = fields.Field(attribute="enterprise", column_name="统一社会信用代码", widget=widgets.ForeignKeyWidget(Enterprise, "uscc"))
    year = fields.Field(attribute="year", column_name="年度", widget=widgets.IntegerWidget())
    employees = fields.Field(attribute="employees", column_name="从业人员数", widget=widgets.IntegerWidget())
    rd_staff = fields.Field(attribute="rd_staff", column_name="研发人员数", widget=widgets.IntegerWidget())

    class Meta:
        model = Declaration
        import_id_fields = ("enterprise", "year")
        fields = ("enterprise", "year", "employees", "rd_staff")
        use_bulk = BULK
        batch_size = 1000
        skip_unchanged = True
        clean_model_instances = CLEAN


class Rollback(Exception):
    pass


N = int(next((a.split("=")[1] for a in sys.argv if a.startswith("--rows=")), "10000"))
rows = b.make_rows(N, 1)
content = b.encode(rows, "xlsx")
t0 = time.perf_counter()
dataset = tablib.Dataset().load(content, format="xlsx")
t1 = time.perf_counter()
print(f"django-import-export bulk={BULK} clean={CLEAN}; tablib load xlsx: {t1 - t0:.1f} s, {len(dataset)} rows")
try:
    with transaction.atomic():
        total = 0.0
        for resource in (EnterpriseResource(), FinancialResource(), DeclarationResource()):
            s = time.perf_counter(); c = time.process_time()
            result = resource.import_data(dataset, dry_run=False, raise_errors=False)
            e = time.perf_counter() - s; ce = time.process_time() - c
            total += e
            print(f"{type(resource).__name__}: {e:.1f} s wall, {ce:.1f} s CPU, errors: {result.has_errors() or result.has_validation_errors()}, totals {dict(result.totals)}")
            if result.has_validation_errors():
                print(result.invalid_rows[0].error_dict)
        print(f"three resources: {total:.1f} s (+ {t1 - t0:.1f} s reading), no audit entries")
        raise Rollback
except Rollback:
    print("rolled back")
