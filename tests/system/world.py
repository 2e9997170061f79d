"""A small world of two enterprises and every kind of user, shared by the permission, hostile-input and
schema-driven tests.

Enterprise A is in Xihu district (330106, Hangzhou, Zhejiang); enterprise B in Haishu district (330203, Ningbo).
Reviewers are placed inside A's region (county, city, province) and outside it (another county, another city,
another province, and a city and a county of that other province, Jiangsu), so every test can ask: who sees A,
who may change A, who may act on A's applications.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth.models import Group

from core.roles import REGISTRY_STAFF
from registry import applications, evidence
from tests.factories import (
    EnterpriseFactory,
    MembershipFactory,
    UserFactory,
    api_token,
    pass_expert_review,
    reviewer,
    store_profile,
)
from tests.registry.conftest import example_profile

PASSWORD = "correct-horse-battery"
FIGURES_YEAR = 2025

# Role name -> how it relates to enterprise A.
ROLES = (
    "anonymous",
    "member_a",
    "member_b",
    "county_in",
    "county_out",
    "city_in",
    "city_out",
    "province_in",
    "province_out",
    "city_js",
    "county_js",
    "staff",
    "superuser",
)
REVIEWERS_IN = frozenset({"county_in", "city_in", "province_in"})
REVIEWERS_OUT = frozenset({"county_out", "city_out", "province_out", "city_js", "county_js"})
STAFF = frozenset({"staff", "superuser"})
AUTHENTICATED = frozenset(ROLES) - {"anonymous"}
# Who may see enterprise A (its own members, reviewers whose region contains it, registry staff).
SEES_A = frozenset({"member_a", *REVIEWERS_IN, *STAFF})


@dataclass
class World:
    enterprise_a: Any
    enterprise_b: Any
    users: dict[str, Any] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    objects: dict[str, Any] = field(default_factory=dict)

    def token(self, role: str) -> str | None:
        return self.tokens.get(role)

    def secrets_of_a(self) -> list[str]:
        """Strings that only someone allowed to see A may ever receive."""
        return [self.enterprise_a.uscc, self.enterprise_a.name]


def _jiangsu_regions() -> None:
    """Nanjing and its Xuanwu district (the region table ships Jiangsu's province row only)."""
    from enterprises.models import Region

    Region.objects.get_or_create(code="320100", defaults={"name": "南京市", "level": "city", "parent_id": "320000",
                                                          "city_code": "320100", "province_code": "320000"})
    Region.objects.get_or_create(code="320102", defaults={"name": "玄武区", "level": "county", "parent_id": "320100",
                                                          "city_code": "320100", "province_code": "320000"})


def build_world() -> World:
    """Create both enterprises with a year of figures, and one user per role (each with an API token)."""
    _jiangsu_regions()
    enterprise_a = EnterpriseFactory(name="甲企业<script>alert(1)</script>", region_id="330106")
    enterprise_b = EnterpriseFactory(name="乙企业有限公司", region_id="330203")
    for enterprise in (enterprise_a, enterprise_b):
        store_profile(enterprise, example_profile("A"))  # three years of figures and a declaration
    users: dict[str, Any] = {
        "member_a": MembershipFactory(enterprise=enterprise_a, user=UserFactory(username="member-a")).user,
        "member_b": MembershipFactory(enterprise=enterprise_b, user=UserFactory(username="member-b")).user,
        "county_in": reviewer("county", "330106", username="county-in"),
        "county_out": reviewer("county", "330102", username="county-out"),
        "city_in": reviewer("city", "330100", username="city-in"),
        "city_out": reviewer("city", "330200", username="city-out"),
        "province_in": reviewer("province", "330000", username="province-in"),
        "province_out": reviewer("province", "320000", username="province-out"),
        "city_js": reviewer("city", "320100", username="city-js"),
        "county_js": reviewer("county", "320102", username="county-js"),
        "staff": UserFactory(username="registry-staff", is_staff=True),
        "superuser": UserFactory(username="root", is_staff=True, is_superuser=True),
    }
    users["staff"].groups.add(Group.objects.get(name=REGISTRY_STAFF))
    tokens = {role: api_token(user) for role, user in users.items()}
    world = World(enterprise_a, enterprise_b, users, tokens)
    _add_applications(world)
    return world


def _add_applications(world: World) -> None:
    """A holds the innovative SME tier and has a specialised-SME application in county review; B likewise."""
    import datetime

    from django.utils import timezone

    from tests.factories import certify

    granted = timezone.localdate() - datetime.timedelta(days=100)
    for key, enterprise, owner in (("a", world.enterprise_a, world.users["member_a"]),
                                   ("b", world.enterprise_b, world.users["member_b"])):
        world.objects[f"certification_{key}"] = certify(enterprise, "innovative_sme", granted)
        draft = applications.create_application(enterprise=enterprise, tier="specialised_sme", year=FIGURES_YEAR,
                                            user=owner)
        world.objects[f"application_{key}"] = applications.submit_application(draft, user=owner)


def recommended_application(world: World) -> Any:
    """A's little-giant application carried through county, city and province to ``recommended``."""
    import datetime

    from django.utils import timezone

    from tests.factories import certify

    certify(world.enterprise_a, "specialised_sme", timezone.localdate() - datetime.timedelta(days=50))
    owner = world.users["member_a"]
    app = applications.create_application(enterprise=world.enterprise_a, tier="little_giant", year=FIGURES_YEAR,
                                      user=owner)
    app = applications.submit_application(app, user=owner)
    for role in ("county_in", "city_in", "province_in"):
        app = applications.decide(app, user=world.users[role], action="approve", reason="checked")
    app = pass_expert_review(app, world.users["province_in"])
    assert app.status == "recommended", app.status
    return app


def evidence_of_a(world: World, application: Any) -> Any:
    """One PDF uploaded to A's ``application`` (a draft: evidence is added before submission)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    pdf = SimpleUploadedFile("report.pdf", b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n%%EOF\n", "application/pdf")
    return evidence.add_evidence(application, user=world.users["member_a"],
                                 claim="financial_report", uploaded_file=pdf)


def authenticate(client: Any, world: World, role: str) -> Any:
    """Put ``role``'s token on a DRF test client (anonymous: no credentials)."""
    client.credentials()
    if role != "anonymous":
        client.credentials(HTTP_AUTHORIZATION=f"Token {world.tokens[role]}")
    return client


def drawn_panel_of_a(world: World, on_panel: Any = None, off_panel: Any = None) -> tuple[Any, Any]:
    """A's little-giant application (with one evidence file) in expert review with its panel drawn; returns the
    application and a seat on the panel. ``on_panel`` (an expert profile) sits on it, ``off_panel`` does not."""
    import datetime

    from django.utils import timezone

    from registry import experts
    from tests.factories import certify, expert

    certify(world.enterprise_a, "specialised_sme", timezone.localdate() - datetime.timedelta(days=50))
    owner = world.users["member_a"]
    app = applications.create_application(enterprise=world.enterprise_a, tier="little_giant", year=FIGURES_YEAR,
                                          user=owner)
    evidence_of_a(world, app)
    app = applications.submit_application(app, user=owner)
    for role in ("county_in", "city_in", "province_in"):
        app = applications.decide(app, user=world.users[role], action="approve", reason="checked")
    for i in range(3):
        expert(f"panel-pool-{i}", home_region="330203")
    candidates, _excluded = experts.eligible_experts(app)
    seed = next(s for s in range(10_000)
                if (on_panel is None or on_panel.pk in experts.pick(s, candidates, 3))
                and (off_panel is None or off_panel.pk not in experts.pick(s, candidates, 3)))
    draw = experts.draw_experts(app, user=world.users["province_in"], seed=seed)
    seat = draw.assignments.get(expert=on_panel) if on_panel is not None else draw.assignments.order_by("pk")[0]
    return app, seat
