"""Drop the pattern-matching index PostgreSQL gets beside a varchar primary key.

Django adds a ``varchar_pattern_ops`` index to every indexed ``CharField`` on PostgreSQL, for ``LIKE 'abc%'``.
Snapshots are only ever looked up by their whole digest (the primary key's own index), and with random digests
each index costs a random page per new snapshot: at a million enterprises the two stop fitting in memory
together and every first scoring pays for the second one. The model state is unchanged.
"""

from django.db import migrations


def drop_pattern_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'evaluation_profilesnapshot'"
            " AND indexdef LIKE '%%varchar_pattern_ops%%'"
        )
        for (name,) in cursor.fetchall():
            cursor.execute(f'DROP INDEX IF EXISTS "{name}"')


class Migration(migrations.Migration):
    dependencies = [("evaluation", "0006_figures_version")]

    operations = [migrations.RunPython(drop_pattern_index, migrations.RunPython.noop)]
