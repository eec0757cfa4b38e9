"""Editors' work in the Django admin, through the test client."""

import datetime

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.formats import localize
from django.utils.html import escape

from events.models import Lesson, Reading, Section

from .admin_forms import add_inline_row, change_form_data, form_errors
from .conftest import text_of

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/events/lesson/"
ADD = "/admin/events/lesson/add/"


def change_url(lesson):
    return f"/admin/events/lesson/{lesson.pk}/change/"


def new_lesson_data(**overrides) -> dict[str, str]:
    data = {
        "status": "draft",
        "title": "The Bucharest Conference",
        "slug": "the-bucharest-conference",
        "event_date": "1960-06-01",
        "date_precision": "month",
        "summary": "In June 1960 Soviet and Chinese delegates clashed openly in Bucharest.",
        "sections-TOTAL_FORMS": "1",
        "sections-INITIAL_FORMS": "0",
        "sections-0-order": "1",
        "sections-0-kind": "cause",
        "sections-0-heading": "Why They Clashed",
        "sections-0-body": "Ideology and rivalry.",
        "readings-TOTAL_FORMS": "1",
        "readings-INITIAL_FORMS": "0",
        "readings-0-order": "1",
        "readings-0-title": "Mao and the Sino-Soviet Split, 1959–1973",
        "readings-0-authors": "Danhui Li and Yafeng Xia",
        "readings-0-year": "2018",
        "readings-0-isbn": "978-1-4985-1166-7",
        **{
            f"{prefix}-{field}": "0"
            for prefix in ["key_terms", "questions", "interpretations", "relations"]
            for field in ["TOTAL_FORMS", "INITIAL_FORMS"]
        },
    }
    return {**data, **overrides}


# Roles


def test_roles_are_created_with_exactly_their_permissions():
    editors = set(Group.objects.get(name="Editors").permissions.values_list("codename", flat=True))
    publishers = set(Group.objects.get(name="Publishers").permissions.values_list("codename", flat=True))

    content = {
        f"{action}_{model}" for action in ["view", "add", "change"] for model in ["lesson", "section", "reading"]
    }
    classroom = {
        f"{action}_{model}"
        for action in ["view", "add", "change", "delete"]
        for model in ["keyterm", "discussionquestion", "relatedlesson", "evidence", "interpretation", "topic"]
    }
    assert editors == content | classroom | {"delete_section", "delete_reading"}
    assert publishers == editors | {"publish_lesson", "delete_lesson"}


def test_editor_creates_a_draft_and_cannot_create_it_published(editor_client):
    refused = editor_client.post(ADD, new_lesson_data(status="published"))

    assert refused.status_code == 200
    assert "Select a valid choice. published is not one of the available choices." in text_of(refused)
    assert not Lesson.objects.exists()

    assert editor_client.post(ADD, new_lesson_data()).status_code == 302
    lesson = Lesson.objects.get(slug="the-bucharest-conference")
    assert lesson.status == Lesson.Status.DRAFT
    assert lesson.sections.get().heading == "Why They Clashed"
    assert lesson.readings.get().isbn == "9781498511667"


def test_editor_hands_a_draft_over_for_review_but_cannot_publish_it(editor_client, publisher, make_lesson):
    lesson = make_lesson("hand-over", status=Lesson.Status.DRAFT)
    page = editor_client.get(change_url(lesson))
    assert 'value="published"' not in text_of(page)
    data = change_form_data(page)

    refused = editor_client.post(change_url(lesson), {**data, "status": "published"})
    handed_over = editor_client.post(change_url(lesson), {**data, "status": "review"})

    assert "Select a valid choice." in text_of(refused)
    assert handed_over.status_code == 302
    assert Lesson.objects.get().status == Lesson.Status.REVIEW
    assert not Lesson.objects.published().exists()
    publisher_client = Client()
    publisher_client.force_login(publisher)
    waiting = text_of(publisher_client.get(CHANGELIST, {"status__exact": "review"}))
    assert "Hand Over" in waiting and "Ready for review" in waiting


def test_editor_edits_a_published_lesson_without_unpublishing_it(editor_client, seed_lesson):
    page = editor_client.get(change_url(seed_lesson))
    data = change_form_data(page)
    data.update(title="USSR's Withdrawal from China (1960)", status="draft")

    response = editor_client.post(change_url(seed_lesson), data)

    assert response.status_code == 302
    seed_lesson.refresh_from_db()
    assert seed_lesson.title == "USSR's Withdrawal from China (1960)"
    assert seed_lesson.status == Lesson.Status.PUBLISHED
    assert 'name="status"' not in text_of(page)


def test_editor_has_no_publish_action_and_cannot_delete_lessons(editor_client, seed_lesson):
    Lesson.objects.filter(pk=seed_lesson.pk).update(status=Lesson.Status.DRAFT)

    listing = editor_client.get(CHANGELIST)
    editor_client.post(CHANGELIST, {"action": "publish", "_selected_action": [seed_lesson.pk]})

    assert "Publish the selected lessons" not in text_of(listing)
    assert Lesson.objects.get().status == Lesson.Status.DRAFT
    assert editor_client.get(f"/admin/events/lesson/{seed_lesson.pk}/delete/").status_code == 403


@pytest.mark.parametrize("role_client", ["editor_client", "publisher_client"])
@pytest.mark.parametrize("url", ["/admin/auth/user/", "/admin/auth/group/", "/admin/auth/user/add/"])
def test_neither_role_can_touch_users_or_groups(role_client, url, request):
    client = request.getfixturevalue(role_client)

    assert client.get(url).status_code == 403


def test_publisher_publishes_and_unpublishes_with_the_actions(publisher_client, seed_lesson):
    Lesson.objects.filter(pk=seed_lesson.pk).update(status=Lesson.Status.DRAFT, published_at=None)

    response = publisher_client.post(
        CHANGELIST, {"action": "publish", "_selected_action": [seed_lesson.pk]}, follow=True
    )

    assert "Published: USSR&#x27;s Withdrawal from China." in text_of(response)
    assert list(Lesson.objects.published()) == [seed_lesson]

    publisher_client.post(CHANGELIST, {"action": "unpublish", "_selected_action": [seed_lesson.pk]})

    assert not Lesson.objects.published().exists()


def test_publisher_publishes_from_the_change_form(publisher_client, seed_lesson):
    Lesson.objects.filter(pk=seed_lesson.pk).update(status=Lesson.Status.DRAFT, published_at=None)
    data = change_form_data(publisher_client.get(change_url(seed_lesson)))
    data.update(status="published")

    assert publisher_client.post(change_url(seed_lesson), data).status_code == 302
    assert Lesson.objects.published().get() == seed_lesson


def test_admin_is_for_staff_only(client, django_user_model):
    student = django_user_model.objects.create_user("student", password="student-password-1")
    client.force_login(student)

    response = client.get(CHANGELIST)

    assert response.status_code == 302, form_errors(response)
    assert response["Location"].startswith("/admin/login/")


# Publishing needs real readings


def test_lesson_with_an_unidentified_reading_cannot_be_published(publisher_client, seed_lesson):
    Lesson.objects.filter(pk=seed_lesson.pk).update(status=Lesson.Status.DRAFT, published_at=None)
    seed_lesson.readings.create(order=9, title="A Book Nobody Can Find", authors="Anon")
    before = Lesson.objects.get().version

    data = change_form_data(publisher_client.get(change_url(seed_lesson)))
    data.update(status="published")
    response = publisher_client.post(change_url(seed_lesson), data)

    assert response.status_code == 200
    assert "Reading “A Book Nobody Can Find”: it has no ISBN, DOI or publisher or library catalogue URL." in (
        text_of(response)
    )
    assert Lesson.objects.get().version == before
    assert not Lesson.objects.published().exists()

    action = publisher_client.post(
        CHANGELIST, {"action": "publish", "_selected_action": [seed_lesson.pk]}, follow=True
    )

    assert "was not published. Reading “A Book Nobody Can Find”" in text_of(action)
    assert not Lesson.objects.published().exists()


def test_checking_a_reading_records_who_and_when(editor_client, editor, seed_lesson):
    data = change_form_data(editor_client.get(change_url(seed_lesson)))
    data["readings-0-confirm_checked"] = "on"

    editor_client.post(change_url(seed_lesson), data)

    reading = seed_lesson.readings.order_by("order").first()
    assert (reading.checked_by, reading.checked_on) == (editor, timezone.localdate())
    page = text_of(editor_client.get(change_url(seed_lesson)))
    assert f"Checked by edna on {localize(reading.checked_on)}" in page


# Validation next to the field


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("readings-0-isbn", "978-1-4985-1166-8", "This ISBN is not valid: its check digit is wrong"),
        ("readings-0-isbn", "12345", "an ISBN has 10 or 13 digits"),
        ("readings-0-doi", "not-a-doi", "This DOI is not valid"),
        ("readings-0-year", str(timezone.now().year + 1), "is in the future"),
        ("readings-0-url", "htp:/broken", "Enter a valid URL."),
        ("sections-0-heading", "", "This field is required."),
        ("sections-0-body", "[click](javascript:alert(1))", "Links must start with https://, http:// or /"),
        ("sections-0-body", "Text\n\n## A heading\n\nMore", "cannot hold headings"),
    ],
)
def test_bad_values_get_a_clear_message_and_save_nothing(editor_client, field, value, message):
    response = editor_client.post(ADD, new_lesson_data(**{field: value}))

    assert response.status_code == 200
    assert message in text_of(response)
    assert not Lesson.objects.exists()


def test_duplicate_slug_is_explained(editor_client, seed_lesson):
    response = editor_client.post(ADD, new_lesson_data(slug=seed_lesson.slug))

    assert "Another lesson already has this address" in text_of(response)
    assert Lesson.objects.count() == 1


def test_sub_panel_parent_must_be_in_the_same_lesson_and_top_level(editor_client, seed_lesson, make_lesson):
    other = make_lesson("other-lesson", panels=1)
    foreign_parent = other.sections.get()
    data = change_form_data(editor_client.get(change_url(seed_lesson)))
    cause_row = next(key.split("-")[1] for key, value in data.items() if value == "Reasons for Withdrawal")
    data[f"sections-{cause_row}-parent"] = str(foreign_parent.pk)

    response = editor_client.post(change_url(seed_lesson), data)

    assert response.status_code == 200
    assert "Select a valid choice" in text_of(response)

    sub_panel = seed_lesson.sections.get(heading="Shift in China's Foreign Policy")
    grandchild = Section(lesson=seed_lesson, heading="Deeper", kind="impact", parent=sub_panel, body="x")
    with pytest.raises(Exception, match="cannot hold sub-panels of its own"):
        grandchild.full_clean()


# Two editors at once


def test_second_save_of_a_stale_form_is_refused_and_keeps_the_editors_text(seed_lesson, editor, publisher):
    first, second = Client(), Client()
    first.force_login(editor)
    second.force_login(publisher)
    first_data = change_form_data(first.get(change_url(seed_lesson)))
    second_data = change_form_data(second.get(change_url(seed_lesson)))

    first_data["summary"] = "The first editor's summary."
    assert first.post(change_url(seed_lesson), first_data).status_code == 302

    second_data["summary"] = "The second editor's carefully written summary."
    response = second.post(change_url(seed_lesson), second_data)

    html = text_of(response)
    assert response.status_code == 200
    assert "Someone else saved this lesson" in html
    assert "(by edna)" in html
    assert "The second editor&#x27;s carefully written summary." in html
    assert 'name="overwrite"' in html and 'type="checkbox"' in html
    assert Lesson.objects.get().summary == "The first editor's summary."

    second_data["overwrite"] = "on"
    assert second.post(change_url(seed_lesson), second_data).status_code == 302
    assert Lesson.objects.get().summary == "The second editor's carefully written summary."


# Draft preview and scheduling


def test_staff_preview_a_draft_at_its_real_address_and_the_public_gets_404(client, editor, make_lesson):
    draft = make_lesson("a-draft", status=Lesson.Status.DRAFT, panels=1)

    assert client.get("/lessons/a-draft/").status_code == 404
    client.force_login(editor)
    response = client.get("/lessons/a-draft/")
    fragment = client.get("/lessons/a-draft/panels/cause-1/", headers={"HX-Request": "true"})

    assert response.status_code == 200
    assert "Draft preview." in text_of(response)
    assert "The public cannot see this lesson until it is published." in text_of(response)
    assert f'href="{change_url(draft)}"' in text_of(response)
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
    assert fragment.status_code == 200
    assert "Why 1." in text_of(fragment)
    assert "no-store" in fragment["Cache-Control"] and "private" in fragment["Cache-Control"]


def test_published_lesson_has_no_preview_banner_for_staff(editor_client, seed_lesson):
    assert "Draft preview." not in text_of(editor_client.get(f"/lessons/{seed_lesson.slug}/"))


def test_scheduled_lesson_appears_by_itself_when_its_time_comes(client, make_lesson, monkeypatch):
    publish_at = timezone.now() + datetime.timedelta(hours=2)
    make_lesson("scheduled", title="Scheduled Lesson", published_at=publish_at)

    assert client.get("/lessons/scheduled/").status_code == 404
    assert "Scheduled Lesson" not in text_of(client.get("/"))

    later = publish_at + datetime.timedelta(minutes=1)
    monkeypatch.setattr("events.models.timezone.now", lambda: later)

    assert client.get("/lessons/scheduled/").status_code == 200
    assert "Scheduled Lesson" in text_of(client.get("/"))


def test_scheduled_lesson_is_labelled_in_the_list_and_previewed_with_its_time(publisher_client, make_lesson):
    make_lesson("scheduled", published_at=timezone.now() + datetime.timedelta(days=3))

    assert "Scheduled for" in text_of(publisher_client.get(CHANGELIST))
    assert "This lesson is scheduled: the public will see it from" in text_of(
        publisher_client.get("/lessons/scheduled/")
    )


# The list


def test_list_filters_by_status_and_section_kind_and_counts(editor_client, seed_lesson, make_lesson):
    make_lesson("only-causes", title="Only Causes", panels=2, readings=0, status=Lesson.Status.DRAFT)

    drafts = text_of(editor_client.get(CHANGELIST, {"status__exact": "draft"}))
    with_impacts = text_of(editor_client.get(CHANGELIST, {"section_kind": "impact"}))
    everything = text_of(editor_client.get(CHANGELIST))

    assert "Only Causes" in drafts and "USSR&#x27;s Withdrawal" not in drafts
    assert "USSR&#x27;s Withdrawal" in with_impacts and "Only Causes" not in with_impacts
    assert '<td class="field-section_count">6</td>' in everything
    assert '<td class="field-reading_count">4</td>' in everything


def test_list_search_finds_words_in_section_text(editor_client, seed_lesson, make_lesson):
    make_lesson("unrelated", title="Unrelated Lesson")

    found = text_of(editor_client.get(CHANGELIST, {"q": "Bucharest"}))

    assert "USSR&#x27;s Withdrawal" in found
    assert "Unrelated Lesson" not in found


def test_change_page_shows_the_reading_level(editor_client, seed_lesson):
    html = text_of(editor_client.get(change_url(seed_lesson)))

    assert "(Flesch–Kincaid), for readers of about" in html


# Markdown preview


def test_markdown_preview_renders_like_the_page_and_warns_of_bad_links(editor_client):
    response = editor_client.post(
        "/admin/events/lesson/preview-markdown/",
        {"text": "Some *emphasis* <script>alert(1)</script> [bad](javascript:alert(2))"},
    )

    html = text_of(response)
    assert "<em>emphasis</em>" in html
    assert "&lt;script&gt;" in html and "<script>" not in html
    assert "These links will be refused when you save: <code>javascript:alert(2)</code>" in html


def test_markdown_preview_is_for_staff_and_post_only(editor_client):
    assert Client().post("/admin/events/lesson/preview-markdown/", {"text": "x"}).status_code == 302
    assert editor_client.get("/admin/events/lesson/preview-markdown/").status_code == 405


def test_reordering_by_order_numbers_works_without_javascript(editor_client, seed_lesson):
    data = change_form_data(editor_client.get(change_url(seed_lesson)))
    rows = {data[f"readings-{i}-title"]: i for i in range(int(data["readings-TOTAL_FORMS"]))}
    first, last = min(rows.values()), max(rows.values())
    data[f"readings-{first}-order"], data[f"readings-{last}-order"] = (
        data[f"readings-{last}-order"],
        data[f"readings-{first}-order"],
    )

    editor_client.post(change_url(seed_lesson), data)

    titles = list(seed_lesson.readings.order_by("order").values_list("title", flat=True))
    assert titles[0] == data[f"readings-{last}-title"]
    assert titles[-1] == data[f"readings-{first}-title"]


def test_adding_a_section_with_add_another(editor_client, seed_lesson):
    data = change_form_data(editor_client.get(change_url(seed_lesson)))
    add_inline_row(data, "sections", order=10, kind="impact", heading="A New Impact", body="It mattered.")

    assert editor_client.post(change_url(seed_lesson), data).status_code == 302
    assert seed_lesson.sections.get(heading="A New Impact").kind == "impact"
    assert Reading.objects.count() == 4


# History: every save is a revision that can be compared and restored


def versions_of(lesson):
    from reversion.models import Version

    return list(Version.objects.get_for_object(lesson).select_related("revision__user"))


def create_then_edit(client) -> Lesson:
    """Create a lesson through the admin, then change its section, remove its reading and add a section."""
    client.post(ADD, new_lesson_data())
    lesson = Lesson.objects.get()
    data = change_form_data(client.get(change_url(lesson)))
    data["sections-0-heading"] = "Why the Delegates Quarrelled"
    data["readings-0-DELETE"] = "on"
    add_inline_row(data, "sections", order=2, kind="impact", heading="What Followed", body="The recall.")
    assert client.post(change_url(lesson), data).status_code == 302
    return lesson


def test_every_save_is_a_revision_with_who_and_when(publisher_client):
    lesson = create_then_edit(publisher_client)

    history = text_of(publisher_client.get(f"/admin/events/lesson/{lesson.pk}/history/"))

    assert len(versions_of(lesson)) == 2
    assert history.count("<td>paul</td>") == 2
    assert "Compare with now" in history and "Restore this version…" in history


def test_restoring_a_revision_brings_back_its_sections_and_readings_in_one_step(publisher_client):
    lesson = create_then_edit(publisher_client)
    assert list(lesson.sections.values_list("heading", flat=True)) == ["Why the Delegates Quarrelled", "What Followed"]
    assert not lesson.readings.exists()
    first_version = versions_of(lesson)[-1]
    revision_url = f"/admin/events/lesson/{lesson.pk}/history/{first_version.pk}/"

    form = publisher_client.get(revision_url)
    assert "Why They Clashed" in text_of(form)
    response = publisher_client.post(revision_url, change_form_data(form))

    assert response.status_code == 302, form_errors(response)
    assert list(lesson.sections.values_list("heading", flat=True)) == ["Why They Clashed"]
    assert list(lesson.readings.values_list("title", flat=True)) == ["Mao and the Sino-Soviet Split, 1959–1973"]
    assert len(versions_of(lesson)) == 3
    assert "Reverted to previous version" in versions_of(lesson)[0].revision.get_comment()


def test_restoring_an_old_revision_does_not_let_an_editor_publish(editor_client, seed_lesson):
    from reversion import create_revision

    with create_revision():
        seed_lesson.save()  # a revision in which the lesson is published
    Lesson.objects.filter(pk=seed_lesson.pk).update(status=Lesson.Status.DRAFT, published_at=None)
    published_version = versions_of(seed_lesson)[0]
    revision_url = f"/admin/events/lesson/{seed_lesson.pk}/history/{published_version.pk}/"

    response = editor_client.post(revision_url, change_form_data(editor_client.get(revision_url)))

    assert response.status_code == 302, form_errors(response)
    assert Lesson.objects.get().status == Lesson.Status.DRAFT


def test_deleting_asks_for_confirmation_and_can_be_undone_from_the_history(publisher_client, seed_lesson):
    delete_url = f"/admin/events/lesson/{seed_lesson.pk}/delete/"
    edit = change_form_data(publisher_client.get(change_url(seed_lesson)))
    publisher_client.post(change_url(seed_lesson), edit)  # a revision to recover from

    confirmation = publisher_client.get(delete_url)
    assert "Are you sure you want to delete the lesson" in text_of(confirmation)
    assert Lesson.objects.exists()

    publisher_client.post(delete_url, {"post": "yes"})
    assert not Lesson.objects.exists() and not Section.objects.exists()

    recover_list = text_of(publisher_client.get("/admin/events/lesson/recover/"))
    assert "USSR&#x27;s Withdrawal from China" in recover_list
    version = versions_of(seed_lesson)[0]
    recover_url = f"/admin/events/lesson/recover/{version.pk}/"
    response = publisher_client.post(recover_url, change_form_data(publisher_client.get(recover_url)))

    assert response.status_code == 302, form_errors(response)
    lesson = Lesson.objects.get()
    assert lesson.sections.count() == 6
    assert lesson.readings.count() == seed_lesson.readings.model.objects.count() > 0


def test_compare_shows_what_changed_since_a_revision(publisher_client):
    lesson = create_then_edit(publisher_client)
    first_version = versions_of(lesson)[-1]

    html = text_of(publisher_client.get(f"/admin/events/lesson/{lesson.pk}/history/{first_version.pk}/compare/"))

    assert '<span class="diff-mark">− removed</span> <del>## Why They Clashed {cause}</del>' in html
    assert '<span class="diff-mark">+ added</span> <ins>## Why the Delegates Quarrelled {cause}</ins>' in html
    assert "<del>&quot;Mao and the Sino-Soviet Split, 1959–1973&quot; by Danhui Li and Yafeng Xia" in html
    assert "<ins>## What Followed {impact}</ins>" in html


# Import and export in the admin

IMPORT = "/admin/events/lesson/import/"


def test_editor_imports_an_uploaded_document_as_a_draft_and_is_taken_to_it(editor_client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from .conftest import FIXTURE_DOCUMENTS

    upload = SimpleUploadedFile("berlin-wall.txt", (FIXTURE_DOCUMENTS / "berlin-wall.txt").read_bytes())

    response = editor_client.post(IMPORT, {"document": upload}, follow=True)

    lesson = Lesson.objects.get()
    assert response.redirect_chain[-1][0] == change_url(lesson)
    assert lesson.status == Lesson.Status.DRAFT
    assert lesson.sections.count() == 6
    assert "Imported “The Opening of the Berlin Wall” as a draft." in text_of(response)
    assert "Imported from berlin-wall.txt." in versions_of(lesson)[0].revision.get_comment()


def test_pasted_text_imports_too(editor_client):
    text = "The Key Event: A Pasted Lesson\nIn 1905 a thing happened.\nWhy It Happened\nBecause.\n"

    response = editor_client.post(IMPORT, {"text": text})

    assert response.status_code == 302
    assert Lesson.objects.get().title == "A Pasted Lesson"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("The Key Event: Flat\nIn 1960 a thing happened. It was long.", "has no headings"),
        ("Not a title\nIn 1960.\nWhy\nBecause.", "starts with &#x27;The Key Event: &lt;title&gt;&#x27;"),
        ("The Key Event: X\nSomething happened once.\nWhy\nBecause.", "no date found"),
        ('{"format": "something-else"}', "JSON"),
    ],
)
def test_bad_pasted_text_is_explained_kept_on_screen_and_imports_nothing(editor_client, seed_lesson, text, message):
    before = list(Lesson.objects.values())

    response = editor_client.post(IMPORT, {"text": text})

    html = text_of(response)
    assert response.status_code == 200
    assert "The pasted text" in html and message in html
    assert escape(text) in html, "the editor's text stays in the form"
    assert list(Lesson.objects.values()) == before


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "The chosen file is empty"),
        (b"\x00\x01binary", "“lesson.txt” is not a text file"),
        (b"x" * (300 * 1024), "“lesson.txt” is larger than 256 KB"),
        ("The Key Event: Café\nIn 1960.\nWhy\nBecause.".encode("latin-1"), "“lesson.txt” is not UTF-8"),
    ],
)
def test_bad_uploads_name_the_file_and_the_problem(editor_client, content, message):
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = editor_client.post(IMPORT, {"document": SimpleUploadedFile("lesson.txt", content)})

    assert response.status_code == 200
    assert message in text_of(response)
    assert not Lesson.objects.exists()


def test_import_form_needs_a_file_or_text(editor_client):
    response = editor_client.post(IMPORT, {})

    assert "Choose a file, or paste the document&#x27;s text." in text_of(response)


def test_only_people_who_may_add_lessons_can_import(client, django_user_model):
    viewer = django_user_model.objects.create_user("viewer", password="viewer-password-1", is_staff=True)
    client.force_login(viewer)

    assert client.get(IMPORT).status_code == 403


@pytest.mark.parametrize(("suffix", "content_type"), [("txt", "text/plain"), ("json", "application/json")])
def test_export_then_import_in_the_admin_gives_back_the_same_lesson(editor_client, seed_lesson, suffix, content_type):
    from django.core.files.uploadedfile import SimpleUploadedFile

    def snapshot():
        lesson = Lesson.objects.get()
        return (
            lesson.title,
            lesson.event_date,
            lesson.summary,
            list(lesson.sections.values_list("order", "kind", "heading", "body", "parent__heading")),
            list(lesson.readings.values_list("order", "title", "authors", "publisher", "year", "isbn", "url", "note")),
        )

    before = snapshot()
    export = editor_client.get(f"/admin/events/lesson/{seed_lesson.pk}/export.{suffix}")
    assert export["Content-Type"].startswith(content_type)
    assert export["Content-Disposition"] == f'attachment; filename="ussrs-withdrawal-from-china.{suffix}"'
    Lesson.objects.all().delete()

    editor_client.post(IMPORT, {"document": SimpleUploadedFile(f"lesson.{suffix}", export.content)})

    assert snapshot() == before


def test_textarea_line_breaks_from_browsers_are_stored_as_in_documents(editor_client, seed_lesson):
    data = change_form_data(editor_client.get(change_url(seed_lesson)))
    body_key = next(key for key, value in data.items() if str(value).startswith("The alliance between the USSR"))
    data[body_key] = data[body_key].replace("\n", "\r\n")
    data["summary"] = data["summary"] + "\r\nA second line."

    editor_client.post(change_url(seed_lesson), data)

    assert "\r" not in seed_lesson.sections.get(kind="narrative").body
    assert Lesson.objects.get().summary.endswith("\nA second line.")
    assert "Changed Body" not in versions_of(seed_lesson)[0].revision.get_comment()


def test_compare_shows_changes_to_key_terms_and_questions(publisher_client, seed_lesson):
    from reversion import create_revision

    with create_revision():
        seed_lesson.key_terms.create(term="Recall", definition="Calling people back home.")
        seed_lesson.save()
    seed_lesson.key_terms.filter(term="Recall").update(definition="Ordering experts to come home.")
    version = versions_of(seed_lesson)[0]

    html = text_of(publisher_client.get(f"/admin/events/lesson/{seed_lesson.pk}/history/{version.pk}/compare/"))

    assert "<del>Recall: Calling people back home.</del>" in html
    assert "<ins>Recall: Ordering experts to come home.</ins>" in html


# The change page of a large lesson in a large library


def change_page_queries(client, lesson) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(change_url(lesson))
    assert response.status_code == 200
    return len(queries.captured_queries)


def test_change_page_queries_do_not_grow_with_sections_or_readings(editor_client, make_lesson):
    small = make_lesson("small", panels=1, readings=1)
    large = make_lesson("large", panels=30, readings=10)
    for lesson in (small, large):
        for section in lesson.sections.all():
            section.evidence.create(order=1, title="A telegram")
    change_page_queries(editor_client, small)  # the session, permissions and content types, once

    assert change_page_queries(editor_client, large) == change_page_queries(editor_client, small)


def test_change_page_does_not_list_every_lesson_in_the_library(editor_client, make_lesson):
    lesson = make_lesson("the-lesson")
    other = make_lesson("other-lesson", title="A Lesson Far Away")
    lesson.relations.create(order=1, related=other)
    for number in range(200):
        make_lesson(f"filler-{number}", panels=0, readings=0, title=f"Filler Lesson {number}")

    page = text_of(editor_client.get(change_url(lesson)))

    assert "A Lesson Far Away" in page  # the chosen related lesson is shown
    assert "Filler Lesson" not in page  # the others are found by typing, not listed
    assert len(page) < 200_000


def test_a_related_lesson_is_found_by_typing_part_of_its_title(editor_client, make_lesson):
    make_lesson("the-lesson")
    make_lesson("other-lesson", title="A Lesson Far Away")
    make_lesson("filler", title="Filler Lesson")

    response = editor_client.get(
        "/admin/autocomplete/",
        {"term": "far away", "app_label": "events", "model_name": "relatedlesson", "field_name": "related"},
    )

    assert response.status_code == 200
    assert [result["text"] for result in response.json()["results"]] == ["A Lesson Far Away"]


def test_admin_pages_carry_the_sites_icon(client):
    assert 'rel="icon" href="/static/img/favicon.svg"' in text_of(client.get("/admin/login/"))
