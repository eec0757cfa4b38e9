import datetime
import re

import pytest
import reversion
from django.core.management import CommandError, call_command
from reversion.models import Version

from events.importer import (
    MAX_DOCUMENT_BYTES,
    LessonDocumentError,
    ParsedEvidence,
    ParsedReading,
    import_lesson,
    parse_evidence_line,
    parse_lesson_document,
    parse_reading_line,
    record_in_revision,
)
from events.models import (
    DiscussionQuestion,
    Evidence,
    Interpretation,
    KeyTerm,
    Lesson,
    Reading,
    RelatedLesson,
    Section,
    Topic,
)
from events.publishing import reading_problems

from .conftest import FIXTURE_DOCUMENTS, SEED_DOCUMENT

pytestmark = pytest.mark.django_db

# The seed exactly as first written, with the two readings the shipped lesson corrects.
ORIGINAL_SEED = FIXTURE_DOCUMENTS.parent / "original-seed-uncorrected.txt"
BERLIN = FIXTURE_DOCUMENTS / "berlin-wall.txt"
CUBA = FIXTURE_DOCUMENTS / "cuban-missile-crisis.txt"

MINIMAL = """The Key Event: A Small Event
In 1901 something small happened.
Why It Happened
Because it did.
"""


def run_import(*paths, publish=False):
    """Run import_lesson as an editor would; return (stdout, stderr, error or None)."""
    from io import StringIO

    out, err = StringIO(), StringIO()
    try:
        call_command("import_lesson", *map(str, paths), *(["--publish"] if publish else []), stdout=out, stderr=err)
    except CommandError as error:
        return out.getvalue(), err.getvalue(), error
    return out.getvalue(), err.getvalue(), None


def snapshot():
    """Everything the importer may touch, to show that a failed import changed nothing."""
    models = [Lesson, Section, Reading, KeyTerm, DiscussionQuestion, Interpretation, RelatedLesson, Evidence, Topic]
    return (
        *(list(model.objects.order_by("pk").values()) for model in models),
        list(Lesson.topics.through.objects.order_by("pk").values()),
    )


def sections_of(lesson):
    return [(s.kind, s.heading, s.parent.heading if s.parent else None) for s in lesson.sections.order_by("order")]


# The shipped seed lesson


def test_seed_maps_onto_lesson_sections_and_readings():
    out, err, error = run_import(SEED_DOCUMENT)

    assert error is None, err
    lesson = Lesson.objects.get()
    assert lesson.title == "USSR's Withdrawal from China"
    assert lesson.slug == "ussrs-withdrawal-from-china"
    assert lesson.event_date == datetime.date(1960, 7, 16)
    assert lesson.date_precision == Lesson.DatePrecision.DAY
    assert lesson.summary.startswith("On 16 July 1960 the Soviet government told China")
    assert sections_of(lesson) == [
        ("narrative", "Background of Sino-Soviet Relations", None),
        ("cause", "Reasons for Withdrawal", None),
        ("impact", "Impact of the USSR's Withdrawal from China", None),
        ("impact", "Shift in China's Foreign Policy", "Impact of the USSR's Withdrawal from China"),
        ("impact", "Consequences for the Cold War", "Impact of the USSR's Withdrawal from China"),
        ("fun_fact", "Interesting Facts about the USSR's Withdrawal", None),
    ]
    background = lesson.sections.get(kind="narrative")
    assert background.body.count("\n\n") == 1, "two paragraphs stay two paragraphs"
    assert background.body_html.count("<p>") == 2


def test_seed_readings_are_the_verified_books_with_their_identifiers():
    run_import(SEED_DOCUMENT)

    readings = list(Reading.objects.order_by("order").values_list("title", "authors", "publisher", "year", "isbn"))
    assert readings == [
        (
            "Mao and the Sino-Soviet Partnership, 1945–1959: A New History",
            "Zhihua Shen and Yafeng Xia",
            "Lexington Books",
            2015,
            "9781498511711",
        ),
        (
            "Mao and the Sino-Soviet Split, 1959–1973: A New History",
            "Danhui Li and Yafeng Xia",
            "Lexington Books",
            2018,
            "9781498511667",
        ),
        (
            "Two Suns in the Heavens: The Sino-Soviet Struggle for Supremacy, 1962–1967",
            "Sergey Radchenko",
            "Woodrow Wilson Center Press / Stanford University Press",
            2009,
            "9780804758796",
        ),
        (
            "Brothers in Arms: The Rise and Fall of the Sino-Soviet Alliance, 1945–1963",
            "Odd Arne Westad (ed.)",
            "Woodrow Wilson Center Press / Stanford University Press",
            1998,
            "",
        ),
    ]
    assert Reading.objects.get(order=4).url == (
        "https://www.wilsoncenter.org/book/brothers-arms-the-rise-and-fall-the-sino-soviet-alliance-1945-1963"
    )
    assert Reading.objects.get(order=3).note == "Reads the split as a struggle for leadership of the communist world."
    assert all(reading.identifier_problem is None for reading in Reading.objects.all())
    # The original seed's two unverifiable attributions are not shipped, nor books with no verified identifier.
    assert not Reading.objects.filter(authors__contains="van der Linden").exists()
    assert not Reading.objects.filter(title__contains="1956-1966").exists()
    assert not Reading.objects.filter(authors__in=["Lorenz M. Lüthi", "Chen Jian"]).exists()


def test_original_seed_document_imports_in_its_own_format():
    lesson = parse_lesson_document(ORIGINAL_SEED.read_text())

    assert lesson.title == "USSR's Withdrawal from China"
    assert (lesson.event_date, lesson.date_precision) == (datetime.date(1960, 1, 1), "year")
    assert [(s.kind, s.heading) for s in lesson.sections] == [
        ("narrative", "Background of Sino-Soviet Relations"),
        ("cause", "Reasons for Withdrawal"),
        ("impact", "Impact of the USSR's Withdrawal from China"),
        ("fun_fact", "Interesting Facts about the USSR's Withdrawal"),
    ]
    assert [s.heading for s in lesson.sections[2].subpanels] == [
        "Shift in China's Foreign Policy",
        "Consequences for the Cold War",
    ]
    assert [(r.title, r.authors) for r in lesson.readings] == [
        ("The Sino-Soviet Split: 1956-1966", "Chen Jian"),
        ("Mao and the Sino-Soviet Split", "Marcel van der Linden"),
    ]


# Other documents in the same format


def test_document_with_date_line_and_differently_worded_headings():
    run_import(BERLIN)

    lesson = Lesson.objects.get(slug="the-opening-of-the-berlin-wall")
    assert (lesson.event_date, lesson.date_precision) == (datetime.date(1989, 11, 9), "day")
    assert lesson.summary.startswith("On the evening of 9 November 1989")
    assert sections_of(lesson) == [
        ("narrative", "Setting the Scene", None),
        ("cause", "Why the Wall Opened", None),
        ("impact", "Effects of the Opening", None),
        ("impact", "Results for Germany", "Effects of the Opening"),
        ("impact", "Legacy in Europe", "Effects of the Opening"),
        ("fun_fact", "Did You Know?", None),
    ]
    assert "<em>immediately</em>" in lesson.sections.get(heading="Why the Wall Opened").body_html
    assert list(lesson.readings.values_list("authors", "publisher", "year")) == [
        ("Mary Elise Sarotte", "Basic Books", 2014)
    ]


def test_document_dated_to_the_month_with_cause_subpanels_and_inline_readings():
    run_import(CUBA)

    lesson = Lesson.objects.get(slug="the-cuban-missile-crisis")
    assert (lesson.event_date, lesson.date_precision) == (datetime.date(1962, 10, 1), "month")
    assert lesson.event_date_display == "October 1962"
    assert sections_of(lesson) == [
        ("narrative", "What Happened Before", None),
        ("cause", "Causes of the Crisis", None),
        ("cause", "Roots in the Bay of Pigs Invasion", "Causes of the Crisis"),
        ("cause", "Motives in Moscow", "Causes of the Crisis"),
        ("impact", "Aftermath", None),
        ("fun_fact", "Fun Facts", None),
    ]
    assert list(lesson.readings.values_list("authors", flat=True)) == ["Michael Dobbs", "Robert F. Kennedy"]


@pytest.mark.parametrize(
    ("heading", "kind"),
    [
        ("Reasons for the Treaty", "cause"),
        ("Why Moscow Acted", "cause"),
        ("The Origins of the Quarrel", "cause"),
        ("Long-term Consequences", "impact"),
        ("Effects on Trade", "impact"),
        ("Legacy", "impact"),
        ("Aftermath", "impact"),
        ("Background", "narrative"),
        ("Causes (1955–1960)", "cause"),
        ("The People Involved", "narrative"),
    ],
)
def test_section_kind_is_inferred_from_heading_words(heading, kind):
    document = parse_lesson_document(MINIMAL.replace("Why It Happened", heading))

    assert document.sections[0].kind == kind


def test_blank_lines_windows_line_endings_and_byte_order_mark_are_accepted(tmp_path):
    path = tmp_path / "windows.txt"
    path.write_bytes(("\ufeff" + MINIMAL.replace("\n", "\r\n\r\n")).encode())

    out, err, error = run_import(path)

    assert error is None, err
    assert Lesson.objects.get().title == "A Small Event"


# Publishing and re-importing


def test_import_makes_a_draft_unless_published():
    run_import(BERLIN)
    run_import(SEED_DOCUMENT, publish=True)

    assert Lesson.objects.get(slug="the-opening-of-the-berlin-wall").status == Lesson.Status.DRAFT
    seed = Lesson.objects.get(slug="ussrs-withdrawal-from-china")
    assert seed.status == Lesson.Status.PUBLISHED
    assert seed.published_at is not None
    assert list(Lesson.objects.published()) == [seed]


def test_publishing_needs_an_identifier_for_every_reading_and_changes_nothing_otherwise():
    run_import(SEED_DOCUMENT, publish=True)
    before = snapshot()

    out, err, error = run_import(CUBA, publish=True)

    assert err.strip() == (
        f"{CUBA}: cannot publish: "
        "Reading “One Minute to Midnight: Kennedy, Khrushchev, and Castro on the Brink of Nuclear War”: "
        "it has no ISBN, DOI or publisher or library catalogue URL. "
        "Reading “Thirteen Days: A Memoir of the Cuban Missile Crisis”: "
        "it has no ISBN, DOI or publisher or library catalogue URL."
    )
    assert snapshot() == before

    out, err, error = run_import(CUBA)

    assert error is None, err
    assert Lesson.objects.get(slug="the-cuban-missile-crisis").status == Lesson.Status.DRAFT


def test_reimporting_a_published_lesson_also_needs_identifiers(tmp_path):
    run_import(SEED_DOCUMENT, publish=True)
    before = snapshot()
    edited = tmp_path / "edited.txt"
    edited.write_text(SEED_DOCUMENT.read_text().replace(" ISBN 978-0-8047-5879-6.", ""))

    out, err, error = run_import(edited)

    assert "cannot update the published lesson: Reading “Two Suns in the Heavens" in err
    assert snapshot() == before


def test_reading_problems_names_each_reading_without_an_identifier():
    readings = [
        Reading(title="Has an ISBN", authors="A", isbn="978-1-4985-1166-7"),
        Reading(title="Has a DOI", authors="A", doi="10.1017/S0305741000000000"),
        Reading(title="Has a URL", authors="A", url="https://example.org/book"),
        Reading(title="Has a bad ISBN", authors="A", isbn="978-1-4985-1166-8"),
        Reading(title="Has nothing", authors="A"),
    ]

    assert reading_problems(readings) == [
        "Reading “Has a bad ISBN”: it has no ISBN, DOI or publisher or library catalogue URL.",
        "Reading “Has nothing”: it has no ISBN, DOI or publisher or library catalogue URL.",
    ]


def test_reimporting_updates_the_lesson_and_never_duplicates(tmp_path):
    run_import(SEED_DOCUMENT, publish=True)
    lesson = Lesson.objects.get()
    edited = tmp_path / "edited.txt"
    edited.write_text(SEED_DOCUMENT.read_text().replace("Reasons for Withdrawal", "Why Moscow Recalled Its Experts"))

    out, err, error = run_import(edited)

    assert error is None, err
    assert "updated 'USSR's Withdrawal from China' (published)" in out
    assert Lesson.objects.count() == 1
    lesson.refresh_from_db()
    assert lesson.status == Lesson.Status.PUBLISHED, "re-importing keeps a published lesson published"
    assert Section.objects.count() == 6
    assert Reading.objects.count() == 4
    assert lesson.sections.filter(heading="Why Moscow Recalled Its Experts", kind="cause").exists()
    assert not lesson.sections.filter(heading="Reasons for Withdrawal").exists()


# Bad input: a one-line message naming the file, a non-zero exit, nothing changed


def bad_documents(tmp_path):
    """Each bad document, with a phrase its error message must contain."""
    cases = {
        "empty.txt": (b"", "is empty"),
        "blank.txt": (b"\n  \n\t\n", "is empty"),
        "binary.txt": (b"The Key Event: X\n\x00\x01\x02\xff", "is not a text file"),
        "latin1.txt": ("The Key Event: Café\nIn 1960 it happened.\nWhy\nBecause.\n".encode("latin-1"), "not UTF-8"),
        "no-headings.txt": (b"The Key Event: Flat\nIn 1960 a thing happened. It was long. It went on.", "no headings"),
        "no-title.txt": (b"Some Heading\nIn 1960 a thing happened.\n", "starts with 'The Key Event: <title>'"),
        "no-summary.txt": (b"The Key Event: X\nBackground\nIn 1960 a thing happened.\n", "key-event paragraph"),
        "no-date.txt": (b"The Key Event: X\nSomething happened once.\nWhy\nBecause.\n", "no date found"),
        "bad-date.txt": (b"The Key Event: X\nDate: sometime\nIn 1960.\nWhy\nBecause.\n", "not a date"),
        "empty-heading.txt": (
            b"The Key Event: X\nIn 1960 it happened.\nWhy\nLegacy\nIt lasted.\n",
            "no text under it",
        ),
        "huge.txt": ((MINIMAL + "x" * MAX_DOCUMENT_BYTES).encode(), "larger than 256 KB"),
        "no-readings.txt": (
            (MINIMAL + "Further Reading\nAsk your librarian.\n").encode(),
            "names no readings",
        ),
        "bad-link.txt": (
            MINIMAL.replace("Because it did.", "See [this](javascript:alert(1)).").encode(),
            "line 3: section 'Why It Happened': Links must start with https://, http:// or / "
            "(a page of this site). Change or remove: javascript:alert(1)",
        ),
        "markdown-heading.txt": (
            MINIMAL.replace("Because it did.", "Because it did.\n# A heading").encode(),
            "line 3: section 'Why It Happened': A section's text cannot hold headings",
        ),
        "long-heading.txt": (
            f"{MINIMAL}## {'Long ' * 50}{{narrative}}\nText.\n".encode(),
            "line 5: section 'Long Long Long Long Long Long Long Long Long Long Long Long…': "
            "heading: Ensure this value has at most 200 characters (it has 249).",
        ),
        "bad-isbn.txt": (
            (MINIMAL + 'Further Reading\n"A Book" by A. Historian (Press, 2001). ISBN 978-1-4985-1166-8.\n').encode(),
            "line 6: reading 'A Book': This ISBN is not valid: its check digit is wrong",
        ),
        "future-year.txt": (
            (MINIMAL + 'Further Reading\n"A Book" by A. Historian (Press, 2999).\n').encode(),
            "line 6: reading 'A Book': 2999 is in the future",
        ),
        "not-json.json": (
            b'{"format": "history-lesson", ',
            "is not valid JSON (line 1, column 30: Expecting property name",
        ),
        "wrong-format.json": (b'{"format": "something-else"}', 'not a lesson export: it has no "format"'),
    }
    for name, (content, _) in cases.items():
        (tmp_path / name).write_bytes(content)
    return {tmp_path / name: phrase for name, (_, phrase) in cases.items()}


def test_each_bad_document_gets_a_one_line_error_and_changes_nothing(tmp_path):
    run_import(SEED_DOCUMENT, publish=True)
    before = snapshot()

    for path, phrase in bad_documents(tmp_path).items():
        out, err, error = run_import(path)

        assert error is not None, path.name
        assert err.strip() == err.strip().splitlines()[0], f"{path.name}: one line, got {err!r}"
        assert err.startswith(f"{path}: "), err
        assert phrase in err, err
        assert f"Failed: {path}." in str(error)
        assert snapshot() == before, path.name


def test_unreadable_paths_are_reported(tmp_path):
    folder = tmp_path / "a-folder"
    folder.mkdir()
    missing = tmp_path / "missing.txt"

    out, err, error = run_import(folder, missing)

    assert f"{folder}: is a folder, not a lesson document" in err
    assert f"{missing}: no such file" in err
    assert "Imported 0 of 2 lessons" in str(error)


def test_file_the_system_cannot_open_is_reported_with_the_reason(tmp_path):
    not_a_folder = tmp_path / "lesson.txt"
    not_a_folder.write_text(MINIMAL)

    out, err, error = run_import(not_a_folder / "inside.txt")

    assert f"{not_a_folder / 'inside.txt'}: cannot be read (Not a directory)" in err
    assert error is not None


def test_bad_file_among_good_ones_does_not_stop_or_undo_them(tmp_path):
    bad = tmp_path / "broken.txt"
    bad.write_bytes(b"\x00\x00")

    out, err, error = run_import(SEED_DOCUMENT, bad, BERLIN)

    assert Lesson.objects.count() == 2
    assert "Imported 2 of 3 lessons (2 created, 0 updated). Failed: " in str(error)
    assert str(bad) in str(error)
    assert f"{bad}: is not a text file (it contains binary data)" in err


def test_lesson_that_breaks_a_model_rule_rolls_back_whole_file(tmp_path):
    run_import(SEED_DOCUMENT, publish=True)
    before = snapshot()
    long_reading = tmp_path / "long-reading.txt"
    long_reading.write_text(
        SEED_DOCUMENT.read_text().replace("Two Suns in the Heavens", "Two Suns " + "and more " * 40)
    )

    out, err, error = run_import(long_reading)

    assert "line 37: reading 'Two Suns and more" in err
    assert "title: Ensure this value has at most 300 characters" in err
    assert snapshot() == before


def test_later_section_that_breaks_a_model_rule_rolls_back_earlier_ones(tmp_path):
    run_import(SEED_DOCUMENT, publish=True)
    before = snapshot()
    bad_link = tmp_path / "bad-link.txt"
    bad_link.write_text(SEED_DOCUMENT.read_text().replace("in June 1960,", "in [June 1960](ftp://example.org),"))

    out, err, error = run_import(bad_link)

    assert "line 6: section 'Reasons for Withdrawal': Links must start with" in err
    assert "Change or remove: ftp://example.org" in err
    assert snapshot() == before


def test_if_empty_imports_only_into_an_empty_database(tmp_path):
    from io import StringIO

    call_command("import_lesson", str(SEED_DOCUMENT), "--publish", "--if-empty", stdout=StringIO())
    assert Lesson.objects.published().count() == 1

    out = StringIO()
    call_command("import_lesson", str(BERLIN), "--publish", "--if-empty", stdout=out)

    assert Lesson.objects.count() == 1
    assert "already holds lessons; nothing imported" in out.getvalue()


def test_parse_error_is_a_lesson_document_error():
    with pytest.raises(LessonDocumentError, match="line 1"):
        parse_lesson_document("Not a title line\nIn 1960.\n")


# Reading lines


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            '"Mao and the Sino-Soviet Split" by Danhui Li and Yafeng Xia (Lexington Books, 2018). '
            "ISBN 978-1-4985-1166-7.",
            ParsedReading(
                "Mao and the Sino-Soviet Split",
                "Danhui Li and Yafeng Xia",
                "Lexington Books",
                2018,
                isbn="978-1-4985-1166-7",
            ),
        ),
        (
            '"Brothers in Arms" by Odd Arne Westad (ed.) (Stanford University Press, 1998) https://example.org/b',
            ParsedReading(
                "Brothers in Arms",
                "Odd Arne Westad (ed.)",
                "Stanford University Press",
                1998,
                url="https://example.org/b",
            ),
        ),
        ('"A Pamphlet" by A. Writer (1848).', ParsedReading("A Pamphlet", "A. Writer", "", 1848)),
        ('"Undated" by A. Writer (Some Press, n.d.).', ParsedReading("Undated", "A. Writer", "Some Press", None)),
        (
            '"An Article" by B. Scholar (2011). doi:10.1017/S0305741011000000. Note: Short and clear.',
            ParsedReading(
                "An Article", "B. Scholar", "", 2011, doi="10.1017/S0305741011000000", note="Short and clear."
            ),
        ),
        (
            '"An Article" by B. Scholar. DOI 10.1080/14682745.2011.123',
            ParsedReading("An Article", "B. Scholar", doi="10.1080/14682745.2011.123"),
        ),
        (
            '"An Article" by B. Scholar https://doi.org/10.1000/xyz Note: See also "Other" by C. Writer.',
            ParsedReading("An Article", "B. Scholar", doi="10.1000/xyz", note='See also "Other" by C. Writer.'),
        ),
        (
            '“A "Quoted" Word” by Jo Smith Jr.. ISBN-10: 0-8047-5879-X <https://example.org/a_(b)>',
            ParsedReading('A "Quoted" Word', "Jo Smith Jr.", isbn="0-8047-5879-X", url="https://example.org/a_(b)"),
        ),
    ],
)
def test_reading_line_parts(line, expected):
    assert parse_reading_line(line) == [expected]


def test_readings_in_prose_keep_working():
    readings = parse_reading_line(
        'Two good books are "One Minute to Midnight" by Michael Dobbs (Alfred A. Knopf, 2008) and '
        '"Thirteen Days" by Robert F. Kennedy (W. W. Norton, 1969).'
    )

    assert [(r.title, r.authors, r.publisher, r.year) for r in readings] == [
        ("One Minute to Midnight", "Michael Dobbs", "Alfred A. Knopf", 2008),
        ("Thirteen Days", "Robert F. Kennedy", "W. W. Norton", 1969),
    ]


def test_reading_with_two_isbns_is_refused():
    with pytest.raises(LessonDocumentError, match="line 9: reading 'A' has 2 ISBNs; give one"):
        parse_reading_line('"A" by B (C, 2001). ISBN 978-1-4985-1166-7. ISBN 978-1-4985-1171-1.', line=9)


# The explicit form


EXPLICIT = """The Key Event: A Small Event
Slug: small-event
Date: March 1901

In 1901 something small happened.

- it was small
- it was brief

## Legacy {narrative}

A short line

Another paragraph.

## Why It Mattered {impact}

## Effects on Trade

Trade went on.

### Bay of Pigs

Not that one.

### Why Ports Closed {cause}

They closed.

## Sources {narrative}

Letters.

## Fun Facts

It rained.

## Reading list {readings}

"A Book" by A. Historian (Press, 2001). ISBN 978-1-4985-1166-7.
"""


def test_explicit_form_keeps_text_as_written_and_takes_kinds_from_tags():
    document = parse_lesson_document(EXPLICIT)

    assert (document.slug, document.event_date, document.date_precision) == (
        "small-event",
        datetime.date(1901, 3, 1),
        "month",
    )
    assert document.summary == "In 1901 something small happened.\n\n- it was small\n- it was brief"
    assert [(s.kind, s.heading, s.body, s.line) for s in document.sections] == [
        ("narrative", "Legacy", "A short line\n\nAnother paragraph.", 10),
        ("impact", "Why It Mattered", "", 16),
        ("impact", "Effects on Trade", "Trade went on.", 18),
        ("narrative", "Sources", "Letters.", 30),
        ("fun_fact", "Fun Facts", "It rained.", 34),
    ]
    assert [(s.kind, s.heading, s.body) for s in document.sections[2].subpanels] == [
        ("impact", "Bay of Pigs", "Not that one."),
        ("cause", "Why Ports Closed", "They closed."),
    ]
    assert [(r.title, r.isbn, r.line) for r in document.readings] == [("A Book", "978-1-4985-1166-7", 40)]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (("## Effects on Trade", "## Trade"), "line 22: '### Bay of Pigs' is a sub-panel, so it must follow"),
        (("{narrative}", "{story}"), "line 10: '{story}' is not a kind; end the heading with {narrative}, {cause}"),
        (("## Sources {narrative}", "## {narrative}"), "line 30: write the heading after '## '"),
        (("### Bay of Pigs", "### Bay of Pigs {readings}"), "line 22: readings cannot be a sub-panel"),
        (
            ("In 1901 something small happened.\n\n- it was small\n- it was brief\n", ""),
            "line 6: the key-event paragraph is missing",
        ),
    ],
)
def test_explicit_form_mistakes_are_named_with_their_line(change, message):
    with pytest.raises(LessonDocumentError, match=re.escape(message)):
        parse_lesson_document(EXPLICIT.replace(*change))


# Classroom parts: key terms, questions, interpretations, topics, related lessons, evidence


CLASSROOM = """The Key Event: A Small Event
In 1901 something small happened.
Why It Happened
Because it did.
Evidence: "A Letter" (3 May 1901), Town Archive, https://example.org/letter
Evidence: “The "Blue" Diary”
Key Terms:
Event: something that happens.
- Small: not large.
Discussion Questions
Why did it happen?
2. Describe what followed.
Historians Disagree
A. Historian, "A Book: Its Subtitle": It was bigger than it looked.
Topics
Theme: Small things, "Towns, villages"
Era: Edwardian era
Regions: Europe
Related Lessons
Led to: A Bigger Event
See also: Another Event {another-event-1902}
Aftermath
It was soon forgotten.
Fun Fact
Did You Know?
It rained.
"""


def test_classroom_parts_are_read_from_their_headings_in_the_implicit_form():
    document = parse_lesson_document(CLASSROOM)

    assert [(s.kind, s.heading, s.body) for s in document.sections] == [
        ("cause", "Why It Happened", "Because it did."),
        ("impact", "Aftermath", "It was soon forgotten."),
        ("fun_fact", "Did You Know?", "It rained."),
    ]
    assert document.sections[0].evidence == [
        ParsedEvidence("A Letter", "3 May 1901", "Town Archive", "https://example.org/letter", line=5),
        ParsedEvidence('The "Blue" Diary', line=6),
    ]
    lists = document.lists
    assert [(t.term, t.definition, t.line) for t in lists.key_terms] == [
        ("Event", "something that happens.", 8),
        ("Small", "not large.", 9),
    ]
    assert [q.question for q in lists.questions] == ["Why did it happen?", "Describe what followed."]
    assert [(i.historian, i.work, i.argument) for i in lists.interpretations] == [
        ("A. Historian", "A Book: Its Subtitle", "It was bigger than it looked.")
    ]
    assert [(t.kind, t.name) for t in lists.topics] == [
        ("theme", "Small things"),
        ("theme", "Towns, villages"),
        ("era", "Edwardian era"),
        ("region", "Europe"),
    ]
    assert [(r.relation, r.slug, r.title, r.line) for r in lists.relations] == [
        ("led_to", "a-bigger-event", "A Bigger Event", 20),
        ("see_also", "another-event-1902", "Another Event", 21),
    ]


def test_classroom_parts_in_the_explicit_form_are_found_by_tag_or_by_heading():
    document = parse_lesson_document(
        "The Key Event: A Small Event\n\nIn 1901 something small happened.\n\n"
        '## Why {cause}\n\nBecause.\n\nEvidence: "A Letter", Town Archive\n\n'
        "## Words {key terms}\n\nEvent: something that happens.\n\n"
        "## Discussion Questions\n\nWhy?\n\n"
        "## Links {related lessons}\n\nFollowed from: Before\n"
    )

    assert [(s.heading, s.body, [e.title for e in s.evidence]) for s in document.sections] == [
        ("Why", "Because.", ["A Letter"])
    ]
    assert [t.term for t in document.lists.key_terms] == ["Event"]
    assert [q.question for q in document.lists.questions] == ["Why?"]
    assert [(r.relation, r.slug) for r in document.lists.relations] == [("followed_from", "before")]


def test_a_section_called_questions_of_something_stays_a_section():
    document = parse_lesson_document(MINIMAL + "Questions of Trust\nThey trusted nobody.\n")

    assert [s.heading for s in document.sections] == ["Why It Happened", "Questions of Trust"]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ('Evidence: "A Note"', ParsedEvidence("A Note")),
        ('Evidence: "A Note" (18 July 1960)', ParsedEvidence("A Note", "18 July 1960")),
        ('evidence: "A Note", An Archive.', ParsedEvidence("A Note", source="An Archive.")),
        (
            'Evidence: "A Note" (1960), Foreign Relations of the United States, 1958–1960, volume XIX',
            ParsedEvidence("A Note", "1960", "Foreign Relations of the United States, 1958–1960, volume XIX"),
        ),
        (
            'Evidence: "A Note" (1960) <https://example.org/a_(b)>.',
            ParsedEvidence("A Note", "1960", url="https://example.org/a_(b)"),
        ),
    ],
)
def test_evidence_line_parts(line, expected):
    assert parse_evidence_line(line) == expected


def test_classroom_parts_become_rows_of_the_lesson_and_its_section(tmp_path):
    path = tmp_path / "classroom.txt"
    path.write_text(CLASSROOM)

    out, err, error = run_import(path)

    assert error is None, err
    lesson = Lesson.objects.get()
    cause = lesson.sections.get(kind="cause")
    assert cause.body == "Because it did.", "evidence lines are not part of the text"
    assert list(cause.evidence.values_list("order", "title", "date", "source", "url")) == [
        (1, "A Letter", "3 May 1901", "Town Archive", "https://example.org/letter"),
        (2, 'The "Blue" Diary', "", "", ""),
    ]
    assert list(lesson.key_terms.values_list("term", "definition")) == [
        ("Event", "something that happens."),
        ("Small", "not large."),
    ]
    assert list(lesson.questions.values_list("order", "question")) == [
        (1, "Why did it happen?"),
        (2, "Describe what followed."),
    ]
    assert lesson.interpretations.get().work == "A Book: Its Subtitle"
    assert sorted(lesson.topics.values_list("kind", "name", "slug")) == [
        ("era", "Edwardian era", "edwardian-era"),
        ("region", "Europe", "europe"),
        ("theme", "Small things", "small-things"),
        ("theme", "Towns, villages", "towns-villages"),
    ]


def test_reimporting_replaces_classroom_rows_and_reuses_topics(tmp_path):
    path = tmp_path / "classroom.txt"
    path.write_text(CLASSROOM)
    run_import(path)
    path.write_text(
        CLASSROOM.replace("Small: not large.", "Tiny: very small.")
        .replace("Why did it happen?\n", "")
        .replace("Era: Edwardian era", "Era: edwardian ERA")
    )

    out, err, error = run_import(path)

    assert error is None, err
    lesson = Lesson.objects.get()
    assert list(lesson.key_terms.values_list("term", flat=True)) == ["Event", "Tiny"]
    assert list(lesson.questions.values_list("order", "question")) == [(1, "Describe what followed.")]
    assert Evidence.objects.count() == 2
    assert Interpretation.objects.count() == 1
    assert Topic.objects.count() == 4, "a topic is found by its kind and name, whatever the case"
    assert lesson.topics.filter(name="Edwardian era").exists()


def test_topics_of_different_kinds_with_one_name_get_different_addresses(tmp_path):
    path = tmp_path / "topics.txt"
    path.write_text(MINIMAL + "Topics\nTheme: Cold War\nEra: Cold War\nEra: Cold War (1947–1991)\n")

    run_import(path)

    assert sorted(Topic.objects.values_list("kind", "slug")) == [
        ("era", "cold-war-1947-1991"),
        ("era", "cold-war-era"),
        ("theme", "cold-war"),
    ]


def related_documents(tmp_path):
    earlier = tmp_path / "earlier.txt"
    earlier.write_text(
        MINIMAL.replace("A Small Event", "The Earlier Event")
        + "Related Lessons\nLed to: The Later Event\nSee also: The Missing Event\n"
    )
    later = tmp_path / "later.txt"
    later.write_text(
        MINIMAL.replace("A Small Event", "The Later Event").replace("1901", "1905")
        + "Related Lessons\nFollowed from: The Earlier Event\n"
    )
    return earlier, later


def test_related_lessons_named_before_they_exist_are_linked_once_all_files_are_in(tmp_path):
    earlier, later = related_documents(tmp_path)

    out, err, error = run_import(earlier, later)

    assert error is None, err
    assert "Imported 2 of 2 lessons" in out
    links = RelatedLesson.objects.order_by("lesson__slug", "order")
    assert [(r.lesson.slug, r.relation, r.related.slug) for r in links] == [
        ("the-earlier-event", "led_to", "the-later-event"),
        ("the-later-event", "followed_from", "the-earlier-event"),
    ]
    assert err.strip() == (
        f"{earlier}: line 7: warning: no lesson 'The Missing Event' (the-missing-event) to link to; "
        "imported without that related lesson"
    )


def test_a_related_lesson_is_linked_one_way_only(tmp_path):
    earlier, later = related_documents(tmp_path)
    later.write_text(MINIMAL.replace("A Small Event", "The Later Event"))

    run_import(earlier, later)

    assert list(RelatedLesson.objects.values_list("lesson__slug", "related__slug")) == [
        ("the-earlier-event", "the-later-event")
    ]


def test_reimporting_the_target_keeps_the_links_to_it(tmp_path):
    earlier, later = related_documents(tmp_path)
    run_import(earlier, later)

    run_import(later)

    assert RelatedLesson.objects.filter(lesson__slug="the-earlier-event").count() == 1


def test_an_import_and_its_links_are_recorded_in_the_lessons_history(tmp_path):
    earlier, later = related_documents(tmp_path)
    path = tmp_path / "classroom.txt"
    path.write_text(CLASSROOM)

    run_import(earlier, later, path)

    lesson = Lesson.objects.get(slug="a-small-event")
    revision = Version.objects.get_for_object(lesson).first().revision
    recorded = {version.content_type.model for version in revision.version_set.all()}
    assert recorded == {"lesson", "section", "evidence", "keyterm", "discussionquestion", "interpretation"}
    # The lesson's first revision lacks the link to a lesson imported after it; a second one has it.
    earlier_versions = Version.objects.get_for_object(Lesson.objects.get(slug="the-earlier-event"))
    assert [v.revision.comment for v in earlier_versions] == [
        "Linked the related lessons named in earlier.txt.",
        "Imported from earlier.txt.",
    ]
    models = {v.content_type.model for v in earlier_versions.first().revision.version_set.all()}
    assert "relatedlesson" in models


def latest_revision(lesson):
    """What the lesson's latest revision holds: each row's serialized data, by model and id."""
    revision = Version.objects.get_for_object(lesson).first().revision
    return {(v.content_type.model, v.object_id): v.serialized_data for v in revision.version_set.all()}


def test_an_import_records_the_lesson_in_its_history_as_the_database_holds_it():
    # The import records the rows as it has just made them, without reading them back: a record read
    # back must be the same, for a new lesson and for one whose rows an import replaces.
    others = sorted(set(SEED_DOCUMENT.parent.glob("*.txt")) - {SEED_DOCUMENT})
    for paths in ([SEED_DOCUMENT], [*others, SEED_DOCUMENT]):  # the second time linked to the others
        run_import(*paths, publish=True)
        lesson = Lesson.objects.get(slug="ussrs-withdrawal-from-china")
        imported = latest_revision(lesson)

        with reversion.create_revision():
            record_in_revision(lesson)

        assert latest_revision(lesson) == imported
    assert {model for model, _ in imported} == {
        "lesson",
        "section",
        "evidence",
        "reading",
        "keyterm",
        "discussionquestion",
        "interpretation",
        "relatedlesson",
    }


def sized_document(title, size):
    """A document with `size` of each part the importer makes in bulk (sections with evidence,
    sub-panels, readings, key terms, questions, interpretations), and one topic."""
    numbers = range(1, size + 1)
    lines = [f"The Key Event: {title}", "In 1901 something happened."]
    for n in numbers:
        lines += [f"Why Part {n} Happened", f"Because of thing {n}.", f'Evidence: "Letter {n}" (1901), Town Archive']
    lines += ["Impact of the Event", "It changed places."]
    for n in numbers:
        lines += [f"Effects on Place {n}", "It changed."]
    lines += ["Key Terms", *(f"Term {n}: what it means." for n in numbers)]
    lines += ["Discussion Questions", *(f"Why did part {n} matter?" for n in numbers)]
    lines += ["Historians Disagree", *(f'Historian {n}, "Work {n}": It was part {n}.' for n in numbers)]
    lines += ["Topics", "Theme: Small things", "Additional Resources"]
    lines += [f'"Book {n}" by Author {n} (Press, 2001). https://example.org/books/{n}' for n in numbers]
    return parse_lesson_document("\n".join(lines) + "\n")


def test_importing_a_lesson_takes_the_same_queries_whatever_its_size(django_assert_num_queries):
    with reversion.create_revision():  # the topic made, and what Django reads once a process
        import_lesson(document=sized_document("A First Event", 1), publish=True)

    for size in (1, 5):
        document = sized_document(f"An Event of Size {size}", size)
        with django_assert_num_queries(28), reversion.create_revision():
            import_lesson(document=document, publish=True)

        lesson = Lesson.objects.get(slug=document.slug)
        assert lesson.sections.filter(parent__isnull=False).count() == size
        versions = Version.objects.get_for_object(lesson).get().revision.version_set
        assert versions.count() == 2 + 7 * size  # the lesson, its "Impact of" panel, and seven rows a part


def bad_classroom_documents():
    """Each mistake in a classroom part, with the one-line message it must get."""
    return {
        "term-without-definition.txt": (
            MINIMAL + "Key Terms\nEvent: something that happens.\nCommunism, a system of common ownership.\n",
            "line 7: write each key term on a line of its own as 'Term: what it means'",
        ),
        "term-twice.txt": (
            MINIMAL + "Key Terms\nEvent: a thing.\nevent: another thing.\n",
            "line 7: the key term 'event' is given twice (also on line 6)",
        ),
        "term-too-long.txt": (
            MINIMAL + f"Key Terms\n{'Long ' * 30}: a thing.\n",
            "line 6: key term 'Long Long Long Long Long Long Long Long Long Long Long Long…': "
            "term: Ensure this value has at most 100 characters",
        ),
        "empty-list.txt": (MINIMAL + "Discussion Questions\n", "line 5: 'Discussion Questions' has nothing under it"),
        "bad-interpretation.txt": (
            MINIMAL + "Historians Disagree\nSome historians think it was big.\n",
            'line 6: write each interpretation as Historian, "Work": what they argue',
        ),
        "bad-topic-kind.txt": (
            MINIMAL + "Topics\nPeriod: Edwardian\n",
            "line 6: write each topic as 'Theme: …', 'Era: …' or 'Region: …' (not 'Period')",
        ),
        "empty-topic.txt": (MINIMAL + "Topics\nTheme: Cold War, , Empires\n", "line 6: a topic's name is missing"),
        "bad-relation.txt": (
            MINIMAL + "Related Lessons\nCaused: Another Event\n",
            "line 6: write each related lesson as 'Led to: <title>', 'Followed from: <title>' or 'See also: <title>'",
        ),
        "self-relation.txt": (
            MINIMAL + "Related Lessons\nSee also: A Small Event\n",
            "line 6: 'A Small Event' is this lesson: a lesson cannot be related to itself",
        ),
        "relation-twice.txt": (
            MINIMAL + "Related Lessons\nSee also: Another Event\nLed to: Another Event\n",
            "line 7: the related lesson 'Another Event' is given twice (also on line 6)",
        ),
        "bad-evidence.txt": (
            MINIMAL.replace("Because it did.", "Because it did.\nEvidence: a letter somewhere"),
            'line 5: write evidence as Evidence: "Title" (date), archive or publisher, https://…',
        ),
        "bad-evidence-url.txt": (
            MINIMAL.replace("Because it did.", 'Because it did.\nEvidence: "A Letter", https://exa mple'),
            "line 5: evidence 'A Letter': URL: Enter a valid URL.",
        ),
        "evidence-in-key-event.txt": (
            MINIMAL.replace("\nWhy", '\nEvidence: "A Letter"\nWhy'),
            "line 3: evidence belongs to a section; move the Evidence line under the heading it supports",
        ),
    }


def test_each_bad_classroom_part_gets_a_one_line_error_and_changes_nothing(tmp_path):
    run_import(SEED_DOCUMENT, publish=True)
    before = snapshot()

    for name, (content, phrase) in bad_classroom_documents().items():
        path = tmp_path / name
        path.write_text(content)

        out, err, error = run_import(path)

        assert error is not None, name
        assert err.strip() == err.strip().splitlines()[0], f"{name}: one line, got {err!r}"
        assert err.startswith(f"{path}: "), err
        assert phrase in err, err
        assert snapshot() == before, name


def test_a_bad_classroom_part_rolls_back_the_topics_it_made(tmp_path):
    path = tmp_path / "late-mistake.txt"
    path.write_text(MINIMAL + "Topics\nTheme: Brand New Theme\nRelated Lessons\nSee also: A Small Event\n")

    out, err, error = run_import(path)

    assert error is not None
    assert not Topic.objects.exists()
    assert not Lesson.objects.exists()
