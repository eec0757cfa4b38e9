"""The lesson page's classroom parts: key terms, evidence, interpretations, questions, related lessons."""

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from events.models import Lesson, Section, Topic

from .conftest import text_of

pytestmark = pytest.mark.django_db

LESSON_URL = "/lessons/ussrs-withdrawal-from-china/"


@pytest.fixture
def lesson(seed_lesson):
    seed_lesson.key_terms.all().delete()  # the terms these tests mark, not the shipped ones
    seed_lesson.key_terms.create(term="Five-Year Plan", definition="A government's plan for the economy's growth.")
    seed_lesson.key_terms.create(term="Bucharest", definition="The capital of Romania.")
    seed_lesson.key_terms.create(term="Polemics", definition="Public written attacks.")
    return seed_lesson


def test_first_use_of_each_key_term_is_marked_once_with_its_definition(client, lesson):
    html = text_of(client.get(LESSON_URL))

    # "Five-Year Plan" first appears in the Background section, which is always on the page.
    assert html.count('class="term-link" href="#term-five-year-plan"') == 1
    assert (
        '<span class="term-definition" role="tooltip" id="term-five-year-plan-definition">'
        "A government&#x27;s plan for the economy&#x27;s growth.</span>"
    ) in html
    assert 'aria-describedby="term-five-year-plan-definition">Five-Year Plan</a>' in html


def test_a_term_first_used_inside_a_panel_is_marked_when_the_panel_opens(client, lesson):
    page = text_of(client.get(LESSON_URL))
    fragment = text_of(client.get(LESSON_URL + "panels/reasons-for-withdrawal/", headers={"HX-Request": "true"}))

    assert 'href="#term-bucharest"' not in page
    assert fragment.count('href="#term-bucharest"') == 1


def test_the_glossary_lists_every_term_with_an_anchor(client, lesson):
    html = text_of(client.get(LESSON_URL))

    assert '<h2 id="glossary-heading">Glossary</h2>' in html
    assert '<dt id="term-polemics">Polemics</dt><dd>Public written attacks.</dd>' in html


def test_definitions_and_terms_from_editors_are_escaped(client, lesson):
    lesson.key_terms.create(term="Khrushchev", definition='<script>alert("x")</script>')

    html = text_of(client.get(LESSON_URL))

    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html


def test_evidence_is_listed_under_how_do_we_know(client, seed_lesson):
    section = seed_lesson.sections.get(anchor="background-of-sino-soviet-relations")
    section.evidence.create(
        title="Soviet note recalling the experts", date="16 July 1960", source="Wilson Center Digital Archive"
    )

    html = text_of(client.get(LESSON_URL))

    assert "<summary>How do we know?</summary>" in html
    assert "<cite>Soviet note recalling the experts</cite> (16 July 1960), Wilson Center Digital Archive" in html


def test_interpretations_questions_and_related_lessons_are_shown(client, seed_lesson, make_lesson):
    seed_lesson.interpretations.create(
        order=1,
        historian="Lorenz M. Lüthi",
        work="The Sino-Soviet Split: Cold War in the Communist World",
        argument="Ideology drove the split.",
    )
    seed_lesson.questions.create(order=1, question="Why did Moscow recall its experts in 1960?")
    later = make_lesson("the-border-clashes", title="The Border Clashes", event_date="1969-03-02")
    draft = make_lesson("a-draft", title="A Draft Lesson", status=Lesson.Status.DRAFT)
    seed_lesson.relations.create(related=later, relation="led_to", order=1)
    seed_lesson.relations.create(related=draft, relation="see_also", order=2)

    html = text_of(client.get(LESSON_URL))

    assert "Historians disagree" in html
    assert "Lorenz M. Lüthi, <cite>The Sino-Soviet Split: Cold War in the Communist World</cite>" in html
    assert "<li>Why did Moscow recall its experts in 1960?</li>" in html
    assert '<a href="/lessons/the-border-clashes/">The Border Clashes</a>' in html
    assert "Led to:" in html
    assert "A Draft Lesson" not in html, "a link to an unpublished lesson would be a dead end"


def test_topics_link_to_the_filtered_index(client, seed_lesson):
    seed_lesson.topics.add(Topic.objects.get_or_create(kind="region", name="East Asia", slug="east-asia")[0])

    html = text_of(client.get(LESSON_URL))

    assert '<a href="/?region=east-asia"><span class="visually-hidden">Region: </span>East Asia</a>' in html


def test_an_image_needs_a_description_and_a_credit(make_lesson, tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path
    lesson = make_lesson()
    lesson.image = SimpleUploadedFile("map.png", b"\x89PNG\r\n\x1a\n", content_type="image/png")

    with pytest.raises(ValidationError) as error:
        lesson.full_clean()

    assert "Describe what the image shows" in str(error.value)
    assert "Say who made the image" in str(error.value)


def test_a_lesson_cannot_be_related_to_itself(seed_lesson):
    from django.db import IntegrityError

    with pytest.raises(IntegrityError):
        seed_lesson.relations.create(related=seed_lesson)


def test_section_display_html_falls_back_to_its_body(make_lesson):
    section = make_lesson(panels=1).sections.get()

    assert Section.objects.get(pk=section.pk).display_html == section.body_html
