"""On SQLite, the lessons' titles in a full-text table of their own, events_search_title, kept by
triggers: when a word is in many lessons, those with it in the title are offered first (see
events/search.py), and FTS5 finds a word in one column of events_search by reading every match of
the word in any column (0.5 ms for a word in all 10,000 lessons' key events and in no title).

PostgreSQL has the title's own vector since migration 0012. As with migration 0009's triggers, a
later migration that rebuilds events_lesson on SQLite must run install_sqlite_triggers() from this
module again (tests/test_search.py checks that every trigger is there).
"""

from django.db import migrations

SQLITE_TRIGGERS = {
    "events_search_title_insert": """
        AFTER INSERT ON events_lesson BEGIN
            DELETE FROM events_search_title WHERE rowid = new.id;
            INSERT INTO events_search_title (rowid, title) VALUES (new.id, new.title);
        END""",
    "events_search_title_update": """
        AFTER UPDATE OF title ON events_lesson BEGIN
            UPDATE events_search_title SET title = new.title WHERE rowid = new.id;
        END""",
    "events_search_title_delete": """
        AFTER DELETE ON events_lesson BEGIN
            DELETE FROM events_search_title WHERE rowid = old.id;
        END""",
}


def install_sqlite_triggers(schema_editor) -> None:
    for name, body in SQLITE_TRIGGERS.items():
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}")
        schema_editor.execute(f"CREATE TRIGGER {name} {body}")


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        # Tokenized as events_search is, so that both find the same words.
        schema_editor.execute(
            "CREATE VIRTUAL TABLE events_search_title USING fts5(title, tokenize = 'porter unicode61 remove_diacritics 2')"
        )
        schema_editor.execute("INSERT INTO events_search_title (rowid, title) SELECT id, title FROM events_lesson")
        install_sqlite_triggers(schema_editor)


def backward(apps, schema_editor):
    if schema_editor.connection.vendor == "sqlite":
        for name in SQLITE_TRIGGERS:
            schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}")
        schema_editor.execute("DROP TABLE events_search_title")


class Migration(migrations.Migration):
    dependencies = [("events", "0013_lesson_rendering_list_columns_first")]

    operations = [migrations.RunPython(forward, backward)]
