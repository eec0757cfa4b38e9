"""Editors and Publishers also manage key terms, questions, related lessons, evidence,
interpretations and the topics lessons are filed under."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

MODELS = ["keyterm", "discussionquestion", "relatedlesson", "evidence", "interpretation", "topic"]
CODENAMES = [f"{action}_{model}" for model in MODELS for action in ["view", "add", "change", "delete"]]


def grant(apps, schema_editor):
    app_config = apps.get_app_config("events")
    app_config.models_module = True
    create_permissions(app_config, apps=apps, verbosity=0)
    app_config.models_module = None

    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permissions = Permission.objects.filter(content_type__app_label="events", codename__in=CODENAMES)
    for group in Group.objects.filter(name__in=["Editors", "Publishers"]):
        group.permissions.add(*permissions)


def revoke(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    permissions = Permission.objects.filter(content_type__app_label="events", codename__in=CODENAMES)
    for group in Group.objects.filter(name__in=["Editors", "Publishers"]):
        group.permissions.remove(*permissions)


class Migration(migrations.Migration):
    dependencies = [("events", "0007_classroom_content")]

    operations = [migrations.RunPython(grant, revoke)]
