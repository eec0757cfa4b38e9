"""The full-text search index: one row per lesson in events_search, kept by triggers.

Why triggers, and what the row holds: see the docstring of events/search.py. The SQL is
repeated here on purpose, so that this migration stays as it ran even when search.py changes.

On SQLite, Django alters some tables by rebuilding them, which drops their triggers: a later
migration that rebuilds events_lesson or events_section must run install_sqlite_triggers()
from this module again (tests/test_search.py checks that every trigger is there).
"""

from django.db import migrations

# A lesson's sections as one text: each heading, a dash, then its Markdown body.
SQLITE_SECTIONS = """coalesce((
    SELECT group_concat(part, char(10) || char(10)) FROM (
        SELECT heading || ' — ' || body AS part FROM events_section
        WHERE lesson_id = {lesson} ORDER BY "order", id
    )
), '')"""


def sqlite_set_sections(lesson: str) -> str:
    return f"UPDATE events_search SET sections = {SQLITE_SECTIONS.format(lesson=lesson)} WHERE rowid = {lesson};"


# Each trigger touches only events_search and its own table, so that rebuilding the
# other table (see above) never meets a trigger naming a table that is briefly missing.
SQLITE_TRIGGERS = {
    "events_search_lesson_insert": f"""
        AFTER INSERT ON events_lesson BEGIN
            DELETE FROM events_search WHERE rowid = new.id;
            INSERT INTO events_search (rowid, title, summary, sections)
            VALUES (new.id, new.title, new.summary, '');
        END""",
    "events_search_lesson_update": """
        AFTER UPDATE OF title, summary ON events_lesson BEGIN
            UPDATE events_search SET title = new.title, summary = new.summary WHERE rowid = new.id;
        END""",
    "events_search_lesson_delete": """
        AFTER DELETE ON events_lesson BEGIN
            DELETE FROM events_search WHERE rowid = old.id;
        END""",
    "events_search_section_insert": f"""
        AFTER INSERT ON events_section BEGIN
            {sqlite_set_sections("new.lesson_id")}
        END""",
    "events_search_section_update": f"""
        AFTER UPDATE OF heading, body, "order", lesson_id ON events_section BEGIN
            {sqlite_set_sections("old.lesson_id")}
            {sqlite_set_sections("new.lesson_id")}
        END""",
    "events_search_section_delete": f"""
        AFTER DELETE ON events_section BEGIN
            {sqlite_set_sections("old.lesson_id")}
        END""",
}


def install_sqlite_triggers(schema_editor) -> None:
    for name, body in SQLITE_TRIGGERS.items():
        schema_editor.execute(f"DROP TRIGGER IF EXISTS {name}")
        schema_editor.execute(f"CREATE TRIGGER {name} {body}")


SQLITE_FORWARD = [
    # Porter stemming, so that "treaties" finds "treaty"; accents folded, so that "Sevres" finds "Sèvres".
    """CREATE VIRTUAL TABLE events_search USING fts5(
        title, summary, sections, tokenize = 'porter unicode61 remove_diacritics 2'
    )""",
    f"""INSERT INTO events_search (rowid, title, summary, sections)
        SELECT id, title, summary, {SQLITE_SECTIONS.format(lesson="events_lesson.id")} FROM events_lesson""",
]

SQLITE_BACKWARD = [*(f"DROP TRIGGER IF EXISTS {name}" for name in SQLITE_TRIGGERS), "DROP TABLE events_search"]

POSTGRES_FORWARD = [
    """CREATE TABLE events_search (
        lesson_id bigint PRIMARY KEY,
        title text NOT NULL,
        summary text NOT NULL,
        sections text NOT NULL,
        document tsvector GENERATED ALWAYS AS (
            setweight(to_tsvector('english', title), 'A')
            || setweight(to_tsvector('english', summary), 'B')
            || setweight(to_tsvector('english', sections), 'C')
        ) STORED
    )""",
    "CREATE INDEX events_search_document ON events_search USING gin (document)",
    # One lesson's row made again from the tables, or removed if the lesson is gone.
    """CREATE FUNCTION events_search_refresh(lesson bigint) RETURNS void LANGUAGE sql AS $$
        DELETE FROM events_search WHERE lesson_id = lesson;
        INSERT INTO events_search (lesson_id, title, summary, sections)
        SELECT id, title, summary, coalesce((
            SELECT string_agg(heading || ' — ' || body, E'\\n\\n' ORDER BY "order", id)
            FROM events_section WHERE lesson_id = lesson
        ), '')
        FROM events_lesson WHERE id = lesson;
    $$""",
    """CREATE FUNCTION events_search_lesson_changed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP = 'DELETE' THEN
            PERFORM events_search_refresh(OLD.id);
        ELSE
            PERFORM events_search_refresh(NEW.id);
        END IF;
        RETURN NULL;
    END $$""",
    """CREATE FUNCTION events_search_section_changed() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF TG_OP <> 'INSERT' THEN
            PERFORM events_search_refresh(OLD.lesson_id);
        END IF;
        IF TG_OP = 'INSERT' OR (TG_OP = 'UPDATE' AND NEW.lesson_id <> OLD.lesson_id) THEN
            PERFORM events_search_refresh(NEW.lesson_id);
        END IF;
        RETURN NULL;
    END $$""",
    # TRUNCATE fires no row triggers (the test runner empties tables with it).
    """CREATE FUNCTION events_search_rebuild() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        DELETE FROM events_search;
        PERFORM events_search_refresh(id) FROM events_lesson;
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER events_search_lesson
        AFTER INSERT OR DELETE OR UPDATE OF title, summary ON events_lesson
        FOR EACH ROW EXECUTE FUNCTION events_search_lesson_changed()""",
    """CREATE TRIGGER events_search_section
        AFTER INSERT OR DELETE OR UPDATE OF heading, body, "order", lesson_id ON events_section
        FOR EACH ROW EXECUTE FUNCTION events_search_section_changed()""",
    """CREATE TRIGGER events_search_lesson_truncate
        AFTER TRUNCATE ON events_lesson FOR EACH STATEMENT EXECUTE FUNCTION events_search_rebuild()""",
    """CREATE TRIGGER events_search_section_truncate
        AFTER TRUNCATE ON events_section FOR EACH STATEMENT EXECUTE FUNCTION events_search_rebuild()""",
    "SELECT events_search_refresh(id) FROM events_lesson",
]

POSTGRES_BACKWARD = [
    "DROP TRIGGER events_search_section_truncate ON events_section",
    "DROP TRIGGER events_search_lesson_truncate ON events_lesson",
    "DROP TRIGGER events_search_section ON events_section",
    "DROP TRIGGER events_search_lesson ON events_lesson",
    "DROP FUNCTION events_search_rebuild()",
    "DROP FUNCTION events_search_section_changed()",
    "DROP FUNCTION events_search_lesson_changed()",
    "DROP FUNCTION events_search_refresh(bigint)",
    "DROP TABLE events_search",
]


def forward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    if vendor == "sqlite":
        for statement in SQLITE_FORWARD:
            schema_editor.execute(statement)
        install_sqlite_triggers(schema_editor)
    elif vendor == "postgresql":
        for statement in POSTGRES_FORWARD:
            schema_editor.execute(statement)
    else:
        raise NotImplementedError(f"Lesson search supports SQLite and PostgreSQL, not {vendor}.")


def backward(apps, schema_editor):
    vendor = schema_editor.connection.vendor
    for statement in SQLITE_BACKWARD if vendor == "sqlite" else POSTGRES_BACKWARD:
        schema_editor.execute(statement)


class Migration(migrations.Migration):
    dependencies = [("events", "0008_roles_classroom_content")]

    operations = [migrations.RunPython(forward, backward)]
