"""
Generated lessons for the benchmark: plain-text documents for the import scenario, and fast
bulk filling of a database with the same lessons.

Every lesson is made from its number alone, so lesson 42 is the same text on every run and
every machine. Each is a GeneratedLesson in the importer's own parsed form (events.importer's
Parsed* classes): lesson_document() writes it out in the plain-text lesson format, and
fill_database() writes its rows the way import_lesson would store them, in batches of
bulk_create, without parsing, validating or rendering each section through Markdown on its own.

The text is made from a fixed vocabulary and says that it is generated: titles read
"Generated lesson 0042: …", readings "Benchmark reading 2 for lesson 42" at example.org. Every
lesson holds COMMON_WORD; one lesson in a thousand (numbers 1, 1001, 2001, …) holds RARE_WORD.

As a command (DATABASE_URL picks the database, as for manage.py):

    .venv/bin/python -m bench.generator fill 10000
    .venv/bin/python -m bench.generator admin-lesson
    .venv/bin/python -m bench.generator documents /tmp/lessons 1000
"""

import argparse
import datetime
import importlib
import os
import random
import re
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import django

if __name__ == "__main__":  # run as a command: Django must be set up before the models are imported
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "history_site.settings")
    django.setup()

from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402
from django.utils.text import slugify  # noqa: E402

from events.cache import bump_content_version  # noqa: E402
from events.importer import (  # noqa: E402
    ParsedEvidence,
    ParsedInterpretation,
    ParsedKeyTerm,
    ParsedLesson,
    ParsedLists,
    ParsedQuestion,
    ParsedReading,
    ParsedSection,
    ParsedTopic,
)
from events.markdown import first_sentence, render_markdown  # noqa: E402
from events.models import (  # noqa: E402
    DiscussionQuestion,
    Evidence,
    Interpretation,
    KeyTerm,
    Lesson,
    Reading,
    Section,
    Topic,
    free_anchor,
)
from events.rendering import render_many  # noqa: E402

COMMON_WORD = "council"  # in every generated lesson
RARE_WORD = "obsidian"  # in one generated lesson in a thousand
RARE_EVERY = 1000

ADMIN_SLUG = "bench-admin-lesson"
ADMIN_SECTIONS = 30
ADMIN_READINGS = 10

BATCH = 500  # lessons a transaction
GENERATED_SLUG = re.compile(r"^generated-lesson-(?P<number>\d+)-")
PARAGRAPH_POOL = 1500  # distinct paragraphs that sections are made of, each rendered once

# The vocabulary. No word here starts with RARE_WORD, so that a search for it finds only the rare lessons.
SYLLABLES = ["var", "nel", "tor", "hal", "mir", "bren", "ost", "kel", "dar", "vin", "sol", "rav", "teg", "lun", "fen"]
ENDINGS = ["holt", "mark", "via", "stad", "ora", "enne", "wick", "avia", "burg", "mont"]
EVENTS = ["Accord", "Conference", "Charter", "Strike", "Compact", "Reform", "Crisis", "Congress", "Partition"]
ADJECTIVES = [
    "northern", "provincial", "coastal", "rural", "municipal", "federal", "maritime", "upland", "central",
    "eastern", "western", "southern", "industrial", "agrarian", "regional", "temporary", "rival", "divided",
]  # fmt: skip
NOUNS = [
    "assembly", "charter", "tariff", "levy", "harbour", "railway", "guild", "ministry", "delegation", "frontier",
    "garrison", "cooperative", "census", "archive", "canal", "granary", "militia", "commission", "market",
    "ballot", "petition", "magistrate", "convoy", "almanac", "ledger", "tribunal", "quarry", "embassy",
]  # fmt: skip
VERBS = [
    "reorganised", "challenged", "funded", "divided", "delayed", "extended", "replaced", "opposed", "negotiated",
    "inspected", "supplied", "recorded", "reformed", "taxed", "protected", "closed", "reopened", "mapped",
]  # fmt: skip
ADVERBS = ["slowly", "quickly", "openly", "quietly", "formally", "gradually", "suddenly", "reluctantly", "briefly"]
GROUPS = [
    "farmers", "merchants", "clerks", "sailors", "teachers", "miners", "weavers", "printers", "envoys",
    "students", "engineers", "villagers",
]  # fmt: skip
SENTENCES = [
    "The {adj} {noun} of {place} {verb} the {noun2} {adv}.",
    "In {place} the {group} {verb} the {noun} after the {common} met.",
    "Many {group} saw the {noun} as a test for the {adj} {noun2}.",
    "By the following season the {common} had {verb} the {noun} of {place}.",
    "Records of the {noun} mention {count} {group} and the {adj} {noun2}.",
    "The {common} of {place} {verb} the {emphasis} {adv}.",
    "{Group} in {place} {verb} the {noun} and the {noun2}.",
    "Nobody in the {common} expected the {noun} to be {verb} so {adv}.",
    "A report to the {common} described the {adj} {noun} as costly and slow.",
    "Later lessons return to the {noun2} of {place}, as the {link} shows.",
]
FUN_FACT_SENTENCES = [
    "One story says the {common} of {place} met in the {adj} {noun} for {count} days.",
    "The {noun} kept a ledger of {count} {group}, and every page of it is generated.",
    "Visitors to {place} were told the {noun2} had been {verb} twice in one week.",
]
KEY_TERMS = {noun: f"a generated benchmark term: the {noun} as these lessons use the word." for noun in NOUNS}
DAY_PRECISION_EVERY, MONTH_PRECISION_EVERY = 5, 3  # most lessons give the day, some the month or only the year
THEMES, REGIONS = 8, 6


@dataclass
class GeneratedLesson:
    number: int
    parsed: ParsedLesson
    date_text: str  # as the document's Date line writes it
    topic_names: list[tuple[str, str]]  # (kind, name) as the Topics lines name them


# The text


def _place(rng: random.Random) -> str:
    return (rng.choice(SYLLABLES) + rng.choice(SYLLABLES) + rng.choice(ENDINGS)).capitalize()


def _sentence(rng: random.Random, template: str) -> str:
    group = rng.choice(GROUPS)
    noun, noun2 = rng.sample(NOUNS, 2)
    values = {
        "adj": rng.choice(ADJECTIVES),
        "noun": noun,
        "noun2": noun2,
        "verb": rng.choice(VERBS),
        "adv": rng.choice(ADVERBS),
        "group": group,
        "Group": group.capitalize(),
        "place": _place(rng),
        "count": rng.randint(12, 980),
        "common": COMMON_WORD,
        "emphasis": f"*{rng.choice(ADJECTIVES)} {noun}*",
        "link": f"[generated register](https://example.org/bench/registers/{rng.randint(1, 500)})",
    }
    return template.format(**values)


@cache
def _pool_paragraph(index: int) -> str:
    rng = random.Random(f"paragraph {index}")
    return " ".join(_sentence(rng, rng.choice(SENTENCES)) for _ in range(rng.randint(4, 6)))


RARE_PARAGRAPH = (
    f"An {RARE_WORD} seal appears on one page of the generated register. "
    f"Only a few generated lessons mention the {RARE_WORD} seal, so that a search for it finds few."
)


def _paragraphs(rng: random.Random, count: int) -> list[str]:
    return [_pool_paragraph(rng.randrange(PARAGRAPH_POOL)) for _ in range(count)]


def _section(rng: random.Random, kind: str, heading: str, paragraphs: int) -> ParsedSection:
    return ParsedSection(kind=kind, heading=heading, body="\n\n".join(_paragraphs(rng, paragraphs)))


def _event_date(rng: random.Random, number: int) -> tuple[datetime.date, str, str]:
    """The date, its precision and its text for the Date line."""
    day = datetime.date(1900, 1, 1) + datetime.timedelta(days=rng.randrange(36524))  # to 31 December 1999
    if number % DAY_PRECISION_EVERY == 0:
        return day.replace(month=1, day=1), Lesson.DatePrecision.YEAR, str(day.year)
    if number % MONTH_PRECISION_EVERY == 0:
        return day.replace(day=1), Lesson.DatePrecision.MONTH, f"{day:%B} {day.year}"
    return day, Lesson.DatePrecision.DAY, f"{day.day} {day:%B} {day.year}"


def generated_lesson(number: int) -> GeneratedLesson:
    """Lesson `number`, always the same, in the importer's parsed form."""
    rng = random.Random(number)
    place = _place(rng)
    name = f"the {place} {rng.choice(EVENTS)}"
    title = f"Generated lesson {number:04d}: {name[0].upper()}{name[1:]}"
    event_date, precision, date_text = _event_date(rng, number)
    when = f"{'On' if precision == Lesson.DatePrecision.DAY else 'In'} {date_text}"
    summary = (
        f"{when} the {COMMON_WORD} of {place} met for {name}, an event invented for benchmark lesson {number}. "
        f"{_sentence(rng, SENTENCES[0])} {_sentence(rng, SENTENCES[2])} "
        "This is generated text for measuring the site's speed; it describes no real event."
    )

    narrative = [_section(rng, Section.Kind.NARRATIVE, f"Background to {name}", 5)]
    if RARE_EVERY and number % RARE_EVERY == 1:
        narrative[0].body += f"\n\n{RARE_PARAGRAPH}"
    narrative.append(_section(rng, Section.Kind.NARRATIVE, f"The Course of {name}", 5))
    if rng.random() < 0.5:
        narrative.append(_section(rng, Section.Kind.NARRATIVE, f"Daily Life in {place}", 4))
    causes = _section(rng, Section.Kind.CAUSE, f"Causes of {name}", 3)
    causes.evidence.append(
        ParsedEvidence(
            title=f"Generated record for lesson {number}",
            date=date_text,
            source="Example Archive",
            url=f"https://example.org/bench/lessons/{number}/evidence",
        )
    )
    causes.subpanels.append(_section(rng, Section.Kind.CAUSE, f"Economic Motives in {place}", 3))
    impact = _section(rng, Section.Kind.IMPACT, f"Impact of {name}", 3)
    impact.subpanels.append(_section(rng, Section.Kind.IMPACT, f"Effects on the {rng.choice(GROUPS)}", 3))
    if rng.random() < 0.5:
        impact.subpanels.append(_section(rng, Section.Kind.IMPACT, f"Consequences for {place}", 3))
    fun_fact = ParsedSection(
        kind=Section.Kind.FUN_FACT,
        heading=f"Curious Details about {name}",
        body=" ".join(_sentence(rng, template) for template in FUN_FACT_SENTENCES),
    )

    readings = [
        ParsedReading(
            title=f"Benchmark reading {order} for lesson {number}",
            authors=f"Generated Author {rng.randint(1, 400)}",
            publisher="Example Press",
            year=min(event_date.year + rng.randint(5, 60), 2020),
            url=f"https://example.org/bench/lessons/{number}/readings/{order}",
            note="A generated reading for the benchmark; no such work exists." if order == 1 else "",
        )
        for order in range(1, 4)
    ]
    terms = rng.sample(NOUNS, 4)
    decade = event_date.year // 10 * 10
    topic_names = [
        (Topic.Kind.THEME, f"Generated theme {number % THEMES + 1}"),
        (Topic.Kind.ERA, f"Generated era {decade}s"),
        (Topic.Kind.REGION, f"Generated region {number % REGIONS + 1}"),
    ]
    lists = ParsedLists(
        key_terms=[ParsedKeyTerm(term=term.capitalize(), definition=KEY_TERMS[term]) for term in terms],
        questions=[
            ParsedQuestion(question=f"Why did the {COMMON_WORD} of {place} matter to the {rng.choice(GROUPS)}?"),
            ParsedQuestion(question=f"Which cause of {name} do you think mattered most, and why?"),
        ],
        interpretations=[
            ParsedInterpretation(
                historian=f"Generated Historian {rng.randint(1, 90)}",
                work=f"Benchmark study {order} for lesson {number}",
                argument=_sentence(rng, SENTENCES[order]),
            )
            for order in (1, 2)
        ],
        topics=[ParsedTopic(kind=kind, name=topic) for kind, topic in topic_names],
    )
    parsed = ParsedLesson(
        title=title,
        slug=slugify(title),
        event_date=event_date,
        date_precision=precision,
        summary=summary,
        sections=[*narrative, causes, impact, fun_fact],
        readings=readings,
        lists=lists,
    )
    return GeneratedLesson(number=number, parsed=parsed, date_text=date_text, topic_names=topic_names)


def lesson_document(number: int) -> str:
    """Lesson `number` as a plain-text lesson document, in the form editors write (see events.importer)."""
    generated = generated_lesson(number)
    lesson = generated.parsed
    lines = [f"The Key Event: {lesson.title}", f"Date: {generated.date_text}", lesson.summary]
    for section in lesson.sections:
        if section.kind == Section.Kind.FUN_FACT:
            lines.append("Fun Fact")
        lines.append(section.heading)
        for part in [section, *section.subpanels]:
            if part is not section:
                lines.append(part.heading)
            lines.extend(part.body.split("\n\n"))
            for evidence in part.evidence:
                lines.append(f'Evidence: "{evidence.title}" ({evidence.date}), {evidence.source}, {evidence.url}')
    lines.append("Historians Disagree")
    lines += [f'{item.historian}, "{item.work}": {item.argument}' for item in lesson.lists.interpretations]
    lines.append("Key Terms")
    lines += [f"{item.term}: {item.definition}" for item in lesson.lists.key_terms]
    lines.append("Discussion Questions")
    lines += [item.question for item in lesson.lists.questions]
    lines += ["Additional Resources", f"Further Reading for Lesson {number}"]
    lines.append("These generated works exist only for the benchmark; each has an example.org address:")
    for reading in lesson.readings:
        note = f" Note: {reading.note}" if reading.note else ""
        lines.append(
            f'"{reading.title}" by {reading.authors} ({reading.publisher}, {reading.year}). {reading.url}{note}'
        )
    lines.append("Topics")
    lines += [f"{kind.label}: {name}" for kind, name in generated.topic_names]
    return "\n".join(lines) + "\n"


def write_documents(folder: Path, count: int, start: int = 100_000) -> list[Path]:
    """Write `count` documents, lessons `start` onwards (far from those fill_database() makes), one a file."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for number in range(start, start + count):
        path = folder / f"generated-lesson-{number}.txt"
        path.write_text(lesson_document(number), encoding="utf-8")
        paths.append(path)
    return paths


# The rows


@cache
def _rendered(paragraph: str) -> tuple[str, str]:
    """A paragraph's HTML, and its first sentence, each worked out once however many sections use it."""
    html = render_markdown(paragraph)
    return html, first_sentence(html)


def _render(section: Section) -> None:
    """Set body_html and teaser as Section.save() does. Markdown renders separate paragraphs
    separately, so a body's HTML is its paragraphs' HTML in a row; and every paragraph has
    more than one sentence, so the first sentence of the body is that of its first paragraph."""
    paragraphs = [_rendered(paragraph) for paragraph in section.body.split("\n\n")]
    section.body_html = "".join(html for html, _ in paragraphs)
    section.teaser = paragraphs[0][1]


class _Topics:
    """Topics by kind and name, found or made once (as the importer finds them: by name, in any case)."""

    def __init__(self):
        self.known: dict[tuple[str, str], Topic] = {}

    def get(self, kind: str, name: str) -> Topic:
        key = (kind, name.casefold())
        if key not in self.known:
            topic = Topic.objects.filter(kind=kind, name__iexact=name).first()
            if topic is None:
                slug = slugify(name)
                if Topic.objects.filter(slug=slug).exists():
                    slug = f"{slug}-{kind}"
                topic = Topic.objects.create(kind=kind, name=name, slug=slug)
            self.known[key] = topic
        return self.known[key]


def _insert(documents: list[ParsedLesson], topics: _Topics, published_at: datetime.datetime) -> list[Lesson]:
    """The documents' lessons and everything in them, as import_lesson(publish=True) would store them."""
    lessons = Lesson.objects.bulk_create(
        Lesson(
            title=document.title,
            slug=document.slug,
            event_date=document.event_date,
            date_precision=document.date_precision,
            summary=document.summary,
            status=Lesson.Status.PUBLISHED,
            published_at=published_at,
        )
        for document in documents
    )
    top_level: list[tuple[Section, ParsedSection]] = []
    children: list[tuple[Section, ParsedSection, int]] = []  # with the index of the parent in top_level
    readings, key_terms, questions, interpretations, lesson_topics = [], [], [], [], []
    for lesson, document in zip(lessons, documents, strict=True):
        order, taken = 0, set()
        for parsed in document.sections:
            order += 1
            parent_index = len(top_level)
            top_level.append((_section_row(lesson, parsed, order, taken), parsed))
            for child in parsed.subpanels:
                order += 1
                children.append((_section_row(lesson, child, order, taken), child, parent_index))
        readings += [
            Reading(
                lesson=lesson,
                order=order,
                title=item.title,
                authors=item.authors,
                publisher=item.publisher,
                year=item.year,
                isbn=item.isbn,
                doi=item.doi,
                url=item.url,
                note=item.note,
            )
            for order, item in enumerate(document.readings, 1)
        ]
        lists = document.lists
        key_terms += [KeyTerm(lesson=lesson, term=item.term, definition=item.definition) for item in lists.key_terms]
        questions += [
            DiscussionQuestion(lesson=lesson, order=order, question=item.question)
            for order, item in enumerate(lists.questions, 1)
        ]
        interpretations += [
            Interpretation(
                lesson=lesson, order=order, historian=item.historian, work=item.work, argument=item.argument
            )
            for order, item in enumerate(lists.interpretations, 1)
        ]
        lesson_topics += [
            Lesson.topics.through(lesson=lesson, topic=topics.get(item.kind, item.name)) for item in lists.topics
        ]

    Section.objects.bulk_create(section for section, _ in top_level)
    for section, _, parent_index in children:
        section.parent = top_level[parent_index][0]
    Section.objects.bulk_create(section for section, _, _ in children)
    Evidence.objects.bulk_create(
        Evidence(section=section, order=order, title=item.title, date=item.date, source=item.source, url=item.url)
        for section, parsed, *_ in [*top_level, *children]
        for order, item in enumerate(parsed.evidence, 1)
    )
    Reading.objects.bulk_create(readings)
    KeyTerm.objects.bulk_create(key_terms)
    DiscussionQuestion.objects.bulk_create(questions)
    Interpretation.objects.bulk_create(interpretations)
    Lesson.topics.through.objects.bulk_create(lesson_topics)
    return lessons


def _section_row(lesson: Lesson, parsed: ParsedSection, order: int, taken: set[str]) -> Section:
    section = Section(
        lesson=lesson,
        order=order,
        kind=parsed.kind,
        heading=parsed.heading,
        body=parsed.body,
        anchor=free_anchor(parsed.heading, taken),
    )
    taken.add(section.anchor)
    _render(section)
    return section


POSTGRES_ROW_TRIGGERS = [("events_lesson", "events_search_lesson"), ("events_section", "events_search_section")]


@contextmanager
def _indexing_each_lesson_once():
    """
    Within a transaction, have the search index (events/search.py) see the lessons made in it.

    The index's triggers do that by themselves on every database, one row at a time: a section's
    insert indexes its lesson's text again, eight times for a lesson of eight sections. On
    PostgreSQL, where each time means a new tsvector and GIN entries, that was most of the time a
    fill takes (105 s for 10,000 lessons instead of 45, on a busy two-core machine), and on SQLite
    a third of it. So the section trigger is switched off for the transaction (on PostgreSQL, ALTER
    TABLE takes the table's lock until it ends; on SQLite, dropping and making it again is part of
    the transaction), and each new lesson is then indexed once, with the migration's own SQL.
    """
    search = importlib.import_module("events.migrations.0009_search")
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Foreign keys checked at each statement, not at commit: ALTER TABLE refuses to run while checks wait.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            for table, trigger in POSTGRES_ROW_TRIGGERS:
                cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER {trigger}")
        else:
            cursor.execute("DROP TRIGGER events_search_section_insert")
        # Read where no one else adds lessons until the transaction ends (the lock, or SQLite's one writer).
        cursor.execute("SELECT coalesce(max(id), 0) FROM events_lesson")
        (last_id,) = cursor.fetchone()
        yield
        if connection.vendor == "postgresql":
            for table, trigger in POSTGRES_ROW_TRIGGERS:
                cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER {trigger}")
            cursor.execute("SELECT events_search_refresh(id) FROM events_lesson WHERE id > %s", [last_id])
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        else:
            name = "events_search_section_insert"
            cursor.execute(f"CREATE TRIGGER {name} {search.SQLITE_TRIGGERS[name]}")
            sections = search.SQLITE_SECTIONS.format(lesson="events_search.rowid")
            cursor.execute(f"UPDATE events_search SET sections = {sections} WHERE rowid > %s", [last_id])


def fill_database(total: int) -> int:
    """
    Add published generated lessons until the database holds `total` lessons (all of them,
    shipped ones included); return how many were added. Lessons already made are kept, and the
    new ones take the lowest numbers not yet used, so filling to 10 and then to 1,000 adds 990.
    """
    missing = total - Lesson.objects.count()
    if missing <= 0:
        return 0
    used = {
        int(match["number"])
        for slug in Lesson.objects.filter(slug__startswith="generated-lesson-").values_list("slug", flat=True)
        if (match := GENERATED_SLUG.match(slug))
    }
    numbers = []
    number = 1
    while len(numbers) < missing:
        if number not in used:
            numbers.append(number)
        number += 1
    published_at = timezone.now() - datetime.timedelta(hours=1)
    topics = _Topics()
    added: list[int] = []
    for start in range(0, len(numbers), BATCH):
        with transaction.atomic(), _indexing_each_lesson_once():
            lessons = _insert(
                [generated_lesson(n).parsed for n in numbers[start : start + BATCH]], topics, published_at
            )
        added += [lesson.pk for lesson in lessons]
    render_many(added)  # as each lesson's save would have: on every core
    bump_content_version()  # rows made in bulk send no signals
    return len(numbers)


def ensure_admin_lesson() -> Lesson:
    """The published lesson `bench-admin-lesson`, with 30 sections and 10 readings, for the admin's change page."""
    lesson = Lesson.objects.filter(slug=ADMIN_SLUG).first()
    if lesson and lesson.sections.count() == ADMIN_SECTIONS and lesson.readings.count() == ADMIN_READINGS:
        return lesson
    base = generated_lesson(0).parsed
    rng = random.Random(ADMIN_SLUG)
    kinds = [Section.Kind.NARRATIVE] * 9 + [Section.Kind.CAUSE] * 10 + [Section.Kind.IMPACT] * 10
    sections = [_section(rng, kind, f"{kind.label} part {order}", 2) for order, kind in enumerate(kinds, 1)]
    causes, impacts = sections[9], sections[19]  # each panel kind: one panel with nine sub-panels
    causes.subpanels, impacts.subpanels = sections[10:19], sections[20:29]
    fun_fact = ParsedSection(kind=Section.Kind.FUN_FACT, heading="Curious details", body=base.sections[-1].body)
    readings = [
        ParsedReading(
            title=f"Benchmark reading {order} for the admin lesson",
            authors=f"Generated Author {order}",
            publisher="Example Press",
            year=1990,
            url=f"https://example.org/bench/{ADMIN_SLUG}/readings/{order}",
        )
        for order in range(1, ADMIN_READINGS + 1)
    ]
    document = ParsedLesson(
        title="Benchmark admin lesson",
        slug=ADMIN_SLUG,
        event_date=base.event_date,
        date_precision=base.date_precision,
        summary=base.summary,
        sections=[*sections[:9], causes, impacts, fun_fact],
        readings=readings,
        lists=base.lists,
    )
    with transaction.atomic():
        if lesson:
            lesson.delete()
        (lesson,) = _insert([document], _Topics(), timezone.now() - datetime.timedelta(hours=1))
    render_many([lesson.pk])  # as its save would have: else each list showing it renders its card
    bump_content_version()
    return lesson


# The command


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.generator", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    fill = commands.add_parser("fill", help="grow the database to N published lessons")
    fill.add_argument("total", type=int)
    commands.add_parser("admin-lesson", help=f"make the lesson {ADMIN_SLUG} with 30 sections and 10 readings")
    documents = commands.add_parser("documents", help="write N lesson documents into DIR")
    documents.add_argument("folder", type=Path)
    documents.add_argument("count", type=int)
    documents.add_argument("--start", type=int, default=100_000)
    args = parser.parse_args(argv)

    began = time.perf_counter()
    if args.command == "fill":
        added = fill_database(args.total)
        print(f"Added {added} lessons; the database holds {Lesson.objects.count()}.", end="")
    elif args.command == "admin-lesson":
        lesson = ensure_admin_lesson()
        print(f"{lesson.get_absolute_url()}: {lesson.sections.count()} sections.", end="")
    else:
        paths = write_documents(args.folder, args.count, args.start)
        print(f"Wrote {len(paths)} documents into {args.folder}.", end="")
    print(f" ({time.perf_counter() - began:.1f} s)")


if __name__ == "__main__":
    main(sys.argv[1:])
