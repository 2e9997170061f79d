"""Seed demo data: enterprises across Zhejiang's 11 cities with three years of figures, assessments,
certifications for part of those that qualify, and demo accounts for each role."""

from __future__ import annotations

import datetime
import random
from collections import Counter
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import CommandError
from django.db import transaction
from django.utils import timezone

from core.audit import AuditAction, AuditedCommand, build_entry, record_many
from core.roles import LEVEL_GROUPS, REGISTRY_STAFF
from enterprises.models import (
    Declaration,
    Enterprise,
    FinancialYear,
    Membership,
    Region,
    ReviewerProfile,
)
from evaluation import engine
from evaluation.engine import TIER_CODES, size_class
from evaluation.models import canonical_digest
from evaluation.profiles import build_profiles
from evaluation.services import Evaluated, store_assessments
from evaluation.versions import compiled, get_ruleset_version
from registry import dashboard_summary, demo, demo_pool, demo_public
from registry.certifications import add_years, refresh_current_tier
from registry.demo_panels import EXPERTS, seed_panels
from registry.demo_review import seed_review_demo
from registry.models import Certification, ExpertProfile

DEMO_PASSWORD = "Tier-Demo-2025"
ACCOUNTS = [
    # username, role, level, region
    ("admin", "superuser", None, None),
    ("staff", "staff", None, None),
    ("province", "reviewer", "province", "330000"),
    ("hangzhou", "reviewer", "city", "330100"),
    ("ningbo", "reviewer", "city", "330200"),
    ("xihu", "reviewer", "county", "330106"),
    ("enterprise", "member", None, None),
    ("consultant", "consultant", None, None),
]
CONSULTANT_ENTERPRISES = 2  # a service agency acting for several enterprises: the portal shows the switcher


class Command(AuditedCommand):
    help = "Create demo enterprises with three years of figures, assessments, certifications and demo accounts."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--enterprises", type=int, default=400, help="how many enterprises (default 400)")
        parser.add_argument("--seed", type=int, default=1, help="random seed: the same seed gives the same data")
        parser.add_argument("--year", type=int, default=None, help="last figures year (default: last year)")
        parser.add_argument("--no-assess", action="store_true", help="skip evaluation and certification")
        parser.add_argument("--no-accounts", action="store_true", help="do not create demo accounts")

    def handle(self, *args: Any, **options: Any) -> None:
        count = options["enterprises"]
        if count < 0 or count > 1_000_000:
            raise CommandError("--enterprises must be between 0 and 1,000,000")
        year = options["year"] or timezone.localdate().year - 1
        if year > timezone.localdate().year:
            raise CommandError(f"--year {year} is in the future")
        counties = list(Region.objects.filter(level="county", province_code="330000").values_list("code", flat=True))
        if not counties:
            raise CommandError("no Zhejiang counties loaded: run `manage.py migrate` (it loads the regions) first")
        created = self.seed(count, options["seed"], year, counties)
        self.stdout.write(f"enterprises: {created} created ({Enterprise.objects.count()} in the registry)")
        if not options["no_assess"]:
            self.assess_and_certify(year, options["seed"])
            self.stdout.write("public pages: {in_publicity} in publicity, {announced} announced".format(
                **demo_public.seed_public()))
        if not options["no_accounts"]:
            self.accounts()
        if not options["no_assess"]:
            self.stdout.write(f"cultivation pool: {demo_pool.seed_pool(year, options['seed'])}")
            self.stdout.write(seed_panels(DEMO_PASSWORD))
        if not options["no_accounts"] and not options["no_assess"]:
            seed_review_demo(year, self.stdout.write, [a[0] for a in ACCOUNTS if a[1] == "reviewer"])
        # the demo data was written in bulk, around the services: count the dashboard's rows afresh
        self.stdout.write(f"dashboard summary: {dashboard_summary.rebuild()} rows")
        if not options["no_accounts"]:
            self.stdout.write(self.account_list())

    @transaction.atomic
    def seed(self, count: int, seed: int, year: int, counties: list[str]) -> int:
        generated = list(demo.generate(count, seed, year, counties))
        existing = set(Enterprise.objects.filter(uscc__in=[g.uscc for g in generated]).values_list("uscc", flat=True))
        fresh = [g for g in generated if g.uscc not in existing]
        enterprises = [
            Enterprise(
                uscc=g.uscc, name=g.name, region_id=g.region_code, sector="industry",
                established_year=g.established_year,
                size_class=size_class("industry", g.declarations[year]["employees"],
                                      g.financials[year]["operating_revenue"]),
                contact_name="演示联系人", contact_email=f"contact-{g.uscc.lower()}@example.com",
            )
            for g in fresh
        ]
        Enterprise.objects.bulk_create(enterprises, batch_size=2000)
        # bulk_create sets primary keys on PostgreSQL and SQLite alike
        financials, declarations, entries = [], [], []
        for enterprise, g in zip(enterprises, fresh, strict=True):
            for y, row in g.financials.items():
                financials.append(FinancialYear(enterprise=enterprise, year=y, **row))
            for y, row in g.declarations.items():
                declarations.append(Declaration(enterprise=enterprise, year=y, **row))
            entries.append(build_entry(enterprise, AuditAction.CREATE, after={"uscc": enterprise.uscc,
                                                                               "name": enterprise.name},
                                       reason="demo data"))
        FinancialYear.objects.bulk_create(financials, batch_size=2000)
        Declaration.objects.bulk_create(declarations, batch_size=2000)
        record_many(entries)
        return len(enterprises)

    def assess_and_certify(self, year: int, seed: int) -> None:
        version = get_ruleset_version()
        ruleset = compiled(version)
        rng = random.Random(seed)
        today = timezone.localdate()
        passed: Counter[str] = Counter()
        certified: Counter[str] = Counter()
        held = set(Certification.objects.values_list("enterprise_id", "tier"))
        ids = list(Enterprise.objects.order_by("pk").values_list("pk", flat=True))
        for start in range(0, len(ids), 1000):
            chunk = list(Enterprise.objects.filter(pk__in=ids[start:start + 1000]))
            evaluations, certifications = [], []
            for pk, profile in build_profiles(chunk, year).items():
                if isinstance(profile, Exception):
                    continue
                parsed = engine.parse_profile(profile)
                result = engine.evaluate(parsed, ruleset)
                snapshot = engine.profile_to_dict(parsed)
                evaluations.append(Evaluated(pk, year, version, snapshot, canonical_digest(snapshot), result))
                tiers = result.to_dict()["tiers"]
                for tier in TIER_CODES:
                    if tiers.get(tier, {}).get("passed"):
                        passed[tier] += 1
                        if (pk, tier) not in held and rng.random() < 0.85:
                            # Granted in one of the last three years; some expire within 90 days.
                            granted = today - datetime.timedelta(days=rng.randint(30, 3 * 365 - 5))
                            certifications.append(Certification(
                                enterprise_id=pk, tier=tier, ruleset=version, granted_on=granted,
                                expires_on=add_years(granted, 3),
                            ))
                            certified[tier] += 1
            store_assessments(evaluations)
            Certification.objects.bulk_create(certifications)
            refresh_current_tier([e.pk for e in chunk])
        self.stdout.write(f"assessed under {version}: " + ", ".join(f"{t} {passed[t]} pass" for t in TIER_CODES))
        self.stdout.write("certified: " + ", ".join(f"{t} {certified[t]}" for t in TIER_CODES))
        Enterprise.objects.filter(pk__in=ids).update(needs_rescore=False)

    def accounts(self) -> None:
        """Create (or reset the password of) one account per role; running it again changes nothing else."""
        User = get_user_model()
        for username, role, level, region in ACCOUNTS:
            user, _ = User.objects.get_or_create(username=username, defaults={"email": f"{username}@example.com"})
            user.set_password(DEMO_PASSWORD)
            user.is_superuser = role == "superuser"
            user.is_staff = role in ("superuser", "staff", "reviewer")
            user.save()
            if role == "staff":
                user.groups.add(Group.objects.get(name=REGISTRY_STAFF))
            if role == "reviewer":
                ReviewerProfile.objects.update_or_create(user=user, defaults={"level": level, "region_id": region})
                user.groups.add(Group.objects.get(name=LEVEL_GROUPS[level]))
            if role == "member":
                # Xihu's first (the demo county reviewer's county), else the registry's first.
                enterprise = (Enterprise.objects.filter(region_id="330106").order_by("pk").first()
                              or Enterprise.objects.order_by("pk").first())
                if enterprise is not None:
                    Membership.objects.get_or_create(user=user, enterprise=enterprise, defaults={"role": "owner"})
            if role == "consultant":
                self.consultant_memberships(user)

    def consultant_memberships(self, user: Any) -> None:
        """The consultant acts for two demo enterprises in Hangzhou (others when Hangzhou has too few), never the
        demo enterprise account's own; memberships it already has are kept."""
        have = Membership.objects.filter(user=user).count()
        if have >= CONSULTANT_ENTERPRISES:
            return
        own = Membership.objects.filter(user__username="enterprise").values("enterprise_id")
        pool = Enterprise.objects.exclude(pk__in=own).exclude(memberships__user=user)
        chosen = list(pool.filter(region__city_code="330100").order_by("pk")[:CONSULTANT_ENTERPRISES - have])
        if len(chosen) < CONSULTANT_ENTERPRISES - have:
            chosen += list(pool.exclude(pk__in=[e.pk for e in chosen]).order_by("pk")
                           [:CONSULTANT_ENTERPRISES - have - len(chosen)])
        for enterprise in chosen:
            Membership.objects.get_or_create(user=user, enterprise=enterprise, defaults={"role": "member"})

    def account_list(self) -> str:
        """Every demo account with its password and role: staff, reviewers per level, experts, the consultant
        and the enterprise account."""
        User = get_user_model()
        users = {u.username: u for u in User.objects.filter(
            username__in=[a[0] for a in ACCOUNTS] + [e[0] for e in EXPERTS]).select_related(
            "reviewer__region")}
        lines = []

        def line(username: str, role: str) -> None:
            lines.append(f"  {username:<12} {DEMO_PASSWORD}   {role}")

        for username, role, _level, _region in ACCOUNTS:
            user = users.get(username)
            if user is None or role not in ("superuser", "staff"):
                continue
            line(username, "superuser" if role == "superuser" else "registry staff")
        for level in ("province", "city", "county"):
            for username, role, lvl, region in ACCOUNTS:
                if role == "reviewer" and lvl == level and username in users:
                    name = users[username].reviewer.region.name
                    line(username, f"reviewer ({level}, {region}) {name}")
        for username, _region, _fields in EXPERTS:
            profile = ExpertProfile.objects.filter(user=users[username]).select_related("home_region").first() \
                if username in users else None
            if profile is not None:
                line(username, f"expert ({profile.fields}; home {profile.home_region_id} "
                               f"{profile.home_region.name}) at /experts/")
        for username, role, _level, _region in ACCOUNTS:
            if username not in users or role not in ("consultant", "member"):
                continue
            names = list(Membership.objects.filter(user=users[username]).order_by("created_at", "id")
                         .values_list("enterprise__name", flat=True))
            if role == "consultant":
                line(username, f"consultant (service agency) for {len(names)} enterprises: {', '.join(names)}"
                               " (switch between them in the portal header)")
            else:
                line(username, f"enterprise member of {names[0]}" if names else "enterprise member (no enterprise)")
        return "demo accounts (username, password, role):\n" + "\n".join(lines)
