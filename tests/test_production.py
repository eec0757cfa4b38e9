"""Production mode: start-up checks, check --deploy, /healthz, the error pages, logs and the admin sign-in."""

import io
import logging
import os
import re
import secrets
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
from axes.models import AccessAttempt
from django.db.models import F
from django.db.utils import ConnectionHandler
from django.urls import path, reverse

from history_site import health
from history_site.health import database_problem
from history_site.urls import urlpatterns as site_urlpatterns

ROOT = Path(__file__).resolve().parent.parent


def boom(request):
    raise RuntimeError("SECRET_KEY leaked in a traceback")


# The URLconf of the 500-page test: the site, plus a view that fails.
urlpatterns = [path("boom/", boom), *site_urlpatterns]


def manage(*args: str, **environment: str) -> subprocess.CompletedProcess:
    """Run manage.py in a fresh process with the DJANGO_* environment given and no other."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("DJANGO_")}
    env |= {"DJANGO_SETTINGS_MODULE": "history_site.settings", **environment}
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def production_environment() -> dict[str, str]:
    """What the README documents for production, with a fresh random secret."""
    return {
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "history.example-school.org",
        "DJANGO_CSRF_TRUSTED_ORIGINS": "https://history.example-school.org",
    }


# Starting in production


@pytest.mark.parametrize(
    ("missing", "message"),
    [
        (
            ["DJANGO_SECRET_KEY", "DJANGO_ALLOWED_HOSTS"],
            "DJANGO_DEBUG=0 needs DJANGO_SECRET_KEY and DJANGO_ALLOWED_HOSTS",
        ),
        (["DJANGO_SECRET_KEY"], "DJANGO_DEBUG=0 needs DJANGO_SECRET_KEY to be set in the environment."),
        (["DJANGO_ALLOWED_HOSTS"], "DJANGO_DEBUG=0 needs DJANGO_ALLOWED_HOSTS to be set in the environment."),
    ],
)
def test_production_refuses_to_start_and_names_what_is_missing(missing, message):
    environment = {name: value for name, value in production_environment().items() if name not in missing}

    result = manage("check", **environment)

    assert result.returncode != 0
    assert message in result.stderr


def test_check_deploy_finds_no_issues_with_the_documented_production_settings():
    result = manage("check", "--deploy", "--fail-level", "WARNING", **production_environment())

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_admin_address_comes_from_the_environment():
    script = "import django; django.setup(); from django.urls import reverse; print(reverse('admin:index'))"
    env = {name: value for name, value in os.environ.items() if not name.startswith("DJANGO_")}
    env |= {"DJANGO_SETTINGS_MODULE": "history_site.settings", "DJANGO_ADMIN_PATH": "editors-only"}

    result = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True)

    assert result.stdout.strip() == "/editors-only/", result.stderr


# /healthz


@pytest.mark.django_db
def test_healthz_answers_ok_when_the_database_is_migrated(client):
    response = client.get("/healthz")

    assert response.status_code == 200
    assert response.content == b"ok\n"
    assert "no-cache" in response["Cache-Control"]


@pytest.mark.django_db
def test_healthz_answers_a_load_balancer_that_asks_by_the_servers_address(client, settings):
    settings.ALLOWED_HOSTS = ["history.example-school.org"]

    assert client.get("/healthz", headers={"Host": "10.0.0.5:8000"}).status_code == 200
    assert client.get("/", headers={"Host": "10.0.0.5:8000"}).status_code == 400


def sqlite_database(path: Path):
    """A connection to an SQLite file of its own, outside the test database."""
    return ConnectionHandler({"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": str(path)}})["default"]


@pytest.mark.django_db
def test_health_check_reports_a_database_without_migrations(tmp_path):
    database = sqlite_database(tmp_path / "empty.sqlite3")
    try:
        problem = database_problem(database)
    finally:
        database.close()

    assert problem and re.fullmatch(r"\d+ migrations are not applied", problem)


@pytest.mark.django_db
def test_health_check_reports_a_database_that_does_not_answer(tmp_path):
    database = sqlite_database(tmp_path / "no-such-folder" / "db.sqlite3")

    assert database_problem(database) == "the database does not answer"


@pytest.mark.django_db
def test_healthz_is_503_with_the_reason_when_the_database_is_not_ready(client, monkeypatch, tmp_path):
    database = sqlite_database(tmp_path / "empty.sqlite3")
    # The view checks the site's own database; here, an empty one stands in for it.
    monkeypatch.setattr(health, "connection", database)
    try:
        response = client.get("/healthz")
    finally:
        database.close()

    assert response.status_code == 503
    assert re.fullmatch(rb"unavailable: \d+ migrations are not applied\n", response.content)


# Error pages and logs


@pytest.mark.django_db
@pytest.mark.urls("tests.test_production")
def test_server_error_page_is_styled_and_leaks_nothing(client):
    client.raise_request_exception = False

    response = client.get("/boom/")

    html = response.content.decode()
    assert response.status_code == 500
    assert "Something went wrong on our side" in html
    assert '<link rel="stylesheet" href="/static/css/site.css">' in html
    for leak in ["Traceback", "RuntimeError", "SECRET_KEY", "boom", "settings"]:
        assert leak not in html


@pytest.mark.django_db
def test_not_found_page_leaks_nothing(client):
    html = client.get("/no/such/page/").content.decode()

    assert "We could not find that page" in html
    for leak in ["Traceback", "URLconf", "history_site.urls", "Using the URLconf"]:
        assert leak not in html


@pytest.mark.django_db
@pytest.mark.urls("tests.test_production")
def test_failed_requests_are_logged_to_standard_output_with_time_path_and_status(client):
    client.raise_request_exception = False
    handler = logging.getLogger("django.request").handlers[0]
    output = io.StringIO()
    stdout = handler.setStream(output)
    try:
        client.get("/no/such/page/")
        client.get("/boom/")
    finally:
        handler.setStream(stdout)

    lines = output.getvalue().splitlines()
    assert re.match(
        r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ WARNING django.request 404 Not Found: /no/such/page/$", lines[0]
    )
    assert re.match(
        r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ ERROR django.request 500 Internal Server Error: /boom/$", lines[1]
    )


# Signing in to the admin: throttled by django-axes


WRONG = {"username": "edna", "password": "not-her-password"}
RIGHT = {"username": "edna", "password": "edna-password-1"}


def test_five_wrong_passwords_lock_the_account_until_the_cool_off_has_passed(client, editor):
    login = reverse("admin:login")
    for _ in range(4):
        response = client.post(login, WRONG)
        assert response.status_code == 200
        assert "Please enter the correct username and password" in response.content.decode()

    response = client.post(login, WRONG)

    assert response.status_code == 429
    assert "Too many attempts to sign in" in response.content.decode()
    assert "Please wait 15 minutes, then try again." in response.content.decode()

    # The right password does not help during the cool-off.
    response = client.post(login, RIGHT)
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session

    # Once the 15 minutes have passed, the right password signs in.
    AccessAttempt.objects.update(attempt_time=F("attempt_time") - timedelta(minutes=16))
    response = client.post(login, {**RIGHT, "next": reverse("admin:index")})
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(editor.pk)


def test_a_lock_out_holds_for_that_username_from_that_address_only(client, editor, django_user_model):
    django_user_model.objects.create_user("other", password="other-password-1", is_staff=True)
    login = reverse("admin:login")
    for _ in range(5):
        client.post(login, WRONG, REMOTE_ADDR="10.0.0.1")

    assert client.post(login, RIGHT, REMOTE_ADDR="10.0.0.1").status_code == 429
    assert (
        client.post(login, {"username": "other", "password": "other-password-1"}, REMOTE_ADDR="10.0.0.1").status_code
        == 302
    )
    client.logout()
    assert client.post(login, RIGHT, REMOTE_ADDR="10.0.0.2").status_code == 302


def test_behind_a_proxy_the_lock_out_holds_for_the_visitors_address_not_the_proxys(client, editor, settings):
    settings.PROXY_COUNT = 1
    login = reverse("admin:login")
    # Every request comes from the proxy (10.0.0.9); the visitor sends a forged entry of their own.
    for _ in range(5):
        client.post(login, WRONG, REMOTE_ADDR="10.0.0.9", HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.7")

    locked = client.post(login, RIGHT, REMOTE_ADDR="10.0.0.9", HTTP_X_FORWARDED_FOR="203.0.113.7")
    assert locked.status_code == 429
    assert AccessAttempt.objects.get().ip_address == "203.0.113.7"
    # A classmate behind the same proxy signs in as usual.
    response = client.post(login, RIGHT, REMOTE_ADDR="10.0.0.9", HTTP_X_FORWARDED_FOR="198.51.100.2")
    assert response.status_code == 302


def test_without_a_proxy_a_forged_forwarded_for_header_is_ignored(client, editor):
    login = reverse("admin:login")
    for number in range(5):
        client.post(login, WRONG, REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=f"192.0.2.{number}")

    assert client.post(login, RIGHT, REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="192.0.2.99").status_code == 429
