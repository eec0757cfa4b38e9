from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.utils.cache import patch_cache_control
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_safe
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import push_url

from .cache import cache_public_page, derived_from_content
from .citations import lesson_citations
from .models import Lesson, Topic
from .rendering import page_article, stored_panel, stored_rendering, with_rendering
from .search import find_lessons
from .timeline import NoSuchPage, timeline_page


@require_safe
@vary_on_headers("HX-Request")
@cache_public_page
def index(request: HttpRequest) -> HttpResponse:
    """Published lessons, found by words and filtered by topic; for htmx, only the results."""
    found = find_lessons(
        request.GET.get("q", ""),
        topics=[slug for kind in Topic.Kind.values for slug in request.GET.getlist(kind)],
        page=request.GET.get("page"),
    )
    # htmx asks for the whole page when it restores a page from history.
    results_only = request.htmx and not request.htmx.history_restore_request
    context = {"found": found}
    if not results_only and not found.filtered:
        # With no topic chosen, the filters are the same for everyone until the content changes.
        context["filters_html"] = derived_from_content(
            "index-filters", lambda: render_to_string("events/index.html#filters", context)
        )
    response = render(request, "events/index.html#results" if results_only else "events/index.html", context)
    if results_only and request.htmx.current_url_abs_path == request.get_full_path():
        # The browser shows this address already (Enter pressed while the typed words were on their
        # way, with htmx 4): the same results are no new step in the history.
        push_url(response, False)
    return response


@require_safe
@cache_public_page
def lesson(request: HttpRequest, slug: str) -> HttpResponse:
    if request.GET.get("expand") == "all":
        lesson = get_object_or_404(Lesson.objects.visible_to(request.user).for_page(), slug=slug)
        return _reading_view(request, lesson, open_panels={section.pk for section in lesson.all_panels})
    return _reading_view(request, with_rendering(slug, request.user), open_panels=set())


@require_safe
@vary_on_headers("HX-Request")
@cache_public_page(fragments=False)
def panel(request: HttpRequest, slug: str, anchor: str) -> HttpResponse:
    """A panel's body as a fragment for htmx; otherwise the whole lesson with that panel open."""
    if request.htmx:
        # Read from the lesson's stored rendering: a page-cache entry would save less than it costs.
        lesson, fragment = stored_panel(slug, anchor, request.user)
        return _private_if_draft(HttpResponse(fragment), lesson)
    lesson = get_object_or_404(Lesson.objects.visible_to(request.user).for_page(), slug=slug)
    section = lesson.find_panel(anchor)
    if section is None:
        raise Http404("This lesson has no panel at that address.")
    return _reading_view(request, lesson, open_panels={section.pk, section.parent_id})


@require_safe
@cache_public_page
def timeline(request: HttpRequest) -> HttpResponse:
    """All published lessons on a timeline, grouped by decade, at most settings.TIMELINE_PAGE_SIZE to a page."""
    try:
        page = timeline_page(request.GET.get("page", "1"), per_page=getattr(settings, "TIMELINE_PAGE_SIZE", 25))
    except NoSuchPage:
        raise Http404("The timeline has no page with that number.") from None
    return render(request, "events/timeline.html", vars(page))


@require_safe
@cache_public_page
def present(request: HttpRequest, slug: str) -> HttpResponse:
    """Projector mode: the lesson one step at a time, in large type; the step is in the URL (?step=3)."""
    lesson = get_object_or_404(Lesson.objects.visible_to(request.user).for_page(), slug=slug)
    # Step 0 is the key event and the last step "The end"; between them every section in reading order.
    sections = lesson.sections_in_page_order
    last_step = len(sections) + 1
    try:
        step = int(request.GET.get("step", 0))
    except ValueError:
        step = 0
    step = min(max(step, 0), last_step)
    section = sections[step - 1] if 0 < step < last_step else None
    parent = next((panel for panel in lesson.panels if section and panel.pk == section.parent_id), None)
    # Leaving returns to the reading view where this step is; a sub-panel sits inside its closed parent.
    place = parent or section
    leave_url = lesson.get_absolute_url() + (f"#{place.anchor}" if place else "")
    return _lesson_response(
        request,
        "events/present.html",
        lesson,
        step=step,
        last_step=last_step,
        section=section,
        parent=parent,
        leave_url=leave_url,
    )


def _reading_view(request: HttpRequest, lesson: Lesson, *, open_panels: set) -> HttpResponse:
    """The whole lesson page, with the given panels open."""
    return _lesson_response(
        request,
        "events/lesson.html",
        lesson,
        article=page_article(lesson, open_panels=open_panels),
        citations=lesson_citations(request, lesson),
        references=mark_safe(stored_rendering(lesson).references),  # noqa: S308 (rendered by our template)
    )


def _lesson_response(request: HttpRequest, template: str, lesson: Lesson, **context) -> HttpResponse:
    return _private_if_draft(render(request, template, {"lesson": lesson, **context}), lesson)


def _private_if_draft(response: HttpResponse, lesson: Lesson) -> HttpResponse:
    if not lesson.is_public:
        # A staff preview of a draft: never kept by a shared cache.
        patch_cache_control(response, private=True, no_store=True)
    return response
