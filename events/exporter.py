"""
Lessons written out as documents that import back as the same lesson: the explicit
text form (see importer.py) and JSON. The importer reads both.
"""

from collections.abc import Iterable
from dataclasses import dataclass

from django.utils.text import slugify

from .importer import (
    INTERPRETATIONS,
    JSON_FORMAT,
    JSON_FORMAT_VERSION,
    KEY_TERMS,
    KIND_TAGS,
    MONTHS,
    QUESTIONS,
    READINGS,
    RELATED,
    TOPICS,
)
from .models import (
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

MONTH_NAMES = [month.capitalize() for month in MONTHS.split("|")]
HEADINGS = {
    KEY_TERMS: "Key Terms",
    QUESTIONS: "Discussion Questions",
    INTERPRETATIONS: "Historians Disagree",
    TOPICS: "Topics",
    RELATED: "Related Lessons",
    READINGS: "Additional Resources",
}
READINGS_HEADING = HEADINGS[READINGS]


@dataclass
class _Parts:
    """A lesson's classroom parts, its own or those given (an old revision's), in the order they are written."""

    key_terms: list[KeyTerm]
    questions: list[DiscussionQuestion]
    interpretations: list[Interpretation]
    topics: list[Topic]
    relations: list[RelatedLesson]
    evidence: dict[int, list[Evidence]]  # by section pk

    @classmethod
    def of(cls, lesson: Lesson, given: dict) -> "_Parts":
        if unknown := sorted(
            given.keys() - {"key_terms", "questions", "interpretations", "topics", "relations", "evidence"}
        ):
            raise TypeError(f"a lesson has no part called {unknown[0]!r}")

        def pick(name, own):
            return list(own() if given.get(name) is None else given[name])

        evidence: dict[int, list[Evidence]] = {}
        for item in _in_order(pick("evidence", lambda: Evidence.objects.filter(section__lesson=lesson))):
            evidence.setdefault(item.section_id, []).append(item)
        kinds = list(Topic.Kind.values)
        return cls(
            key_terms=sorted(pick("key_terms", lesson.key_terms.all), key=lambda item: item.term),
            questions=_in_order(pick("questions", lesson.questions.all)),
            interpretations=_in_order(pick("interpretations", lesson.interpretations.all)),
            topics=sorted(pick("topics", lesson.topics.all), key=lambda item: (kinds.index(item.kind), item.name)),
            relations=_in_order(pick("relations", lambda: lesson.relations.select_related("related"))),
            evidence=evidence,
        )


def lesson_to_text(
    lesson: Lesson,
    sections: Iterable[Section] | None = None,
    readings: Iterable[Reading] | None = None,
    **parts: Iterable | None,
) -> str:
    """
    The lesson as a document in the explicit form, every heading tagged with its kind.
    Sections, readings and the classroom parts (key_terms, questions, interpretations,
    topics, relations, evidence) default to the lesson's own (give them for an old revision's).
    """
    classroom = _Parts.of(lesson, parts)
    blocks = [
        f"The Key Event: {lesson.title}\nSlug: {lesson.slug}\nDate: {date_line(lesson)}",
        lesson.summary,
    ]
    for section, subpanels in _sections_in_order(lesson, sections):
        blocks.extend(_section_blocks("##", section, classroom.evidence.get(section.pk, [])))
        for subpanel in subpanels:
            blocks.extend(_section_blocks("###", subpanel, classroom.evidence.get(subpanel.pk, [])))
    lists = {
        KEY_TERMS: [f"{item.term}: {_one_line(item.definition)}" for item in classroom.key_terms],
        QUESTIONS: [_one_line(item.question) for item in classroom.questions],
        INTERPRETATIONS: [
            f"{item.historian}, {_quoted(item.work)}: {_one_line(item.argument)}" for item in classroom.interpretations
        ],
        TOPICS: [f"{item.get_kind_display()}: {_topic_name(item.name)}" for item in classroom.topics],
        RELATED: [relation_line(item) for item in classroom.relations],
        READINGS: [
            reading_line(reading) for reading in _in_order(lesson.readings.all() if readings is None else readings)
        ],
    }
    for part, lines in lists.items():
        if lines:
            blocks.append(f"## {HEADINGS[part]} {{{KIND_TAGS[part]}}}")
            blocks.append("\n".join(lines))
    return "\n\n".join(blocks) + "\n"


def lesson_to_json(
    lesson: Lesson,
    sections: Iterable[Section] | None = None,
    readings: Iterable[Reading] | None = None,
    **parts: Iterable | None,
) -> dict:
    """The lesson's content as JSON-ready data, for json.dumps(); what it is made of as for lesson_to_text."""
    classroom = _Parts.of(lesson, parts)
    section_data = []
    for section, subpanels in _sections_in_order(lesson, sections):
        position = len(section_data)
        section_data.append(_section_json(section, classroom, parent=None))
        section_data.extend(_section_json(subpanel, classroom, parent=position) for subpanel in subpanels)
    return {
        "format": JSON_FORMAT,
        "format_version": JSON_FORMAT_VERSION,
        "title": lesson.title,
        "slug": lesson.slug,
        "event_date": lesson.event_date.isoformat(),
        "date_precision": lesson.date_precision,
        "summary": lesson.summary,
        "sections": section_data,
        "readings": [
            {
                "title": reading.title,
                "authors": reading.authors,
                "publisher": reading.publisher,
                "year": reading.year,
                "isbn": reading.isbn,
                "doi": reading.doi,
                "url": reading.url,
                "note": reading.note,
                "checked_by": reading.checked_by.get_username() if reading.checked_by else None,
                "checked_on": reading.checked_on.isoformat() if reading.checked_on else None,
            }
            for reading in _in_order(lesson.readings.select_related("checked_by") if readings is None else readings)
        ],
        "key_terms": [{"term": item.term, "definition": item.definition} for item in classroom.key_terms],
        "questions": [{"question": item.question} for item in classroom.questions],
        "interpretations": [
            {"historian": item.historian, "work": item.work, "argument": item.argument}
            for item in classroom.interpretations
        ],
        "topics": [{"kind": item.kind, "name": item.name} for item in classroom.topics],
        "related_lessons": [
            {"relation": item.relation, "slug": item.related.slug, "title": item.related.title}
            for item in classroom.relations
        ],
    }


def date_line(lesson: Lesson) -> str:
    """The event date as precisely as it is known, as a Date line writes it: "16 July 1960"."""
    date = lesson.event_date
    if lesson.date_precision == Lesson.DatePrecision.YEAR:
        return str(date.year)
    month = f"{MONTH_NAMES[date.month - 1]} {date.year}"
    return month if lesson.date_precision == Lesson.DatePrecision.MONTH else f"{date.day} {month}"


def reading_line(reading: Reading) -> str:
    """A reading as one line: "Title" by Authors (Publisher, Year). ISBN …. DOI …. URL Note: …"""
    title = f"“{reading.title}”" if '"' in reading.title else f'"{reading.title}"'
    line = f"{title} by {reading.authors}"
    if reading.publisher:
        line += f" ({reading.publisher}, {reading.year or 'n.d.'})"
    elif reading.year:
        line += f" ({reading.year})"
    parts = [line]
    if reading.isbn:
        parts.append(f"ISBN {reading.isbn}")
    if reading.doi:
        parts.append(f"DOI {reading.doi}")
    line = ". ".join(parts) + "."
    if reading.url:
        line += f" {_url(reading.url)}"
    if reading.note:
        # A note ends with its line; its own line breaks become spaces.
        line += f" Note: {' '.join(reading.note.split())}"
    return line


def relation_line(relation: RelatedLesson) -> str:
    """A related lesson as one line: "Led to: Title", with its {slug} when the title would not find it."""
    related = relation.related
    line = f"{relation.get_relation_display()}: {related.title}"
    return line if slugify(related.title) == related.slug else f"{line} {{{related.slug}}}"


def evidence_line(evidence: Evidence) -> str:
    """Evidence as one line of a section: Evidence: "Title" (date), source, URL"""
    line = f"Evidence: {_quoted(evidence.title)}"
    if evidence.date:
        line += f" ({evidence.date})"
    for part in (evidence.source, _url(evidence.url) if evidence.url else ""):
        if part:
            line += f", {part}"
    return line


def _quoted(title: str) -> str:
    return f"“{title}”" if '"' in title else f'"{title}"'


def _url(url: str) -> str:
    # Closing punctuation would be read as the end of the sentence, not of the address.
    return f"<{url}>" if url.endswith((".", ",", ";", ")")) else url


def _topic_name(name: str) -> str:
    return f'"{name}"' if "," in name else name


def _one_line(text: str) -> str:
    """A text as one line of a list: its own line breaks become spaces."""
    return " ".join(text.split())


def _in_order(objects: Iterable) -> list:
    return sorted(objects, key=lambda each: (each.order, each.pk or 0))


def _sections_in_order(lesson: Lesson, sections: Iterable[Section] | None) -> list[tuple[Section, list[Section]]]:
    """Top-level sections in order, each with its sub-panels in order."""
    sections = _in_order(lesson.sections.all() if sections is None else sections)
    subpanels: dict[int, list[Section]] = {}
    for section in sections:
        if section.parent_id:
            subpanels.setdefault(section.parent_id, []).append(section)
    return [(section, subpanels.get(section.pk, [])) for section in sections if not section.parent_id]


def _section_blocks(level: str, section: Section, evidence: list[Evidence]) -> list[str]:
    heading = f"{level} {section.heading} {{{KIND_TAGS[section.kind]}}}"
    blocks = [heading, section.body] if section.body else [heading]
    if evidence:
        blocks.append("\n".join(evidence_line(item) for item in evidence))
    return blocks


def _section_json(section: Section, classroom: _Parts, *, parent: int | None) -> dict:
    return {
        "kind": section.kind,
        "heading": section.heading,
        "body": section.body,
        "parent": parent,
        "evidence": [
            {"title": item.title, "date": item.date, "source": item.source, "url": item.url}
            for item in classroom.evidence.get(section.pk, [])
        ],
    }
