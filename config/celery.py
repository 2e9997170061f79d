"""The Celery app, configured from Django settings (``CELERY_`` namespace).

JSON only, tasks acknowledged after they finish (``acks_late``: a killed worker's task is delivered again), one
task prefetched per process (chunks are long; prefetching would idle other workers). With ``REDIS_URL`` unset
tasks run inline (``task_always_eager``); with it set they go to Redis and real workers run them:
``celery -A config worker`` and ``celery -A config beat`` (schedule in the database, see ``setup_schedule``).
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("tier_registry")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
