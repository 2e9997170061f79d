"""Create the role groups (enterprise members, county/city/provincial reviewers, registry staff) with the
permissions they had when this migration was written. (Since then ``core.roles.sync_role_groups`` adds what
each app's ``role_permissions`` lists after every ``migrate``.)"""

from django.db import migrations

_REVIEWER_VIEW = [
    "enterprises.view_enterprise", "enterprises.view_financialyear", "enterprises.view_declaration",
    "enterprises.view_region", "enterprises.view_auditentry", "evaluation.view_assessment",
    "evaluation.view_rulesetversion", "registry.view_application", "registry.change_application",
    "registry.view_applicationevent", "registry.view_evidence", "registry.view_certification",
    "registry.view_demotionproposal", "registry.view_cityquota",
]
GROUP_PERMISSIONS = {
    "enterprise_members": [],
    "county_reviewers": _REVIEWER_VIEW,
    "city_reviewers": _REVIEWER_VIEW,
    "provincial_reviewers": [
        *_REVIEWER_VIEW, "registry.change_certification", "registry.change_demotionproposal",
        "registry.add_cityquota", "registry.change_cityquota", "registry.delete_cityquota",
        "enterprises.change_declaration",
    ],
    "registry_staff": [
        *_REVIEWER_VIEW, "enterprises.add_enterprise", "enterprises.change_enterprise",
        "enterprises.add_financialyear", "enterprises.change_financialyear", "enterprises.add_declaration",
        "enterprises.change_declaration", "enterprises.add_reviewerprofile", "enterprises.change_reviewerprofile",
        "enterprises.view_reviewerprofile", "enterprises.delete_reviewerprofile", "enterprises.view_membership",
        "auth.add_user", "auth.change_user", "auth.view_user", "registry.change_certification",
        "registry.add_cityquota", "registry.change_cityquota", "registry.change_demotionproposal",
        "evaluation.add_rulesetversion", "evaluation.change_rulesetversion",
    ],
}


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
            found = Permission.objects.filter(content_type__app_label=app_label, codename=codename).first()
            if found is not None:  # a model moved to another app since; core.roles gives its new permission
                wanted.append(found)
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
