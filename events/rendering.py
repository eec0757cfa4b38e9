"""A lesson's page rendered when the lesson is saved, so that a visit renders only what changes.

Most of a lesson page — its header and topics, the key event, the sections with key terms marked
where the lesson first uses them, the panels, the glossary, the readings, the related lessons —
depends only on the lesson's rows and on the lessons it links to. It is rendered after every
write and kept in a LessonRendering: the page's article with every panel closed, each panel's body
as htmx fetches it, and the readings as references; and its entries in the index and the timeline. A
visit reads the lesson and its rendering and renders only what depends on the visit: the draft
banner, and the citations with its address and today's date.

Keeping it current. A write to a lesson or to a row its page shows (sections, evidence, key terms,
readings, questions, interpretations, related lessons, its topics) — from the admin, the importer
(its lesson.save()), a revision restore (raw saves), the shell — marks the rendering outdated in
the same transaction and renders the lesson again once the transaction commits, once however many
rows it wrote. A lesson's own save does the same for the lessons that link to it (its title, date,
address or status shows there). Saving a rendering is itself a write, so the page cache's content
version changes after it (events/cache.py), and no page made in between is served again.

A page that finds its rendering outdated renders it itself: a topic renamed or deleted (its many
lessons are rendered by their next visits, not by the admin's request), rows written without
signals (a backup restore, raw SQL), a rendering made by other templates or settings (after an
upgrade; renderer() names what made it), or one made before a related lesson's publish time came.
"""

import functools
import hashlib
import json
import multiprocessing
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.conf import settings
from django.db import connection, connections, transaction
from django.db.models import Min
from django.db.models.signals import m2m_changed, post_delete, post_save, pre_delete
from django.dispatch import receiver
from django.http import Http404
from django.template.loader import get_template, render_to_string
from django.urls import get_script_prefix
from django.utils import timezone
from django.utils.html import escape
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
    RelatedLesson,
    Section,
    Topic,
    may_see,
)

TEMPLATE = "events/lesson.html"
CARD = "events/index.html#card"
TIMELINE_ENTRY = "events/timeline.html#entry"
# The card is kept with its title and key event each between two HTML comments, which editors' text
# cannot hold (it is escaped): the index shows the card as it is, and a search puts its own title and
# text, with its words marked, in their place. So both lists show the stored card.
TITLE_START, TITLE_END, TEXT_START, TEXT_END = "<!--title-->", "<!--/title-->", "<!--text-->", "<!--/text-->"
CARD_MARKS = (TITLE_START, TITLE_END, TEXT_START, TEXT_END)


def renderer() -> str:
    """What a rendering made now depends on besides the lesson: the templates (as the template
    loader has them: changed by an upgrade, or by editing them under the development server), and
    the addresses its links and image start with."""
    templates = tuple(get_template(name.partition("#")[0]).template for name in (TEMPLATE, CARD, TIMELINE_ENTRY))
    return _renderer(templates, get_script_prefix(), settings.MEDIA_URL)


@functools.lru_cache(maxsize=8)
def _renderer(templates: tuple, script_prefix: str, media_url: str) -> str:
    # Worked out once for the templates the loader holds (a template changed is a new one).
    sources = "".join(template.source for template in templates)
    form = "".join(CARD_MARKS)  # where a stored card's title and text are
    return hashlib.blake2b(f"{sources}{form}{script_prefix}{media_url}".encode(), digest_size=24).hexdigest()


def with_rendering(slug: str, user) -> Lesson:
    """The lesson at this address that the user may see, with its stored rendering; Http404 if
    there is none.

    Written out, and the lesson's visibility checked on its row: Django takes longer to build a
    query for a published lesson and its rendering than the database takes to run it (0.5 ms
    against 0.1 on SQLite), and a lesson page needs nothing else."""
    lesson = next(iter(Lesson.objects.raw("SELECT * FROM events_lesson WHERE slug = %s", [slug])), None)
    if lesson is None or not may_see(lesson, user):
        raise Http404("No lesson has this address.")
    rendering = LessonRendering.objects.raw("SELECT * FROM events_lessonrendering WHERE lesson_id = %s", [lesson.pk])
    lesson.rendering = next(iter(rendering), None)
    return lesson


def stored_panel(slug: str, anchor: str, user) -> tuple[Lesson, str]:
    """The body of a panel of the lesson at this address that the user may see, as htmx fetches
    it, and the lesson (only what says who may see it); Http404 if there is none. One query, for the
    same reason as above."""
    found = Lesson.objects.raw(
        "SELECT events_lesson.id, events_lesson.status, events_lesson.published_at, stored.renderer AS stored_by, "
        "stored.panels AS stored_panels FROM events_lesson "
        "LEFT JOIN events_lessonrendering stored ON stored.lesson_id = events_lesson.id WHERE slug = %s",
        [slug],
    )
    lesson = next(iter(found), None)
    if lesson is None or not may_see(lesson, user):
        raise Http404("No lesson has this address.")
    if lesson.stored_by == renderer():
        panels = lesson.stored_panels
        panels = json.loads(panels) if isinstance(panels, str) else panels  # text on SQLite
    else:
        panels = stored_rendering(lesson).panels
    if anchor not in panels:
        raise Http404("This lesson has no panel at that address.")
    return lesson, panels[anchor]


def stored_rendering(lesson: Lesson) -> LessonRendering:
    """The lesson's rendering, made now if it has none or an outdated one. `lesson` may come with
    its rendering (with_rendering()) to save a query."""
    try:
        rendering = lesson.rendering
    except LessonRendering.DoesNotExist:
        rendering = None
    if rendering is None or not _is_current(rendering):
        rendering = render(lesson.pk, only_if_outdated=True)
        if rendering is None:  # deleted since it was read
            raise Http404("No lesson has this address.")
        lesson.rendering = rendering
    return rendering


def _is_current(rendering: LessonRendering) -> bool:
    return rendering.renderer == renderer() and (rendering.expires_at is None or rendering.expires_at > timezone.now())


def page_article(lesson: Lesson, *, open_panels: set) -> SafeString:
    """The lesson page's article: as stored with every panel closed, else rendered with these
    panels open (`lesson` must then come from Lesson.objects.for_page())."""
    if not open_panels:
        return mark_safe(stored_rendering(lesson).article)  # noqa: S308 (rendered by our template)
    return render_to_string(f"{TEMPLATE}#article", {"lesson": lesson, "open_panels": open_panels})


def render(lesson_id: int, *, only_if_outdated: bool = False) -> LessonRendering | None:
    """Render the lesson as its rows now are and store it; None if the lesson is gone.

    only_if_outdated: a page that renders an outdated rendering keeps it only if no writer has
    stored a current one meanwhile (the writer's saw the newer rows)."""
    lesson = Lesson.objects.for_page().filter(pk=lesson_id).first()
    if lesson is None:
        return None
    rendering = _rendering_of(lesson, expires_at=_first_publish_times_to_come([lesson_id]).get(lesson_id))
    if only_if_outdated:
        fields = {name: getattr(rendering, name) for name in STORED}
        outdated = LessonRendering.objects.filter(pk=lesson_id).exclude(renderer=rendering.renderer)
        if not outdated.update(**fields):
            LessonRendering.objects.bulk_create([rendering], ignore_conflicts=True)
    else:
        rendering.save()
    return rendering


def render_many(lesson_ids: list[int], *, batch: int = 200) -> None:
    """Render these lessons and store them, a batch at a time: for lessons written in bulk, without
    signals (import_lesson, bench/generator.py). Several batches, outside a transaction, are shared
    among a process for each core: rendering lessons takes longer than writing them."""
    processes = min(os.cpu_count() or 1, 4, len(lesson_ids) // batch)
    # Other processes could not see rows not yet committed, nor an SQLite database in memory; and a
    # process forked while other threads run (a test's live server) can deadlock on a lock they held.
    alone = (
        connection.in_atomic_block
        or (connection.vendor == "sqlite" and connection.is_in_memory_db())
        or threading.active_count() > 1
    )
    if processes < 2 or alone:
        _render_batches(lesson_ids, batch)
        return
    connections.close_all()  # each process opens its own
    with multiprocessing.get_context("fork").Pool(processes) as pool:
        pool.starmap(_render_share, [(lesson_ids[index::processes], batch) for index in range(processes)])


def _render_batches(lesson_ids: list[int], batch: int) -> None:
    for start in range(0, len(lesson_ids), batch):
        ids = lesson_ids[start : start + batch]
        expiries = _first_publish_times_to_come(ids)
        LessonRendering.objects.bulk_create(
            [
                _rendering_of(lesson, expires_at=expiries.get(lesson.pk))
                for lesson in Lesson.objects.for_page().filter(pk__in=ids)
            ],
            update_conflicts=True,
            unique_fields=["lesson"],
            update_fields=STORED,
        )


def _render_share(lesson_ids: list[int], batch: int) -> None:
    """One process's share of render_many()."""
    _render_batches(lesson_ids, batch)
    connections.close_all()


STORED = ["renderer", "article", "references", "panels", "card", "timeline_entry", "expires_at"]


def _rendering_of(lesson: Lesson, *, expires_at) -> LessonRendering:
    """The rendering of a lesson from Lesson.objects.for_page(), not saved."""
    return LessonRendering(
        lesson=lesson,
        renderer=renderer(),
        article=render_to_string(f"{TEMPLATE}#article", {"lesson": lesson, "open_panels": set()}),
        references=render_to_string(
            f"{TEMPLATE}#references", {"reading_references": reading_references(lesson.readings.all())}
        ),
        panels={
            section.anchor: render_to_string(
                f"{TEMPLATE}#panel-body", {"lesson": lesson, "section": section, "open_panels": set()}
            )
            for section in lesson.all_panels
        },
        card=render_to_string(
            CARD,
            {
                "lesson": lesson,
                "card_title": SafeString(f"{TITLE_START}{escape(lesson.title)}{TITLE_END}"),
                "card_text": SafeString(f"{TEXT_START}{escape(lesson.summary)}{TEXT_END}"),
            },
        ),
        timeline_entry=render_to_string(TIMELINE_ENTRY, {"lesson": lesson}),
        expires_at=expires_at,
    )


def _first_publish_times_to_come(lesson_ids: list[int]) -> dict:
    """For each of these lessons that links to lessons scheduled to be published, the first of their
    publish times: until then its rendering lists none of them."""
    scheduled = RelatedLesson.objects.filter(
        lesson__in=lesson_ids, related__status=Lesson.Status.PUBLISHED, related__published_at__gt=timezone.now()
    )
    return dict(scheduled.values("lesson").annotate(first=Min("related__published_at")).values_list("lesson", "first"))


def filled_card(card: str, title_html: str, text_html: str) -> SafeString:
    """A stored card with other HTML for its title and text: a search's, with its words marked."""
    before_title, _, rest = card.partition(TITLE_START)
    before_text, _, rest = rest.partition(TITLE_END)[2].partition(TEXT_START)
    return SafeString(f"{before_title}{title_html}{before_text}{text_html}{rest.partition(TEXT_END)[2]}")


# Keeping renderings current.

_LESSON_OF = {
    Lesson: lambda lesson: lesson.pk,
    Section: lambda section: section.lesson_id,
    Reading: lambda reading: reading.lesson_id,
    KeyTerm: lambda term: term.lesson_id,
    DiscussionQuestion: lambda question: question.lesson_id,
    Interpretation: lambda interpretation: interpretation.lesson_id,
    RelatedLesson: lambda relation: relation.lesson_id,
    Evidence: lambda evidence: (
        Section.objects.filter(pk=evidence.section_id).values_list("lesson_id", flat=True).first()
    ),
}


@receiver(post_save)
@receiver(post_delete)
def _lesson_text_changed(sender, instance, **kwargs) -> None:
    if sender in _LESSON_OF and (lesson_id := _LESSON_OF[sender](instance)) is not None:
        render_after_commit(lesson_id)
    if sender is Lesson and kwargs.get("created") is False:
        # Its title, date, address or status shows on the pages of the lessons that link to it.
        for linking in RelatedLesson.objects.filter(related=instance.pk).values_list("lesson_id", flat=True):
            render_after_commit(linking)


@receiver(m2m_changed, sender=Lesson.topics.through)
def _topics_changed(sender, instance, action, reverse, pk_set, **kwargs) -> None:
    if action not in {"post_add", "post_remove", "pre_clear"}:
        return
    if not reverse:
        render_after_commit(instance.pk)
    elif pk_set is None:  # topic.lessons.clear()
        _outdate_lessons_of(instance)
    else:
        for lesson_id in pk_set:
            render_after_commit(lesson_id)


@receiver(post_save, sender=Topic)
@receiver(pre_delete, sender=Topic)
def _topic_changed(sender, instance, **kwargs) -> None:
    _outdate_lessons_of(instance)


def _outdate_lessons_of(topic: Topic) -> None:
    """Leave the lessons with this topic to be rendered again by their next visits: there may be
    thousands, too many to render in one request."""
    LessonRendering.objects.filter(lesson__topics=topic).update(renderer="")


@contextmanager
def rendered_together() -> Iterator[None]:
    """Lessons written within are rendered together as it ends (render_many: a batch costs a third
    of rendering each alone), not each as its transaction commits: for commands that write many
    lessons, such as import_lesson. Each is marked outdated meanwhile, as below."""
    together = _rendered_together.set(set())
    try:
        yield
    finally:
        lesson_ids = _rendered_together.get()
        _rendered_together.reset(together)
        render_many(sorted(lesson_ids))


_rendered_together: ContextVar[set[int] | None] = ContextVar("rendered_together", default=None)


def render_after_commit(lesson_id: int) -> None:
    """Render the lesson once the current transaction commits (now, outside one); once per
    transaction, however many of its rows the transaction writes.

    Until then its rendering is marked outdated, in the same transaction as the write: a page read
    after the commit but before the new rendering is stored renders one of its own."""
    if (together := _rendered_together.get()) is not None:
        if lesson_id not in together:
            LessonRendering.objects.filter(pk=lesson_id).update(renderer="")
            together.add(lesson_id)
        return
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
        # robust: the writes are committed whatever happens here; a failure is logged, and the
        # lesson's next visit renders it.
        transaction.on_commit(waiting, robust=True)


class _LessonsToRender:
    """The lessons one transaction wrote, rendered when it commits."""

    def __init__(self) -> None:
        self.lessons: set[int] = set()
        self.ran = False

    def __call__(self) -> None:
        self.ran = True
        for lesson_id in sorted(self.lessons):
            render(lesson_id)
