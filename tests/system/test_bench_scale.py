"""The scale benchmark's parts that must be right whatever the timings: the COPY seed stores valid registry data
and gives back every index and foreign key it set aside, the plain-psycopg floor writes exactly the rows a
re-score job writes, and the command refuses SQLite with an error (never timed: figures are the benchmark's)."""

from __future__ import annotations

import datetime

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from stdnum.cn import uscc as uscc_check

from enterprises.copy_seed import copy_seed
from enterprises.models import Declaration, Enterprise, FinancialYear
from evaluation import floor, rescore
from evaluation.models import Assessment
from evaluation.profiles import build_profile
from tests.conftest import YEAR

TABLES = ("enterprises_enterprise", "enterprises_declaration", "enterprises_financialyear")


def _schema() -> tuple[list, list]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT tablename, indexname, indexdef FROM pg_indexes WHERE tablename = ANY(%s)"
                       " ORDER BY 1, 2", [list(TABLES)])
        indexes = cursor.fetchall()
        cursor.execute("SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid) FROM pg_constraint"
                       " WHERE conrelid::regclass::text = ANY(%s) ORDER BY 1, 2", [list(TABLES)])
        return indexes, cursor.fetchall()


@pytest.mark.django_db
@pytest.mark.postgres
@pytest.mark.parametrize("rebuild", [False, True])
def test_copy_seed_stores_enterprises_with_figures_and_keeps_the_schema(postgres_only, rebuild):
    before = _schema()
    first, last = copy_seed(40, YEAR, prefix="SEEDTEST", rebuild=rebuild)

    assert _schema() == before  # every index and constraint is back, the same as before
    seeded = Enterprise.objects.filter(name__startswith="SEEDTEST-")
    assert seeded.count() == 40 and last - first == 39
    assert Declaration.objects.filter(enterprise__in=seeded, year=YEAR).count() == 40
    assert FinancialYear.objects.filter(enterprise__in=seeded).count() == 120
    assert len(set(seeded.values_list("region__city_code", flat=True))) > 5  # spread over the province
    profile = build_profile(seeded.get(pk=first + 7), YEAR)
    assert profile["financials"][0]["operating_revenue"] > 0
    assert all(uscc_check.is_valid(code) for code in seeded.values_list("uscc", flat=True))
    assert len(set(Declaration.objects.filter(enterprise__in=seeded).values_list("employees", flat=True))) > 10
    # A later seed continues the ids and credit codes instead of colliding with the first one.
    again, _last = copy_seed(5, YEAR, prefix="SEEDTEST")
    assert again == last + 1
    assert Enterprise.objects.create(uscc="91330106MA27XL0E4X", name="after seeding", region_id="330106",
                                     established_year=2010).pk > _last


@pytest.mark.django_db(transaction=True)
@pytest.mark.postgres
def test_floor_writes_the_same_rows_as_a_rescore_job(postgres_only, ruleset_2022):
    """Assessment for assessment, column for column (but the job id and time), in both table variants."""
    from registry.models import Certification

    first, _last = copy_seed(60, YEAR, prefix="FLOORTEST")
    today = datetime.date.today()
    # A held tier is evaluated as its re-review judges it too, by the job and by the floor.
    Certification.objects.create(enterprise_id=first + 3, tier="innovative_sme", ruleset=ruleset_2022,
                                 granted_on=today - datetime.timedelta(days=365),
                                 expires_on=today + datetime.timedelta(days=700))
    job = rescore.run_job_inline(rescore.plan_job(ruleset=ruleset_2022, year=YEAR, chunk_size=25))
    assert job.done == 60
    try:
        for keys in (False, True):
            floor.prepare(foreign_keys=keys)
            result = floor.run(ruleset_2022, YEAR, processes=2)
            assert (result.enterprises, result.rows) == (60, Assessment.objects.count())
            assert floor.check_same_rows(ruleset_2022.pk, YEAR) == 0
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT count(*) FROM {floor.FLOOR_ENTERPRISES} WHERE needs_rescore")
                assert cursor.fetchone()[0] == 0
    finally:
        floor.drop()


@pytest.mark.django_db
def test_bench_scale_refuses_sqlite_or_a_bad_option(settings):
    if connection.vendor == "sqlite":
        with pytest.raises(CommandError, match="PostgreSQL only"):
            call_command("bench_scale", "--sizes", "10")
        return
    settings.REDIS_URL = "redis://127.0.0.1:6379/15"
    with pytest.raises(CommandError, match="--sizes"):
        call_command("bench_scale", "--sizes", "10,ten")
    with pytest.raises(CommandError, match="--workers"):
        call_command("bench_scale", "--sizes", "10", "--workers", "0")
    with pytest.raises(CommandError, match="--skip"):
        call_command("bench_scale", "--sizes", "10", "--skip", "everything")
