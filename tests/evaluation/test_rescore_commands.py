"""The rescore and setup_schedule commands, and the re-score admin."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django_celery_beat.models import PeriodicTask

from evaluation.models import RescoreJob
from evaluation.schedule import DEFAULT_SCHEDULE
from registry.bulk_seed import seed_enterprises
from tests.conftest import YEAR
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("args", "message"), [
    (["--region", "999999"], "--region: Unknown region code 999999"),
    (["--tier", "gold"], "--tier: Unknown tier gold"),
    (["--ruleset", "miit-1999"], "--ruleset: Unknown ruleset miit-1999"),
    (["--region", "330100", "--tier", "little_giant"], "not both"),
    (["--resume", "424242"], "No re-score job #424242"),
])
def test_rescore_rejects_unknown_codes_with_a_clear_error(args, message):
    with pytest.raises(CommandError, match=message):
        call_command("rescore", *args, "--sync", stdout=StringIO())
    assert not RescoreJob.objects.exists()


def test_rescore_sync_runs_the_job_here_and_reports_it():
    seed_enterprises(7, YEAR, prefix="C")
    out = StringIO()
    call_command("rescore", "--sync", "--ruleset", "miit-2022", "--year", str(YEAR), "--region", "330000",
                 "--chunk-size", "3", stdout=out)
    job = RescoreJob.objects.get()
    assert (job.status, job.done, job.total, job.scope_value, job.label) == ("done", 7, 7, "330000",
                                                                              "command:rescore")
    assert f"Job #{job.pk}" in out.getvalue() and "7 scored" in out.getvalue()


def test_setup_schedule_is_idempotent_and_keeps_administrators_changes():
    call_command("setup_schedule", stdout=StringIO())
    call_command("setup_schedule", stdout=StringIO())
    names = {e.name for e in DEFAULT_SCHEDULE}
    assert set(PeriodicTask.objects.values_list("name", flat=True)) == names
    assert {t.task for t in PeriodicTask.objects.all()} == {e.task for e in DEFAULT_SCHEDULE}
    PeriodicTask.objects.filter(name="reminders-daily").update(enabled=False)
    call_command("setup_schedule", stdout=StringIO())
    assert not PeriodicTask.objects.get(name="reminders-daily").enabled
    call_command("setup_schedule", "--reset", stdout=StringIO())
    assert PeriodicTask.objects.get(name="reminders-daily").enabled


def test_every_scheduled_task_is_registered_with_celery():
    from config.celery import app

    app.loader.import_default_modules()
    assert {e.task for e in DEFAULT_SCHEDULE} <= set(app.tasks)


@pytest.fixture
def admin_client_logged_in(client):
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    return client


def test_the_job_list_shows_progress_and_the_start_button(admin_client_logged_in):
    seed_enterprises(4, YEAR, prefix="A")
    from evaluation import rescore

    job = rescore.plan_job(scope="all", ruleset="miit-2022", year=YEAR, chunk_size=2)
    rescore.run_chunk(job.chunks.order_by("number").first().pk)
    page = admin_client_logged_in.get(reverse("admin:evaluation_rescorejob_changelist")).content.decode()
    assert '<progress max="4" value="2"' in page and "2 / 4 (50%)" in page
    assert reverse("admin:evaluation_rescorejob_start") in page


def test_an_administrator_starts_a_rescore_from_the_admin(admin_client_logged_in):
    seed_enterprises(3, YEAR, prefix="B")
    url = reverse("admin:evaluation_rescorejob_start")
    bad = admin_client_logged_in.post(url, {"scope": "region", "region": "999999", "ruleset": "miit-2022"})
    assert bad.status_code == 200 and "Unknown region code 999999" in bad.content.decode()
    assert not RescoreJob.objects.exists()
    response = admin_client_logged_in.post(url, {"scope": "all", "ruleset": "miit-2022", "year": YEAR})
    job = RescoreJob.objects.get()
    assert response.status_code == 302 and job.label == "root" and job.started_by.username == "root"
    detail = admin_client_logged_in.get(reverse("admin:evaluation_rescorejob_change", args=[job.pk]))
    assert detail.status_code == 200


def test_a_reviewer_without_the_permission_cannot_start_a_rescore(client):
    client.force_login(UserFactory(username="clerk", is_staff=True))
    assert client.get(reverse("admin:evaluation_rescorejob_start")).status_code == 403
