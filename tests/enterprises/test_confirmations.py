"""Declared items only a reviewer can judge: the enterprise declares them (API, portal), a reviewer of its region
confirms or refuses them in the admin, the judgement is recorded and audited, a changed declaration clears it."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from core.audit import AuditEntry
from enterprises import confirmations, services
from enterprises.models import Confirmation, Declaration, Enterprise
from tests.factories import EnterpriseFactory, MembershipFactory, UserFactory, api_token, reviewer, store_profile

pytestmark = pytest.mark.django_db

STAR = json.loads((Path(__file__).resolve().parents[1] / "data" / "star.json").read_text(encoding="utf-8"))
LEADING = "market.niche_share_leading"
INTERNATIONAL = "market.international_share_pct"


@pytest.fixture
def declared():
    """An enterprise of 西湖区 (330106) that declares a leading niche share and a 12% international share,
    neither judged yet."""
    enterprise = EnterpriseFactory(name="星辰精工")
    profile = copy.deepcopy(STAR)
    profile["market"]["international_share_pct"] = 12
    profile["confirmations"] = {}
    store_profile(enterprise, profile)
    Enterprise.objects.filter(pk=enterprise.pk).update(needs_rescore=False)
    return Declaration.objects.get(enterprise=enterprise, year=2025)


@pytest.fixture
def member_client(api_client, declared):
    membership = MembershipFactory(enterprise=declared.enterprise)
    api_client.credentials(HTTP_AUTHORIZATION=f"Token {api_token(membership.user)}")
    api_client.url = f"/api/enterprises/{declared.enterprise_id}/declarations/2025/"
    return api_client


# --- the enterprise declares --------------------------------------------------------------------------------------

def test_the_api_takes_and_gives_the_declared_items_with_the_profile_keys(member_client, declared):
    body = member_client.get(member_client.url).json()
    assert body["market"]["niche_share_leading"] is True
    assert body["market"]["international_share_pct"] == 12
    assert body["confirmations"] == {}
    body["market"] = {**body["market"], "niche_share_leading": None, "international_share_pct": "8.5"}
    del body["confirmations"]
    response = member_client.put(member_client.url, body, format="json")
    assert response.status_code == 200, response.json()
    declared.refresh_from_db()
    assert (declared.niche_share_leading, declared.international_share_pct) == (None, Decimal("8.5"))


@pytest.mark.parametrize(("market", "field"), [
    ({"niche_share_leading": "perhaps"}, LEADING),
    ({"international_share_pct": 120}, INTERNATIONAL),
    ({"international_share_pct": -1}, INTERNATIONAL),
    ({"international_share_pct": "lots"}, INTERNATIONAL),
])
def test_bad_declared_items_get_400_naming_the_field(member_client, declared, market, field):
    body = member_client.get(member_client.url).json()
    del body["confirmations"]
    body["market"] = {**body["market"], **market}
    response = member_client.put(member_client.url, body, format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"], response.json()
    declared.refresh_from_db()
    assert (declared.niche_share_leading, declared.international_share_pct) == (True, Decimal(12))


def test_an_enterprise_cannot_confirm_its_own_declaration_through_the_api(member_client, declared):
    body = member_client.get(member_client.url).json()
    body["confirmations"] = {LEADING: True}
    response = member_client.put(member_client.url, body, format="json")
    assert response.status_code == 400
    assert "confirmations" in response.json()["errors"]
    declared.refresh_from_db()
    assert declared.confirmations == {}


# --- a reviewer judges ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize(("level", "region"), [("county", "330106"), ("city", "330100"), ("province", "330000")])
def test_a_reviewer_of_the_enterprises_region_confirms_and_the_judgement_is_recorded_and_audited(
    declared, level, region
):
    judge = reviewer(level, region)
    judgement = confirmations.judge(declared, LEADING, user=judge, confirmed=True, reason="市场调研报告属实")
    declared.refresh_from_db()
    assert declared.confirmations == {LEADING: True}
    assert (judgement.judged_by, judgement.declared_value, judgement.confirmed) == (judge, True, True)
    assert judgement.judged_at is not None
    trail = AuditEntry.objects.for_enterprise(declared.enterprise_id).filter(actor=judge)
    update = trail.get(object_repr=str(declared))
    assert update.changes == {"confirmations": [{}, {LEADING: True}]} and update.reason == "市场调研报告属实"
    assert trail.filter(action="create", object_repr=str(judgement)).exists()
    assert Enterprise.objects.get(pk=declared.enterprise_id).needs_rescore  # re-scored by the usual path


def test_a_refusal_is_recorded_with_the_value_refused(declared):
    judgement = confirmations.judge(declared, INTERNATIONAL, user=reviewer("province", "330000"), confirmed=False)
    declared.refresh_from_db()
    assert declared.confirmations == {INTERNATIONAL: False}
    assert (judgement.declared_value, judgement.confirmed) == ("12", False)


@pytest.mark.parametrize(("level", "region"), [("city", "330200"), ("county", "330108"), ("province", "320000")])
def test_a_reviewer_of_another_region_or_province_cannot_confirm(declared, level, region):
    with pytest.raises(PermissionDenied):
        confirmations.judge(declared, LEADING, user=reviewer(level, region), confirmed=True)
    declared.refresh_from_db()
    assert declared.confirmations == {} and not Confirmation.objects.exists()
    assert not Enterprise.objects.get(pk=declared.enterprise_id).needs_rescore


def test_a_member_or_registry_staff_cannot_confirm(declared):
    member = MembershipFactory(enterprise=declared.enterprise).user
    for user in (member, UserFactory(username="staff", is_staff=True)):
        with pytest.raises(PermissionDenied):
            confirmations.judge(declared, LEADING, user=user, confirmed=True)
    assert not Confirmation.objects.exists()


def test_an_undeclared_item_cannot_be_confirmed(declared):
    Declaration.objects.filter(pk=declared.pk).update(international_share_pct=None)
    with pytest.raises(Exception, match="not declared"):
        confirmations.judge(declared, INTERNATIONAL, user=reviewer("city", "330100"), confirmed=True)


def test_a_changed_declaration_clears_its_confirmation_and_an_unchanged_one_keeps_it(member_client, declared):
    city = reviewer("city", "330100")
    confirmations.judge(declared, LEADING, user=city, confirmed=True)
    confirmations.judge(declared, INTERNATIONAL, user=city, confirmed=True)
    body = member_client.get(member_client.url).json()
    assert body["confirmations"] == {LEADING: True, INTERNATIONAL: True}
    del body["confirmations"]
    assert member_client.put(member_client.url, body, format="json").status_code == 200
    declared.refresh_from_db()
    assert declared.confirmations == {LEADING: True, INTERNATIONAL: True}  # same values: still judged
    body["market"]["international_share_pct"] = 15
    assert member_client.put(member_client.url, body, format="json").status_code == 200
    declared.refresh_from_db()
    assert declared.confirmations == {LEADING: True}
    assert Confirmation.objects.filter(field=INTERNATIONAL).count() == 1  # the history stays
    services.save_declaration(declared.enterprise, 2025, {"niche_share_leading": False}, replace=False)
    declared.refresh_from_db()
    assert declared.confirmations == {}


# --- the admin screen -----------------------------------------------------------------------------------------------

def screen(declaration: Declaration) -> str:
    return reverse("admin:enterprises_enterprise_declared_items", args=[declaration.enterprise_id])


def test_a_city_reviewer_confirms_on_the_enterprises_declared_items_screen(client, declared):
    client.force_login(reviewer("city", "330100"))
    change = client.get(reverse("admin:enterprises_enterprise_change", args=[declared.enterprise_id]))
    assert screen(declared) in change.content.decode()
    page = client.get(screen(declared))
    assert page.status_code == 200
    body = page.content.decode()
    assert LEADING in body and INTERNATIONAL in body and "not yet judged" in body
    response = client.post(screen(declared), {"year": 2025, "field": LEADING, "verdict": "confirm",
                                              "reason": "核实"})
    assert response.status_code == 302
    declared.refresh_from_db()
    assert declared.confirmations == {LEADING: True}
    assert Confirmation.objects.get().reason == "核实"
    assert "核实" in client.get(screen(declared)).content.decode()


def test_a_reviewer_of_another_province_does_not_reach_the_screen_and_changes_nothing(client, declared):
    client.force_login(reviewer("province", "320000"))
    assert client.get(screen(declared)).status_code in (302, 404)
    client.post(screen(declared), {"year": 2025, "field": LEADING, "verdict": "confirm"})
    declared.refresh_from_db()
    assert declared.confirmations == {} and not Confirmation.objects.exists()
