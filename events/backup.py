"""Backing the site up and restoring it: the `backup` and `restore` management commands.

Two forms, chosen by the file's name:

- `.sqlite3`: a copy of an SQLite database made with SQLite's online backup API, which is safe
  while the site runs. It restores only onto an SQLite site, with the same API.
- `.json` or `.json.gz`: a portable dump for any database. One JSON object: a manifest (format,
  format version, Django version, the migrations applied, when it was made, rows per model and
  a SHA-256 checksum of the objects) and the objects, in the shape `dumpdata` writes. Content
  types and permissions are named by natural key, because a fresh database numbers them
  differently; every other row keeps its primary key, because django-reversion's stored
  versions and the admin log refer to rows by it. Sessions, content types and permissions are
  not included: migrations make the last two again.

A restore checks everything it can before it changes anything, and then writes in one
transaction: a damaged, foreign or too-new file is refused with a BackupError and the database
is left as it was.
"""

import datetime
import gzip
import hashlib
import json
import os
import sqlite3
import tempfile
import zlib
from pathlib import Path

import django
from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core import serializers
from django.core.exceptions import ObjectDoesNotExist
from django.core.management.color import no_style
from django.core.serializers.base import DeserializationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DatabaseError, connection, transaction
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

from .cache import bump_content_version
from .models import Lesson, LessonRendering, Topic

FORMAT = "history-site-backup"
FORMAT_VERSION = 1
JSON_SUFFIXES = (".json", ".json.gz")
SQLITE_SUFFIX = ".sqlite3"
# Made afresh, not kept: content types and permissions by migrations, lessons' renderings when their
# restored rows are saved (events/rendering.py).
EXCLUDED = {"contenttypes.contenttype", "auth.permission", "sessions.session", "events.lessonrendering"}
SQLITE_MAGIC = b"SQLite format 3\x00"
GZIP_MAGIC = b"\x1f\x8b"


class BackupError(Exception):
    """A backup that cannot be made, or a file that cannot be restored; the message says why."""


def backed_up_models() -> list[type]:
    """The models whose rows a JSON backup holds, in an order that loads: rows named by natural
    key (users, groups) come before the rows that name them."""
    chosen = [
        model
        for model in apps.get_models()
        if model._meta.label_lower not in EXCLUDED and model._meta.managed and not model._meta.proxy
    ]
    by_app: dict = {}
    for model in chosen:
        by_app.setdefault(model._meta.app_config, []).append(model)
    return serializers.sort_dependencies(by_app.items(), allow_cycles=True)


def applied_migrations() -> dict[str, list[str]]:
    """The migrations applied to the database, by app."""
    applied: dict[str, list[str]] = {}
    for app, name in sorted(MigrationRecorder(connection).applied_migrations()):
        applied.setdefault(app, []).append(name)
    return applied


def backup(*, path: Path) -> dict:
    """Write a backup of the whole site to `path`; the form follows its name. Returns the rows
    backed up per model (empty for the SQLite form)."""
    name = path.name
    if name.endswith(SQLITE_SUFFIX):
        if connection.vendor != "sqlite":
            raise BackupError(
                f"{path}: a .sqlite3 backup needs an SQLite database, and this site uses {connection.vendor}; "
                "name the file .json or .json.gz instead."
            )
        if connection.in_atomic_block:
            # SQLite would wait for ever for the transaction's own locks.
            raise BackupError(f"{path}: an SQLite backup cannot be made inside a transaction.")
        _write_atomically(path, _backup_sqlite)
        return {}
    if not name.endswith(JSON_SUFFIXES):
        raise BackupError(f"{path}: the backup file's name must end in .sqlite3, .json or .json.gz.")
    counts: dict = {}
    _write_atomically(path, lambda temporary: counts.update(_backup_json(temporary, gzipped=name.endswith(".gz"))))
    return counts


def _write_atomically(path: Path, write) -> None:
    """Write into a new file beside `path`, then rename it: a failed backup never leaves a
    half-written file under the backup's name."""
    if not path.parent.is_dir():
        raise BackupError(f"{path}: the folder {path.parent} does not exist.")
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".partial")
    os.close(handle)
    try:
        write(Path(temporary))
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)


def _backup_sqlite(target: Path) -> None:
    connection.ensure_connection()
    destination = sqlite3.connect(target)
    try:
        connection.connection.backup(destination)
    finally:
        destination.close()


class _Encoder(DjangoJSONEncoder):
    """DjangoJSONEncoder, but keeping times to the microsecond (it cuts them to milliseconds)."""

    def default(self, o):
        if isinstance(o, datetime.datetime | datetime.time):
            return o.isoformat()
        return super().default(o)


def _canonical(objects: list) -> bytes:
    return json.dumps(objects, cls=_Encoder, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def checksum(objects: list) -> str:
    """The manifest's checksum of a backup's objects."""
    return "sha256:" + hashlib.sha256(_canonical(objects)).hexdigest()


def _backup_json(target: Path, *, gzipped: bool) -> dict:
    # One consistent snapshot: on PostgreSQL a REPEATABLE READ transaction; on SQLite a read
    # transaction sees one state of the database from its first read.
    outermost = connection.get_autocommit()
    with transaction.atomic():
        if outermost and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        migrations = applied_migrations()
        objects, counts = [], {}
        for model in backed_up_models():
            rows = serializers.serialize(
                "python",
                model._base_manager.order_by(model._meta.pk.name).iterator(),
                use_natural_foreign_keys=True,
            )
            counts[model._meta.label_lower] = len(rows)
            objects.extend(rows)
    payload = _canonical(objects)
    manifest = {
        "format": FORMAT,
        "version": FORMAT_VERSION,
        "django": django.get_version(),
        "database": connection.vendor,
        "created": timezone.now().isoformat(),
        "migrations": migrations,
        "counts": counts,
        "checksum": "sha256:" + hashlib.sha256(payload).hexdigest(),  # = checksum(objects), once encoded
    }
    # The objects are written exactly as checksummed.
    document = b'{"manifest":' + json.dumps(manifest, sort_keys=True).encode() + b',"objects":' + payload + b"}\n"
    with gzip.open(target, "wb") if gzipped else open(target, "wb") as file:
        file.write(document)
    return counts


# Restoring


def restore(*, path: Path, replace: bool = False) -> dict:
    """Restore the site from the backup at `path`, after checking the file. Refuses a database
    that holds lessons or users unless `replace`. Returns the rows restored per model (empty
    for the SQLite form)."""
    if not path.is_file():
        raise BackupError(f"{path}: no such file.")
    if path.name.endswith(SQLITE_SUFFIX):
        _restore_sqlite(path, replace=replace)
        bump_content_version()  # the copy sent no signals: cached pages show what was there before
        return {}
    manifest, objects = read_json_backup(path)
    # Content types are named by natural key: look them up afresh, not from a cache made before a flush.
    ContentType.objects.clear_cache()
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # Rows refer to rows restored after them (a lesson to its topics): check at the end.
            with connection.cursor() as cursor:
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        _refuse_unless_empty(path, replace=replace)
        tables = _clear([*backed_up_models(), LessonRendering])
        try:
            restored = _load(objects)
            connection.check_constraints(table_names=tables)
        except (DeserializationError, DatabaseError, LookupError, ValueError, ObjectDoesNotExist) as error:
            raise BackupError(f"{path}: cannot be restored into this database: {_first_line(error)}") from error
        if restored != {label: count for label, count in manifest["counts"].items() if count}:
            raise BackupError(f"{path}: the rows restored do not match the rows the manifest counts.")
        _reset_sequences(backed_up_models())
        _check_search_index(path)
    return restored


def read_json_backup(path: Path) -> tuple[dict, list]:
    """The manifest and objects of a JSON backup, once it is known to be whole, ours, and not
    from a database whose migrations are ahead of this code."""
    raw = path.read_bytes()
    if path.name.endswith(".gz") or raw.startswith(GZIP_MAGIC):
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError, zlib.error) as error:
            raise BackupError(f"{path}: damaged: not a complete gzip file ({_first_line(error)}).") from error
    elif not path.name.endswith(".json"):
        raise BackupError(f"{path}: not a backup: the name must end in .sqlite3, .json or .json.gz.")
    try:
        document = json.loads(raw)
    except (UnicodeDecodeError, ValueError) as error:
        raise BackupError(f"{path}: damaged or not a backup: not valid JSON ({_first_line(error)}).") from error
    manifest = document.get("manifest") if isinstance(document, dict) else None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{path}: not a backup of this site (no {FORMAT} manifest); nothing restored.")
    if not isinstance(manifest.get("version"), int) or manifest["version"] > FORMAT_VERSION:
        raise BackupError(
            f"{path}: made by a newer version of the backup format ({manifest.get('version')!r}); "
            "update the site's code first."
        )
    objects = document.get("objects")
    if not isinstance(objects, list) or not isinstance(manifest.get("counts"), dict):
        raise BackupError(f"{path}: damaged: the manifest or the objects are missing.")
    if checksum(objects) != manifest.get("checksum"):
        raise BackupError(f"{path}: damaged: the objects do not match the manifest's checksum.")
    _refuse_migrations_ahead(path, manifest.get("migrations"))
    return manifest, objects


def _refuse_migrations_ahead(path: Path, migrations, *, into_this_schema: bool = True) -> None:
    if not isinstance(migrations, dict):
        raise BackupError(f"{path}: damaged: the manifest does not list the migrations applied.")
    known = set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)
    backed_up = {(app, name) for app, names in migrations.items() for name in names}
    if unknown := sorted(backed_up - known):
        names = ", ".join(f"{app}.{name}" for app, name in unknown[:3]) + (" …" if len(unknown) > 3 else "")
        raise BackupError(
            f"{path}: made by a newer version of the site (migrations {names} are not in this code); "
            "update the code, then restore."
        )
    if into_this_schema and (missing := sorted(backed_up - MigrationRecorder(connection).applied_migrations().keys())):
        raise BackupError(
            f"{path}: this database lacks migrations the backup has ({missing[0][0]}.{missing[0][1]} …); "
            "run `manage.py migrate` first."
        )


def _refuse_unless_empty(path: Path, *, replace: bool) -> None:
    if replace:
        return
    holding = [
        str(model._meta.verbose_name_plural)
        for model in (Lesson, Topic, get_user_model())
        if model._base_manager.exists()
    ]
    if holding:
        raise BackupError(
            f"{path}: not restored: this database already holds {' and '.join(holding)}; "
            "restore into an empty database, or give --replace to replace everything."
        )


def _clear(models: list) -> list[str]:
    """Delete every row of the backed-up tables (foreign keys are checked at commit)."""
    tables = []
    for model in models:
        tables.append(model._meta.db_table)
        tables += [
            field.remote_field.through._meta.db_table
            for field in model._meta.local_many_to_many
            if field.remote_field.through._meta.auto_created
        ]
    with connection.cursor() as cursor:
        for table in reversed(tables):
            cursor.execute(f"DELETE FROM {connection.ops.quote_name(table)}")
    return tables


def _load(objects: list) -> dict:
    counts: dict = {}
    deferred = []
    for restored in serializers.deserialize("python", objects, handle_forward_references=True):
        restored.save()
        if restored.deferred_fields:
            deferred.append(restored)
        label = restored.object._meta.label_lower
        counts[label] = counts.get(label, 0) + 1
    for restored in deferred:
        restored.save_deferred_fields()
    return counts


def _reset_sequences(models: list) -> None:
    """Make new rows' ids follow the restored ones (PostgreSQL; nothing to do on SQLite)."""
    statements = connection.ops.sequence_reset_sql(no_style(), models)
    with connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)


def _check_search_index(path: Path) -> None:
    """The triggers index each lesson as it is inserted; make sure they did."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM events_search")
        indexed = cursor.fetchone()[0]
    if indexed != Lesson.objects.count():
        raise BackupError(f"{path}: not restored: the search index does not match the lessons (triggers missing?).")


def _restore_sqlite(path: Path, *, replace: bool) -> None:
    if connection.vendor != "sqlite":
        raise BackupError(
            f"{path}: a .sqlite3 backup restores only onto an SQLite site, and this site uses {connection.vendor}."
        )
    with open(path, "rb") as file:
        if file.read(len(SQLITE_MAGIC)) != SQLITE_MAGIC:
            raise BackupError(f"{path}: not an SQLite database.")
    try:
        source = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    except sqlite3.Error as error:
        raise BackupError(f"{path}: cannot be opened: {error}.") from error
    try:
        try:
            problems = [row[0] for row in source.execute("PRAGMA integrity_check")]
            has_events = source.execute(
                "SELECT name FROM sqlite_master "
                "WHERE type = 'table' AND name IN ('django_migrations', 'events_lesson')"
            ).fetchall()
        except sqlite3.DatabaseError as error:
            raise BackupError(f"{path}: damaged: {error}.") from error
        if problems != ["ok"]:
            raise BackupError(f"{path}: damaged: SQLite's integrity check failed ({problems[0]}).")
        if len(has_events) != 2:
            raise BackupError(f"{path}: not a backup of this site (it has no lessons or migrations tables).")
        migrations: dict[str, list[str]] = {}
        for app, name in source.execute("SELECT app, name FROM django_migrations ORDER BY app, name"):
            migrations.setdefault(app, []).append(name)
        if "events" not in migrations:
            raise BackupError(f"{path}: not a backup of this site (no migrations of the events app).")
        # The copy brings its own schema: one behind this code's is fine (run `migrate` after).
        _refuse_migrations_ahead(path, migrations, into_this_schema=False)
        if connection.in_atomic_block:
            raise BackupError(f"{path}: an SQLite backup cannot be restored inside a transaction.")
        _refuse_unless_empty(path, replace=replace)
        connection.ensure_connection()
        # The backup API copies page by page under SQLite's locks, so other connections to the
        # site's database see the old or the new database, never a mixture.
        source.backup(connection.connection)
    finally:
        source.close()


def _first_line(error: BaseException) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0]


def describe(counts: dict) -> str:
    """e.g. "6 lessons, 2 users, 14 versions": the rows a person cares about, for messages."""
    shown = ["events.lesson", "events.topic", "auth.user", "auth.group", "reversion.revision", "reversion.version"]
    parts = []
    for label in shown:
        if label in counts:
            model = apps.get_model(label)
            noun = model._meta.verbose_name if counts[label] == 1 else model._meta.verbose_name_plural
            parts.append(f"{counts[label]} {noun}")
    return ", ".join(parts)
