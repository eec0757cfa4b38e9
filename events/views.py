from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from .models import Lesson


@require_GET
def index(request: HttpRequest) -> HttpResponse:
    lessons = Lesson.objects.published().for_index()
    return render(request, "events/index.html", {"lessons": lessons})


@require_GET
def lesson(request: HttpRequest, slug: str) -> HttpResponse:
    lesson = get_object_or_404(Lesson.objects.visible_to(request.user).for_page(), slug=slug)
    expand_all = request.GET.get("expand") == "all"
    open_panels = {section.pk for section in lesson.all_panels} if expand_all else set()
    return _lesson_response(request, "events/lesson.html", lesson, open_panels=open_panels)


@require_GET
@vary_on_headers("HX-Request")
def panel(request: HttpRequest, slug: str, anchor: str) -> HttpResponse:
    """A panel's body as a fragment for htmx; otherwise the whole lesson with that panel open."""
    lessons = Lesson.objects.visible_to(request.user)
    lesson = get_object_or_404(lessons.with_sections() if request.htmx else lessons.for_page(), slug=slug)
    section = lesson.find_panel(anchor)
    if section is None:
        raise Http404("This lesson has no panel at that address.")
    if request.htmx:
        return _lesson_response(request, "events/lesson.html#panel-body", lesson, section=section, open_panels=set())
    return _lesson_response(request, "events/lesson.html", lesson, open_panels={section.pk, section.parent_id})


@require_GET
def timeline(request: HttpRequest) -> HttpResponse:
    """All published lessons on a timeline, grouped by decade."""
    raise Http404("The timeline is not built yet.")


@require_GET
def present(request: HttpRequest, slug: str) -> HttpResponse:
    """Projector mode: the lesson one step at a time, in large type."""
    raise Http404("Projector mode is not built yet.")


def _lesson_response(request: HttpRequest, template: str, lesson: Lesson, **context) -> HttpResponse:
    response = render(request, template, {"lesson": lesson, **context})
    if not lesson.is_public:
        # A staff preview of a draft: never kept by a shared cache.
        patch_cache_control(response, private=True, no_store=True)
    return response
