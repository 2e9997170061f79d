"""The Celery app, configured from Django settings (``CELERY_`` namespace).

With ``REDIS_URL`` unset tasks run inline (``task_always_eager``); with it set they go to Redis and real
workers run them: ``celery -A config worker`` and ``celery -A config beat``.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("tier_registry")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
