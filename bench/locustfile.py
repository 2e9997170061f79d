"""Locust scenario of ``bench/load.py``: enterprise users reading their enterprise, its self-assessment and the
enterprise list, and submitting an application; registry staff listing all enterprises.

The tokens and ids come from the JSON file that ``load.py`` writes (``BENCH_ACCOUNTS``). Each simulated user owns
one enterprise, so submissions never collide: create a draft, submit it, withdraw it (which frees the tier).
"""

from __future__ import annotations

import itertools
import json
import os
from pathlib import Path

from locust import FastHttpUser, between, constant, task

ACCOUNTS = json.loads(Path(os.environ["BENCH_ACCOUNTS"]).read_text(encoding="utf-8"))
WAIT = float(os.environ.get("BENCH_WAIT", "1.0"))
_members = itertools.cycle(ACCOUNTS["members"])


class EnterpriseUser(FastHttpUser):
    """A member of one enterprise (most traffic) or, one user in ten, registry staff listing everything."""

    wait_time = between(WAIT * 0.5, WAIT * 1.5) if WAIT > 0 else constant(0)

    def on_start(self) -> None:
        account = next(_members)
        self.enterprise_id = account["enterprise_id"]
        self.member = {"Authorization": f"Token {account['token']}"}
        self.staff = {"Authorization": f"Token {ACCOUNTS['staff_token']}"}
        self.year = ACCOUNTS["year"]

    @task(4)
    def enterprise_list_staff(self) -> None:
        """The list over all 100,000 enterprises, as registry staff see it (first page of 50)."""
        self.client.get("/api/enterprises/", headers=self.staff, name="GET /api/enterprises/ (staff, 100k)")

    @task(2)
    def enterprise_list_member(self) -> None:
        self.client.get("/api/enterprises/", headers=self.member, name="GET /api/enterprises/ (member)")

    @task(6)
    def enterprise(self) -> None:
        self.client.get(f"/api/enterprises/{self.enterprise_id}/", headers=self.member,
                        name="GET /api/enterprises/{id}/")

    @task(4)
    def assessment(self) -> None:
        self.client.get(f"/api/enterprises/{self.enterprise_id}/assessment/?year={self.year}", headers=self.member,
                        name="GET /api/enterprises/{id}/assessment/")

    @task(1)
    def submit(self) -> None:
        body = {"enterprise": self.enterprise_id, "tier": "innovative_sme", "year": self.year}
        with self.client.post("/api/applications/", json=body, headers=self.member, name="POST /api/applications/",
                              catch_response=True) as created:
            if created.status_code != 201:
                created.failure(f"{created.status_code}: {created.text[:200]}")
                return
            app_id = created.json()["id"]
        self.client.post(f"/api/applications/{app_id}/submit/", headers=self.member,
                         name="POST /api/applications/{id}/submit/")
        self.client.post(f"/api/applications/{app_id}/withdraw/", json={"reason": "load test"}, headers=self.member,
                         name="POST /api/applications/{id}/withdraw/")
