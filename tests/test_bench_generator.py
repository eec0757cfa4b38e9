"""The benchmark's generated lessons: documents the importer accepts, and a fast fill with the same rows."""

import pytest
from django.core.management import call_command

from bench.generator import (
    COMMON_WORD,
    RARE_WORD,
    ensure_admin_lesson,
    fill_database,
    lesson_document,
    write_documents,
)
from events.importer import import_lesson, parse_lesson_document
from events.models import Evidence, Lesson, LessonRendering, Section
from events.rendering import renderer
from events.search import find_lessons

from .conftest import SEED_DOCUMENT, import_document, text_of

pytestmark = pytest.mark.django_db


def sections_of(lesson: Lesson) -> list[tuple]:
    return [
        (s.order, s.heading, s.kind, s.anchor, s.parent.anchor if s.parent else None, s.body_html, s.teaser)
        for s in lesson.sections.select_related("parent").order_by("order")
    ]


def readings_of(lesson: Lesson) -> list[tuple]:
    return list(lesson.readings.order_by("order").values_list("title", "authors", "publisher", "year", "url", "note"))


def test_a_written_document_imports_published_and_its_page_shows(tmp_path, client):
    (path,) = write_documents(tmp_path, 1, start=100_042)

    call_command("import_lesson", str(path), "--publish", stdout=None)

    lesson = Lesson.objects.get()
    assert lesson.title.startswith("Generated lesson 100042: ")
    assert lesson.is_public
    assert lesson.readings.count() == 3
    assert lesson.key_terms.count() == 4
    assert 7 <= lesson.sections.count() <= 9
    assert {Section.Kind.NARRATIVE, Section.Kind.CAUSE, Section.Kind.IMPACT, Section.Kind.FUN_FACT} == set(
        lesson.sections.values_list("kind", flat=True)
    )
    assert lesson.sections.filter(parent__heading__startswith="Impact of").exists()
    response = client.get(f"/lessons/{lesson.slug}/")
    assert response.status_code == 200
    assert lesson.title in text_of(response).replace("&#x27;", "'")


def test_documents_are_the_same_every_time_and_differ_from_each_other():
    assert lesson_document(7) == lesson_document(7)
    assert lesson_document(7) != lesson_document(8)
    assert "Generated lesson 0007: " in lesson_document(7).splitlines()[0]


def test_dates_spread_over_the_twentieth_century_with_each_precision():
    lessons = [parse_lesson_document(lesson_document(number)) for number in range(1, 61)]
    assert all(1900 <= lesson.event_date.year <= 1999 for lesson in lessons)
    assert {lesson.date_precision for lesson in lessons} == set(Lesson.DatePrecision.values)


def test_the_common_word_is_in_every_document_and_the_rare_word_in_one_in_a_thousand():
    documents = [lesson_document(number) for number in range(1, 3001)]
    assert all(COMMON_WORD in document for document in documents)
    assert sum(RARE_WORD in document for document in documents) == 3


def test_fill_makes_published_lessons_whose_pages_show(client):
    assert fill_database(12) == 12

    lessons = Lesson.objects.published()
    assert lessons.count() == 12
    assert 7 * 12 <= Section.objects.count() <= 9 * 12
    assert all(lesson.readings.count() == 3 for lesson in lessons)
    lesson = lessons.order_by("?").first()
    response = client.get(lesson.get_absolute_url())
    assert response.status_code == 200
    page = text_of(response)
    assert lesson.sections.filter(kind=Section.Kind.FUN_FACT).get().heading in page
    assert "Benchmark reading 2 for lesson" in page


def test_filled_lessons_are_rendered_as_saved_lessons_are(client, django_assert_num_queries):
    fill_database(3)
    lesson = Lesson.objects.published().first()

    assert LessonRendering.objects.count() == 3
    with django_assert_num_queries(2):  # the lesson and its rendering: nothing left to render
        page = text_of(client.get(lesson.get_absolute_url()))
    assert lesson.sections.filter(kind=Section.Kind.FUN_FACT).get().heading in page


def test_filling_again_adds_only_the_missing_lessons():
    import_document(SEED_DOCUMENT)

    assert fill_database(5) == 4
    assert fill_database(5) == 0
    assert fill_database(9) == 4
    assert Lesson.objects.count() == 9
    assert Lesson.objects.filter(slug__startswith="generated-lesson-").count() == 8


def test_search_finds_the_common_word_in_every_lesson_and_the_rare_word_in_one():
    fill_database(20)

    assert find_lessons(COMMON_WORD).page.paginator.count == 20
    rare = find_lessons(RARE_WORD)
    assert rare.page.paginator.count == 1
    assert rare.page.object_list[0].title.startswith("Generated lesson 0001: ")


def test_the_index_page_finds_the_rare_word(client):
    fill_database(3)

    response = client.get("/", {"q": RARE_WORD})

    assert "Generated lesson 0001: " in text_of(response)
    assert "Generated lesson 0002: " not in text_of(response)


def test_search_keeps_working_after_a_fill():
    """The fill may index its lessons its own way; an editor's later change must still be found."""
    fill_database(2)
    section = Section.objects.filter(kind=Section.Kind.NARRATIVE).first()

    section.body += "\n\nThe word zanzibarine is new."
    section.save()

    assert [lesson.pk for lesson in find_lessons("zanzibarine").page] == [section.lesson_id]


def test_a_filled_lesson_has_the_rows_an_import_of_its_document_makes():
    fill_database(3)
    filled = Lesson.objects.get(slug__startswith="generated-lesson-0003-")
    document = parse_lesson_document(lesson_document(3))
    document.slug = "imported-copy"

    imported, _ = import_lesson(document=document, publish=True)

    assert sections_of(filled) == sections_of(imported)
    assert readings_of(filled) == readings_of(imported)
    for field in ("title", "summary", "event_date", "date_precision", "status"):
        assert getattr(filled, field) == getattr(imported, field)
    assert list(filled.key_terms.values_list("term", "definition")) == list(
        imported.key_terms.values_list("term", "definition")
    )
    assert list(filled.topics.all()) == list(imported.topics.all())
    evidence = "section__heading", "title", "date", "source", "url"
    assert list(Evidence.objects.filter(section__lesson=filled).values_list(*evidence)) == list(
        Evidence.objects.filter(section__lesson=imported).values_list(*evidence)
    )
    assert Evidence.objects.filter(section__lesson=filled).exists()


def test_the_admin_lesson_has_thirty_sections_and_ten_readings(client):
    lesson = ensure_admin_lesson()

    assert lesson.slug == "bench-admin-lesson"
    assert lesson.is_public
    assert lesson.sections.count() == 30
    assert lesson.readings.count() == 10
    assert ensure_admin_lesson().pk == lesson.pk
    # Rendered, as a saved lesson is: the lists show its stored card.
    assert LessonRendering.objects.get(lesson=lesson).renderer == renderer()
    assert client.get(lesson.get_absolute_url()).status_code == 200
