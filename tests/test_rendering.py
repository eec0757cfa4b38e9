"""A lesson's stored rendering: made when an edit commits, by every way of writing, and never
shown out of date."""

import datetime
import io
import os
import subprocess
import sys

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.db.models.signals import post_save
from django.utils import timezone

from events.models import Evidence, KeyTerm, Lesson, LessonRendering, RelatedLesson, Section, Topic
from events.rendering import renderer

from .admin_forms import change_form_data, form_errors
from .conftest import ROOT, SEED_DOCUMENT, client_for, text_of
from .test_cache import import_first_revision_through_admin

LESSON_URL = "/lessons/a-lesson/"


@pytest.fixture
def lesson(make_lesson):
    return make_lesson("a-lesson", panels=2, readings=1)


def stored(lesson) -> LessonRendering:
    return LessonRendering.objects.get(pk=lesson.pk)


def test_a_saved_lesson_is_rendered_before_anyone_visits_it(lesson):
    rendering = stored(lesson)

    assert "Something happened." in rendering.article
    assert 'class="panel panel-cause"' in rendering.article
    assert set(rendering.panels) == {"cause-1", "cause-2"}
    assert "Why 2." in rendering.panels["cause-2"]
    assert "Book 1" in rendering.references


def test_an_edit_is_rendered_when_its_transaction_commits(lesson, django_capture_on_commit_callbacks, client):
    section = lesson.sections.get(anchor="cause-1")

    with django_capture_on_commit_callbacks(execute=True):
        section.body = "A split over *ideology*."
        section.save()
        assert "ideology" not in stored(lesson).article  # not before the commit

    assert "A split over <em>ideology</em>." in stored(lesson).panels["cause-1"]
    assert "ideology" in text_of(client.get("/lessons/a-lesson/panels/cause-1/", headers={"HX-Request": "true"}))


@pytest.mark.django_db(transaction=True)
def test_a_write_outside_a_transaction_is_rendered_at_once(make_lesson):
    lesson = make_lesson("a-lesson", panels=1)
    section = lesson.sections.get()

    section.heading = "Renamed outside a transaction"
    section.save()

    assert "Renamed outside a transaction" in stored(lesson).article


@pytest.mark.django_db(transaction=True)
def test_lessons_rendered_in_bulk_are_shared_among_processes_and_all_stored(make_lesson):
    # Run as a management command is: in a process of its own, with no other thread (a process with
    # threads, such as this one, renders alone).
    lessons = [make_lesson(f"lesson-{number}", panels=1) for number in range(4)]
    LessonRendering.objects.all().delete()
    database = connection.settings_dict
    if connection.vendor == "sqlite":
        url = f"sqlite:///{database['NAME']}"
    else:
        url = f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}"
    code = (
        "import django; django.setup(); from events import rendering; "
        "forked = []; fork = rendering.multiprocessing.get_context; "
        "rendering.multiprocessing.get_context = lambda method: forked.append(method) or fork(method); "
        f"rendering.render_many({[lesson.pk for lesson in lessons]}, batch=1); print(forked)"
    )
    environment = {**os.environ, "DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "history_site.settings"}
    environment.pop("REDIS_URL", None)
    finished = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=environment, capture_output=True, text=True, check=True
    )

    assert finished.stdout.strip() == "['fork']"  # shared among processes
    assert sorted(LessonRendering.objects.filter(renderer=renderer()).values_list("lesson__slug", flat=True)) == [
        "lesson-0",
        "lesson-1",
        "lesson-2",
        "lesson-3",
    ]
    assert "Why 1." in stored(lessons[3]).panels["cause-1"]


def test_a_transaction_renders_each_lesson_once(lesson, django_capture_on_commit_callbacks):
    renders = []

    def count(sender, instance, **kwargs):
        renders.append(instance.pk)

    post_save.connect(count, sender=LessonRendering)
    try:
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            lesson.title = "Renamed"
            lesson.save()
            for number in range(3, 8):
                lesson.sections.create(kind=Section.Kind.CAUSE, heading=f"Cause {number}", body="More.")
            lesson.readings.create(title="Book 2", authors="B. Historian", year=2002, isbn="9780000000002")
    finally:
        post_save.disconnect(count, sender=LessonRendering)

    assert renders == [lesson.pk]
    assert len(stored(lesson).panels) == 7


def test_a_write_after_a_rolled_back_one_is_still_rendered(lesson, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        with pytest.raises(RuntimeError), transaction.atomic():
            lesson.sections.create(kind=Section.Kind.CAUSE, heading="Never saved", body="Rolled back.")
            raise RuntimeError
        lesson.sections.create(kind=Section.Kind.CAUSE, heading="Saved", body="Kept.")

    assert "Saved" in stored(lesson).article
    assert "Never saved" not in stored(lesson).article


@pytest.mark.parametrize(
    ("change", "shown"),
    [
        (
            lambda lesson: KeyTerm.objects.create(lesson=lesson, term="Cause", definition="What led to it."),
            "term-cause",
        ),
        (
            lambda lesson: Evidence.objects.create(section=lesson.sections.first(), title="A telegram of July 1960"),
            "A telegram of July 1960",
        ),
        (lambda lesson: lesson.questions.create(question="Who gained most?"), "Who gained most?"),
        (
            lambda lesson: lesson.interpretations.create(historian="A. Scholar", work="A Book", argument="Chiefly."),
            "Chiefly.",
        ),
        (lambda lesson: lesson.sections.get(anchor="cause-2").delete(), None),
    ],
    ids=["key term", "evidence", "question", "interpretation", "deleted section"],
)
def test_every_part_of_a_lesson_is_rendered_again_when_it_changes(
    lesson, django_capture_on_commit_callbacks, change, shown
):
    with django_capture_on_commit_callbacks(execute=True):
        change(lesson)

    rendering = stored(lesson)
    if shown:
        assert shown in rendering.article + "".join(rendering.panels.values())
    else:
        assert "cause-2" not in rendering.panels and "Cause 2" not in rendering.article


def test_a_lesson_with_no_rendering_is_rendered_by_its_first_visit(lesson, client, django_assert_num_queries):
    # As after rows written without signals (a restore, raw SQL).
    LessonRendering.objects.all().delete()

    page = text_of(client.get(LESSON_URL))

    assert "Something happened." in page and "Why 2." in page
    assert "Why 2." in stored(lesson).panels["cause-2"]
    with django_assert_num_queries(2):
        client.get(LESSON_URL)


def test_a_rendering_made_by_other_templates_is_made_again(lesson, client):
    # As after an upgrade that changed the lesson template.
    LessonRendering.objects.filter(pk=lesson.pk).update(renderer="older", article="<p>Old markup</p>", panels={})

    page = text_of(client.get(LESSON_URL))
    fragment = text_of(client.get("/lessons/a-lesson/panels/cause-1/", headers={"HX-Request": "true"}))

    assert "Old markup" not in page and "Something happened." in page
    assert "Why 1." in fragment
    assert stored(lesson).renderer != "older"


def test_an_edit_in_the_admin_is_rendered_when_saved(lesson, publisher, django_capture_on_commit_callbacks):
    staff = client_for(publisher)
    change_url = f"/admin/events/lesson/{lesson.pk}/change/"
    data = change_form_data(staff.get(change_url))
    data["summary"] = "Edited in the admin."

    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(change_url, data)

    assert response.status_code == 302, form_errors(response)
    assert "Edited in the admin." in stored(lesson).article


def test_restoring_a_revision_renders_the_lesson_as_it_was(publisher, django_capture_on_commit_callbacks):
    from reversion.models import Version

    staff = client_for(publisher)
    with django_capture_on_commit_callbacks(execute=True):
        lesson = import_first_revision_through_admin(staff)
    change_url = f"/admin/events/lesson/{lesson.pk}/change/"
    data = change_form_data(staff.get(change_url))
    data["summary"] = "A later summary."
    with django_capture_on_commit_callbacks(execute=True):
        assert staff.post(change_url, data).status_code == 302
    assert "A later summary." in stored(lesson).article
    first = Version.objects.get_for_object(lesson).order_by("pk").first()
    revision_url = f"/admin/events/lesson/{lesson.pk}/history/{first.pk}/"

    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(revision_url, change_form_data(staff.get(revision_url)))

    assert response.status_code == 302, form_errors(response)
    assert "A later summary." not in stored(lesson).article
    assert "Soviet" in stored(lesson).article


# What other rows decide: related lessons and topics


@pytest.fixture
def linked(make_lesson, django_capture_on_commit_callbacks):
    """A lesson that links to another."""
    lesson = make_lesson("a-lesson")
    other = make_lesson("the-other-lesson", title="The Other Lesson")
    with django_capture_on_commit_callbacks(execute=True):
        RelatedLesson.objects.create(lesson=lesson, related=other, relation=RelatedLesson.Relation.LED_TO)
    return lesson, other


def test_a_related_lessons_new_title_shows_on_the_pages_that_link_to_it(linked, django_capture_on_commit_callbacks):
    lesson, other = linked
    assert "The Other Lesson" in stored(lesson).article

    with django_capture_on_commit_callbacks(execute=True):
        other.title = "A Better Title"
        other.save()

    assert "A Better Title" in stored(lesson).article


def test_an_unpublished_related_lesson_leaves_the_pages_that_link_to_it(
    linked, client, django_capture_on_commit_callbacks
):
    lesson, other = linked

    with django_capture_on_commit_callbacks(execute=True):
        other.status = Lesson.Status.DRAFT
        other.save()

    assert "The Other Lesson" not in text_of(client.get(LESSON_URL))


def test_a_related_lesson_appears_when_its_publish_time_comes(
    linked, client, monkeypatch, django_capture_on_commit_callbacks
):
    lesson, other = linked
    publish_at = timezone.now() + datetime.timedelta(minutes=1)
    with django_capture_on_commit_callbacks(execute=True):
        other.published_at = publish_at
        other.save()
    assert "The Other Lesson" not in text_of(client.get(LESSON_URL))

    monkeypatch.setattr(timezone, "now", lambda: publish_at + datetime.timedelta(seconds=1))

    assert "The Other Lesson" in text_of(client.get(LESSON_URL))


def test_a_renamed_topic_shows_on_its_lessons_pages(lesson, client, django_capture_on_commit_callbacks):
    topic = Topic.objects.create(kind=Topic.Kind.REGION, name="Asia", slug="asia")
    with django_capture_on_commit_callbacks(execute=True):
        lesson.topics.add(topic)
    assert "Asia" in stored(lesson).article

    with django_capture_on_commit_callbacks(execute=True):
        topic.name = "East Asia"
        topic.save()

    assert "East Asia" in text_of(client.get(LESSON_URL))


def test_a_deleted_topic_leaves_its_lessons_pages(lesson, client, django_capture_on_commit_callbacks):
    topic = Topic.objects.create(kind=Topic.Kind.REGION, name="Asia", slug="asia")
    with django_capture_on_commit_callbacks(execute=True):
        topic.lessons.add(lesson)
    assert "Asia" in stored(lesson).article

    topic.delete()

    assert "Asia" not in text_of(client.get(LESSON_URL))


# The lesson's card in the index


def test_the_index_and_a_search_show_each_lessons_card_as_rendered_when_it_was_saved(lesson, client):
    card = stored(lesson).card
    assert 'href="/lessons/a-lesson/"' in card and "16 July 1960" in card
    LessonRendering.objects.filter(pk=lesson.pk).update(card=card.replace("16 July 1960", "As stored"))

    index = client.get("/").content.decode()
    found = client.get("/?q=happened").content.decode()

    # The stored card, with the title and key event as they are, or with the words marked.
    assert '<a href="/lessons/a-lesson/"><!--title-->A Lesson<!--/title--></a>' in index and "As stored" in index
    assert '<p class="lesson-snippet"><!--text-->Something happened.<!--/text--></p>' in index
    assert "As stored" in found and '<p class="lesson-snippet">Something <mark>happened</mark>.</p>' in found


def test_a_title_and_key_event_that_look_like_the_cards_marks_are_shown_as_written(make_lesson, client):
    make_lesson("marks", title="Before <!--/title--> after", summary="Treaty <!--text--> signed <!--/text--> late.")

    index = text_of(client.get("/"))
    found = text_of(client.get("/?q=treaty"))

    for page in (index, found):
        assert "Before &lt;!--/title--&gt; after" in page
    assert "Treaty &lt;!--text--&gt; signed &lt;!--/text--&gt; late." in index
    assert "<mark>Treaty</mark> &lt;!--text--&gt; signed &lt;!--/text--&gt; late." in found


def test_a_card_made_by_other_templates_is_rendered_again_on_the_index(lesson, client):
    LessonRendering.objects.filter(pk=lesson.pk).update(renderer="older", card="<li>Old markup</li>")

    page = text_of(client.get("/"))
    found = client.get("/?q=happened").content.decode()

    assert "Old markup" not in page
    assert '<a href="/lessons/a-lesson/">A Lesson</a>' in page and "Something happened." in page
    assert "Old markup" not in found and "Something <mark>happened</mark>." in found


def test_the_render_lessons_command_renders_every_lesson(make_lesson):
    make_lesson("a-lesson")
    make_lesson("another-lesson")
    LessonRendering.objects.all().delete()
    out = io.StringIO()

    call_command("render_lessons", stdout=out)

    assert "Rendered 2 lessons." in out.getvalue()
    assert "Something happened." in stored(Lesson.objects.get(slug="another-lesson")).article


def test_the_timeline_shows_each_lessons_entry_as_rendered_when_it_was_saved(lesson, client):
    entry = stored(lesson).timeline_entry
    assert 'href="/lessons/a-lesson/"' in entry and "Something happened." in entry
    LessonRendering.objects.filter(pk=lesson.pk).update(timeline_entry=entry.replace("happened", "was stored"))

    assert "Something was stored." in text_of(client.get("/timeline/"))


def test_a_timeline_entry_made_by_other_templates_is_rendered_again(lesson, client):
    LessonRendering.objects.filter(pk=lesson.pk).update(renderer="older", timeline_entry="<li>Old markup</li>")

    page = text_of(client.get("/timeline/"))

    assert "Old markup" not in page
    assert '<a href="/lessons/a-lesson/">A Lesson</a>' in page and "Something happened." in page


def test_import_lesson_renders_the_lessons_it_imports(db):
    call_command("import_lesson", "--publish", str(SEED_DOCUMENT), stdout=io.StringIO())

    lesson = Lesson.objects.get()
    assert "Bucharest meeting" in "".join(stored(lesson).panels.values())
    assert 'href="/lessons/ussrs-withdrawal-from-china/"' in stored(lesson).card
