import importlib
import os
import tempfile
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from events.importer import import_lesson, parse_lesson_document, read_lesson_file
from events.models import Lesson, Section

# pytest-playwright's sync API runs an event loop in the test thread; without this,
# Django refuses ORM calls (the test database set-up included) in browser tests.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

# Tests run with DEBUG off but without collectstatic: WhiteNoise serves from the source folders.
settings.WHITENOISE_USE_FINDERS = True
# Live-server threads would otherwise keep their connections open, and PostgreSQL then
# refuses to drop the test database at the end ("being accessed by other users").
settings.DATABASES["default"]["CONN_MAX_AGE"] = 0
# Browser tests' live server answers each request in a thread of its own. An in-memory SQLite test
# database would make those threads share one connection, and the page's parallel htmx requests
# would then read each other's rows; a file gives each thread its own connection.
if settings.DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    settings.DATABASES["default"].setdefault("TEST", {})["NAME"] = os.path.join(
        tempfile.gettempdir(), f"history-lessons-test-{os.getpid()}.sqlite3"
    )
# Test users' passwords need no protection, and the default hasher is slow on purpose.
settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

ROOT = Path(__file__).resolve().parent.parent
SEED_DOCUMENT = ROOT / "content" / "lessons" / "ussrs-withdrawal-from-china.txt"
FIXTURE_DOCUMENTS = Path(__file__).resolve().parent / "fixtures" / "lessons"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """On CI (CI=true) a skipped test fails: a service that does not answer there is a fault."""
    outcome = yield
    report = outcome.get_result()
    if report.skipped and os.environ.get("CI") == "true" and not hasattr(report, "wasxfail"):
        report.outcome = "failed"
        report.longrepr = f"Skipped on CI, where nothing may skip: {report.longrepr}"


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    # Debian's Chromium: Playwright's own browser download cannot be reached.
    return {**browser_type_launch_args, "executable_path": "/usr/bin/chromium"}


def text_of(response) -> str:
    """A response's body as text, for asserting what a person would read."""
    return response.content.decode()


def import_document(path: Path, *, publish: bool = True) -> Lesson:
    lesson, _ = import_lesson(document=parse_lesson_document(read_lesson_file(path)), publish=publish)
    return lesson


@pytest.fixture
def seed_lesson(db, django_capture_on_commit_callbacks) -> Lesson:
    """The shipped lesson on the USSR's withdrawal from China, published (and rendered, as its
    import's commit does)."""
    with django_capture_on_commit_callbacks(execute=True):
        return import_document(SEED_DOCUMENT)


@pytest.fixture
def make_lesson(db, django_capture_on_commit_callbacks):
    """A published lesson with the given numbers of cause panels and readings, rendered as when an
    editor's transaction commits."""

    def make(slug="a-lesson", *, panels=1, readings=1, status=Lesson.Status.PUBLISHED, **fields):
        with django_capture_on_commit_callbacks(execute=True):
            return _make(slug, panels=panels, readings=readings, status=status, **fields)

    def _make(slug, *, panels, readings, status, **fields):
        lesson = Lesson.objects.create(
            slug=slug,
            title=fields.pop("title", slug.replace("-", " ").title()),
            event_date=fields.pop("event_date", "1960-07-16"),
            summary=fields.pop("summary", "Something happened."),
            status=status,
            **fields,
        )
        for number in range(1, panels + 1):
            lesson.sections.create(
                order=number, kind=Section.Kind.CAUSE, heading=f"Cause {number}", body=f"Why {number}. More."
            )
        for number in range(1, readings + 1):
            lesson.readings.create(
                order=number, title=f"Book {number}", authors="A. Historian", year=2001, isbn="9780000000002"
            )
        return lesson

    return make


def ensure_roles() -> None:
    """The Editors and Publishers groups as migrations 0003 and 0008 make them: a transactional test (each
    browser test) ends by emptying every table, so later tests need them made again."""
    from django.apps import apps
    from django.contrib.auth.management import create_permissions
    from django.contrib.auth.models import Group, Permission

    roles = importlib.import_module("events.migrations.0003_editor_roles")
    content = importlib.import_module("events.migrations.0008_roles_classroom_content").CODENAMES
    create_permissions(apps.get_app_config("events"), verbosity=0)
    for name, codenames in [("Editors", roles.EDITORS + content), ("Publishers", roles.PUBLISHERS + content)]:
        group, created = Group.objects.get_or_create(name=name)
        if created:
            group.permissions.set(Permission.objects.filter(content_type__app_label="events", codename__in=codenames))


def make_staff(django_user_model, username: str, role: str):
    from django.contrib.auth.models import Group

    ensure_roles()
    user = django_user_model.objects.create_user(username, password=f"{username}-password-1", is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    return user


@pytest.fixture
def editor(db, django_user_model):
    """A member of the Editors role: edits lessons but cannot publish them."""
    return make_staff(django_user_model, "edna", "Editors")


@pytest.fixture
def publisher(db, django_user_model):
    """A member of the Publishers role: edits, publishes and unpublishes lessons."""
    return make_staff(django_user_model, "paul", "Publishers")


def client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def editor_client(editor):
    return client_for(editor)


@pytest.fixture
def publisher_client(publisher):
    return client_for(publisher)
