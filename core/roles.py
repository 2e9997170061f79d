"""Who may see what. One place answers it for the API, the admin, the portal, the dashboard and every export.

- An enterprise member sees the enterprises they belong to.
- A reviewer sees the enterprises in their region (a county, a city and its counties, or the province).
- Registry staff (no reviewer binding) and superusers see everything; a provincial reviewer sees their province.

The models this reads (regions, reviewer bindings, memberships) belong to the enterprises app above. Like
``AUTH_USER_MODEL``, settings name them (``REGION_MODEL``, ``REVIEWER_MODEL``, ``MEMBERSHIP_MODEL``), so this
layer never imports that app.

The role groups are created, with their permissions, after every ``migrate`` (and after a test flush): each app
lists what its models allow each role in its ``AppConfig.role_permissions``.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import Group, Permission
from django.db.models import Model, Q, QuerySet

ENTERPRISE_MEMBERS = "enterprise_members"
COUNTY_REVIEWERS = "county_reviewers"
CITY_REVIEWERS = "city_reviewers"
PROVINCIAL_REVIEWERS = "provincial_reviewers"
REGISTRY_STAFF = "registry_staff"
ROLE_GROUPS = (ENTERPRISE_MEMBERS, COUNTY_REVIEWERS, CITY_REVIEWERS, PROVINCIAL_REVIEWERS, REGISTRY_STAFF)
REVIEWER_GROUPS = (COUNTY_REVIEWERS, CITY_REVIEWERS, PROVINCIAL_REVIEWERS)
LEVEL_GROUPS = {"county": COUNTY_REVIEWERS, "city": CITY_REVIEWERS, "province": PROVINCIAL_REVIEWERS}


def _model(setting: str) -> type[Model]:
    return apps.get_model(getattr(settings, setting))


# --- role groups ---------------------------------------------------------------------------------------------

def role_permissions() -> dict[str, list[str]]:
    """Each role group's permissions (``"app_label.codename"``), gathered from every app's ``role_permissions``.

    An app may give a permission to all reviewers at once under ``"reviewers"``.
    """
    wanted: dict[str, list[str]] = {name: [] for name in ROLE_GROUPS}
    for config in apps.get_app_configs():
        for group, perms in getattr(config, "role_permissions", {}).items():
            for name in (REVIEWER_GROUPS if group == "reviewers" else (group,)):
                wanted[name].extend(p for p in perms if p not in wanted[name])
    return wanted


def sync_role_groups(using: str = "default", **kwargs: Any) -> None:
    """Create the role groups and give them every permission their apps list (``post_migrate`` receiver).

    Only adds: a permission an administrator gave a group by hand stays. A permission whose model is not
    migrated yet is left for the signal of its own app, which follows.
    """
    for name, perms in role_permissions().items():
        group, _ = Group.objects.using(using).get_or_create(name=name)
        have = set(group.permissions.values_list("content_type__app_label", "codename"))
        missing = [tuple(p.split(".", 1)) for p in perms]
        missing = [p for p in missing if p not in have]
        if not missing:
            continue
        q = Q()
        for app_label, codename in missing:
            q |= Q(content_type__app_label=app_label, codename=codename)
        group.permissions.add(*Permission.objects.using(using).filter(q))


# --- who is this user --------------------------------------------------------------------------------------

def reviewer_of(user: Any) -> Any:
    """The user's reviewer binding (level and region), or None (cached on the user object)."""
    if not getattr(user, "is_authenticated", False):
        return None
    if not hasattr(user, "_reviewer_cache"):
        user._reviewer_cache = (_model("REVIEWER_MODEL").objects.select_related("region")
                                .filter(user=user).first())
    return user._reviewer_cache


def sees_everything(user: Any) -> bool:
    """Superusers, and registry staff who hold no reviewer binding.

    A reviewer is always bound to their region, whatever their level: a provincial reviewer's region is the whole
    province, so they see all of it, but a reviewer of another province never sees this one's enterprises.
    """
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_superuser:
        return True
    if reviewer_of(user) is not None:
        return False
    return user.is_staff


# --- the restriction -------------------------------------------------------------------------------------------

def regions_within(code: str) -> QuerySet:
    """The region with this code and every region below it."""
    return _model("REGION_MODEL").objects.within(code)


def region_q(code: str, prefix: str = "region") -> Q:
    """Rows whose region (through ``prefix``) is ``code`` or lies inside it.

    Written as ``region_id IN (regions within code)`` rather than ORs over a join, so the database uses the
    index on the region column instead of scanning every row (80 ms → a few ms over 100,000 enterprises).
    """
    return Q(**{f"{prefix}_id__in": regions_within(code).values("code")})


# The enterprise a member who acts for several has chosen (the portal keeps it in the session; API clients may
# name it in the ``X-Enterprise`` header). While one is chosen, member access reaches that enterprise only.
ACTING_ENTERPRISE_SESSION_KEY = "acting_enterprise"


def act_for(user: Any, enterprise_id: int | None) -> None:
    """Hold ``user`` to ``enterprise_id`` for this request (callers check the membership first)."""
    user._acting_enterprise_id = enterprise_id


def acting_enterprise(user: Any) -> int | None:
    return getattr(user, "_acting_enterprise_id", None)


def visible_enterprises(queryset: QuerySet, user: Any, prefix: str = "") -> QuerySet:
    """Restrict a queryset of enterprises (or of rows whose enterprise is reached through ``prefix``) to what
    ``user`` may see. Every list, export, job result and page that shows enterprise data goes through here."""
    if not getattr(user, "is_authenticated", False):
        return queryset.none()
    if sees_everything(user):
        return queryset
    path = f"{prefix}__" if prefix else ""
    own = _model("MEMBERSHIP_MODEL").objects.filter(user=user)
    if acting_enterprise(user) is not None:
        own = own.filter(enterprise_id=acting_enterprise(user))
    own = own.values("enterprise_id")
    condition = Q(**{f"{path}id__in": own})
    reviewer = reviewer_of(user)
    if reviewer is not None:
        condition |= region_q(reviewer.region_id, f"{path}region")
    return queryset.filter(condition)


class RestrictedQuerySet(QuerySet):
    """A queryset that restricts itself: ``enterprise_path`` leads from its rows to their enterprise (empty for
    enterprises themselves). Models whose rows reach a person use it (or a subclass) as their manager."""

    enterprise_path = ""

    def restrict(self, user: Any) -> QuerySet:
        """What ``user`` may see: members their own enterprise's rows; reviewers their region's; staff all."""
        return visible_enterprises(self, user, prefix=self.enterprise_path)


def visible_regions(queryset: QuerySet, user: Any, prefix: str = "") -> QuerySet:
    """Restrict rows that belong to a region rather than an enterprise (a city's quota, a region's target):
    a reviewer sees their own region and those inside it; members see none."""
    if not getattr(user, "is_authenticated", False):
        return queryset.none()
    if sees_everything(user):
        return queryset
    reviewer = reviewer_of(user)
    if reviewer is None:
        return queryset.none()
    return queryset.filter(region_q(reviewer.region_id, prefix or "region"))
