"""Existing API tokens (Django REST framework's, stored in clear) become expiring knox tokens, stored as hashes,
so clients keep working after the upgrade until their token's lifetime ends. The old table is left in place."""

from django.db import migrations
from django.utils import timezone


def copy_tokens(apps, schema_editor):
    from knox.crypto import hash_token
    from knox.settings import CONSTANTS, knox_settings

    connection = schema_editor.connection
    if "authtoken_token" not in connection.introspection.table_names():
        return
    AuthToken = apps.get_model("knox", "AuthToken")
    with connection.cursor() as cursor:
        cursor.execute("SELECT key, user_id FROM authtoken_token")
        rows = cursor.fetchall()
    expiry = timezone.now() + knox_settings.TOKEN_TTL if knox_settings.TOKEN_TTL else None
    AuthToken.objects.bulk_create(
        [AuthToken(digest=hash_token(key), token_key=key[:CONSTANTS.TOKEN_KEY_LENGTH], user_id=user_id,
                   expiry=expiry) for key, user_id in rows],
        ignore_conflicts=True,
    )


class Migration(migrations.Migration):
    dependencies = [
        ("enterprises", "0005_enterprise_held_tiers"),
        ("knox", "0009_extend_authtoken_field"),
    ]

    operations = [migrations.RunPython(copy_tokens, migrations.RunPython.noop)]
