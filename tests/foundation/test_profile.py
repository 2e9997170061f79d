"""Enterprise.profile(year) builds exactly the profile of profile.md from stored data."""

import json
from pathlib import Path

import pytest

from enterprises.models import Region
from enterprises.profiles import ProfileUnavailable, build_profiles
from tests.factories import EnterpriseFactory, store_profile

pytestmark = pytest.mark.django_db
DATA = Path(__file__).resolve().parent.parent / "data"


@pytest.mark.parametrize("name", ["A", "B", "C", "D"])
def test_stored_figures_give_back_the_worked_example_profile(name):
    example = json.loads((DATA / f"example_{name}.json").read_text(encoding="utf-8"))["profile"]
    enterprise = EnterpriseFactory(region=Region.objects.get(code=example["enterprise"]["region_code"]),
                                   established_year=example["enterprise"]["established_year"],
                                   name=example["enterprise"]["name"])
    store_profile(enterprise, example)
    built = json.loads(json.dumps(enterprise.profile(2025), default=str))
    expected = {**example, "enterprise": {**example["enterprise"], "uscc": enterprise.uscc}}
    assert built == json.loads(json.dumps(expected))


def test_a_year_without_a_declaration_names_what_is_missing():
    enterprise = EnterpriseFactory()
    with pytest.raises(ProfileUnavailable, match="no declaration for 2025"):
        enterprise.profile(2025)


def test_profiles_of_many_enterprises_take_a_constant_number_of_queries(django_assert_max_num_queries):
    example = json.loads((DATA / "example_A.json").read_text(encoding="utf-8"))["profile"]
    enterprises = [EnterpriseFactory() for _ in range(12)]
    for enterprise in enterprises:
        store_profile(enterprise, example)
    with django_assert_max_num_queries(3):
        profiles = build_profiles(enterprises, 2025)
    assert len(profiles) == 12 and all(isinstance(p, dict) for p in profiles.values())
