"""factory_boy factories and helpers shared by the tests."""

from __future__ import annotations

import random
from decimal import Decimal
from typing import Any

import factory
from django.contrib.auth import get_user_model

from enterprises.credentials import issue_token
from enterprises.models import Declaration, Enterprise, FinancialYear, Membership, Region, ReviewerProfile
from enterprises.profiles import DECLARATION_GROUPS, DECLARATION_SCALARS
from enterprises.uscc import make_uscc

_rng = random.Random(20251126)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.com")
    @factory.post_generation
    def password(self, create: bool, extracted: str | None, **kwargs: Any) -> None:
        self.set_password(extracted or "correct-horse-battery")
        if create:
            self.save(update_fields=["password"])


class EnterpriseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Enterprise

    name = factory.Sequence(lambda n: f"示例制造{n}有限公司")
    region = factory.LazyFunction(lambda: Region.objects.get(code="330106"))
    uscc = factory.LazyAttribute(lambda o: make_uscc(o.region.code, _rng))
    sector = "industry"
    established_year = 2011


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    enterprise = factory.SubFactory(EnterpriseFactory)
    role = "owner"


class FinancialYearFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FinancialYear

    enterprise = factory.SubFactory(EnterpriseFactory)
    year = 2025
    operating_revenue = Decimal("3000")
    main_business_revenue = Decimal("2850")
    rd_expense = Decimal("255")
    net_profit = Decimal("330")
    total_assets = Decimal("5000")
    total_liabilities = Decimal("2250")


class DeclarationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Declaration

    enterprise = factory.SubFactory(EnterpriseFactory)
    year = 2025
    employees = 120
    rd_staff = 18


def reviewer(level: str, region_code: str, username: str | None = None, **extra: Any) -> Any:
    """A staff user with a reviewer profile at ``level`` for ``region_code`` and the level's group."""
    from django.contrib.auth.models import Group

    from enterprises.roles import LEVEL_GROUPS

    user = UserFactory(username=username or f"{level}-{region_code}", is_staff=True, **extra)
    ReviewerProfile.objects.create(user=user, level=level, region=Region.objects.get(code=region_code))
    user.groups.add(Group.objects.get(name=LEVEL_GROUPS[level]))
    return user


def store_profile(enterprise: Enterprise, profile: dict[str, Any]) -> None:
    """Store a profile.md profile's figures (financial rows and the declaration) for ``enterprise``."""
    for row in profile["financials"]:
        FinancialYear.objects.update_or_create(
            enterprise=enterprise, year=row["year"],
            defaults={k: Decimal(str(v)) for k, v in row.items() if k != "year"},
        )
    values: dict[str, Any] = {name: profile[name] for name in DECLARATION_SCALARS if name in profile}
    for group, mapping in DECLARATION_GROUPS.items():
        for key, attname in mapping.items():
            if key in profile.get(group, {}):
                values[attname] = profile[group][key]
    if values.get("chuangke") is None:
        values["chuangke"] = ""
    Declaration.objects.update_or_create(enterprise=enterprise, year=profile["year"], defaults=values)


def api_token(user: Any) -> str:
    """A fresh API token for ``user``, as ``POST /api/auth/token/`` issues it."""
    return issue_token(user)[0]
