"""The enterprise declares the 2026 items on the portal's declaration form and sees the reviewers' verdict."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from enterprises import confirmations
from enterprises.models import Declaration
from tests.factories import reviewer

pytestmark = pytest.mark.django_db

ENGLISH = {"HTTP_ACCEPT_LANGUAGE": "en"}
CHINESE = {"HTTP_ACCEPT_LANGUAGE": "zh-hans"}


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


def form_data(signed_in, **changes) -> dict:
    form = signed_in.get(reverse("portal:declaration", args=[2025])).context["form"]
    data = {name: value for name, value in form.initial.items() if value is not None and value is not False}
    data.pop("niche_share_leading", None)
    return {**data, **changes}


def test_the_form_offers_the_declared_items_in_both_languages(signed_in, with_figures):
    english = text(signed_in.get(reverse("portal:declaration", args=[2025]), **ENGLISH))
    assert "relatively high" in english and "Not declared" in english
    assert 'id="id_international_share_pct_unit">%<' in english
    chinese = text(signed_in.get(reverse("portal:declaration", args=[2025]), **CHINESE))
    assert "市场占有率较为靠前" in chinese and "未申报" in chinese and "细分市场国际占有率" in chinese


def test_a_declaration_of_the_items_is_stored(signed_in, with_figures):
    data = form_data(signed_in, niche_share_leading="True", international_share_pct="12.5")
    assert signed_in.post(reverse("portal:declaration", args=[2025]), data).status_code == 302
    row = Declaration.objects.get(enterprise=with_figures, year=2025)
    assert row.niche_share_leading is True and str(row.international_share_pct) == "12.50"
    data = form_data(signed_in, niche_share_leading="", international_share_pct="")
    assert signed_in.post(reverse("portal:declaration", args=[2025]), data).status_code == 302
    row.refresh_from_db()
    assert (row.niche_share_leading, row.international_share_pct) == (None, None)  # back to not declared


@pytest.mark.parametrize(("changes", "label"), [
    ({"international_share_pct": "120"}, "International niche market share"),
    ({"international_share_pct": "many"}, "International niche market share"),
    ({"niche_share_leading": "perhaps"}, "relatively high"),
])
def test_bad_values_are_refused_beside_the_field(signed_in, with_figures, changes, label):
    response = signed_in.post(reverse("portal:declaration", args=[2025]), form_data(signed_in, **changes),
                              **ENGLISH)
    assert response.status_code == 200
    field = next(iter(changes))
    assert field in response.context["form"].errors
    assert label in text(response)
    row = Declaration.objects.get(enterprise=with_figures, year=2025)
    assert (row.niche_share_leading, row.international_share_pct) == (None, None)


def test_the_form_shows_the_reviewers_verdict_and_a_change_clears_it(signed_in, with_figures):
    data = form_data(signed_in, niche_share_leading="True")
    signed_in.post(reverse("portal:declaration", args=[2025]), data)
    row = Declaration.objects.get(enterprise=with_figures, year=2025)
    assert "not yet judged" in text(signed_in.get(reverse("portal:declaration", args=[2025]), **ENGLISH))
    confirmations.judge(row, "market.niche_share_leading", user=reviewer("city", "330100"), confirmed=True)
    page = text(signed_in.get(reverse("portal:declaration", args=[2025]), **CHINESE))
    assert "已确认" in page
    unchanged = form_data(signed_in, niche_share_leading="True", standards=3)
    signed_in.post(reverse("portal:declaration", args=[2025]), unchanged)
    row.refresh_from_db()
    assert row.confirmations == {"market.niche_share_leading": True}
    signed_in.post(reverse("portal:declaration", args=[2025]), form_data(signed_in, niche_share_leading="False"))
    row.refresh_from_db()
    assert row.confirmations == {}
