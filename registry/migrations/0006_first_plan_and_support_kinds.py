"""The first cultivation plan (Zhejiang's targets to 2025, criteria.md §7) and the starting list of support kinds.

The figures were the ``REGISTRY["TARGETS"]`` setting before targets became data.
"""

from django.db import migrations

SOURCE = "浙政办发〔2022〕19号 (二)培育目标 (criteria.md §7)"
# tier -> (target, what it counts). §7: the first two are 累计 (cumulative); the single champions are 新增 (new).
# The hidden champion and little giant figures are as reported in the press; §7 does not say what they count,
# so they are loaded as cumulative like the first two (provincial staff can change it in the admin).
TARGETS_2025 = {
    "innovative_sme": (50000, "cumulative"),
    "specialised_sme": (10000, "cumulative"),
    "hidden_champion": (500, "cumulative"),
    "little_giant": (1000, "cumulative"),
    "single_champion": (130, "new"),
}
SUPPORT_KINDS = [
    ("visit", "走访"), ("training", "培训"), ("financing", "融资对接"), ("policy", "政策宣讲"),
    ("diagnosis", "专家诊断"), ("other", "其他"),
]


def load(apps, schema_editor):
    Region = apps.get_model("enterprises", "Region")
    Plan = apps.get_model("registry", "Plan")
    Target = apps.get_model("registry", "Target")
    SupportKind = apps.get_model("registry", "SupportKind")
    for order, (code, name) in enumerate(SUPPORT_KINDS):
        SupportKind.objects.get_or_create(code=code, defaults={"name": name, "order": order})
    province = Region.objects.filter(code="330000").first()
    if province is None:  # a database without the Zhejiang regions has no province to give targets to
        return
    plan, _ = Plan.objects.get_or_create(
        name="浙江省“专精特新”培育 2022–2025", defaults={"first_year": 2022, "last_year": 2025, "source": SOURCE}
    )
    for tier, (value, semantics) in TARGETS_2025.items():
        Target.objects.get_or_create(plan=plan, region=province, tier=tier,
                                     defaults={"value": value, "semantics": semantics})


def unload(apps, schema_editor):
    apps.get_model("registry", "Plan").objects.filter(name="浙江省“专精特新”培育 2022–2025").delete()


class Migration(migrations.Migration):
    dependencies = [("registry", "0005_pool_entries"), ("enterprises", "0002_load_regions")]
    operations = [migrations.RunPython(load, unload)]
