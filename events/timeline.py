"""The timeline: published lessons by decade, a bounded number to a page.

Where each page and decade starts depends on every published lesson, so it is worked out once per
content version (TimelineOutline, kept by events.cache.derived_from_content); a request reads only the
lessons of its own page, from the date that page starts on.
"""

import datetime
from collections.abc import Iterator
from dataclasses import dataclass
from itertools import groupby

from django.db import connection
from django.template.loader import render_to_string
from django.utils.safestring import SafeString, mark_safe

from .cache import derived_from_content
from .models import Lesson, LessonQuerySet
from .rendering import TIMELINE_ENTRY, renderer

# Lessons on the same date are in title order, and lessons with the same title too in a fixed order, so
# that every lesson is on exactly one page.
ORDER = ("event_date", "title", "pk")


class NoSuchPage(Exception):
    pass


@dataclass(frozen=True)
class TimelineOutline:
    """Where the timeline's pages and decades start: the same for every request of a content version."""

    # Where each page starts: the date of its first lesson, and how many lessons of that date come before
    # it (on earlier pages); a page is read from its date on, skipping those.
    page_starts: tuple[tuple[datetime.date, int], ...]
    page_years: tuple[str, ...]  # each page's years: "1957–1961", or "1962" for a page within one year
    decade_pages: dict[int, int]  # each decade and the page it starts on, in date order (read-only)

    @classmethod
    def of(cls, lessons: LessonQuerySet, *, per_page: int) -> "TimelineOutline":
        """The outline of these lessons, from one query that reads their dates only."""
        dates = list(lessons.order_by(*ORDER).values_list("event_date", flat=True))
        starts, years = [], []
        decade_pages: dict[int, int] = {}
        date_starts = 0  # the position of the first lesson on the date at `position`
        for position, date in enumerate(dates):
            if position and date != dates[position - 1]:
                date_starts = position
            if position % per_page == 0:
                starts.append((date, position - date_starts))
                last = dates[min(position + per_page, len(dates)) - 1].year
                years.append(f"{date.year}–{last}" if date.year != last else str(last))
            decade_pages.setdefault(date.year // 10 * 10, position // per_page + 1)
        return cls(page_starts=tuple(starts), page_years=tuple(years), decade_pages=decade_pages)

    @property
    def page_count(self) -> int:
        return max(1, len(self.page_starts))


@dataclass
class TimelinePage:
    decades: list[dict]  # each decade on the page: its start ("1960"), whether it is continued, its events
    decade_links: list[tuple[str, str]]  # each decade ("1960") and its address, on the page where it starts
    paged: bool  # there is more than one page
    page: str  # numbers as text, as in decade_links
    page_count: str
    page_years: str
    previous: dict | None  # the page before: its number and years
    next: dict | None


def timeline_page(page: str, *, per_page: int) -> TimelinePage:
    """One page of the public timeline; NoSuchPage for a page number it does not have."""
    outline = derived_from_content(
        f"timeline-outline-2:{per_page}",
        # published() inside: its time is read after the content version.
        lambda: TimelineOutline.of(Lesson.objects.published(), per_page=per_page),
    )
    if not (page.isdecimal() and 1 <= int(page) <= outline.page_count):
        raise NoSuchPage(page)
    number = int(page)
    start, earlier = outline.page_starts[number - 1] if outline.page_starts else (datetime.date.min, 0)
    labels = outline.page_years
    # Numbers as text: the template would format each number for the language, which costs more.
    return TimelinePage(
        decades=[
            {
                "start": str(decade),
                # .get(): a lesson published since the outline was made has no page in it yet.
                "continued": outline.decade_pages.get(decade, number) < number,
                "events": events,
            }
            for decade, events in _events_by_decade(_page_rows(start, earlier, per_page))
        ],
        decade_links=[
            (str(decade), f"{'' if first == number else f'?page={first}'}#decade-{decade}")
            for decade, first in outline.decade_pages.items()
        ],
        paged=outline.page_count > 1,
        page=str(number),
        page_count=str(outline.page_count),
        page_years=labels[number - 1] if labels else "",
        previous={"number": str(number - 1), "years": labels[number - 2]} if number > 1 else None,
        next={"number": str(number + 1), "years": labels[number]} if number < outline.page_count else None,
    )


def _page_rows(start: datetime.date, earlier: int, count: int) -> list[tuple]:
    """`count` published lessons in timeline order from the date `start` on, less the first `earlier` of
    them: (id, event date as ISO text, stored entry or None) each, the stored entry only if the
    templates of today rendered it. Written out, on the conditions of LessonQuerySet.published(),
    since Django took twice as long to build the query as the database to run it; the index
    lesson_published_by_date finds the start."""
    published, params = Lesson.objects.published_sql()
    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT events_lesson.id, events_lesson.event_date || '',
                    CASE WHEN stored.renderer = %s THEN stored.timeline_entry END
                FROM events_lesson LEFT JOIN events_lessonrendering stored ON stored.lesson_id = events_lesson.id
                WHERE {published} AND event_date >= %s
                ORDER BY event_date, title, events_lesson.id LIMIT %s OFFSET %s""",
            [renderer(), *params, connection.ops.adapt_datefield_value(start), count, earlier],
        )
        return cursor.fetchall()


def _events_by_decade(rows: list[tuple]) -> Iterator[tuple[int, SafeString]]:
    """Each decade of these rows (from _page_rows) and its events: each lesson's entry as rendered when
    it was saved (events/rendering.py), or rendered now if other templates rendered it."""
    outdated = Lesson.objects.in_bulk([pk for pk, _, entry in rows if entry is None])
    for decade, group in groupby(rows, key=lambda row: int(row[1][:4]) // 10 * 10):
        entries = [
            entry if entry is not None else render_to_string(TIMELINE_ENTRY, {"lesson": outdated[pk]})
            for pk, _, entry in group
        ]
        yield decade, mark_safe("".join(entries))  # noqa: S308 (rendered by our template)
