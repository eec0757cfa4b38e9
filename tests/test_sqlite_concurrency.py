"""Parallel saves on one SQLite file, as several gunicorn workers make them: every edit survives."""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
WORKERS = 6
SAVES_PER_WORKER = 25

SETUP = """
from events.models import Lesson
for number in range(3):
    Lesson.objects.create(slug=f"lesson-{number}", title=f"Lesson {number}", event_date="1960-07-16", summary="S.")
"""

# What an admin save does: read the lesson, change its sections, save the lesson, in one transaction.
# All workers edit the same three lessons, so their writes collide all the time.
WORKER = """
import sys
from django.db import transaction
from events.models import Lesson
worker = int(sys.argv[1])
for number in range(int(sys.argv[2])):
    with transaction.atomic():
        lesson = Lesson.objects.get(slug=f"lesson-{number % 3}")
        lesson.sections.create(heading=f"Edit {worker}-{number}", body="An edit.")
        lesson.save()
"""


def run(code: str, *args: str, env: dict) -> subprocess.Popen:
    script = "import django; django.setup()\n" + textwrap.dedent(code)
    return subprocess.Popen(
        [sys.executable, "-c", script, *args], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )


@pytest.fixture
def sqlite_file_env(tmp_path):
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "history_site.settings",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'site.sqlite3'}",
    }
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "--noinput"], cwd=ROOT, env=env, check=True, capture_output=True
    )
    assert run(SETUP, env=env).wait() == 0
    return env


def test_parallel_saves_all_survive_without_database_is_locked(sqlite_file_env):
    workers = [run(WORKER, str(n), str(SAVES_PER_WORKER), env=sqlite_file_env) for n in range(WORKERS)]
    results = [(worker.wait(timeout=120), worker.communicate()[1].decode()) for worker in workers]

    for code, errors in results:
        assert "database is locked" not in errors
        assert code == 0, errors

    check = run(
        """
from events.models import Lesson, Section
print(Section.objects.count(), sum(Lesson.objects.values_list("version", flat=True)))
""",
        env=sqlite_file_env,
    )
    sections, versions = map(int, check.communicate()[0].split())
    assert sections == WORKERS * SAVES_PER_WORKER
    # Each lesson starts at version 1 and goes up once for every save.
    assert versions == 3 + WORKERS * SAVES_PER_WORKER
