"""An editor reorders a lesson's sections and readings, and previews Markdown, in the admin in a real browser."""

import pytest
from playwright.sync_api import expect

from events.models import Lesson

pytestmark = pytest.mark.django_db(transaction=True)

SLUG = "reorder-me"


@pytest.fixture
def lesson(make_lesson) -> Lesson:
    return make_lesson(SLUG, panels=3, readings=2, status=Lesson.Status.DRAFT)


@pytest.fixture
def change_page(live_server, page, editor, lesson):
    """The lesson's admin change page, reached by logging in through the admin's login form."""
    change_url = f"/admin/events/lesson/{lesson.pk}/change/"
    page.goto(f"{live_server.url}/admin/login/?next={change_url}")
    page.get_by_label("Username").fill(editor.username)
    page.get_by_label("Password").fill(f"{editor.username}-password-1")
    page.get_by_role("button", name="Log in").click()
    expect(page).to_have_url(f"{live_server.url}{change_url}")
    # The script adds its controls once the page has loaded.
    expect(page.locator("#sections-group .reorder-controls")).to_have_count(3)
    expect(page.locator("#readings-group .reorder-controls")).to_have_count(2)
    return page


def rows(page, group: str):
    return page.locator(f"#{group}-group .inline-related:not(.empty-form)")


def row_titled(page, group: str, title: str):
    return rows(page, group).filter(has=page.locator("h3 .inline_label", has_text=title))


def row_labels(page, group: str):
    return rows(page, group).locator("h3 .inline_label")


def expect_order_numbers(page, group: str, numbers: list[str]):
    """The visible Order inputs, from the top of the page down, read these numbers."""
    inputs = rows(page, group).locator("input[name$='-order']")
    expect(inputs).to_have_count(len(numbers))
    for index, number in enumerate(numbers):
        expect(inputs.nth(index)).to_have_value(number)


def drag_like_a_person(page, handle, target, *, y: float):
    """Press on the handle, move the pointer in small steps to y pixels into the target, and let go there
    after the hand has settled, as a person does; one jump to the target, as `drag_to` makes, would
    skip the drag events that a person's movement sends over the rows it passes."""
    handle.hover()
    page.mouse.down()
    box = target.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + y
    page.mouse.move(x, y, steps=20)
    page.mouse.move(x, y + 1)
    page.mouse.move(x, y)
    page.mouse.up()


def save_and_continue(page):
    page.get_by_role("button", name="Save and continue editing").click()
    expect(page.locator(".messagelist .success")).to_contain_text("was changed successfully")


def test_an_editor_drags_the_last_section_to_the_top_and_saves_the_new_order(live_server, change_page, lesson):
    page = change_page
    group = page.locator("#sections-group")
    # A window tall enough to show every section, so that the drag needs no scrolling.
    page.set_viewport_size({"width": 1280, "height": int(group.bounding_box()["height"]) + 200})
    group.scroll_into_view_if_needed()
    handle = row_titled(page, "sections", "Cause 3").locator(".drag-handle")
    target = row_titled(page, "sections", "Cause 1")
    expect(handle).to_be_in_viewport()
    expect(target).to_be_in_viewport()

    drag_like_a_person(page, handle, target, y=5)

    expect(row_labels(page, "sections")).to_have_text(["Cause 3", "Cause 1", "Cause 2"])
    expect_order_numbers(page, "sections", ["1", "2", "3"])
    expect(group.locator(".reorder-status")).to_have_text("Order changed. Save to keep it.")

    save_and_continue(page)

    assert list(lesson.sections.values_list("heading", flat=True)) == ["Cause 3", "Cause 1", "Cause 2"]
    expect(row_labels(page, "sections")).to_have_text(["Cause 3", "Cause 1", "Cause 2"])
    page.goto(f"{live_server.url}/lessons/{SLUG}/")
    expect(page.locator(".preview-banner")).to_contain_text("Draft preview.")
    expect(page.locator(".panels .panel-title")).to_have_text(["Cause 3", "Cause 1", "Cause 2"])


def test_an_editor_moves_the_first_reading_down_with_the_keyboard_and_saves(change_page, lesson):
    page = change_page
    book_1 = row_titled(page, "readings", "Book 1")
    move_down = book_1.get_by_role("button", name="Move down")
    move_down.focus()

    page.keyboard.press("Enter")

    expect(move_down).to_be_focused()
    expect(row_labels(page, "readings")).to_have_text(["Book 2 (A. Historian)", "Book 1 (A. Historian)"])
    expect_order_numbers(page, "readings", ["1", "2"])
    expect(book_1.locator("input[name$='-order']")).to_have_value("2")
    expect(page.locator("#readings-group .reorder-status")).to_have_text(
        "Moved to position 2. Save to keep the new order."
    )

    save_and_continue(page)

    assert list(lesson.readings.values_list("title", flat=True)) == ["Book 2", "Book 1"]


def test_the_markdown_preview_shows_emphasis_and_warns_about_a_link_that_saving_will_refuse(change_page):
    page = change_page
    section = row_titled(page, "sections", "Cause 1")
    section.locator("textarea[name$='-body']").fill("Some *emphasis* and [a bad link](javascript:alert(1))")

    with page.expect_response(lambda response: response.url.endswith("/preview-markdown/")) as response:
        section.get_by_role("button", name="Preview").click()

    assert response.value.status == 200
    preview = section.locator(".markdown-preview")
    expect(preview).to_be_visible()
    expect(preview.locator("em")).to_have_text("emphasis")
    expect(preview.locator(".preview-problem")).to_contain_text("These links will be refused when you save")
    expect(preview.locator(".preview-problem code")).to_have_text("javascript:alert(1)")
    expect(preview.locator("a[href^='javascript']")).to_have_count(0)
