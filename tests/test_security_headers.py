"""Security headers on every page, and pages that need no inline script or style under the CSP."""

from html.parser import HTMLParser

import pytest

pytestmark = pytest.mark.django_db

LESSON_URL = "/lessons/ussrs-withdrawal-from-china/"
PUBLIC_PAGES = [
    "/",
    "/?q=soviet",
    "/timeline/",
    LESSON_URL,
    LESSON_URL + "present/?step=2",
    LESSON_URL + "panels/reasons-for-withdrawal/",
    "/no/such/page/",
    "/healthz",
    "/admin/login/",
]
EDITOR_PAGES = ["/admin/", "/admin/events/lesson/", "/admin/events/lesson/import/"]


class InlineCode(HTMLParser):
    """The inline scripts, <style> elements, style="" and on…="" attributes in a page."""

    def __init__(self):
        super().__init__()
        self.found = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "script" and "src" not in attributes and attributes.get("type") != "application/json":
            self.found.append(self.get_starttag_text())
        if tag == "style":
            self.found.append("<style>")
        self.found += [f"{tag} {name}=" for name in attributes if name == "style" or name.startswith("on")]


def inline_code(response) -> list[str]:
    parser = InlineCode()
    parser.feed(response.content.decode())
    return parser.found


def assert_security_headers(response):
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "script-src 'self';" in csp
    assert "style-src 'self';" in csp
    assert "object-src 'none'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "unsafe" not in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"
    permissions = response["Permissions-Policy"]
    for feature in ["camera", "microphone", "geolocation", "payment", "usb"]:
        assert f"{feature}=()" in permissions


@pytest.mark.parametrize("url", PUBLIC_PAGES)
def test_public_pages_send_the_security_headers_and_need_no_inline_code(client, seed_lesson, url):
    response = client.get(url)

    assert_security_headers(response)
    assert inline_code(response) == []


def test_htmx_fragments_send_the_security_headers_too(client, seed_lesson):
    response = client.get(LESSON_URL + "panels/reasons-for-withdrawal/", headers={"HX-Request": "true"})

    assert_security_headers(response)
    assert inline_code(response) == []


@pytest.mark.parametrize("url", EDITOR_PAGES)
def test_admin_pages_send_the_security_headers_and_need_no_inline_code(editor_client, seed_lesson, url):
    response = editor_client.get(url)

    assert response.status_code == 200
    assert_security_headers(response)
    assert inline_code(response) == []


def test_lesson_change_form_needs_no_inline_style(editor_client, seed_lesson):
    response = editor_client.get(f"/admin/events/lesson/{seed_lesson.pk}/change/")

    assert_security_headers(response)
    assert inline_code(response) == []


def test_htmx_is_configured_for_the_content_security_policy(client, seed_lesson):
    html = client.get(LESSON_URL).content.decode()

    assert """<meta name="htmx-config" content='{"includeIndicatorStyles": false, "allowEval": false}'>""" in html


def test_session_and_csrf_cookies_are_http_only_and_same_site(client, editor):
    login_page = client.get("/admin/login/")
    csrf_cookie = login_page.cookies["csrftoken"]

    response = client.post("/admin/login/", {"username": "edna", "password": "edna-password-1", "next": "/admin/"})

    session_cookie = response.cookies["sessionid"]
    assert response.status_code == 302
    for cookie in [csrf_cookie, session_cookie]:
        assert cookie["httponly"] is True
        assert cookie["samesite"] == "Lax"
