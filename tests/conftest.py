"""Shared test set-up: services that must exist under CI, the browser, and common fixtures."""

from __future__ import annotations

import copy
import functools
import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

# Playwright's sync API runs an event loop; Django refuses database calls inside one unless told otherwise.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

IN_CI = bool(os.environ.get("CI"))
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


def missing_service(reason: str) -> None:
    """Skip locally with the reason; under CI a missing service is a failure, never a skip."""
    if IN_CI:
        pytest.fail(f"required under CI: {reason}")
    pytest.skip(reason)


def using_postgres() -> bool:
    from django.conf import settings

    return settings.DATABASES["default"]["ENGINE"].endswith("postgresql")


@pytest.fixture
def postgres_only() -> None:
    """For behaviour only PostgreSQL can show (row locks under concurrency). Under CI the PostgreSQL pass runs it."""
    if not using_postgres():
        pytest.skip("runs in the PostgreSQL pass of the suite (DATABASE_URL=postgres://...)")


@pytest.fixture(scope="session")
def redis_url() -> str:
    import redis

    url = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except Exception as exc:  # noqa: BLE001
        missing_service(f"Redis at {url} is not answering: {exc}")
    return url


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    """Point pytest-playwright at Debian's Chromium (never `playwright install`, which downloads)."""
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        missing_service(f"Chromium not found at {CHROMIUM} (apt-get install chromium)")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage"],
    }


# Tests read in English unless they ask for Chinese. The site's default is zh-hans, and the compiled catalogue
# translates every message; so that assertions on English text hold whatever is translated:
# - code called directly (services, validators, commands) runs with English active;
# - the ``client`` and ``api_client`` fixtures send ``Accept-Language: en`` (a request's own header or the
#   language cookie still wins). Tests of the Chinese default use a bare ``django.test.Client()`` or send
#   ``zh-hans``; tests of Chinese messages outside a request use ``translation.override("zh-hans")``.
@pytest.fixture(autouse=True)
def english_outside_requests():
    from django.utils import translation

    with translation.override("en"):
        yield


def reload_migration_data() -> None:
    """Regions come from a data migration; a transactional test that ran earlier flushed them. (The role groups
    come back by themselves: a flush sends ``post_migrate``, and ``core.roles.sync_role_groups`` answers it.)"""
    from core.roles import sync_role_groups
    from enterprises.models import Region
    from enterprises.regions import BUNDLED_CSV, load_regions

    if not Region.objects.exists():
        load_regions(BUNDLED_CSV)
    sync_role_groups()


@pytest.fixture(autouse=True)
def migration_loaded_data(request: pytest.FixtureRequest) -> None:
    """Every test marked transactional (browser, real worker) starts with the migration-loaded data back,
    whatever ran before it."""
    marker = request.node.get_closest_marker("django_db")
    transactional = marker is not None and bool(marker.kwargs.get("transaction") or (marker.args and marker.args[0]))
    if transactional:
        request.getfixturevalue("transactional_db")
        reload_migration_data()


@pytest.fixture
def migration_data(transactional_db: Any) -> None:
    """The same for a test that gets its transactional database through a fixture (``live_server``, …)."""
    reload_migration_data()


@pytest.fixture
def client():
    from django.test import Client

    return Client(HTTP_ACCEPT_LANGUAGE="en")


@pytest.fixture
def artifacts_dir() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


@pytest.fixture
def api_client():
    from rest_framework.test import APIClient

    return APIClient(HTTP_ACCEPT_LANGUAGE="en")


@pytest.fixture(autouse=True)
def _login_guards(request: pytest.FixtureRequest, settings) -> None:
    """Keep the login guards from leaking between tests.

    django-axes would lock out tests that log in repeatedly (and refuses ``client.login`` without a request):
    it is off except in tests marked ``axes``. The login throttle counts in the cache: clear it per test.
    Passwords are hashed with a fast hasher: the production PBKDF2 costs ~0.5 s a user, which dominated any
    test that creates a few users.
    """
    from django.core.cache import cache

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.AXES_ENABLED = request.node.get_closest_marker("axes") is not None
    cache.clear()


# --- Worked example A and certifications granted outright (re-scoring, lifecycle and worker tests) -----------

# criteria.md §9 Example A (the profile.md sample): passes innovative (95) and specialised (77) under miit-2022,
# fails the hidden champion, the little giant and the single champion.
EXAMPLE_A: dict[str, Any] = json.loads(
    (Path(__file__).resolve().parent / "data" / "example_A.json").read_text(encoding="utf-8"))["profile"]
YEAR = 2025  # the figures year of the worked examples


@pytest.fixture
def ruleset_2022():
    from evaluation.versions import get_ruleset_version

    return get_ruleset_version("miit-2022")


@pytest.fixture
def example_enterprise():
    """Make an enterprise with Example A's figures stored."""
    from tests.factories import EnterpriseFactory, store_profile

    def make(**fields: Any):
        enterprise = EnterpriseFactory(**fields)
        store_profile(enterprise, copy.deepcopy(EXAMPLE_A))
        return enterprise

    return make


@pytest.fixture
def certify(ruleset_2022):
    """Grant a certification directly under the 2022 rules (the review workflow is not under test here)."""
    from tests.factories import certify

    return functools.partial(certify, ruleset=ruleset_2022)
