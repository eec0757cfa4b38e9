import datetime
from html.parser import HTMLParser

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.utils import timezone
from django.utils.dateformat import format as date_format

from events.markdown import first_sentence, render_markdown, sanitise_html
from events.models import Lesson, Section

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("precision", "date", "shown", "machine"),
    [
        ("day", datetime.date(1960, 7, 16), "16 July 1960", "1960-07-16"),
        ("month", datetime.date(1960, 7, 1), "July 1960", "1960-07"),
        ("year", datetime.date(1960, 1, 1), "1960", "1960"),
    ],
)
def test_event_date_is_shown_as_precisely_as_it_is_known(precision, date, shown, machine):
    lesson = Lesson(event_date=date, date_precision=precision)

    assert lesson.event_date_display == shown
    assert lesson.event_date_iso == machine


def test_a_date_known_to_the_year_must_be_its_first_day(make_lesson):
    lesson = make_lesson(event_date=datetime.date(1960, 7, 16), date_precision="year")

    with pytest.raises(ValidationError, match="use the first day of it"):
        lesson.full_clean()


def test_publishing_sets_the_publish_time(make_lesson):
    lesson = make_lesson(status=Lesson.Status.DRAFT)
    assert lesson.published_at is None

    lesson.status = Lesson.Status.PUBLISHED
    lesson.save()

    assert lesson.published_at is not None
    assert list(Lesson.objects.published()) == [lesson]


def test_published_excludes_drafts_and_future_publish_times(make_lesson):
    live = make_lesson("live")
    make_lesson("draft", status=Lesson.Status.DRAFT)
    make_lesson("scheduled", published_at=timezone.now() + datetime.timedelta(days=1))

    assert list(Lesson.objects.published()) == [live]


def test_slugs_are_unique(make_lesson):
    make_lesson("same")

    with pytest.raises(IntegrityError):
        make_lesson("same")


def test_section_anchor_comes_from_its_heading_and_is_numbered_when_taken(make_lesson):
    lesson = make_lesson(panels=0)

    first = lesson.sections.create(heading="The Result", body="One.")
    second = lesson.sections.create(heading="The Result", body="Two.")
    first.heading = "A New Heading"
    first.save()

    assert (first.anchor, second.anchor) == ("the-result", "the-result-2")
    assert first.get_absolute_url() == "/lessons/a-lesson/#the-result"
    assert lesson.sections.create(heading="Causes", kind="cause").get_absolute_url() == (
        "/lessons/a-lesson/panels/causes/"
    )


def test_section_body_is_rendered_and_its_first_sentence_kept_on_save(make_lesson):
    section = make_lesson(panels=0).sections.create(
        heading="Causes", kind=Section.Kind.CAUSE, body="It began in *1956*. Then it grew worse."
    )

    assert section.body_html == "<p>It began in <em>1956</em>. Then it grew worse.</p>\n"
    assert section.teaser == "It began in 1956."


def test_subpanel_parent_must_be_a_top_level_panel_of_the_same_lesson(make_lesson):
    lesson, other = make_lesson("one"), make_lesson("two")
    parent = lesson.sections.get(heading="Cause 1")
    child = lesson.sections.create(heading="Child", kind=Section.Kind.CAUSE, parent=parent, body="x")

    foreign = Section(lesson=other, heading="Foreign", kind=Section.Kind.CAUSE, parent=parent, body="x")
    grandchild = Section(lesson=lesson, heading="Grandchild", kind=Section.Kind.CAUSE, parent=child, body="x")
    blank = Section(lesson=lesson, heading="   ", body="x")
    narrative_child = Section(lesson=lesson, heading="Story", kind=Section.Kind.NARRATIVE, parent=parent, body="x")

    with pytest.raises(ValidationError, match="must belong to the same lesson"):
        foreign.full_clean()
    with pytest.raises(ValidationError, match="cannot hold sub-panels of its own"):
        grandchild.full_clean()
    with pytest.raises(ValidationError, match="Give the section a heading"):
        blank.full_clean()
    with pytest.raises(ValidationError, match="A sub-panel is a cause or an impact"):
        narrative_child.full_clean()


# The Markdown renderer and its sanitiser


ATTACKS = [
    "<script>alert(1)</script>",
    '<img src="x" onerror="alert(1)">',
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x](  javascript:alert(1))",
    "[x](java&#x73;cript:alert(1))",
    "[x](data:text/html;base64,PHNjcmlwdD4=)",
    "![x](javascript:alert(1))",
    '<a href="javascript:alert(1)">x</a>',
    '<a href=" jAvAsCrIpT:alert(1)">x</a>',
    "<iframe src=https://example.org></iframe>",
    '<p style="color:red" onclick="alert(1)">x</p>',
    '<svg><a xlink:href="javascript:alert(1)">x</a></svg>',
]


class ElementCollector(HTMLParser):
    def __init__(self):
        super().__init__()
        self.elements = []

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))


def elements_of(html):
    collector = ElementCollector()
    collector.feed(html)
    return collector.elements


def assert_harmless(html):
    for tag, attrs in elements_of(html):
        assert tag not in {"script", "img", "iframe", "svg", "style", "object"}, html
        for name, value in attrs.items():
            assert not name.startswith("on") and name != "style", html
            if name in {"href", "src"}:
                assert value.startswith(("http://", "https://", "/", "mailto:")), html


@pytest.mark.parametrize("markdown", ATTACKS)
def test_markdown_never_lets_script_handlers_or_javascript_links_through(markdown):
    assert_harmless(render_markdown(markdown))


@pytest.mark.parametrize("html", ATTACKS)
def test_sanitiser_alone_strips_the_same_attacks_from_raw_html(html):
    # The sanitiser is the guarantee even if the Markdown parser let raw HTML through.
    assert_harmless(sanitise_html(html))


def test_markdown_keeps_ordinary_formatting_and_safe_links():
    html = render_markdown("A *b* **c**\n\n- one\n- two\n\n[site](/lessons/) [web](https://example.org/a?b=1&c=2)")

    assert "<em>b</em>" in html and "<strong>c</strong>" in html
    assert "<ul>\n<li>one</li>" in html
    assert '<a href="/lessons/" rel="noopener noreferrer">site</a>' in html
    assert 'href="https://example.org/a?b=1&amp;c=2"' in html


def test_first_sentence_is_plain_text():
    assert first_sentence(render_markdown("**Bold** start. Second sentence.")) == "Bold start."
    assert first_sentence(render_markdown("Only one sentence")) == "Only one sentence"
    assert first_sentence(render_markdown("The U.S. acted. Then")) == "The U.S. acted."


@pytest.mark.parametrize(
    ("date", "precision", "shown"),
    [
        ("1960-07-16", Lesson.DatePrecision.DAY, "16 July 1960"),
        ("1960-07-01", Lesson.DatePrecision.MONTH, "July 1960"),
        ("1960-01-01", Lesson.DatePrecision.YEAR, "1960"),
        ("0476-09-04", Lesson.DatePrecision.DAY, "4 September 0476"),
    ],
)
def test_a_date_is_shown_as_precisely_as_it_is_known_as_django_formats_it(date, precision, shown):
    lesson = Lesson(event_date=datetime.date.fromisoformat(date), date_precision=precision)

    assert lesson.event_date_display == shown
    assert shown == date_format(lesson.event_date, {"day": "j F Y", "month": "F Y", "year": "Y"}[precision])
