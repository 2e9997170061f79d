"""Re-score jobs: chunks, idempotency, errors, scopes, demotion proposals (tasks run inline here)."""

from __future__ import annotations

import datetime
import json
from decimal import Decimal

import pytest
from django.db import connection, transaction
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.utils.html import escape

from core.audit import AuditEntry
from enterprises.models import Enterprise, Tier
from evaluation import rescore, tasks
from evaluation.models import Assessment, ProfileSnapshot, RescoreChunk, RescoreError, RescoreJob, RulesetVersion
from evaluation.services import assessment_snapshot, explained_results, publish_ruleset
from registry.bulk_seed import seed_enterprises
from registry.models import DemotionProposal
from tests.conftest import YEAR
from tests.factories import EnterpriseFactory

pytestmark = pytest.mark.django_db


def seed(count: int, prefix: str = "T") -> list[int]:
    return seed_enterprises(count, YEAR, prefix=prefix)


def test_a_full_rescore_stores_one_assessment_per_tier_for_every_enterprise(
    ruleset_2022, django_capture_on_commit_callbacks
):
    ids = seed(25)
    with django_capture_on_commit_callbacks(execute=True):
        job = tasks.start_job(scope="all", ruleset="miit-2022", year=YEAR, chunk_size=10, label="test")
    job.refresh_from_db()
    assert (job.status, job.total, job.done, job.failed) == ("done", 25, 25, 0)
    assert job.finished_at is not None and job.progress == 100
    assert list(job.chunks.values_list("size", "done")) == [(10, True), (10, True), (5, True)]
    rows = Assessment.objects.filter(enterprise_id__in=ids, year=YEAR, ruleset=ruleset_2022)
    assert rows.count() == 25 * len(Tier.values)
    assert sorted(set(rows.values_list("tier", flat=True))) == sorted(Tier.values)
    assert not Enterprise.objects.filter(pk__in=ids, needs_rescore=True).exists()
    ruleset_2022.refresh_from_db()
    assert ruleset_2022.first_used_at is not None


def test_a_rescore_reaches_the_same_results_as_the_live_evaluation(example_enterprise, ruleset_2022):
    from evaluation.services import evaluate_enterprise

    enterprise = example_enterprise()
    job = rescore.run_job_inline(rescore.plan_job(scope="all", ruleset="miit-2022", year=YEAR))
    assert job.done == 1
    live = evaluate_enterprise(enterprise, YEAR, ruleset_2022, advice=False).to_dict(portable=True)["tiers"]
    stored = {a.tier: a for a in Assessment.objects.filter(enterprise=enterprise, job_id=job.pk)}
    assert {t: r["status"] for t, r in live.items()} == {t: a.status for t, a in stored.items()}
    assert stored["innovative_sme"].passed and not stored["little_giant"].passed
    assert len({a.input_digest for a in stored.values()}) == 1


def test_running_a_chunk_twice_changes_nothing_the_second_time(ruleset_2022):
    ids = seed(12)
    job = rescore.plan_job(scope="all", ruleset="miit-2022", year=YEAR, chunk_size=12)
    chunk = job.chunks.get()
    first = rescore.run_chunk(chunk.pk)
    again = rescore.run_chunk(chunk.pk)
    job.refresh_from_db()
    assert (first.scored, first.skipped) == (12, False)
    assert again.skipped
    assert (job.done, job.status) == (12, "done")
    assert Assessment.objects.filter(enterprise_id__in=ids).count() == 12 * 5


def test_a_chunk_that_dies_midway_leaves_nothing_behind_and_the_resume_finishes_it(
    ruleset_2022, monkeypatch, django_capture_on_commit_callbacks
):
    ids = seed(20)
    job = rescore.plan_job(scope="all", ruleset="miit-2022", year=YEAR, chunk_size=10)
    real_write = rescore.write_assessments

    def write_then_die(rows, snapshots, **kwargs):
        real_write(rows, snapshots, **kwargs)
        raise RuntimeError("worker killed")

    monkeypatch.setattr(rescore, "write_assessments", write_then_die)
    first = job.chunks.order_by("number").first()
    with pytest.raises(RuntimeError):
        rescore.run_chunk(first.pk)
    first.refresh_from_db()
    job.refresh_from_db()
    assert not first.done and first.attempts == 1
    assert (job.done, job.status) == (0, "queued")
    assert not Assessment.objects.filter(enterprise_id__in=ids).exists()
    assert Enterprise.objects.filter(pk__in=ids, needs_rescore=True).count() == 20

    monkeypatch.setattr(rescore, "write_assessments", real_write)
    with django_capture_on_commit_callbacks(execute=True):
        queued = tasks.resume_job(job.pk)
    job.refresh_from_db()
    assert queued == 2
    assert (job.done, job.status) == (20, "done")
    assert Assessment.objects.filter(enterprise_id__in=ids).count() == 20 * 5


def test_resuming_a_finished_job_queues_nothing():
    seed(3)
    job = rescore.run_job_inline(rescore.plan_job(scope="all", ruleset="miit-2022", year=YEAR))
    assert tasks.resume_job(job.pk) == 0
    assert RescoreChunk.objects.get(job=job).attempts == 1


def test_a_stalled_job_is_requeued_by_the_safety_net(ruleset_2022):
    seed(4)
    job = rescore.plan_job(scope="all", ruleset="miit-2022", year=YEAR)
    RescoreJob.objects.filter(pk=job.pk).update(updated_at=job.updated_at - datetime.timedelta(hours=1))
    assert tasks.resume_stale_jobs() == [job.pk]
    job.refresh_from_db()
    assert job.status == "done" and job.done == 4


def test_an_enterprise_without_figures_is_reported_and_does_not_stop_the_job():
    seed(3)
    bare = EnterpriseFactory()
    job = rescore.run_job_inline(rescore.plan_job(scope="all", ruleset="miit-2022", year=YEAR))
    assert (job.status, job.done, job.failed, job.total) == ("done", 3, 1, 4)
    error = RescoreError.objects.get(job=job)
    assert error.enterprise_id == bare.pk and error.field == "declarations"
    assert not Assessment.objects.filter(enterprise=bare).exists()


def test_a_chunk_reads_and_writes_with_the_same_number_of_queries_whatever_its_size(ruleset_2022, settings):
    # Sizes kept under one SQLite insert batch (its bound-parameter limit splits bigger inserts). The re-score's
    # own queries: pool discovery, which writes only when it finds candidates, is pinned in its own tests.
    settings.REGISTRY = {**settings.REGISTRY, "POOL_DISCOVERY": False}
    ruleset_2022.mark_used()
    seed(3, prefix="S")
    small = rescore.plan_job(scope="all", ruleset="miit-2022", year=YEAR)
    rescore._COMPILED.clear()  # a process compiles the job's ruleset once: both chunks start cold
    with CaptureQueriesContext(connection) as few:
        rescore.run_chunk(small.chunks.get().pk)
    seed(12, prefix="L")
    large = rescore.plan_job(scope="all", ruleset="miit-2022", year=YEAR)
    rescore._COMPILED.clear()
    with CaptureQueriesContext(connection) as many:
        rescore.run_chunk(large.chunks.get().pk)
    assert large.total == 15
    assert len(many) == len(few)
    assert len(many) <= 27  # (on PostgreSQL the snapshots' COPY runs in a savepoint: two of them)


def test_unknown_region_tier_or_ruleset_is_rejected_naming_it():
    for kwargs, field in [({"scope": "region", "value": "999999"}, "region"),
                          ({"scope": "tier", "value": "gold"}, "tier"),
                          ({"scope": "all", "ruleset": "miit-1999"}, "ruleset")]:
        with pytest.raises(rescore.RescoreRequestError) as excinfo:
            rescore.plan_job(**kwargs)
        assert excinfo.value.field == field
    assert not RescoreJob.objects.exists()


def test_a_region_rescore_covers_the_counties_of_a_city():
    xihu = EnterpriseFactory(region_id="330106")
    EnterpriseFactory(region_id="330203")
    job = rescore.plan_job(scope="region", value="330100", ruleset="miit-2022", year=YEAR)
    assert job.total == 1
    assert job.chunks.get().enterprise_ids == [xihu.pk]


def test_a_tier_rescore_covers_the_enterprises_at_that_tier():
    holder = EnterpriseFactory()
    Enterprise.objects.filter(pk=holder.pk).update(current_tier="little_giant")
    EnterpriseFactory()
    job = rescore.plan_job(scope="tier", value="little_giant", ruleset="miit-2022", year=YEAR)
    assert job.chunks.get().enterprise_ids == [holder.pk]


def test_a_certified_enterprise_that_no_longer_meets_its_tier_is_proposed_for_demotion_once(
    example_enterprise, certify
):
    enterprise = example_enterprise()
    today = datetime.date.today()
    granted, expires = today - datetime.timedelta(days=400), today + datetime.timedelta(days=700)
    giant = certify(enterprise, "little_giant", granted, expires)
    certify(enterprise, "innovative_sme", granted, expires)

    job = rescore.run_job_inline(rescore.plan_job(scope="all", ruleset="miit-2022", year=YEAR))
    proposal = DemotionProposal.objects.get(enterprise=enterprise)
    assert (proposal.certification_id, proposal.tier, proposal.status, proposal.job_id) == (
        giant.pk, "little_giant", "open", job.pk)
    assert proposal.unmet, "the proposal says which rules are no longer met"
    giant.refresh_from_db()
    assert giant.status == "active", "never an automatic demotion"
    entry = AuditEntry.objects.for_object(proposal).get()
    assert entry.context["job"] == job.pk
    # The same entry whichever database wrote it (PostgreSQL writes proposals and entries in one statement).
    after = {"tier": "little_giant", "year": YEAR, "status": "open", "certification_id": giant.pk}
    assert (entry.action, entry.object_repr, entry.enterprise_id) == ("create", str(proposal), enterprise.pk)
    assert entry.after == after and entry.before is None
    assert entry.changes == {key: [None, value] for key, value in after.items()}
    assert entry.reason == f"Re-score #{job.pk}: no longer meets the tier."

    rescore.run_job_inline(rescore.plan_job(scope="all", ruleset="miit-2022", year=YEAR))
    assert DemotionProposal.objects.filter(enterprise=enterprise).count() == 1


def test_publishing_a_ruleset_version_rescores_everyone_under_it(ruleset_2022, django_capture_on_commit_callbacks):
    ids = seed(3)
    draft = RulesetVersion.objects.create(code="miit-2022", version=ruleset_2022.version + 1, title="draft",
                                          effective_from=ruleset_2022.effective_from, data=ruleset_2022.data,
                                          is_draft=True)
    with django_capture_on_commit_callbacks(execute=True):
        publish_ruleset(draft)
    draft.refresh_from_db()
    assert not draft.is_draft
    job = RescoreJob.objects.get(ruleset=draft)
    assert (job.scope, job.status, job.done) == ("all", "done", 3)
    assert Assessment.objects.filter(ruleset=draft, enterprise_id__in=ids).count() == 15


def test_the_safety_net_gives_up_on_a_chunk_that_keeps_failing_but_an_explicit_resume_retries_it(
    ruleset_2022, django_capture_on_commit_callbacks
):
    seed(2)
    job = rescore.plan_job(scope="all", ruleset="miit-2022", year=YEAR)
    RescoreChunk.objects.filter(job=job).update(attempts=tasks.MAX_AUTOMATIC_ATTEMPTS)
    RescoreJob.objects.filter(pk=job.pk).update(updated_at=job.updated_at - datetime.timedelta(hours=1))
    assert tasks.resume_stale_jobs() == [job.pk]
    job.refresh_from_db()
    assert job.status == "queued" and job.done == 0
    assert tasks.resume_job(job.pk) == 1
    job.refresh_from_db()
    assert job.status == "done" and job.done == 2


def test_a_demotion_proposal_names_the_unmet_rules_even_when_results_are_stored_without_breakdown(
    example_enterprise, certify, settings
):
    settings.REGISTRY = {**settings.REGISTRY, "RESCORE_EXPLAIN": False}
    enterprise = example_enterprise()
    today = datetime.date.today()
    certify(enterprise, "little_giant", today - datetime.timedelta(days=30), today + datetime.timedelta(days=900))
    rescore.run_job_inline(rescore.plan_job(scope="all", ruleset="miit-2022", year=YEAR))
    assert DemotionProposal.objects.get(enterprise=enterprise).unmet


def test_the_fast_chunk_read_builds_the_profile_the_live_evaluation_builds(example_enterprise, certify):
    """``profile_values`` + ``engine.profile_from_values`` (re-scoring) and ``build_profile`` + ``parse_profile``
    (API, portal) give the same profile: missing years, last year's platform score, held tiers, 创客中国."""
    from enterprises.models import Declaration, FinancialYear
    from evaluation import engine, profiles
    from evaluation.profiles import build_profile

    plain = example_enterprise()
    young = example_enterprise()
    FinancialYear.objects.filter(enterprise=young, year=YEAR - 2).delete()
    certified = example_enterprise()
    Declaration.objects.filter(enterprise=certified, year=YEAR).update(chuangke="top50", platform_score=71)
    previous = Declaration.objects.get(enterprise=certified, year=YEAR)
    previous.pk, previous.year, previous.platform_score = None, YEAR - 1, Decimal("64.50")
    previous.save()
    today = datetime.date.today()
    certify(certified, "innovative_sme", today - datetime.timedelta(days=30), today + datetime.timedelta(days=900))
    undeclared = EnterpriseFactory()
    judged = example_enterprise()  # the 2026 declared items, one confirmed and one refused
    Declaration.objects.filter(enterprise=judged, year=YEAR).update(
        niche_share_leading=True, international_share_pct=Decimal("12.50"),
        confirmations={"market.niche_share_leading": True, "market.international_share_pct": False})
    enterprises = [plain, young, certified, undeclared, judged]
    rows = profiles.enterprise_rows([e.pk for e in enterprises])
    values = profiles.profile_values(rows, YEAR)
    assert values[undeclared.pk] is None
    if connection.vendor == "postgresql":  # a chunk's one joined read gives the same rows and values
        joined = profiles.joined_values([e.pk for e in enterprises], YEAR)
        assert [row[0] for row in joined] == rows
        assert {row[0][0]: row[3] for row in joined} == values
    built = {}
    for enterprise in (plain, young, certified, judged):
        built[enterprise] = fast = engine.profile_from_values(*profiles.typed_values(values[enterprise.pk]))
        assert fast == engine.parse_profile(build_profile(enterprise, YEAR))
    fast = built[certified]
    assert fast.platform_score_previous == Decimal("64.50") and fast.awards.chuangke == "top50"
    assert fast.held_tiers == {"innovative_sme"}
    assert built[plain].market.niche_share_leading is None and built[plain].confirmations == {}
    fast = built[judged]
    assert (fast.market.niche_share_leading, fast.market.international_share_pct) == (True, Decimal("12.5"))
    assert fast.confirmations == {"market.niche_share_leading": True, "market.international_share_pct": False}


def test_only_enterprises_whose_input_changed_are_evaluated_and_rewritten_again(ruleset_2022, monkeypatch,
                                                                                settings):
    from enterprises.models import FinancialYear
    from enterprises.services import figures_changed
    from evaluation import engine

    ids = seed(12)
    first = rescore.run_job_inline(rescore.plan_job(scope="all", ruleset="miit-2022", year=YEAR))
    digests = dict(Assessment.objects.filter(tier="innovative_sme", enterprise_id__in=ids)
                   .values_list("enterprise_id", "input_digest"))
    FinancialYear.objects.filter(enterprise_id=ids[3], year=YEAR).update(rd_expense=F("rd_expense") + 7)
    figures_changed([ids[3]])  # what every service that writes figures does
    # The re-score's own evaluations (the discovery that follows the job judges its rewritten enterprises again).
    settings.REGISTRY = {**settings.REGISTRY, "POOL_DISCOVERY": False}
    evaluated, read = [], []
    real = engine.profile_from_values
    monkeypatch.setattr(engine, "profile_from_values", lambda *a: evaluated.append(a) or real(*a))
    real_read = rescore._read_chunk
    monkeypatch.setattr(rescore, "_read_chunk", lambda ids, year: read.extend(ids) or real_read(ids, year))
    second = rescore.run_job_inline(rescore.plan_job(scope="all", ruleset="miit-2022", year=YEAR))
    assert (second.done, second.failed) == (12, 0)
    assert len(evaluated) == 1
    assert read == [ids[3]]  # the eleven unchanged enterprises' figures never left the database
    rows = Assessment.objects.filter(enterprise_id__in=ids, year=YEAR, ruleset=ruleset_2022)
    assert set(rows.filter(job_id=second.pk).values_list("enterprise_id", flat=True)) == {ids[3]}
    assert rows.filter(job_id=first.pk).count() == 11 * len(Tier.values)
    changed = rows.get(enterprise_id=ids[3], tier="innovative_sme")
    assert changed.input_digest != digests[ids[3]] and assessment_snapshot(changed)["financials"][0]["year"] == YEAR
    assert changed.result["explained"] is False and "indicators" not in changed.result
    assert (explained := explained_results([changed])[changed.pk])["indicators"] and all(
        "message" in u for u in explained["unmet"])


def test_a_result_stored_without_its_breakdown_is_explained_again_exactly_as_the_live_evaluation(
    example_enterprise, ruleset_2022, django_assert_max_num_queries
):
    from evaluation import engine
    from evaluation.profiles import build_profile
    from evaluation.services import evaluate_enterprise, explained_results

    enterprise = example_enterprise()
    rescore.run_job_inline(rescore.plan_job(scope="all", ruleset="miit-2022", year=YEAR))
    live = evaluate_enterprise(enterprise, YEAR, ruleset_2022, advice=False).to_dict(portable=True)["tiers"]
    stored = list(Assessment.objects.filter(enterprise=enterprise).select_related("ruleset"))
    assert len(stored) == 5 and all(a.result["explained"] is False for a in stored)
    with django_assert_max_num_queries(1):
        explained = explained_results(stored)
    for a in stored:
        assert explained[a.pk] == live[a.tier]
    # The compact snapshot a re-score stores gives back the very profile the live evaluation builds.
    live_profile = engine.profile_to_dict(engine.parse_profile(build_profile(enterprise, YEAR)))
    assert assessment_snapshot(stored[0]) == live_profile
    assert any(u["message"] for a in stored for u in explained[a.pk]["unmet"])


def test_rows_that_appear_while_a_chunk_runs_are_updated_not_duplicated_and_the_chunk_still_commits(ruleset_2022):
    """A live evaluation stored rows before the chunk wrote its own: the merge still succeeds and leaves one row
    per tier, carrying the chunk's result (the streamed COPY's side of the race is the test below)."""
    ids = seed(3)
    job = rescore.plan_job(scope="all", ruleset="miit-2022", year=YEAR)
    rescore.run_job_inline(job)
    rows = Assessment.objects.filter(enterprise_id__in=ids).order_by("enterprise_id", "tier")
    stale = [(*r[:9], json.dumps(r[9]), *r[10:]) for r in rows.values_list(*rescore.ROW_COLUMNS)]
    Assessment.objects.filter(enterprise_id=ids[0]).update(status="pending", input_digest="raced")
    with transaction.atomic():
        rescore.write_assessments(stale, {})
    assert rows.count() == 3 * len(Tier.values)
    assert not rows.filter(input_digest="raced").exists()
    assert list(rows.filter(enterprise_id=ids[0]).values_list("status", flat=True)) == [
        row[4] for row in stale if row[0] == ids[0]
    ]


def test_reviewers_see_the_breakdown_of_a_re_scored_assessment_in_the_admin_and_on_the_print_page(
    example_enterprise, ruleset_2022, client
):
    from django.urls import reverse

    from tests.factories import UserFactory

    enterprise = example_enterprise()
    rescore.run_job_inline(rescore.plan_job(scope="all", ruleset="miit-2022", year=YEAR))
    stored = Assessment.objects.get(enterprise=enterprise, tier="little_giant")
    assert stored.result["explained"] is False
    unmet = explained_results([stored])[stored.pk]["unmet"][0]["message"]
    client.force_login(UserFactory(username="chief", is_staff=True, is_superuser=True))
    change = client.get(reverse("admin:evaluation_assessment_change", args=[stored.pk])).content.decode()
    printed = client.get(reverse("insights:assessment_print", args=[enterprise.pk]) + f"?year={YEAR}")
    printed = printed.content.decode()
    innovative_row = Assessment.objects.get(enterprise=enterprise, tier="innovative_sme")
    innovative = explained_results([innovative_row])[innovative_row.pk]
    for page in (change, printed):
        assert escape(unmet) in page
    assert innovative["indicators"][0]["code"] in printed


def _judged_again(monkeypatch, ids: list[int]) -> list[int]:
    """The enterprises a full re-score reads and evaluates again (the rest it skips in the database)."""
    read: list[int] = []
    real_read = rescore._read_chunk
    monkeypatch.setattr(rescore, "_read_chunk", lambda ids, year: read.extend(ids) or real_read(ids, year))
    rescore.run_job_inline(rescore.plan_job(scope="all", ruleset="miit-2022", year=YEAR))
    monkeypatch.setattr(rescore, "_read_chunk", real_read)
    return sorted(pk for pk in read if pk in ids)


def test_each_kind_of_change_brings_the_enterprise_back_into_the_rescore(ruleset_2022, monkeypatch):
    from enterprises.services import save_financials, update_enterprise

    ids = seed(6)
    rescore.run_job_inline(rescore.plan_job(scope="all", ruleset="miit-2022", year=YEAR))
    assert _judged_again(monkeypatch, ids) == []
    # The enterprise's own profile fields: the founding year decides the years in operation.
    update_enterprise(Enterprise.objects.get(pk=ids[0]), {"established_year": 2001})
    # Figures through the service.
    save_financials(Enterprise.objects.get(pk=ids[1]), YEAR, {"rd_expense": Decimal("123.45")})
    # Stored results of an older engine or storage mode.
    Assessment.objects.filter(enterprise_id=ids[2]).update(input_digest="0" * 64)
    # A live evaluation stored meanwhile (it records no figures version).
    Assessment.objects.filter(enterprise_id=ids[3], tier="innovative_sme").update(figures_version=None)
    assert _judged_again(monkeypatch, ids) == ids[:4]
    assert _judged_again(monkeypatch, ids) == []


def test_a_stale_instance_saved_later_does_not_put_an_old_figures_version_back(ruleset_2022, monkeypatch):
    from enterprises.services import figures_changed

    ids = seed(2)
    stale = Enterprise.objects.get(pk=ids[0])
    rescore.run_job_inline(rescore.plan_job(scope="all", ruleset="miit-2022", year=YEAR))
    figures_changed([ids[0]])
    stale.contact_name = "王经理"
    stale.save()
    assert _judged_again(monkeypatch, ids) == [ids[0]]


def test_a_tier_that_lapses_brings_the_enterprise_back_into_the_rescore(ruleset_2022, monkeypatch, certify):
    from registry.certifications import refresh_current_tier

    ids = seed(3)
    today = datetime.date.today()
    cert = certify(Enterprise.objects.get(pk=ids[1]), "innovative_sme", today - datetime.timedelta(days=1000),
                   today + datetime.timedelta(days=90))
    rescore.run_job_inline(rescore.plan_job(scope="all", ruleset="miit-2022", year=YEAR))
    assert _judged_again(monkeypatch, ids) == [ids[1]]  # a holder is always judged again
    type(cert).objects.filter(pk=cert.pk).update(expires_on=today - datetime.timedelta(days=1))
    refresh_current_tier([ids[1]])
    assert _judged_again(monkeypatch, ids) == [ids[1]]  # judged once more without the tier
    assert _judged_again(monkeypatch, ids) == []


@pytest.mark.usefixtures("postgres_only")
def test_profile_snapshots_carry_only_the_index_their_lookups_use() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE tablename = %s", [ProfileSnapshot._meta.db_table])
        indexes = [row[0] for row in cursor.fetchall()]
    assert len(indexes) == 1 and "(digest)" in indexes[0] and "pattern_ops" not in indexes[0]


def test_a_change_made_after_the_chunk_read_its_enterprise_keeps_the_flag_and_is_judged_again(
    ruleset_2022, monkeypatch
):
    """Chunks lock no enterprise: the flag is cleared only at the figures version the chunk read, so a change
    that lands between the read and the clear is not lost, and the next re-score judges it."""
    from enterprises.services import figures_changed

    ids = seed(3)
    changed = ids[1]
    real_clear = rescore._clear_seen_flags
    calls = []

    def change_then_clear(rows):
        if rows and not calls:  # the chunk has read its enterprises; another writer saves a figure now
            figures_changed([changed])
            calls.append(rows)
        return real_clear(rows)

    monkeypatch.setattr(rescore, "_clear_seen_flags", change_then_clear)
    job = rescore.run_job_inline(rescore.plan_job(scope="all", ruleset="miit-2022", year=YEAR))
    monkeypatch.setattr(rescore, "_clear_seen_flags", real_clear)
    assert job.done == 3
    flagged = set(Enterprise.objects.filter(pk__in=ids, needs_rescore=True).values_list("pk", flat=True))
    assert flagged == {changed}
    version = Enterprise.objects.values_list("figures_version", flat=True).get(pk=changed)
    assert set(Assessment.objects.filter(enterprise_id=changed).values_list("figures_version", flat=True)) == {
        version - 1}

    again = rescore.run_job_inline(rescore.plan_job(scope="changed", ruleset="miit-2022", year=YEAR))
    assert again.total == 1 and again.done == 1
    assert set(Assessment.objects.filter(enterprise_id=changed).values_list("figures_version", flat=True)) == {
        version}
    assert not Enterprise.objects.filter(pk__in=ids, needs_rescore=True).exists()


def test_rows_stored_after_the_chunk_read_none_make_the_streamed_copy_fall_back_to_the_merge(ruleset_2022,
                                                                                             monkeypatch):
    """PostgreSQL streams the rows of enterprises with nothing stored while it evaluates. When rows appear
    meanwhile (here: the chunk is told none are stored though a live evaluation's are), that COPY fails as a
    whole, and the chunk evaluates again and merges: it commits, with one row per tier carrying its result."""
    if connection.vendor != "postgresql":
        pytest.skip("the streamed COPY is PostgreSQL's path")
    ids = seed(3)
    rescore.run_job_inline(rescore.plan_job(scope="all", ruleset="miit-2022", year=YEAR))
    rows = Assessment.objects.filter(enterprise_id__in=ids, ruleset=ruleset_2022, year=YEAR)
    rows.update(status="pending", input_digest="raced", figures_version=None)
    monkeypatch.setattr(rescore, "stored_digests", lambda *args: ({}, set()))
    job = rescore.run_job_inline(rescore.plan_job(scope="all", ruleset="miit-2022", year=YEAR))
    assert (job.status, job.done, job.failed) == ("done", 3, 0)
    assert rows.count() == 3 * len(Tier.values)
    assert not rows.filter(input_digest="raced").exists()
    assert set(rows.values_list("job_id", flat=True)) == {job.pk}
