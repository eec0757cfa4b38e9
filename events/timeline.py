"""The timeline: published lessons by decade, a bounded number to a page.

Where each page and decade starts depends on every published lesson, so it is worked out once per
content version (TimelineOutline, kept by events.cache.derived_from_content); a request reads only the
lessons of its own page, from the date that page starts on.
"""

import datetime
from collections.abc import Iterator
from dataclasses import dataclass
from html import escape  # Django's escape() without its check for lazy strings, which costs more
from itertools import groupby

from django.db import connection
from django.urls import reverse
from django.utils import timezone
from django.utils.dates import MONTHS
from django.utils.safestring import SafeString

from .cache import derived_from_content
from .markdown import first_sentence_of_text
from .models import Lesson, LessonQuerySet

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
    page: int
    page_count: int
    page_years: str
    previous: dict | None
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
        page=number,
        page_count=outline.page_count,
        page_years=labels[number - 1] if labels else "",
        previous={"number": number - 1, "years": labels[number - 2]} if number > 1 else None,
        next={"number": number + 1, "years": labels[number]} if number < outline.page_count else None,
    )


def _page_rows(start: datetime.date, earlier: int, count: int) -> list[tuple]:
    """`count` published lessons in timeline order from the date `start` on, less the first `earlier` of
    them: (slug, title, event_date, date_precision, summary) each. Written out, on the conditions of
    LessonQuerySet.published(), since Django took twice as long to build the query as the database to
    run it; the index lesson_published_by_date finds the start."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT slug, title, event_date, date_precision, summary FROM {Lesson._meta.db_table}
                WHERE status = %s AND published_at <= %s AND event_date >= %s
                ORDER BY event_date, title, id LIMIT %s OFFSET %s""",
            [
                Lesson.Status.PUBLISHED.value,
                connection.ops.adapt_datetimefield_value(timezone.now()),
                connection.ops.adapt_datefield_value(start),
                count,
                earlier,
            ],
        )
        return cursor.fetchall()


def _events_by_decade(rows: list[tuple]) -> Iterator[tuple[int, SafeString]]:
    """Each decade of these rows (from _page_rows) and its <li class="timeline-event"> entries for
    templates/events/timeline.html: each lesson's title linking to its page, its date as precisely as it
    is known, and its summary's first sentence. Written here rather than in the template: fifty entries'
    template variables, with a reverse() and a date format each, cost more than the rest of the page."""
    url_before, _, url_after = reverse("events:lesson", args=["slug"]).rpartition("slug")
    months: dict[int, str] = {}
    for decade, group in groupby(rows, key=lambda row: row[2].year // 10 * 10):
        entries = []
        for slug, title, date, precision, summary in group:
            if date.month not in months:
                months[date.month] = escape(str(MONTHS[date.month]))
            url = f"{url_before}{escape(slug)}{url_after}"
            iso = date.isoformat()[: ISO_LENGTHS[precision]]
            teaser = first_sentence_of_text(summary)
            teaser = f'<p class="timeline-teaser">{escape(teaser)}</p>' if teaser else ""
            entries.append(
                f'\n<li class="timeline-event"><h3><a href="{url}">{escape(title)}</a></h3><p class="event-date">'
                f'<time datetime="{iso}">{date_text(date, precision, months[date.month])}</time></p>{teaser}</li>'
            )
        yield decade, SafeString("".join(entries))


# The precisions as plain strings, as the rows hold them: quicker to compare than the enum's members.
DAY, MONTH, YEAR = Lesson.DatePrecision.DAY.value, Lesson.DatePrecision.MONTH.value, Lesson.DatePrecision.YEAR.value
ISO_LENGTHS = {DAY: 10, MONTH: 7, YEAR: 4}


def date_text(date: datetime.date, precision: str, month: str) -> str:
    """Lesson.event_date_display ("16 July 1960", "July 1960" or "1960") without Django's date formatter,
    which costs more than the rest of an entry; `month` is the month's name."""
    if precision == YEAR:
        return f"{date.year:04d}"
    if precision == MONTH:
        return f"{month} {date.year:04d}"
    return f"{date.day} {month} {date.year:04d}"
