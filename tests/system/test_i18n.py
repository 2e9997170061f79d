"""Both languages: Chinese by default, English by the browser's language or the switch; API errors too."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.factories import EnterpriseFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    client.force_login(UserFactory(username="boss", is_staff=True, is_superuser=True))
    return client


def test_the_admin_speaks_chinese_by_default():
    from django.test import Client

    staff_client = Client()  # no Accept-Language: the site's default applies
    staff_client.force_login(UserFactory(username="boss", is_staff=True, is_superuser=True))
    body = staff_client.get(reverse("admin:enterprises_enterprise_changelist")).content.decode()
    assert "统一社会信用代码" in body or "企业" in body
    assert "培育" in body  # the registry's own header
    assert "Tiered cultivation registry" not in body
    page = staff_client.get(reverse("insights:dashboard")).content.decode()
    assert "创新型中小企业" in page and "Innovative SME" not in page


def test_english_by_the_browsers_language(staff_client):
    body = staff_client.get(reverse("admin:enterprises_enterprise_changelist"),
                            HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9").content.decode()
    assert "Tiered cultivation registry" in body and "Enterprises" in body
    page = staff_client.get(reverse("insights:dashboard"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Innovative SME" in page and "创新型中小企业" not in page


def test_the_language_switch_in_the_header(staff_client):
    page = staff_client.get(reverse("admin:index")).content.decode()
    assert 'action="/i18n/setlang/"' in page and 'value="en"' in page
    staff_client.post("/i18n/setlang/", {"language": "en", "next": "/admin/"})
    body = staff_client.get(reverse("insights:dashboard"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "Innovative SME" in body  # the chosen language wins over the browser's


def test_the_admin_index_links_the_dashboard(staff_client):
    page = staff_client.get(reverse("admin:index"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert reverse("insights:dashboard") in page and "仪表板" in page


def test_api_errors_follow_accept_language(api_client):
    company = EnterpriseFactory()
    member = MembershipFactory(enterprise=company).user
    api_client.force_authenticate(member)
    url = f"/api/enterprises/{company.pk}/financials/2025/"
    bad = {"operating_revenue": 100, "main_business_revenue": 200, "rd_expense": 5, "net_profit": 1,
           "total_assets": 100, "total_liabilities": 10}
    chinese = api_client.put(url, bad, format="json", HTTP_ACCEPT_LANGUAGE="zh-hans")
    english = api_client.put(url, bad, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert chinese.status_code == english.status_code == 400
    assert english.json()["errors"]["main_business_revenue"] == [
        "Main-business revenue cannot exceed operating revenue."
    ]
    assert chinese.json()["errors"]["main_business_revenue"] == ["主营业务收入不能超过营业收入。"]
    assert chinese.json()["detail"].startswith("输入无效")


def test_import_errors_in_chinese():
    from django.utils import translation

    from enterprises.importer import import_file

    content = "统一社会信用代码,企业名称\n91330106XXXXXXXXX1,甲\n".encode()
    with translation.override("zh-hans"):
        result = import_file(content, "x.csv")
        messages = [str(e) for e in result.errors]
    assert "第 2 行，“统一社会信用代码”列：该统一社会信用代码的校验码错误。" in messages
    assert "第 2 行，“行政区划代码 / region_code”列：尚未登记的企业必须填写此项。" in messages


def test_a_reviewer_sees_only_the_tools_they_may_use(client):
    from tests.factories import reviewer

    client.force_login(reviewer("city", "330100"))
    page = client.get(reverse("admin:index")).content.decode()
    assert reverse("insights:dashboard") in page and reverse("insights:simulation") in page
    assert reverse("insights:import") not in page
