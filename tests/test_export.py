import datetime
import json

import pytest

from events.exporter import lesson_to_json, lesson_to_text
from events.importer import LessonDocumentError, import_lesson, parse_lesson_document
from events.models import Evidence, KeyTerm, Lesson, Reading, Section, Topic

from .conftest import ROOT, SEED_DOCUMENT, import_document
from .test_importer import BERLIN, CUBA, ORIGINAL_SEED, run_import, snapshot

SHIPPED = sorted((ROOT / "content" / "lessons").glob("*.txt"))

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
        "evidence": list(
            Evidence.objects.filter(section__lesson=lesson)
            .order_by("section__order", "order")
            .values_list("section__heading", "order", "title", "date", "source", "url")
        ),
        "key_terms": list(lesson.key_terms.values_list("term", "definition")),
        "questions": list(lesson.questions.values_list("order", "question")),
        "interpretations": list(lesson.interpretations.values_list("order", "historian", "work", "argument")),
        "topics": sorted(lesson.topics.values_list("kind", "name", "slug")),
        "relations": list(lesson.relations.values_list("order", "relation", "related__slug")),
    }


def export(lesson: Lesson, form: str) -> str:
    if form == "text":
        return lesson_to_text(lesson)
    return json.dumps(lesson_to_json(lesson), ensure_ascii=False, indent=2)


def reimport_into_empty_database(text: str) -> None:
    Lesson.objects.all().delete()
    import_lesson(document=parse_lesson_document(text))


def reimport_in_place_of(lesson: Lesson, text: str) -> None:
    """Delete the lesson (and so every link to it) and import it again, beside the lessons it links to."""
    lesson.delete()
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
    lesson.sections.get(heading="Legacy").evidence.create(
        order=1,
        title='The "People\'s" Charter',
        date="(about) 1848",
        source="Archive, Room 3;",
        url="https://example.org/charter_(1848)",
    )
    lesson.sections.get(heading="Bread Prices").evidence.create(order=1, title="Price list")
    lesson.sections.get(heading="Bread Prices").evidence.create(order=2, title="Diary", url="https://example.org/d")
    lesson.key_terms.create(term="Revolution", definition="A sudden change of government, by force.")
    lesson.key_terms.create(term="Barricade", definition="A barrier: here, across a street.")
    lesson.questions.create(order=1, question="Why 1848?")
    lesson.questions.create(order=2, question="Explain: who gained? Who lost?")
    lesson.interpretations.create(
        order=1, historian="A. Historian, Jr.", work='The "Springtime" of Peoples: 1848', argument="It failed."
    )
    for kind, name, slug in [
        ("theme", "Revolutions, risings", "risings"),
        ("era", "1848", "1848"),
        ("region", "Europe", "eu"),
    ]:
        lesson.topics.add(Topic.objects.create(kind=kind, name=name, slug=slug))
    for order, (title, slug, relation) in enumerate(
        [("Congress of Vienna", "congress-of-vienna", "followed_from"), ("Paris {1871}", "commune", "see_also")], 1
    ):
        related = Lesson.objects.create(title=title, slug=slug, event_date=datetime.date(1815, 1, 1), summary="-")
        lesson.relations.create(order=order, related=related, relation=relation)
    return lesson


# Round trips


@pytest.mark.parametrize("form", ["text", "json"])
@pytest.mark.parametrize("document", [SEED_DOCUMENT, BERLIN, CUBA, ORIGINAL_SEED], ids=lambda path: path.stem)
def test_export_of_an_imported_document_imports_as_the_same_lesson(document, form):
    lesson = import_document(document, publish=False)
    before = state_of(lesson.slug)

    reimport_into_empty_database(export(lesson, form))

    assert state_of(lesson.slug) == before


@pytest.mark.parametrize("form", ["text", "json"])
@pytest.mark.parametrize("document", SHIPPED, ids=lambda path: path.stem)
def test_export_of_a_shipped_lesson_imports_as_the_same_lesson_with_its_links(document, form):
    run_import(*SHIPPED, publish=True)
    lesson = Lesson.objects.get(slug=document.stem)
    before = state_of(lesson.slug)
    assert before["relations"] and before["topics"] and before["key_terms"] and before["questions"]

    reimport_in_place_of(lesson, export(lesson, form))

    assert state_of(lesson.slug) == before


def test_awkward_lesson_round_trips_through_json_with_its_checks(awkward_lesson):
    before = state_of(awkward_lesson.slug)

    reimport_in_place_of(awkward_lesson, export(awkward_lesson, "json"))

    assert state_of(awkward_lesson.slug) == before


def test_awkward_lesson_round_trips_through_text(awkward_lesson):
    before = state_of(awkward_lesson.slug, checks=False)
    text = export(awkward_lesson, "text")

    reimport_in_place_of(awkward_lesson, text)

    assert state_of(awkward_lesson.slug, checks=False) == before
    assert lesson_to_text(Lesson.objects.get(slug=awkward_lesson.slug)) == text


def test_text_export_writes_the_classroom_parts_as_a_teacher_would(awkward_lesson):
    text = lesson_to_text(awkward_lesson)

    assert (
        "## Legacy {narrative}\n\nA short line\n\n"
        "A paragraph with a [link](https://example.org/page) and *emphasis*.\n\n"
        "- first item\n- second item\n  still the second\n\nA hard break  \nhere.\n\n"
        'Evidence: “The "People\'s" Charter” ((about) 1848), Archive, Room 3;, <https://example.org/charter_(1848)>\n\n'
    ) in text
    assert (
        '### Bread Prices {cause}\n\n1. one\n2. two\n\nEvidence: "Price list"\nEvidence: "Diary", https://example.org/d\n\n'
        in text
    )
    assert text.endswith(
        "## Key Terms {key terms}\n\n"
        "Barricade: A barrier: here, across a street.\n"
        "Revolution: A sudden change of government, by force.\n\n"
        "## Discussion Questions {discussion questions}\n\n"
        "Why 1848?\nExplain: who gained? Who lost?\n\n"
        "## Historians Disagree {historians disagree}\n\n"
        'A. Historian, Jr., “The "Springtime" of Peoples: 1848”: It failed.\n\n'
        "## Topics {topics}\n\n"
        'Theme: "Revolutions, risings"\nEra: 1848\nRegion: Europe\n\n'
        "## Related Lessons {related lessons}\n\n"
        "Followed from: Congress of Vienna\nSee also: Paris {1871} {commune}\n\n"
        "## Additional Resources {readings}\n\n" + text.split("{readings}\n\n")[1]
    )


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

    assert (data["format"], data["format_version"]) == ("history-lesson", 2)
    assert data["event_date"] == awkward_lesson.event_date.isoformat()
    assert [(s["heading"], s["parent"]) for s in data["sections"]][2:5] == [
        ("Effects of the Revolutions", None),
        ("Results at Home", 2),
        ("Bread Prices", 2),
    ]
    assert (data["readings"][0]["checked_by"], data["readings"][0]["checked_on"]) == ("checker", "2025-03-01")
    assert data["readings"][1]["checked_by"] is None
    assert data["sections"][4]["evidence"] == [
        {"title": "Price list", "date": "", "source": "", "url": ""},
        {"title": "Diary", "date": "", "source": "", "url": "https://example.org/d"},
    ]
    assert data["key_terms"][1] == {"term": "Revolution", "definition": "A sudden change of government, by force."}
    assert data["questions"][1] == {"question": "Explain: who gained? Who lost?"}
    assert data["topics"][0] == {"kind": "theme", "name": "Revolutions, risings"}
    assert data["related_lessons"] == [
        {"relation": "followed_from", "slug": "congress-of-vienna", "title": "Congress of Vienna"},
        {"relation": "see_also", "slug": "commune", "title": "Paris {1871}"},
    ]


def test_line_breaks_in_a_list_item_become_spaces_in_text(awkward_lesson):
    awkward_lesson.questions.create(order=3, question="Who won?\nWho lost?")

    assert "\nWho won? Who lost?\n" in lesson_to_text(awkward_lesson)


def test_a_version_1_export_still_imports(awkward_lesson):
    data = lesson_to_json(awkward_lesson)
    data["format_version"] = 1
    for key in ["key_terms", "questions", "interpretations", "topics", "related_lessons"]:
        del data[key]
    for section in data["sections"]:
        del section["evidence"]

    reimport_in_place_of(awkward_lesson, json.dumps(data))

    lesson = Lesson.objects.get(slug="revolutions-1848")
    assert lesson.sections.count() == 7
    assert not KeyTerm.objects.exists()


def test_text_export_of_a_revision_uses_the_sections_and_readings_given(awkward_lesson):
    sections = [Section(order=1, kind="cause", heading="Then", body="Old text.")]
    readings = [Reading(order=1, title="Old Book", authors="A. Historian", year=1990)]

    text = lesson_to_text(awkward_lesson, sections, readings, key_terms=[], questions=[], evidence=[])

    assert "## Then {cause}\n\nOld text.\n\n## Historians Disagree" in text
    assert "Legacy" not in text
    assert "Key Terms" not in text
    assert "Discussion Questions" not in text
    assert text.endswith('{readings}\n\n"Old Book" by A. Historian (1990).\n')


# JSON files on the command line


def test_import_lesson_command_reads_a_json_export(tmp_path, awkward_lesson):
    before = state_of(awkward_lesson.slug)
    path = tmp_path / "lesson.json"
    path.write_text(export(awkward_lesson, "json"))
    awkward_lesson.delete()

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
            changed("format_version", 3),
            "is a lesson export in format version 3; this site reads versions 1 to 2",
        ),
        "old-with-new-parts.json": (
            changed("format_version", 1),
            "JSON: interpretations is not a field this site knows",
        ),
        "bad-topic.json": (
            changed("topics.0.kind", "period"),
            "JSON: topics[0].kind is 'period'; use one of theme, era, region",
        ),
        "bad-relation.json": (
            changed("related_lessons.0.relation", "caused"),
            "JSON: related_lessons[0].relation is 'caused'; use one of led_to, followed_from, see_also",
        ),
        "no-evidence-title.json": (
            changed("sections.4.evidence.0.title", KeyError),
            "sections[4].evidence[0].title is missing",
        ),
        "term-twice.json": (changed("key_terms.1.term", "Barricade"), "the key term 'Barricade' is given twice"),
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
