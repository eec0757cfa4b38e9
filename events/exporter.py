"""
Lessons written out as documents that import back as the same lesson: the explicit
text form (see importer.py) and JSON. The importer reads both.
"""

from collections.abc import Iterable

from .importer import JSON_FORMAT, JSON_FORMAT_VERSION, KIND_TAGS, MONTHS, READINGS
from .models import Lesson, Reading, Section

MONTH_NAMES = [month.capitalize() for month in MONTHS.split("|")]
READINGS_HEADING = "Additional Resources"


def lesson_to_text(
    lesson: Lesson, sections: Iterable[Section] | None = None, readings: Iterable[Reading] | None = None
) -> str:
    """
    The lesson as a document in the explicit form, every heading tagged with its kind.
    Sections and readings default to the lesson's own (give them for an old revision's).
    """
    blocks = [
        f"The Key Event: {lesson.title}\nSlug: {lesson.slug}\nDate: {date_line(lesson)}",
        lesson.summary,
    ]
    for section, subpanels in _sections_in_order(lesson, sections):
        blocks.extend(_section_blocks("##", section))
        for subpanel in subpanels:
            blocks.extend(_section_blocks("###", subpanel))
    readings = _in_order(lesson.readings.all() if readings is None else readings)
    if readings:
        blocks.append(f"## {READINGS_HEADING} {{{KIND_TAGS[READINGS]}}}")
        blocks.append("\n".join(reading_line(reading) for reading in readings))
    return "\n\n".join(blocks) + "\n"


def lesson_to_json(
    lesson: Lesson, sections: Iterable[Section] | None = None, readings: Iterable[Reading] | None = None
) -> dict:
    """The lesson's content as JSON-ready data, for json.dumps(); sections and readings as for lesson_to_text."""
    section_data = []
    for section, subpanels in _sections_in_order(lesson, sections):
        position = len(section_data)
        section_data.append(_section_json(section, parent=None))
        section_data.extend(_section_json(subpanel, parent=position) for subpanel in subpanels)
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
        # Closing punctuation would be read as the end of the sentence, not of the address.
        line += f" <{reading.url}>" if reading.url.endswith((".", ",", ";", ")")) else f" {reading.url}"
    if reading.note:
        # A note ends with its line; its own line breaks become spaces.
        line += f" Note: {' '.join(reading.note.split())}"
    return line


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


def _section_blocks(level: str, section: Section) -> list[str]:
    heading = f"{level} {section.heading} {{{KIND_TAGS[section.kind]}}}"
    return [heading, section.body] if section.body else [heading]


def _section_json(section: Section, *, parent: int | None) -> dict:
    return {"kind": section.kind, "heading": section.heading, "body": section.body, "parent": parent}
