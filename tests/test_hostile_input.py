"""
Hostile and malformed requests, sent to the site running as in production (gunicorn,
DJANGO_DEBUG=0, WhiteNoise): each gets a 4xx or an ordinary page, never a 500.
"""

import http.client
import os
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

LESSON = "/lessons/ussrs-withdrawal-from-china/"

PATHS = [
    "/lessons/%00/",
    "/lessons/../../etc/passwd",
    "/%ff%fe/",
    "//",
    "/lessons/" + "a" * 3000 + "/",
    LESSON + "panels/%3Cscript%3E/",
    LESSON + "panels/reasons-for-withdrawal/extra/",
    LESSON + "present/?step=1e309",
    LESSON + "present/?step=" + "9" * 5000,
    LESSON + "?expand=all&expand=none&expand=" + "x" * 2000,
    "/?q=" + "x" * 8000,
    "/?q=%00%01%02",
    "/?q=%22*AND(NEAR%20OR",
    "/?q=%ff%fe",
    "/?page=-1",
    "/?page=99999999999999999999999",
    "/?page=abc&region=%ff&theme=" + "t" * 500,
    "/timeline/?page=0",
    "/timeline/?page=%00",
    "/static/../history_site/settings.py",
    "/media/../db.sqlite3",
]

HEADERS = [
    {"HX-Request": "true"},
    {"HX-Request": "true", "HX-Target": "<script>", "HX-Current-URL": "javascript:alert(1)"},
    {"HX-Request": "true", "HX-History-Restore-Request": "true"},
    {"Accept": "application/json"},
    {"Accept-Encoding": "gzip;q=abc, br, *;q=-1"},
    {"Cookie": "sessionid=" + "x" * 1000 + "; csrftoken=%ff"},
    {"X-Forwarded-Proto": "javascript", "X-Forwarded-For": "not an address"},
    {"Referer": "\x7f" * 10},
]


def send(site: tuple[str, int], method: str, path: str, headers: dict | None = None, body: bytes | None = None):
    connection = http.client.HTTPConnection(*site, timeout=20)
    try:
        connection.putrequest(method, path, skip_host="Host" in (headers or {}), skip_accept_encoding=True)
        # As the HTTPS proxy in front of the site would say.
        for name, value in {"X-Forwarded-Proto": "https", **(headers or {})}.items():
            connection.putheader(name, value.encode("latin-1"))
        connection.putheader("Content-Length", str(len(body or b"")))
        connection.endheaders(body)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """gunicorn serving a fresh SQLite database with the seed lesson, in production mode."""
    folder = tmp_path_factory.mktemp("site")
    env = {
        **os.environ,
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "DATABASE_URL": f"sqlite:///{folder / 'site.sqlite3'}",
        "DJANGO_CACHE_DIR": str(folder / "cache"),
    }
    manage = [sys.executable, "manage.py"]
    for command in [
        ["migrate", "--noinput"],
        ["collectstatic", "--noinput"],
        ["import_lesson", "--publish", "content/lessons/ussrs-withdrawal-from-china.txt"],
    ]:
        subprocess.run(manage + command, cwd=ROOT, env=env, check=True, capture_output=True)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "history_site.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "2"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        for _ in range(100):
            try:
                if send(("127.0.0.1", port), "GET", "/")[0] == 200:
                    break
            except OSError:
                time.sleep(0.1)
        else:
            pytest.fail("gunicorn did not start: " + server.stderr.read1().decode())
        yield ("127.0.0.1", port)
    finally:
        server.terminate()
        server.wait(timeout=10)


@pytest.mark.parametrize("path", PATHS)
def test_malformed_paths_and_query_strings(site, path):
    status, body = send(site, "GET", path)

    assert status < 500, (path, status)
    assert b"Traceback" not in body


@pytest.mark.parametrize("headers", HEADERS)
@pytest.mark.parametrize("path", ["/", LESSON, "/timeline/", LESSON + "present/"])
def test_odd_headers_and_htmx_headers_on_ordinary_pages(site, path, headers):
    status, body = send(site, "GET", path, headers)

    assert status < 500, (path, headers, status)
    assert b"Traceback" not in body
    if "HX-Request" in headers and path != "/":  # the index answers htmx with its results
        # An ordinary page asked for by htmx is still the whole page.
        assert (status, b"<html" in body) == (200, True)


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE", "TRACE", "PROPFIND"])
@pytest.mark.parametrize("path", ["/", LESSON, LESSON + "panels/reasons-for-withdrawal/", "/timeline/"])
def test_wrong_methods_are_refused(site, method, path):
    status, _ = send(site, method, path, {"Content-Type": "application/x-www-form-urlencoded"}, b"a=1")

    assert status in {403, 405}, (method, path, status)


def test_head_is_answered_like_get(site):
    status, body = send(site, "HEAD", LESSON)

    assert status == 200
    assert body == b""


def test_unknown_host_is_a_400(site):
    status, body = send(site, "GET", "/", {"Host": "evil.example"})

    assert status == 400
    assert b"Traceback" not in body


def test_admin_login_without_csrf_token_is_a_403(site):
    status, _ = send(
        site, "POST", "/admin/login/", {"Content-Type": "application/x-www-form-urlencoded"}, b"username=a&password=b"
    )

    assert status == 403
