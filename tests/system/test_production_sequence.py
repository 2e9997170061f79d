"""The README's production steps work end to end: ``DEBUG=0`` with a real secret key, ``migrate``,
``collectstatic`` into the manifest storage, then gunicorn serving the portal, the admin login and the API docs
with their hashed static files.

It runs the commands as an operator would, in subprocesses, on a database file of its own (the steps are the
same on PostgreSQL; the suite's PostgreSQL pass covers the migrations there).
"""

from __future__ import annotations

import os
import re
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PORT = int(os.environ.get("PRODUCTION_TEST_PORT", "18131"))
PROXY_HEADERS = {"X-Forwarded-Proto": "https", "Accept-Language": "en"}  # what the TLS proxy sends


def _environment(tmp_path: Path) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items()
           if key not in ("SECRET_KEY", "DEBUG", "ALLOWED_HOSTS", "DJANGO_SETTINGS_MODULE", "REDIS_URL",
                          "DJANGO_ALLOW_ASYNC_UNSAFE")}
    env.update({"DEBUG": "0", "SECRET_KEY": secrets.token_urlsafe(64), "ALLOWED_HOSTS": "127.0.0.1",
                "DATABASE_URL": f"sqlite:///{tmp_path / 'production.sqlite3'}",
                "STATIC_ROOT": str(tmp_path / "static")})
    return env


def _run(args: list[str], env: dict[str, str]) -> None:
    result = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"


def _get(path: str) -> tuple[int, str, dict[str, str]]:
    request = urllib.request.Request(f"http://127.0.0.1:{PORT}{path}", headers=PROXY_HEADERS)
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(request, timeout=20) as response:
            return response.status, response.read().decode("utf-8", "replace"), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8", "replace"), dict(error.headers)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # noqa: ANN002, ANN003
        return None


def _wait_for_port(process: subprocess.Popen, port: int = PORT) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"gunicorn exited: {process.stderr.read()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.3)
    raise AssertionError("gunicorn did not start listening within 60 s")


@pytest.mark.slow
def test_the_documented_production_sequence_serves_portal_admin_and_api_docs(tmp_path: Path) -> None:
    env = _environment(tmp_path)
    _run(["migrate", "--noinput"], env)
    _run(["collectstatic", "--noinput"], env)
    assert (tmp_path / "static" / "staticfiles.json").exists(), "the manifest storage wrote no manifest"
    gunicorn = Path(sys.executable).with_name("gunicorn")
    process = subprocess.Popen([str(gunicorn), "config.wsgi", "--workers", "1", "--bind", f"127.0.0.1:{PORT}"],
                               cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        _wait_for_port(process)
        status, body, _ = _get("/login/")
        assert status == 200, body[:2000]
        assert "tier-registry" in body or "<form" in body
        status, body, _ = _get("/admin/login/")
        assert status == 200, body[:2000]
        assert 'name="password"' in body
        status, docs, _ = _get("/api/docs/")
        assert status == 200, docs[:2000]
        assert "swagger" in docs.lower()
        status, schema, headers = _get("/api/schema/")
        assert status == 200 and "openapi" in schema
        # The pages name hashed static files, and the server delivers them.
        assets = re.findall(r'(?:src|href)="(/static/[^"]+\.[0-9a-f]{12}\.(?:js|css))"', body + docs)
        assert assets, "no hashed static file is referenced"
        for asset in set(assets):
            status, _, headers = _get(asset)
            assert status == 200, asset
            assert "max-age" in headers.get("Cache-Control", ""), asset
        # Without the proxy's header a plain-HTTP request is sent to HTTPS.
        with pytest.raises(urllib.error.HTTPError) as redirect:
            urllib.request.build_opener(_NoRedirect).open(f"http://127.0.0.1:{PORT}/login/", timeout=20)
        assert redirect.value.code == 301
    finally:
        process.terminate()
        process.wait(timeout=30)
