"""Finding lessons: full-text search over published lessons, ranked, with topic filters.

find_lessons() is the one public function; the index page calls it.

The index. Each lesson has one row in the table events_search holding its title, its key
event (summary) and the text of all its sections (heading, then Markdown body), so that the
words of a search may be found in different parts of one lesson. On SQLite the table is an FTS5
virtual table (Porter stemming); on PostgreSQL an ordinary table whose generated, stored
tsvector (English stemming; title weighted A, key event B, sections C) has a GIN index.
Migration 0009 creates it and fills it; migration 0012 adds, on PostgreSQL, vectors of the title
alone and of the title with the key event, each with a GIN index of its own, and migration 0014,
on SQLite, an FTS5 table of the titles alone, events_search_title (see Many matches).

Keeping it correct. Database triggers on events_lesson and events_section, created by the same
migration, write a lesson's row whenever the lesson or one of its sections is inserted, changed
or deleted. We chose triggers over signals because the database sees every write: admin
inlines (sections deleted there too), the importer, reversion restores, QuerySet.update(),
bulk_create(), cascades and raw SQL alike, from the site or a management command, without any
code having to be imported first. Whether a lesson is published is not indexed: every search
joins the index to Lesson.objects.published(), so publishing, unpublishing and publish times
take effect at once. One caveat, on SQLite only: Django makes some schema changes by rebuilding
a table, which drops its triggers; migration 0009 says what such a migration must do, and
tests/test_search.py fails if a trigger is missing.

Reading a search. Whatever a student types is taken as plain words (letters and digits), so
quotes, operators, `*`, NEAR or brackets mean nothing and cannot make the query invalid.
Every word must be found, as a word or the start of one ("khrush" finds Khrushchev), which
suits searching as one types and makes a shorter word find more.

Many matches. Matches are counted only up to MAX_FOUND + 1, and up to MAX_FOUND they are ranked
(bm25 on SQLite, ts_rank on PostgreSQL). A word in more lessons than that (a common word in a
large library) offers MAX_FOUND of them and says there are more: those with every word in the
title, then in the title and key event, then anywhere, each group by date. Ranking them all costs
more than the rest of the page: FTS5's bm25() weighs each word by reading all of its matches, and
ts_rank() reads each match's whole document. The title and key event are searched first; on
SQLite, for the words as whole words, which FTS5 reads only as far as it needs to (a word's start
makes it gather all its matches first), so that a word in the key events of more than MAX_FOUND
lessons is found without searching all their text.

Marking. The database marks matched words with two private-use characters; the text is then
HTML-escaped and only those characters become <mark> tags. Only the page's lessons are marked,
and the part of the sections to show is looked for only for the lessons whose key event holds
none of the words (their sections are read only then): in their text, where a word starts as typed
(the database's snippet function reads and splits a lesson's whole text), and by the database only
for a word there in another form.

The index without words, and the topics to filter by, are read with what is kept per content
version (events.cache.derived_from_content): the count of published lessons, where each page
starts (so that a page is read from its first lesson, not after skipping every lesson before it)
and the topics that published lessons have.
"""

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cached_property, lru_cache
from html import escape  # as Django's templates escape, without the check for lazy text
from itertools import chain
from typing import NamedTuple
from urllib.parse import urlencode

from django.core.paginator import Page, Paginator
from django.db import connection
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.utils.safestring import SafeString

from .cache import derived_from_content
from .models import Lesson, Topic
from .rendering import CARD, filled_card, renderer

PER_PAGE = 10
# A search that matches more lessons than this shows this many, best first, and says there are
# more: ranking and counting every match of a common word costs as much as the rest of the page.
MAX_FOUND = 200
MAX_QUERY_LENGTH = 100  # characters kept of what was typed
MAX_WORDS = 10

_WORD = re.compile(r"[^\W_]+")
_START, _END = "\ue000", "\ue001"  # unlikely in lesson text; anything else is escaped
_MARKED = re.compile(f"{_START}([^{_START}{_END}]*){_END}")
_MARKED_WORD = rf"{_START}\g<0>{_END}"  # a word found, as the database marks it

# What Markdown leaves in a snippet of a section's source: [links](…), even cut short, and the
# marks of lists, emphasis and code. Matched words inside a link's address go with it.
_MARKDOWN_LINK = re.compile(r"\[([^\]]*)\](?:\([^)\s]*\)?)?")
_LIST_MARK = r"(?:[-+>]|\d+[.)])"  # a list's item or a quote
_MARKDOWN_LIST_MARKS = re.compile(rf"^\s*{_LIST_MARK}\s+", re.MULTILINE)
# In a part cut out of a lesson's text, only after a line break or a section's heading (the search
# index joins them with " — "), not at its start, which may be inside a line ("1960. ").
_MARKDOWN_LIST_MARKS_INSIDE = re.compile(rf"(\n|— )[ \t]*{_LIST_MARK}[ \t]+")
_MARKDOWN_UNDERSCORES = re.compile(r"(?<!\w)_+|_+(?!\w)")  # not those inside a word (snake_case)


@dataclass(frozen=True)
class TopicOption:
    topic: Topic
    selected: bool


@dataclass(frozen=True)
class TopicFilter:
    """The topics of one kind that published lessons have, e.g. every region."""

    kind: str  # also the name of the URL parameter: ?region=asia
    label: str
    options: list[TopicOption]


@dataclass(frozen=True)
class Found:
    """A page of lessons found, and what the search form needs to show how they were found."""

    text: str  # the search as typed, shortened to MAX_QUERY_LENGTH
    searching: bool  # the text holds words to find
    page: Page  # of ListedLessons: their cards show the matched words marked
    more: bool = False  # more lessons match than the page's paginator counts (MAX_FOUND)
    # Made by find_lessons() when topics are chosen, to know which; otherwise only for a page that
    # shows the filters (while no topic is chosen, the index keeps their HTML).
    chosen_filters: list[TopicFilter] | None = None

    @cached_property
    def filters(self) -> list[TopicFilter]:
        """Every kind of topic with the topics that published lessons have, those chosen selected."""
        return self.chosen_filters if self.chosen_filters is not None else _topic_filters(chosen=set())

    @cached_property
    def chosen(self) -> list[list[Topic]]:
        return _chosen(self.chosen_filters or [])

    @property
    def filtered(self) -> bool:
        return bool(self.chosen)

    @property
    def cards(self) -> SafeString:
        """The page's lessons, each as its card."""
        return SafeString("".join(lesson.card for lesson in self.page.object_list))

    @property
    def previous_page_address(self) -> str | None:
        return self.page_address(self.page.number - 1) if self.page.has_previous() else None

    @property
    def next_page_address(self) -> str | None:
        return self.page_address(self.page.number + 1) if self.page.has_next() else None

    def page_address(self, number: int) -> str:
        """The query string of another page of these lessons: the same words and topics, and nothing
        else of the address this page was asked for."""
        query = [("q", self.text)] if self.text else []
        query += [(topic.kind, topic.slug) for topics in self.chosen for topic in topics]
        return f"?{urlencode([*query, ('page', number)])}"


def find_lessons(text: str = "", *, topics: Iterable[str] = (), page: int | str | None = 1) -> Found:
    """Published lessons holding every word of `text`, best match first; without words, all of
    them by event date. `topics` are slugs: a lesson must have one of those chosen of each kind.
    An unknown or out-of-range `page` gives the first or the last page."""
    text = text.strip()[:MAX_QUERY_LENGTH]
    words = _WORD.findall(text.lower())[:MAX_WORDS]
    chosen_filters = _topic_filters(chosen=set(topics)) if topics else None
    chosen = _chosen(chosen_filters or [])
    if not words and not chosen:
        # Every published lesson: the page starts are kept, and the conditions need no queryset built.
        pages = derived_from_content(f"index-pages:{PER_PAGE}", _published_by_date_pages)
        found = _ByDate(Lesson.objects.published_sql(), pages=pages)
    else:
        lessons = Lesson.objects.published()
        for topics_of_a_kind in chosen:
            in_topics = Lesson.topics.through.objects.filter(topic__in=topics_of_a_kind).values("lesson_id")
            lessons = lessons.filter(pk__in=in_topics)
        found = _Matches(lessons, words) if words else _ByDate(_conditions(lessons))
    return Found(
        text=text,
        searching=bool(words),
        page=Paginator(found, PER_PAGE).get_page(page),
        more=getattr(found, "more", False),
        chosen_filters=chosen_filters,
    )


def _topic_filters(*, chosen: set[str]) -> list[TopicFilter]:
    """Every kind of topic with the topics that published lessons have; none for a kind without any."""
    topics = derived_from_content("topics", _published_topics)
    filters = []
    for kind in Topic.Kind:
        options = [TopicOption(topic, topic.slug in chosen) for topic in topics if topic.kind == kind]
        if options:
            filters.append(TopicFilter(kind=kind.value, label=kind.label, options=options))
    return filters


def _chosen(filters: list[TopicFilter]) -> list[list[Topic]]:
    """The chosen topics of each kind that has some."""
    by_kind = ([option.topic for option in topic_filter.options if option.selected] for topic_filter in filters)
    return [topics for topics in by_kind if topics]


def _published_topics() -> list[Topic]:
    # From each topic to its first published lesson, whatever the number of lessons: the lesson is
    # looked up by key for each of the topic's links until one is published. Written out, since
    # Django takes longer to build the nested subqueries than the database takes to run them.
    published, params = _conditions(Lesson.objects.published())
    sql = f"""
        SELECT * FROM events_topic WHERE EXISTS (
            SELECT 1 FROM events_lesson_topics WHERE events_lesson_topics.topic_id = events_topic.id AND EXISTS (
                SELECT 1 FROM events_lesson WHERE events_lesson.id = events_lesson_topics.lesson_id AND {published}
            )
        )
        ORDER BY kind, name"""
    return list(Topic.objects.raw(sql, params))


# Date order, with the key last so that each lesson has one place and a page can start at any lesson.
_BY_DATE = ("event_date", "title", "id")


def _published_by_date_pages() -> tuple[int, list[tuple]]:
    return _pages_by_date(Lesson.objects.published_sql())


def _pages_by_date(conditions: tuple[str, list]) -> tuple[int, list[tuple]]:
    """How many lessons meet the conditions (SQL on events_lesson, and its parameters), and the
    (event_date, title, id) of each page's first lesson."""
    lessons_sql, params = conditions
    sql = f"""
        SELECT total, event_date, title, id FROM (
            SELECT row_number() OVER (ORDER BY event_date, title, id) AS position, count(*) OVER () AS total,
                event_date, title, id
            FROM events_lesson WHERE {lessons_sql}
        ) AS numbered
        WHERE position %% %s = 1 %% %s
        ORDER BY position"""
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, PER_PAGE, PER_PAGE])
        rows = cursor.fetchall()
    return (rows[0][0] if rows else 0), [row[1:] for row in rows]


class _ByDate:
    """Lessons by event date, read one page at a time (for Paginator): a page is read from where it
    starts in the index of published lessons by date, whichever page it is, instead of skipping
    over every lesson before it."""

    def __init__(self, conditions: tuple[str, list], *, pages: tuple[int, list[tuple]] | None = None):
        self.conditions = conditions  # SQL on events_lesson, and its parameters
        self.total, self.starts = pages if pages is not None else _pages_by_date(conditions)

    def count(self) -> int:
        return self.total

    def __getitem__(self, page: slice) -> list:
        if page.start >= self.total:
            return []  # the first page when there is none
        lessons_sql, params = self.conditions
        # Written out: Django takes longer to build this query than the database takes to run it.
        # Joined to the stored cards rather than reading each with a subquery as a search does: half
        # the time on SQLite (160 against 300 µs for 50 lessons).
        sql = f"""
            SELECT events_lesson.id, events_lesson.slug, events_lesson.title, stored.card
            FROM events_lesson LEFT JOIN events_lessonrendering stored
                ON stored.lesson_id = events_lesson.id AND stored.renderer = %s
            WHERE {lessons_sql} AND event_date >= %s AND (event_date, title, events_lesson.id) >= (%s, %s, %s)
            ORDER BY event_date, title, events_lesson.id LIMIT %s"""
        event_date, title, pk = self.starts[page.start // PER_PAGE]
        with connection.cursor() as cursor:
            cursor.execute(sql, [renderer(), *params, event_date, event_date, title, pk, page.stop - page.start])
            rows = cursor.fetchall()
        return _listed([(*row, None, None) for row in rows])


# Each lesson's card, rendered when it was saved (events/rendering.py), unless other templates
# rendered it (after an upgrade): that lesson's card is then rendered on the page.
_STORED_CARD = """(SELECT card FROM events_lessonrendering
    WHERE events_lessonrendering.lesson_id = events_lesson.id AND renderer = %s) AS card"""


class ListedLesson(NamedTuple):
    """A lesson in the list: its card, rendered when it was saved, with its title and text filled in."""

    pk: int
    slug: str
    title: str
    card: SafeString


def _listed(rows: list[tuple]) -> list[ListedLesson]:
    """Each lesson of rows (id, slug, title, stored card or None, title HTML, text HTML) with its card:
    the stored one with the title and text HTML in it, or with the lesson's own where they are None;
    where the stored card is outdated, one rendered now."""
    outdated = Lesson.objects.in_bulk([pk for pk, _, _, card, _, _ in rows if card is None])
    listed = []
    for pk, slug, title, card, title_html, text_html in rows:
        if card is None:
            lesson = outdated[pk]
            lesson.title_html, lesson.snippet_html = title_html, text_html
            card = render_to_string(CARD, {"lesson": lesson})
        elif title_html is None:
            card = SafeString(card)  # with the lesson's own title and key event
        else:
            card = filled_card(card, title_html, text_html)
        listed.append(ListedLesson(pk, slug, title, card))
    return listed


def _conditions(lessons: QuerySet) -> tuple[str, list]:
    """The WHERE conditions of a queryset of lessons, as SQL on the table events_lesson, and their
    parameters: what makes a lesson one of them, written once in LessonQuerySet."""
    return lessons.query.get_compiler(connection=connection).compile(lessons.query.where)


def _fts5_query(words: list[str]) -> str:
    # A word in double quotes is an FTS5 string, never an operator; * makes it a prefix.
    return " ".join(f'"{word}"*' for word in words)


def _fts5_first(words: list[str]) -> list[tuple[str, str]]:
    every_word = _fts5_whole_words(words)
    # The titles have a table of their own (migration 0014): in events_search, FTS5 would find a word in
    # the title by reading its matches in every column.
    return [(every_word, "events_search_title"), (f"{{title summary}} : ({every_word})", "events_search")]


def _fts5_whole_words(words: list[str]) -> str:
    # As whole words: FTS5 reads a word's matches one at a time and stops at the LIMIT, where the
    # start of a word (`*`) makes it gather every match of every word it starts first (0.1 against
    # 0.6 ms for a word in 10,000 lessons).
    return " ".join(f'"{word}"' for word in words)


def _tsquery_first(words: list[str]) -> list[tuple[str, str]]:
    every_word = _tsquery(words)
    return [(every_word, "title_document"), (every_word, "heading_document")]


def _tsquery(words: list[str]) -> str:
    # A word in single quotes is a to_tsquery lexeme, never an operator; :* makes it a prefix.
    return " & ".join(f"'{word}':*" for word in words)


@dataclass(frozen=True)
class _Dialect:
    query: Callable[[list[str]], str]  # the words in the database's query language
    # What is offered first when many match: every word in the title, then in the title and key event,
    # each as a query and the document it is run on ({document} in `matches`).
    first: Callable[[list[str]], list[tuple[str, str]]]
    # The words as `first` looks for them, over the whole lesson: to mark the lessons it offered.
    first_marks: Callable[[list[str]], str]
    matches: str  # FROM and WHERE, with {lessons} for the conditions on the lessons that may be found
    document: str  # the {document} of `matches` that holds the whole lesson
    marked: str  # the title and the key event with the words marked
    snippet: str  # the part of the sections with the words, marked
    snippet_params: Callable[[list[str]], list]  # the parameters of `snippet`, from the words
    sections: str  # the id and sections of each lesson of a list of ids ({ids} placeholders)
    rank: str  # lower for a better match
    among: str  # a condition on the matches: only the lessons of the given ids (a list of {ids} placeholders)


_SNIPPET_WORDS = 30
_HEADLINE = f'StartSel="{_START}", StopSel="{_END}"'
# ts_headline() parses all the text it is given: of a lesson's sections, only the part around where
# the first word starts a word as typed, if it does (else, a form of it such as "treaty" for
# "treaties", the whole text).
_NEAR_FIRST_WORD = """CASE WHEN strpos(lower(events_search.sections), %s) > 0
    THEN substr(events_search.sections, greatest(1, strpos(lower(events_search.sections), %s) - 400), 1000)
    ELSE events_search.sections END"""

_DIALECTS = {
    "sqlite": _Dialect(
        query=_fts5_query,
        first=_fts5_first,
        first_marks=_fts5_whole_words,
        matches="""
            FROM {document} CROSS JOIN events_lesson ON events_lesson.id = {document}.rowid
            WHERE {document} MATCH %s AND {lessons}""",
        document="events_search",
        marked=f"""
            highlight(events_search, 0, '{_START}', '{_END}'), highlight(events_search, 1, '{_START}', '{_END}')""",
        snippet=f"snippet(events_search, 2, '{_START}', '{_END}', '', {_SNIPPET_WORDS})",
        snippet_params=lambda words: [],
        sections="SELECT rowid, sections FROM events_search WHERE rowid IN ({ids})",
        # bm25() is lower for a better match; a word in the title counts most.
        rank="bm25(events_search, 10.0, 4.0, 1.0)",
        # The range lets the search index skip to the lessons; `+` keeps the list from being read as
        # one look-up per lesson, each of which would run the whole search again.
        among="events_search.rowid BETWEEN %s AND %s AND +events_search.rowid IN ({ids})",
    ),
    "postgresql": _Dialect(
        query=_tsquery,
        first=_tsquery_first,
        first_marks=_tsquery,
        matches="""
            FROM events_search JOIN events_lesson ON events_lesson.id = events_search.lesson_id
            CROSS JOIN to_tsquery('english', %s) AS query
            WHERE events_search.{document} @@ query AND {lessons}""",
        document="document",
        marked=f"""
            ts_headline('english', events_search.title, query, 'HighlightAll=true, {_HEADLINE}'),
            ts_headline('english', events_search.summary, query, 'HighlightAll=true, {_HEADLINE}')""",
        snippet=f"""ts_headline('english', {_NEAR_FIRST_WORD}, query,
            'MaxWords={_SNIPPET_WORDS}, MinWords=15, {_HEADLINE}')""",
        # The first word where it starts a word in the sections, twice (see _NEAR_FIRST_WORD).
        snippet_params=lambda words: [f" {words[0]}"] * 2,
        sections="SELECT lesson_id, sections FROM events_search WHERE lesson_id IN ({ids})",
        rank="-ts_rank(events_search.document, query)",
        among="events_search.lesson_id BETWEEN %s AND %s AND events_search.lesson_id IN ({ids})",
    ),
}


class _Matches:
    """The lessons holding every word, best first, read one page at a time (for Paginator).

    When more than MAX_FOUND lessons match, MAX_FOUND are offered and `more` says so: first those
    with every word in the title, then in the title and key event, then the others, each group by
    date. Ranking every match of a common word would cost more than the rest of the page, so they
    are chosen among the first MAX_FOUND of each group."""

    def __init__(self, lessons: QuerySet, words: list[str]):
        self.dialect = _DIALECTS[connection.vendor]
        self.words = words
        # The lessons' conditions apply to the row joined to each match. On SQLite, CROSS JOIN keeps the
        # search index as the outer loop: without statistics, SQLite would rather walk every published
        # lesson and look each one up in the index.
        self.lessons_sql, self.lessons_params = _conditions(lessons)
        self.matches = self._matches(self.dialect.document)
        self.params = [self.dialect.query(words), *self.lessons_params]
        self.more = False
        self.total = 0  # when there are not more: how many were found
        self.offered: list[int] = []  # when there are more: the ids of the lessons offered, in order

    def count(self) -> int:
        # Found no further than one more than can be offered, and in the title and key event first:
        # when they alone hold more, the rest of the lessons' text need not be searched.
        (title_query, title_document), (heading_query, heading_document) = self.dialect.first(self.words)
        in_heading = self._found(heading_query, self._matches(heading_document), MAX_FOUND + 1)
        found = in_heading
        if len(in_heading) > MAX_FOUND:
            # Only lessons with the words in the title or key event are offered: mark them as found.
            self.params = [self.dialect.first_marks(self.words), *self.lessons_params]
        else:
            found = self._found(self.dialect.query(self.words), self.matches, MAX_FOUND + 1)
        self.more = len(found) > MAX_FOUND
        if not self.more:
            self.total = len(found)
            return self.total
        in_title = self._found(title_query, self._matches(title_document), MAX_FOUND)
        groups = (in_title, in_heading) if found is in_heading else (in_title, in_heading, found)
        offered = dict.fromkeys(chain.from_iterable(groups))
        self.offered = list(offered)[:MAX_FOUND]
        return len(self.offered)

    def __getitem__(self, page: slice) -> list[ListedLesson]:
        if self.more:
            return self._marked_in_order(self.offered[page])
        # The page's lessons are chosen first, by rank alone; only they are then marked, which costs
        # far more than ranking (the database would otherwise mark every match before sorting).
        best_first = f"{self.dialect.rank}, events_lesson.event_date, events_lesson.title"
        if page.start == 0 and self.total <= page.stop:  # all of them on this page
            sql = f"{self._marked_columns()} {self.matches} ORDER BY {best_first}"
            return _listed(self._marked_rows(sql, self.params))
        sql = f"""
            {self._marked_columns()}
            {self.matches} AND events_lesson.id IN (
                SELECT events_lesson.id {self.matches} ORDER BY {best_first} LIMIT %s OFFSET %s
            )
            ORDER BY {best_first}"""
        return _listed(self._marked_rows(sql, [*self.params, *self.params, page.stop - page.start, page.start]))

    def _marked_columns(self) -> str:
        """Each lesson's id, slug, title and stored card, and its title and key event with the words marked."""
        columns = "events_lesson.id, events_lesson.slug, events_lesson.title"
        return f"SELECT {columns}, {_STORED_CARD}, {self.dialect.marked}"

    def _marked_rows(self, sql: str, params: list) -> list[tuple]:
        """The rows of `sql` (which starts with _marked_columns()) for _listed(): the title and text as
        HTML with the words marked, the text being the key event if the words are in it, else the part
        of the sections where they are (looked for only then)."""
        with connection.cursor() as cursor:
            cursor.execute(sql, [renderer(), *params])
            rows = cursor.fetchall()
        # id, title_marked and summary_marked are row[0], row[4] and row[5].
        snippets = self._snippets([(row[0], _START in row[4]) for row in rows if _START not in row[5]])
        return [(*row[:4], *_marked(row[4], row[5], snippets.get(row[0], ""))) for row in rows]

    def _snippets(self, lessons: list[tuple[int, bool]]) -> dict[int, str]:
        """The part of each lesson's sections where the words are, marked, for each (id, whether its title
        holds a word). Found in the text where a word starts as typed, which costs a tenth of the
        database's snippet (FTS5's reads and splits the whole text); by the database only where the
        words are in neither the title nor the key event, so in the sections in another form ("treaties")."""
        if not lessons:
            return {}
        ids = [pk for pk, _ in lessons]
        with connection.cursor() as cursor:
            cursor.execute(self.dialect.sections.format(ids=", ".join(["%s"] * len(ids))), ids)
            texts = cursor.fetchall()
        near = {pk: _near_words(text, self.words) for pk, text in texts}
        snippets = {pk: snippet for pk, snippet in near.items() if snippet is not None}
        elsewhere = [pk for pk, in_title in lessons if pk not in snippets and not in_title]
        if elsewhere:
            sql = f"SELECT events_lesson.id, {self.dialect.snippet} {self.matches} AND {self._among(elsewhere)}"
            params = [*self.dialect.snippet_params(self.words), *self.params, min(elsewhere), max(elsewhere)]
            with connection.cursor() as cursor:
                cursor.execute(sql, [*params, *elsewhere])
                snippets.update(cursor.fetchall())
        return snippets

    def _among(self, ids: list[int]) -> str:
        return self.dialect.among.format(ids=", ".join(["%s"] * len(ids)))

    def _matches(self, document: str) -> str:
        return self.dialect.matches.format(lessons=self.lessons_sql, document=document)

    def _found(self, query: str, matches: str, limit: int) -> list[int]:
        """The ids of the first `limit` lessons found, by date (then title): sorted by the database,
        which for 200 lessons costs a fraction of reading their dates and titles to sort them here.
        MATERIALIZED: as a subquery, SQLite read every match of a common word (5 ms against 0.16)."""
        with connection.cursor() as cursor:
            cursor.execute(
                f"""WITH found AS MATERIALIZED (
                    SELECT events_lesson.event_date, events_lesson.title, events_lesson.id {matches} LIMIT %s
                ) SELECT id FROM found ORDER BY event_date, title, id""",
                [query, *self.lessons_params, limit],
            )
            return [pk for (pk,) in cursor.fetchall()]

    def _marked_in_order(self, ids: list[int]) -> list[ListedLesson]:
        if not ids:
            return []
        sql = f"{self._marked_columns()} {self.matches} AND {self._among(ids)}"
        rows = {row[0]: row for row in self._marked_rows(sql, [*self.params, min(ids), max(ids), *ids])}
        return _listed([rows[pk] for pk in ids if pk in rows])


def _near_words(text: str, words: list[str]) -> str | None:
    """About _SNIPPET_WORDS words of text around the first place where a word starts with one of the
    words, each such word marked as the database marks them; None if there is none."""
    found, forms = _finders(tuple(words))
    start = -1
    for form in forms:  # each looked for only before the first place found so far
        at = _word_start(text, form, len(text) if start < 0 else start + len(form))
        if at >= 0 and (start < 0 or at < start):
            start = at
    if start < 0:
        first = found.search(text)
        start = first.start() if first else -1
    if start < 0:
        return None
    while start and not text[start - 1].isspace():  # from the start of the word it is in ("(Treaty")
        start -= 1
    # A third of the words before it and the rest after, from as much text as they can take up (from 8
    # characters a word first, as most words are short), split no further than the words taken; before
    # it, not the first if it may have been cut. The lines' list marks go first: once the words are
    # joined, they are no longer at the start of a line.
    words_before = _SNIPPET_WORDS // 3
    for reach in (8 * words_before, 12 * _SNIPPET_WORDS):
        before = _without_list_marks(text[max(0, start - reach) : start]).rsplit(None, words_before)
        if len(before) > words_before or start <= reach:
            break
    if len(before) > words_before or start > reach:
        before = before[1:]
    words_after = _SNIPPET_WORDS - len(before)
    for reach in (8 * words_after, 24 * _SNIPPET_WORDS):
        after = _without_list_marks(text[start : start + reach]).split(None, words_after)
        if len(after) > words_after:
            break
    after = after[:words_after]
    return found.sub(_MARKED_WORD, " ".join(before + after))


@lru_cache(maxsize=256)  # bounded: the words come from anyone
def _finders(words: tuple[str, ...]) -> tuple[re.Pattern, list[str]]:
    """The pattern of a word that starts with one of the words, and the forms of the words that
    str.find() looks for first: in lower case, capitalised or in capitals, it finds them in a tenth
    of the pattern's time on a long text; anywhere else ("McCarthy" for "mccarthy"), the pattern does.
    Made once for each search's words."""
    found = re.compile(r"\b(?:" + "|".join(map(re.escape, words)) + r")\w*", re.IGNORECASE)
    forms = [form for word in words for form in dict.fromkeys((word, word.capitalize(), word.upper()))]
    return found, forms


def _without_list_marks(part: str) -> str:
    return _MARKDOWN_LIST_MARKS_INSIDE.sub(r"\1", part)


def _word_start(text: str, word: str, end: int) -> int:
    """Where a word first starts with `word` in text[:end], or -1."""
    at = text.find(word, 0, end)
    while at > 0 and text[at - 1].isalnum():
        at = text.find(word, at + 1, end)
    return at


def _marked(title: str, summary: str, sections: str) -> tuple[SafeString, SafeString]:
    """A found lesson's title and text as HTML, from the database's marks: the key event if the words
    are in it, else the part of its sections where they are, else the key event unmarked."""
    if _START in summary or _START not in sections:
        return _mark(title), _mark(summary)
    return _mark(title), _mark(f"… {_plain(sections)} …")


def _plain(markdown: str) -> str:
    # One pattern for all the marks took four times as long: it tries each mark at every character.
    text = _MARKDOWN_LINK.sub(r"\1", markdown) if "[" in markdown else markdown
    text = _MARKDOWN_LIST_MARKS.sub(" ", text).replace("*", " ").replace("`", " ")
    if "_" in text:
        text = _MARKDOWN_UNDERSCORES.sub(" ", text)
    return " ".join(text.split())


def _mark(text: str) -> SafeString:
    html = _MARKED.sub(r"<mark>\1</mark>", escape(text))
    return SafeString(html.replace(_START, "").replace(_END, ""))  # the text was escaped above
