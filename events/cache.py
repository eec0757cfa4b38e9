"""Caching the public pages, and keeping them fresh.

Every cached page is keyed on the content version: a random token kept in the shared cache with
the publish times still to come. Any write to an events model (a save, raw saves of a revision
restore included, a delete, a change of a lesson's topics, a migration or flush) replaces the
version, so every page cached before it is never read again, on every app server that shares the
cache. A scheduled lesson's time arriving needs no write: the key also counts the publish times
that have passed, so it changes by itself when one does. Data that a page derives from every published
lesson (the timeline's page boundaries) is keyed the same way, by derived_from_content().

Pages are cached for the public only: a signed-in user (staff previewing drafts) is neither served
a cached page nor has theirs kept. A page rendered inside a transaction may show rows that are not
committed (and may never be), so it is not kept either.
"""

import functools
import gzip
import hashlib
import re
import threading
import uuid
from collections.abc import Callable
from contextvars import ContextVar

from django.apps import apps
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import DisallowedHost
from django.db import connection, transaction
from django.db.models.signals import m2m_changed, post_delete, post_migrate, post_save
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from django.urls import Resolver404, resolve
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django_htmx.middleware import HtmxDetails

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


def cache_public_page(view: Callable[..., HttpResponse] | None = None, *, fragments: bool = True):
    """Mark the view's pages as the same for every member of the public, for PublicPageCacheMiddleware
    to keep. fragments=False leaves out its htmx fragments, which the view reads from somewhere as
    cheap as the cache: the middleware then does not look for them either."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @functools.wraps(view)
        def public_view(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            response = view(request, *args, **kwargs)
            response.public_page = fragments or not _is_htmx(request)
            return response

        public_view.caches_fragments = fragments
        return public_view

    return decorator(view) if view else decorator


def _is_htmx(request: HttpRequest) -> bool:
    # From the WSGI environment: request.headers parses every header's name the first time it is read.
    return request.META.get("HTTP_HX_REQUEST") == "true"


def _caches_fragments(path: str) -> bool:
    try:
        return getattr(resolve(path).func, "caches_fragments", True)
    except Resolver404:
        return True


class PublicPageCacheMiddleware:
    """Serve the public's GET requests for the pages of @cache_public_page views from the cache.

    It stands near the top of the middleware (below SecurityMiddleware and WhiteNoise), so a cached
    page costs little more than a static file: a hit skips sessions, URL resolution, the view and the
    other middleware, whose headers were kept with the page. Each page is kept gzipped, so a hit is
    never compressed again. Each worker also remembers the pages it served last under their full key,
    which names the content version, so the shared cache is asked only for the version (one small
    read) on a repeated hit.

    Signed-in users (a session cookie) are never served from nor stored in the cache, and neither are
    HEAD requests, which the view answers itself, nor requests inside a transaction (tests; a page
    rendered there may show rows that are never committed).
    """

    RECENT_PAGES = 64

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.recent: dict[str, CachedPage] = {}
        self.recent_lock = threading.Lock()

    def __call__(self, request: HttpRequest) -> HttpResponse:
        within_request = _request_content_key.set("")
        try:
            return self._respond(request)
        finally:
            _request_content_key.reset(within_request)

    def _respond(self, request: HttpRequest) -> HttpResponse:
        if request.method != "GET" or settings.SESSION_COOKIE_NAME in request.COOKIES or connection.in_atomic_block:
            return self.get_response(request)
        if _is_htmx(request) and not _caches_fragments(request.path_info):
            return self.get_response(request)
        try:
            key = _page_key(request)
        except DisallowedHost:
            return self.get_response(request)  # refused further on, unless it is /healthz
        page = self.recent.get(key)
        if page is None:
            page = cache.get(key)
            if not isinstance(page, CachedPage):  # none yet, or kept by an older version of the site
                response = self.get_response(request)
                if not (getattr(response, "public_page", False) and _cacheable(request, response)):
                    return response
                page = CachedPage.of(response)
                cache.set(key, page, PAGE_TIMEOUT)
            self._remember(key, page)
        return page.response_for(request)

    def _remember(self, key: str, page: "CachedPage") -> None:
        with self.recent_lock:
            if len(self.recent) >= self.RECENT_PAGES:
                del self.recent[next(iter(self.recent))]  # the oldest
            self.recent[key] = page


ACCEPTS_GZIP = re.compile(r"\bgzip\b")
# A page not yet cached (a new search, the first view after an edit) is compressed as it is stored.
# Level 1 takes a quarter of the CPU of level 6, Django's, for pages about a tenth larger (the
# 22 KB timeline: 64 µs and 3,960 bytes, against 239 µs and 3,592).
GZIP_LEVEL = 1


class CachedPage:
    """A page as the public gets it: its status, its headers, its body gzipped, and an ETag for a
    browser that asks whether its copy is still current. Only the compressed body is kept in the
    shared cache; a worker unzips it once for the rare client that does not accept gzip."""

    __slots__ = ("status", "headers", "gzipped", "etag", "_body")

    def __init__(self, status: int, headers: tuple[tuple[str, str], ...], gzipped: bytes, etag: str) -> None:
        self.status, self.headers, self.gzipped, self.etag = status, headers, gzipped, etag
        self._body = None

    def __getstate__(self) -> tuple:
        return (self.status, self.headers, self.gzipped, self.etag)

    def __setstate__(self, state: tuple) -> None:
        self.__init__(*state)

    @classmethod
    def of(cls, response: HttpResponse) -> "CachedPage":
        body = response.content
        patch_vary_headers(response, ["Accept-Encoding"])
        headers = tuple((name, value) for name, value in response.items() if name.lower() != "content-length")
        gzipped = gzip.compress(body, GZIP_LEVEL, mtime=0)
        # The tag is a digest of the compressed body, which stands for the body as surely (it is made
        # without a time in it) and is a sixth of its size to read.
        digest = hashlib.blake2b(gzipped, digest_size=12).hexdigest()
        page = cls(response.status_code, headers, gzipped, f'"{digest}"')
        page._body = body
        return page

    @property
    def body(self) -> bytes:
        if self._body is None:
            self._body = gzip.decompress(self.gzipped)
        return self._body

    def response_for(self, request: HttpRequest) -> HttpResponse:
        compressed = ACCEPTS_GZIP.search(request.META.get("HTTP_ACCEPT_ENCODING", "")) is not None
        # The two forms of the page are different bytes, and so have different tags.
        etag = f'{self.etag[:-1]}-gzip"' if compressed else self.etag
        if etag in request.META.get("HTTP_IF_NONE_MATCH", ""):
            response = HttpResponseNotModified(headers=self.headers)
            del response["Content-Type"]
        else:
            content = self.gzipped if compressed else self.body
            response = HttpResponse(content, status=self.status, headers=self.headers)
            response["Content-Length"] = str(len(content))
            if compressed:
                response["Content-Encoding"] = "gzip"
        response["ETag"] = etag
        return response


def _page_key(request: HttpRequest) -> str:
    # What htmx asked for: a fragment, a whole page to restore from its history, and whether the
    # browser shows this address already (see views.index).
    asked = "page"
    if _is_htmx(request):
        htmx = HtmxDetails(request)
        asked = "history" if htmx.history_restore_request else "fragment"
        if htmx.current_url_abs_path == request.get_full_path():
            asked += "-here"
    # The address as build_absolute_uri() makes it, without parsing it again and joining it to itself.
    address = f"{request.scheme}://{request.get_host()}{request.get_full_path()}"
    address = hashlib.sha256(address.encode()).hexdigest()
    return f"events:page:{_content_key()}:{asked}:{address}"


def _content_key() -> str:
    """The content version and how many publish times have passed: it changes whenever what the
    public may see does. Read once a request: its page and what the page derives from the content
    then belong to one version."""
    if key := _request_content_key.get():
        return key
    version, publish_times = _content_state()
    now = timezone.now()
    key = f"{version}:{sum(1 for moment in publish_times if moment <= now)}"
    if _request_content_key.get() is not None:
        _request_content_key.set(key)
    return key


# Within a request, the content key it read ("" before it reads it); None outside requests.
_request_content_key: ContextVar[str | None] = ContextVar("request_content_key", default=None)


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


DERIVED_KEPT_IN_PROCESS = 16
_derived: dict[str, object] = {}


def derived_from_content[T](name: str, make: Callable[[], T]) -> T:
    """What `make()` returns, made once per content version: for data that a page derives from every
    published lesson (counts, page boundaries) and would otherwise read on each request. `name` says
    what it is and everything it depends on besides the content (a page size, say); a new form of the
    value needs a new name, since a value kept by an older version of the site is read back as it was.

    It is kept in the shared cache beside the pages, so any write to an events model and any publish
    time that passes makes it again, and each process also keeps the last few it used. Treat the value
    as read-only: requests share it. Inside a transaction `make()` is called every time and its value
    is not kept, since it may count rows that are never committed."""
    if connection.in_atomic_block:
        return make()
    key = f"events:derived:{name}:{_content_key()}"
    value = _derived.get(key)
    if value is None:
        value = cache.get(key)
        if value is None:
            # Made after the version was read: a write that it may have missed replaces that version
            # when it commits, so the value is never read under a version it does not match.
            value = make()
            cache.set(key, value, PAGE_TIMEOUT)
        if len(_derived) >= DERIVED_KEPT_IN_PROCESS:
            _derived.clear()
        _derived[key] = value
    return value


def _cacheable(request: HttpRequest, response: HttpResponse) -> bool:
    # A page that set a cookie or made a CSRF token belongs to one visitor.
    return (
        response.status_code == 200
        and not response.streaming
        and not response.cookies
        and not request.META.get("CSRF_COOKIE_NEEDS_UPDATE")
        and not response.has_header("Set-Cookie")
    )
