"""Fill ``Enterprise.held_tiers`` (added by enterprises.0005) from the certifications valid today, as
``registry.certifications.refresh_current_tier`` keeps it from now on."""

import datetime

from django.db import migrations
from django.db.models import Exists, OuterRef, Q

LADDER = ["innovative_sme", "specialised_sme", "hidden_champion", "little_giant", "single_champion"]
OPEN_REVIEW = ["county_review", "city_review", "provincial_review", "publicity", "recommended",
               "returned"]


def fill(apps, schema_editor):
    Certification = apps.get_model("registry", "Certification")
    Application = apps.get_model("registry", "Application")
    Enterprise = apps.get_model("enterprises", "Enterprise")
    today = datetime.date.today()
    rereview = Application.objects.filter(certification=OuterRef("pk"), kind="rereview", status__in=OPEN_REVIEW)
    held: dict[int, set[str]] = {}
    for enterprise_id, tier in (
        Certification.objects.filter(status="active", granted_on__lte=today)
        .filter(Q(expires_on__gte=today) | Q(Exists(rereview))).values_list("enterprise_id", "tier")
    ):
        held.setdefault(enterprise_id, set()).add(tier)
    by_text: dict[str, list[int]] = {}
    for enterprise_id, tiers in held.items():
        by_text.setdefault(",".join(t for t in LADDER if t in tiers), []).append(enterprise_id)
    for text, ids in by_text.items():
        for start in range(0, len(ids), 5000):
            Enterprise.objects.filter(pk__in=ids[start:start + 5000]).update(held_tiers=text)


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0002_groups"),
        ("enterprises", "0005_enterprise_held_tiers"),
    ]
    operations = [migrations.RunPython(fill, migrations.RunPython.noop)]
