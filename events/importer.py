"""
Reading and importing lesson documents.

A document comes in two plain-text forms, and a JSON export (see exporter.py) imports too;
parse_lesson_document() tells them apart.

The implicit form is what editors write and what ships in content/lessons/:

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
    "Title" by Authors (Publisher, Year). ISBN 978-…. DOI 10.…. https://… Note: …

A heading is a short line of its own with no closing full stop; every other line is a
paragraph, written in Markdown. A section's kind comes from its heading's words, and
a heading such as "Impact of …" gathers the impact sections right after it as its
sub-panels. Editors can correct both in the admin.

The classroom parts are lists, one item a line, under headings of their own:

    Key Terms                 Term: what it means
    Discussion Questions      a question
    Historians Disagree       Historian, "Work": what they argue
    Topics                    Theme: Cold War  /  Era: …  /  Region: East Asia, …
    Related Lessons           Led to: <title>  /  Followed from: …  /  See also: …  [{slug}]

In such a list a line with a colon, or ending with a question mark, is an item even when
it is short enough to be a heading. In any section, a line starting with "Evidence:"
names a source behind it ("How do we know?") instead of being part of its text:

    Evidence: "Title" (16 July 1960), archive or publisher, https://…

The explicit form is what the exporter writes, so that nothing has to be guessed. A
document is in it as soon as one line starts with "## ":

    The Key Event: <title>
    [Slug: <slug>]
    [Date: 16 July 1960]

    <key event, Markdown, as written>

    ## <heading> {cause}

    <Markdown, as written>

    ### <heading of a sub-panel of the "## " panel above> {cause}

Only "## " and "### " lines are headings, the text between headings is kept exactly as
written (but for its Evidence lines), and a heading may end with its kind: {narrative},
{cause}, {impact}, {fun fact}, {readings}, or one of the lists: {key terms},
{discussion questions}, {historians disagree}, {topics}, {related lessons}; without one
the kind comes from its words, as above.

A related lesson is found by its address, made from its title or given as {slug}. One
that does not exist yet is left out, not an error: import_lesson links it once all its
files are in (see link_related_lessons).
"""

import datetime
import json
import re
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path

import reversion
from django.contrib.auth import get_user_model
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.text import slugify

from .cache import bump_content_version
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
    free_anchor,
)
from .publishing import reading_problems

MAX_DOCUMENT_BYTES = 256 * 1024
MAX_HEADING_CHARS = 120
MAX_HEADING_WORDS = 15

JSON_FORMAT = "history-lesson"
JSON_FORMAT_VERSION = 2  # 2 added the classroom parts; version 1 exports still import
JSON_FORMAT_VERSIONS = {1, JSON_FORMAT_VERSION}

TITLE_LINE = re.compile(r"^(?:the\s+)?key\s+event\s*:\s*(?P<title>.+)$", re.IGNORECASE)
DATE_LINE = re.compile(r"^date\s*:\s*(?P<date>.+)$", re.IGNORECASE)
SLUG_LINE = re.compile(r"^slug\s*:\s*(?P<slug>\S+)$", re.IGNORECASE)
FUN_FACT_WORDS = r"fun\s+facts?|did\s+you\s+know"
READINGS_WORDS = (
    r"additional\s+resources|further\s+reading|recommended\s+reading|reading\s+list|readings|sources|bibliography"
)
FUN_FACT_HEADING = re.compile(rf"^({FUN_FACT_WORDS})\b", re.IGNORECASE)
READINGS_HEADING = re.compile(rf"^({READINGS_WORDS})\b", re.IGNORECASE)
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

# The parts that are lists, one item a line, and the words of their headings. The heading
# must be only those words (a colon after them is allowed), so that a section called
# "Questions of Trust" stays a section.
READINGS = "readings"
KEY_TERMS = "key terms"
QUESTIONS = "discussion questions"
INTERPRETATIONS = "historians disagree"
TOPICS = "topics"
RELATED = "related lessons"
LIST_WORDS = {
    KEY_TERMS: r"key\s+terms|key\s+words|glossary",
    QUESTIONS: r"discussion\s+questions|questions\s+for\s+discussion",
    INTERPRETATIONS: r"historians\s+disagree",
    TOPICS: r"topics",
    RELATED: r"related\s+lessons",
}
LIST_HEADINGS = {part: re.compile(rf"(?:{words})\s*:?", re.IGNORECASE) for part, words in LIST_WORDS.items()}
# Inside a list, only a line that is a part's heading and nothing else starts another part.
PART_HEADING = re.compile(
    rf"(?:{FUN_FACT_WORDS}|{READINGS_WORDS}|{'|'.join(LIST_WORDS.values())})\s*[:?!]?", re.IGNORECASE
)
LIST_MARKER = re.compile(r"^(?:[-*•]|\d{1,2}[.)])\s+")

# The explicit form's headings and the kind tags they may end with.
KIND_TAGS = {
    Section.Kind.NARRATIVE: "narrative",
    Section.Kind.CAUSE: "cause",
    Section.Kind.IMPACT: "impact",
    Section.Kind.FUN_FACT: "fun fact",
    READINGS: "readings",
    **{part: part for part in LIST_WORDS},
}
KIND_OF_TAG = {tag: kind for kind, tag in KIND_TAGS.items()} | {"fun_fact": Section.Kind.FUN_FACT}
EXPLICIT_HEADING = re.compile(r"^(?P<level>##|###) (?P<text>.*)$")
TRAILING_TAG = re.compile(r"\s*\{(?P<tag>[^{}]*)\}\s*$")

MONTHS = "january|february|march|april|may|june|july|august|september|october|november|december"
DATE_PATTERNS = [  # most precise first
    (re.compile(rf"\b(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\s+(?P<month>{MONTHS}),?\s+(?P<year>\d{{3,4}})\b", re.I),
     Lesson.DatePrecision.DAY),
    (re.compile(rf"\b(?P<month>{MONTHS})\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?,\s+(?P<year>\d{{3,4}})\b", re.I),
     Lesson.DatePrecision.DAY),
    (re.compile(rf"\b(?P<month>{MONTHS}),?\s+(?P<year>\d{{3,4}})\b", re.I), Lesson.DatePrecision.MONTH),
    (re.compile(r"\b(?P<year>1\d{3}|20\d{2})\b"), Lesson.DatePrecision.YEAR),
]  # fmt: skip
# On a Date line a bare number can only be a year, so any year the date field holds is allowed.
DATE_LINE_YEAR = re.compile(r"(?P<year>\d{3,4})")

# A reading: "Title" by Authors (Publisher, Year). ISBN …. DOI …. https://… Note: …
# A title in curly quotes may hold straight ones.
READING_START = re.compile(r"(?:“(?P<curly>[^“”]+)”|[\"“](?P<straight>[^\"“”]+)[\"”])\s*by\s+", re.IGNORECASE)
PUBLICATION = re.compile(r"\((?:(?P<publisher>[^()]+?),\s*)?(?P<year>\d{4}|n\.\s?d\.)\)")
NOTE = re.compile(r"\bNote:\s*", re.IGNORECASE)
DOI = re.compile(
    r"(?:https?://(?:dx\.)?doi\.org/|\bdoi:?\s*)(?P<doi>10\.\S+?)(?=[.,;]?(?:\s|$))",
    re.IGNORECASE,
)
ISBN = re.compile(r"\bISBN(?:-?1[03])?:?\s*(?P<isbn>\d[\d-]*[\dX])\b", re.IGNORECASE)
# A URL ends before closing punctuation; one in <angle brackets> may end with any.
URL = re.compile(r"<(?P<bracketed>https?://[^\s<>]+)>|(?P<url>https?://[^\s<>]+?)(?=[.,;)]*(?:\s|$))")
TRAILING_CONNECTIVES = re.compile(r"(?:[\s,;.:]|\band\b|\bor\b)+$", re.IGNORECASE)

# The list items and evidence lines.
QUOTED = r"(?:“(?P<curly>[^“”]+)”|\"(?P<straight>[^\"]+)\")"
LABELLED_LINE = re.compile(r"^(?P<label>[^:]+?)\s*:\s*(?P<text>\S.*)$")
INTERPRETATION_LINE = re.compile(rf"^(?P<historian>[^\"“”:]+?)\s*,\s*{QUOTED}\s*:\s*(?P<argument>\S.*)$")
RELATION_TARGET = re.compile(r"^(?P<title>.*?)\s*(?:\{(?P<slug>[^{}]*)\})?$")
EVIDENCE_LINE = re.compile(r"^evidence\s*:", re.IGNORECASE)
EVIDENCE = re.compile(
    rf"^evidence\s*:\s*{QUOTED}\s*(?:\((?P<date>(?:[^()]|\([^()]*\))*)\))?\s*(?:[,;.]\s*)?(?P<tail>.*)$", re.IGNORECASE
)
# Topic names, separated by commas; a name with a comma in it is "quoted".
TOPIC_NAME = re.compile(r'\s*("[^"]*"|[^,"]*?)\s*(?:,|$)')
TOPIC_NAMES = re.compile(r'(?:\s*(?:"[^"]*"|[^,"]*?)\s*,)*\s*(?:"[^"]*"|[^,"]*?)\s*')
TOPIC_KINDS = {"theme": Topic.Kind.THEME, "era": Topic.Kind.ERA, "region": Topic.Kind.REGION}
RELATIONS = {label.lower(): value for value, label in RelatedLesson.Relation.choices}


class LessonDocumentError(Exception):
    """A document that cannot become a lesson; the message says why and what to do."""


@dataclass
class ParsedEvidence:
    title: str
    date: str = ""
    source: str = ""
    url: str = ""
    line: int | None = None


@dataclass
class ParsedSection:
    kind: str
    heading: str
    body: str
    line: int | None = None
    subpanels: list["ParsedSection"] = field(default_factory=list)
    evidence: list[ParsedEvidence] = field(default_factory=list)


@dataclass
class ParsedReading:
    title: str
    authors: str
    publisher: str = ""
    year: int | None = None
    isbn: str = ""
    doi: str = ""
    url: str = ""
    note: str = ""
    checked_by: str | None = None  # a username
    checked_on: datetime.date | None = None
    line: int | None = None


@dataclass
class ParsedKeyTerm:
    term: str
    definition: str
    line: int | None = None


@dataclass
class ParsedQuestion:
    question: str
    line: int | None = None


@dataclass
class ParsedInterpretation:
    historian: str
    work: str
    argument: str
    line: int | None = None


@dataclass
class ParsedTopic:
    kind: str
    name: str
    line: int | None = None


@dataclass
class ParsedRelation:
    relation: str
    slug: str  # the related lesson's address, by which it is found
    title: str = ""  # as the document names it, for messages
    line: int | None = None


@dataclass
class ParsedLists:
    """The classroom parts that are lists: key terms, questions, interpretations, topics, related lessons."""

    key_terms: list[ParsedKeyTerm] = field(default_factory=list)
    questions: list[ParsedQuestion] = field(default_factory=list)
    interpretations: list[ParsedInterpretation] = field(default_factory=list)
    topics: list[ParsedTopic] = field(default_factory=list)
    relations: list[ParsedRelation] = field(default_factory=list)


@dataclass
class ParsedLesson:
    title: str
    slug: str
    event_date: datetime.date
    date_precision: str
    summary: str
    sections: list[ParsedSection]
    readings: list[ParsedReading]
    lists: ParsedLists = field(default_factory=ParsedLists)
    # A JSON export says who checked each reading; a text document does not, so
    # re-importing one keeps the checks of the readings it leaves unchanged.
    carries_checks: bool = False


@dataclass
class _Part:
    heading: str
    line: int
    list_kind: str | None = None  # KEY_TERMS, QUESTIONS, … for a list part
    subheadings: list[str] = field(default_factory=list)
    paragraphs: list[tuple[int, str]] = field(default_factory=list)  # (line number, text)


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
    """Turn a document's text, plain text or a JSON export, into a ParsedLesson, or raise LessonDocumentError."""
    if text.lstrip().startswith("{"):
        return parse_lesson_json(text)
    return parse_lesson_text(text)


def parse_lesson_text(text: str) -> ParsedLesson:
    """Turn a plain-text document, implicit or explicit form, into a ParsedLesson."""
    numbered = list(enumerate(re.split(r"\r\n|\r|\n", text), start=1))
    content = [(number, line.strip()) for number, line in numbered if line.strip()]
    if not content:
        raise LessonDocumentError("is empty")
    explicit = any(line.startswith("## ") for _, line in numbered)

    first_number, first_line = content[0]
    title_match = TITLE_LINE.match(first_line)
    if not title_match:
        raise LessonDocumentError(f"line {first_number}: a lesson document starts with 'The Key Event: <title>'")
    title = title_match["title"].strip()
    if len(title) > 200:
        raise LessonDocumentError(f"line {first_number}: the title is longer than 200 characters")
    slug = slugify(title)
    if not slug:
        raise LessonDocumentError(f"line {first_number}: the title has no letters or digits to make an address from")

    # The lines after the title that say what the text cannot: the date, and in the
    # explicit form the lesson's address (which outlives a change of title).
    explicit_date = None
    slug_given = False
    last_header_line = first_number
    for number, line in content[1:]:
        if explicit_date is None and (match := DATE_LINE.match(line)):
            explicit_date = _parse_date_line(match["date"], number)
        elif explicit and not slug_given and (match := SLUG_LINE.match(line)):
            slug, slug_given = match["slug"], True
        else:
            break
        last_header_line = number

    rest = [(number, line) for number, line in numbered if number > last_header_line]
    lists = ParsedLists()
    if explicit:
        summary, sections, readings = _parse_explicit(rest, lists)
    else:
        stripped = [(number, line.strip()) for number, line in rest if line.strip()]
        summary, sections, readings = _parse_implicit(stripped, lists)

    event_date, precision = explicit_date or _find_date(summary)
    if event_date is None:
        raise LessonDocumentError(
            'no date found: name it in the key event ("On 16 July 1960", "In 1960") '
            "or add a line 'Date: 16 July 1960' after the title"
        )

    return ParsedLesson(
        title=title,
        slug=slug,
        event_date=event_date,
        date_precision=precision,
        summary=summary,
        sections=sections,
        readings=readings,
        lists=lists,
    )


def _parse_implicit(
    rest: list[tuple[int, str]], lists: ParsedLists
) -> tuple[str, list[ParsedSection], list[ParsedReading]]:
    """The implicit form, from its stripped, non-blank lines after the title and date; lists fill `lists`."""
    summary_lines = []
    while rest and not _starts_part(rest[0][1]):
        number, line = rest.pop(0)
        _refuse_evidence_in_key_event(number, line)
        summary_lines.append(line)
    if not rest:
        raise LessonDocumentError(
            "has no headings: put each section's heading on a line of its own, with its text below it"
        )
    if not summary_lines:
        raise LessonDocumentError(
            f"line {rest[0][0]}: the key-event paragraph is missing; write it on the line after the title"
        )

    sections: list[ParsedSection] = []
    readings: list[ParsedReading] = []
    for part in _split_parts(rest):
        if part.list_kind:
            _read_list(part.list_kind, part.heading, part.line, part.paragraphs, lists)
        elif READINGS_HEADING.match(part.heading):
            readings.extend(_readings_of_part(part.heading, part.line, part.paragraphs))
        else:
            paragraphs, evidence = _take_evidence(part.paragraphs)
            fun_fact = FUN_FACT_HEADING.match(part.heading)
            sections.append(
                ParsedSection(
                    kind=Section.Kind.FUN_FACT if fun_fact else _kind_of(part.heading),
                    heading=part.subheadings[0] if fun_fact and part.subheadings else part.heading,
                    body="\n\n".join(text for _, text in paragraphs),
                    line=part.line,
                    evidence=evidence,
                )
            )

    sections = _gather_subpanels(sections)
    for section in _walk(sections):
        if not section.body and not section.subpanels:
            raise LessonDocumentError(f"line {section.line}: the heading '{section.heading}' has no text under it")
    return "\n\n".join(summary_lines), sections, readings


def _parse_explicit(
    rest: list[tuple[int, str]], lists: ParsedLists
) -> tuple[str, list[ParsedSection], list[ParsedReading]]:
    """The explicit form, from its lines after the title and header, as written; lists fill `lists`."""
    summary_lines: list[tuple[int, str]] = []
    parts: list[tuple[int, str, str, list[tuple[int, str]]]] = []  # line, level, heading text, lines
    for number, line in rest:
        if match := EXPLICIT_HEADING.match(line):
            parts.append((number, match["level"], match["text"].strip(), []))
        else:
            (parts[-1][3] if parts else summary_lines).append((number, line))

    for number, line in summary_lines:
        _refuse_evidence_in_key_event(number, line)
    summary = _verbatim(summary_lines)
    if not summary:
        raise LessonDocumentError(
            f"line {parts[0][0]}: the key-event paragraph is missing; write it on the line after the title"
        )

    sections: list[ParsedSection] = []
    readings: list[ParsedReading] = []
    panel = None  # the "## " panel that a "### " sub-panel belongs to
    for number, level, text, lines in parts:
        heading, kind, tagged = _explicit_heading(text, number, level)
        if level == "##":
            if kind == READINGS:
                readings.extend(_readings_of_part(heading, number, lines))
                panel = None
                continue
            if kind in LIST_WORDS:
                items = [(line_number, line.strip()) for line_number, line in lines if line.strip()]
                _read_list(kind, heading, number, items, lists)
                panel = None
                continue
            body, evidence = _take_evidence(lines)
            section = ParsedSection(kind=kind, heading=heading, body=_verbatim(body), line=number, evidence=evidence)
            sections.append(section)
            panel = section if section.kind in Section.PANEL_KINDS else None
        else:
            if panel is None:
                raise LessonDocumentError(
                    f"line {number}: '### {heading}' is a sub-panel, so it must follow a '## ' cause or impact panel"
                )
            if kind == READINGS or kind in LIST_WORDS:
                name = "readings" if kind == READINGS else f"'{heading}'"
                raise LessonDocumentError(f"line {number}: {name} cannot be a sub-panel; start them with '## '")
            if not tagged and kind not in Section.PANEL_KINDS:
                kind = panel.kind  # an untagged sub-panel is of its panel's kind unless its words say otherwise
            body, evidence = _take_evidence(lines)
            panel.subpanels.append(
                ParsedSection(kind=kind, heading=heading, body=_verbatim(body), line=number, evidence=evidence)
            )
    return summary, sections, readings


def _explicit_heading(text: str, line: int, level: str) -> tuple[str, str, bool]:
    """An explicit heading's text, its kind (from its tag, or else from its words) and whether it was tagged."""
    heading = text
    if tag := TRAILING_TAG.search(text):
        name = " ".join(tag["tag"].lower().split())
        if name not in KIND_OF_TAG:
            raise LessonDocumentError(
                f"line {line}: '{{{tag['tag']}}}' is not a kind; end the heading with "
                + ", ".join(f"{{{name}}}" for name in KIND_TAGS.values())
            )
        heading = text[: tag.start()].strip()
    if not heading:
        raise LessonDocumentError(f"line {line}: write the heading after '{level} '")
    if tag:
        return heading, KIND_OF_TAG[name], True
    if READINGS_HEADING.match(heading):
        return heading, READINGS, False
    if kind := _list_kind(heading):
        return heading, kind, False
    if FUN_FACT_HEADING.match(heading):
        return heading, Section.Kind.FUN_FACT, False
    return heading, _kind_of(heading), False


def _verbatim(lines: list[tuple[int, str]]) -> str:
    """Lines as written, without the blank lines around them."""
    text = [line for _, line in lines]
    while text and not text[0].strip():
        text.pop(0)
    while text and not text[-1].strip():
        text.pop()
    return "\n".join(text)


def _is_heading(line: str) -> bool:
    return (
        len(line) <= MAX_HEADING_CHARS
        and len(line.split()) <= MAX_HEADING_WORDS
        and not line.endswith((".", ",", ";", ":", "!", '"', "”"))
        and not line.startswith(('"', "“", "-", "*", "#", ">"))
        and not EVIDENCE_LINE.match(line)
    )


def _list_kind(heading: str) -> str | None:
    """KEY_TERMS, QUESTIONS, … when the heading is a list part's, else None."""
    return next((kind for kind, pattern in LIST_HEADINGS.items() if pattern.fullmatch(heading.strip())), None)


def _starts_part(line: str) -> bool:
    """Whether a line of the implicit form is a heading ("Key Terms:" is one too)."""
    return _is_heading(line) or _list_kind(line) is not None


def _is_list_item(line: str) -> bool:
    """Whether a line inside a list part belongs to it rather than heading the next part."""
    if PART_HEADING.fullmatch(line):
        return False
    return not _is_heading(line) or ":" in line or line.endswith("?")


def _split_parts(lines: list[tuple[int, str]]) -> list[_Part]:
    """Group lines under their headings; a special part may have a sub-heading line."""
    parts: list[_Part] = []
    for number, line in lines:
        current = parts[-1] if parts else None
        in_list = current is not None and current.list_kind is not None and _is_list_item(line)
        if in_list or not _starts_part(line):
            current.paragraphs.append((number, line))
        elif (
            current
            and not current.paragraphs
            and not current.subheadings
            and not _list_kind(line)
            and (FUN_FACT_HEADING.match(current.heading) or READINGS_HEADING.match(current.heading))
        ):
            current.subheadings.append(line)
        else:
            parts.append(_Part(heading=line, line=number, list_kind=_list_kind(line)))
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
    patterns = [*DATE_PATTERNS[:-1], (DATE_LINE_YEAR, Lesson.DatePrecision.YEAR)]
    for pattern, precision in patterns:
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


def _readings_of_part(heading: str, line: int, lines: list[tuple[int, str]]) -> list[ParsedReading]:
    found = [reading for number, text in lines for reading in parse_reading_line(text, line=number)]
    if not found:
        raise LessonDocumentError(
            f"line {line}: '{heading}' names no readings; "
            'write each as "Title" by Authors (Publisher, Year), on a line of its own'
        )
    return found


# The classroom parts


def _read_list(kind: str, heading: str, line: int, items: list[tuple[int, str]], lists: ParsedLists) -> None:
    """Add a list part's items, one a line, to `lists`; a line that is not an item is an error naming it."""
    if not items:
        raise LessonDocumentError(f"line {line}: '{heading}' has nothing under it; write one item a line")
    for number, text in items:
        text = LIST_MARKER.sub("", text).strip()
        if kind == QUESTIONS:
            lists.questions.append(ParsedQuestion(question=text, line=number))
        elif kind == INTERPRETATIONS:
            lists.interpretations.append(_interpretation(text, number))
        else:
            match = LABELLED_LINE.match(text)
            if kind == KEY_TERMS:
                if not match:
                    raise LessonDocumentError(
                        f"line {number}: write each key term on a line of its own as 'Term: what it means'"
                    )
                lists.key_terms.append(ParsedKeyTerm(term=match["label"], definition=match["text"], line=number))
            elif kind == TOPICS:
                lists.topics.extend(_topics_of_line(match, text, number))
            else:
                lists.relations.append(_relation(match, text, number))


def _interpretation(text: str, line: int) -> ParsedInterpretation:
    match = INTERPRETATION_LINE.match(text)
    if not match:
        raise LessonDocumentError(
            f'line {line}: write each interpretation as Historian, "Work": what they argue '
            '(e.g. Lorenz M. Lüthi, "The Sino-Soviet Split": …)'
        )
    return ParsedInterpretation(
        historian=match["historian"].strip(),
        work=(match["curly"] or match["straight"]).strip(),
        argument=match["argument"].strip(),
        line=line,
    )


def _topics_of_line(match: re.Match | None, text: str, line: int) -> list[ParsedTopic]:
    """A topics line: 'Theme: Cold War, Sino-Soviet relations'; a name with a comma in it is "quoted"."""
    label = " ".join(match["label"].lower().split()) if match else ""
    kind = TOPIC_KINDS.get(label.removesuffix("s"))
    if kind is None:
        raise LessonDocumentError(
            f"line {line}: write each topic as 'Theme: …', 'Era: …' or 'Region: …' "
            f"(not '{_short(text if match is None else match['label'])}')"
        )
    if not TOPIC_NAMES.fullmatch(match["text"]):
        raise LessonDocumentError(
            f'line {line}: separate topics with commas, and put a name that holds a comma in "quotation marks"'
        )
    names = [name.strip('"').strip() for name in TOPIC_NAME.findall(match["text"])[:-1]]
    if not all(names):
        raise LessonDocumentError(f"line {line}: a topic's name is missing between commas")
    return [ParsedTopic(kind=kind, name=name, line=line) for name in names]


def _relation(match: re.Match | None, text: str, line: int) -> ParsedRelation:
    """A related-lessons line: 'Led to: <title>', optionally ending with the lesson's {slug}."""
    relation = RELATIONS.get(" ".join(match["label"].lower().split())) if match else None
    if relation is None:
        raise LessonDocumentError(
            f"line {line}: write each related lesson as 'Led to: <title>', 'Followed from: <title>' "
            f"or 'See also: <title>' (not '{_short(text)}')"
        )
    target = RELATION_TARGET.match(match["text"])
    title, slug = target["title"].strip(), (target["slug"] or "").strip()
    slug = slug or slugify(title)
    if not slug or slug != slugify(slug):
        raise LessonDocumentError(
            f"line {line}: '{_short(match['text'])}' is not a lesson's title or {{address}} to find it by"
        )
    return ParsedRelation(relation=relation, slug=slug, title=title or slug, line=line)


def _take_evidence(lines: list[tuple[int, str]]) -> tuple[list[tuple[int, str]], list[ParsedEvidence]]:
    """A section's lines without its Evidence lines, and the evidence they name."""
    kept, evidence = [], []
    for number, line in lines:
        if EVIDENCE_LINE.match(line.strip()):
            evidence.append(parse_evidence_line(line.strip(), line=number))
        else:
            kept.append((number, line))
    return kept, evidence


def parse_evidence_line(text: str, *, line: int | None = None) -> ParsedEvidence:
    """
    A source behind a section: Evidence: "Title" (date), archive or publisher, https://…
    Only the quoted title is required.
    """
    match = EVIDENCE.match(text)
    if not match:
        raise LessonDocumentError(
            f'{_where(line)}write evidence as Evidence: "Title" (date), archive or publisher, https://… '
            "(the title in quotation marks)"
        )
    source, url = match["tail"].strip(), ""
    urls = list(URL.finditer(source))
    if len(urls) > 1:
        raise LessonDocumentError(
            f"{_where(line)}evidence '{_short(match['curly'] or match['straight'])}' has {len(urls)} URLs; give one"
        )
    if urls:
        url = urls[0]["bracketed"] or urls[0]["url"]
        after = source[urls[0].end() :]
        # The source ends with the comma before the URL; a full stop after the URL ends the line.
        source = source[: urls[0].start()].rstrip().removesuffix(",").rstrip()
        if after.strip(" .,;"):
            source += f" {after.strip()}"
    return ParsedEvidence(
        title=(match["curly"] or match["straight"]).strip(),
        date=(match["date"] or "").strip(),
        source=source,
        url=url,
        line=line,
    )


def _refuse_evidence_in_key_event(line: int, text: str) -> None:
    if EVIDENCE_LINE.match(text.strip()):
        raise LessonDocumentError(
            f"line {line}: evidence belongs to a section; move the Evidence line under the heading it supports"
        )


# Readings


def parse_reading_line(text: str, *, line: int | None = None) -> list[ParsedReading]:
    """
    The readings a line names, each as "Title" by Authors, then optionally (Publisher, Year),
    (Year) or (Publisher, n.d.), an ISBN, a DOI, a URL and "Note: …" to the end of the line.
    Prose such as 'consider reading "A" by X and "B" by Y.' names two.
    """
    readings = []
    starts = list(READING_START.finditer(text))
    for index, start in enumerate(starts):
        end = starts[index + 1].start() if index + 1 < len(starts) else len(text)
        tail = text[start.end() : end]
        note = ""
        if note_match := NOTE.search(tail):
            # A note runs to the end of the line, whatever it quotes.
            note = text[start.end() + note_match.end() :].strip()
            tail = tail[: note_match.start()]
        reading = _parse_reading_tail((start["curly"] or start["straight"]).strip(), tail, line)
        if reading:
            reading.note = note
            readings.append(reading)
        if note_match:
            break
    return readings


def _parse_reading_tail(title: str, tail: str, line: int | None) -> ParsedReading | None:
    """A reading from its title and the text after "by", its note already cut off."""
    reading = ParsedReading(title=title, authors="", line=line)
    markers = []  # where each identifier starts: the authors and publication end before them
    for name, pattern in (("doi", DOI), ("isbn", ISBN), ("url", URL)):
        matches = list(pattern.finditer(tail))
        if len(matches) > 1:
            raise LessonDocumentError(
                f"{_where(line)}reading '{_short(title)}' has {len(matches)} {name.upper()}s; give one"
            )
        if matches:
            match = matches[0]
            setattr(reading, name, next(value for value in match.groups() if value))
            markers.append(match.start())
            # Blank the DOI out, so that a https://doi.org/… address is not also taken for the URL.
            tail = tail[: match.start()] + " " * (match.end() - match.start()) + tail[match.end() :]

    before = tail[: min(markers)] if markers else tail
    publications = list(PUBLICATION.finditer(before))
    if publications:
        last = publications[-1]
        reading.publisher = (last["publisher"] or "").strip()
        reading.year = None if last["year"].startswith("n") else int(last["year"])
        reading.authors = before[: last.start()].strip().rstrip(",;").strip()
    elif markers:
        # "by Authors. ISBN …": drop the one full stop that separates them.
        reading.authors = re.sub(r"[\s,;]*\.?[\s,;]*$", "", before)
    else:
        reading.authors = TRAILING_CONNECTIVES.sub("", before).strip()
    reading.authors = reading.authors.strip()
    return reading if reading.authors else None


def parse_lesson_json(text: str) -> ParsedLesson:
    """Turn a JSON export (see exporter.lesson_to_json) into a ParsedLesson, or raise LessonDocumentError."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise LessonDocumentError(
            f"is not valid JSON (line {error.lineno}, column {error.colno}: {error.msg})"
        ) from None
    if not isinstance(data, dict) or data.get("format") != JSON_FORMAT:
        raise LessonDocumentError(f'is JSON but not a lesson export: it has no "format": "{JSON_FORMAT}"')
    version = data.get("format_version")
    if isinstance(version, bool) or version not in JSON_FORMAT_VERSIONS:
        raise LessonDocumentError(
            f"is a lesson export in format version {version!r}; "
            f"this site reads versions {min(JSON_FORMAT_VERSIONS)} to {JSON_FORMAT_VERSION}"
        )
    lesson = _JsonObject(
        data,
        "",
        required={"format", "format_version", "title", "slug", "event_date", "date_precision", "summary"},
        optional={"sections", "readings", *(LIST_KEYS if version >= 2 else ())},
    )
    precision = lesson.text("date_precision")
    if precision not in Lesson.DatePrecision.values:
        raise LessonDocumentError(
            f"JSON: date_precision is '{precision}'; use one of {', '.join(Lesson.DatePrecision.values)}"
        )

    sections: list[ParsedSection] = []
    top_level: dict[int, ParsedSection] = {}
    for index, item in enumerate(lesson.list("sections")):
        where = f"sections[{index}]."
        entry = _JsonObject(
            item,
            where,
            required={"kind", "heading"},
            optional={"body", "parent", *(("evidence",) if version >= 2 else ())},
        )
        kind = entry.text("kind")
        if kind not in Section.Kind.values:
            raise LessonDocumentError(f"JSON: {where}kind is '{kind}'; use one of {', '.join(Section.Kind.values)}")
        section = ParsedSection(kind=kind, heading=entry.text("heading"), body=entry.text("body"))
        for number, evidence in enumerate(entry.list("evidence")):
            fields = _JsonObject(
                evidence, f"{where}evidence[{number}].", required={"title"}, optional={"date", "source", "url"}
            )
            section.evidence.append(
                ParsedEvidence(**{name: fields.text(name) for name in ("title", "date", "source", "url")})
            )
        parent = entry.number("parent")
        if parent is None:
            sections.append(section)
            top_level[index] = section
        elif parent in top_level:
            top_level[parent].subpanels.append(section)
        else:
            raise LessonDocumentError(
                f"JSON: {where}parent is {parent}; it must be the position of an earlier section that has no parent"
            )

    readings = []
    for index, item in enumerate(lesson.list("readings")):
        entry = _JsonObject(
            item,
            f"readings[{index}].",
            required={"title", "authors"},
            optional={"publisher", "year", "isbn", "doi", "url", "note", "checked_by", "checked_on"},
        )
        readings.append(
            ParsedReading(
                title=entry.text("title"),
                authors=entry.text("authors"),
                publisher=entry.text("publisher"),
                year=entry.number("year"),
                isbn=entry.text("isbn"),
                doi=entry.text("doi"),
                url=entry.text("url"),
                note=entry.text("note"),
                checked_by=entry.text("checked_by", null=True),
                checked_on=entry.date("checked_on", null=True),
            )
        )

    return ParsedLesson(
        title=lesson.text("title"),
        slug=lesson.text("slug"),
        event_date=lesson.date("event_date"),
        date_precision=precision,
        summary=lesson.text("summary"),
        sections=sections,
        readings=readings,
        lists=_json_lists(lesson),
        carries_checks=True,
    )


# Each list of a version 2 export: its key, what each item must and may hold, and what it becomes.
LIST_KEYS = {
    "key_terms": ({"term", "definition"}, set(), ParsedKeyTerm),
    "questions": ({"question"}, set(), ParsedQuestion),
    "interpretations": ({"historian", "work", "argument"}, set(), ParsedInterpretation),
    "topics": ({"kind", "name"}, set(), ParsedTopic),
    "related_lessons": ({"relation", "slug"}, {"title"}, ParsedRelation),
}
JSON_CHOICES = {("topics", "kind"): Topic.Kind.values, ("related_lessons", "relation"): RelatedLesson.Relation.values}


def _json_lists(lesson: "_JsonObject") -> ParsedLists:
    found = {}
    for key, (required, optional, parsed) in LIST_KEYS.items():
        found[key] = []
        for index, item in enumerate(lesson.list(key)):
            where = f"{key}[{index}]."
            entry = _JsonObject(item, where, required=required, optional=optional)
            values = {name: entry.text(name) for name in required | optional}
            for name in required:
                choices = JSON_CHOICES.get((key, name))
                if choices and values[name] not in choices:
                    raise LessonDocumentError(
                        f"JSON: {where}{name} is '{values[name]}'; use one of {', '.join(choices)}"
                    )
            found[key].append(parsed(**values))
    return ParsedLists(
        key_terms=found["key_terms"],
        questions=found["questions"],
        interpretations=found["interpretations"],
        topics=found["topics"],
        relations=found["related_lessons"],
    )


class _JsonObject:
    """One object of a JSON export, whose values are read with one-line errors naming where they are."""

    def __init__(self, data, where: str, *, required: set[str], optional: set[str]):
        self.data, self.where = data, where
        if not isinstance(data, dict):
            raise LessonDocumentError(f"JSON: {where.rstrip('.') or 'the lesson'} must be an object")
        if missing := sorted(required - data.keys()):
            raise LessonDocumentError(f"JSON: {where}{missing[0]} is missing")
        if unknown := sorted(data.keys() - required - optional):
            raise LessonDocumentError(f"JSON: {where}{unknown[0]} is not a field this site knows")

    def _get(self, key, types, description, null):
        value = self.data.get(key)
        if value is None and null:
            return None
        if not isinstance(value, types) or isinstance(value, bool):
            raise LessonDocumentError(f"JSON: {self.where}{key} must be {description}")
        return value

    def text(self, key: str, *, null: bool = False) -> str | None:
        if key not in self.data and not null:
            return ""
        return self._get(key, str, "text" + (" or null" if null else ""), null)

    def number(self, key: str) -> int | None:
        return self._get(key, int, "a whole number or null", null=True)

    def list(self, key: str) -> list:
        return self._get(key, list, "a list", null=True) or []

    def date(self, key: str, *, null: bool = False) -> datetime.date | None:
        value = self._get(key, str, "a date like 1960-07-16" + (" or null" if null else ""), null)
        if value is None:
            return None
        try:
            return datetime.date.fromisoformat(value)
        except ValueError:
            raise LessonDocumentError(f"JSON: {self.where}{key} '{value}' is not a date like 1960-07-16") from None


# Importing


@transaction.atomic
def import_lesson(*, document: ParsedLesson, publish: bool = False) -> tuple[Lesson, bool]:
    """
    Create or update the lesson with the document's slug, replacing its sections, readings,
    key terms, questions, interpretations, topics and related lessons, in one transaction.
    A new lesson is a draft unless publish is set; an existing one keeps its status unless
    publish is set. A lesson that is to be published must have an identifier for every
    reading (see publishing.py). A related lesson that does not exist yet is left out:
    link_related_lessons() adds it later.
    """
    # Within a revision the lesson is recorded once, at the end (_record_as_made): left to reversion's
    # signals, its save and the setting of its topics would each record it and read all it follows,
    # only for that record to be replaced.
    with reversion.create_revision(manage_manually=True, atomic=False) if reversion.is_active() else nullcontext():
        lesson, created = _import_lesson(document, publish)
    bump_content_version()  # rows made in bulk send no signals
    return lesson, created


def _import_lesson(document: ParsedLesson, publish: bool) -> tuple[Lesson, bool]:
    _check_lists(document)
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
        raise LessonDocumentError(_messages(error, Lesson)) from None
    lesson.save()

    # A new lesson has nothing to replace: no queries to look for its rows, topics or related lessons.
    checks = {}
    if not created:
        if not document.carries_checks:
            checks = _checks_of(lesson.readings.all())
        for related in (lesson.sections, lesson.readings, lesson.key_terms, lesson.questions, lesson.interpretations):
            related.all().delete()
    topics = [_topic(item) for item in document.lists.topics]
    if created:
        lesson.topics.add(*topics)
    else:
        lesson.topics.set(topics)
    sections = _create_sections(lesson, document.sections)
    readings = [_reading(lesson, parsed, order, checks) for order, parsed in enumerate(document.readings, 1)]
    if lesson.status == Lesson.Status.PUBLISHED and (problems := reading_problems(readings)):
        action = "cannot publish" if publish else "cannot update the published lesson"
        raise LessonDocumentError(f"{action}: {' '.join(problems)}")
    Reading.objects.bulk_create(readings)

    lists = document.lists
    key_terms = KeyTerm.objects.bulk_create(
        _checked(
            KeyTerm(lesson=lesson, term=item.term, definition=item.definition),
            item.line,
            f"key term '{_short(item.term)}'",
        )
        for item in lists.key_terms
    )
    questions = DiscussionQuestion.objects.bulk_create(
        _checked(DiscussionQuestion(lesson=lesson, order=order, question=item.question), item.line, "question")
        for order, item in enumerate(lists.questions, 1)
    )
    interpretations = Interpretation.objects.bulk_create(
        _checked(
            Interpretation(
                lesson=lesson, order=order, historian=item.historian, work=item.work, argument=item.argument
            ),
            item.line,
            f"interpretation by '{_short(item.historian)}'",
        )
        for order, item in enumerate(lists.interpretations, 1)
    )
    if lists.relations or not created:
        link_related_lessons(lesson=lesson, relations=lists.relations)
    _record_as_made(
        lesson,
        sections=sections,
        readings=readings,
        key_terms=key_terms,
        questions=questions,
        interpretations=interpretations,
    )
    return lesson, created


def _record_as_made(lesson: Lesson, *, sections: dict[Section, list[Evidence]], **rows: list[models.Model]) -> None:
    """
    Within reversion.create_revision(), record the lesson as record_in_revision() would, from the rows
    just made rather than read back (eight queries a lesson). Reversion follows a relation through
    the prefetch cache when there is one, so it serializes exactly what the database now holds; the
    relations not given here (the related lessons) it reads itself.
    """
    if not reversion.is_active():
        return
    for section, evidence in sections.items():
        section._prefetched_objects_cache = {"evidence": evidence}
    lesson._prefetched_objects_cache = {"sections": list(sections), **rows}
    reversion.add_to_revision(lesson)
    del lesson._prefetched_objects_cache  # plain lists: not for the lesson's later users


def record_in_revision(lesson: Lesson) -> None:
    """
    Within reversion.create_revision(), record the lesson as it now is, with all it follows: rows
    made in bulk send no signals, and a section's evidence is made after the section is saved.
    """
    if reversion.is_active():
        # With what it follows read at once: reversion would ask each section for its evidence.
        follows = ["sections__evidence", "readings", "key_terms", "questions", "relations", "interpretations"]
        reversion.add_to_revision(Lesson.objects.prefetch_related(*follows).get(pk=lesson.pk))


def link_related_lessons(*, lesson: Lesson, relations: list[ParsedRelation]) -> list[ParsedRelation]:
    """
    Replace the lesson's related lessons with those of `relations` whose lesson exists, in
    their order; return the ones whose lesson does not (yet), so that they can be linked
    once it has been imported.
    """
    targets = Lesson.objects.in_bulk([relation.slug for relation in relations], field_name="slug")
    lesson.relations.all().delete()
    found = [relation for relation in relations if relation.slug in targets]
    RelatedLesson.objects.bulk_create(
        RelatedLesson(lesson=lesson, related=targets[relation.slug], relation=relation.relation, order=order)
        for order, relation in enumerate(found, 1)
    )
    bump_content_version()  # rows made in bulk send no signals
    return [relation for relation in relations if relation.slug not in targets]


def _check_lists(document: ParsedLesson) -> None:
    """What the database would refuse in a document's lists, said before anything is changed."""
    terms: dict[str, ParsedKeyTerm] = {}
    for item in document.lists.key_terms:
        if (earlier := terms.setdefault(item.term.casefold(), item)) is not item:
            also = f" (also on line {earlier.line})" if earlier.line else ""
            raise LessonDocumentError(f"{_where(item.line)}the key term '{_short(item.term)}' is given twice{also}")
    targets: dict[str, ParsedRelation] = {}
    for relation in document.lists.relations:
        name = _short(relation.title or relation.slug)
        if relation.slug == document.slug:
            raise LessonDocumentError(
                f"{_where(relation.line)}'{name}' is this lesson: a lesson cannot be related to itself"
            )
        if (earlier := targets.setdefault(relation.slug, relation)) is not relation:
            also = f" (also on line {earlier.line})" if earlier.line else ""
            raise LessonDocumentError(f"{_where(relation.line)}the related lesson '{name}' is given twice{also}")


def _checked(obj: models.Model, line: int | None, what: str) -> models.Model:
    """The object, once its fields pass the model's rules; a LessonDocumentError naming it if not."""
    try:
        obj.full_clean(exclude=["lesson", "section"], validate_unique=False, validate_constraints=False)
    except ValidationError as error:
        raise LessonDocumentError(f"{_where(line)}{what}: {_messages(error, type(obj))}") from None
    return obj


def _topic(parsed: ParsedTopic) -> Topic:
    """The topic of that kind and name (in any case), made with a free slug if there is none yet."""
    topic = Topic.objects.filter(kind=parsed.kind, name__iexact=parsed.name).first()
    if topic is None:
        # "Cold War (1947–1991)" -> cold-war-1947-1991; "-era" or a number when another topic has it.
        base = slugify(re.sub(r"[–—]", "-", parsed.name))[:90] or parsed.kind
        taken = set(Topic.objects.filter(slug__startswith=base).values_list("slug", flat=True))
        candidates = [base, f"{base}-{parsed.kind}", *(f"{base}-{number}" for number in range(2, len(taken) + 3))]
        slug = next(slug for slug in candidates if slug not in taken)
        topic = Topic(kind=parsed.kind, name=parsed.name, slug=slug)
        _checked(topic, parsed.line, f"topic '{_short(parsed.name)}'").save()
    return topic


def _create_sections(lesson: Lesson, sections: list[ParsedSection]) -> dict[Section, list[Evidence]]:
    """The sections, their sub-panels and their evidence, made in bulk: a few queries, not several a
    section. Orders and anchors are given in the document's order, as saving each would. Returns each
    section made, in that order, with its evidence."""
    order = 0
    anchors: set[str] = set()
    top_level: list[tuple[Section, ParsedSection]] = []
    subpanels: list[tuple[int, ParsedSection, int, str]] = []  # each with its parent's place in top_level
    for parsed in sections:
        order += 1
        top_level.append((_section(lesson, parsed, order, free_anchor(parsed.heading, anchors)), parsed))
        anchors.add(top_level[-1][0].anchor)
        for child in parsed.subpanels:
            order += 1
            subpanels.append((len(top_level) - 1, child, order, free_anchor(child.heading, anchors)))
            anchors.add(subpanels[-1][-1])
    Section.objects.bulk_create(section for section, _ in top_level)
    children = [
        (_section(lesson, child, order, anchor, parent=top_level[index][0]), child)
        for index, child, order, anchor in subpanels
    ]
    Section.objects.bulk_create(section for section, _ in children)
    evidence = {
        section: [
            _checked(
                Evidence(
                    section=section, order=order, title=item.title, date=item.date, source=item.source, url=item.url
                ),
                item.line,
                f"evidence '{_short(item.title)}'",
            )
            for order, item in enumerate(parsed.evidence, 1)
        ]
        for section, parsed in [*top_level, *children]
    }
    Evidence.objects.bulk_create(item for items in evidence.values() for item in items)
    return {section: evidence[section] for section in sorted(evidence, key=lambda section: section.order)}


def _section(lesson: Lesson, parsed: ParsedSection, order: int, anchor: str, parent: Section | None = None) -> Section:
    """A section to create, once its fields pass the model's rules; a LessonDocumentError naming it if not."""
    section = Section(
        lesson=lesson,
        order=order,
        kind=parsed.kind,
        heading=parsed.heading,
        body=parsed.body,
        parent=parent,
        anchor=anchor,
    )
    try:
        # The lesson and the parent are saved, and the anchors differ: nothing to ask the database.
        section.full_clean(exclude=["lesson", "parent"], validate_constraints=False)
    except ValidationError as error:
        raise LessonDocumentError(
            f"{_where(parsed.line)}section '{_short(parsed.heading)}': {_messages(error, Section)}"
        ) from None
    section.render_body()
    return section


def _reading(lesson: Lesson, parsed: ParsedReading, order: int, checks: dict) -> Reading:
    """A checked, unsaved Reading; with no word on who checked it, an unchanged reading keeps its check."""
    where = f"{_where(parsed.line)}reading '{_short(parsed.title)}'"
    checked_by = None
    if parsed.checked_by:
        User = get_user_model()
        try:
            checked_by = User._default_manager.get_by_natural_key(parsed.checked_by)
        except User.DoesNotExist:
            raise LessonDocumentError(
                f"{where}: it was checked by '{parsed.checked_by}', who has no account on this site"
            ) from None
    reading = Reading(
        lesson=lesson,
        order=order,
        title=parsed.title,
        authors=parsed.authors,
        publisher=parsed.publisher,
        year=parsed.year,
        isbn=parsed.isbn,
        doi=parsed.doi,
        url=parsed.url,
        note=parsed.note,
        checked_by=checked_by,
        checked_on=parsed.checked_on,
    )
    try:
        # The lesson is saved: nothing to ask the database (the checker, when named, was just read).
        reading.full_clean(exclude=["lesson", "checked_by"])
    except ValidationError as error:
        raise LessonDocumentError(f"{where}: {_messages(error, Reading)}") from None
    if (check := checks.get(_described_as(reading))) is not None:
        reading.checked_by_id, reading.checked_on = check
    return reading


def _described_as(reading: Reading) -> tuple:
    """What a check vouches for: that a work with this description exists."""
    return (reading.title, reading.authors, reading.publisher, reading.year, reading.isbn, reading.doi, reading.url)


def _checks_of(readings) -> dict[tuple, tuple]:
    return {
        _described_as(reading): (reading.checked_by_id, reading.checked_on)
        for reading in readings
        if reading.checked_by_id or reading.checked_on
    }


def _messages(error: ValidationError, model: type[models.Model]) -> str:
    """A model's validation errors on one line; Django's generic ones say which field they are about."""
    if not hasattr(error, "error_dict"):
        return "; ".join(error.messages)
    messages = []
    for name, errors in error.error_dict.items():
        for each in errors:
            message = " ".join(each.messages)
            if each.code and name != NON_FIELD_ERRORS:
                message = f"{model._meta.get_field(name).verbose_name}: {message}"
            messages.append(message)
    return "; ".join(messages)


def _where(line: int | None) -> str:
    return f"line {line}: " if line else ""


def _short(text: str) -> str:
    return text if len(text) <= 60 else text[:59] + "…"
