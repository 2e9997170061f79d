"""Regions roll up county → city → province, and a fuller list loads from CSV."""

import pytest
from django.core.management import CommandError, call_command

from enterprises.models import Enterprise, Region
from tests.factories import EnterpriseFactory

pytestmark = pytest.mark.django_db


def test_every_province_and_all_of_zhejiang_are_loaded():
    assert Region.objects.filter(level="province").count() == 34
    assert Region.objects.filter(level="city", province_code="330000").count() == 11
    assert Region.objects.filter(level="county", province_code="330000").count() >= 89
    for code in ("330113", "330114", "330383"):
        assert Region.objects.filter(code=code).exists()
    assert not Region.objects.filter(code__in=["330103", "330104"]).exists()


def test_a_county_rolls_up_to_its_city_and_province():
    linping = Region.objects.get(code="330113")
    assert linping.name == "临平区"
    assert linping.parent.code == "330100"
    assert linping.parent.parent.code == "330000"
    assert (linping.city_code, linping.province_code) == ("330100", "330000")
    assert Region.objects.get(code="330100").contains(linping)
    assert not Region.objects.get(code="330200").contains(linping)


def test_enterprises_are_found_by_any_region_above_them():
    inside = EnterpriseFactory(region=Region.objects.get(code="330113"))
    elsewhere = EnterpriseFactory(region=Region.objects.get(code="330212"))
    assert set(Enterprise.objects.in_region("330113")) == {inside}
    assert set(Enterprise.objects.in_region("330100")) == {inside}
    assert set(Enterprise.objects.in_region("330000")) == {inside, elsewhere}


def test_a_fuller_national_list_loads_from_csv(tmp_path):
    path = tmp_path / "more.csv"
    path.write_text("code,name,name_en,level,parent_code\n320100,南京市,Nanjing,city,320000\n"
                    "320102,玄武区,Xuanwu District,county,320100\n", encoding="utf-8")
    call_command("load_regions", str(path))
    xuanwu = Region.objects.get(code="320102")
    assert (xuanwu.city_code, xuanwu.province_code, xuanwu.parent_id) == ("320100", "320000", "320100")


def test_a_bad_region_file_names_the_line_and_column(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("code,name,name_en,level,parent_code\n32010X,坏,Bad,county,320100\n", encoding="utf-8")
    with pytest.raises(CommandError, match="line 2, column code"):
        call_command("load_regions", str(path))
    assert not Region.objects.filter(name="坏").exists()
