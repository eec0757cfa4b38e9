"""The timeline in a real browser: the keyboard, pages without JavaScript, phones, and axe-core."""

import pytest
from playwright.sync_api import expect

from events.models import Lesson

from .axe import axe_violations

pytestmark = pytest.mark.django_db(transaction=True)

# In date order, as the timeline must list them.
TITLES = ["Sputnik", "USSR's Withdrawal from China", "Fall of the Berlin Wall"]


@pytest.fixture
def lessons(seed_lesson, make_lesson):
    make_lesson("berlin-wall", title="Fall of the Berlin Wall", event_date="1989-11-09", panels=0, readings=0)
    make_lesson(
        "sputnik",
        title="Sputnik",
        event_date="1957-10-01",
        date_precision=Lesson.DatePrecision.MONTH,
        summary="The USSR launched the first satellite. The space race began.",
        panels=0,
        readings=0,
    )


def test_keyboard_user_tabs_through_the_entries_in_date_order_and_follows_one(live_server, lessons, page):
    page.goto(live_server.url + "/timeline/")

    entries = []
    for _ in range(40):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            "({text: document.activeElement.textContent.trim(),"
            " entry: !!document.activeElement.closest('.timeline-event'),"
            " outline: getComputedStyle(document.activeElement).outlineStyle})"
        )
        if focused["entry"]:
            assert focused["outline"] == "solid", "a focused entry shows where the focus is"
            entries.append(focused["text"])
        if focused["text"] == TITLES[1]:
            break
    assert entries == TITLES[:2]

    page.keyboard.press("Enter")

    expect(page).to_have_url(f"{live_server.url}/lessons/ussrs-withdrawal-from-china/")
    expect(page.locator("h1")).to_have_text(TITLES[1])


def test_timeline_reads_as_lists_of_decades_and_events(live_server, lessons, page):
    page.goto(live_server.url + "/timeline/")

    decades = page.locator("ol.timeline > li")
    expect(decades).to_have_count(3)
    expect(decades.nth(0).get_by_role("heading", level=2)).to_have_text("1950s")
    expect(decades.nth(0).get_by_role("listitem")).to_have_count(1)
    expect(page.get_by_role("link", name="Sputnik")).to_have_attribute("href", "/lessons/sputnik/")
    expect(page.locator(".timeline-event time").first).to_have_text("October 1957")


def test_pages_work_without_javascript(live_server, lessons, browser, settings):
    settings.TIMELINE_PAGE_SIZE = 2
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(live_server.url + "/timeline/")

    page.get_by_role("link", name="Later events: 1989").click()

    expect(page).to_have_url(live_server.url + "/timeline/?page=2")
    expect(page.locator(".timeline-event h3")).to_have_text(["Fall of the Berlin Wall"])
    page.get_by_role("link", name="1950s").click()
    expect(page).to_have_url(live_server.url + "/timeline/?page=1#decade-1950")
    expect(page.locator(".timeline-event h3")).to_have_text(TITLES[:2])
    context.close()


@pytest.mark.parametrize("color_scheme", ["light", "dark"])
def test_timeline_has_no_violations(live_server, lessons, page, color_scheme):
    page.emulate_media(color_scheme=color_scheme)
    page.goto(live_server.url + "/timeline/")

    assert axe_violations(page) == []


def test_empty_timeline_has_no_violations(live_server, db, page):
    page.goto(live_server.url + "/timeline/")

    expect(page.locator(".empty-state")).to_be_visible()
    assert axe_violations(page) == []


def test_timeline_on_a_small_phone_fits_the_screen_with_no_violations(live_server, lessons, browser):
    context = browser.new_context(viewport={"width": 320, "height": 640}, is_mobile=True, has_touch=True)
    page = context.new_page()
    page.goto(live_server.url + "/timeline/")

    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert axe_violations(page) == []
    context.close()
