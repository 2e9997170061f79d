"""The portal's pages with Django's test client: who sees what, forms that keep input, what each page shows."""

from __future__ import annotations

import datetime
import re

import pytest
from django.core import mail
from django.urls import reverse
from django.utils.html import escape

from enterprises.models import Declaration, Enterprise, FinancialYear, Membership
from enterprises.uscc import make_uscc
from evaluation.versions import get_ruleset_version
from portal import invitations
from portal.dues import annual_update_deadline
from registry.models import Application, Certification, Evidence, Notification
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ENGLISH = {"HTTP_ACCEPT_LANGUAGE": "en"}


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


# --- access ---------------------------------------------------------------------------------------------------

PRIVATE_PAGES = [
    ("portal:home", {}), ("portal:figures", {}), ("portal:financials", {"year": 2025}),
    ("portal:declaration", {"year": 2025}), ("portal:assessment", {}), ("portal:assessment_print", {}),
    ("portal:apply", {}), ("portal:members", {}), ("portal:application", {"pk": 1}),
]


@pytest.mark.parametrize(("name", "kwargs"), PRIVATE_PAGES)
def test_anonymous_visitors_are_sent_to_the_login_page(client, name, kwargs):
    url = reverse(name, kwargs=kwargs)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('portal:login')}?next={url}"


def test_an_account_without_enterprise_is_told_so(client):
    client.force_login(UserFactory(username="loner"))
    response = client.get(reverse("portal:home"), **ENGLISH)
    assert response.status_code == 403
    assert "does not act for an enterprise" in text(response)


def _application(enterprise, status="draft", **extra) -> Application:
    return Application.objects.create(enterprise=enterprise, tier="innovative_sme", year=2025, status=status, **extra)


def test_another_enterprises_ids_in_any_url_give_404(signed_in, other_member, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    theirs = _application(other_member.enterprise)
    from django.core.files.base import ContentFile

    evidence = Evidence(application=theirs, claim="other", original_name="a.pdf", content_type="application/pdf",
                        size=3)
    evidence.file.save("a.pdf", ContentFile(b"pdf"), save=False)
    evidence.save()
    gets = [reverse("portal:application", args=[theirs.pk]),
            reverse("portal:evidence_file", args=[theirs.pk, evidence.pk])]
    posts = [reverse("portal:application_submit", args=[theirs.pk]),
             reverse("portal:application_withdraw", args=[theirs.pk]),
             reverse("portal:evidence_upload", args=[theirs.pk])]
    for url in gets:
        assert signed_in.get(url).status_code == 404, url
    for url in posts:
        assert signed_in.post(url, {"reason": "x"}).status_code == 404, url
    theirs.refresh_from_db()
    assert theirs.status == "draft"


def test_own_evidence_downloads(signed_in, enterprise, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    mine = _application(enterprise)
    from django.core.files.base import ContentFile

    evidence = Evidence(application=mine, claim="other", original_name="报告.pdf", content_type="application/pdf",
                        size=3)
    evidence.file.save("r.pdf", ContentFile(b"pdf"), save=False)
    evidence.save()
    response = signed_in.get(reverse("portal:evidence_file", args=[mine.pk, evidence.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"pdf"


def test_figure_years_outside_the_plausible_range_are_not_found(signed_in):
    assert signed_in.get(reverse("portal:financials", args=[1900])).status_code == 404
    future = datetime.date.today().year + 1
    assert signed_in.get(reverse("portal:declaration", args=[future])).status_code == 404


# --- sign-up, login, password reset ---------------------------------------------------------------------------


def _signup_data(**overrides):
    data = {
        "uscc": make_uscc("330106"), "name": "丙智能装备有限公司", "region": "330106", "sector": "industry",
        "established_year": "2015", "username": "bing", "email": "bing@example.com",
        "password1": "Tiered-ladder-2026", "password2": "Tiered-ladder-2026",
    }
    data.update(overrides)
    return data


def test_sign_up_creates_the_enterprise_and_its_owner_and_signs_in(client):
    data = _signup_data()
    response = client.post(reverse("portal:signup"), data)
    assert response.status_code == 302
    assert response["Location"] == reverse("portal:home")
    enterprise = Enterprise.objects.get(uscc=data["uscc"])
    assert enterprise.region_id == "330106"
    membership = Membership.objects.get(enterprise=enterprise)
    assert membership.user.username == "bing" and membership.role == "owner"
    assert client.get(reverse("portal:home")).status_code == 200


def test_sign_up_with_a_wrong_check_digit_names_the_field_and_keeps_the_input(client):
    good = make_uscc("330106")
    wrong = good[:-1] + ("0" if good[-1] != "0" else "1")
    response = client.post(reverse("portal:signup"), _signup_data(uscc=wrong), **ENGLISH)
    assert response.status_code == 200
    body = text(response)
    assert "Unified social credit code: The check digit of this unified social credit code is wrong." in body
    assert f'value="{wrong}"' in body
    assert 'value="丙智能装备有限公司"' in body
    assert not Enterprise.objects.filter(uscc=wrong).exists()


def test_sign_up_refuses_a_taken_username_and_different_passwords(client, member):
    response = client.post(reverse("portal:signup"), _signup_data(username="finance", password2="other-pass-999"),
                           **ENGLISH)
    body = text(response)
    assert "The two passwords differ." in body
    assert Enterprise.objects.count() == 1
    response = client.post(reverse("portal:signup"), _signup_data(username="finance"), **ENGLISH)
    assert "Username: This username is taken." in text(response)


def test_login_and_logout(client, member):
    response = client.post(reverse("portal:login"), {"username": "finance", "password": "correct-horse-battery"})
    assert response.status_code == 302 and response["Location"] == reverse("portal:home")
    client.post(reverse("portal:logout"))
    assert client.get(reverse("portal:home")).status_code == 302


def test_password_reset_mails_a_link_that_sets_a_new_password(client, member):
    client.post(reverse("portal:password_reset"), {"email": member.user.email})
    assert len(mail.outbox) == 1
    link = re.search(r"http://testserver(/reset/\S+/)", mail.outbox[0].body).group(1)
    response = client.get(link, follow=True)
    form_url = response.redirect_chain[-1][0]
    client.post(form_url, {"new_password1": "Another-ladder-77", "new_password2": "Another-ladder-77"})
    assert client.login(username="finance", password="Another-ladder-77")


# --- home ------------------------------------------------------------------------------------------------------


def test_annual_update_deadline_follows_the_ruleset_in_force():
    assert annual_update_deadline(2025) == datetime.date(2025, 4, 30)
    assert annual_update_deadline(2027) == datetime.date(2027, 5, 31)


def test_home_shows_tier_certifications_open_applications_dues_and_notifications(
    signed_in, enterprise, django_assert_max_num_queries
):
    today = datetime.date.today()
    version = get_ruleset_version("miit-2022")
    Certification.objects.create(enterprise=enterprise, tier="innovative_sme", ruleset=version,
                                 granted_on=today - datetime.timedelta(days=1000),
                                 expires_on=today + datetime.timedelta(days=60))
    Enterprise.objects.filter(pk=enterprise.pk).update(current_tier="innovative_sme")
    Application.objects.create(enterprise=enterprise, tier="specialised_sme", year=today.year - 1,
                               status="county_review")
    Notification.objects.create(key="t1", enterprise=enterprise, kind="test", subject="资料已收到")
    with django_assert_max_num_queries(10):
        response = signed_in.get(reverse("portal:home"), **ENGLISH)
    body = text(response)
    assert "Innovative SME" in body
    expires = (today + datetime.timedelta(days=60)).isoformat()
    assert f"valid until {expires}" in body
    assert "County review" in body and "Provincial specialised SME" in body
    assert f"Annual update: enter the {today.year - 1} figures by" in body or "was due by" in body
    assert f"Re-review of Innovative SME is open: apply before it expires on {expires}" in body
    assert "资料已收到" in body


def test_home_marks_the_annual_update_done_once_both_forms_are_in(signed_in, enterprise):
    year = datetime.date.today().year - 1
    FinancialYear.objects.create(enterprise=enterprise, year=year, operating_revenue=10, main_business_revenue=9,
                                 rd_expense=1, net_profit=1, total_assets=10, total_liabilities=1)
    Declaration.objects.create(enterprise=enterprise, year=year, employees=10)
    assert f"Annual update of the {year} figures: done." in text(signed_in.get(reverse("portal:home"), **ENGLISH))


def test_chinese_is_the_default_language(signed_in):
    # The test client sends Accept-Language: en by default (tests/conftest.py); an empty header is no preference.
    response = signed_in.get(reverse("portal:home"), HTTP_ACCEPT_LANGUAGE="")
    assert '<html lang="zh-hans">' in response.content.decode()


# --- yearly figures -------------------------------------------------------------------------------------------

FIN = {"operating_revenue": "3000", "main_business_revenue": "2850", "rd_expense": "255", "net_profit": "330",
       "total_assets": "5000", "total_liabilities": "2250"}


def test_financial_figures_save_through_the_service(signed_in, enterprise):
    response = signed_in.post(reverse("portal:financials", args=[2025]), FIN)
    assert response.status_code == 302
    row = FinancialYear.objects.get(enterprise=enterprise, year=2025)
    assert row.rd_expense == 255
    enterprise.refresh_from_db()
    assert enterprise.needs_rescore


def test_a_financial_error_names_the_field_and_keeps_every_input(signed_in, enterprise):
    data = {**FIN, "main_business_revenue": "3100.50", "net_profit": "-12"}
    response = signed_in.post(reverse("portal:financials", args=[2025]), data, **ENGLISH)
    assert response.status_code == 200
    body = text(response)
    assert "Main-business revenue: Main-business revenue cannot exceed operating revenue." in body
    assert 'value="3100.50"' in body and 'value="-12"' in body and 'value="255"' in body
    assert not FinancialYear.objects.filter(enterprise=enterprise).exists()


def test_the_financial_form_shows_units_beside_fields(signed_in):
    body = text(signed_in.get(reverse("portal:financials", args=[2025]), **ENGLISH))
    assert 'id="id_operating_revenue_unit">万元<' in body
    assert 'aria-describedby="id_operating_revenue_unit"' in body


def test_a_declaration_error_names_the_field_and_keeps_every_input(signed_in, enterprise):
    data = {"employees": "50", "rd_staff": "80", "ip_class_i": "2", "ip_class_i_self_developed": "1",
            "national_share_pct": "12.5", "digital_level": "3", "rd_institution": "municipal", "main_products": "1",
            "niche_years": "4", "field_years": "4", "standards": "1", "local_feature_score": "5",
            "equity_financing_2y": "0", "equity_financing_3y": "0", "high_tech_enterprise": "on"}
    response = signed_in.post(reverse("portal:declaration", args=[2025]), data, **ENGLISH)
    assert response.status_code == 200
    body = text(response)
    assert "R&amp;D staff: R&amp;D staff cannot exceed the number of employees." in body
    assert 'value="80"' in body and 'value="12.5"' in body
    assert re.search(r'name="high_tech_enterprise"[^>]*checked', body)
    assert 'id="id_national_share_pct_unit">%<' in body
    assert not Declaration.objects.filter(enterprise=enterprise).exists()

    data["rd_staff"] = "8"
    response = signed_in.post(reverse("portal:declaration", args=[2025]), data)
    assert response.status_code == 302
    row = Declaration.objects.get(enterprise=enterprise, year=2025)
    assert (row.rd_staff, row.high_tech_enterprise, row.national_share_pct) == (8, True, 12.5)


def test_the_declaration_form_keeps_reviewer_judgements(signed_in, with_figures):
    Declaration.objects.filter(enterprise=with_figures, year=2025).update(chain_role=True)
    form = signed_in.get(reverse("portal:declaration", args=[2025])).context["form"]
    data = {name: value for name, value in form.initial.items() if value is not None and value is not False}
    data["standards"] = 2
    assert signed_in.post(reverse("portal:declaration", args=[2025]), data).status_code == 302
    row = Declaration.objects.get(enterprise=with_figures, year=2025)
    assert row.standards == 2 and row.chain_role is True


def test_figures_list_shows_what_each_year_has(signed_in, with_figures):
    body = text(signed_in.get(reverse("portal:figures"), **ENGLISH))
    assert "2025" in body and "2023" in body
    assert body.count("saved") >= 4  # 2025 both, 2024 and 2023 financial rows


# --- self-assessment ------------------------------------------------------------------------------------------


def test_self_assessment_shows_every_tier_scores_unmet_rules_and_advice(
    signed_in, with_figures, django_assert_max_num_queries
):
    with django_assert_max_num_queries(14):
        response = signed_in.get(reverse("portal:assessment"), {"year": 2025, "ruleset": "miit-2022"}, **ENGLISH)
    assert response.status_code == 200
    result = response.context["result"]
    by_code = {t["code"]: t for t in result["tiers"]}
    assert list(by_code) == ["innovative_sme", "specialised_sme", "hidden_champion", "little_giant",
                             "single_champion"]
    assert by_code["innovative_sme"]["status"] == "passed"
    assert by_code["innovative_sme"]["pass_mark"] == 60
    assert by_code["little_giant"]["status"] == "failed" and by_code["little_giant"]["unmet"]
    body = text(response)
    score, max_score = by_code["innovative_sme"]["score"], by_code["innovative_sme"]["max_score"]
    assert f"Score {score} of {max_score}; pass mark 60." in body
    for rule in by_code["little_giant"]["unmet"]:
        assert escape(rule["message"]) in response.content.decode()
    assert result["next_tier"] is not None and result["next_tier"]["status"] != "passed"
    assert "Printable view" in body


def test_self_assessment_without_a_declaration_says_what_is_missing(signed_in, enterprise):
    FinancialYear.objects.create(enterprise=enterprise, year=2025, operating_revenue=10, main_business_revenue=9,
                                 rd_expense=1, net_profit=1, total_assets=10, total_liabilities=1)
    response = signed_in.get(reverse("portal:assessment"), **ENGLISH)
    assert "Enter a declaration and financial figures first." in text(response)


def test_the_printable_assessment_stands_alone(signed_in, with_figures):
    response = signed_in.get(reverse("portal:assessment_print"), {"year": 2025, "ruleset": "miit-2022"},
                             **ENGLISH)
    body = text(response)
    assert response.status_code == 200
    assert "window.print()" in body and 'class="site"' not in body
    assert with_figures.uscc in body


# --- members --------------------------------------------------------------------------------------------------


def test_inviting_a_colleague_mails_a_link_that_creates_the_account_and_membership(signed_in, enterprise, client):
    response = signed_in.post(reverse("portal:members"), {"email": "Colleague@Example.com"})
    assert response.status_code == 302
    assert mail.outbox[0].to == ["colleague@example.com"]
    link = re.search(r"http://testserver(/invitation/\S+/)", mail.outbox[0].body).group(1)
    signed_in.post(reverse("portal:logout"))

    response = client.post(link, {"username": "colleague", "new_password1": "Ladder-climb-42",
                                  "new_password2": "Ladder-climb-42"})
    assert response.status_code == 302
    membership = Membership.objects.get(enterprise=enterprise, user__username="colleague")
    assert membership.role == "member" and membership.user.email == "colleague@example.com"
    assert client.get(reverse("portal:home")).context["enterprise"] == enterprise

    again = client.get(link, **ENGLISH)
    assert again.status_code == 400 and "already been accepted" in text(again)


def test_a_forged_invitation_is_refused(client, enterprise):
    token = invitations.make_token(enterprise, "x@example.com", enterprise.members.first())
    response = client.get(reverse("portal:accept_invitation", args=[token[:-2] + "xx"]), **ENGLISH)
    assert response.status_code == 400 and "not valid" in text(response)


def test_members_page_lists_only_own_members(signed_in, other_member):
    body = text(signed_in.get(reverse("portal:members")))
    assert "finance" in body and "rival" not in body


def test_the_language_switch_changes_to_english_and_back(signed_in):
    response = signed_in.post("/i18n/setlang/", {"language": "en", "next": "/figures/"})
    assert response["Location"] == "/figures/"
    assert '<html lang="en">' in signed_in.get("/figures/").content.decode()
    signed_in.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    assert '<html lang="zh-hans">' in signed_in.get("/figures/").content.decode()


def test_an_invitation_expires_after_seven_days(client, enterprise, monkeypatch):
    import time

    token = invitations.make_token(enterprise, "late@example.com", enterprise.members.first())
    now = time.time()
    monkeypatch.setattr("django.core.signing.time.time", lambda: now + 8 * 24 * 3600)
    response = client.get(reverse("portal:accept_invitation", args=[token]), **ENGLISH)
    assert response.status_code == 400 and "expired" in text(response)
    assert not Membership.objects.filter(user__email="late@example.com").exists()


def test_self_assessment_under_the_2026_rules_shows_pending_tiers(signed_in, with_figures):
    # A declared item no reviewer has judged yet, and no platform score: the specialised SME waits.
    Declaration.objects.filter(enterprise=with_figures, year=2025).update(niche_share_leading=True)
    response = signed_in.get(reverse("portal:assessment"), {"year": 2025, "ruleset": "miit-2026"}, **ENGLISH)
    statuses = {t["code"]: t["status"] for t in response.context["result"]["tiers"]}
    assert "pending" in statuses.values()
    assert 'class="badge s-pending">pending<' in response.content.decode()


def test_whats_due_before_and_after_the_annual_deadline_and_in_the_rereview_window(enterprise):
    from portal.dues import whats_due

    version = get_ruleset_version("miit-2022")
    cert = Certification.objects.create(enterprise=enterprise, tier="innovative_sme", ruleset=version,
                                        granted_on=datetime.date(2024, 1, 10),
                                        expires_on=datetime.date(2027, 1, 10))
    before = whats_due(enterprise, [cert], set(), datetime.date(2026, 5, 31))
    assert [(d.kind, d.deadline, d.overdue, d.year) for d in before] == [
        ("annual_update", datetime.date(2026, 5, 31), False, 2025)]
    after = whats_due(enterprise, [cert], set(), datetime.date(2026, 8, 1))
    assert [(d.kind, d.deadline, d.overdue) for d in after] == [
        ("annual_update", datetime.date(2026, 5, 31), True), ("rereview", datetime.date(2027, 1, 10), False)]
    under_way = whats_due(enterprise, [cert], {"innovative_sme"}, datetime.date(2026, 8, 1))
    assert under_way[1].done
