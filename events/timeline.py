"""The timeline: published lessons by decade, a bounded number to a page."""

from dataclasses import dataclass
from itertools import groupby
from math import ceil

from django.utils.html import escape

from .markdown import first_sentence
from .models import Lesson, LessonQuerySet


class NoSuchPage(Exception):
    pass


@dataclass
class TimelinePage:
    decades: list[dict]
    decade_pages: dict[int, int]  # each decade and the page it starts on
    page: int
    page_count: int
    page_years: str
    previous: dict | None
    next: dict | None


def timeline_page(lessons: LessonQuerySet, page: str, *, per_page: int) -> TimelinePage:
    """One page of the timeline; NoSuchPage for a page number it does not have."""
    # How many lessons each year has: enough to place every decade and page without counting
    # or loading the lessons of other pages.
    years = list(lessons.count_by_year())
    page_count = max(1, ceil(sum(count for _, count in years) / per_page))
    if not (page.isdecimal() and 1 <= int(page) <= page_count):
        raise NoSuchPage(page)
    number = int(page)
    decade_pages: dict[int, int] = {}
    spans: list[list[int]] = []  # each page's first and last year
    position = 0
    for year, count in years:
        decade_pages.setdefault(year // 10 * 10, position // per_page + 1)
        for index in range(position // per_page, (position + count - 1) // per_page + 1):
            if index == len(spans):
                spans.append([year, year])
            spans[index][1] = year
        position += count
    labels = [f"{first}–{last}" if first != last else str(first) for first, last in spans]
    shown = lessons.for_index()[(number - 1) * per_page : number * per_page]
    decades = [
        {
            "start": decade,
            # .get(): a lesson published since the count above has no page yet.
            "continued": decade_pages.get(decade, number) < number,
            "lessons": [(lesson, first_sentence(escape(lesson.summary))) for lesson in group],
        }
        for decade, group in groupby(shown, key=_decade)
    ]
    return TimelinePage(
        decades=decades,
        decade_pages=decade_pages,
        page=number,
        page_count=page_count,
        page_years=labels[number - 1] if labels else "",
        previous={"number": number - 1, "years": labels[number - 2]} if number > 1 else None,
        next={"number": number + 1, "years": labels[number]} if number < page_count else None,
    )


def _decade(lesson: Lesson) -> int:
    return lesson.event_date.year // 10 * 10
