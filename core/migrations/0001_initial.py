"""The audit trail moves from the enterprises app to core. Its table keeps its name, so this only tells Django's
state where the model lives now; ``enterprises.0004`` removes it from the enterprises app's state."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("enterprises", "0003_enterprise_name_id_index"),
        ("contenttypes", "0002_remove_content_type_name"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="AuditEntry",
                    fields=[
                        ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False,
                                                   verbose_name="ID")),
                        ("created_at", models.DateTimeField(auto_now_add=True, db_index=True, verbose_name="time")),
                        ("actor_label", models.CharField(max_length=150, verbose_name="actor")),
                        ("source", models.CharField(max_length=16, verbose_name="source")),
                        ("action", models.CharField(max_length=32, verbose_name="action")),
                        ("object_id", models.CharField(db_index=True, max_length=64, verbose_name="object id")),
                        ("object_repr", models.CharField(max_length=200, verbose_name="object")),
                        ("enterprise_id", models.BigIntegerField(blank=True, db_index=True, null=True,
                                                                 verbose_name="enterprise id")),
                        ("changes", models.JSONField(blank=True, default=dict, verbose_name="changes")),
                        ("before", models.JSONField(blank=True, null=True, verbose_name="before")),
                        ("after", models.JSONField(blank=True, null=True, verbose_name="after")),
                        ("reason", models.TextField(blank=True, verbose_name="reason")),
                        ("context", models.JSONField(blank=True, default=dict, verbose_name="context")),
                        ("actor", models.ForeignKey(blank=True, null=True,
                                                    on_delete=django.db.models.deletion.SET_NULL, related_name="+",
                                                    to=settings.AUTH_USER_MODEL, verbose_name="user")),
                        ("content_type", models.ForeignKey(on_delete=django.db.models.deletion.PROTECT,
                                                           related_name="+", to="contenttypes.contenttype")),
                    ],
                    options={
                        "verbose_name": "audit entry",
                        "verbose_name_plural": "audit trail",
                        "db_table": "enterprises_auditentry",
                        "ordering": ["-created_at", "-id"],
                        "indexes": [models.Index(fields=["content_type", "object_id"],
                                                 name="enterprises_content_f28871_idx")],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
