"""Projector mode: a lesson one step at a time, the step in the URL."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from events.models import Lesson, Section

from .conftest import text_of

pytestmark = pytest.mark.django_db

LESSON_URL = "/lessons/ussrs-withdrawal-from-china/"
PRESENT_URL = LESSON_URL + "present/"

# The seed lesson's steps: (heading on screen, a phrase of its text, the anchor Leave goes to).
SEED_STEPS = [
    ("USSR&#x27;s Withdrawal from China", "On 16 July 1960 the Soviet government told China", ""),
    ("Background of Sino-Soviet Relations", "Treaty of Friendship", "#background-of-sino-soviet-relations"),
    ("Reasons for Withdrawal", "Bucharest meeting", "#reasons-for-withdrawal"),
    (
        "Impact of the USSR&#x27;s Withdrawal from China",
        "Hundreds of projects were left unfinished",
        "#impact-of-the-ussrs-withdrawal-from-china",
    ),
    # Sub-panels have no place of their own on the reading page until their parent opens.
    ("Shift in China&#x27;s Foreign Policy", "Ussuri river", "#impact-of-the-ussrs-withdrawal-from-china"),
    ("Consequences for the Cold War", "President Nixon", "#impact-of-the-ussrs-withdrawal-from-china"),
    (
        "Interesting Facts about the USSR&#x27;s Withdrawal",
        "343 contracts",
        "#interesting-facts-about-the-ussrs-withdrawal",
    ),
    ("The end", "Back to the lesson", ""),
]
LAST_STEP = len(SEED_STEPS) - 1


def main_of(html: str) -> str:
    return html[html.index("<main") : html.index("</main>")]


def slide_of(html: str) -> str:
    """The step's own content, without the lesson title strip and the controls."""
    return html[html.index('<div class="slide') : html.index('<nav class="present-controls"')]


def test_step_zero_shows_the_title_date_and_key_event_only(client, seed_lesson):
    response = client.get(PRESENT_URL)

    html = text_of(response)
    assert response.status_code == 200
    assert "<h1>USSR&#x27;s Withdrawal from China</h1>" in html
    assert '<time datetime="1960-07-16">16 July 1960</time>' in html
    assert "On 16 July 1960 the Soviet government told China" in html
    assert "Background of Sino-Soviet Relations" not in html
    assert "Bucharest" not in html
    assert "<title>Key event · Step 1 of 8 · USSR&#x27;s Withdrawal from China</title>" in html
    assert html.count("<h1") == 1
    assert '<p class="present-progress" role="status">Step 1 of 8</p>' in html


@pytest.mark.parametrize("step", range(len(SEED_STEPS)))
def test_each_step_shows_its_own_section_and_no_other(client, seed_lesson, step):
    heading, phrase, _ = SEED_STEPS[step]

    html = text_of(client.get(PRESENT_URL, {"step": step}))

    slide = slide_of(html)
    assert f">{heading}</h" in slide
    assert phrase in slide
    for other, (other_heading, other_phrase, _) in enumerate(SEED_STEPS):
        if other != step:
            assert other_phrase not in main_of(html), f"step {step} also shows step {other}"
            assert f">{other_heading}</h" not in slide, f"step {step} also shows step {other}"
    assert f"Step {step + 1} of {len(SEED_STEPS)}" in html
    assert html.count("<h1") == 1


def test_cause_and_impact_steps_are_labelled_and_sub_panels_name_their_panel(client, seed_lesson):
    cause = slide_of(text_of(client.get(PRESENT_URL, {"step": 2})))
    subpanel = slide_of(text_of(client.get(PRESENT_URL, {"step": 4})))
    fun_fact = slide_of(text_of(client.get(PRESENT_URL, {"step": 6})))

    assert 'class="slide slide-cause"' in cause and ">Cause</span>" in cause
    assert 'class="slide slide-impact"' in subpanel and ">Impact</span>" in subpanel
    assert "Part of: Impact of the USSR&#x27;s Withdrawal from China" in subpanel
    assert "Fun fact" in fun_fact


@pytest.mark.parametrize("step", range(len(SEED_STEPS)))
def test_previous_and_next_are_links_to_the_steps_beside_and_leave_returns_to_the_reading_view(
    client, seed_lesson, step
):
    html = text_of(client.get(PRESENT_URL, {"step": step}))

    if step > 0:
        assert f'rel="prev" href="{PRESENT_URL}?step={step - 1}"' in html
    else:
        assert 'rel="prev"' not in html
        assert '<a class="present-button" role="link" aria-disabled="true">Previous</a>' in html
    if step < LAST_STEP:
        assert f'rel="next" href="{PRESENT_URL}?step={step + 1}"' in html
    else:
        assert 'rel="next"' not in html
    anchor = SEED_STEPS[step][2]
    assert f'class="present-button present-leave" href="{LESSON_URL}{anchor}"' in html


def test_the_end_links_back_to_the_lesson_and_to_the_start(client, seed_lesson):
    html = slide_of(text_of(client.get(PRESENT_URL, {"step": LAST_STEP})))

    assert "<h2>The end</h2>" in html
    assert f'<a href="{LESSON_URL}">Back to the lesson</a>' in html
    assert f'<a href="{PRESENT_URL}?step=0">Start again</a>' in html


def test_home_and_end_keys_have_their_destinations_in_the_page(client, seed_lesson):
    html = text_of(client.get(PRESENT_URL, {"step": 3}))

    assert f'<link rel="first" href="{PRESENT_URL}?step=0">' in html
    assert f'<link rel="last" href="{PRESENT_URL}?step={LAST_STEP}">' in html


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("", 0),
        ("abc", 0),
        ("1.5", 0),
        ("0x2", 0),
        ("<script>alert(1)</script>", 0),
        ("9" * 5000, 0),  # longer than Python will read as a number
        ("-1", 0),
        ("-999999", 0),
        (str(LAST_STEP + 1), LAST_STEP),
        ("999999999999999999999999", LAST_STEP),
        (" 3 ", 3),
    ],
)
def test_junk_and_out_of_range_steps_show_the_nearest_step(client, seed_lesson, value, shown):
    response = client.get(PRESENT_URL, {"step": value})

    html = text_of(response)
    assert response.status_code == 200
    assert SEED_STEPS[shown][1] in slide_of(html)
    assert f"Step {shown + 1} of {len(SEED_STEPS)}" in html
    assert "<script>alert" not in html


def test_a_lesson_with_nothing_but_its_key_event_has_a_start_and_an_end(client, make_lesson):
    make_lesson("bare", panels=0, readings=0, summary="Only this.")

    start = text_of(client.get("/lessons/bare/present/"))
    end = text_of(client.get("/lessons/bare/present/", {"step": 5}))

    assert "Only this." in start and "Step 1 of 2" in start
    assert "<h2>The end</h2>" in end and "Step 2 of 2" in end


def test_drafts_are_not_found_by_the_public_and_presented_to_staff_unshared(client, editor_client, make_lesson):
    make_lesson("draft", status=Lesson.Status.DRAFT, panels=1)

    assert client.get("/lessons/draft/present/").status_code == 404
    assert client.get("/lessons/draft/present/", {"step": 1}).status_code == 404

    response = editor_client.get("/lessons/draft/present/", {"step": 1})

    assert response.status_code == 200
    assert "Cause 1" in slide_of(text_of(response))
    assert "Draft preview" in text_of(response)
    assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]


def test_unknown_lesson_is_not_found(client, db):
    assert client.get("/lessons/no-such-lesson/present/").status_code == 404


def test_projector_mode_refuses_other_methods(client, seed_lesson):
    assert client.post(PRESENT_URL).status_code == 405


def test_editor_markup_is_sanitised_and_headings_escaped_on_the_projector(client, make_lesson):
    lesson = make_lesson("unsafe", panels=0, readings=0, title="<i>Title</i>")
    lesson.sections.create(
        order=1,
        kind=Section.Kind.NARRATIVE,
        heading="<b>Bold heading</b>",
        body='<script>alert(1)</script>\n\n<img src=x onerror="alert(2)">\n\n[click](javascript:alert(3))',
    )

    html = text_of(client.get("/lessons/unsafe/present/", {"step": 1}))

    assert "<script>alert" not in html
    assert "<img" not in html
    assert 'href="javascript' not in html.lower()
    assert "&lt;b&gt;Bold heading&lt;/b&gt;" in html
    assert "&lt;i&gt;Title&lt;/i&gt;" in html


def test_projector_page_loads_its_own_styles_and_script(client, seed_lesson):
    html = text_of(client.get(PRESENT_URL))

    assert '<link rel="stylesheet" href="/static/css/present.css">' in html
    assert '<script src="/static/js/present.js" defer></script>' in html
    assert '<nav class="present-controls" aria-label="Presentation">' in html
    assert '<main id="main"' in html and 'href="#main"' in html


def test_query_count_does_not_grow_with_sections(client, make_lesson, django_assert_num_queries):
    make_lesson("small", panels=3, readings=1)
    make_lesson("large", panels=30, readings=10)
    with CaptureQueriesContext(connection) as small:
        client.get("/lessons/small/present/", {"step": 2})

    with django_assert_num_queries(len(small.captured_queries)):
        large = client.get("/lessons/large/present/", {"step": 20})

    assert "Cause 20" in slide_of(text_of(large))
    assert "Step 21 of 32" in text_of(large)
