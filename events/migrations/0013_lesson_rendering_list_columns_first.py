"""The stored renderings' table made again with the columns the index and the timeline read (the
card and the timeline entry) before the article and the panels: SQLite reads a row's columns in
order, so reading a card came after walking the overflow pages of a lesson's whole page (a few
microseconds a row, more once the table outgrows the memory SQLite keeps).

Renderings are derived data and not in backups: the table starts empty, each lesson is rendered
again on its first visit, and `manage.py render_lessons` renders them all at once."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("events", "0012_search_title_and_key_event"),
    ]

    operations = [
        migrations.DeleteModel(name="LessonRendering"),
        migrations.CreateModel(
            name="LessonRendering",
            fields=[
                (
                    "lesson",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="rendering",
                        serialize=False,
                        to="events.lesson",
                    ),
                ),
                ("renderer", models.CharField(max_length=64)),
                ("card", models.TextField(blank=True)),
                ("timeline_entry", models.TextField(blank=True)),
                ("expires_at", models.DateTimeField(blank=True, null=True)),
                ("article", models.TextField()),
                ("references", models.TextField(blank=True)),
                ("panels", models.JSONField(default=dict)),
            ],
        ),
    ]
