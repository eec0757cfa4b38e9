"""Backing the site up and restoring it: `manage.py backup` and `manage.py restore`."""

import datetime
import gzip
import io
import json
import sqlite3

import pytest
import reversion
from django.contrib.auth.models import Group, User
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from reversion.models import Revision, Version

from events.backup import checksum
from events.models import Lesson, LessonRendering
from events.search import find_lessons

from .conftest import ROOT, ensure_roles

pytestmark = pytest.mark.django_db

SHIPPED = sorted(str(path) for path in (ROOT / "content" / "lessons").glob("*.txt"))
EDITED_SLUG = "ussrs-withdrawal-from-china"
NEW_TITLE = "The Soviet experts leave China"
SEARCHES = ["khrushchev", "treaty", "border", "soviet experts"]


def build_site() -> None:
    """The shipped lessons, one of them edited twice, a superuser and an editor."""
    quietly("import_lesson", *SHIPPED, "--publish")
    lesson = Lesson.objects.get(slug=EDITED_SLUG)
    with reversion.create_revision():
        lesson.title = NEW_TITLE
        lesson.save()
        reversion.set_comment("Retitled.")
    with reversion.create_revision():
        section = lesson.sections.first()
        section.body = "Soviet experts packed their blueprints and left."
        section.save()
        reversion.add_to_revision(lesson)
        reversion.set_comment("Rewrote the first section.")
    ensure_roles()
    User.objects.create_superuser("ada", "ada@example.org", "ada-password-1")
    editor = User.objects.create_user("edna", password="edna-password-1", is_staff=True)
    editor.groups.add(Group.objects.get(name="Editors"))


def state() -> dict:
    """What a person would notice is lost: every lesson with its parts, the history, the people."""
    lessons = {
        lesson.slug: {
            "lesson": (lesson.title, lesson.summary, lesson.status, str(lesson.published_at), lesson.version),
            "sections": [
                (s.kind, s.heading, s.anchor, s.body, s.body_html, s.parent.anchor if s.parent else None)
                for s in lesson.sections.all()
            ],
            "readings": [(r.title, r.authors, r.isbn, r.doi, r.url) for r in lesson.readings.all()],
            "key_terms": [(t.term, t.definition) for t in lesson.key_terms.all()],
            "questions": [q.question for q in lesson.questions.all()],
            "interpretations": [(i.historian, i.argument) for i in lesson.interpretations.all()],
            "related": sorted(r.related.slug for r in lesson.relations.all()),
            "topics": sorted(t.slug for t in lesson.topics.all()),
            "evidence": [e.title for s in lesson.sections.all() for e in s.evidence.all()],
        }
        for lesson in Lesson.objects.all()
    }
    return {
        "lessons": lessons,
        "revisions": sorted((r.get_comment(), r.user_id) for r in Revision.objects.all()),
        "versions": Version.objects.count(),
        "users": sorted(
            (u.username, u.is_superuser, u.is_staff, sorted(g.name for g in u.groups.all()))
            for u in User.objects.all()
        ),
        "groups": sorted(
            (g.name, sorted(g.permissions.values_list("codename", flat=True))) for g in Group.objects.all()
        ),
        "searches": {words: [lesson.slug for lesson in find_lessons(words).page] for words in SEARCHES},
    }


@pytest.fixture(autouse=True)
def fresh_content_type_cache():
    """flush makes the content types again with new ids, and each test's are rolled back after it:
    no test may find another's in ContentType's cache."""
    ContentType.objects.clear_cache()
    yield
    ContentType.objects.clear_cache()


@pytest.fixture
def site(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):  # as the imports' and edits' commits would
        build_site()
    return state()


def quietly(*args) -> None:
    call_command(*args, stdout=io.StringIO())


def flush() -> None:
    """Empty the database, as `manage.py flush` does."""
    if connection.vendor == "postgresql":
        # In a test's transaction, PostgreSQL refuses to TRUNCATE a table with foreign key checks pending.
        with connection.cursor() as cursor:
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    call_command("flush", interactive=False)


def refused(path, *args) -> str:
    with pytest.raises(CommandError) as error:
        quietly("restore", str(path), *args)
    return str(error.value)


@pytest.mark.parametrize("name", ["site.json", "site.json.gz"])
def test_json_backup_restores_everything_into_a_flushed_database(site, tmp_path, name):
    path = tmp_path / name
    quietly("backup", str(path))
    flush()
    assert not Lesson.objects.exists() and not User.objects.exists() and not Group.objects.exists()
    assert find_lessons("khrushchev").page.object_list == []

    quietly("restore", str(path))

    assert state() == site
    assert len(site["lessons"]) == len(SHIPPED)
    assert all(site["searches"].values())  # each search found lessons before and after
    assert site["searches"]["soviet experts"][0] == EDITED_SLUG
    assert User.objects.get(username="ada").check_password("ada-password-1")
    editor = User.objects.get(username="edna")
    assert editor.check_password("edna-password-1")
    assert editor.has_perm("events.change_lesson") and not editor.has_perm("events.publish_lesson")


def test_a_revision_made_before_the_backup_still_reverts_after_the_restore(site, tmp_path):
    path = tmp_path / "site.json"
    quietly("backup", str(path))
    flush()
    quietly("restore", str(path))

    lesson = Lesson.objects.get(slug=EDITED_SLUG)
    assert lesson.title == NEW_TITLE
    versions = Version.objects.get_for_object(lesson)  # newest first
    assert versions.count() == 3
    versions.last().revision.revert(delete=True)
    lesson.refresh_from_db()
    assert lesson.title != NEW_TITLE
    assert "blueprints" not in lesson.sections.first().body
    assert [found.slug for found in find_lessons("blueprints").page] == []


def test_new_rows_after_a_restore_get_fresh_ids(site, tmp_path):
    # On PostgreSQL this needs the sequences reset after the restore.
    path = tmp_path / "site.json"
    quietly("backup", str(path))
    flush()
    quietly("restore", str(path))

    lesson = Lesson.objects.create(slug="new", title="New", event_date=datetime.date(1961, 1, 1), summary="Later.")
    lesson.sections.create(heading="More", body="Words.")
    User.objects.create_user("newcomer")
    with reversion.create_revision():
        lesson.save()
    assert Lesson.objects.count() == len(SHIPPED) + 1


def test_restore_refuses_a_database_that_holds_lessons_unless_replace(site, tmp_path):
    path = tmp_path / "site.json.gz"
    quietly("backup", str(path))
    Lesson.objects.get(slug=EDITED_SLUG).delete()
    Lesson.objects.create(slug="made-later", title="Made later", event_date="1961-01-01", summary="Later.")
    User.objects.get(username="edna").set_password("changed-password-2")
    before = state()

    message = refused(path)
    assert message.startswith(f"{path}: not restored: this database already holds lessons")
    assert "--replace" in message
    assert state() == before

    quietly("restore", str(path), "--replace")
    assert state() == site


def write_json(path, document) -> None:
    path.write_text(json.dumps(document))


@pytest.fixture
def backup_document(site, tmp_path) -> dict:
    path = tmp_path / "good.json"
    quietly("backup", str(path))
    return json.loads(path.read_text())


@pytest.mark.parametrize(
    "name, damage, problem",
    [
        ("cut.json.gz", lambda data: gzip.compress(data)[:-200], "damaged: not a complete gzip file"),
        ("notgzip.json.gz", lambda data: b"plain text, not gzip", "damaged: not a complete gzip file"),
        ("cut.json", lambda data: data[: len(data) // 2], "not valid JSON"),
        ("binary.json", lambda data: bytes(range(256)), "not valid JSON"),
        ("edited.json", lambda data: data.replace(NEW_TITLE.encode(), b"Something else"), "checksum"),
        ("empty.json", lambda data: b"", "not valid JSON"),
    ],
)
def test_restore_refuses_a_damaged_file_and_changes_nothing(backup_document, tmp_path, name, damage, problem):
    good = json.dumps(backup_document).encode()
    path = tmp_path / name
    path.write_bytes(damage(good))
    before = state()

    message = refused(path, "--replace")

    assert message.startswith(f"{path}: ") and problem in message
    assert "\n" not in message
    assert state() == before


def test_restore_refuses_a_foreign_file_and_changes_nothing(site, tmp_path):
    dumpdata = tmp_path / "dumpdata.json"
    call_command("dumpdata", "events", "--natural-foreign", output=str(dumpdata))
    other = tmp_path / "other-app.json"
    write_json(other, {"manifest": {"format": "another-app-backup", "version": 1}, "objects": []})
    text = tmp_path / "notes.txt"
    text.write_text("hello")
    before = state()

    for path in (dumpdata, other):
        assert (
            refused(path, "--replace")
            == f"{path}: not a backup of this site (no history-site-backup manifest); nothing restored."
        )
    assert refused(text, "--replace").startswith(f"{text}: not a backup")
    assert refused(tmp_path / "missing.json").endswith("missing.json: no such file.")
    assert state() == before


def test_restore_refuses_a_backup_from_newer_code_and_changes_nothing(backup_document, tmp_path):
    backup_document["manifest"]["migrations"]["events"].append("0099_from_the_future")
    path = tmp_path / "newer.json"
    write_json(path, backup_document)
    before = state()

    message = refused(path, "--replace")

    assert message.startswith(f"{path}: made by a newer version of the site")
    assert "events.0099_from_the_future" in message
    assert state() == before


def test_a_restore_that_fails_part_way_changes_nothing(backup_document, tmp_path):
    # A whole, well-formed backup that this database cannot take: a group with a permission it lacks.
    group = next(obj for obj in backup_document["objects"] if obj["model"] == "auth.group")
    group["fields"]["permissions"].append(["no_such_permission", "events", "lesson"])
    backup_document["manifest"]["checksum"] = checksum(backup_document["objects"])
    path = tmp_path / "unloadable.json"
    write_json(path, backup_document)
    before = state()

    message = refused(path, "--replace")

    assert message.startswith(f"{path}: cannot be restored into this database")
    assert state() == before


@pytest.mark.django_db(transaction=True)
def test_sqlite_backup_is_a_whole_database_that_restores_over_the_site(tmp_path):
    # Transactional: SQLite cannot copy a test's in-memory database while the test holds it open for writing.
    build_site()
    before = state()
    path = tmp_path / "site.sqlite3"
    if connection.vendor != "sqlite":
        with pytest.raises(CommandError, match="needs an SQLite database"):
            quietly("backup", str(path))
        assert not path.exists()
        path.write_bytes(b"SQLite format 3\x00")
        assert "restores only onto an SQLite site" in refused(path, "--replace")
        assert state() == before
        return

    quietly("backup", str(path))
    with sqlite3.connect(path) as copy:
        assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert copy.execute("SELECT COUNT(*) FROM events_lesson").fetchone() == (len(SHIPPED),)
    flush()

    quietly("restore", str(path))

    assert state() == before
    assert User.objects.get(username="ada").check_password("ada-password-1")


@pytest.mark.django_db(transaction=True)
def test_sqlite_restore_refuses_a_file_that_is_not_our_database_and_changes_nothing(tmp_path):
    build_site()
    text = tmp_path / "notes.sqlite3"
    text.write_text("not a database")
    foreign = tmp_path / "other.sqlite3"
    with sqlite3.connect(foreign) as other:
        other.execute("CREATE TABLE things (id integer)")
    before = state()
    if connection.vendor != "sqlite":
        for path in (text, foreign):
            assert "restores only onto an SQLite site" in refused(path, "--replace")
        assert state() == before
        return

    cut = tmp_path / "cut.sqlite3"
    quietly("backup", str(cut))
    cut.write_bytes(cut.read_bytes()[:8192])
    newer = tmp_path / "newer.sqlite3"
    quietly("backup", str(newer))
    with sqlite3.connect(newer) as database:
        database.execute(
            "INSERT INTO django_migrations (app, name, applied) "
            "VALUES ('events', '0099_from_the_future', '2030-01-01')"
        )

    assert refused(text, "--replace") == f"{text}: not an SQLite database."
    assert (
        refused(foreign, "--replace")
        == f"{foreign}: not a backup of this site (it has no lessons or migrations tables)."
    )
    assert refused(cut, "--replace").startswith(f"{cut}: damaged")
    assert refused(newer, "--replace").startswith(f"{newer}: made by a newer version of the site")
    assert state() == before


def test_backup_refuses_a_name_it_does_not_know(db, tmp_path):
    with pytest.raises(CommandError, match=r"must end in \.sqlite3, \.json or \.json\.gz"):
        quietly("backup", str(tmp_path / "site.zip"))
    assert list(tmp_path.iterdir()) == []


def test_a_restore_renders_the_restored_lessons_as_it_finishes(site, tmp_path, django_capture_on_commit_callbacks):
    path = tmp_path / "site.json"
    quietly("backup", str(path))
    flush()

    with django_capture_on_commit_callbacks(execute=True):
        quietly("restore", str(path))

    edited = LessonRendering.objects.get(lesson__slug=EDITED_SLUG)
    assert LessonRendering.objects.count() == len(SHIPPED)
    assert NEW_TITLE in edited.article
    assert "packed their blueprints" in edited.article
