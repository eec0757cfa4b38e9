"""axe-core (WCAG 2.2 A and AA rules) on every kind of page, in Chromium."""

import pytest
from playwright.sync_api import expect

from .axe import axe_violations

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("color_scheme", ["light", "dark"])
def test_index_and_lesson_with_open_panels_have_no_violations(live_server, seed_lesson, page, color_scheme):
    page.emulate_media(color_scheme=color_scheme)
    page.goto(live_server.url + "/")
    assert axe_violations(page) == []

    page.goto(f"{live_server.url}/lessons/{seed_lesson.slug}/")
    assert axe_violations(page) == []

    # Swapped-in content is only checked once it is there.
    page.locator("[data-panels=expand]").click()
    expect(page.locator("#consequences-for-the-cold-war-body")).to_contain_text("President Nixon")
    assert axe_violations(page) == []


def test_not_found_page_has_no_violations(live_server, db, page):
    page.goto(live_server.url + "/lessons/no-such-lesson/")

    assert axe_violations(page) == []


def test_axe_reports_a_page_that_breaks_the_rules(live_server, db, page):
    # The check itself can fail: an image without alt text and faint text are reported.
    page.goto(live_server.url + "/")
    # The faint colour is set through the DOM: the Content Security Policy blocks a style="" attribute.
    page.evaluate(
        """() => {
            const main = document.querySelector('main');
            main.insertAdjacentHTML('beforeend', '<img src="/static/img/favicon.svg"><p>faint</p>');
            main.lastElementChild.style.color = '#bbb';
        }"""
    )

    assert {violation[0] for violation in axe_violations(page)} >= {"image-alt", "color-contrast"}
