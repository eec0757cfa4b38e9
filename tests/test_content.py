"""The shipped lessons in content/lessons/: they must import as `make run` imports them, and hold up."""

import datetime

import pytest
from django.core.exceptions import ValidationError

from events.importer import parse_lesson_document, read_lesson_file
from events.markdown import disallowed_links
from events.models import Evidence, Lesson, Reading, RelatedLesson, Section

from .conftest import ROOT
from .test_importer import run_import

pytestmark = pytest.mark.django_db

SHIPPED = sorted((ROOT / "content" / "lessons").glob("*.txt"))

# The unit around the seed, in the order of its story: each lesson's date, and how precisely it is known.
DATES = {
    "the-sino-soviet-treaty-of-friendship-alliance-and-mutual-assistance": (datetime.date(1950, 2, 14), "day"),
    "khrushchevs-secret-speech": (datetime.date(1956, 2, 25), "day"),
    "the-great-leap-forward": (datetime.date(1958, 1, 1), "year"),
    "ussrs-withdrawal-from-china": (datetime.date(1960, 7, 16), "day"),
    "the-sino-soviet-border-clashes-on-the-ussuri-river": (datetime.date(1969, 3, 2), "day"),
    "president-nixons-visit-to-china": (datetime.date(1972, 2, 21), "day"),
}

# The only identifiers a shipped reading may carry: those verified in the shared content notes (CONTENT_NOTES.md).
CHECKED_IDENTIFIERS = {
    ("isbn", "9780804758796"),  # Radchenko, Two Suns in the Heavens
    ("isbn", "9781498511667"),  # Li and Xia, Mao and the Sino-Soviet Split
    ("isbn", "9781498511711"),  # Shen and Xia, Mao and the Sino-Soviet Partnership
    ("url", "https://www.wilsoncenter.org/book/brothers-arms-the-rise-and-fall-the-sino-soviet-alliance-1945-1963"),
}

INVERSE = {"led_to": "followed_from", "followed_from": "led_to", "see_also": "see_also"}


@pytest.fixture
def shipped():
    """Every shipped lesson, imported as `make run` imports them into an empty database."""
    out, err, error = run_import(*SHIPPED, publish=True)
    assert error is None, err
    assert err == "", "no warnings: every related lesson is found"
    return Lesson.objects.all()


def test_every_shipped_document_imports_published_into_an_empty_database(shipped):
    assert sorted(lesson.slug for lesson in shipped) == sorted(path.stem for path in SHIPPED)
    assert all(lesson.is_public for lesson in shipped)


def test_the_unit_has_its_dates_as_stated():
    assert {path.stem for path in SHIPPED} == set(DATES)
    for path in SHIPPED:
        document = parse_lesson_document(read_lesson_file(path))
        assert (document.event_date, document.date_precision) == DATES[path.stem], path.name


def test_every_related_lesson_is_found_and_linked_back(shipped):
    named = sum(len(parse_lesson_document(read_lesson_file(path)).lists.relations) for path in SHIPPED)
    links = set(RelatedLesson.objects.values_list("lesson__slug", "relation", "related__slug"))

    assert len(links) == named
    for lesson, relation, related in links:
        assert (related, INVERSE[relation], lesson) in links, f"{related} does not link back to {lesson}"
    assert all(lesson.relations.exists() for lesson in Lesson.objects.all())


def test_the_unit_runs_from_the_treaty_to_nixons_visit(shipped):
    led_to = dict(RelatedLesson.objects.filter(relation="led_to").values_list("lesson__slug", "related__slug"))

    assert led_to["the-sino-soviet-border-clashes-on-the-ussuri-river"] == "president-nixons-visit-to-china"
    assert set(
        Lesson.objects.get(slug="ussrs-withdrawal-from-china").relations.values_list("related__slug", flat=True)
    ) == set(DATES) - {"ussrs-withdrawal-from-china"}


def test_every_reading_has_an_identifier_checked_in_the_content_notes(shipped):
    readings = Reading.objects.all()

    assert readings
    for reading in readings:
        assert reading.identifier_problem is None, reading
        given = {(name, getattr(reading, name)) for name in ("isbn", "doi", "url") if getattr(reading, name)}
        assert given <= CHECKED_IDENTIFIERS, reading


def test_no_section_holds_a_link_the_model_rejects(shipped):
    for section in Section.objects.all():
        assert disallowed_links(section.body) == [], section
        try:
            section.full_clean()
        except ValidationError as error:
            pytest.fail(f"{section.lesson}: {section}: {error}")


def test_evidence_points_only_to_the_archive_named_in_the_content_notes(shipped):
    evidence = Evidence.objects.get()

    assert (evidence.section.lesson.slug, evidence.section.heading) == (
        "ussrs-withdrawal-from-china",
        "Reasons for Withdrawal",
    )
    assert (evidence.title, evidence.date, evidence.url) == ("Soviet note recalling the experts", "16 July 1960", "")
    assert evidence.source == "Wilson Center Digital Archive, collection “Sino-Soviet Split, 1960-1984”"


def test_every_lesson_has_classroom_parts_and_shares_the_units_topics(shipped):
    for lesson in shipped:
        assert lesson.key_terms.count() >= 3, lesson
        assert 2 <= lesson.questions.count() <= 4, lesson
        topics = set(lesson.topics.values_list("kind", "name"))
        assert {("theme", "Sino-Soviet relations"), ("era", "Cold War (1947–1991)")} <= topics, lesson


def test_the_seed_sets_the_two_readings_of_the_split_side_by_side(shipped):
    seed = Lesson.objects.get(slug="ussrs-withdrawal-from-china")

    assert list(seed.interpretations.values_list("historian", "work")) == [
        ("Lorenz M. Lüthi", "The Sino-Soviet Split: Cold War in the Communist World"),
        ("Sergey Radchenko", "Two Suns in the Heavens: The Sino-Soviet Struggle for Supremacy, 1962–1967"),
    ]
    ideology, leadership = seed.interpretations.values_list("argument", flat=True)
    assert "ideology" in ideology
    assert "struggle for leadership of the communist world" in leadership
