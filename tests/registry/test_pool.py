"""The cultivation pool: entries and their history, reviewers' changes within their region, USCC list imports
(nothing half-applied), and proactive discovery (near rules at their edges, dismissed proposals)."""

from __future__ import annotations

import datetime
import io
from decimal import Decimal
from typing import Any

import pytest
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.db.models import F
from django.urls import reverse
from openpyxl import Workbook

from core.audit import AuditEntry, acting_as
from enterprises.models import Declaration, Enterprise, FinancialYear, Region
from evaluation import engine, nearness
from evaluation.engine.results import TierResult
from evaluation.profiles import ENTERPRISE_FIELDS, profile_values, typed_values
from evaluation.rescore import input_digest, plan_job, run_job_inline
from evaluation.versions import compiled, get_ruleset_version
from registry import pool
from registry.models import PoolEntry, PoolExitReason, PoolProposal, ProposalStatus
from tests.factories import EnterpriseFactory, UserFactory, certify, reviewer
from tests.registry.conftest import make_enterprise

D = datetime.date


@pytest.fixture
def firms(db: Any) -> dict[str, Any]:
    return {
        "xihu": EnterpriseFactory(region=Region.objects.get(code="330106")),
        "xihu2": EnterpriseFactory(region=Region.objects.get(code="330106")),
        "ningbo": EnterpriseFactory(region=Region.objects.get(code="330203")),
    }


@pytest.fixture
def staff(db: Any) -> Any:
    return UserFactory(username="registry-staff", is_staff=True)


def test_pool_history_on_any_date(firms: dict, county: Any) -> None:
    xihu, xihu2 = firms["xihu"], firms["xihu2"]
    (first,) = pool.add_to_pool(county, [xihu], "specialised_sme", "visited, strong R&D", on=D(2024, 3, 1))
    pool.add_to_pool(county, [xihu2], "specialised_sme", "recommended by the county", on=D(2024, 6, 1))
    pool.remove_from_pool(county, [first], PoolExitReason.NOT_CANDIDATE, "revenue fell", on=D(2024, 9, 30))
    (again,) = pool.add_to_pool(county, [xihu], "specialised_sme", "recovered", on=D(2025, 2, 1))

    def members(day: datetime.date) -> set[int]:
        return set(pool.pool_on(day).values_list("enterprise_id", flat=True))

    assert members(D(2024, 2, 29)) == set()
    assert members(D(2024, 3, 1)) == {xihu.pk}
    assert members(D(2024, 6, 1)) == {xihu.pk, xihu2.pk}
    assert members(D(2024, 9, 29)) == {xihu.pk, xihu2.pk}
    assert members(D(2024, 9, 30)) == {xihu2.pk}  # the exit date is out
    assert members(D(2025, 2, 1)) == {xihu.pk, xihu2.pk}
    first.refresh_from_db()
    assert (first.exit_reason, first.exit_note, first.exited_by) == ("not_candidate", "revenue fell", county)
    assert again.entered_by == county and again.entry_reason == "recovered"
    assert AuditEntry.objects.filter(object_id=str(first.pk), action="transition").exists()


def test_enterprise_already_pooled_or_holding_the_tier_is_refused_and_nothing_written(firms: dict, county: Any) -> None:
    xihu, xihu2 = firms["xihu"], firms["xihu2"]
    certify(xihu2, "innovative_sme", D(2024, 1, 1))
    pool.add_to_pool(county, [xihu], "innovative_sme", "first")
    with pytest.raises(ValidationError) as caught:
        pool.add_to_pool(county, [xihu, xihu2], "innovative_sme", "bulk")
    text = " ".join(caught.value.messages)
    assert xihu.uscc in text and xihu2.uscc in text
    assert PoolEntry.objects.count() == 1
    with pytest.raises(ValidationError):
        pool.add_to_pool(county, [firms["xihu2"]], "specialised_sme", "  ")


def test_certification_closes_the_pool_entry(firms: dict, county: Any) -> None:
    from registry.certifications import grant
    from tests.factories import ApplicationFactory

    xihu = firms["xihu"]
    (entry,) = pool.add_to_pool(county, [xihu], "innovative_sme", "candidate", on=D(2025, 1, 2))
    app = ApplicationFactory(enterprise=xihu, tier="innovative_sme", status="publicity")
    grant(app, D(2025, 7, 1), "publicity ended")
    entry.refresh_from_db()
    assert (entry.exited_on, entry.exit_reason) == (D(2025, 7, 1), PoolExitReason.CERTIFIED)


def test_county_reviewer_cannot_pool_enterprise_of_another_county(firms: dict, county: Any) -> None:
    with pytest.raises(PermissionDenied):
        pool.add_to_pool(county, [firms["xihu"], firms["ningbo"]], "innovative_sme", "bulk")
    assert not PoolEntry.objects.exists()


def test_reviewer_of_another_province_cannot_change_or_see_the_pool(firms: dict, county: Any, client: Any) -> None:
    outsider = reviewer("province", "320000", username="province-js")
    (entry,) = pool.add_to_pool(county, [firms["xihu"]], "innovative_sme", "candidate")
    with pytest.raises(PermissionDenied):
        pool.add_to_pool(outsider, [firms["xihu2"]], "innovative_sme", "no")
    with pytest.raises(PermissionDenied):
        pool.remove_from_pool(outsider, [entry], PoolExitReason.REMOVED, "no")
    assert PoolEntry.objects.restrict(outsider).count() == 0
    client.force_login(outsider)
    page = client.get(reverse("admin:registry_poolentry_changelist"))
    assert page.status_code == 200 and firms["xihu"].name not in page.content.decode()
    result = pool.import_pool_list(outsider, b"uscc\n" + firms["xihu2"].uscc.encode(), "l.csv",
                                   tier="innovative_sme", reason="x")
    assert not result.ok and "outside your region" in result.errors[0][1]


def test_pool_list_is_region_restricted_with_pinned_queries(
        firms: dict, county: Any, staff: Any, client: Any, django_assert_num_queries: Any) -> None:
    for firm in firms.values():
        pool.add_to_pool(staff, [firm], "innovative_sme", "seeded")
    client.force_login(county)
    url = reverse("admin:registry_poolentry_changelist")
    client.get(url)
    with django_assert_num_queries(11):  # with the admin header's unread-notification badge
        page = client.get(url).content.decode()
    assert firms["xihu"].name in page and firms["ningbo"].name not in page
    more = [EnterpriseFactory(region=firms["xihu"].region) for _ in range(4)]
    pool.add_to_pool(staff, more, "innovative_sme", "more")
    with django_assert_num_queries(11):  # the same with more rows
        page = client.get(url).content.decode()
    assert more[3].name in page


def test_import_with_bad_rows_writes_nothing(firms: dict, city: Any) -> None:
    xihu, xihu2 = firms["xihu"], firms["xihu2"]
    pool.add_to_pool(city, [xihu2], "innovative_sme", "earlier")
    rows = [
        "uscc,tier,action,reason",
        f"{xihu.uscc},innovative_sme,add,good row",
        "91330000000000000X,innovative_sme,add,unknown firm",
        f"{xihu2.uscc},innovative_sme,add,already pooled",
        f"{firms['ningbo'].uscc},specialised_sme,add,outside Hangzhou",
        f"{xihu.uscc},no_such_tier,add,bad tier",
        f"{xihu.uscc},specialised_sme,frobnicate,bad action",
    ]
    result = pool.import_pool_list(city, "\n".join(rows).encode(), "pool.csv")
    assert [n for n, _m in result.errors] == [3, 4, 5, 6, 7]
    assert PoolEntry.objects.count() == 1


def test_import_applies_adds_and_removes_together(firms: dict, city: Any) -> None:
    xihu, xihu2 = firms["xihu"], firms["xihu2"]
    pool.add_to_pool(city, [xihu2], "innovative_sme", "earlier")
    book = Workbook()
    sheet = book.active
    sheet.append(["统一社会信用代码", "操作", "理由"])
    sheet.append([xihu.uscc, "加入", "走访推荐"])
    sheet.append([xihu2.uscc, "移出", "不再符合"])
    buffer = io.BytesIO()
    book.save(buffer)
    result = pool.import_pool_list(city, buffer.getvalue(), "pool.xlsx", tier="innovative_sme")
    assert result.ok and (result.added, result.removed) == (1, 1)
    assert set(PoolEntry.objects.current().values_list("enterprise_id", flat=True)) == {xihu.pk}


def test_admin_import_page_lists_row_errors(firms: dict, city: Any, client: Any) -> None:
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(city)
    upload = SimpleUploadedFile("pool.csv", b"uscc\nNOPE\n")
    page = client.post(reverse("admin:registry_poolentry_import"), {"file": upload, "tier": "innovative_sme",
                                                                   "reason": "x"})
    assert page.status_code == 200 and "NOPE" in page.content.decode()
    assert not PoolEntry.objects.exists()


def test_bulk_add_from_the_enterprise_list_is_all_or_nothing(firms: dict, county: Any, client: Any) -> None:
    client.force_login(county)
    url = reverse("admin:enterprises_enterprise_changelist")
    data = {"action": "add_enterprises_to_pool", "_selected_action": [firms["xihu"].pk, firms["xihu2"].pk],
            "apply": "1", "tier": "specialised_sme", "reason": "county visit list"}
    client.post(url, data)
    assert PoolEntry.objects.current().count() == 2
    data["tier"] = "innovative_sme"
    certify(firms["xihu2"], "innovative_sme", D(2024, 1, 1))
    client.post(url, data)
    assert PoolEntry.objects.filter(tier="innovative_sme").count() == 0


# --- discovery ----------------------------------------------------------------------------------------------------

def _result(status: str, score: Any = None, unmet: int = 0) -> TierResult:
    return TierResult("t", status == "passed", status, None, score, 100, None, [], [object()] * unmet, [], [])


def test_score_rule_edges() -> None:
    rule = nearness.NearRule("innovative_sme", Decimal("10"), None, False, "test")
    assert nearness.judge(rule, _result("failed", Decimal("50.00")), 60)
    assert not nearness.judge(rule, _result("failed", Decimal("49.99")), 60)
    assert not nearness.judge(rule, _result("passed", Decimal("60")), 60)


def test_unmet_rule_edges_and_concrete_advice() -> None:
    rule = nearness.NearRule("little_giant", None, 2, True, "test")
    assert nearness.judge(rule, _result("failed", unmet=2), None)  # advice not computed yet: still a candidate
    assert not nearness.judge(rule, _result("failed", unmet=3), None)
    concrete = [{"code": "a", "set": {"rd_staff": 20}}, {"code": "b", "set": {"ip.class_i": 2}}]
    assert nearness.judge(rule, _result("failed", unmet=2), None, concrete)
    assert not nearness.judge(rule, _result("failed", unmet=2), None, [*concrete, {"code": "c", "message": "past"}])
    assert not nearness.judge(rule, _result("failed", unmet=1), None, [])


def test_near_rules_are_ruleset_data_with_sources(db: Any) -> None:
    for code in ("miit-2022", "miit-2026"):
        rules = nearness.near_rules(get_ruleset_version(code))
        assert set(rules) == {"innovative_sme", "specialised_sme", "hidden_champion", "little_giant",
                              "single_champion"}
        assert all(r.source for r in rules.values())
        assert rules["innovative_sme"].score_within == 10


def _near_enterprise() -> Any:
    """Worked example B: the innovative SME tier fails on one category minimum, with a score of 70 and
    two unmet rules whose advice is concrete (main-business revenue growth -4% → 5%)."""
    return make_enterprise("B")


def test_discovery_proposes_with_advice_and_dismissed_waits_for_new_figures(db: Any, county: Any) -> None:
    firm = _near_enterprise()
    made = pool.discover_for_region("330106", year=2025, ruleset="miit-2022")
    proposals = list(PoolProposal.objects.filter(enterprise=firm))
    assert made == len(proposals) >= 1
    assert all(p.advice and p.input_digest for p in proposals)
    assert all(all("set" in a for a in p.advice) for p in proposals)
    # run twice: nothing new
    assert pool.discover_for_region("330106", year=2025, ruleset="miit-2022") == 0
    pool.dismiss_proposals(county, proposals, "not interested this year")
    assert pool.discover_for_region("330106", year=2025, ruleset="miit-2022") == 0
    row = FinancialYear.objects.filter(enterprise=firm, year=2025).first()
    row.operating_revenue = row.operating_revenue + 1
    row.save()
    again = pool.discover_for_region("330106", year=2025, ruleset="miit-2022")
    assert again >= 1
    assert PoolProposal.objects.filter(enterprise=firm, status=ProposalStatus.PENDING).count() == again


def test_accepting_a_proposal_pools_the_enterprise_with_its_rule(db: Any, county: Any) -> None:
    firm = _near_enterprise()
    pool.discover_for_region("330106", year=2025, ruleset="miit-2022")
    proposal = PoolProposal.objects.filter(enterprise=firm).first()
    (entry,) = pool.accept_proposals(county, [proposal])
    assert entry.tier == proposal.tier and entry.entry_rule.startswith("discovery:")
    proposal.refresh_from_db()
    assert proposal.status == ProposalStatus.ACCEPTED and proposal.decided_by == county
    with pytest.raises(ValidationError):
        pool.accept_proposals(county, [proposal])
    # pooled for that tier: discovery does not propose it again
    pool.discover_for_region("330106", year=2025, ruleset="miit-2022")
    assert not PoolProposal.objects.filter(enterprise=firm, tier=proposal.tier, status="pending").exists()


def test_rescore_chunk_proposes_and_a_rerun_adds_nothing(db: Any) -> None:
    firm = _near_enterprise()
    run_job_inline(plan_job(scope="all", ruleset="miit-2022", year=2025))
    first = PoolProposal.objects.filter(enterprise=firm).count()
    assert first >= 1
    assert all(p.job_id and not p.advised for p in PoolProposal.objects.all())
    kept, withdrawn = pool.advise_all()
    assert kept + withdrawn == first
    assert all(p.advice for p in PoolProposal.objects.filter(status="pending"))
    firm.needs_rescore = True
    firm.save()
    run_job_inline(plan_job(scope="all", ruleset="miit-2022", year=2025))
    assert PoolProposal.objects.filter(enterprise=firm).count() == first


def test_other_province_reviewer_cannot_decide_proposals(db: Any) -> None:
    firm = _near_enterprise()
    pool.discover_for_region("330106", year=2025, ruleset="miit-2022")
    outsider = reviewer("province", "320000", username="province-js")
    proposals = list(PoolProposal.objects.filter(enterprise=firm))
    with pytest.raises(PermissionDenied):
        pool.accept_proposals(outsider, proposals)
    with pytest.raises(PermissionDenied):
        pool.dismiss_proposals(outsider, proposals, "no")
    assert PoolProposal.objects.restrict(outsider).count() == 0


def test_discover_candidates_command(db: Any) -> None:
    from django.core.management import CommandError, call_command

    firm = _near_enterprise()
    out = io.StringIO()
    call_command("discover_candidates", "--region", "330100", "--year", "2025", "--ruleset", "miit-2022", stdout=out)
    assert PoolProposal.objects.filter(enterprise=firm).exists() and "330100" in out.getvalue()
    with pytest.raises(CommandError, match="999999"):
        call_command("discover_candidates", "--region", "999999")
    with pytest.raises(CommandError, match="ruleset"):
        call_command("discover_candidates", "--region", "330100", "--ruleset", "nope")


def test_discovery_admin_action_stays_in_the_reviewers_region(db: Any, client: Any,
                                                              django_assert_num_queries: Any) -> None:
    near = _near_enterprise()  # in Xihu, Hangzhou
    elsewhere = make_enterprise("B", region="330203")
    client.force_login(reviewer("county", "330203", username="county-haishu"))
    client.post(reverse("admin:registry_poolproposal_discover"))
    assert set(PoolProposal.objects.values_list("enterprise_id", flat=True)) == {elsewhere.pk}
    outsider = reviewer("province", "320000", username="province-js")
    client.force_login(outsider)
    client.post(reverse("admin:registry_poolproposal_discover"))
    assert not PoolProposal.objects.filter(enterprise=near).exists()
    url = reverse("admin:registry_poolproposal_changelist")
    client.get(url)
    with django_assert_num_queries(10):  # with the admin header's unread-notification badge
        page = client.get(url).content.decode()
    assert elsewhere.name not in page


def _evaluated(firm: Any, version: Any, ruleset: Any) -> list[tuple]:
    """What a re-score chunk hands discovery for ``firm``: id, digest, profile, held tiers, explained result."""
    rows = list(Enterprise.objects.filter(pk=firm.pk).values_list(*ENTERPRISE_FIELDS))
    inputs = profile_values(rows, 2025)[firm.pk]
    profile = engine.profile_from_values(*typed_values(inputs))
    return [(firm.pk, input_digest(b"brief", inputs), profile, inputs[5],
             engine.evaluate(profile, ruleset, explain=True, advice=False))]


def test_discovery_writes_proposals_and_audit_rows_in_one_statement(db: Any,
                                                                     django_assert_num_queries: Any) -> None:
    firm = _near_enterprise()
    version = get_ruleset_version("miit-2022")
    ruleset = compiled(version)
    evaluated = _evaluated(firm, version, ruleset)
    nearness.near_rules(version)
    ContentType.objects.get_for_model(PoolProposal)
    # PostgreSQL: one statement (checks as anti-joins, proposals and audit rows together); elsewhere the
    # existing proposals and entries, the proposals, their audit rows
    with acting_as(context={"job": 7}), django_assert_num_queries(1 if connection.vendor == "postgresql" else 4):
        made = pool.discover(version, ruleset, 2025, evaluated, job_id=7)
    proposals = list(PoolProposal.objects.filter(enterprise=firm))
    assert made == len(proposals) >= 1
    assert all(p.job_id == 7 and not p.advised and p.status == "pending" and p.unmet for p in proposals)
    for p in proposals:
        (entry,) = AuditEntry.objects.filter(content_type=ContentType.objects.get_for_model(PoolProposal),
                                             object_id=str(p.pk))
        assert entry.enterprise_id == firm.pk and entry.after == {"tier": p.tier, "rule": p.rule,
                                                                  "status": "pending"}
        assert entry.context.get("job") == 7 and entry.reason
    # the same chunk again: its proposals are pending, nothing new and no audit row
    before = AuditEntry.objects.count()
    assert pool.discover(version, ruleset, 2025, evaluated, job_id=8) == 0
    assert AuditEntry.objects.count() == before


def test_discovery_follows_the_job_over_the_enterprises_it_judged_anew(db: Any, monkeypatch: Any) -> None:
    from enterprises.services import figures_changed

    firm = _near_enterprise()
    other = _near_enterprise()
    first = run_job_inline(plan_job(scope="all", ruleset="miit-2022", year=2025))
    assert set(PoolProposal.objects.values_list("job_id", flat=True)) == {first.pk}
    looked: list[list[int]] = []
    real = pool.discover_enterprises
    monkeypatch.setattr(pool, "discover_enterprises", lambda version, year, ids, **kw: looked.append(ids)
                        or real(version, year, ids, **kw))
    run_job_inline(plan_job(scope="all", ruleset="miit-2022", year=2025))
    assert looked == []  # nothing changed: nothing judged anew, nothing looked at again
    Declaration.objects.filter(enterprise=other).update(employees=F("employees") + 1)
    figures_changed([other.pk])  # as the services do after a change
    run_job_inline(plan_job(scope="all", ruleset="miit-2022", year=2025))
    assert looked == [[other.pk]]
    assert firm.pk not in looked[0]
