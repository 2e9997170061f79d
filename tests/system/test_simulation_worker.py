"""The simulation on a real Celery worker with a Redis broker: queued after commit, progress, result."""

from __future__ import annotations

import time

import pytest

from tests.factories import store_profile
from tests.helpers import ensure_regions, enterprise_in, load_example, ruleset


def _reset_connections(app) -> None:
    """Drop the app's cached connection and producer pools so the next use connects to the current broker."""
    app._pool = None
    app.amqp._producer_pool = None
    app._local.__dict__.pop("backend", None)


@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_simulation_runs_on_a_worker(redis_url, postgres_only):
    # PostgreSQL only: the in-memory SQLite test database is shared with the worker's thread through table locks,
    # and this test's polling read makes the worker's write fail now and then ("database table is locked").
    from celery.contrib.testing.worker import start_worker

    from config.celery import app
    from evaluation.simulation import create_draft, start_simulation

    ensure_regions()
    for region in ("330106", "330203"):
        store_profile(enterprise_in(region), load_example("D"))
    base = ruleset()
    draft = create_draft(base, changes={"tiers.innovative_sme.pass_mark.value": 65})

    saved = {k: app.conf[k] for k in ("broker_url", "result_backend", "task_always_eager")}
    app.conf.update(broker_url=redis_url, result_backend=redis_url, task_always_eager=False)
    _reset_connections(app)
    try:
        with start_worker(app, perform_ping_check=False, pool="solo", loglevel="WARNING", shutdown_timeout=10):
            job = start_simulation(base, draft, 2025)  # autocommit: queued at once
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                job.refresh_from_db()
                if job.status in ("done", "failed"):
                    break
                time.sleep(0.2)
    finally:
        app.conf.update(saved)
        _reset_connections(app)
    assert job.status == "done", job.error
    assert job.task_id
    assert job.worker  # a worker took it from the Redis queue; inline runs leave this empty
    assert job.processed == job.total == 2
    assert job.summary["per_tier"]["innovative_sme"] == {"gain": 0, "loss": 2}
