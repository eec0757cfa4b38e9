"""Key terms in a real browser: the definition opens on focus, hover and tap, and Escape dismisses it."""

import pytest
from playwright.sync_api import expect

from .axe import axe_violations

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def lesson_page(live_server, seed_lesson, page):
    seed_lesson.key_terms.all().delete()
    seed_lesson.key_terms.create(term="Five-Year Plan", definition="A government's plan for the economy's growth.")
    page.goto(f"{live_server.url}/lessons/{seed_lesson.slug}/")
    return page


def term(page):
    return page.locator(".term").filter(has_text="Five-Year Plan")


def test_keyboard_focus_shows_the_definition_and_escape_dismisses_it(lesson_page):
    page = lesson_page
    definition = term(page).locator(".term-definition")
    expect(definition).to_be_hidden()

    term(page).locator(".term-link").focus()

    expect(definition).to_be_visible()
    expect(definition).to_have_text("A government's plan for the economy's growth.")
    expect(term(page).locator(".term-link")).to_have_attribute("aria-describedby", "term-five-year-plan-definition")

    page.keyboard.press("Escape")

    expect(definition).to_be_hidden()
    expect(term(page).locator(".term-link")).to_be_focused()


def test_hover_shows_the_definition(lesson_page):
    page = lesson_page

    term(page).locator(".term-link").hover()

    expect(term(page).locator(".term-definition")).to_be_visible()


def test_first_tap_opens_the_definition_and_the_second_goes_to_the_glossary(lesson_page):
    page = lesson_page
    url = page.url
    link = term(page).locator(".term-link")

    link.click()
    page.mouse.move(0, 0)  # away from the term: the definition stays open after a tap

    expect(term(page).locator(".term-definition")).to_be_visible()
    assert page.url == url

    link.click()

    expect(page).to_have_url(url + "#term-five-year-plan")
    expect(page.locator("#term-five-year-plan")).to_be_in_viewport()


def test_without_javascript_a_term_links_to_its_glossary_entry(live_server, seed_lesson, browser):
    seed_lesson.key_terms.all().delete()
    seed_lesson.key_terms.create(term="Five-Year Plan", definition="A government's plan for the economy's growth.")
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{live_server.url}/lessons/{seed_lesson.slug}/")

    term(page).locator(".term-link").click()

    expect(page).to_have_url(f"{live_server.url}/lessons/{seed_lesson.slug}/#term-five-year-plan")
    expect(page.locator("#glossary")).to_contain_text("A government's plan for the economy's growth.")
    context.close()


def test_an_open_definition_passes_axe(lesson_page):
    term(lesson_page).locator(".term-link").focus()

    assert axe_violations(lesson_page) == []
