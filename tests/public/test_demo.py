"""After ``seed_demo`` the public pages are not empty: enterprises in publicity and an announced round."""

from io import StringIO

import pytest
from django.core.management import call_command

from registry.models import Announcement, Application

pytestmark = pytest.mark.django_db


def test_seed_demo_fills_the_public_pages(client) -> None:
    out = StringIO()
    call_command("seed_demo", "--enterprises", "150", "--seed", "3", "--no-accounts", stdout=out)
    assert "public pages:" in out.getvalue()
    listed = list(Application.objects.filter(status="publicity").select_related("enterprise"))
    assert listed
    html = client.get("/public/publicity/").content.decode()
    assert all(app.enterprise.name in html for app in listed)
    announcement = Announcement.objects.get()
    assert announcement.entries.exists()
    page = client.get(f"/public/announcements/{announcement.pk}/").content.decode()
    assert announcement.entries.first().enterprise.name in page
    # Running it again adds no second application for the same enterprises.
    call_command("seed_demo", "--enterprises", "150", "--seed", "3", "--no-accounts", stdout=StringIO())
    assert Application.objects.filter(status="publicity").count() >= len(listed)
    assert Announcement.objects.count() == 1
