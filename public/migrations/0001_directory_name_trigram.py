"""A trigram index for the directory's name search (``UPPER(name) LIKE '%…%'``, what ``icontains`` runs on
PostgreSQL). PostgreSQL only: on SQLite the operation does nothing and the search scans with ``LIKE``.

Built ``CONCURRENTLY`` so a registry with a million enterprises keeps answering while it is built; that needs a
migration outside a transaction (``atomic = False``)."""

from django.db import migrations

INDEX = "enterprise_name_upper_trgm"


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {INDEX} ON enterprises_enterprise "
        "USING gin ((UPPER((name)::text)) gin_trgm_ops)"
    )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("enterprises", "0005_enterprise_held_tiers")]

    operations = [migrations.RunPython(create, drop, elidable=False)]
