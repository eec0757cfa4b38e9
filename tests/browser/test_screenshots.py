"""The README's pictures of the site, taken from the real pages by the browser tests.

`make screenshots` writes them to docs/screenshots/; an ordinary test run takes them
into a temporary folder, so that it leaves the working tree as it was.
"""

import os
from pathlib import Path

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

pytestmark = pytest.mark.django_db(transaction=True)

DOCS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
CONTENT = Path(__file__).resolve().parents[2] / "content" / "lessons"


@pytest.fixture
def shipped_lessons(db):
    call_command("import_lesson", *sorted(map(str, CONTENT.glob("*.txt"))), "--publish", verbosity=0)


def test_screenshots_of_a_lesson_and_the_timeline(live_server, shipped_lessons, browser, tmp_path):
    screenshots = DOCS if os.environ.get("UPDATE_SCREENSHOTS") else tmp_path
    # No motion and no pointer over the page, so that the same page gives the same picture.
    context = browser.new_context(viewport={"width": 1280, "height": 800}, reduced_motion="reduce")
    page = context.new_page()
    page.goto(f"{live_server.url}/lessons/ussrs-withdrawal-from-china/")
    with page.expect_response(lambda response: "/panels/" in response.url):
        page.locator("#reasons-for-withdrawal .panel-toggle").click()
    expect(page.locator("#reasons-for-withdrawal-body")).to_contain_text("Bucharest")
    page.mouse.move(0, 0)
    page.locator("#reasons-for-withdrawal .panel-toggle").blur()
    page.set_viewport_size({"width": 1280, "height": 1700})
    page.evaluate("window.scrollTo(0, 0)")
    page.screenshot(path=screenshots / "lesson.png")
    page.set_viewport_size({"width": 1280, "height": 800})

    page.goto(f"{live_server.url}/timeline/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    page.screenshot(path=screenshots / "timeline.png")
    context.close()

    phone = browser.new_context(
        viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True, device_scale_factor=2
    )
    page = phone.new_page()
    page.goto(f"{live_server.url}/lessons/ussrs-withdrawal-from-china/")
    page.screenshot(path=screenshots / "lesson-phone.png")
    phone.close()

    for name in ["lesson.png", "timeline.png", "lesson-phone.png"]:
        assert (screenshots / name).stat().st_size > 10_000, name
