"""On PostgreSQL, the search table's title, and title with key event, as tsvectors of their own with
GIN indexes: when a word is in many lessons, those with it in the title or key event are offered
first (see events/search.py), and finding them in the whole document's vector means reading that
vector, stored out of line, for every lesson that has the word anywhere.

SQLite needs nothing: FTS5 finds a word in given columns from its own index.
"""

from django.db import migrations

POSTGRES_FORWARD = [
    """ALTER TABLE events_search
        ADD COLUMN title_document tsvector GENERATED ALWAYS AS (to_tsvector('english', title)) STORED,
        ADD COLUMN heading_document tsvector GENERATED ALWAYS AS (
            to_tsvector('english', title) || to_tsvector('english', summary)
        ) STORED""",
    "CREATE INDEX events_search_title_document ON events_search USING gin (title_document)",
    "CREATE INDEX events_search_heading_document ON events_search USING gin (heading_document)",
]

POSTGRES_BACKWARD = [
    "DROP INDEX events_search_heading_document",
    "DROP INDEX events_search_title_document",
    "ALTER TABLE events_search DROP COLUMN heading_document, DROP COLUMN title_document",
]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in POSTGRES_FORWARD:
            schema_editor.execute(statement)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in POSTGRES_BACKWARD:
            schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("events", "0011_lesson_rendering")]

    operations = [migrations.RunPython(forward, backward)]
