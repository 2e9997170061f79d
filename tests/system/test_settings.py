"""Settings come from the environment; production refuses to start without a real SECRET_KEY."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


SETUP = "import django; django.setup(); print('ok')"


def run_django(env: dict[str, str], code: str = SETUP) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k not in ("SECRET_KEY", "DEBUG", "DATABASE_URL", "REDIS_URL")}
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env={**base, "DJANGO_SETTINGS_MODULE":
                          "config.settings", **env}, capture_output=True, text=True, timeout=60)


def test_production_without_a_secret_key_refuses_to_start():
    result = run_django({"DEBUG": "0"})
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_production_with_a_short_or_repetitive_key_refuses_to_start():
    assert run_django({"DEBUG": "0", "SECRET_KEY": "short"}).returncode != 0
    assert run_django({"DEBUG": "0", "SECRET_KEY": "a" * 60}).returncode != 0


def test_production_with_a_real_key_starts_and_reads_the_database_url():
    code = ("import django; django.setup(); from django.conf import settings; "
            "print(settings.DATABASES['default']['ENGINE'], settings.CELERY_TASK_ALWAYS_EAGER)")
    result = run_django({"DEBUG": "0", "SECRET_KEY": "k3y-" + "x9Qz!" * 12,
                         "DATABASE_URL": "postgres://u:p@db.example:5432/reg", "REDIS_URL": "redis://r:6379/0"}, code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["django.db.backends.postgresql", "False"]


def test_the_default_needs_nothing_set():
    code = ("import django; django.setup(); from django.conf import settings; "
            "print(settings.DATABASES['default']['ENGINE'], settings.CELERY_TASK_ALWAYS_EAGER)")
    result = run_django({}, code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["django.db.backends.sqlite3", "True"]
