"""The publicity lists and the objection form, as a citizen uses them: no login, Chinese by default, clear
messages for bad input, throttled, and nothing stored from a refused submission."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from registry import objections
from registry.models import Objection, ObjectionEvidence, ObjectionStatus

pytestmark = pytest.mark.django_db

GOOD = {"objector_name": "张三", "contact_email": "zhang@example.org", "contact_phone": "",
        "reason": "该企业在公示材料中虚报了研发人员数量。"}


def object_url(world: Any) -> str:
    return reverse("public:object", args=[world.listed.pk])


def test_the_publicity_list_shows_what_official_lists_publish(world: Any) -> None:
    page = Client().get("/public/publicity/")  # no Accept-Language: the Chinese default
    html = page.content.decode()
    assert page.status_code == 200
    assert "公示" in html and 'lang="zh-hans"' in html
    for app in (world.listed, world.second):
        assert app.enterprise.name in html and app.enterprise.uscc in html
        assert app.enterprise.region.name in html
    assert world.listed.publicity_ends_on.strftime("%Y-%m-%d") in html
    assert "创新型中小企业" in html
    assert world.valid.enterprise.name not in html  # certified long ago: not in publicity
    assert f'href="{object_url(world)}"' in html


def test_english_is_available(world: Any, client: Any) -> None:
    html = client.get("/public/publicity/").content.decode()
    assert "Enterprises in publicity" in html and 'lang="en"' in html


def test_a_valid_objection_is_stored_unconfirmed_and_mailed(world: Any, client: Any, mailoutbox: Any,
                                                           django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(object_url(world), GOOD)
    assert response.status_code == 200
    objection = Objection.objects.get(contact_email="zhang@example.org")
    assert objection.status == ObjectionStatus.UNCONFIRMED
    assert objection.reference in response.content.decode()
    assert len(mailoutbox) == 1
    links = re.findall(r"http://testserver(/public/objections/\S+)", mailoutbox[0].body)
    confirm, status = links
    assert "/confirm/" in confirm

    # GET only shows the button (a mail scanner opening the link confirms nothing); POST confirms.
    assert "Confirm the objection" in client.get(confirm).content.decode()
    objection.refresh_from_db()
    assert objection.status == ObjectionStatus.UNCONFIRMED
    confirmed = client.post(confirm)
    assert confirmed.status_code == 200
    objection.refresh_from_db()
    assert objection.status == ObjectionStatus.RECEIVED
    assert "Received" in client.get(status).content.decode()


@pytest.mark.parametrize(("change", "field", "message"), [
    ({"objector_name": ""}, "objector_name", "This field is required."),
    ({"reason": ""}, "reason", "This field is required."),
    ({"reason": "短"}, "reason", "At least 10 characters"),
    ({"reason": "很长的理由" * 401}, "reason", "At most 2000 characters"),
    ({"reason": "<script>alert(1)</script>这是一个足够长的理由"}, "reason", "HTML or other markup is not accepted"),
    ({"objector_name": "<b>张三</b>"}, "objector_name", "HTML or other markup is not accepted"),
    ({"contact_email": ""}, "contact_email", "An e-mail address is required"),
    ({"contact_email": "zhang@"}, "contact_email", "Enter a valid e-mail address."),
    ({"contact_phone": "call me maybe"}, "contact_phone", "Enter a phone number"),
])
def test_bad_input_gets_a_clear_message_and_stores_nothing(world: Any, client: Any, change: dict, field: str,
                                                           message: str) -> None:
    before = Objection.objects.count()
    response = client.post(object_url(world), {**GOOD, **change})
    html = response.content.decode()
    assert response.status_code == 400
    assert message in html
    assert 'aria-invalid="true"' in html
    assert "<script>alert(1)</script>" not in html
    assert Objection.objects.count() == before


def test_a_bad_evidence_file_stores_neither_the_objection_nor_any_file(world: Any, client: Any) -> None:
    before, files_before = Objection.objects.count(), ObjectionEvidence.objects.count()
    good = SimpleUploadedFile("ok.pdf", b"%PDF-1.4 ok", content_type="application/pdf")
    fake = SimpleUploadedFile("fake.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")
    response = client.post(object_url(world), {**GOOD, "files": [good, fake]})
    assert response.status_code == 400
    assert "is not a valid pdf file" in response.content.decode()
    assert Objection.objects.count() == before and ObjectionEvidence.objects.count() == files_before


def test_a_wrong_token_gets_a_clear_message(world: Any, client: Any) -> None:
    token = objections.status_token(world.objection)
    for url in (f"/public/objections/{token[:-3]}abc/", "/public/objections/not-a-token/",
                f"/public/objections/confirm/{token}/"):
        response = client.get(url)
        assert response.status_code == 400, url
        assert "This link is not valid" in response.content.decode()


def test_the_status_link_shows_only_its_own_objection(world: Any, client: Any,
                                                      django_capture_on_commit_callbacks: Any) -> None:
    other = objections.submit_objection(world.second, name="另一人", email="other@example.org", phone="",
                                        reason="另一份异议的理由足够长。", links=lambda o: ("x", "y"))
    mine = client.get(reverse("public:objection_status", args=[objections.status_token(world.objection)]))
    html = mine.content.decode()
    assert world.objection.reference in html and other.reference not in html
    assert world.second.enterprise.name not in html
    theirs = client.get(reverse("public:objection_status", args=[objections.status_token(other)])).content.decode()
    assert other.reference in theirs and world.objection.reference not in theirs


def test_the_form_is_throttled_per_address(world: Any, client: Any, settings: Any) -> None:
    settings.PUBLIC_OBJECTION_LIMITS = {"address": (2, 3600), "enterprise": (100, 3600)}
    for n in range(2):
        assert client.post(object_url(world), {**GOOD, "contact_email": f"a{n}@example.org"}).status_code == 200
    before = Objection.objects.count()
    refused = client.post(object_url(world), {**GOOD, "contact_email": "a3@example.org"})
    assert refused.status_code == 429
    assert "Too many objections from your address" in refused.content.decode()
    assert refused["Retry-After"] == "3600"
    assert Objection.objects.count() == before
    # Another address may still object.
    assert client.post(object_url(world), {**GOOD, "contact_email": "b@example.org"},
                       REMOTE_ADDR="10.1.2.3").status_code == 200


def test_the_form_is_throttled_per_enterprise(world: Any, client: Any, settings: Any) -> None:
    settings.PUBLIC_OBJECTION_LIMITS = {"address": (100, 3600), "enterprise": (1, 3600)}
    assert client.post(object_url(world), GOOD, REMOTE_ADDR="10.0.0.1").status_code == 200
    refused = client.post(object_url(world), GOOD, REMOTE_ADDR="10.0.0.2")
    assert refused.status_code == 429 and "This enterprise has received many objections" in refused.content.decode()
    other = reverse("public:object", args=[world.second.pk])
    assert client.post(other, GOOD, REMOTE_ADDR="10.0.0.2").status_code == 200


def test_the_form_and_the_directory_work_when_the_cache_is_down(world: Any, client: Any, settings: Any) -> None:
    # Changing CACHES resets Django's cache handlers: the next use connects to a port where nothing listens.
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache",
                                   "LOCATION": "redis://127.0.0.1:18899/0",
                                   "OPTIONS": {"socket_connect_timeout": 0.2}}}
    assert client.post(object_url(world), GOOD).status_code == 200
    assert Objection.objects.filter(contact_email=GOOD["contact_email"]).exists()
    page = client.get("/public/directory/?q=瑞安")
    assert page.status_code == 200 and world.valid.enterprise.name in page.content.decode()


def test_the_enterprise_sees_the_objection_and_its_outcome_but_not_who(world: Any) -> None:
    from registry.objections import decide_objection
    from tests.factories import MembershipFactory, UserFactory, reviewer

    province = reviewer("province", "330000", username="province-zj")
    decide_objection(world.objection, user=province, action="dismiss", reason="经核查，异议不成立。")
    owner = UserFactory(username="owner-listed")
    MembershipFactory(user=owner, enterprise=world.listed.enterprise)
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(owner)
    html = client.get(reverse("portal:application", args=[world.listed.pk])).content.decode()
    assert "An objection was raised" in html and "The objection was dismissed" in html
    assert "经核查，异议不成立。" in html
    for secret in ("李举报人", "whistle@example.org", "13811112222", "内部消息称其专利系购买所得", "举报材料.pdf"):
        assert secret not in html


def test_no_form_after_the_period(world: Any, client: Any) -> None:
    app = world.listed
    app.publicity_ends_on = app.publicity_ends_on.replace(year=app.publicity_ends_on.year - 1)
    app.save()
    before = Objection.objects.count()
    response = client.post(object_url(world), GOOD)
    assert "objections are closed" in response.content.decode()
    assert Objection.objects.count() == before
