"""Schema-driven fuzzing: schemathesis generates requests (valid and invalid) for every operation of the
project's own OpenAPI schema, sends them in-process to the WSGI application with the token of an enterprise
member and of a reviewer, and checks every answer: never a 5xx, and status code, content type, headers and
body as the schema documents them.

The run is bounded and deterministic (a fixed number of examples per operation, derandomized), so it is the same
on every machine. Path ids point at real objects of the test world so the requests reach the code behind them.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from .world import World, build_world

MAX_EXAMPLES = 25
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_headers_conformance,
          response_schema_conformance]
ROLES = ("member_a", "city_in")

schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())

# Counted for the run summary (tests/system/conftest.py prints it).
STATS: dict[str, Any] = {"cases": 0, "operations": set(), "statuses": {}}


def _real_ids(world: World, case: Any) -> None:
    """Point ``{id}`` (and ``{evidence_id}``) at objects that exist and that the world's users may reach."""
    params = case.path_parameters
    if not params or "id" not in params:
        return
    path = case.operation.path
    if path.startswith("/api/enterprises/"):
        params["id"] = world.enterprise_a.pk
    elif path.startswith("/api/applications/"):
        params["id"] = world.objects["application_a"].pk
    elif path.startswith("/api/certifications/"):
        params["id"] = world.objects["certification_a"].pk
    # /api/expert/assignments/{id}/: the world's roles sit on no panel, so any id is a documented 404.


@pytest.fixture
def world(db: Any) -> Iterator[World]:
    """The test world, and the WSGI app kept from closing the test's database connection after each request
    (Django's own test client does the same: the test runs inside a transaction that must stay open)."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield build_world()
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


@pytest.mark.slow
@pytest.mark.parametrize("role", ROLES)
@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, derandomize=True, deadline=None, database=None,
          phases=[Phase.explicit, Phase.generate],
          suppress_health_check=list(HealthCheck))
def test_every_operation_answers_as_its_schema_says(case: Any, world: World, role: str) -> None:
    _real_ids(world, case)
    response = case.call(headers={"Authorization": f"Token {world.token(role)}"})
    STATS["cases"] += 1
    STATS["operations"].add(f"{case.operation.method.upper()} {case.operation.path}")
    STATS["statuses"][response.status_code] = STATS["statuses"].get(response.status_code, 0) + 1
    case.validate_response(response, checks=CHECKS)
