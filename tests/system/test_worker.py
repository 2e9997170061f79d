"""A real Celery worker on Redis and PostgreSQL, killed in the middle of a re-score: nothing is lost or doubled."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection
from django.db.models import Count

from evaluation import workers
from evaluation.models import Assessment, RescoreChunk, RescoreJob
from registry.bulk_seed import seed_enterprises
from tests.conftest import YEAR

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]

BASE_DIR = Path(__file__).resolve().parents[2]
ENTERPRISES = 3000
CHUNK = 100


def _database_url() -> str:
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s["PASSWORD"] else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def _manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run([sys.executable, "manage.py", *args], cwd=BASE_DIR, env={**os.environ, **env},
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout


def _wait(condition, timeout: float, what: str, interval: float = 0.02):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


def test_a_worker_killed_mid_rescore_loses_nothing_and_the_resume_completes_the_job(
    postgres_only, redis_url, tmp_path
):
    import redis

    broker = redis.Redis.from_url(redis_url)
    broker.delete("celery", "unacked", "unacked_index")
    ids = seed_enterprises(ENTERPRISES, YEAR, prefix="W")
    env = {"DATABASE_URL": _database_url(), "REDIS_URL": redis_url, "CONN_MAX_AGE": "0"}
    log = open(tmp_path / "worker.log", "ab")  # noqa: SIM115
    first = workers.start_worker("killed", env, log=log, loglevel="INFO")
    second = None
    try:
        _manage(env, "rescore", "--ruleset", "miit-2022", "--year", str(YEAR), "--chunk-size", str(CHUNK),
                "--no-wait")
        job = _wait(lambda: RescoreJob.objects.order_by("-pk").first(), 30, "the job")
        assert job.total == ENTERPRISES and job.chunks.count() == ENTERPRISES // CHUNK

        # Kill the worker (SIGKILL: no warm shutdown) as soon as it has finished a chunk and is into the next.
        _wait(lambda: RescoreJob.objects.get(pk=job.pk).done >= CHUNK, 40, "the first chunk")
        workers.stop(first, kill=True)
        job.refresh_from_db()
        assert job.done < job.total, "the worker was killed before the end of the job"
        assert job.status == "running"

        second = workers.start_worker("restarted", env, log=log, loglevel="INFO")
        _manage(env, "rescore", "--resume", str(job.pk), "--no-wait")
        _wait(lambda: RescoreJob.objects.get(pk=job.pk).status == "done", 45, "the resumed job", interval=0.2)
    finally:
        for process in (first, second):
            if process is not None:
                workers.stop(process, kill=True)
        log.close()

    job.refresh_from_db()
    assert (job.done, job.failed, job.total) == (ENTERPRISES, 0, ENTERPRISES)
    assert not RescoreChunk.objects.filter(job=job, done=False).exists()
    assessments = Assessment.objects.filter(enterprise_id__in=ids, year=YEAR, ruleset_id=job.ruleset_id)
    assert assessments.count() == ENTERPRISES * 5
    per_enterprise = assessments.values("enterprise_id").annotate(n=Count("id"), tiers=Count("tier", distinct=True))
    assert {(row["n"], row["tiers"]) for row in per_enterprise} == {(5, 5)}
    assert per_enterprise.count() == ENTERPRISES
