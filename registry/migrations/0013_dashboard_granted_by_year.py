from collections import Counter

from django.db import migrations, models


def sum_into_years(apps, schema_editor):
    """The stored monthly ``granted`` rows, added up under their grant year's first day."""
    counts = apps.get_model("registry", "DashboardCount")
    rows = counts.objects.filter(kind="granted")
    summed = Counter()
    for region, tier, since, status, n in rows.values_list("region_id", "tier", "since", "status", "n"):
        summed[(region, tier, since.replace(month=1, day=1), status)] += n
    rows.delete()
    counts.objects.bulk_create([
        counts(region_id=region, tier=tier, kind="granted", since=since, status=status, n=n)
        for (region, tier, since, status), n in summed.items()
    ], batch_size=5000)


def count_by_month(apps, schema_editor):
    """Back to rows by grant month: a year's rows cannot be split, so they are counted from the certifications."""
    counts = apps.get_model("registry", "DashboardCount")
    certifications = apps.get_model("registry", "Certification")
    summed = Counter()
    for region, tier, granted in (certifications.objects.order_by()
                                  .values_list("enterprise__region_id", "tier", "granted_on").iterator(20000)):
        summed[(region, tier, granted.replace(day=1))] += 1
    counts.objects.filter(kind="granted").delete()
    counts.objects.bulk_create([counts(region_id=region, tier=tier, kind="granted", since=since, n=n)
                                for (region, tier, since), n in summed.items()], batch_size=5000)


class Migration(migrations.Migration):

    dependencies = [
        ("registry", "0012_dashboard_count_demotions"),
    ]

    operations = [
        migrations.AlterField(
            model_name="dashboardcount",
            name="kind",
            field=models.CharField(choices=[
                ("active", "Active certifications by grant and expiry month"),
                ("granted", "Certifications by grant year"),
                ("first", "First certifications of a tier by grant month"),
                ("span", "Periods a tier was held, by start and end month"),
                ("gap", "Gaps between periods a tier was held, by end and restart month"),
                ("application", "Applications by status"),
                ("demotion", "Open demotion proposals"),
            ], max_length=12, verbose_name="kind"),
        ),
        migrations.RunPython(sum_into_years, count_by_month),
    ]
