"""Finding lessons on the index: words, ranking, marked snippets, topic filters, pages and htmx."""

import datetime
import re

import pytest
from django.db import connection
from django.utils import timezone

from events import search as search_module
from events.models import Lesson, Section, Topic
from events.search import MAX_QUERY_LENGTH, PER_PAGE

from .admin_forms import change_form_data
from .conftest import text_of

pytestmark = pytest.mark.django_db

HTMX = {"HX-Request": "true"}


def found_titles(response) -> list[str]:
    """The titles of the lessons listed, in order, as they read: without their <mark> tags or comments."""
    titles = re.findall(r'<li class="lesson-card">\s*<h2><a href="[^"]*">(.*?)</a></h2>', text_of(response), re.S)
    return [re.sub(r"</?mark>|<!--.*?-->", "", title) for title in titles]


def search(client, q: str = "", **params):
    return client.get("/", {"q": q, **params})


@pytest.fixture
def topics(db) -> dict[str, Topic]:
    return {
        slug: Topic.objects.create(kind=kind, name=name, slug=slug)
        for slug, kind, name in [
            ("cold-war", Topic.Kind.THEME, "Cold War"),
            ("revolutions", Topic.Kind.THEME, "Revolutions"),
            ("twentieth-century", Topic.Kind.ERA, "Twentieth century"),
            ("asia", Topic.Kind.REGION, "Asia"),
            ("europe", Topic.Kind.REGION, "Europe"),
            ("africa", Topic.Kind.REGION, "Africa"),
        ]
    }


def add_section(lesson: Lesson, heading: str, body: str, **fields) -> Section:
    order = fields.pop("order", lesson.sections.count() + 1)
    return lesson.sections.create(order=order, kind=Section.Kind.NARRATIVE, heading=heading, body=body, **fields)


# Finding and ranking


def test_words_are_found_in_titles_key_events_and_sections(client, make_lesson):
    make_lesson("in-title", title="The Treaty of Versailles", panels=0)
    make_lesson("in-summary", title="Peace Talks", summary="A treaty ended the war.", panels=0)
    in_section = make_lesson("in-section", title="Border Changes", panels=0)
    add_section(in_section, "New Borders", "The treaty moved borders.")
    make_lesson("elsewhere", title="Moon Landing", summary="Astronauts walked on the Moon.")

    response = search(client, "treaty")

    assert response.status_code == 200
    assert sorted(found_titles(response)) == ["Border Changes", "Peace Talks", "The Treaty of Versailles"]


def test_a_match_in_the_title_ranks_above_a_match_in_the_text(client, make_lesson):
    body_only = make_lesson("body-only", title="Alpha", event_date="1900-01-01", panels=0)
    add_section(body_only, "Talks", "Delegates argued about the blockade for weeks.")
    make_lesson("summary", title="Bravo", event_date="1910-01-01", summary="A blockade of the port.", panels=0)
    make_lesson("title", title="The Berlin Blockade", event_date="1948-06-24", panels=0)

    assert found_titles(search(client, "blockade")) == ["The Berlin Blockade", "Bravo", "Alpha"]


def test_every_word_must_be_found_but_may_be_in_different_parts_of_a_lesson(client, make_lesson):
    both = make_lesson("both", title="Sino-Soviet Split", panels=0)
    add_section(both, "Experts", "Khrushchev recalled the advisers.")
    make_lesson("one", title="Soviet Union", summary="Nothing about the recall.", panels=0)

    assert found_titles(search(client, "soviet khrushchev")) == ["Sino-Soviet Split"]


def test_words_are_found_as_the_start_of_a_word_while_typing(client, make_lesson):
    make_lesson("k", title="Khrushchev in Power", panels=0)

    assert found_titles(search(client, "khrush")) == ["Khrushchev in Power"]
    assert found_titles(search(client, "khrush power")) == ["Khrushchev in Power"]
    assert found_titles(search(client, "khrush pow")) == ["Khrushchev in Power"]


def test_words_are_found_in_other_forms(client, make_lesson):
    make_lesson("treaties", title="Treaties of Rome", panels=0)

    assert found_titles(search(client, "treaty signed")) == []
    assert found_titles(search(client, "treaty")) == ["Treaties of Rome"]


def test_without_words_every_published_lesson_is_listed_by_date(client, make_lesson):
    make_lesson("later", title="Later", event_date="1989-11-09")
    make_lesson("earlier", title="Earlier", event_date="1950-02-14")

    for q in ["", "   ", '"*()"']:
        assert found_titles(search(client, q)) == ["Earlier", "Later"]


# Only published lessons


def test_drafts_lessons_in_review_and_scheduled_lessons_are_never_found(client, make_lesson):
    make_lesson("draft", title="Draft Treaty", status=Lesson.Status.DRAFT)
    make_lesson("review", title="Review Treaty", status=Lesson.Status.REVIEW)
    make_lesson("soon", title="Scheduled Treaty", published_at=timezone.now() + datetime.timedelta(hours=1))
    make_lesson("public", title="Public Treaty")

    assert found_titles(search(client, "treaty")) == ["Public Treaty"]
    assert found_titles(search(client)) == ["Public Treaty"]


def test_unpublishing_a_lesson_hides_it_at_once(client, make_lesson):
    lesson = make_lesson("treaty", title="Treaty")
    Lesson.objects.filter(pk=lesson.pk).update(status=Lesson.Status.DRAFT)

    assert found_titles(search(client, "treaty")) == []


# Marked snippets, safely escaped


def test_matched_words_are_marked_in_the_title_and_key_event(client, make_lesson):
    make_lesson("split", title="The Sino-Soviet Split", summary="The split divided the communist world.", panels=0)

    html = text_of(search(client, "split"))

    assert '<a href="/lessons/split/">The Sino-Soviet <mark>Split</mark></a>' in html
    assert '<p class="lesson-snippet">The <mark>split</mark> divided the communist world.</p>' in html


def test_a_word_found_only_in_a_section_shows_that_part_of_the_section_without_markdown(client, make_lesson):
    lesson = make_lesson("recall", title="The Recall", summary="Experts went home.", panels=0)
    add_section(lesson, "At Bucharest", "Delegates clashed at **Bucharest** in [June 1960](https://example.org/june).")

    html = text_of(search(client, "bucharest"))

    snippet = re.search(r'<p class="lesson-snippet">(.*?)</p>', html, re.S).group(1)
    assert snippet == "… At <mark>Bucharest</mark> — Delegates clashed at <mark>Bucharest</mark> in June 1960. …"


def test_a_snippet_leaves_out_the_marks_of_lists_quotes_code_and_emphasis_but_not_words_joined_by_underscores(
    client, make_lesson
):
    lesson = make_lesson("recall", title="The Recall", summary="Experts went home.", panels=0)
    body = "- First, the `recall_order` _reached_ Bucharest.\n> Quoted: *Bucharest* wavered.\n2. Done"
    add_section(lesson, "Cables", body)

    html = text_of(search(client, "bucharest"))

    snippet = re.search(r'<p class="lesson-snippet">(.*?)</p>', html, re.S).group(1)
    assert snippet == (
        "… Cables — First, the recall_order reached <mark>Bucharest</mark>. "
        "Quoted: <mark>Bucharest</mark> wavered. Done …"
    )


@pytest.mark.parametrize(("q", "marked"), [("bucharest", "Bucharest"), ("delegations", "delegation")])
def test_a_word_far_into_long_sections_is_shown_where_it_is_in_any_form(client, make_lesson, q, marked):
    lesson = make_lesson("recall", title="The Recall", summary="Experts went home.", panels=0)
    add_section(lesson, "Background", "Nothing of note happened that year. " * 60)
    add_section(lesson, "At Bucharest", "The delegation clashed at Bucharest in June 1960.")

    html = text_of(search(client, q))

    snippet = re.search(r'<p class="lesson-snippet">(.*?)</p>', html, re.S).group(1)
    assert f"<mark>{marked}</mark>" in snippet
    assert "clashed at" in snippet


@pytest.mark.parametrize("q", ["mccarthy", "MCCARTHY", "McCarthy"])
def test_a_word_in_a_section_is_found_and_marked_whatever_its_case(client, make_lesson, q):
    lesson = make_lesson("scare", title="The Red Scare", summary="Fear spread.", panels=0)
    add_section(lesson, "Hearings", "Nothing of note happened that year. " * 60 + "Senator McCarthy spoke.")

    snippet = re.search(r'<p class="lesson-snippet">(.*?)</p>', text_of(search(client, q)), re.S).group(1)

    assert "Senator <mark>McCarthy</mark> spoke." in snippet


def test_the_key_event_is_shown_unmarked_when_only_the_title_matches(client, make_lesson):
    make_lesson("berlin", title="Berlin Airlift", summary="Planes flew in food.", panels=2)

    html = text_of(search(client, "airlift"))

    assert '<p class="lesson-snippet">Planes flew in food.</p>' in html


def test_text_from_lessons_and_from_the_search_is_escaped_except_the_marks(client, make_lesson):
    lesson = make_lesson(
        "unsafe", title="<b>Bold</b> Treaty & Co", summary='<script>alert("1")</script> "treaty"', panels=0
    )
    add_section(lesson, "<i>Heading</i>", "<img src=x onerror=alert(1)> treaty <mark>fake</mark>")

    html = text_of(search(client, 'treaty <script>alert("x")</script>'))
    assert "<script>alert" not in html and "<b>Bold" not in html and "<img" not in html

    html = text_of(search(client, "treaty"))
    assert "&lt;b&gt;Bold&lt;/b&gt; <mark>Treaty</mark> &amp; Co" in html
    assert "&lt;script&gt;alert(&quot;1&quot;)&lt;/script&gt; &quot;<mark>treaty</mark>&quot;" in html
    assert "<script>alert" not in html
    assert set(re.findall(r"</?mark\b[^>]*>", html)) == {"<mark>", "</mark>"}

    # An editor's own <mark> is text like any other (PostgreSQL leaves tags out of section snippets).
    snippet = re.search(r'<p class="lesson-snippet">(.*?)</p>', text_of(search(client, "fake")), re.S).group(1)
    assert snippet.count("<mark>") == snippet.count("</mark>") == 1
    assert "<mark>fake</mark>" in snippet


def test_the_search_is_shown_back_escaped_in_the_box_the_title_and_the_empty_state(client, make_lesson):
    make_lesson("a", title="A")
    q = '"><script>alert(1)</script> zzzz'

    html = text_of(search(client, q))

    assert "<script>alert(1)" not in html
    assert 'value="&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt; zzzz"' in html
    assert "No lessons match '&quot;&gt;&lt;script&gt;alert(1)&lt;/script&gt; zzzz'. Try a shorter word." in html


# Whatever is typed, never an error


HOSTILE = [
    '"',
    "'",
    "*",
    "treaty*",
    "NEAR",
    "NEAR(treaty peace)",
    "treaty NEAR peace",
    "treaty OR peace",
    "treaty AND NOT peace",
    "-treaty",
    "^treaty",
    "title:treaty",
    "((treaty",
    "treaty))",
    '"treaty',
    "treaty & | ! <-> :*",
    "'treaty':* & !",
    "\\",
    "%",
    "%s %(q)s {lessons}",
    "_",
    "\x00treaty",
    "\ue000treaty\ue001",
    "the and of",
    "🙂 ∑ ø",
    "ª ² ⅷ 〇 ٣ ǅ ß İ ﬁ ͅ",
    "中文 日本語 한국어",
    "x" * 5000,
    "treaty " * 500,
]


@pytest.mark.parametrize("q", HOSTILE)
def test_any_search_text_is_read_as_plain_words_and_never_fails(client, make_lesson, q):
    make_lesson("treaty", title="Treaty of Peace", summary="The treaty brought peace.")

    response = search(client, q)
    fragment = client.get("/", {"q": q}, headers=HTMX)

    assert response.status_code == 200
    assert fragment.status_code == 200
    assert "<mark></mark>" not in text_of(response)


def test_words_that_look_like_operators_are_searched_for_as_words(client, make_lesson):
    make_lesson("near", title="The Near East", summary="Lands near the eastern Mediterranean.")
    make_lesson("other", title="Far Away")

    assert found_titles(search(client, "near")) == ["The Near East"]
    assert found_titles(search(client, "NEAR(east")) == ["The Near East"]
    assert found_titles(search(client, '"east" OR "away"')) == []


def test_a_very_long_search_is_shortened(client, make_lesson):
    make_lesson("a", title="A")

    html = text_of(search(client, "y" * 5000))

    assert f'value="{"y" * MAX_QUERY_LENGTH}"' in html
    assert 'maxlength="100"' in html


def test_the_empty_state_says_what_was_searched_and_what_to_try(client, make_lesson):
    make_lesson("a", title="A")

    html = text_of(search(client, "xyz"))

    assert "No lessons match 'xyz'. Try a shorter word." in html
    assert 'class="lesson-card"' not in html


def test_the_index_without_lessons_says_so(client, db):
    assert "No lessons have been published yet." in text_of(search(client))


# Filters by topic


def tag(lesson: Lesson, *topics: Topic) -> Lesson:
    lesson.topics.add(*topics)
    return lesson


def test_filters_keep_lessons_with_a_chosen_topic_of_every_kind(client, make_lesson, topics):
    tag(make_lesson("korea", title="Korean War", event_date="1950-06-25"), topics["cold-war"], topics["asia"])
    tag(make_lesson("berlin", title="Berlin Wall", event_date="1961-08-13"), topics["cold-war"], topics["europe"])
    tag(
        make_lesson("china", title="Chinese Revolution", event_date="1949-10-01"),
        topics["revolutions"],
        topics["asia"],
    )

    assert found_titles(client.get("/", {"theme": "cold-war", "region": "asia"})) == ["Korean War"]
    assert found_titles(client.get("/", {"theme": "cold-war"})) == ["Korean War", "Berlin Wall"]
    # Two topics of one kind: either will do.
    assert found_titles(client.get("/", {"region": ["asia", "europe"]})) == [
        "Chinese Revolution",
        "Korean War",
        "Berlin Wall",
    ]
    assert found_titles(client.get("/", {"q": "war", "region": "asia"})) == ["Korean War"]


def test_filters_offer_only_topics_that_published_lessons_have(client, make_lesson, topics):
    tag(make_lesson("korea", title="Korean War"), topics["cold-war"], topics["asia"])
    tag(make_lesson("draft", status=Lesson.Status.DRAFT), topics["revolutions"], topics["africa"])

    html = text_of(search(client))

    assert 'name="theme" value="cold-war"' in html and 'name="region" value="asia"' in html
    assert "revolutions" not in html and "africa" not in html
    assert "<legend>Era</legend>" not in html, "a kind without topics on published lessons is left out"


def test_the_form_shows_the_search_and_filters_from_the_address(client, make_lesson, topics):
    tag(make_lesson("korea", title="Korean War"), topics["cold-war"], topics["asia"], topics["europe"])

    html = text_of(client.get("/", {"q": "korea", "theme": "cold-war", "region": "europe"}))

    assert '<form class="finder" method="get" action="/"' in html
    assert 'name="q" value="korea"' in html
    assert 'name="theme" value="cold-war" checked' in html
    assert 'name="region" value="europe" checked' in html
    assert 'name="region" value="asia">' in html
    assert "1 lesson matches 'korea' in the chosen topics." in html


def test_unknown_topics_in_the_address_are_ignored(client, make_lesson, topics):
    tag(make_lesson("korea", title="Korean War"), topics["asia"])

    assert found_titles(client.get("/", {"theme": "no-such-topic"})) == ["Korean War"]


def test_no_lesson_with_every_chosen_topic_says_so(client, make_lesson, topics):
    tag(make_lesson("korea", title="Korean War"), topics["asia"], topics["cold-war"])
    tag(make_lesson("wall", title="Berlin Wall"), topics["europe"])

    html = text_of(client.get("/", {"theme": "cold-war", "region": "europe"}))

    assert "No lessons have all the chosen topics. Choose fewer topics." in html


# Pages


@pytest.fixture
def many_lessons(make_lesson, topics):
    """PER_PAGE + 5 published lessons about a treaty, in the Cold War theme, one a year from 1950."""
    return [
        tag(
            make_lesson(f"treaty-{n}", title=f"Treaty {n:02}", event_date=f"{1950 + n}-01-01", panels=1, readings=0),
            topics["cold-war"],
        )
        for n in range(PER_PAGE + 5)
    ]


def test_lessons_come_a_page_at_a_time_with_links_that_keep_the_search_and_filters(client, many_lessons):
    first = client.get("/", {"q": "treaty", "theme": "cold-war"})
    second = client.get("/", {"q": "treaty", "theme": "cold-war", "page": "2"})

    assert len(found_titles(first)) == PER_PAGE
    assert len(found_titles(second)) == 5
    assert set(found_titles(first)).isdisjoint(found_titles(second))
    assert f"{PER_PAGE + 5} lessons match 'treaty' in the chosen topics." in text_of(first)
    assert "Page 1 of 2." in text_of(first)
    assert 'href="?q=treaty&amp;theme=cold-war&amp;page=2"' in text_of(first)
    assert 'hx-get="?q=treaty&amp;theme=cold-war&amp;page=2"' in text_of(first)
    assert 'href="?q=treaty&amp;theme=cold-war&amp;page=1"' in text_of(second)
    assert "Next page" not in text_of(second)


def test_page_links_keep_the_search_and_topics_and_nothing_else_of_the_address(client, many_lessons):
    response = client.get("/", {"q": " treaty ", "theme": ["cold-war", "no-such-topic"], "utm_source": "mail"})

    assert 'href="?q=treaty&amp;theme=cold-war&amp;page=2"' in text_of(response)
    assert "utm_source" not in text_of(response)


def test_browsing_without_words_is_paginated_too(client, many_lessons):
    response = client.get("/", {"page": "2"})

    assert found_titles(response) == [f"Treaty {n:02}" for n in range(PER_PAGE, PER_PAGE + 5)]
    assert 'href="?page=1"' in text_of(response)


def test_lessons_of_the_same_date_and_title_are_each_listed_once_across_the_pages(client, make_lesson, monkeypatch):
    monkeypatch.setattr(search_module, "PER_PAGE", 2)
    for n, title in enumerate(["Treaty", "Treaty", "Treaty", "Accord", "Treaty"]):
        make_lesson(f"lesson-{n}", title=title, event_date="1960-07-16")
    make_lesson("later", title="Accord", event_date="1961-01-01")

    pages = [found_titles(client.get("/", {"page": page})) for page in (1, 2, 3)]

    assert pages == [["Accord", "Treaty"], ["Treaty", "Treaty"], ["Treaty", "Accord"]]
    assert "6 lessons. Page 3 of 3." in " ".join(text_of(client.get("/", {"page": 3})).split())


@pytest.mark.parametrize(
    ("page", "shown"),
    [("abc", 1), ("", 1), ("1.5", 1), ("\x00", 1), ("0", 2), ("-1", 2), ("3", 2), ("99999999999999999999", 2)],
)
def test_a_page_number_that_is_junk_or_out_of_range_gives_the_first_or_last_page(client, many_lessons, page, shown):
    for params in [{"page": page}, {"q": "treaty", "page": page}]:
        response = client.get("/", params)

        assert response.status_code == 200
        assert f"Page {shown} of 2." in text_of(response)


def test_a_word_in_more_lessons_than_can_be_listed_says_so_and_lists_title_and_key_event_matches_first(
    client, make_lesson, monkeypatch
):
    monkeypatch.setattr(search_module, "MAX_FOUND", 3)
    for n in range(3):
        add_section(make_lesson(f"mention-{n}", title=f"Mention {n}"), "Later", "The treaty was signed.")
    make_lesson("in-title", title="Treaty of Rome")
    make_lesson("in-key-event", title="Signing", summary="A treaty was signed.")

    response = search(client, "treaty")

    assert "More than 3 lessons match 'treaty'. The first 3 are listed: add a word to find fewer." in text_of(response)
    assert found_titles(response)[:2] == ["Treaty of Rome", "Signing"]
    assert len(found_titles(response)) == 3
    assert "Next page" not in text_of(response)


def test_a_word_in_more_key_events_than_can_be_listed_offers_them_marked(client, make_lesson, monkeypatch):
    monkeypatch.setattr(search_module, "MAX_FOUND", 3)
    for n in range(4):
        make_lesson(f"council-{n}", title=f"Meeting {n}", summary="The council met.")
    make_lesson("treaty-of-rome", title="Council of Rome")

    response = search(client, "council")

    assert "More than 3 lessons match 'council'." in text_of(response)
    assert found_titles(response)[0] == "Council of Rome"
    assert len(found_titles(response)) == 3
    assert text_of(response).count("<mark>") >= 3  # each offered lesson shows where the word is


def test_a_lesson_retitled_or_deleted_is_offered_first_by_its_title_as_it_is_now(client, make_lesson, monkeypatch):
    monkeypatch.setattr(search_module, "MAX_FOUND", 3)
    for n in range(4):
        make_lesson(f"council-{n}", title=f"Meeting {n}", summary="The council met.")
    retitled = make_lesson("rome", title="Council of Rome", summary="The council met.")
    make_lesson("nicaea", title="Council of Nicaea", summary="The council met.").delete()
    retitled.title = "Meeting in Rome"
    retitled.save()
    renamed = Lesson.objects.get(slug="council-3")
    renamed.title = "Council of Trent"
    renamed.save()

    titles = found_titles(search(client, "council"))

    assert titles[0] == "Council of Trent"
    assert "Council of Rome" not in titles and "Council of Nicaea" not in titles


def test_a_word_in_as_many_lessons_as_can_be_listed_gives_the_exact_count(client, make_lesson, monkeypatch):
    monkeypatch.setattr(search_module, "MAX_FOUND", 3)
    for n in range(3):
        make_lesson(f"treaty-{n}", title=f"Treaty {n}")

    response = search(client, "treaty")

    assert "3 lessons match 'treaty'." in text_of(response)
    assert "More than" not in text_of(response)


# htmx


def test_htmx_gets_only_the_results_with_the_count(client, make_lesson):
    make_lesson("treaty", title="Treaty of Peace")

    response = client.get("/", {"q": "treaty"}, headers=HTMX)

    html = text_of(response)
    assert response.status_code == 200
    assert "<html" not in html and "<form" not in html
    assert html.startswith('<p id="result-count"')
    assert '<div id="results" class="results">' in html
    assert "<mark>Treaty</mark> of Peace" in html
    assert "1 lesson matches 'treaty'." in html
    assert "HX-Request" in response["Vary"]


def test_results_the_browser_already_shows_add_no_step_to_the_history(client, make_lesson):
    make_lesson("treaty", title="Treaty of Peace")

    again = client.get("/", {"q": "treaty"}, headers={**HTMX, "HX-Current-URL": "http://testserver/?q=treaty"})
    new = client.get("/", {"q": "treaty"}, headers={**HTMX, "HX-Current-URL": "http://testserver/?q=treat"})

    assert again["HX-Push-Url"] == "false"
    assert "HX-Push-Url" not in new


def test_the_whole_page_has_vary_on_hx_request_too(client, db):
    assert "HX-Request" in search(client)["Vary"]


def test_htmx_restoring_a_page_from_history_gets_the_whole_page(client, make_lesson):
    make_lesson("treaty", title="Treaty of Peace")

    response = client.get("/", {"q": "treaty"}, headers={**HTMX, "HX-History-Restore-Request": "true"})

    assert "<html" in text_of(response)
    assert 'name="q" value="treaty"' in text_of(response)


def test_the_form_and_the_page_links_carry_their_own_htmx_attributes(client, many_lessons):
    html = text_of(client.get("/", {"q": "treaty"}))

    form = re.search(r'<form class="finder"[^>]*>', html).group(0)
    next_page = re.search(r'<a class="button" rel="next"[^>]*>', html).group(0)
    for element, url in [(form, "/"), (next_page, "?q=treaty&amp;page=2")]:
        assert f'hx-get="{url}"' in element
        assert 'hx-target="#results"' in element
        assert 'hx-push-url="true"' in element
        assert 'hx-select-oob="#result-count:innerHTML"' in element
    assert "input changed delay:300ms from:#finder-q" in form
    assert "change from:#finder-filters" in form


def test_the_search_box_is_labelled_and_the_count_is_a_polite_live_region(client, make_lesson):
    make_lesson("a", title="A")

    html = text_of(search(client))

    assert '<label class="finder-label" for="finder-q">Search the lessons</label>' in html
    assert 'id="finder-q"' in html
    assert '<p id="result-count" class="result-count" role="status">' in html
    assert html.count("<h1") == 1


def test_the_index_refuses_other_methods(client, db):
    assert client.post("/").status_code == 405


# The index follows every edit


def test_a_new_lesson_and_a_changed_title_are_found_at_once(client, make_lesson):
    lesson = make_lesson("crisis", title="The Missile Crisis")
    assert found_titles(search(client, "missile")) == ["The Missile Crisis"]

    lesson.title = "The Cuban Crisis"
    lesson.save()

    assert found_titles(search(client, "missile")) == []
    assert found_titles(search(client, "cuban")) == ["The Cuban Crisis"]


def test_sections_added_changed_and_deleted_are_found_or_forgotten(client, make_lesson):
    lesson = make_lesson("crisis", title="Crisis", panels=0)
    section = add_section(lesson, "Blockade", "Ships turned back.")
    assert found_titles(search(client, "ships")) == ["Crisis"]

    section.body = "Submarines surfaced."
    section.save()
    assert found_titles(search(client, "ships")) == []
    assert found_titles(search(client, "submarines")) == ["Crisis"]

    section.delete()
    assert found_titles(search(client, "submarines")) == []
    assert found_titles(search(client, "blockade")) == []


def test_edits_that_bypass_save_are_followed_too(client, make_lesson):
    lesson = make_lesson("crisis", title="Crisis", panels=0)
    Lesson.objects.filter(pk=lesson.pk).update(summary="A quarantine of the island.")
    Section.objects.bulk_create(
        [Section(lesson=lesson, order=1, heading="Letters", body="Telegrams crossed.", anchor="letters")]
    )

    assert found_titles(search(client, "quarantine")) == ["Crisis"]
    assert found_titles(search(client, "telegrams")) == ["Crisis"]

    Section.objects.filter(lesson=lesson).update(heading="Cables")
    assert found_titles(search(client, "cables")) == ["Crisis"]
    assert found_titles(search(client, "letters")) == []


def test_a_deleted_lesson_is_not_found_and_its_words_are_forgotten(client, make_lesson):
    lesson = make_lesson("crisis", title="Crisis", panels=3)
    make_lesson("other", title="Other")

    lesson.delete()

    assert found_titles(search(client, "crisis")) == []
    assert found_titles(search(client, "cause")) == ["Other"]
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM events_search")
        assert cursor.fetchone()[0] == 1


def test_a_section_deleted_in_the_admin_is_forgotten(client, publisher_client, make_lesson):
    lesson = make_lesson("crisis", title="Crisis", panels=0)
    add_section(lesson, "Blockade", "Ships turned back.")
    add_section(lesson, "Talks", "Letters crossed.")
    change_url = f"/admin/events/lesson/{lesson.pk}/change/"
    data = change_form_data(publisher_client.get(change_url))
    data["sections-0-DELETE"] = "on"

    assert publisher_client.post(change_url, data).status_code == 302

    assert list(lesson.sections.values_list("heading", flat=True)) == ["Talks"]
    assert found_titles(search(client, "ships")) == []
    assert found_titles(search(client, "letters")) == ["Crisis"]


def test_the_index_keeps_one_row_per_lesson_with_its_text(make_lesson):
    lesson = make_lesson("crisis", title="Crisis", summary="Key.", panels=0)
    add_section(lesson, "Second", "Two.", order=2)
    add_section(lesson, "First", "One.", order=1)
    key = "rowid" if connection.vendor == "sqlite" else "lesson_id"

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT title, summary, sections FROM events_search WHERE {key} = %s", [lesson.pk])
        assert cursor.fetchall() == [("Crisis", "Key.", "First — One.\n\nSecond — Two.")]


def test_every_index_trigger_is_in_place_after_all_migrations(db):
    # SQLite drops a table's triggers when a migration rebuilds the table: see migration 0009.
    if connection.vendor == "sqlite":
        query = "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'events_search_%%'"
        expected = {
            f"events_search_{table}_{event}"
            for table in ["lesson", "section", "title"]
            for event in ["insert", "update", "delete"]
        }
    else:
        query = "SELECT DISTINCT tgname FROM pg_trigger WHERE tgname LIKE 'events_search_%%'"
        expected = {
            f"events_search_{table}{truncate}" for table in ["lesson", "section"] for truncate in ["", "_truncate"]
        }
    with connection.cursor() as cursor:
        cursor.execute(query)
        names = {name for (name,) in cursor.fetchall()}

    assert names == expected


# Queries


@pytest.mark.parametrize("params", [{}, {"q": "treaty"}, {"q": "treaty", "theme": "cold-war", "region": "asia"}])
def test_the_number_of_queries_does_not_grow_with_the_lessons(
    client, make_lesson, topics, params, django_assert_num_queries, django_capture_on_commit_callbacks
):
    def add_lessons(start: int, count: int):
        for n in range(start, start + count):
            with django_capture_on_commit_callbacks(execute=True):  # rendered, as a saved lesson is
                tag(
                    make_lesson(f"treaty-{n}", title=f"Treaty {n}", panels=3, readings=2),
                    topics["cold-war"],
                    topics["asia"],
                )

    # The topics to offer, the count (for words: in titles and key events, then anywhere) and the page;
    # for words, the sections of the page's lessons without them in the key event. For htmx, the
    # results alone: the topics are read only to know those chosen.
    queries = 3 + 2 * ("q" in params)
    results_queries = queries - (not {"theme", "region"} & params.keys())
    add_lessons(0, 2)
    with django_assert_num_queries(queries):
        few = client.get("/", params)
    add_lessons(2, 30)
    with django_assert_num_queries(queries):
        many = client.get("/", params)
    with django_assert_num_queries(results_queries):
        client.get("/", params, headers=HTMX)

    assert len(found_titles(few)) == 2
    assert len(found_titles(many)) == PER_PAGE


# Counts, page starts and topic options are kept between requests, until the content changes


def status_of(response) -> str:
    return " ".join(re.search(r'role="status">(.*?)</p>', text_of(response), re.S).group(1).split())


@pytest.mark.django_db(transaction=True)
def test_the_index_follows_every_change_at_once_though_it_keeps_its_counts_and_filters(
    client, make_lesson, topics, django_assert_num_queries
):
    tag(make_lesson("first", title="First"), topics["asia"])
    assert status_of(client.get("/")) == "1 lesson."

    with django_assert_num_queries(1):  # the page's lessons: the count, its pages and the topics were kept
        response = client.get("/", {"page": "1"})
    assert found_titles(response) == ["First"] and 'value="asia"' in text_of(response)

    tag(make_lesson("second", title="Second", event_date="1970-01-01"), topics["europe"])
    response = client.get("/")
    assert status_of(response) == "2 lessons."
    assert found_titles(response) == ["First", "Second"]
    assert 'value="europe"' in text_of(response)

    second = Lesson.objects.get(slug="second")
    second.status = Lesson.Status.DRAFT
    second.save()
    response = client.get("/")
    assert status_of(response) == "1 lesson."
    assert 'value="europe"' not in text_of(response)


@pytest.mark.django_db(transaction=True)
def test_a_scheduled_lesson_is_counted_and_listed_once_its_time_comes(client, make_lesson, monkeypatch):
    make_lesson("now", title="Now")
    in_an_hour = timezone.now() + datetime.timedelta(hours=1)
    make_lesson("soon", title="Soon", event_date="1970-01-01", published_at=in_an_hour)
    assert status_of(client.get("/")) == "1 lesson."

    later = timezone.now() + datetime.timedelta(hours=2)
    monkeypatch.setattr(timezone, "now", lambda: later)

    response = client.get("/", {"page": "1"})
    assert status_of(response) == "2 lessons."
    assert found_titles(response) == ["Now", "Soon"]
