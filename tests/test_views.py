import datetime

import pytest
from django.utils import timezone

from events.models import Lesson, Section
from events.search import PER_PAGE

from .conftest import text_of

pytestmark = pytest.mark.django_db

LESSON_URL = "/lessons/ussrs-withdrawal-from-china/"
CAUSE_PANEL_URL = LESSON_URL + "panels/reasons-for-withdrawal/"
SUBPANEL_URL = LESSON_URL + "panels/shift-in-chinas-foreign-policy/"


# The index


def test_index_lists_published_lessons_by_event_date_with_date_and_summary(client, make_lesson):
    make_lesson("later", title="Later Event", event_date="1989-11-09", summary="The later one.")
    make_lesson("earlier", title="Earlier Event", event_date="1950-02-14", summary="The earlier one.")
    make_lesson("draft", title="Draft Event", status=Lesson.Status.DRAFT)

    response = client.get("/")

    html = text_of(response)
    assert response.status_code == 200
    assert html.index("Earlier Event") < html.index("Later Event")
    assert '<time datetime="1950-02-14">14 February 1950</time>' in html
    assert "The earlier one." in html
    assert "Draft Event" not in html


def test_index_without_lessons_says_so(client, db):
    response = client.get("/")

    assert "No lessons have been published yet." in text_of(response)


def test_index_query_count_does_not_grow_with_lessons(client, make_lesson, django_assert_num_queries):
    for number in range(PER_PAGE + 2):
        make_lesson(f"lesson-{number}", panels=3, readings=2)

    with django_assert_num_queries(3):  # the topics to filter by, the count, the page
        response = client.get("/")

    assert text_of(response).count('class="lesson-card"') == PER_PAGE


# The lesson page


def test_lesson_page_shows_every_part_of_the_seed(client, seed_lesson):
    response = client.get(LESSON_URL)

    html = text_of(response)
    assert response.status_code == 200
    assert "<h1>USSR&#x27;s Withdrawal from China</h1>" in html
    assert '<time datetime="1960-07-16">16 July 1960</time>' in html
    assert "On 16 July 1960 the Soviet government told China" in html
    assert '<h2 id="background-of-sino-soviet-relations-heading">Background of Sino-Soviet Relations</h2>' in html
    assert "Fun fact" in html and "343 contracts" in html
    assert "<cite>Mao and the Sino-Soviet Split, 1959–1973: A New History</cite>" in html
    assert "(Lexington Books, 2018)" in html
    assert html.count("<h1") == 1


def test_collapsed_panels_show_heading_and_first_sentence_only(client, seed_lesson):
    html = text_of(client.get(LESSON_URL))

    assert 'aria-expanded="false"' in html
    assert 'aria-expanded="true"' not in html
    assert "Reasons for Withdrawal" in html
    # The first sentence of the cause panel is shown; the rest waits for the panel to open.
    assert "The recall had several causes:" in html
    assert "Bucharest meeting" not in html
    assert f'href="{CAUSE_PANEL_URL}#reasons-for-withdrawal"' in html
    assert f'hx-get="{CAUSE_PANEL_URL}"' in html
    assert 'aria-controls="reasons-for-withdrawal-body"' in html
    assert '<div class="panel-body" id="reasons-for-withdrawal-body" hidden></div>' in html


def test_cause_and_impact_panels_are_labelled_not_only_coloured(client, seed_lesson):
    html = text_of(client.get(LESSON_URL))

    assert 'class="panel panel-cause" id="reasons-for-withdrawal"' in html
    assert 'class="panel panel-impact" id="impact-of-the-ussrs-withdrawal-from-china"' in html
    assert ">Cause<" in html and ">Impact<" in html


def test_expand_all_link_without_javascript_opens_every_panel(client, seed_lesson):
    html = text_of(client.get(LESSON_URL, {"expand": "all"}))

    assert 'aria-expanded="false"' not in html
    assert html.count('aria-expanded="true"') == 4
    assert "Bucharest meeting" in html
    assert "Nixon's visit to China in February 1972" in html


def test_lesson_page_query_count_does_not_grow_with_sections_and_readings(
    client, make_lesson, django_assert_num_queries
):
    make_lesson("small", panels=1, readings=1)
    make_lesson("large", panels=30, readings=10)

    with django_assert_num_queries(2):  # the lesson, its stored rendering
        small = client.get("/lessons/small/")
    with django_assert_num_queries(2):
        large = client.get("/lessons/large/")

    assert text_of(small).count('class="panel panel-cause"') == 1
    assert text_of(large).count('class="panel panel-cause"') == 30
    assert text_of(large).count("<cite>") == 10


# Panels: a fragment for htmx, the whole page otherwise


def test_panel_fragment_for_htmx_is_the_body_only(client, seed_lesson):
    response = client.get(CAUSE_PANEL_URL, headers={"HX-Request": "true"})

    html = text_of(response)
    assert response.status_code == 200
    assert "<html" not in html
    assert "Bucharest meeting of communist parties in June 1960" in html
    assert "<h1" not in html
    assert response["Vary"] and "HX-Request" in response["Vary"]


def test_panel_fragment_with_subpanels_holds_them_collapsed(client, seed_lesson):
    html = text_of(
        client.get(LESSON_URL + "panels/impact-of-the-ussrs-withdrawal-from-china/", headers={"HX-Request": "true"})
    )

    assert "Hundreds of projects were left unfinished" in html
    assert '<h3 class="panel-heading" id="shift-in-chinas-foreign-policy-heading">' in html
    assert html.count('aria-expanded="false"') == 2
    assert '<div class="panel-body" id="shift-in-chinas-foreign-policy-body" hidden></div>' in html
    assert "Ussuri river" not in html, "sub-panel bodies load when they are opened"


def test_panel_fragment_query_count_does_not_grow_with_sections(client, make_lesson, django_assert_num_queries):
    make_lesson("large", panels=30, readings=10)

    with django_assert_num_queries(1):  # the lesson with its stored rendering
        response = client.get("/lessons/large/panels/cause-7/", headers={"HX-Request": "true"})

    assert "Why 7." in text_of(response)


def test_panel_url_without_htmx_is_the_whole_lesson_with_that_panel_open(client, seed_lesson):
    response = client.get(CAUSE_PANEL_URL)

    html = text_of(response)
    assert response.status_code == 200
    assert "<html" in html
    assert "<h1>USSR&#x27;s Withdrawal from China</h1>" in html
    assert "Bucharest meeting of communist parties in June 1960" in html
    assert html.count('aria-expanded="true"') == 1
    assert '<div class="panel-body" id="reasons-for-withdrawal-body">' in html


def test_subpanel_url_opens_the_subpanel_and_its_parent(client, seed_lesson):
    html = text_of(client.get(SUBPANEL_URL))

    assert html.count('aria-expanded="true"') == 2
    assert "Ussuri river in March 1969" in html
    assert "turned a two-sided Cold War into a three-sided one" not in html


# Not found, drafts and methods


@pytest.mark.parametrize(
    "url",
    [
        "/lessons/no-such-lesson/",
        LESSON_URL + "panels/no-such-panel/",
        LESSON_URL + "panels/background-of-sino-soviet-relations/",  # a narrative section is not a panel
        "/no/such/page/",
    ],
)
def test_unknown_addresses_get_the_styled_404_page(client, seed_lesson, url):
    response = client.get(url)

    assert response.status_code == 404
    assert "We could not find that page" in text_of(response)
    assert "See all lessons" in text_of(response)


def test_unknown_panel_for_htmx_is_a_404(client, seed_lesson):
    response = client.get(LESSON_URL + "panels/no-such-panel/", headers={"HX-Request": "true"})

    assert response.status_code == 404


def test_draft_lessons_are_invisible_to_the_public(client, make_lesson):
    make_lesson("draft", status=Lesson.Status.DRAFT, panels=1)

    assert client.get("/lessons/draft/").status_code == 404
    assert client.get("/lessons/draft/panels/cause-1/").status_code == 404
    assert client.get("/lessons/draft/panels/cause-1/", headers={"HX-Request": "true"}).status_code == 404


def test_lesson_with_a_future_publish_time_is_not_yet_public(client, make_lesson):
    make_lesson("soon", published_at=timezone.now() + datetime.timedelta(hours=1))

    assert client.get("/lessons/soon/").status_code == 404


def test_pages_refuse_other_methods(client, seed_lesson):
    assert client.post(LESSON_URL).status_code == 405
    assert client.post(CAUSE_PANEL_URL, headers={"HX-Request": "true"}).status_code == 405


# Editor text is sanitised on the page


def test_editor_markup_cannot_inject_script_handlers_or_javascript_links(client, make_lesson):
    lesson = make_lesson("unsafe", panels=0, readings=0)
    lesson.sections.create(
        order=1,
        kind=Section.Kind.NARRATIVE,
        heading="<b>Bold heading</b>",
        body=(
            "<script>alert(1)</script>\n\n"
            '<img src=x onerror="alert(2)">\n\n'
            "[click me](javascript:alert(3)) and [safe](https://example.org)"
        ),
    )

    html = text_of(client.get("/lessons/unsafe/"))

    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<img" not in html
    assert 'href="javascript' not in html.lower()
    assert '<a href="https://example.org" rel="noopener noreferrer">safe</a>' in html
    assert "&lt;b&gt;Bold heading&lt;/b&gt;" in html


# Static files come from our own server


def test_htmx_is_served_from_our_static_files(client, seed_lesson):
    html = text_of(client.get(LESSON_URL))

    assert '<script src="/static/django_htmx/htmx-2.min.js" defer></script>' in html
    assert "//unpkg.com" not in html and "cdn." not in html


def test_server_error_page_says_what_happened_and_offers_a_way_back():
    from django.template.loader import render_to_string

    html = render_to_string("500.html")

    assert "Something went wrong on our side" in html
    assert 'href="/"' in html
