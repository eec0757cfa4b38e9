"""Caching the public pages, and keeping them fresh.

Every cached page is keyed on the content version: a random token kept in the shared cache with
the publish times still to come. Any write to an events model (a save, raw saves of a revision
restore included, a delete, a change of a lesson's topics, a migration or flush) replaces the
version, so every page cached before it is never read again, on every app server that shares the
cache. A scheduled lesson's time arriving needs no write: the key also counts the publish times
that have passed, so it changes by itself when one does.

Pages are cached for the public only: a signed-in user (staff previewing drafts) is neither served
a cached page nor has theirs kept. A page rendered inside a transaction may show rows that are not
committed (and may never be), so it is not kept either.
"""

import functools
import hashlib
import uuid
from collections.abc import Callable

from django.apps import apps
from django.core.cache import cache
from django.db import connection, transaction
from django.db.models.signals import m2m_changed, post_delete, post_migrate, post_save
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

STATE_KEY = "events:content-version"
PAGE_TIMEOUT = 24 * 3600  # pages of an old version expire unread


def bump_content_version() -> None:
    """Make every cached page stale: now, and again once the current transaction commits (a page
    read in between saw the rows as they were before)."""
    cache.delete(STATE_KEY)
    transaction.on_commit(lambda: cache.delete(STATE_KEY), robust=True)


@receiver(post_save)
@receiver(post_delete)
@receiver(m2m_changed)
def _content_changed(sender, **kwargs) -> None:
    if sender._meta.app_label == "events":
        bump_content_version()


@receiver(post_migrate)
def _database_changed(sender, **kwargs) -> None:
    bump_content_version()


def cache_public_page(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Serve the view's GET responses from the cache to the public, keyed on the content version,
    the full address and what htmx asked for."""

    @functools.wraps(view)
    def cached_view(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if request.method != "GET" or request.user.is_authenticated or connection.in_atomic_block:
            return view(request, *args, **kwargs)
        key = _page_key(request)
        response = cache.get(key)
        if response is None:
            response = view(request, *args, **kwargs)
            if _cacheable(request, response):
                cache.set(key, response, PAGE_TIMEOUT)
        return response

    return cached_view


def _page_key(request: HttpRequest) -> str:
    version, publish_times = _content_state()
    now = timezone.now()
    published_since = sum(1 for moment in publish_times if moment <= now)
    # What htmx asked for: a fragment, a whole page to restore from its history, and whether the
    # browser shows this address already (see views.index).
    htmx = request.htmx
    asked = "page"
    if htmx:
        asked = "history" if htmx.history_restore_request else "fragment"
        if htmx.current_url_abs_path == request.get_full_path():
            asked += "-here"
    address = hashlib.sha256(request.build_absolute_uri().encode()).hexdigest()
    return f"events:page:{version}:{published_since}:{asked}:{address}"


def _content_state() -> tuple[str, list]:
    """The content version and the publish times of the lessons still scheduled; one query to make
    them when the cache has none."""
    state = cache.get(STATE_KEY)
    if state is None:
        Lesson = apps.get_model("events", "Lesson")
        scheduled = Lesson.objects.filter(status=Lesson.Status.PUBLISHED, published_at__gt=timezone.now())
        state = (uuid.uuid4().hex, sorted(scheduled.values_list("published_at", flat=True)))
        # add(), not set(): a version made by a change since this request began must not be replaced.
        if not cache.add(STATE_KEY, state, None):
            state = cache.get(STATE_KEY) or state
    return state


def _cacheable(request: HttpRequest, response: HttpResponse) -> bool:
    # A page that set a cookie or made a CSRF token belongs to one visitor.
    return (
        response.status_code == 200
        and not response.streaming
        and not response.cookies
        and not request.META.get("CSRF_COOKIE_NEEDS_UPDATE")
        and not response.has_header("Set-Cookie")
    )
