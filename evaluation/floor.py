"""The hardware's floor for a first scoring: the same work as a re-score job, written as plainly as possible.

A reference the scale benchmark measures in the same run as the project's own first scoring, so that the ratio
of the two, not a number that moves from machine to machine, says how much the project's machinery costs.
Each of ``processes`` processes takes a contiguous range of enterprise ids and, with plain psycopg:

1. streams its enterprises with their declaration, last year's platform score, three financial years and the
   tiers they hold, in one query through a server-side cursor;
2. evaluates each with the compiled engine (a held tier also as its re-review judges it, as a job does) and
   encodes the same assessment columns a job stores (status, score, route, brief result, input digest);
3. COPYs them, on a second connection, into a scratch table shaped and indexed like the assessment table;
4. clears the flag of the scored enterprises in a scratch copy of the enterprise table with one UPDATE FROM,
   and commits.

It never touches the project's tables. ``check_same_rows`` compares its rows with a job's.
"""

from __future__ import annotations

import datetime
import os
import time
import traceback
from dataclasses import dataclass
from typing import Any

import orjson
import psycopg
from django.db import connection
from psycopg.types.string import TextLoader

from enterprises.models import Enterprise

from . import engine
from .models import Assessment, RulesetVersion
from .profiles import joined_values_sql, split_joined_row, typed_values
from .rescore import ROW_COLUMNS, input_digest
from .versions import compiled

FLOOR_ASSESSMENTS = "bench_floor_assessment"
FLOOR_ENTERPRISES = "bench_floor_enterprise"
_RULESET: list[Any] = []  # read as a plain table: the floor imports no higher layer


@dataclass
class FloorResult:
    enterprises: int
    rows: int
    seconds: float

    @property
    def rate(self) -> float:
        return self.enterprises / self.seconds if self.seconds else 0.0


def prepare(foreign_keys: bool = True) -> None:
    """Create the scratch tables afresh; not timed. The assessment copy has the real table's columns, defaults,
    checks and indexes (the same rows into the same kind of table) and, with ``foreign_keys``, constraints on its
    enterprise and ruleset keys, which the real table leaves out."""
    table = Assessment._meta.db_table
    drop()
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE {FLOOR_ASSESSMENTS} (LIKE {table} INCLUDING ALL)")
        if foreign_keys:
            # The assessment table carries its keys without database constraints (``Assessment.enterprise``):
            # this variant adds them, checked at commit as Django declares them, to show what they would cost.
            for column, model in (("enterprise_id", Enterprise), ("ruleset_id", RulesetVersion)):
                cursor.execute(f"ALTER TABLE {FLOOR_ASSESSMENTS} ADD FOREIGN KEY ({column})"
                               f" REFERENCES {model._meta.db_table} (id) DEFERRABLE INITIALLY DEFERRED")
        cursor.execute(f"CREATE TABLE {FLOOR_ENTERPRISES} (id bigint PRIMARY KEY, needs_rescore boolean NOT NULL)")
        cursor.execute(f"INSERT INTO {FLOOR_ENTERPRISES} SELECT id, true FROM {Enterprise._meta.db_table}")
        cursor.execute(f"VACUUM ANALYZE {FLOOR_ENTERPRISES}")


def drop() -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {FLOOR_ASSESSMENTS}, {FLOOR_ENTERPRISES}")


def _work(dsn: dict[str, Any], ruleset_id: int, year: int, low: int, high: int,
          today: datetime.date) -> tuple[int, int]:
    ruleset = _RULESET[0]  # inherited through fork
    mode = b"brief"
    scored = rows = 0
    columns = ", ".join(ROW_COLUMNS)
    first_tier = None
    with psycopg.connect(**dsn) as reader, psycopg.connect(**dsn) as writer:
        reader.adapters.register_loader("numeric", TextLoader)  # figures hashed as text, as a job reads them
        writer.execute("SET synchronous_commit TO OFF")  # as a job's chunk transaction
        now = datetime.datetime.now(datetime.UTC)
        with reader.cursor(name="floor") as stream, writer.cursor() as out:
            stream.itersize = 2000
            stream.execute(joined_values_sql("e.id BETWEEN %(low)s AND %(high)s"),
                           {"year": year, "low": low, "high": high, "today": today})
            with out.copy(f"COPY {FLOOR_ASSESSMENTS} ({columns}) FROM STDIN") as copy:
                for row in stream:
                    enterprise, figures_version, _flag, inputs = split_joined_row(row, year)
                    if inputs is None:  # no declaration for the year: a job records an error, stores nothing
                        continue
                    held = inputs[5]
                    digest = input_digest(mode, inputs)
                    try:
                        parsed = engine.profile_from_values(*typed_values(inputs))
                        result = engine.evaluate(parsed, ruleset, explain=False, advice=False)
                        if held:
                            engine.evaluate(parsed, ruleset, rereview=True, explain=True, advice=False)
                    except engine.ProfileError:
                        continue
                    for tier, r in result.tiers.items():
                        first_tier = first_tier or tier
                        copy.write_row((enterprise[0], year, ruleset_id, tier, r.status, bool(r.passed),
                                        r.route or "", r.score, r.max_score,
                                        orjson.dumps(r.brief_dict(), default=str).decode(), digest, figures_version,
                                        now, None))
                        rows += 1
                    scored += 1
            out.execute(
                f"UPDATE {FLOOR_ENTERPRISES} e SET needs_rescore = false FROM {FLOOR_ASSESSMENTS} a"
                " WHERE a.enterprise_id = e.id AND a.tier = %s AND a.enterprise_id BETWEEN %s AND %s",
                [first_tier or "", low, high],
            )
        writer.commit()
    return scored, rows


def _ranges(processes: int) -> list[tuple[int, int]]:
    """Contiguous id ranges holding about the same number of enterprises each."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT min(id), max(id) FROM (SELECT id, ntile(%s) OVER (ORDER BY id) AS part"
            f" FROM {Enterprise._meta.db_table}) t GROUP BY part ORDER BY part", [processes])
        return cursor.fetchall()


def _dsn() -> dict[str, Any]:
    s = connection.settings_dict
    dsn = {"dbname": s["NAME"], "user": s["USER"], "password": s["PASSWORD"], "host": s["HOST"],
           "port": s["PORT"]}
    return {k: v for k, v in dsn.items() if v not in (None, "")}


def run(version: Any, year: int, processes: int) -> FloorResult:
    """Score every enterprise into the scratch tables with ``processes`` processes; times steps 1-4."""
    if connection.vendor != "postgresql":
        raise RuntimeError("the floor reference needs PostgreSQL")
    _RULESET[:] = [compiled(version)]
    ranges = _ranges(processes)
    dsn = _dsn()
    today = datetime.date.today()
    connection.close()  # forked processes must not share the parent's connection
    started = time.perf_counter()
    # Plain fork and a pipe per process: no helper threads in this process (a multiprocessing pool's threads can
    # leave a lock held across a later fork, and the next pool's processes then never start).
    children = []
    for low, high in ranges:
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: work, report, leave without running the parent's clean-up
            os.close(read)
            code = 1
            try:
                scored, rows = _work(dsn, version.pk, year, low, high, today)
                os.write(write, f"{scored} {rows}".encode())
                code = 0
            except BaseException:  # noqa: BLE001 - reported, and the parent fails on the exit code
                traceback.print_exc()
            finally:
                os._exit(code)
        os.close(write)
        children.append((pid, read))
    parts = []
    for pid, read in children:
        with os.fdopen(read, "rb") as pipe:
            report = pipe.read().decode()
        _pid, status = os.waitpid(pid, 0)
        if status != 0 or not report:
            raise RuntimeError("a floor process failed (its traceback is above)")
        parts.append(tuple(int(v) for v in report.split()))
    seconds = time.perf_counter() - started
    return FloorResult(sum(p[0] for p in parts), sum(p[1] for p in parts), seconds)


def check_same_rows(ruleset_id: int, year: int) -> int:
    """How many rows differ between the floor's table and the job's assessments (compared column by column,
    without the job id and time): 0 when both wrote the same rows."""
    table = Assessment._meta.db_table
    columns = ("enterprise_id, year, ruleset_id, tier, status, passed, route, score, max_score, result, input_digest,"
               " figures_version")
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT (SELECT count(*) FROM (SELECT {columns} FROM {FLOOR_ASSESSMENTS} EXCEPT SELECT {columns}"
            f" FROM {table} WHERE ruleset_id = %s AND year = %s) a) + (SELECT count(*) FROM (SELECT {columns}"
            f" FROM {table} WHERE ruleset_id = %s AND year = %s EXCEPT SELECT {columns} FROM {FLOOR_ASSESSMENTS}) b)",
            [ruleset_id, year, ruleset_id, year])
        return cursor.fetchone()[0]
