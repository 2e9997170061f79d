"""Create the role groups (enterprise members, county/city/provincial reviewers, registry staff) with their
permissions, from enterprises/roles.py, so no one has to set them up by hand."""

from django.db import migrations

from enterprises.roles import GROUP_PERMISSIONS


def create_groups(apps, schema_editor):
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, perms in GROUP_PERMISSIONS.items():
        group, _ = Group.objects.get_or_create(name=name)
        wanted = []
        for perm in perms:
            app_label, codename = perm.split(".")
            wanted.append(Permission.objects.get(content_type__app_label=app_label, codename=codename))
        group.permissions.set(wanted)


class Migration(migrations.Migration):
    dependencies = [
        ("registry", "0001_initial"),
        ("enterprises", "0002_load_regions"),
        ("evaluation", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]
    operations = [migrations.RunPython(create_groups, migrations.RunPython.noop)]
