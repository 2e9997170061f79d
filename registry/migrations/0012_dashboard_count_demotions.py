from django.db import migrations, models
from django.db.models import Count

NO_DATE = "0001-01-01"


def count_open_proposals(apps, schema_editor):
    """The open demotion proposals already stored, counted by region and tier."""
    counts = apps.get_model("registry", "DashboardCount")
    proposals = apps.get_model("registry", "DemotionProposal")
    counts.objects.filter(kind="demotion").delete()
    counts.objects.bulk_create([
        counts(region_id=region, tier=tier, kind="demotion", since=NO_DATE, until=NO_DATE, status="", n=n)
        for region, tier, n in proposals.objects.filter(status="open").order_by()
        .values_list("enterprise__region_id", "tier").annotate(n=Count("id"))
    ], batch_size=5000)


def forget_open_proposals(apps, schema_editor):
    apps.get_model("registry", "DashboardCount").objects.filter(kind="demotion").delete()


class Migration(migrations.Migration):

    dependencies = [
        ("registry", "0011_open_demotion_newest"),
    ]

    operations = [
        migrations.AlterField(
            model_name="dashboardcount",
            name="kind",
            field=models.CharField(choices=[
                ("active", "Active certifications by grant and expiry month"),
                ("granted", "Certifications by grant month"),
                ("first", "First certifications of a tier by grant month"),
                ("span", "Periods a tier was held, by start and end month"),
                ("gap", "Gaps between periods a tier was held, by end and restart month"),
                ("application", "Applications by status"),
                ("demotion", "Open demotion proposals"),
            ], max_length=12, verbose_name="kind"),
        ),
        migrations.RunPython(count_open_proposals, forget_open_proposals),
    ]
