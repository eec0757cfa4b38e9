"""Projector mode in a real browser: keyboard, on-screen buttons, no JavaScript, reload, accessibility."""

import re

import pytest
from playwright.sync_api import expect

from .axe import axe_violations

pytestmark = pytest.mark.django_db(transaction=True)

SLUG = "ussrs-withdrawal-from-china"
LESSON_PATH = f"/lessons/{SLUG}/"
PRESENT_PATH = f"/lessons/{SLUG}/present/"
TITLE = "USSR's Withdrawal from China"
# The heading each step shows, in order.
HEADINGS = [
    TITLE,
    "Background of Sino-Soviet Relations",
    "Reasons for Withdrawal",
    "Impact of the USSR's Withdrawal from China",
    "Shift in China's Foreign Policy",
    "Consequences for the Cold War",
    "Interesting Facts about the USSR's Withdrawal",
    "The end",
]
LAST_STEP = len(HEADINGS) - 1


def step_url(live_server, step: int) -> str:
    return f"{live_server.url}{PRESENT_PATH}?step={step}"


def slide_heading(page):
    return page.locator("#slide").get_by_role("heading").first


def expect_step(page, live_server, step: int):
    """The browser shows the step, and its keys work: present.js has run on the new page."""
    expect(page).to_have_url(step_url(live_server, step))
    expect(slide_heading(page)).to_have_text(HEADINGS[step])
    expect(page.get_by_role("status")).to_have_text(f"Step {step + 1} of {len(HEADINGS)}")
    expect(page.locator(".present-keys")).to_be_visible()


@pytest.fixture
def present(live_server, seed_lesson, page):
    """Open projector mode at a step, with JavaScript on."""

    def open_at(step: int | None = None):
        page.goto(f"{live_server.url}{PRESENT_PATH}" + ("" if step is None else f"?step={step}"))
        expect(page.locator(".present-keys")).to_be_visible()
        return page

    return open_at


@pytest.fixture
def no_js_page(live_server, seed_lesson, browser):
    context = browser.new_context(java_script_enabled=False)
    yield context.new_page()
    context.close()


def test_space_arrow_right_and_page_down_each_go_one_step_on_and_the_url_follows(live_server, present):
    page = present()
    expect(slide_heading(page)).to_have_text(TITLE)

    page.keyboard.press("Space")
    expect_step(page, live_server, 1)

    page.keyboard.press("ArrowRight")
    expect_step(page, live_server, 2)

    page.keyboard.press("PageDown")
    expect_step(page, live_server, 3)


def test_arrow_left_page_up_and_backspace_each_go_one_step_back(live_server, present):
    page = present(5)

    page.keyboard.press("ArrowLeft")
    expect_step(page, live_server, 4)

    page.keyboard.press("PageUp")
    expect_step(page, live_server, 3)

    page.keyboard.press("Backspace")
    expect_step(page, live_server, 2)


def test_home_and_end_go_to_the_first_and_the_last_step(live_server, present):
    page = present(3)

    page.keyboard.press("End")
    expect_step(page, live_server, LAST_STEP)
    expect(page.locator("#slide")).to_contain_text("Back to the lesson")

    page.keyboard.press("Home")
    expect_step(page, live_server, 0)


def test_keys_do_nothing_past_either_end(live_server, present):
    page = present(0)
    page.keyboard.press("ArrowLeft")
    page.keyboard.press("Backspace")
    expect_step(page, live_server, 0)

    page.goto(step_url(live_server, LAST_STEP))
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Space")
    expect_step(page, live_server, LAST_STEP)


def test_escape_leaves_to_the_reading_view_at_the_current_section_with_panels_as_they_were(live_server, present):
    page = present(2)

    page.keyboard.press("Escape")

    expect(page).to_have_url(f"{live_server.url}{LESSON_PATH}#reasons-for-withdrawal")
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    expect(page.locator("#reasons-for-withdrawal")).to_be_in_viewport()
    expect(page.locator(".site-header")).to_be_visible()
    toggles = page.locator(".panel-toggle")
    expect(toggles).to_have_count(2)
    for index in range(2):
        expect(toggles.nth(index)).to_have_attribute("aria-expanded", "false")


def test_escape_on_a_sub_panel_leaves_to_the_panel_that_holds_it(live_server, present):
    page = present(5)

    page.keyboard.press("Escape")

    expect(page).to_have_url(f"{live_server.url}{LESSON_PATH}#impact-of-the-ussrs-withdrawal-from-china")
    expect(page.locator("#impact-of-the-ussrs-withdrawal-from-china")).to_be_in_viewport()


def test_on_screen_buttons_go_on_back_and_leave_and_are_large_enough_to_touch(live_server, present):
    page = present(0)
    for name in ["Next", "Leave"]:
        box = page.get_by_role("link", name=name).bounding_box()
        assert box["width"] >= 44 and box["height"] >= 44, name
    expect(page.get_by_role("link", name="Previous")).to_have_attribute("aria-disabled", "true")

    page.get_by_role("link", name="Next").click()
    expect_step(page, live_server, 1)
    page.get_by_role("link", name="Next").click()
    expect_step(page, live_server, 2)
    box = page.get_by_role("link", name="Previous").bounding_box()
    assert box["width"] >= 44 and box["height"] >= 44
    page.get_by_role("link", name="Previous").click()
    expect_step(page, live_server, 1)

    page.get_by_role("link", name="Leave").click()

    expect(page).to_have_url(f"{live_server.url}{LESSON_PATH}#background-of-sino-soviet-relations")
    expect(page.locator("#background-of-sino-soviet-relations")).to_be_in_viewport()


def test_without_javascript_the_buttons_are_links_that_work(live_server, seed_lesson, no_js_page):
    page = no_js_page
    page.goto(f"{live_server.url}{PRESENT_PATH}")
    expect(page.locator(".present-keys")).to_be_hidden()

    page.get_by_role("link", name="Next").click()
    expect(page).to_have_url(step_url(live_server, 1))
    expect(slide_heading(page)).to_have_text(HEADINGS[1])
    page.get_by_role("link", name="Next").click()
    expect(page).to_have_url(step_url(live_server, 2))
    page.get_by_role("link", name="Previous").click()
    expect(page).to_have_url(step_url(live_server, 1))
    expect(slide_heading(page)).to_have_text(HEADINGS[1])
    expect(page.get_by_role("status")).to_have_text(f"Step 2 of {len(HEADINGS)}")

    page.get_by_role("link", name="Leave").click()

    expect(page).to_have_url(f"{live_server.url}{LESSON_PATH}#background-of-sino-soviet-relations")
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)


def test_reloading_keeps_the_step(live_server, present):
    page = present(0)
    page.keyboard.press("ArrowRight")
    expect_step(page, live_server, 1)
    page.keyboard.press("ArrowRight")
    expect_step(page, live_server, 2)

    page.reload()

    expect_step(page, live_server, 2)


def test_browser_back_returns_to_the_previous_step_and_its_keys_still_work(live_server, present):
    page = present(0)
    page.keyboard.press("ArrowRight")
    expect_step(page, live_server, 1)

    page.go_back()
    expect_step(page, live_server, 0)
    page.keyboard.press("ArrowRight")

    expect_step(page, live_server, 1)


def test_space_scrolls_a_step_too_long_for_the_screen_before_moving_on(live_server, seed_lesson, browser):
    context = browser.new_context(viewport={"width": 480, "height": 400})
    page = context.new_page()
    page.goto(step_url(live_server, 1))
    expect(page.locator(".present-keys")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollHeight > innerHeight + 100")

    page.keyboard.press("Space")

    expect(page).to_have_url(step_url(live_server, 1))
    # (Polled from here: wait_for_function evaluates a string in the page, which the CSP forbids.)
    for _ in range(50):
        if page.evaluate("window.scrollY") > 0:
            break
        page.wait_for_timeout(50)
    assert page.evaluate("window.scrollY") > 0
    for _ in range(20):
        if page.url != step_url(live_server, 1):
            break
        page.keyboard.press("Space")
        page.wait_for_timeout(100)  # let the scroll settle before the next press
    expect_step(page, live_server, 2)
    # The arrows move on at once, whatever is left to scroll.
    page.goto(step_url(live_server, 1))
    expect(page.locator(".present-keys")).to_be_visible()
    page.keyboard.press("ArrowRight")
    expect_step(page, live_server, 2)
    context.close()


def test_the_projector_shows_no_site_chrome_and_keeps_a_skip_link_and_landmarks(live_server, present):
    page = present(2)

    expect(page.locator(".site-header")).to_be_hidden()
    expect(page.locator(".site-footer")).to_be_hidden()
    expect(page.get_by_role("main")).to_be_visible()
    expect(page.get_by_role("navigation", name="Presentation")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to main content")).to_be_focused()


@pytest.mark.parametrize("color_scheme", ["light", "dark"])
def test_every_kind_of_step_has_no_accessibility_violations(live_server, seed_lesson, page, color_scheme):
    page.emulate_media(color_scheme=color_scheme)
    for step in [0, 1, 2, 4, 6, LAST_STEP]:
        page.goto(step_url(live_server, step))
        expect(page.locator(".present-keys")).to_be_visible()
        assert axe_violations(page) == [], step


def test_junk_in_the_address_shows_the_first_step(live_server, seed_lesson, page):
    page.goto(f"{live_server.url}{PRESENT_PATH}?step=%3Cscript%3E")

    expect(slide_heading(page)).to_have_text(TITLE)
    expect(page.get_by_role("link", name="Next")).to_have_attribute("href", re.compile(r"\?step=1$"))
