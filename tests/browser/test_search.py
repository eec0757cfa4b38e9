"""Finding lessons on the index in a real browser: live search, filters, history, no JavaScript."""

import re
from pathlib import Path

import django_htmx
import pytest
from playwright.sync_api import expect

from events.models import Topic
from events.search import PER_PAGE

from .axe import axe_violations

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def lessons(make_lesson):
    """Three lessons about treaties and one about a wall, with themes and regions."""
    cold_war = Topic.objects.create(kind=Topic.Kind.THEME, name="Cold War", slug="cold-war")
    asia = Topic.objects.create(kind=Topic.Kind.REGION, name="Asia", slug="asia")
    europe = Topic.objects.create(kind=Topic.Kind.REGION, name="Europe", slug="europe")
    for slug, title, date, topics in [
        ("friendship", "Treaty of Friendship", "1950-02-14", [cold_war, asia]),
        ("test-ban", "Partial Test Ban Treaty", "1963-08-05", [cold_war, europe]),
        ("rome", "Treaties of Rome", "1957-03-25", [europe]),
        ("wall", "The Berlin Wall", "1961-08-13", [cold_war, europe]),
    ]:
        make_lesson(slug, title=title, event_date=date).topics.set(topics)


HTMX_4 = Path(django_htmx.__file__).parent / "static" / "django_htmx" / "htmx-4.min.js"


@pytest.fixture(params=[2, 4], ids=["htmx2", "htmx4"])
def htmx_version(request) -> int:
    return request.param


@pytest.fixture
def page(page, htmx_version):
    """A page with the htmx the site serves (2), and again with htmx 4 in its place: the same
    markup must work on both."""
    if htmx_version == 4:
        page.route("**/django_htmx/htmx-2.min.js", lambda route: route.fulfill(path=HTMX_4))
    return page


def titles(page):
    return page.locator(".lesson-card h2")


def search_box(page):
    return page.get_by_role("searchbox", name="Search the lessons")


def is_results_request(response) -> bool:
    return response.request.headers.get("hx-request") == "true" and "q=" in response.url


def test_results_follow_the_words_as_they_are_typed_without_reloading_the_page(
    live_server, lessons, page, htmx_version
):
    page.goto(live_server.url + "/")
    assert page.evaluate("htmx.version").startswith(str(htmx_version))
    expect(titles(page)).to_have_count(4)
    # Stays set only if the page is never loaded again; the live region must stay the same element.
    page.evaluate("window.sameDocument = true; window.countRegion = document.getElementById('result-count')")

    with page.expect_response(is_results_request) as response:
        search_box(page).press_sequentially("treat", delay=30)

    assert response.value.status == 200
    assert "q=treat" in response.value.url
    expect(titles(page)).to_have_text(["Treaty of Friendship", "Treaties of Rome", "Partial Test Ban Treaty"])
    expect(page.locator(".lesson-card mark").first).to_have_text("Treaty")
    expect(page.get_by_role("status")).to_have_text("3 lessons match 'treat'.")
    expect(page).to_have_url(f"{live_server.url}/?q=treat")
    assert page.evaluate("window.sameDocument === true")
    assert page.evaluate("document.getElementById('result-count') === window.countRegion")
    expect(search_box(page)).to_be_focused()
    expect(search_box(page)).to_have_value("treat")


def test_typing_quickly_asks_for_results_once(live_server, lessons, page):
    page.goto(live_server.url + "/")
    requests = []
    page.on("request", lambda request: requests.append(request.url) if "q=" in request.url else None)

    with page.expect_response(is_results_request):
        search_box(page).press_sequentially("treaty", delay=20)
    expect(titles(page)).to_have_count(3)

    assert requests == [f"{live_server.url}/?q=treaty"]


def test_a_filter_narrows_the_results_and_the_back_button_undoes_each_step(live_server, lessons, page):
    page.goto(live_server.url + "/")
    with page.expect_response(is_results_request):
        search_box(page).fill("treaty")
    expect(titles(page)).to_have_count(3)
    expect(page).to_have_url(f"{live_server.url}/?q=treaty")

    with page.expect_response(lambda response: "region=asia" in response.url):
        page.get_by_role("checkbox", name="Asia").check()

    expect(titles(page)).to_have_text(["Treaty of Friendship"])
    expect(page).to_have_url(f"{live_server.url}/?q=treaty&region=asia")
    expect(page.get_by_role("status")).to_have_text("1 lesson matches 'treaty' in the chosen topics.")

    page.go_back()

    expect(page).to_have_url(f"{live_server.url}/?q=treaty")
    expect(titles(page)).to_have_count(3)
    expect(search_box(page)).to_have_value("treaty")
    expect(page.get_by_role("checkbox", name="Asia")).not_to_be_checked()

    page.go_back()

    expect(page).to_have_url(f"{live_server.url}/")
    expect(titles(page)).to_have_count(4)
    expect(search_box(page)).to_have_value("")

    page.go_forward()

    expect(page).to_have_url(f"{live_server.url}/?q=treaty")
    expect(titles(page)).to_have_count(3)
    expect(search_box(page)).to_have_value("treaty")


def test_enter_in_the_search_box_asks_once_and_adds_one_step_to_history(live_server, lessons, page):
    page.goto(live_server.url + "/")
    steps_before = page.evaluate("history.length")
    search_box(page).focus()
    page.keyboard.insert_text("wall")  # one input event; its request waits for the typing to stop

    with page.expect_response(is_results_request):
        page.keyboard.press("Enter")
    expect(titles(page)).to_have_text(["The Berlin Wall"])
    page.wait_for_timeout(500)  # past the typing delay: a second request would have gone by now

    assert page.evaluate("history.length") == steps_before + 1
    page.go_back()
    expect(page).to_have_url(f"{live_server.url}/")


def test_an_address_with_a_search_and_filters_can_be_shared(live_server, lessons, page):
    page.goto(f"{live_server.url}/?q=treaty&region=europe&theme=cold-war")

    expect(search_box(page)).to_have_value("treaty")
    expect(page.get_by_role("checkbox", name="Europe")).to_be_checked()
    expect(page.get_by_role("checkbox", name="Cold War")).to_be_checked()
    expect(titles(page)).to_have_text(["Partial Test Ban Treaty"])


def test_page_links_load_the_next_page_in_place(live_server, make_lesson, page):
    for n in range(PER_PAGE + 2):
        make_lesson(f"treaty-{n}", title=f"Treaty {n:02}", event_date=f"{1950 + n}-01-01", panels=0, readings=0)
    page.goto(live_server.url + "/?q=treaty")
    page.evaluate("window.sameDocument = true")

    with page.expect_response(lambda response: "page=2" in response.url) as response:
        page.get_by_role("link", name="Next page").click()

    assert response.value.request.headers.get("hx-request") == "true"
    expect(titles(page)).to_have_text([f"Treaty {PER_PAGE:02}", f"Treaty {PER_PAGE + 1:02}"])
    expect(page).to_have_url(f"{live_server.url}/?q=treaty&page=2")
    expect(page.get_by_role("status")).to_contain_text("Page 2 of 2.")
    assert page.evaluate("window.sameDocument === true")


def test_without_javascript_the_form_searches_and_filters_with_ordinary_requests(live_server, lessons, browser):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(live_server.url + "/")

    search_box(page).fill("treaty")
    page.get_by_role("button", name="Search").click()

    expect(page).to_have_url(f"{live_server.url}/?q=treaty")
    expect(titles(page)).to_have_count(3)
    expect(page.get_by_role("heading", level=1)).to_have_text("History lessons")

    page.get_by_role("checkbox", name="Europe").check()
    search_box(page).press("Enter")

    expect(page).to_have_url(re.compile(re.escape(f"{live_server.url}/?q=treaty&region=europe")))
    expect(titles(page)).to_have_text(["Treaties of Rome", "Partial Test Ban Treaty"])
    expect(page.get_by_role("checkbox", name="Europe")).to_be_checked()
    context.close()


def test_without_javascript_the_empty_state_suggests_a_shorter_word(live_server, lessons, browser):
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(live_server.url + "/?q=treatyzzz")

    expect(page.get_by_role("status")).to_have_text("No lessons match 'treatyzzz'. Try a shorter word.")
    expect(titles(page)).to_have_count(0)
    context.close()


@pytest.mark.parametrize("color_scheme", ["light", "dark"])
def test_search_results_with_marked_words_have_no_accessibility_violations(live_server, lessons, page, color_scheme):
    page.emulate_media(color_scheme=color_scheme)
    page.goto(live_server.url + "/")
    with page.expect_response(is_results_request):
        search_box(page).fill("treaty")
    expect(page.locator(".lesson-card mark").first).to_be_visible()

    assert axe_violations(page) == []
