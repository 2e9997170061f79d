"""The Celery app, configured from Django settings (``CELERY_`` namespace).

JSON only, tasks acknowledged after they finish (``acks_late``: a killed worker's task is delivered again), one
task prefetched per process (chunks are long; prefetching would idle other workers). With ``REDIS_URL`` unset
tasks run inline (``task_always_eager``); with it set they go to Redis and real workers run them:
``celery -A config worker`` and ``celery -A config beat`` (schedule in the database, see ``setup_schedule``).
"""

import os
from typing import Any

from celery import Celery
from celery.signals import task_postrun, task_prerun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("tier_registry")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


# Database connections in workers. Celery's Django fix-up closes every connection after every task unless
# ``CELERY_DB_REUSE_MAX`` is set (see settings), which costs a re-score chunk a new PostgreSQL backend each time:
# its start-up, cold catalogue caches and the chunk's temporary tables, more than the chunk's own queries. With
# reuse on, Django's own rule applies around each task instead: a connection is kept for ``CONN_MAX_AGE`` seconds
# and dropped when it errored or fails its health check. Tasks run inline (eager) are left alone: they run inside
# the caller's request or transaction.
@task_prerun.connect
@task_postrun.connect
def recycle_database_connections(task: Any = None, **kwargs: Any) -> None:
    if task is not None and getattr(task.request, "is_eager", False):
        return
    # config.celery is imported by config/__init__.py, before Django is set up: django.db only at task time.
    from django.db import close_old_connections

    close_old_connections()
