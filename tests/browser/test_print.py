"""Printing a lesson gives a clean handout: every panel open, the glossary, questions, citations and address."""

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.django_db(transaction=True)


def test_printed_lesson_is_a_complete_handout_without_controls(live_server, seed_lesson, page):
    page.goto(f"{live_server.url}/lessons/{seed_lesson.slug}/")

    page.evaluate("window.dispatchEvent(new Event('beforeprint'))")
    page.emulate_media(media="print")

    for anchor in ["reasons-for-withdrawal", "shift-in-chinas-foreign-policy", "consequences-for-the-cold-war"]:
        expect(page.locator(f"#{anchor}-body")).to_be_visible()
    expect(page.locator("details.evidence li").first).to_be_visible()
    for heading in ["Glossary", "Questions for discussion", "Cite this lesson", "Historians disagree"]:
        expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()
    expect(page.get_by_text(f"This handout: {live_server.url}/lessons/{seed_lesson.slug}/")).to_be_visible()
    for control in [".site-header", ".site-footer", ".panel-controls", ".present-link", ".back-link"]:
        expect(page.locator(control)).to_be_hidden()
    expect(page.locator("button:visible")).to_have_count(0)
