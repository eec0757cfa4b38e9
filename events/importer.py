"""
Reading and importing plain-text lesson documents.

A document is what editors write and what ships in content/lessons/:

    The Key Event: <title>
    [Date: 16 July 1960]                  optional; else the first date in the key event
    <key-event paragraph>
    <heading>
    <paragraphs>
    ...
    Fun Fact
    [<sub-heading>]
    <paragraph>
    Additional Resources
    [<sub-heading>]
    <text naming readings as "Title" by Author (Publisher, Year)>

A heading is a short line of its own with no closing full stop; everything else is
a paragraph, written in Markdown. A section's kind comes from its heading's words,
and a heading such as "Impact of …" gathers the impact sections right after it as
its sub-panels. Editors can correct both in the admin.
"""

import datetime
import re
from dataclasses import dataclass, field
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from .models import Lesson, Reading, Section

MAX_DOCUMENT_BYTES = 256 * 1024
MAX_HEADING_CHARS = 120
MAX_HEADING_WORDS = 15

TITLE_LINE = re.compile(r"^(?:the\s+)?key\s+event\s*:\s*(?P<title>.+)$", re.IGNORECASE)
DATE_LINE = re.compile(r"^date\s*:\s*(?P<date>.+)$", re.IGNORECASE)
FUN_FACT_HEADING = re.compile(r"^(fun\s+facts?|did\s+you\s+know)\b", re.IGNORECASE)
READINGS_HEADING = re.compile(
    r"^(additional\s+resources|further\s+reading|recommended\s+reading|reading\s+list|readings|"
    r"sources|bibliography)\b",
    re.IGNORECASE,
)
KIND_WORDS = {
    Section.Kind.CAUSE: r"reasons?|causes?|why|origins?|roots?|triggers?|motives?",
    Section.Kind.IMPACT: (
        r"impacts?|effects?|consequences?|shifts?|legacy|legacies|aftermath|results?|outcomes?|"
        r"significance"
    ),
}
KIND_WORD = re.compile("|".join(rf"\b(?P<{kind}>{words})\b" for kind, words in KIND_WORDS.items()), re.IGNORECASE)
# "Impact of the Withdrawal", "Causes of the War": a heading that introduces the
# sections of its kind that follow it.
UMBRELLA_HEADING = re.compile(rf"^(?:the\s+)?(?:{'|'.join(KIND_WORDS.values())})\s+(?:of|for)\b", re.IGNORECASE)

MONTHS = "january|february|march|april|may|june|july|august|september|october|november|december"
DATE_PATTERNS = [  # most precise first
    (re.compile(rf"\b(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\s+(?P<month>{MONTHS}),?\s+(?P<year>\d{{3,4}})\b", re.I),
     Lesson.DatePrecision.DAY),
    (re.compile(rf"\b(?P<month>{MONTHS})\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?,\s+(?P<year>\d{{3,4}})\b", re.I),
     Lesson.DatePrecision.DAY),
    (re.compile(rf"\b(?P<month>{MONTHS}),?\s+(?P<year>\d{{3,4}})\b", re.I), Lesson.DatePrecision.MONTH),
    (re.compile(r"\b(?P<year>1\d{3}|20\d{2})\b"), Lesson.DatePrecision.YEAR),
]  # fmt: skip

QUOTED_TITLE = re.compile(r"[\"“](?P<title>[^\"“”]+)[\"”]")
PUBLICATION = re.compile(r"\((?P<publisher>[^()]+?),\s*(?P<year>\d{4})\)")
URL = re.compile(r"<?(?P<url>https?://[^\s<>]+?)>?(?=[\s.,;)]*(?:$|\s))")
TRAILING_CONNECTIVES = re.compile(r"(?:[\s,;.:]|\band\b|\bor\b)+$", re.IGNORECASE)


class LessonDocumentError(Exception):
    """A document that cannot become a lesson; the message says why and what to do."""


@dataclass
class ParsedSection:
    kind: str
    heading: str
    body: str
    line: int
    subpanels: list["ParsedSection"] = field(default_factory=list)


@dataclass
class ParsedReading:
    title: str
    authors: str
    publisher: str = ""
    year: int | None = None
    url: str = ""


@dataclass
class ParsedLesson:
    title: str
    slug: str
    event_date: datetime.date
    date_precision: str
    summary: str
    sections: list[ParsedSection]
    readings: list[ParsedReading]


@dataclass
class _Part:
    heading: str
    line: int
    subheadings: list[str] = field(default_factory=list)
    paragraphs: list[str] = field(default_factory=list)


# Reading a file


def read_lesson_file(path: Path | str) -> str:
    """The text of a lesson document, or a LessonDocumentError saying why it cannot be read."""
    path = Path(path)
    try:
        with path.open("rb") as file:
            data = file.read(MAX_DOCUMENT_BYTES + 1)
    except FileNotFoundError:
        raise LessonDocumentError("no such file") from None
    except IsADirectoryError:
        raise LessonDocumentError("is a folder, not a lesson document") from None
    except OSError as error:
        raise LessonDocumentError(f"cannot be read ({error.strerror or error})") from None
    return decode_lesson_document(data)


def decode_lesson_document(data: bytes) -> str:
    """Check the size and encoding of a document's bytes and return its text."""
    if len(data) > MAX_DOCUMENT_BYTES:
        raise LessonDocumentError(
            f"is larger than {MAX_DOCUMENT_BYTES // 1024} KB; a lesson document is a few pages of "
            "text, so check that this is the right file"
        )
    if b"\x00" in data:
        raise LessonDocumentError("is not a text file (it contains binary data)")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise LessonDocumentError(
            f"is not UTF-8 text (byte {error.start + 1} cannot be read); save it as UTF-8 and try again"
        ) from None
    if not text.strip():
        raise LessonDocumentError("is empty")
    return text


# Parsing


def parse_lesson_document(text: str) -> ParsedLesson:
    """Turn a document's text into a ParsedLesson, or raise LessonDocumentError."""
    lines = [(number, line.strip()) for number, line in enumerate(text.splitlines(), start=1)]
    lines = [(number, line) for number, line in lines if line]
    if not lines:
        raise LessonDocumentError("is empty")

    first_number, first_line = lines[0]
    title_match = TITLE_LINE.match(first_line)
    if not title_match:
        raise LessonDocumentError(f"line {first_number}: a lesson document starts with 'The Key Event: <title>'")
    title = title_match["title"].strip()
    if len(title) > 200:
        raise LessonDocumentError(f"line {first_number}: the title is longer than 200 characters")
    slug = slugify(title)
    if not slug:
        raise LessonDocumentError(f"line {first_number}: the title has no letters or digits to make an address from")

    rest = lines[1:]
    explicit_date = None
    if rest and (date_match := DATE_LINE.match(rest[0][1])):
        explicit_date = _parse_date_line(date_match["date"], rest[0][0])
        rest = rest[1:]

    summary_lines = []
    while rest and not _is_heading(rest[0][1]):
        summary_lines.append(rest.pop(0)[1])
    if not rest:
        raise LessonDocumentError(
            "has no headings: put each section's heading on a line of its own, with its text below it"
        )
    if not summary_lines:
        raise LessonDocumentError(
            f"line {rest[0][0]}: the key-event paragraph is missing; write it on the line after the title"
        )
    summary = "\n\n".join(summary_lines)

    event_date, precision = explicit_date or _find_date(summary)
    if event_date is None:
        raise LessonDocumentError(
            'no date found: name it in the key event ("On 16 July 1960", "In 1960") '
            "or add a line 'Date: 16 July 1960' after the title"
        )

    parts = _split_parts(rest)
    sections: list[ParsedSection] = []
    readings: list[ParsedReading] = []
    for part in parts:
        if READINGS_HEADING.match(part.heading):
            found = _parse_readings(" ".join(part.paragraphs))
            if not found:
                raise LessonDocumentError(
                    f"line {part.line}: '{part.heading}' names no readings; "
                    'write each as "Title" by Author (Publisher, Year)'
                )
            readings.extend(found)
        elif FUN_FACT_HEADING.match(part.heading):
            sections.append(
                ParsedSection(
                    kind=Section.Kind.FUN_FACT,
                    heading=part.subheadings[0] if part.subheadings else part.heading,
                    body="\n\n".join(part.paragraphs),
                    line=part.line,
                )
            )
        else:
            sections.append(
                ParsedSection(
                    kind=_kind_of(part.heading),
                    heading=part.heading,
                    body="\n\n".join(part.paragraphs),
                    line=part.line,
                )
            )

    sections = _gather_subpanels(sections)
    for section in _walk(sections):
        if not section.body and not section.subpanels:
            raise LessonDocumentError(f"line {section.line}: the heading '{section.heading}' has no text under it")

    return ParsedLesson(
        title=title,
        slug=slug,
        event_date=event_date,
        date_precision=precision,
        summary=summary,
        sections=sections,
        readings=readings,
    )


def _is_heading(line: str) -> bool:
    return (
        len(line) <= MAX_HEADING_CHARS
        and len(line.split()) <= MAX_HEADING_WORDS
        and not line.endswith((".", ",", ";", ":", "!", '"', "”"))
        and not line.startswith(('"', "“", "-", "*", "#", ">"))
    )


def _split_parts(lines: list[tuple[int, str]]) -> list[_Part]:
    """Group lines under their headings; a special part may have a sub-heading line."""
    parts: list[_Part] = []
    for number, line in lines:
        current = parts[-1] if parts else None
        if not _is_heading(line):
            current.paragraphs.append(line)
        elif (
            current
            and not current.paragraphs
            and not current.subheadings
            and (FUN_FACT_HEADING.match(current.heading) or READINGS_HEADING.match(current.heading))
        ):
            current.subheadings.append(line)
        else:
            parts.append(_Part(heading=line, line=number))
    return parts


def _kind_of(heading: str) -> str:
    match = KIND_WORD.search(heading)
    return match.lastgroup if match else Section.Kind.NARRATIVE


def _gather_subpanels(sections: list[ParsedSection]) -> list[ParsedSection]:
    gathered: list[ParsedSection] = []
    umbrella = None
    for section in sections:
        if umbrella and section.kind == umbrella.kind:
            umbrella.subpanels.append(section)
            continue
        umbrella = section if section.kind in Section.PANEL_KINDS and UMBRELLA_HEADING.match(section.heading) else None
        gathered.append(section)
    return gathered


def _walk(sections: list[ParsedSection]):
    for section in sections:
        yield section
        yield from section.subpanels


def _find_date(text: str) -> tuple[datetime.date | None, str | None]:
    """The earliest date named in a text, with how precisely it is given."""
    candidates = []
    for rank, (pattern, precision) in enumerate(DATE_PATTERNS):
        for match in pattern.finditer(text):
            if (date := _date_from(match)) is not None:
                candidates.append((match.start(), rank, date, precision))
    if not candidates:
        return None, None
    _, _, date, precision = min(candidates)
    return date, precision


def _parse_date_line(value: str, line: int) -> tuple[datetime.date, str]:
    for pattern, precision in DATE_PATTERNS:
        match = pattern.fullmatch(value.strip())
        if match and (date := _date_from(match)) is not None:
            return date, precision
    raise LessonDocumentError(
        f"line {line}: '{value}' is not a date this importer reads; write '16 July 1960', 'July 1960' or '1960'"
    )


def _date_from(match: re.Match) -> datetime.date | None:
    groups = match.groupdict()
    month = MONTHS.split("|").index(groups["month"].lower()) + 1 if groups.get("month") else 1
    try:
        return datetime.date(int(groups["year"]), month, int(groups.get("day") or 1))
    except ValueError:
        return None


def _parse_readings(text: str) -> list[ParsedReading]:
    """Readings named as "Title" by Author, optionally followed by (Publisher, Year) and a URL."""
    readings = []
    titles = list(QUOTED_TITLE.finditer(text))
    for index, match in enumerate(titles):
        end = titles[index + 1].start() if index + 1 < len(titles) else len(text)
        tail = text[match.end() : end].strip()
        if not tail.lower().startswith("by "):
            continue
        tail = tail[3:]
        reading = ParsedReading(title=match["title"].strip(), authors="")
        if url := URL.search(tail):
            reading.url = url["url"]
            tail = tail[: url.start()] + tail[url.end() :]
        publications = list(PUBLICATION.finditer(tail))
        if publications:
            last = publications[-1]
            reading.publisher, reading.year = last["publisher"].strip(), int(last["year"])
            tail = tail[: last.start()]
        reading.authors = TRAILING_CONNECTIVES.sub("", tail).strip()
        if reading.authors:
            readings.append(reading)
    return readings


# Importing


@transaction.atomic
def import_lesson(*, document: ParsedLesson, publish: bool = False) -> tuple[Lesson, bool]:
    """
    Create or update the lesson with the document's slug, replacing its sections and
    readings, in one transaction. A new lesson is a draft unless publish is set; an
    existing one keeps its status unless publish is set.
    """
    lesson = Lesson.objects.select_for_update().filter(slug=document.slug).first()
    created = lesson is None
    lesson = lesson or Lesson(slug=document.slug)
    lesson.title = document.title
    lesson.event_date = document.event_date
    lesson.date_precision = document.date_precision
    lesson.summary = document.summary
    if publish and lesson.status != Lesson.Status.PUBLISHED:
        lesson.status = Lesson.Status.PUBLISHED
        lesson.published_at = timezone.now()
    try:
        lesson.full_clean(validate_unique=False)
    except ValidationError as error:
        raise LessonDocumentError("; ".join(error.messages)) from None
    lesson.save()

    lesson.sections.all().delete()
    lesson.readings.all().delete()
    order = 0
    for parsed in document.sections:
        order += 1
        parent = _create_section(lesson, parsed, order)
        for child in parsed.subpanels:
            order += 1
            _create_section(lesson, child, order, parent=parent)
    readings = [
        Reading(lesson=lesson, order=order, **vars(parsed)) for order, parsed in enumerate(document.readings, 1)
    ]
    for reading in readings:
        try:
            reading.full_clean()
        except ValidationError as error:
            raise LessonDocumentError(f"reading '{reading.title[:60]}': {'; '.join(error.messages)}") from None
    Reading.objects.bulk_create(readings)
    return lesson, created


def _create_section(lesson: Lesson, parsed: ParsedSection, order: int, parent: Section | None = None) -> Section:
    return Section.objects.create(
        lesson=lesson, order=order, kind=parsed.kind, heading=parsed.heading, body=parsed.body, parent=parent
    )
