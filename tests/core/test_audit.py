"""Every create, update and delete of an enterprise or its figures is recorded: who, when, before/after, why —
from web requests, management commands and Celery tasks alike."""

import pytest
from celery import shared_task
from django.core.management import call_command

from core.audit import AuditEntry, acting_as
from enterprises.models import Enterprise, FinancialYear
from enterprises.services import save_financials
from tests.factories import EnterpriseFactory, MembershipFactory, api_token

pytestmark = pytest.mark.django_db

ROW = {"operating_revenue": 3000, "main_business_revenue": 2850, "rd_expense": 255, "net_profit": 330,
       "total_assets": 5000, "total_liabilities": 2250}


@shared_task(name="tests.rename_enterprise")
def rename_enterprise(pk: int, name: str) -> None:
    enterprise = Enterprise.objects.get(pk=pk)
    enterprise.name = name
    enterprise.save()


def test_an_api_change_records_the_user_and_before_after(api_client):
    membership = MembershipFactory(enterprise__name="旧名")
    token = api_token(membership.user)
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    response = api_client.patch(f"/api/enterprises/{membership.enterprise.pk}/", {"name": "新名"}, format="json")
    assert response.status_code == 200, response.content
    entry = AuditEntry.objects.filter(action="update", object_id=str(membership.enterprise.pk)).latest("id")
    assert entry.actor == membership.user
    assert entry.source == "api"
    assert entry.changes["name"] == ["旧名", "新名"]
    assert entry.enterprise_id == membership.enterprise.pk


def test_figures_changes_record_a_reason_and_the_changed_values():
    enterprise = EnterpriseFactory()
    with acting_as(label="importer", reason="annual update"):
        save_financials(enterprise, 2025, ROW)
        save_financials(enterprise, 2025, {**ROW, "rd_expense": 300})
    created, updated = AuditEntry.objects.filter(enterprise_id=enterprise.pk,
                                                 content_type__model="financialyear").order_by("id")
    assert created.action == "create" and created.after["rd_expense"] == "255"
    assert updated.action == "update"
    assert updated.changes == {"rd_expense": ["255", "300"]}
    assert updated.reason == "annual update" and updated.actor_label == "importer"


def test_a_celery_task_is_recorded_as_the_author():
    enterprise = EnterpriseFactory(name="甲")
    rename_enterprise.delay(enterprise.pk, "乙")  # runs inline: no broker configured in tests
    entry = AuditEntry.objects.filter(object_id=str(enterprise.pk), action="update").latest("id")
    assert entry.actor_label == "task:tests.rename_enterprise"
    assert entry.source == "task"


def test_a_management_command_is_recorded_as_the_author():
    call_command("seed_demo", "--enterprises", "3", "--seed", "5", "--no-assess", "--no-accounts")
    entries = AuditEntry.objects.filter(action="create", content_type__model="enterprise")
    assert entries.count() == 3
    assert set(entries.values_list("actor_label", flat=True)) == {"command:seed_demo"}


def test_deleting_an_enterprise_records_its_cascaded_figures_too():
    enterprise = EnterpriseFactory()
    save_financials(enterprise, 2025, ROW)
    pk = enterprise.pk
    enterprise.delete()
    assert not FinancialYear.objects.exists()
    deleted = set(AuditEntry.objects.filter(action="delete", enterprise_id=pk)
                  .values_list("content_type__model", flat=True))
    assert deleted == {"enterprise", "financialyear"}
    financial = AuditEntry.objects.get(action="delete", content_type__model="financialyear")
    assert financial.before["operating_revenue"] == "3000"
