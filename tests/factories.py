"""factory_boy factories and helpers shared by the tests."""

from __future__ import annotations

import datetime
import random
from decimal import Decimal
from typing import Any

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from enterprises.credentials import issue_token
from enterprises.models import (
    DECLARATION_GROUPS,
    DECLARATION_SCALARS,
    Declaration,
    Enterprise,
    FinancialYear,
    Membership,
    Region,
    ReviewerProfile,
)
from enterprises.uscc import make_uscc
from evaluation.versions import get_ruleset_version
from registry import dashboard_summary
from registry.certifications import add_years, refresh_current_tier
from registry.models import Application, ApplicationStatus, Certification

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

    from core.roles import LEVEL_GROUPS

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


class CertificationFactory(factory.django.DjangoModelFactory):
    """A certification as a past review left it (valid for 3 years from 30 days ago unless told otherwise). The
    enterprise's current and held tiers are refreshed, as the certification services keep them."""

    class Meta:
        model = Certification
        skip_postgeneration_save = True

    enterprise = factory.SubFactory(EnterpriseFactory)
    tier = "innovative_sme"
    ruleset = factory.LazyFunction(get_ruleset_version)
    granted_on = factory.LazyFunction(lambda: timezone.localdate() - datetime.timedelta(days=30))
    expires_on = factory.LazyAttribute(lambda o: add_years(o.granted_on, 3))

    @classmethod
    def _create(cls, model_class: Any, *args: Any, **kwargs: Any) -> Certification:
        # the dashboard's summary rows follow, as the certification services keep them
        with dashboard_summary.tracking([(kwargs["enterprise"].pk, kwargs["tier"])]):
            return super()._create(model_class, *args, **kwargs)

    @factory.post_generation
    def refresh_tiers(self, create: bool, extracted: Any, **kwargs: Any) -> None:
        if create:
            refresh_current_tier([self.enterprise_id])


def certify(enterprise: Enterprise, tier: str, granted_on: datetime.date, expires_on: datetime.date | None = None,
            *, years: int = 3, **extra: Any) -> Certification:
    """``CertificationFactory`` in one line: granted on ``granted_on``, for ``years`` or until ``expires_on``."""
    return CertificationFactory(enterprise=enterprise, tier=tier, granted_on=granted_on,
                                expires_on=expires_on or add_years(granted_on, years), **extra)


# Stages an application reaches after submission, and the publicity end a factory gives one in publicity.
SUBMITTED = {s.value for s in ApplicationStatus} - {ApplicationStatus.DRAFT}


class ApplicationFactory(factory.django.DjangoModelFactory):
    """An application at any stage: ``ApplicationFactory(status="city_review")``. The row is written as the
    workflow would have left it at that stage (submitted, judged under the ruleset in force); use the services
    when the path itself is under test."""

    class Meta:
        model = Application

    enterprise = factory.SubFactory(EnterpriseFactory)
    tier = "innovative_sme"
    year = 2025
    status = ApplicationStatus.DRAFT
    ruleset = factory.LazyAttribute(lambda o: get_ruleset_version() if o.status in SUBMITTED else None)
    submitted_at = factory.LazyAttribute(lambda o: timezone.now() if o.status in SUBMITTED else None)
    publicity_ends_on = factory.LazyAttribute(
        lambda o: timezone.localdate() + datetime.timedelta(days=5) if o.status == ApplicationStatus.PUBLICITY
        else None)

    @classmethod
    def _create(cls, model_class: Any, *args: Any, **kwargs: Any) -> Application:
        app = super()._create(model_class, *args, **kwargs)
        dashboard_summary.application_moved(app, None, app.status)  # as the application services keep them
        return app


def api_token(user: Any) -> str:
    """A fresh API token for ``user``, as ``POST /api/auth/token/`` issues it."""
    return issue_token(user)[0]


# --- expert panels ----------------------------------------------------------------------------------------

def expert(username: str | None = None, home_region: str = "330203", fields: str = "machine tools",
           ties: tuple[Enterprise, ...] = ()) -> Any:
    """A user in the expert pool (not staff: experts use their own pages), with declared ties."""
    from registry.models import ExpertProfile, ExpertTie

    user = UserFactory(username=username) if username else UserFactory()
    profile = ExpertProfile.objects.create(user=user, fields=fields, home_region=Region.objects.get(code=home_region))
    for enterprise in ties:
        ExpertTie.objects.create(expert=profile, enterprise=enterprise, relation="consulting")
    return profile


def pass_expert_review(app: Application, province: Any, total_share: float = 0.8) -> Application:
    """Carry an application in expert review through a full panel (experts added to the pool when short)
    to the provincial reviewer's approval."""
    from registry import applications, experts
    from registry.models import Recommendation

    review = experts.review_of(app)
    while len(experts.eligible_experts(app)[0]) < review.panel_size:
        expert(home_region="330203")
    draw = experts.draw_experts(app, user=province)
    for seat in draw.assignments.select_related("expert__user"):
        scores = {c.code: int(c.max * total_share) for c in review.form}
        experts.submit_score(seat, user=seat.expert.user, scores=scores, recommendation=Recommendation.RECOMMEND)
    return applications.decide(app, user=province, action="approve", reason="panel passed")
