"""'Cite this lesson': the lesson page and its readings as MLA (9th), APA (7th) and Chicago (17th) references.

Every function here but lesson_citations() is pure: it reads only its arguments. Each reference comes
as plain text, to paste anywhere, and as HTML with the title in <i> and every value escaped.

Titles are kept as the editor wrote them. APA asks for sentence case ("Mao and the Sino-Soviet split"),
but which words are proper nouns ("Sino-Soviet", "China") cannot be told from the text.
"""

import datetime
import re
from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from .identifiers import normalise_doi
from .models import Lesson, Reading

STYLES = {"mla": "MLA (9th edition)", "apa": "APA (7th edition)", "chicago": "Chicago (17th edition)"}

MONTHS = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
# MLA abbreviates every month but May, June and July (MLA Handbook, 9th ed., appendix 1).
MLA_MONTHS = ("Jan.", "Feb.", "Mar.", "Apr.", "May", "June", "July", "Aug.", "Sept.", "Oct.", "Nov.", "Dec.")

# "Odd Arne Westad (ed.)", "A and B (eds.)", "Odd Arne Westad, editor".
EDITORS = re.compile(r"\s*(?:\((?:eds?\.?|editors?)\)|,\s*(?:eds?\.|editors?))\s*$", re.IGNORECASE)
# Between two people: "A and B", "A & B", "A, B, and C".
SEPARATOR = re.compile(r"\s*,\s*(?:(?:and|&)\s+)?|\s+(?:and|&)\s+", re.IGNORECASE)
SUFFIXES = {"jr": "Jr.", "sr": "Sr.", "ii": "II", "iii": "III", "iv": "IV"}
PUBLISHER_SEPARATOR = re.compile(r"\s+/\s+|\s*;\s*")


@dataclass(frozen=True)
class Citation:
    """One reference in one style: plain text, and HTML with the title in italics."""

    style: str
    text: str
    html: SafeString

    @property
    def label(self) -> str:
        """The style's name for a heading, e.g. "MLA (9th edition)"."""
        return STYLES[self.style]


@dataclass(frozen=True)
class Name:
    """A person's name split for inverting: "Martin Luther King Jr." or "Ludwig van Beethoven"."""

    given: str  # "Martin Luther"
    family: str  # "King"
    particle: str = ""  # "van", in "Ludwig van Beethoven"
    suffix: str = ""  # "Jr."

    def inverted(self) -> str:
        """Family name first, as MLA and Chicago list the first author: "Beethoven, Ludwig van"."""
        given = " ".join(part for part in (self.given, self.particle) if part)
        return ", ".join(part for part in (self.family, given, self.suffix) if part)

    def natural(self) -> str:
        """As on the title page, for the other authors: "Ludwig van Beethoven", "Martin Luther King, Jr."."""
        name = " ".join(part for part in (self.given, self.particle, self.family) if part)
        return f"{name}, {self.suffix}" if self.suffix else name

    def with_initials(self) -> str:
        """APA's form: "van Beethoven, L.", "King, M. L., Jr.", "Sartre, J.-P."."""
        family = " ".join(part for part in (self.particle, self.family) if part)
        return ", ".join(part for part in (family, initials(self.given), self.suffix) if part)


class _Italic(str):
    """A part of a reference set in italics: the title of a book or a website."""


# Authors


def parse_authors(authors: str) -> tuple[list[Name], bool]:
    """The people in a reading's authors, written as on the title page ("Danhui Li and Yafeng Xia"),
    and whether they edited the work rather than wrote it ("Odd Arne Westad (ed.)")."""
    editors = EDITORS.search(authors)
    if editors:
        authors = authors[: editors.start()]
    names: list[Name] = []
    for piece in SEPARATOR.split(authors.strip()):
        suffix = SUFFIXES.get(piece.lower().rstrip("."))
        if suffix and names:  # "Martin Luther King, Jr.": the comma does not start a new person
            names[-1] = Name(names[-1].given, names[-1].family, names[-1].particle, suffix)
        elif piece:
            names.append(parse_name(piece))
    return names, editors is not None


def parse_name(name: str) -> Name:
    """One person's name, given names first: the last word is the family name, with a lower-case
    particle before it ("van", "de") and a suffix after it ("Jr.") kept apart."""
    words = name.split()
    suffix = ""
    if len(words) > 1 and words[-1].lower().rstrip(".") in SUFFIXES:
        suffix = SUFFIXES[words.pop().lower().rstrip(".")]
    family = words.pop()
    particle = []
    while len(words) > 1 and words[-1].islower():
        particle.insert(0, words.pop())
    return Name(given=" ".join(words), family=family, particle=" ".join(particle), suffix=suffix)


def initials(given: str) -> str:
    """Given names as initials: "Odd Arne" -> "O. A.", "Jean-Paul" -> "J.-P.", "J.R.R." -> "J. R. R."."""
    words = [word for word in re.split(r"[\s.]+", given) if word]
    return " ".join("-".join(f"{part[0].upper()}." for part in word.split("-") if part) for word in words)


def mla_names(names: list[Name]) -> str:
    """One author inverted; two as "Li, Danhui, and Yafeng Xia"; three or more as "Shen, Zhihua, et al."."""
    if len(names) == 1:
        return names[0].inverted()
    if len(names) == 2:
        return f"{names[0].inverted()}, and {names[1].natural()}"
    return f"{names[0].inverted()}, et al."


def apa_names(names: list[Name]) -> str:
    """Up to 20 authors, all with initials ("Li, D., & Xia, Y."); from 21, the first 19, ". . ." and the last."""
    formatted = [name.with_initials() for name in names]
    if len(formatted) == 1:
        return formatted[0]
    if len(formatted) <= 20:
        return f"{', '.join(formatted[:-1])}, & {formatted[-1]}"
    return f"{', '.join(formatted[:19])}, . . . {formatted[-1]}"


def chicago_names(names: list[Name]) -> str:
    """Up to ten authors, the first inverted ("Li, Danhui, and Yafeng Xia"); from eleven, the first seven
    and "et al."."""
    if len(names) > 10:
        return ", ".join([names[0].inverted(), *(name.natural() for name in names[1:7])]) + ", et al."
    if len(names) == 1:
        return names[0].inverted()
    if len(names) == 2:
        return f"{names[0].inverted()}, and {names[1].natural()}"
    middle = ", ".join(name.natural() for name in names[1:-1])
    return f"{names[0].inverted()}, {middle}, and {names[-1].natural()}"


# Readings


def cite_reading(reading: Reading, style: str) -> Citation:
    """A reading (a book, or an edited book) as a reference in the given style: "mla", "apa" or "chicago".

    No style prints an ISBN. A DOI locates the work itself, so it is given; a URL only for a work
    without a publisher, since a reading's URL is otherwise a catalogue page, not the work.
    """
    names, editors = parse_authors(reading.authors)
    publishers = [part for part in PUBLISHER_SEPARATOR.split(reading.publisher.strip()) if part]
    if reading.doi:
        locator = f"https://doi.org/{normalise_doi(reading.doi)}"
    elif reading.url and not publishers:
        locator = reading.url
    else:
        locator = ""
    return _citation(style, READING_STYLES[style](reading, names, editors, publishers, locator))


def _mla_reading(reading: Reading, names: list[Name], editors: bool, publishers: list[str], locator: str) -> list:
    parts = []
    if names:
        who = mla_names(names) + ((", editors" if len(names) > 1 else ", editor") if editors else "")
        parts += [who, _stop(who), " "]
    parts += [_Italic(reading.title), _stop(reading.title)]
    # MLA shortens "University Press" to "UP" and separates co-publishers with a slash.
    publisher = " / ".join(name.replace("University Press", "UP") for name in publishers)
    if locator and not locator.startswith("https://doi.org/"):
        locator = re.sub(r"^https?://", "", locator)  # MLA drops the scheme from a URL, not from a DOI
    if facts := ", ".join(str(fact) for fact in (publisher, reading.year, locator) if fact):
        parts += [" ", facts, _stop(facts)]
    return parts


def _apa_reading(reading: Reading, names: list[Name], editors: bool, publishers: list[str], locator: str) -> list:
    title = [_Italic(reading.title), _stop(reading.title)]
    date = f"({reading.year or 'n.d.'})."
    if names:
        who = apa_names(names) + ((" (Eds.)" if len(names) > 1 else " (Ed.)") if editors else "")
        parts = [who, _stop(who), " ", date, " ", *title]
    else:  # without an author, the title takes the author's place
        parts = [*title, " ", date]
    if publishers:
        publisher = "; ".join(publishers)
        parts += [" ", publisher, _stop(publisher)]
    if locator:
        parts += [" ", locator]  # APA ends a DOI or URL without a full stop
    return parts


def _chicago_reading(reading: Reading, names: list[Name], editors: bool, publishers: list[str], locator: str) -> list:
    parts = []
    if names:
        who = chicago_names(names) + ((", eds." if len(names) > 1 else ", ed.") if editors else "")
        parts += [who, _stop(who), " "]
    # The place of publication is not recorded, so the facts start with the publisher.
    facts = ", ".join(str(fact) for fact in ("; ".join(publishers), reading.year or "n.d.") if fact)
    parts += [_Italic(reading.title), _stop(reading.title), " ", facts, _stop(facts)]
    if locator:
        parts += [" ", locator, _stop(locator)]
    return parts


READING_STYLES = {"mla": _mla_reading, "apa": _apa_reading, "chicago": _chicago_reading}


def reading_references(readings, style: str = "apa") -> list[Citation]:
    """Every reading as a reference in one style, in the order given."""
    return [cite_reading(reading, style) for reading in readings]


# The lesson page


def cite_lesson(*, title: str, url: str, updated: datetime.date, accessed: datetime.date, site: str) -> list[Citation]:
    """A lesson page in MLA, APA and Chicago (bibliography entry), with the site as its author.

    The site is both the author and the website, so each style names it once: MLA as the website, since
    it starts with the title when the author and the publisher are the same; APA and Chicago as the author.
    Only MLA gives the access date: APA and Chicago use one only when a page has no date.
    """
    return [
        _citation(
            "mla",
            [
                f"“{_quoted(title)}{_stop(title)}” ",
                _Italic(site),
                f", {updated.day} {MLA_MONTHS[updated.month - 1]} {updated.year}, ",
                re.sub(r"^https?://", "", url),
                f". Accessed {accessed.day} {MLA_MONTHS[accessed.month - 1]} {accessed.year}.",
            ],
        ),
        _citation(
            "apa",
            [
                f"{site}{_stop(site)} ({updated.year}, {MONTHS[updated.month - 1]} {updated.day}). ",
                _Italic(title),
                f"{_stop(title)} {url}",
            ],
        ),
        _citation(
            "chicago",
            [
                f"{site}{_stop(site)} “{_quoted(title)}{_stop(title)}” ",
                f"Last modified {MONTHS[updated.month - 1]} {updated.day}, {updated.year}. {url}.",
            ],
        ),
    ]


def site_name() -> str:
    """The name the site goes by in citations: settings.SITE_NAME, or "History lessons"."""
    return getattr(settings, "SITE_NAME", "History lessons")


def lesson_citations(request: HttpRequest, lesson: Lesson) -> list[Citation]:
    """The lesson's page in every style, at the address it was requested at, accessed today."""
    return cite_lesson(
        title=lesson.title,
        url=request.build_absolute_uri(lesson.get_absolute_url()),
        updated=timezone.localdate(lesson.updated_at),
        accessed=timezone.localdate(),
        site=site_name(),
    )


# Punctuation and markup


def _stop(text: str) -> str:
    """The full stop that ends an element, unless the element already ends with one, "?" or "!"."""
    return "" if text.rstrip().endswith((".", "?", "!")) else "."


def _quoted(title: str) -> str:
    """A title to put in double quotation marks: the double quotation marks in it become single ones."""
    title = re.sub(r"(^|[\s(\[])[\"“]", r"\1‘", title)
    return re.sub(r"[\"”]", "’", title)


def _citation(style: str, parts: list[str]) -> Citation:
    html = "".join(f"<i>{escape(part)}</i>" if isinstance(part, _Italic) else escape(part) for part in parts)
    return Citation(style=style, text="".join(parts), html=mark_safe(html))
