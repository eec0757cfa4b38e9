"""
Two app servers (gunicorn, in production mode) sharing one PostgreSQL database and one Redis: a
change an editor saves through one server's admin shows at once on the pages the other has cached.

It needs PostgreSQL at POSTGRES_SERVER_URL and Redis at REDIS_SERVER_URL (the defaults below); it is
skipped when either does not answer, except on CI (CI=true), where it fails instead.
"""

import http.client
import os
import re
import secrets
import socket
import subprocess
import sys
import time
import uuid
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlencode

import psycopg
import pytest
import redis

ROOT = Path(__file__).resolve().parent.parent
POSTGRES_URL = os.environ.get("POSTGRES_SERVER_URL", "postgres://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("REDIS_SERVER_URL", "redis://127.0.0.1:6379")
LESSON = "/lessons/ussrs-withdrawal-from-china/"
PASSWORD = secrets.token_urlsafe(16)


def unavailable(what: str, error: Exception):
    if os.environ.get("CI") == "true":
        pytest.fail(f"{what} does not answer ({error}); CI does not skip the two-server test.")
    pytest.skip(f"{what} does not answer: {error}")


@pytest.fixture(scope="module")
def database():
    """A fresh PostgreSQL database, dropped afterwards."""
    name = f"history_servers_{uuid.uuid4().hex[:12]}"
    try:
        server = psycopg.connect(POSTGRES_URL, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as error:
        unavailable("PostgreSQL", error)
    with server:
        server.execute(f'CREATE DATABASE "{name}"')
        try:
            yield POSTGRES_URL.rsplit("/", 1)[0] + f"/{name}"
        finally:
            server.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module")
def redis_url():
    """An empty Redis database of its own, emptied afterwards."""
    try:
        for number in range(15, 0, -1):
            client = redis.Redis.from_url(f"{REDIS_URL}/{number}", socket_connect_timeout=3)
            if client.dbsize() == 0:
                break
        else:
            pytest.fail("Every Redis database from 1 to 15 holds keys: none is free for this test.")
    except redis.ConnectionError as error:
        unavailable("Redis", error)
    try:
        yield f"{REDIS_URL}/{number}"
    finally:
        client.flushdb()


@pytest.fixture(scope="module")
def servers(database, redis_url):
    """Two gunicorn servers on free ports, sharing the database and the cache, with the seed lesson
    published and a superuser, admin, who may sign in."""
    env = {
        **os.environ,
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": database,
        "REDIS_URL": redis_url,
        "DJANGO_SUPERUSER_PASSWORD": PASSWORD,
    }
    manage = [sys.executable, "manage.py"]
    for command in [
        ["migrate", "--noinput"],
        ["collectstatic", "--noinput"],
        ["import_lesson", "--publish", "content/lessons/ussrs-withdrawal-from-china.txt"],
        ["createsuperuser", "--noinput", "--username", "admin", "--email", "admin@example.org"],
    ]:
        subprocess.run(manage + command, cwd=ROOT, env=env, check=True, capture_output=True)
    started, sites = [], []
    try:
        for _ in range(2):
            with socket.socket() as probe:
                probe.bind(("127.0.0.1", 0))
                port = probe.getsockname()[1]
            command = ["-m", "gunicorn", "history_site.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "2"]
            process = subprocess.Popen(
                [sys.executable, *command], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
            )
            started.append(process)
            sites.append(Site(port))
            wait_until_up(sites[-1], process)
        yield sites
    finally:
        for process in started:
            process.terminate()
        for process in started:
            process.wait(timeout=10)


def wait_until_up(site: "Site", process: subprocess.Popen) -> None:
    for _ in range(100):
        try:
            if site.get("/healthz")[0] == 200:
                return
        except OSError:
            time.sleep(0.1)
    pytest.fail("gunicorn did not start: " + process.stderr.read1().decode())


class Site:
    """One server, spoken to as through the HTTPS proxy, keeping the cookies it sets."""

    def __init__(self, port: int):
        self.port = int(port)
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, form: dict | None = None) -> tuple[int, str, http.client.HTTPResponse]:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=20)
        headers = {"X-Forwarded-Proto": "https"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Origin"] = headers["Referer"] = f"https://127.0.0.1:{self.port}"
        try:
            connection.request(method, path, body, headers)
            response = connection.getresponse()
            text = response.read().decode()
        finally:
            connection.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            name, value = header.split(";", 1)[0].split("=", 1)
            self.cookies[name] = value
        return response.status, text, response

    def get(self, path: str) -> tuple[int, str]:
        status, text, _ = self.request("GET", path)
        return status, text

    def post_form(self, path: str, changes: dict) -> http.client.HTTPResponse:
        """Submit the form on the page at path, as it stands, with these fields changed."""
        status, page = self.get(path)
        assert status == 200, (path, status)
        form = FormFields()
        form.feed(page)
        return self.request("POST", path, {**form.fields, **changes})[2]


class FormFields(HTMLParser):
    """What the page's form would submit: every named input, text area and selected option."""

    def __init__(self):
        super().__init__()
        self.fields: dict[str, list[str]] = {}
        self._textarea: str | None = None
        self._select: str | None = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        name = attrs.get("name")
        if tag == "input" and name and attrs.get("type") not in {"submit", "button", "file", "image"}:
            if attrs.get("type") not in {"checkbox", "radio"} or "checked" in attrs:
                self.fields.setdefault(name, []).append(attrs.get("value") or ("on" if "checked" in attrs else ""))
        elif tag == "textarea" and name:
            self._textarea = name
            self.fields[name] = [""]
        elif tag == "select" and name:
            self._select = name
            self.fields.setdefault(name, [])
        elif tag == "option" and self._select and "selected" in attrs:
            self.fields[self._select].append(attrs.get("value", ""))

    def handle_data(self, data):
        if self._textarea:
            self.fields[self._textarea][0] += data

    def handle_endtag(self, tag):
        if tag == "textarea":
            if self._textarea and self.fields[self._textarea][0].startswith("\n"):
                # HTML drops the newline that follows <textarea>.
                self.fields[self._textarea][0] = self.fields[self._textarea][0][1:]
            self._textarea = None
        elif tag == "select":
            self._select = None


def test_an_edit_saved_on_one_server_shows_at_once_on_the_pages_another_has_cached(servers):
    server_a, server_b = servers
    for _ in range(2):  # the second from the cache
        status, page = server_b.get(LESSON)
        assert status == 200 and "<h1>USSR&#x27;s Withdrawal from China</h1>" in page
    assert "USSR&#x27;s Withdrawal from China" in server_b.get("/")[1]

    assert server_a.get("/admin/login/")[0] == 200
    signed_in = server_a.post_form("/admin/login/", {"username": ["admin"], "password": [PASSWORD]})
    assert signed_in.status == 302, "could not sign in to the admin"
    status, changelist = server_a.get("/admin/events/lesson/")
    assert status == 200
    change_path = re.search(r'href="(/admin/events/lesson/\d+/change/)', changelist)[1]
    saved = server_a.post_form(change_path, {"title": ["The Soviet Recall of 1960"]})
    assert saved.status == 302, "the admin did not save the change"

    status, page = server_b.get(LESSON)
    assert status == 200
    assert "<h1>The Soviet Recall of 1960</h1>" in page
    assert "The Soviet Recall of 1960" in server_b.get("/")[1]


def test_pages_link_to_hashed_static_files_that_browsers_may_keep_for_good(servers):
    status, page = servers[0].get("/")
    stylesheet = re.search(r'href="(/static/css/site\.[0-9a-f]{12}\.css)"', page)

    assert status == 200 and stylesheet, page[:500]
    again = servers[0].get("/timeline/")[1]
    assert stylesheet.group(1) in again  # the same address, page after page
    status, _, response = servers[1].request("GET", stylesheet.group(1))
    assert status == 200
    assert "immutable" in response.headers["Cache-Control"]
