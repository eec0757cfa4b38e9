import datetime
import json

import pytest

from events.exporter import lesson_to_json, lesson_to_text
from events.importer import LessonDocumentError, import_lesson, parse_lesson_document
from events.models import Lesson, Reading, Section

from .conftest import SEED_DOCUMENT, import_document
from .test_importer import BERLIN, CUBA, ORIGINAL_SEED, run_import, snapshot

pytestmark = pytest.mark.django_db

CHECKS = ("checked_by", "checked_on")


def state_of(slug: str, *, checks: bool = True) -> dict:
    """Everything an export must carry, as a person comparing two lessons would see it."""
    lesson = Lesson.objects.get(slug=slug)
    fields = ["order", "title", "authors", "publisher", "year", "isbn", "doi", "url", "note"]
    return {
        "title": lesson.title,
        "slug": lesson.slug,
        "event_date": lesson.event_date,
        "date_precision": lesson.date_precision,
        "summary": lesson.summary,
        "sections": [
            (s.order, s.kind, s.heading, s.body, s.parent.heading if s.parent else None)
            for s in lesson.sections.order_by("order")
        ],
        "readings": list(lesson.readings.order_by("order").values(*fields, *(CHECKS if checks else ()))),
    }


def export(lesson: Lesson, form: str) -> str:
    if form == "text":
        return lesson_to_text(lesson)
    return json.dumps(lesson_to_json(lesson), ensure_ascii=False, indent=2)


def reimport_into_empty_database(text: str) -> None:
    Lesson.objects.all().delete()
    import_lesson(document=parse_lesson_document(text))


@pytest.fixture(
    params=[(datetime.date(1848, 1, 1), "year"), (datetime.date(1848, 2, 1), "month")], ids=["year", "month"]
)
def awkward_lesson(request, django_user_model) -> Lesson:
    """A lesson with everything the implicit form would read differently, made as an editor would."""
    event_date, precision = request.param
    checker = django_user_model.objects.create_user("checker")
    lesson = Lesson.objects.create(
        title="Revolutions of 1848: Tests & “Quotes”",
        slug="revolutions-1848",  # not the title's own slug
        event_date=event_date,
        date_precision=precision,
        summary="In 1848 revolutions spread across Europe.\n\n- Paris in February\n- [Vienna](https://example.org/vienna)",
    )
    section = lambda order, kind, heading, body, parent=None: lesson.sections.create(  # noqa: E731
        order=order, kind=kind, heading=heading, body=body, parent=parent
    )
    section(
        1,
        "narrative",
        "Legacy",
        "A short line\n\nA paragraph with a [link](https://example.org/page) and *emphasis*.\n\n"
        "- first item\n- second item\n  still the second\n\nA hard break  \nhere.",
    )
    section(2, "impact", "Why It Matters Today", "Because it does.")
    effects = section(3, "impact", "Effects of the Revolutions", "")
    section(4, "impact", "Results at Home", "Short", parent=effects)
    section(5, "cause", "Bread Prices", "1. one\n2. two", parent=effects)
    section(6, "narrative", "Sources", "Letters and diaries")
    section(7, "fun_fact", "Did You Know", "> A quotation.\n\n    indented code")
    lesson.readings.create(
        order=1,
        title="Mao and the Sino-Soviet Split, 1959–1973: A New History",
        authors="Danhui Li and Yafeng Xia",
        publisher="Lexington Books",
        year=2018,
        isbn="9781498511667",
        note='Chapter 2, "The Recall", by the same authors.',
        checked_by=checker,
        checked_on=datetime.date(2025, 3, 1),
    )
    lesson.readings.create(order=2, title="An Article", authors="B. Scholar", year=2011, doi="10.1234/example.5678")
    lesson.readings.create(
        order=3,
        title='A "Quoted" Word',
        authors="Odd Arne Westad (ed.)",
        publisher="Some Press",
        url="https://example.org/a_(b)",
    )
    lesson.readings.create(order=4, title="A Letter", authors="C. Writer Jr.", url="https://example.org/letter")
    return lesson


# Round trips


@pytest.mark.parametrize("form", ["text", "json"])
@pytest.mark.parametrize("document", [SEED_DOCUMENT, BERLIN, CUBA, ORIGINAL_SEED], ids=lambda path: path.stem)
def test_export_of_an_imported_document_imports_as_the_same_lesson(document, form):
    lesson = import_document(document, publish=False)
    before = state_of(lesson.slug)

    reimport_into_empty_database(export(lesson, form))

    assert state_of(lesson.slug) == before


def test_awkward_lesson_round_trips_through_json_with_its_checks(awkward_lesson):
    before = state_of(awkward_lesson.slug)

    reimport_into_empty_database(export(awkward_lesson, "json"))

    assert state_of(awkward_lesson.slug) == before


def test_awkward_lesson_round_trips_through_text(awkward_lesson):
    before = state_of(awkward_lesson.slug, checks=False)
    text = export(awkward_lesson, "text")

    reimport_into_empty_database(text)

    assert state_of(awkward_lesson.slug, checks=False) == before
    assert lesson_to_text(Lesson.objects.get()) == text


def test_reimporting_exported_text_keeps_the_checks_of_unchanged_readings(awkward_lesson):
    before = state_of(awkward_lesson.slug)
    text = export(awkward_lesson, "text")

    import_lesson(document=parse_lesson_document(text))
    assert state_of(awkward_lesson.slug) == before

    import_lesson(document=parse_lesson_document(text.replace("(Lexington Books, 2018)", "(Lexington Books, 2017)")))
    reading = Reading.objects.get(order=1)
    assert (reading.year, reading.checked_by, reading.checked_on) == (2017, None, None), "a changed work is unchecked"


def test_text_export_is_the_explicit_form_with_every_kind_named(awkward_lesson):
    text = lesson_to_text(awkward_lesson)

    date = "1848" if awkward_lesson.date_precision == "year" else "February 1848"
    assert text.startswith(
        f"The Key Event: Revolutions of 1848: Tests & “Quotes”\nSlug: revolutions-1848\nDate: {date}\n\n"
        "In 1848 revolutions spread across Europe.\n\n- Paris in February\n"
    )
    assert "\n\n## Legacy {narrative}\n\nA short line\n\n" in text
    assert "\n\n## Effects of the Revolutions {impact}\n\n### Results at Home {impact}\n\nShort\n\n" in text
    assert "\n\n### Bread Prices {cause}\n\n1. one\n2. two\n\n" in text
    assert "\n\n## Did You Know {fun fact}\n\n" in text
    assert text.endswith(
        "## Additional Resources {readings}\n\n"
        '"Mao and the Sino-Soviet Split, 1959–1973: A New History" by Danhui Li and Yafeng Xia '
        '(Lexington Books, 2018). ISBN 9781498511667. Note: Chapter 2, "The Recall", by the same authors.\n'
        '"An Article" by B. Scholar (2011). DOI 10.1234/example.5678.\n'
        '“A "Quoted" Word” by Odd Arne Westad (ed.) (Some Press, n.d.). <https://example.org/a_(b)>\n'
        '"A Letter" by C. Writer Jr.. https://example.org/letter\n'
    )


def test_json_export_names_the_format_and_who_checked_each_reading(awkward_lesson):
    data = lesson_to_json(awkward_lesson)

    assert (data["format"], data["format_version"]) == ("history-lesson", 1)
    assert data["event_date"] == awkward_lesson.event_date.isoformat()
    assert [(s["heading"], s["parent"]) for s in data["sections"]][2:5] == [
        ("Effects of the Revolutions", None),
        ("Results at Home", 2),
        ("Bread Prices", 2),
    ]
    assert (data["readings"][0]["checked_by"], data["readings"][0]["checked_on"]) == ("checker", "2025-03-01")
    assert data["readings"][1]["checked_by"] is None


def test_text_export_of_a_revision_uses_the_sections_and_readings_given(awkward_lesson):
    sections = [Section(order=1, kind="cause", heading="Then", body="Old text.")]
    readings = [Reading(order=1, title="Old Book", authors="A. Historian", year=1990)]

    text = lesson_to_text(awkward_lesson, sections, readings)

    assert "## Then {cause}\n\nOld text.\n\n" in text
    assert "Legacy" not in text
    assert text.endswith('{readings}\n\n"Old Book" by A. Historian (1990).\n')


# JSON files on the command line


def test_import_lesson_command_reads_a_json_export(tmp_path, awkward_lesson):
    before = state_of(awkward_lesson.slug)
    path = tmp_path / "lesson.json"
    path.write_text(export(awkward_lesson, "json"))
    Lesson.objects.all().delete()

    out, err, error = run_import(path)

    assert error is None, err
    assert f"{path}: created 'Revolutions of 1848: Tests & “Quotes”' (draft)" in out
    assert state_of(awkward_lesson.slug) == before


def bad_json_documents(awkward_lesson: Lesson) -> dict[str, tuple[str, str]]:
    """Each bad JSON document, with the one-line message it must get."""
    good = lesson_to_json(awkward_lesson)

    def changed(path: str, value) -> str:
        data = json.loads(json.dumps(good))
        *keys, last = path.split(".")
        target = data
        for key in keys:
            target = target[int(key) if key.isdigit() else key]
        if value is KeyError:
            del target[last]
        else:
            target[int(last) if last.isdigit() else last] = value
        return json.dumps(data)

    return {
        "malformed.json": (
            '{"format": "history-lesson",\n "title": }',
            "is not valid JSON (line 2, column 11: Expecting value)",
        ),
        "list.json": ("  [1, 2]", "line 1: a lesson document starts with 'The Key Event: <title>'"),
        "wrong-format.json": (
            changed("format", "wordpress-post"),
            'is JSON but not a lesson export: it has no "format": "history-lesson"',
        ),
        "newer.json": (
            changed("format_version", 2),
            "is a lesson export in format version 2; this site reads version 1",
        ),
        "no-title.json": (changed("title", KeyError), "JSON: title is missing"),
        "typo.json": (changed("readings.0.isnb", "x"), "JSON: readings[0].isnb is not a field this site knows"),
        "bad-kind.json": (
            changed("sections.1.kind", "reason"),
            "JSON: sections[1].kind is 'reason'; use one of narrative, cause, impact, fun_fact",
        ),
        "bad-parent.json": (changed("sections.4.parent", 3), "JSON: sections[4].parent is 3; it must be the position"),
        "bad-year.json": (changed("readings.1.year", "2011"), "JSON: readings[1].year must be a whole number or null"),
        "bad-date.json": (changed("event_date", "1848-13-01"), "JSON: event_date '1848-13-01' is not a date"),
        "unknown-checker.json": (
            changed("readings.0.checked_by", "nobody"),
            "it was checked by 'nobody', who has no account on this site",
        ),
        "bad-link.json": (
            changed("sections.0.body", "[x](javascript:alert(1))"),
            "section 'Legacy': Links must start with https://, http:// or /",
        ),
    }


def test_bad_json_gets_a_one_line_error_and_changes_nothing(tmp_path, awkward_lesson):
    before = snapshot()

    for name, (content, phrase) in bad_json_documents(awkward_lesson).items():
        path = tmp_path / name
        path.write_text(content)

        out, err, error = run_import(path)

        assert error is not None, name
        assert err.strip() == err.strip().splitlines()[0], f"{name}: one line, got {err!r}"
        assert err.startswith(f"{path}: "), err
        assert phrase in err, err
        assert snapshot() == before, name


def test_json_is_recognised_by_its_first_character_whatever_the_white_space():
    with pytest.raises(LessonDocumentError, match="^is not valid JSON"):
        parse_lesson_document("\n\n  {oops")
