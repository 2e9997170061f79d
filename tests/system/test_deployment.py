"""Production settings are safe: `check --deploy` is clean, and the settings refuse to start without a real
secret key when DEBUG is off (secrets come only from the environment)."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _run(args: list[str], **env: str) -> subprocess.CompletedProcess:
    base = {key: value for key, value in os.environ.items()
            if key not in ("SECRET_KEY", "DEBUG", "ALLOWED_HOSTS", "DJANGO_SETTINGS_MODULE",
                           "DJANGO_ALLOW_ASYNC_UNSAFE")}  # the test run sets it for the browser tests
    base.update(env)
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=base, capture_output=True, text=True, timeout=120)


def _production(**extra: str) -> dict[str, str]:
    return {"DEBUG": "0", "SECRET_KEY": secrets.token_urlsafe(60), "ALLOWED_HOSTS": "registry.example.gov.cn",
            **extra}


@pytest.mark.slow
def test_check_deploy_is_clean_with_production_settings() -> None:
    result = _run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], **_production())
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "no issues (0 silenced)" in output, output


PRINT_SETTINGS = (
    "import django, os; os.environ['DJANGO_SETTINGS_MODULE'] = 'config.settings'; django.setup();"
    "from django.conf import settings as s;"
    "print(s.DEBUG, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS,"
    " s.SECURE_PROXY_SSL_HEADER)"
)


def test_production_settings_secure_cookies_hsts_and_the_proxy_header() -> None:
    result = _run(["-c", PRINT_SETTINGS], **_production())
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "True", "True", "True", "31536000", "('HTTP_X_FORWARDED_PROTO',",
                                     "'https')"]


@pytest.mark.parametrize("secret_key", [None, "", "short", "django-insecure-" + "x" * 60, "a" * 60])
def test_settings_refuse_to_start_without_a_real_secret_key_when_debug_is_off(secret_key: str | None) -> None:
    env = _production()
    if secret_key is None:
        del env["SECRET_KEY"]
    else:
        env["SECRET_KEY"] = secret_key
    result = _run(["-c", PRINT_SETTINGS], **env)
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_development_defaults_need_nothing_set() -> None:
    result = _run(["-c", PRINT_SETTINGS])
    assert result.returncode == 0, result.stderr
    assert result.stdout.split()[0] == "True"


PRINT_LOG_FORMAT = (
    "import django, os, logging; os.environ['DJANGO_SETTINGS_MODULE'] = 'config.settings'; django.setup();"
    "from enterprises import log_context; log_context.bind(request_id='r-1', user='u', enterprise=7);"
    "logging.getLogger('probe').warning('hello')"
)


def test_production_logs_are_one_json_object_a_line_with_request_id_user_and_enterprise() -> None:
    import json

    result = _run(["-c", PRINT_LOG_FORMAT], **_production())
    assert result.returncode == 0, result.stderr
    record = json.loads(result.stderr.strip().splitlines()[-1])
    assert record["message"] == "hello" and record["level"] == "WARNING" and record["logger"] == "probe"
    assert (record["request_id"], record["user"], record["enterprise"]) == ("r-1", "u", 7)


def test_development_logs_are_plain_text() -> None:
    result = _run(["-c", PRINT_LOG_FORMAT])
    assert result.returncode == 0, result.stderr
    assert "hello" in result.stderr and not result.stderr.strip().startswith("{")
