"""The two editorial roles every installation has: Editors and Publishers."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

EDITORS = [
    "view_lesson", "add_lesson", "change_lesson",
    "view_section", "add_section", "change_section", "delete_section",
    "view_reading", "add_reading", "change_reading", "delete_reading",
]  # fmt: skip
PUBLISHERS = [*EDITORS, "publish_lesson", "delete_lesson"]


def create_roles(apps, schema_editor):
    # Permissions are normally created after all migrations have run; make sure
    # the ones the roles need exist already.
    app_config = apps.get_app_config("events")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, codenames in [("Editors", EDITORS), ("Publishers", PUBLISHERS)]:
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.set(Permission.objects.filter(content_type__app_label="events", codename__in=codenames))


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=["Editors", "Publishers"]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("events", "0002_reading_identifiers_lesson_version"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
