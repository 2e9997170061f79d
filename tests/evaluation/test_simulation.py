"""Policy simulation: a ruleset with one threshold changed, compared with the published one."""

from __future__ import annotations

import pytest
from django.urls import reverse

from evaluation.models import Assessment, SimulationJob
from evaluation.simulation import create_draft, start_simulation
from tests.factories import UserFactory, reviewer, store_profile
from tests.helpers import enterprise_in, load_example, ruleset

pytestmark = pytest.mark.django_db


@pytest.fixture
def simulate(django_capture_on_commit_callbacks):
    """Start a job and run it: jobs are queued after commit, and Celery runs eagerly in tests."""

    def run(*args, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            job = start_simulation(*args, **kwargs)
        job.refresh_from_db()
        return job

    return run


@pytest.fixture
def post_and_run(client, django_capture_on_commit_callbacks):
    def post(url, data):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(url, data)

    return post
PASS_MARK = "tiers.innovative_sme.pass_mark.value"


@pytest.fixture
def population():
    """Example D (innovative score exactly 60) in Hangzhou and in Ningbo, example A (clear pass) in Hangzhou."""
    d_hangzhou = enterprise_in("330106", name="边界企业杭州")
    d_ningbo = enterprise_in("330203", name="边界企业宁波")
    a_hangzhou = enterprise_in("330108", name="优秀企业杭州")
    store_profile(d_hangzhou, load_example("D"))
    store_profile(d_ningbo, load_example("D"))
    store_profile(a_hangzhou, load_example("A"))
    enterprise_in("330106", name="没有申报的企业")  # no figures: skipped, not an error
    return {"d_hangzhou": d_hangzhou, "d_ningbo": d_ningbo, "a_hangzhou": a_hangzhou}


def test_raising_the_innovative_pass_mark_to_65_drops_the_enterprises_at_60(population, simulate):
    base = ruleset()
    draft = create_draft(base, changes={PASS_MARK: 65})
    assert draft.is_draft and draft.based_on == base
    assert base.data["tiers"]["innovative_sme"]["pass_mark"]["value"] == 60  # the published version is untouched

    job = simulate(base, draft, 2025)

    assert job.status == "done"
    assert job.total == 4 and job.processed == 4 and job.skipped == 1
    assert job.worker == ""  # Celery runs eagerly in tests: inline
    losses = {(c.enterprise_id, c.tier, c.kind) for c in job.changes.all()}
    assert losses == {
        (population["d_hangzhou"].pk, "innovative_sme", "loss"),
        (population["d_ningbo"].pk, "innovative_sme", "loss"),
    }
    change = job.changes.get(enterprise=population["d_hangzhou"])
    assert change.base_score == 60 and change.candidate_score == 60
    assert job.summary["per_tier"]["innovative_sme"] == {"gain": 0, "loss": 2}
    assert job.summary["per_city"]["330100"]["innovative_sme"]["loss"] == 1
    assert job.summary["per_city"]["330200"]["innovative_sme"]["loss"] == 1
    assert Assessment.objects.count() == 0  # a simulation never writes an assessment


def test_lowering_the_pass_mark_back_is_a_gain(population, simulate):
    base = ruleset()
    strict = create_draft(base, changes={PASS_MARK: 65})
    job = simulate(strict, base, 2025)
    assert job.summary["per_tier"]["innovative_sme"] == {"gain": 2, "loss": 0}


def test_a_simulation_limited_to_a_city(population, simulate):
    base = ruleset()
    job = simulate(base, create_draft(base, changes={PASS_MARK: 65}), 2025, region_code="330200")
    assert job.total == 1
    assert [c.enterprise_id for c in job.changes.all()] == [population["d_ningbo"].pk]


def test_a_draft_with_an_unknown_rule_is_refused():
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as info:
        create_draft(ruleset(), changes={"tiers.innovative_sme.no_such_rule": 1})
    assert "data" in info.value.message_dict


def test_pages_start_a_job_show_it_and_export_the_affected(client, population, post_and_run):
    base = ruleset()
    draft = create_draft(base, changes={PASS_MARK: 65})
    client.force_login(UserFactory(username="boss", is_staff=True, is_superuser=True))
    response = post_and_run(reverse("insights:simulation"),
                           {"base": base.pk, "candidate": draft.pk, "year": 2025, "city": ""})
    assert response.status_code == 302
    job = SimulationJob.objects.get()
    page = client.get(response["Location"]).content.decode()
    assert "边界企业杭州" in page and "优秀企业杭州" not in page
    export = client.get(reverse("insights:simulation_export", args=[job.pk, "csv"]))
    text = export.content.decode("utf-8-sig")
    assert export["Content-Type"].startswith("text/csv")
    assert population["d_ningbo"].uscc in text and population["a_hangzhou"].uscc not in text
    xlsx = client.get(reverse("insights:simulation_export", args=[job.pk, "xlsx"]))
    assert xlsx.content[:2] == b"PK"


def test_a_city_reviewer_simulates_only_their_city(client, population, post_and_run):
    base = ruleset()
    draft = create_draft(base, changes={PASS_MARK: 65})
    client.force_login(reviewer("city", "330200"))
    response = post_and_run(reverse("insights:simulation"), {"base": base.pk, "candidate": draft.pk, "year": 2025})
    assert response.status_code == 302
    job = SimulationJob.objects.get()
    assert job.region_code == "330200" and job.total == 1


def test_drafting_from_the_page(client):
    base = ruleset()
    client.force_login(UserFactory(username="boss", is_staff=True, is_superuser=True))
    form = client.get(reverse("insights:simulation_draft") + f"?base={base.pk}")
    assert form.status_code == 200
    import json

    data = json.loads(json.dumps(base.data))
    data["tiers"]["innovative_sme"]["pass_mark"]["value"] = 65
    response = client.post(reverse("insights:simulation_draft"),
                           {"base": base.pk, "title": "65 分", "data": json.dumps(data)})
    assert response.status_code == 302
    from evaluation.models import RulesetVersion

    draft = RulesetVersion.objects.get(is_draft=True)
    assert draft.data["tiers"]["innovative_sme"]["pass_mark"]["value"] == 65
