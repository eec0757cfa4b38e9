"""A lesson's own text rendered when it is saved, so that a visit renders only what changes.

Most of a lesson page — the key event, the sections with key terms marked where the lesson first
uses them, the panels, the glossary, the readings — depends on the lesson's own rows alone. It is
rendered once after every write and kept in a LessonRendering: the page's body with every panel
closed, each panel's body as htmx fetches it, and the readings as references. A visit then reads
one row instead of nine queries' worth and renders only what depends on the visit or on other
lessons (topics, related lessons, citations with today's date).

Keeping it current. A write to a lesson or to any of the rows it shows (sections, evidence, key
terms, readings, questions, interpretations) — from the admin, the importer (its lesson.save()),
a revision restore (raw saves), the shell — schedules the lesson to be rendered once the
transaction commits, once however many rows changed. Saving the rendering is itself a write, so
the page cache's content version changes after it (events/cache.py), and no page rendered in
between is served again.

A rendering is also made when a page finds none (rows written without signals, e.g. by a backup
restore or raw SQL) or one made by other templates or settings (after an upgrade): renderer()
names what made it.
"""

import hashlib

from django.conf import settings
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver
from django.template.loader import get_template, render_to_string
from django.urls import get_script_prefix
from django.utils.safestring import SafeString, mark_safe

from .citations import reading_references
from .models import (
    DiscussionQuestion,
    Evidence,
    Interpretation,
    KeyTerm,
    Lesson,
    LessonRendering,
    Reading,
    Section,
)

TEMPLATE = "events/lesson.html"


def renderer() -> str:
    """What a rendering made now depends on besides the lesson: the template (as the template
    loader has it: changed by an upgrade, or by editing it under the development server), and the
    addresses its links and image start with."""
    source = get_template(TEMPLATE).template.source
    digest = hashlib.blake2b(f"{source}{get_script_prefix()}{settings.MEDIA_URL}".encode(), digest_size=24)
    return digest.hexdigest()


def stored_rendering(lesson: Lesson) -> LessonRendering:
    """The lesson's rendering, made now if it has none or one made by another renderer.
    `lesson` may come with its rendering (select_related("rendering")) to save a query."""
    try:
        rendering = lesson.rendering
    except LessonRendering.DoesNotExist:
        rendering = None
    if rendering is None or rendering.renderer != renderer():
        lesson.rendering = rendering = render(lesson.pk, only_if_outdated=True)
    return rendering


def page_body(lesson: Lesson, *, open_panels: set) -> SafeString:
    """The body of the lesson page: as stored with every panel closed, else rendered with these
    panels open (`lesson` must then come from Lesson.objects.for_rendering())."""
    if not open_panels:
        return mark_safe(stored_rendering(lesson).body)  # noqa: S308 (rendered by our template)
    return render_to_string(f"{TEMPLATE}#lesson-body", {"lesson": lesson, "open_panels": open_panels})


def render(lesson_id: int, *, only_if_outdated: bool = False) -> LessonRendering | None:
    """Render the lesson as its rows now are and store it; None if the lesson is gone.

    only_if_outdated: a page making a missing rendering keeps what it made only if no writer
    stored one meanwhile (the writer's saw the newer rows)."""
    lesson = Lesson.objects.for_rendering().filter(pk=lesson_id).first()
    if lesson is None:
        return None
    rendering = LessonRendering(
        lesson=lesson,
        renderer=renderer(),
        body=render_to_string(f"{TEMPLATE}#lesson-body", {"lesson": lesson, "open_panels": set()}),
        references=render_to_string(
            f"{TEMPLATE}#references", {"reading_references": reading_references(lesson.readings.all())}
        ),
        panels={
            section.anchor: render_to_string(
                f"{TEMPLATE}#panel-body", {"lesson": lesson, "section": section, "open_panels": set()}
            )
            for section in lesson.all_panels
        },
    )
    if only_if_outdated:
        fields = {name: getattr(rendering, name) for name in ("renderer", "body", "references", "panels")}
        outdated = LessonRendering.objects.filter(pk=lesson_id).exclude(renderer=rendering.renderer)
        if not outdated.update(**fields):
            LessonRendering.objects.bulk_create([rendering], ignore_conflicts=True)
    else:
        rendering.save()
    return rendering


# Keeping renderings current.

_LESSON_OF = {
    Lesson: lambda lesson: lesson.pk,
    Section: lambda section: section.lesson_id,
    Reading: lambda reading: reading.lesson_id,
    KeyTerm: lambda term: term.lesson_id,
    DiscussionQuestion: lambda question: question.lesson_id,
    Interpretation: lambda interpretation: interpretation.lesson_id,
    Evidence: lambda evidence: (
        Section.objects.filter(pk=evidence.section_id).values_list("lesson_id", flat=True).first()
    ),
}


@receiver(post_save)
@receiver(post_delete)
def _lesson_text_changed(sender, instance, **kwargs) -> None:
    if sender in _LESSON_OF and (lesson_id := _LESSON_OF[sender](instance)) is not None:
        render_after_commit(lesson_id)


def render_after_commit(lesson_id: int) -> None:
    """Render the lesson once the current transaction commits (now, outside one); once per
    transaction, however many of its rows the transaction writes.

    Until then its rendering is marked outdated, in the same transaction as the write: a page read
    after the commit but before the new rendering is stored renders one of its own."""
    connection = transaction.get_connection()
    waiting = connection.__dict__.get("lessons_to_render")
    # A new one for the transaction's first write: the last one ran, or a rollback dropped it from
    # the connection's commit hooks.
    new = waiting is None or waiting.ran or not any(hook is waiting for _, hook, _ in connection.run_on_commit)
    if new:
        waiting = connection.__dict__["lessons_to_render"] = _LessonsToRender()
    elif lesson_id in waiting.lessons:
        return
    LessonRendering.objects.filter(pk=lesson_id).update(renderer="")
    waiting.lessons.add(lesson_id)
    if new:
        transaction.on_commit(waiting)


class _LessonsToRender:
    """The lessons one transaction wrote, rendered when it commits."""

    def __init__(self) -> None:
        self.lessons: set[int] = set()
        self.ran = False

    def __call__(self) -> None:
        self.ran = True
        for lesson_id in sorted(self.lessons):
            render(lesson_id)
