"""The audit trail now lives in ``core`` (same table). Its content type follows, so the permissions that role
groups and administrators hold on it stay attached."""

from django.db import migrations


def move_content_type(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    if not ContentType.objects.filter(app_label="core", model="auditentry").exists():
        ContentType.objects.filter(app_label="enterprises", model="auditentry").update(app_label="core")


def move_content_type_back(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    if not ContentType.objects.filter(app_label="enterprises", model="auditentry").exists():
        ContentType.objects.filter(app_label="core", model="auditentry").update(app_label="enterprises")


class Migration(migrations.Migration):
    dependencies = [
        ("enterprises", "0003_enterprise_name_id_index"),
        ("core", "0001_initial"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="AuditEntry")],
            database_operations=[],
        ),
        migrations.RunPython(move_content_type, move_content_type_back),
    ]
