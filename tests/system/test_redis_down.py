"""Redis (broker and cache) down is not an outage.

The whole application is started as in production, with ``REDIS_URL`` naming a port nothing listens on: sign-up,
the token endpoint, paginated lists and a submission answer normally. In-process, the cache really talks to the
closed port: the large lists' count and the login throttle fall back to a per-process store, with a warning.
"""

from __future__ import annotations

import json
import logging
import os
import secrets
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache

from config import pagination
from enterprises.uscc import make_uscc
from tests.factories import EnterpriseFactory, UserFactory
from tests.system.test_production_sequence import ROOT, _run, _wait_for_port

CLOSED_PORT = 18198
SERVER_PORT = 18132


def _closed_redis_url() -> str:
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", CLOSED_PORT)) != 0, f"something listens on {CLOSED_PORT}"
    return f"redis://127.0.0.1:{CLOSED_PORT}/1"


@pytest.fixture
def redis_down(settings: Any) -> str:
    url = _closed_redis_url()
    settings.CACHES = {"default": {"BACKEND": "config.cache.ResilientRedisCache", "LOCATION": url}}
    return url


def _registration(username: str) -> dict[str, Any]:
    return {"username": username, "password": "violet-harbour-trams-42", "email": f"{username}@example.com",
            "enterprise": {"uscc": make_uscc("330106"), "name": f"{username}有限公司", "region_code": "330106",
                           "sector": "industry", "established_year": 2016}}


@pytest.mark.django_db
def test_with_the_cache_on_a_closed_port_lists_tokens_and_sign_up_answer(redis_down: str, api_client: Any,
                                                                       caplog: Any) -> None:
    caplog.set_level(logging.WARNING, logger="config.cache")
    response = api_client.post("/api/register/", _registration("outage-owner"), format="json")
    assert response.status_code == 201, response.content
    token = api_client.post("/api/auth/token/", {"username": "outage-owner", "password": "violet-harbour-trams-42"},
                            format="json")
    assert token.status_code == 200, token.content
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token.json()['token']}")
    listing = api_client.get("/api/enterprises/?page=1")
    assert listing.status_code == 200 and listing.json()["count"] == 1
    assert any("Redis cache unreachable" in record.getMessage() for record in caplog.records)


@pytest.mark.django_db
def test_with_the_cache_down_the_login_throttle_still_counts(redis_down: str, api_client: Any) -> None:
    UserFactory(username="victim")
    codes = [api_client.post("/api/auth/token/", {"username": "victim", "password": f"guess-{n}"},
                             format="json").status_code for n in range(12)]
    assert codes[:10] == [400] * 10 and codes[10:] == [429, 429]


@pytest.mark.django_db
def test_with_the_cache_down_a_large_count_is_still_right(redis_down: str, settings: Any, monkeypatch: Any,
                                                         api_client: Any) -> None:
    monkeypatch.setattr(pagination, "LARGE_COUNT", 3)  # counts of 3 and more would be cached
    for _ in range(4):
        EnterpriseFactory()
    api_client.force_authenticate(UserFactory(username="root", is_staff=True, is_superuser=True))
    assert api_client.get("/api/enterprises/").json()["count"] == 4
    EnterpriseFactory()
    # The fallback caches per process, as Redis would: at most COUNT_SECONDS stale.
    assert api_client.get("/api/enterprises/").json()["count"] in (4, 5)


@pytest.mark.redis
@pytest.mark.django_db
def test_with_redis_up_the_cache_uses_it(settings: Any, redis_url: str) -> None:
    import redis

    settings.CACHES = {"default": {"BACKEND": "config.cache.ResilientRedisCache", "LOCATION": redis_url,
                                   "KEY_PREFIX": "h18-resilient"}}
    cache.set("probe", "here", 30)
    keys = redis.Redis.from_url(redis_url).keys("h18-resilient:*probe")
    assert keys, "the value did not reach Redis"
    assert cache.get("probe") == "here"
    cache.delete("probe")


def _call(method: str, path: str, body: dict | None = None, token: str | None = None) -> tuple[int, Any]:
    headers = {"Content-Type": "application/json", "Accept-Language": "en"}
    if token:
        headers["Authorization"] = f"Token {token}"
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(f"http://127.0.0.1:{SERVER_PORT}{path}", data=data, headers=headers,
                                     method=method)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8", "replace")


@pytest.mark.slow
def test_the_server_started_with_redis_unreachable_answers_sign_up_tokens_lists_and_submissions(
        tmp_path: Path) -> None:
    env = {key: value for key, value in os.environ.items()
           if key not in ("DJANGO_SETTINGS_MODULE", "DJANGO_ALLOW_ASYNC_UNSAFE", "SECRET_KEY")}
    env.update({"DEBUG": "1", "SECRET_KEY": secrets.token_urlsafe(64), "REDIS_URL": _closed_redis_url(),
                "DATABASE_URL": f"sqlite:///{tmp_path / 'outage.sqlite3'}", "AXES_ENABLED": "1"})
    _run(["migrate", "--noinput"], env)
    gunicorn = Path(sys.executable).with_name("gunicorn")
    process = subprocess.Popen([str(gunicorn), "config.wsgi", "--workers", "1", "--timeout", "60",
                                "--bind", f"127.0.0.1:{SERVER_PORT}"], cwd=ROOT, env=env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        _wait_for_port(process, SERVER_PORT)
        status, body = _call("POST", "/api/register/", _registration("outage-api"))
        assert status == 201, body
        enterprise = body["enterprise"]["id"]
        status, body = _call("POST", "/api/auth/token/", {"username": "outage-api",
                                                          "password": "violet-harbour-trams-42"})
        assert status == 200, body
        token = body["token"]
        for path in ("/api/enterprises/", "/api/applications/", "/api/certifications/", "/api/tiers/"):
            status, body = _call("GET", path, token=token)
            assert status == 200, (path, body)
        financials = {"operating_revenue": 3000, "main_business_revenue": 2800, "rd_expense": 200,
                      "net_profit": 100, "total_assets": 5000, "total_liabilities": 2000, "employees": 80}
        status, body = _call("PUT", f"/api/enterprises/{enterprise}/financials/2025/", financials, token=token)
        assert status in (200, 201), body
        status, body = _call("POST", "/api/applications/", {"enterprise": enterprise, "tier": "innovative_sme",
                                                             "year": 2025}, token=token)
        assert status == 201, body
        # Submitting queues notifications for after the commit: with the broker down it is still saved.
        status, body = _call("POST", f"/api/applications/{body['id']}/submit/", {}, token=token)
        assert status in (200, 400), body  # 400 only for figures the rules need and are missing
    finally:
        process.terminate()
        _, stderr = process.communicate(timeout=30)
    assert "Redis cache unreachable" in stderr
