import datetime
import re
import uuid

import pytest
from django.utils import timezone

from events.models import Lesson
from events.rendering import render_many

from .conftest import text_of

pytestmark = pytest.mark.django_db

URL = "/timeline/"


@pytest.fixture
def add(make_lesson):
    """A published lesson without panels or readings, on the given date."""

    def add(slug: str, event_date: str, precision: str = Lesson.DatePrecision.DAY, **fields) -> Lesson:
        return make_lesson(slug, event_date=event_date, date_precision=precision, panels=0, readings=0, **fields)

    return add


def add_many(count: int, *, first_year: int = 1900) -> None:
    """`count` published lessons, one a year from `first_year`, in one query, rendered as their saves
    would have rendered them."""
    now = timezone.now()
    lessons = Lesson.objects.bulk_create(
        Lesson(
            slug=f"event-{number}",
            title=f"Event {number}",
            event_date=datetime.date(first_year + number, 1, 1),
            summary=f"Event {number} happened.",
            status=Lesson.Status.PUBLISHED,
            published_at=now,
        )
        for number in range(count)
    )
    render_many([lesson.pk for lesson in lessons])


def headings(html: str) -> list[str]:
    """Each heading as its level and text, e.g. "h2 1960s"."""
    return [
        f"h{level} {re.sub(r'<[^>]+>', '', text).strip()}"
        for level, text in re.findall(r"<h([1-6])[^>]*>(.*?)</h\1>", html, re.DOTALL)
    ]


def decade_of(html: str, decade: int) -> str:
    """The markup of one decade's list item."""
    start = html.index(f'<li class="timeline-decade" id="decade-{decade}">')
    return html[start : html.index("</ol>", start)]


# What the timeline shows


def test_timeline_lists_published_lessons_in_date_order_with_each_date_at_its_precision(client, add):
    add("wall", "1989-11-09", title="Fall of the Berlin Wall")
    add("war", "1914-01-01", Lesson.DatePrecision.YEAR, title="Outbreak of the First World War")
    add("recall", "1960-07-16", title="USSR's Withdrawal from China")
    add("sputnik", "1957-10-01", Lesson.DatePrecision.MONTH, title="Sputnik")

    response = client.get(URL)

    html = text_of(response)
    assert response.status_code == 200
    assert [html.index(title) for title in ("First World War", "Sputnik", "Withdrawal", "Berlin Wall")] == sorted(
        html.index(title) for title in ("First World War", "Sputnik", "Withdrawal", "Berlin Wall")
    )
    assert '<time datetime="1914">1914</time>' in html
    assert '<time datetime="1957-10">October 1957</time>' in html
    assert '<time datetime="1960-07-16">16 July 1960</time>' in html
    assert '<time datetime="1989-11-09">9 November 1989</time>' in html


def test_lessons_on_the_same_date_are_in_title_order(client, add):
    add("second", "1960-07-16", title="Zhou Enlai replies")
    add("first", "1960-07-16", title="A recall of experts")

    html = text_of(client.get(URL))

    assert html.index("A recall of experts") < html.index("Zhou Enlai replies")


def test_timeline_groups_lessons_by_decade_in_ordered_lists_with_headings_in_order(client, add):
    add("sputnik", "1957-10-04", title="Sputnik")
    add("recall", "1960-07-16", title="Recall")
    add("wall", "1961-08-13", title="Wall")
    add("crisis", "1962-10-16", title="Crisis")

    html = text_of(client.get(URL))

    assert headings(html) == ["h1 Timeline", "h2 1950s", "h3 Sputnik", "h2 1960s", "h3 Recall", "h3 Wall", "h3 Crisis"]
    assert '<ol class="timeline">' in html
    assert decade_of(html, 1950).count('<li class="timeline-event">') == 1
    assert decade_of(html, 1960).count('<li class="timeline-event">') == 3
    assert '<ol class="timeline-events">' in decade_of(html, 1960)


def test_each_entry_links_to_its_lesson_and_shows_the_first_sentence_of_its_summary(client, add):
    add("recall", "1960-07-16", title="Recall", summary="Moscow recalled its experts. China was left alone.")

    html = text_of(client.get(URL))

    assert '<h3><a href="/lessons/recall/">Recall</a></h3>' in html
    assert '<p class="timeline-teaser">Moscow recalled its experts.</p>' in html
    assert "China was left alone" not in html


def test_summary_text_is_escaped(client, add):
    add("unsafe", "1960-07-16", summary="<script>alert(1)</script> & more.")

    html = text_of(client.get(URL))

    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more." in html


def test_drafts_lessons_in_review_and_scheduled_lessons_are_left_out(client, add):
    add("public", "1960-07-16", title="Public Event")
    add("draft", "1961-01-01", title="Draft Event", status=Lesson.Status.DRAFT)
    add("review", "1962-01-01", title="Review Event", status=Lesson.Status.REVIEW)
    add("soon", "1963-01-01", title="Scheduled Event", published_at=timezone.now() + datetime.timedelta(hours=1))

    html = text_of(client.get(URL))

    assert "Public Event" in html
    assert "Draft Event" not in html and "Review Event" not in html and "Scheduled Event" not in html


def test_timeline_without_lessons_says_so(client, add):
    add("draft", "1960-07-16", status=Lesson.Status.DRAFT)

    response = client.get(URL)

    html = text_of(response)
    assert response.status_code == 200
    assert "The timeline is empty: no lessons have been published yet." in html
    assert '<ol class="timeline">' not in html
    assert 'aria-label="Timeline pages"' not in html


def test_the_seed_lesson_is_on_the_timeline(client, seed_lesson):
    html = text_of(client.get(URL))

    assert '<h3><a href="/lessons/ussrs-withdrawal-from-china/">USSR&#x27;s Withdrawal from China</a></h3>' in html
    assert "On 16 July 1960 the Soviet government told China it was recalling all of its experts and advisers." in html


def test_decade_links_go_to_each_decade_on_the_page(client, add):
    add("sputnik", "1957-10-04")
    add("recall", "1960-07-16")

    html = text_of(client.get(URL))

    assert '<a href="#decade-1950">1950s</a>' in html
    assert '<a href="#decade-1960">1960s</a>' in html
    assert 'id="decade-1950"' in html and 'id="decade-1960"' in html


def test_a_single_decade_needs_no_decade_links(client, add):
    add("recall", "1960-07-16")

    assert 'aria-labelledby="decade-nav-label"' not in text_of(client.get(URL))


def test_timeline_refuses_other_methods(client, db):
    assert client.post(URL).status_code == 405


# Size: a constant number of queries and a bounded page


@pytest.mark.parametrize("count", [0, 3, 25])
def test_timeline_query_count_does_not_grow_with_lessons(client, add, django_assert_num_queries, count):
    for number in range(count):
        add(f"lesson-{number}", f"{1900 + number}-01-01")

    with django_assert_num_queries(2):
        response = client.get(URL)

    assert text_of(response).count('<li class="timeline-event">') == count


def test_more_than_25_lessons_are_split_into_pages_of_25(client, db, django_assert_num_queries):
    add_many(26)

    with django_assert_num_queries(2):
        first = text_of(client.get(URL))
    with django_assert_num_queries(2):
        second = text_of(client.get(URL, {"page": 2}))

    assert first.count('<li class="timeline-event">') == 25
    assert second.count('<li class="timeline-event">') == 1
    assert "Page 1 of 2: 1900–1924" in first
    assert '<a href="?page=2" rel="next">Later events: 1925<span aria-hidden="true"> →</span></a>' in first
    assert "Page 2 of 2: 1925" in second
    assert '<a href="?page=1" rel="prev"><span aria-hidden="true">← </span>Earlier events: 1900–1924</a>' in second
    assert "<title>Timeline, 1925 (page 2 of 2) · History lessons</title>" in second


def test_a_decade_split_between_pages_is_marked_continued_and_linked_where_it_starts(client, add, settings):
    settings.TIMELINE_PAGE_SIZE = 3
    for slug, date in [("a", "1957-01-01"), ("b", "1960-01-01"), ("c", "1961-01-01"), ("d", "1962-01-01")]:
        add(slug, date, title=f"Event {slug.upper()}")
    add("e", "1971-01-01", title="Event E")
    add("f", "1989-01-01", title="Event F")
    add("g", "1999-01-01", title="Event G")

    first, second, third = (text_of(client.get(URL, {"page": page})) for page in (1, 2, 3))

    assert headings(first) == ["h1 Timeline", "h2 1950s", "h3 Event A", "h2 1960s", "h3 Event B", "h3 Event C"]
    assert headings(second) == [
        "h1 Timeline", "h2 1960s (continued)", "h3 Event D", "h2 1970s", "h3 Event E", "h2 1980s", "h3 Event F",
    ]  # fmt: skip
    assert headings(third) == ["h1 Timeline", "h2 1990s", "h3 Event G"]
    assert "Page 2 of 3: 1962–1989" in second
    # The decade links lead to the page where each decade starts.
    assert '<a href="?page=1#decade-1960">1960s</a>' in second
    assert '<a href="#decade-1970">1970s</a>' in second
    assert '<a href="?page=3#decade-1990">1990s</a>' in second
    assert 'rel="prev"><span aria-hidden="true">← </span>Earlier events: 1957–1961</a>' in second
    assert 'rel="next">Later events: 1999<span aria-hidden="true"> →</span></a>' in second
    assert 'rel="next"' not in third


@pytest.mark.parametrize("page", ["0", "4", "-1", "two", "1.5", ""])
def test_a_page_that_does_not_exist_is_not_found(client, add, settings, page):
    settings.TIMELINE_PAGE_SIZE = 1
    for year in (1960, 1970, 1980):
        add(f"event-{year}", f"{year}-01-01")

    assert client.get(URL, {"page": page}).status_code == 404


def test_an_empty_timeline_has_a_first_page_only(client, db):
    assert client.get(URL, {"page": 1}).status_code == 200
    assert client.get(URL, {"page": 2}).status_code == 404


def test_lessons_on_one_date_across_pages_are_each_shown_once_in_title_order(client, add, settings):
    settings.TIMELINE_PAGE_SIZE = 2
    add("early", "1950-01-01", title="Before them all")
    for slug, title in [("e", "Echo"), ("b", "Bravo"), ("d", "Delta"), ("a", "Alpha"), ("c", "Charlie")]:
        add(slug, "1960-07-16", title=title)
    add("twin", "1960-07-16", title="Charlie")  # the same title: each still on one page

    pages = [text_of(client.get(URL, {"page": page})) for page in (1, 2, 3, 4)]

    shown = [heading[3:] for html in pages for heading in headings(html) if heading.startswith("h3")]
    assert shown == ["Before them all", "Alpha", "Bravo", "Charlie", "Charlie", "Delta", "Echo"]
    assert "Page 2 of 4: 1960" in pages[1]
    assert client.get(URL, {"page": 5}).status_code == 404


@pytest.mark.parametrize(
    ("event_date", "precision"),
    [("1960-07-16", "day"), ("1957-10-01", "month"), ("1914-01-01", "year"), ("0476-09-04", "day")],
)
def test_each_date_reads_as_on_the_lesson_page(client, add, event_date, precision):
    add("event", event_date, precision)
    lesson = Lesson.objects.get(slug="event")

    html = text_of(client.get(URL))

    assert f'<time datetime="{lesson.event_date_iso}">{lesson.event_date_display}</time>' in html


def test_the_teaser_is_the_summarys_first_sentence_on_one_line(client, add):
    add("recall", "1960-07-16", summary="Were the experts\n  recalled? Yes. “All of them,” said one.")
    add("quote", "1961-07-16", summary='Zhou said "No." Then he left.')
    add("one", "1962-07-16", summary="Only one sentence, no full stop")

    html = text_of(client.get(URL))

    assert '<p class="timeline-teaser">Were the experts recalled?</p>' in html
    assert '<p class="timeline-teaser">Zhou said &quot;No.</p>' in html
    assert '<p class="timeline-teaser">Only one sentence, no full stop</p>' in html


# Where each page starts is worked out once for each version of the content: these tests commit, as the
# site does, since inside a transaction it is worked out afresh on every request.


@pytest.fixture
def shared_cache(settings):
    """An empty cache of this test's own, as the site's processes share one."""
    location = f"timeline-test-{uuid.uuid4().hex}"
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": location}}


@pytest.mark.django_db(transaction=True)
def test_a_page_not_seen_before_reads_only_its_own_lessons(client, shared_cache, settings, django_assert_num_queries):
    settings.TIMELINE_PAGE_SIZE = 2
    add_many(5)
    client.get(URL)

    with django_assert_num_queries(1):
        html = text_of(client.get(URL, {"page": 3}))

    assert "Page 3 of 3: 1904" in html
    assert html.count('<li class="timeline-event">') == 1


@pytest.mark.django_db(transaction=True)
def test_publishing_moving_and_unpublishing_a_lesson_change_the_pages_at_once(client, shared_cache, settings, add):
    settings.TIMELINE_PAGE_SIZE = 2
    add_many(4)  # 1900 to 1903
    assert "Page 2 of 2: 1902–1903" in text_of(client.get(URL, {"page": 2}))

    earliest = add("earliest", "1850-01-01", title="The Earliest Event")
    assert "Page 2 of 3: 1901–1902" in text_of(client.get(URL, {"page": 2}))
    assert "The Earliest Event" in text_of(client.get(URL, {"page": 1}))

    earliest.event_date = datetime.date(1990, 1, 1)
    earliest.save()
    first, last = (text_of(client.get(URL, {"page": page})) for page in (1, 3))
    assert "The Earliest Event" not in first and "Page 1 of 3: 1900–1901" in first
    assert "The Earliest Event" in last and "Page 3 of 3: 1990" in last
    assert '<a href="?page=3#decade-1990">1990s</a>' in first

    earliest.status = Lesson.Status.DRAFT
    earliest.save()
    assert client.get(URL, {"page": 3}).status_code == 404
    assert "Page 2 of 2: 1902–1903" in text_of(client.get(URL, {"page": 2}))


@pytest.mark.django_db(transaction=True)
def test_a_scheduled_lesson_gets_its_page_when_its_time_comes(client, shared_cache, settings, add, monkeypatch):
    settings.TIMELINE_PAGE_SIZE = 1
    add("now", "1960-07-16", title="Published Event")
    publish_at = timezone.now() + datetime.timedelta(minutes=1)
    add("soon", "1970-01-01", title="Scheduled Event", published_at=publish_at)
    assert "Scheduled Event" not in text_of(client.get(URL))
    assert client.get(URL, {"page": 2}).status_code == 404

    monkeypatch.setattr("django.utils.timezone.now", lambda: publish_at + datetime.timedelta(seconds=1))

    assert "Page 1 of 2: 1960" in text_of(client.get(URL))
    assert "Scheduled Event" in text_of(client.get(URL, {"page": 2}))
