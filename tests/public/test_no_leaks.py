"""Crawl every public page and download, following every link under /public/, and look for the private values
the world seeded: figures, scores, contacts, evidence names, revocation details and the objector's identity."""

from __future__ import annotations

import io
import re
from html import unescape
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
from django.test import Client

from registry import objections
from tests.public.conftest import PRIVATE

pytestmark = pytest.mark.django_db

SECRETS = [PRIVATE.revenue, PRIVATE.rd, PRIVATE.score, PRIVATE.contact_name, PRIVATE.contact_phone,
           PRIVATE.contact_email, PRIVATE.address, PRIVATE.evidence, PRIVATE.objector, PRIVATE.objector_email,
           PRIVATE.objector_phone, PRIVATE.objection_reason, PRIVATE.objection_file, "私密的撤销细节"]


def text_of(response: Any) -> str:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    if response["Content-Type"].startswith("application/vnd.openxmlformats"):
        from openpyxl import load_workbook

        book = load_workbook(io.BytesIO(content))
        return "\n".join(str(v) for sheet in book for row in sheet.iter_rows(values_only=True) for v in row)
    return unescape(content.decode("utf-8-sig"))


def crawl(client: Client, starts: list[str]) -> dict[str, str]:
    seen: dict[str, str] = {}
    queue = list(starts)
    while queue:
        url = queue.pop()
        if url in seen:
            continue
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
        body = text_of(response)
        seen[url] = body
        for href in re.findall(r'href="([^"#]+)"', body):
            target = urljoin(url, unescape(href))
            parts = urlsplit(target)
            if parts.path.startswith("/public/") and not parts.netloc:
                queue.append(parts.path + (f"?{parts.query}" if parts.query else ""))
    return seen


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_no_public_page_or_download_shows_a_private_value(world: Any, language: str) -> None:
    from registry.objections import decide_objection
    from tests.factories import reviewer

    decide_objection(world.objection, user=reviewer("province", "330000"), action="investigate",
                     reason="正在调查。")
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    status = f"/public/objections/{objections.status_token(world.objection)}/"
    pages = crawl(client, ["/public/publicity/", "/public/announcements/", "/public/directory/?q=有限公司",
                           "/public/directory/?tier=innovative_sme", "/public/data/", status])
    visited = set(pages)
    # The crawl reached every kind of page and file.
    assert {"/public/data/directory.csv", "/public/data/directory.json", status} <= visited
    assert any(u.startswith("/public/publicity/") and u.endswith("/object/") for u in visited)
    for ext in ("csv", "xlsx", "json"):
        assert any(u.endswith(f".{ext}") and u.startswith("/public/announcements/") for u in visited), ext
    assert any(world.announced.enterprise.name in body for body in pages.values())
    for url, body in pages.items():
        for secret in SECRETS:
            assert secret not in body, f"{secret!r} shown on {url}"
