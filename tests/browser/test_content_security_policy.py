"""Under the Content Security Policy, nothing a page needs is refused: pages, htmx panels and the admin."""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.django_db(transaction=True)

SLUG = "ussrs-withdrawal-from-china"


def record_refusals(page) -> list[str]:
    """Chromium reports each thing the policy refuses as a console error."""
    refusals = []
    page.on(
        "console", lambda message: refusals.append(message.text) if "Content Security Policy" in message.text else None
    )
    return refusals


def test_reader_pages_and_htmx_panels_run_with_nothing_refused(live_server, page, seed_lesson):
    refusals = record_refusals(page)

    for path in ["/", "/?q=soviet", "/timeline/", f"/lessons/{SLUG}/present/?step=1", "/no/such/page/"]:
        page.goto(live_server.url + path)
    page.goto(f"{live_server.url}/lessons/{SLUG}/")
    page.locator("#reasons-for-withdrawal .panel-toggle").first.click()
    expect(page.locator("#reasons-for-withdrawal-body")).to_contain_text("Bucharest")

    assert refusals == []


def test_admin_lesson_page_runs_with_nothing_refused(live_server, page, editor, seed_lesson):
    refusals = record_refusals(page)
    change_url = f"/admin/events/lesson/{seed_lesson.pk}/change/"

    page.goto(f"{live_server.url}/admin/login/?next={change_url}")
    page.get_by_label("Username").fill(editor.username)
    page.get_by_label("Password").fill(f"{editor.username}-password-1")
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(f"{live_server.url}{change_url}")
    expect(page.locator("#sections-group .reorder-controls").first).to_be_visible()

    assert refusals == []
