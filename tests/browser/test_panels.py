"""The lesson page's cause and impact panels in a real browser: htmx, keyboard, no JavaScript, print."""

import re

import pytest
from playwright.sync_api import expect

from events.models import Lesson

pytestmark = pytest.mark.django_db(transaction=True)

SLUG = "ussrs-withdrawal-from-china"
CAUSE = "reasons-for-withdrawal"
IMPACT = "impact-of-the-ussrs-withdrawal-from-china"
SUBPANELS = ["shift-in-chinas-foreign-policy", "consequences-for-the-cold-war"]
# A phrase from each panel's own body (not its teaser), so that seeing it means the body is open.
BODY_TEXT = {
    CAUSE: "Bucharest",
    IMPACT: "Hundreds of projects were left unfinished",
    "shift-in-chinas-foreign-policy": "Ussuri river",
    "consequences-for-the-cold-war": "President Nixon",
}
ALL_PANELS = [CAUSE, IMPACT, *SUBPANELS]


def panel_path(anchor: str) -> str:
    return f"/lessons/{SLUG}/panels/{anchor}/"


def toggle(page, anchor: str):
    return page.locator(f"#{anchor} > .panel-header .panel-toggle")


def body(page, anchor: str):
    return page.locator(f"#{anchor}-body")


def record_panel_requests(page) -> list:
    requests = []
    page.on("request", lambda request: requests.append(request.url) if "/panels/" in request.url else None)
    return requests


def let_pending_requests_arrive(page):
    """Make one more request and wait for it: the browser reports requests in order, so any
    panel request that a click started has been reported by the time this one has."""
    with page.expect_response(lambda response: "after-the-clicks" in response.url):
        page.evaluate("fetch('/?after-the-clicks')")


@pytest.fixture
def lesson_page(live_server, seed_lesson, page):
    """The seed lesson open in a browser with JavaScript on."""
    page.goto(f"{live_server.url}/lessons/{SLUG}/")
    return page


@pytest.fixture
def no_js_page(live_server, seed_lesson, browser):
    """The seed lesson open in a browser with JavaScript off."""
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{live_server.url}/lessons/{SLUG}/")
    yield page
    context.close()


def test_clicking_a_panel_opens_it_in_place_with_htmx_and_clicking_again_closes_it_without_a_request(lesson_page):
    page = lesson_page
    url_before = page.url
    panel_requests = record_panel_requests(page)
    cause = toggle(page, CAUSE)
    expect(cause).to_have_attribute("aria-expanded", "false")
    expect(body(page, CAUSE)).to_be_hidden()

    with page.expect_response(lambda response: response.url.endswith(panel_path(CAUSE))) as response:
        cause.click()

    assert response.value.status == 200
    assert response.value.request.headers.get("hx-request") == "true"
    expect(cause).to_have_attribute("aria-expanded", "true")
    expect(body(page, CAUSE)).to_be_visible()
    expect(body(page, CAUSE)).to_contain_text(BODY_TEXT[CAUSE])
    assert page.url == url_before

    cause.click()

    expect(cause).to_have_attribute("aria-expanded", "false")
    expect(body(page, CAUSE)).to_be_hidden()
    assert page.url == url_before
    let_pending_requests_arrive(page)
    assert panel_requests == [response.value.url]


def test_reopening_a_loaded_panel_shows_it_again_without_a_request(lesson_page):
    page = lesson_page
    cause = toggle(page, CAUSE)
    with page.expect_response(lambda response: "/panels/" in response.url):
        cause.click()
    expect(body(page, CAUSE)).to_contain_text(BODY_TEXT[CAUSE])
    cause.click()
    expect(body(page, CAUSE)).to_be_hidden()
    panel_requests = record_panel_requests(page)

    cause.click()

    expect(cause).to_have_attribute("aria-expanded", "true")
    expect(body(page, CAUSE)).to_contain_text(BODY_TEXT[CAUSE])
    let_pending_requests_arrive(page)
    assert panel_requests == []


def test_enter_on_a_focused_panel_toggle_opens_the_panel_and_keeps_focus_on_the_toggle(lesson_page):
    page = lesson_page
    cause = toggle(page, CAUSE)
    cause.focus()

    with page.expect_response(lambda response: response.url.endswith(panel_path(CAUSE))) as response:
        page.keyboard.press("Enter")

    assert response.value.request.headers.get("hx-request") == "true"
    expect(cause).to_have_attribute("aria-expanded", "true")
    expect(body(page, CAUSE)).to_contain_text(BODY_TEXT[CAUSE])
    expect(cause).to_be_focused()

    page.keyboard.press("Enter")

    expect(cause).to_have_attribute("aria-expanded", "false")
    expect(body(page, CAUSE)).to_be_hidden()
    expect(cause).to_be_focused()


def test_a_sub_panel_opens_inside_its_opened_impact_panel_under_an_h3_heading(lesson_page):
    page = lesson_page
    with page.expect_response(lambda response: response.url.endswith(panel_path(IMPACT))):
        toggle(page, IMPACT).click()
    expect(body(page, IMPACT)).to_contain_text(BODY_TEXT[IMPACT])
    subpanel = SUBPANELS[0]
    sub_toggle = body(page, IMPACT).locator(f"#{subpanel} .panel-toggle")
    expect(sub_toggle).to_have_attribute("aria-expanded", "false")

    with page.expect_response(lambda response: response.url.endswith(panel_path(subpanel))) as response:
        sub_toggle.click()

    assert response.value.request.headers.get("hx-request") == "true"
    expect(sub_toggle).to_have_attribute("aria-expanded", "true")
    expect(body(page, subpanel)).to_contain_text(BODY_TEXT[subpanel])
    expect(page.locator(f"h3#{subpanel}-heading")).to_contain_text("Shift in China's Foreign Policy")
    expect(page.get_by_role("heading", level=3, name="Shift in China's Foreign Policy")).to_be_visible()
    expect(toggle(page, IMPACT)).to_have_attribute("aria-expanded", "true")


def test_sub_panels_arrive_collapsed_with_hidden_empty_bodies_when_their_impact_panel_opens(lesson_page):
    page = lesson_page

    with page.expect_response(lambda response: response.url.endswith(panel_path(IMPACT))):
        toggle(page, IMPACT).click()

    expect(body(page, IMPACT)).to_contain_text(BODY_TEXT[IMPACT])
    for subpanel in SUBPANELS:
        expect(toggle(page, subpanel)).to_have_attribute("aria-expanded", "false")
        expect(body(page, subpanel)).to_be_empty()
        expect(body(page, subpanel)).to_be_hidden()


def test_expand_all_opens_every_panel_and_sub_panel_and_collapse_all_closes_them(lesson_page):
    page = lesson_page
    url_before = page.url

    page.locator("[data-panels=expand]").click()

    for anchor in ALL_PANELS:
        expect(toggle(page, anchor)).to_have_attribute("aria-expanded", "true")
        expect(body(page, anchor)).to_be_visible()
        expect(body(page, anchor)).to_contain_text(BODY_TEXT[anchor])
    assert page.url == url_before

    page.locator("[data-panels=collapse]").click()

    for anchor in ALL_PANELS:
        expect(toggle(page, anchor)).to_have_attribute("aria-expanded", "false")
        expect(body(page, anchor)).to_be_hidden()
    assert page.url == url_before


def test_without_javascript_a_panel_toggle_goes_to_the_lesson_page_with_that_panel_open(live_server, no_js_page):
    page = no_js_page

    toggle(page, CAUSE).click()

    expect(page).to_have_url(re.compile(re.escape(f"{live_server.url}{panel_path(CAUSE)}") + f"(#{CAUSE})?$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("USSR's Withdrawal from China")
    expect(toggle(page, CAUSE)).to_have_attribute("aria-expanded", "true")
    expect(body(page, CAUSE)).to_be_visible()
    expect(body(page, CAUSE)).to_contain_text(BODY_TEXT[CAUSE])
    expect(toggle(page, IMPACT)).to_have_attribute("aria-expanded", "false")
    expect(body(page, IMPACT)).to_be_hidden()


def test_without_javascript_expand_all_shows_every_panel_open(live_server, no_js_page):
    page = no_js_page

    page.locator("[data-panels=expand]").click()

    expect(page).to_have_url(re.compile(re.escape(f"{live_server.url}/lessons/{SLUG}/?expand=all")))
    for anchor in ALL_PANELS:
        expect(toggle(page, anchor)).to_have_attribute("aria-expanded", "true")
        expect(body(page, anchor)).to_be_visible()
        expect(body(page, anchor)).to_contain_text(BODY_TEXT[anchor])


def test_printing_loads_and_shows_every_panel_and_hides_the_controls(lesson_page):
    page = lesson_page

    page.evaluate("window.dispatchEvent(new Event('beforeprint'))")
    page.emulate_media(media="print")

    for anchor in ALL_PANELS:
        expect(body(page, anchor)).to_be_visible()
        expect(body(page, anchor)).to_contain_text(BODY_TEXT[anchor])
    expect(page.locator(".panel-controls")).to_be_hidden()
    expect(page.locator(".site-header")).to_be_hidden()
    expect(page.locator(".site-footer")).to_be_hidden()


def test_after_printing_the_panels_close_again(lesson_page):
    page = lesson_page
    page.evaluate("window.dispatchEvent(new Event('beforeprint'))")
    for anchor in ALL_PANELS:
        expect(toggle(page, anchor)).to_have_attribute("aria-expanded", "true")

    page.evaluate("window.dispatchEvent(new Event('afterprint'))")

    for anchor in ALL_PANELS:
        expect(toggle(page, anchor)).to_have_attribute("aria-expanded", "false")
        expect(body(page, anchor)).to_be_hidden()


def test_a_panel_that_fails_to_load_falls_back_to_its_own_page(live_server, lesson_page, seed_lesson):
    page = lesson_page
    Lesson.objects.filter(pk=seed_lesson.pk).update(status=Lesson.Status.DRAFT)

    with page.expect_response(lambda response: response.url.endswith(panel_path(CAUSE))) as response:
        toggle(page, CAUSE).click()

    assert response.value.status == 404
    expect(page).to_have_url(re.compile(re.escape(f"{live_server.url}{panel_path(CAUSE)}") + f"(#{CAUSE})?$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("We could not find that page")
    expect(page.locator(".site-header")).to_be_visible()
