"""Public pages come from the cache, and every change an editor saves shows on them at once.

These tests commit (transaction=True), as the site does: a page read inside an open transaction is
never cached. With REDIS_URL set they run on that Redis, under a key prefix of their own.
"""

import datetime
import gzip
import os
import random
import uuid

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from django.core.cache.backends.locmem import LocMemCache
from django.db import connection
from django.http import HttpResponse
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from redis import ConnectionError as RedisConnectionError
from redis import Redis

from events.cache import _page_key
from events.importer import import_lesson, parse_lesson_document, read_lesson_file
from events.models import (
    Evidence,
    Interpretation,
    KeyTerm,
    Lesson,
    Reading,
    RelatedLesson,
    Section,
    Topic,
)
from history_site.cache_backends import FileCache, RedisCache

from .admin_forms import change_form_data, form_errors
from .conftest import SEED_DOCUMENT, client_for, text_of

pytestmark = pytest.mark.django_db(transaction=True)

LESSON_URL = "/lessons/ussrs-withdrawal-from-china/"
CAUSE_PANEL_URL = LESSON_URL + "panels/reasons-for-withdrawal/"
EXPANDED_URL = LESSON_URL + "?expand=all"  # every panel open
HTMX = {"HX-Request": "true"}

PAGES = [
    ("/", {}),
    ("/?q=soviet+experts", {}),
    ("/?q=soviet", HTMX),
    ("/?theme=cold-war&page=2", {}),
    ("/timeline/", {}),
    (LESSON_URL, {}),
    (LESSON_URL + "?expand=all", {}),
    (CAUSE_PANEL_URL, {}),
    (LESSON_URL + "present/?step=2", {}),
]


@pytest.fixture(autouse=True)
def page_cache(settings):
    """An empty cache of this test's own: Redis when REDIS_URL is set, local memory otherwise."""
    prefix = f"history-test-{uuid.uuid4().hex}"
    if django_settings.REDIS_URL:
        backend = {
            "BACKEND": "history_site.cache_backends.RedisCache",
            "LOCATION": django_settings.REDIS_URL,
            "KEY_PREFIX": prefix,
        }
    else:
        backend = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": prefix}
    settings.CACHES = {"default": backend}
    yield
    if django_settings.REDIS_URL:
        redis = Redis.from_url(django_settings.REDIS_URL)
        for key in redis.scan_iter(f"{prefix}:*"):
            redis.delete(key)
    else:
        LocMemCache(prefix, {}).clear()


@pytest.fixture
def lesson(db) -> Lesson:
    lesson, _ = import_lesson(document=parse_lesson_document(read_lesson_file(SEED_DOCUMENT)), publish=True)
    return lesson


def seen(client, url: str = LESSON_URL, **headers) -> str:
    response = client.get(url, headers=headers)
    assert response.status_code == 200
    return text_of(response)


@pytest.mark.parametrize(("url", "headers"), PAGES)
def test_second_request_for_a_page_does_no_database_queries_and_gets_the_same_page(
    client, lesson, django_assert_num_queries, url, headers
):
    first = client.get(url, headers=headers)

    with django_assert_num_queries(0):
        second = client.get(url, headers=headers)

    assert first.status_code == second.status_code == 200
    assert second.content == first.content
    assert dict(second.headers) == dict(first.headers)
    assert not second.cookies and "Set-Cookie" not in second.headers
    assert "csrfmiddlewaretoken" not in text_of(second)


def test_a_cached_page_is_the_page_an_uncached_request_gets(client, lesson, settings):
    cached = [client.get(url, headers=headers) for url, headers in PAGES for _ in range(2)][1::2]
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}

    uncached = [client.get(url, headers=headers) for url, headers in PAGES]

    for hit, fresh in zip(cached, uncached, strict=True):
        assert hit.status_code == fresh.status_code
        assert hit.content == fresh.content
        assert dict(hit.headers) == dict(fresh.headers)


def test_htmx_fragment_and_whole_panel_page_are_cached_separately(client, lesson):
    fragment = seen(client, CAUSE_PANEL_URL, **HTMX)
    page = seen(client, CAUSE_PANEL_URL)

    assert "<html" not in fragment and "<html" in page
    assert seen(client, CAUSE_PANEL_URL, **HTMX) == fragment
    assert seen(client, CAUSE_PANEL_URL) == page


def test_a_panel_fragment_is_read_from_the_lessons_rendering_not_the_page_cache(
    client, lesson, django_assert_num_queries
):
    seen(client, CAUSE_PANEL_URL, **HTMX)

    with django_assert_num_queries(1):  # the lesson with its stored rendering
        fragment = seen(client, CAUSE_PANEL_URL, **HTMX)

    assert "Bucharest meeting" in fragment


def test_index_results_for_htmx_and_the_whole_index_are_cached_separately(client, lesson):
    results = seen(client, "/?q=soviet", **HTMX)
    page = seen(client, "/?q=soviet")
    restored = seen(client, "/?q=soviet", **HTMX, **{"HX-History-Restore-Request": "true"})

    assert "<html" not in results and "<html" in page and "<html" in restored
    assert seen(client, "/?q=soviet", **HTMX) == results


def test_a_browser_that_accepts_gzip_gets_the_same_page_compressed(client, lesson):
    plain = client.get(LESSON_URL)
    client.get(LESSON_URL, headers={"Accept-Encoding": "gzip, deflate, br"})

    compressed = client.get(LESSON_URL, headers={"Accept-Encoding": "gzip, deflate, br"})

    assert compressed.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(compressed.content) == plain.content
    assert int(compressed.headers["Content-Length"]) == len(compressed.content) < len(plain.content) / 2
    assert "Accept-Encoding" in plain.headers["Vary"] and "Accept-Encoding" in compressed.headers["Vary"]
    assert "Content-Encoding" not in plain.headers


def test_a_browser_whose_copy_is_current_gets_304_with_no_body(client, lesson):
    first = client.get(LESSON_URL)
    etag = first.headers["ETag"]

    again = client.get(LESSON_URL, headers={"If-None-Match": etag})

    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["ETag"] == etag
    # A compressed copy is other bytes: its tag differs, and the plain one does not match it.
    assert client.get(LESSON_URL, headers={"If-None-Match": etag, "Accept-Encoding": "gzip"}).status_code == 200


def test_after_an_edit_a_browsers_copy_is_no_longer_current(client, lesson):
    etag = client.get(LESSON_URL).headers["ETag"]
    change_title(Lesson.objects.get())

    response = client.get(LESSON_URL, headers={"If-None-Match": etag})

    assert response.status_code == 200
    assert "The Soviet Recall of 1960" in text_of(response)


def test_a_page_kept_by_an_older_version_of_the_site_is_rendered_afresh(client, lesson):
    # The site's version before this one kept whole response objects under the same keys.
    cache.set(_page_key(RequestFactory().get(LESSON_URL)), HttpResponse("A page in an old form."))

    assert "Reasons for Withdrawal" in seen(client)


# Every kind of edit shows at once


def change_title(lesson):
    lesson.title = "The Soviet Recall of 1960"
    lesson.save()
    return "The Soviet Recall of 1960"


def edit_section(lesson):
    section = lesson.sections.get(heading="Reasons for Withdrawal")
    section.body = "A fresh account of why the experts left."
    section.save()
    return "A fresh account of why the experts left."


def add_section(lesson):
    lesson.sections.create(order=99, kind=Section.Kind.FUN_FACT, heading="One More Fact", body="It was hot.")
    return "One More Fact"


def edit_reading(lesson):
    reading = lesson.readings.first()
    reading.title = "A Newly Titled Book"
    reading.save()
    return "A Newly Titled Book"


def add_key_term(lesson):
    KeyTerm.objects.create(lesson=lesson, term="Comecon", definition="The Soviet bloc's economic council.")
    return "The Soviet bloc&#x27;s economic council."


def edit_question(lesson):
    question = lesson.questions.first()
    question.question = "What would you have advised Khrushchev?"
    question.save()
    return "What would you have advised Khrushchev?"


def add_interpretation(lesson):
    Interpretation.objects.create(lesson=lesson, historian="A. Newcomer", work="Fresh Eyes", argument="Money.")
    return "A. Newcomer"


def add_related_lesson(lesson):
    other = Lesson.objects.exclude(pk=lesson.pk).get(slug="the-great-leap-forward")
    RelatedLesson.objects.create(lesson=lesson, related=other, relation=RelatedLesson.Relation.SEE_ALSO, order=9)
    return "The Great Leap Forward"


def edit_evidence(lesson):
    evidence = Evidence.objects.get(section__lesson=lesson)
    evidence.title = "A telegram from Moscow"
    evidence.save()
    return "A telegram from Moscow"


def rename_topic(lesson):
    topic = lesson.topics.first()
    topic.name = "A Renamed Topic"
    topic.save()
    return "A Renamed Topic"


def add_topic(lesson):
    lesson.topics.add(Topic.objects.create(kind=Topic.Kind.THEME, name="Diplomacy", slug="diplomacy"))
    return "Diplomacy"


def delete_reading(lesson):
    title = lesson.readings.first().title
    Reading.objects.filter(pk=lesson.readings.first().pk).delete()
    return f"not:{title}"


def delete_section(lesson):
    lesson.sections.get(heading="Interesting Facts about the USSR's Withdrawal").delete()
    return "not:343 contracts"


def reimport(lesson):
    text = read_lesson_file(SEED_DOCUMENT).replace("343 contracts", "344 contracts")
    import_lesson(document=parse_lesson_document(text), publish=True)
    return "344 contracts"


EDITS = [
    change_title,
    edit_section,
    add_section,
    edit_reading,
    add_key_term,
    edit_question,
    add_interpretation,
    add_related_lesson,
    edit_evidence,
    rename_topic,
    add_topic,
    delete_reading,
    delete_section,
    reimport,
]


@pytest.fixture
def other_lesson(db):
    return Lesson.objects.create(
        slug="the-great-leap-forward",
        title="The Great Leap Forward",
        event_date="1958-05-01",
        summary="Mao's campaign.",
        status=Lesson.Status.PUBLISHED,
    )


@pytest.mark.parametrize("edit", EDITS, ids=lambda edit: edit.__name__)
def test_every_kind_of_edit_shows_on_the_next_request(client, lesson, other_lesson, edit):
    before = seen(client, EXPANDED_URL)
    assert seen(client, EXPANDED_URL) == before  # from the cache

    expected = edit(Lesson.objects.get(pk=lesson.pk))

    after = seen(client, EXPANDED_URL)
    if expected.startswith("not:"):
        assert expected[4:] in before and expected[4:] not in after
    else:
        assert expected not in before and expected in after


def test_new_title_shows_on_the_index_and_timeline_at_once(client, lesson):
    assert "USSR&#x27;s Withdrawal from China" in seen(client, "/") and seen(client, "/timeline/")

    lesson.title = "The Soviet Recall of 1960"
    lesson.save()

    assert "The Soviet Recall of 1960" in seen(client, "/")
    assert "The Soviet Recall of 1960" in seen(client, "/timeline/")


def test_edited_panel_shows_in_its_htmx_fragment_at_once(client, lesson):
    assert "Bucharest meeting" in seen(client, CAUSE_PANEL_URL, **HTMX)

    section = lesson.sections.get(heading="Reasons for Withdrawal")
    section.body = "Rewritten."
    section.save()

    assert "Bucharest meeting" not in seen(client, CAUSE_PANEL_URL, **HTMX)


def test_unpublishing_and_publishing_show_at_once(client, lesson):
    assert "USSR&#x27;s Withdrawal from China" in seen(client, "/")

    lesson.status = Lesson.Status.DRAFT
    lesson.save()

    assert client.get(LESSON_URL).status_code == 404
    assert "USSR&#x27;s Withdrawal from China" not in seen(client, "/")

    lesson.status = Lesson.Status.PUBLISHED
    lesson.save()

    assert client.get(LESSON_URL).status_code == 200
    assert "USSR&#x27;s Withdrawal from China" in seen(client, "/")


def test_deleting_a_lesson_shows_at_once(client, lesson):
    seen(client)
    seen(client, "/")

    lesson.delete()

    assert client.get(LESSON_URL).status_code == 404
    assert "No lessons have been published yet." in seen(client, "/")


def test_an_edit_in_the_admin_shows_at_once(client, lesson, publisher):
    seen(client)
    staff = client_for(publisher)
    change_url = f"/admin/events/lesson/{lesson.pk}/change/"
    data = change_form_data(staff.get(change_url))
    data["title"] = "Edited in the Admin"

    response = staff.post(change_url, data)

    assert response.status_code == 302, form_errors(response)
    assert "Edited in the Admin" in seen(client)


def test_restoring_a_revision_shows_at_once(client, publisher):
    from reversion.models import Version

    staff = client_for(publisher)
    lesson = import_first_revision_through_admin(staff)
    change_url = f"/admin/events/lesson/{lesson.pk}/change/"
    data = change_form_data(staff.get(change_url))
    data["title"] = "A Later Title"
    assert staff.post(change_url, data).status_code == 302
    assert "A Later Title" in seen(client)
    first_version = Version.objects.get_for_object(lesson).order_by("pk").first()
    revision_url = f"/admin/events/lesson/{lesson.pk}/history/{first_version.pk}/"

    response = staff.post(revision_url, change_form_data(staff.get(revision_url)))

    assert response.status_code == 302, form_errors(response)
    assert "A Later Title" not in seen(client)
    assert "USSR&#x27;s Withdrawal from China" in seen(client)


def import_first_revision_through_admin(staff) -> Lesson:
    """The seed lesson, published, and a first revision of it saved through the admin."""
    lesson, _ = import_lesson(document=parse_lesson_document(read_lesson_file(SEED_DOCUMENT)), publish=True)
    change_url = f"/admin/events/lesson/{lesson.pk}/change/"
    assert staff.post(change_url, change_form_data(staff.get(change_url))).status_code == 302
    return lesson


# Scheduled lessons


def test_lesson_scheduled_a_minute_ahead_appears_once_its_time_comes(client, lesson, monkeypatch):
    publish_at = timezone.now() + datetime.timedelta(minutes=1)
    Lesson.objects.create(
        slug="scheduled",
        title="Scheduled Lesson",
        event_date="1961-01-01",
        summary="Soon.",
        status=Lesson.Status.PUBLISHED,
        published_at=publish_at,
    )
    assert client.get("/lessons/scheduled/").status_code == 404
    assert "Scheduled Lesson" not in seen(client, "/")
    assert "Scheduled Lesson" not in seen(client, "/timeline/")

    later = publish_at + datetime.timedelta(seconds=1)
    monkeypatch.setattr("django.utils.timezone.now", lambda: later)

    assert client.get("/lessons/scheduled/").status_code == 200
    assert "Scheduled Lesson" in seen(client, "/")
    assert "Scheduled Lesson" in seen(client, "/timeline/")


def test_pages_stay_cached_while_no_scheduled_time_passes(client, lesson, django_assert_num_queries):
    Lesson.objects.create(
        slug="scheduled",
        title="Scheduled Lesson",
        event_date="1961-01-01",
        summary="Later.",
        status=Lesson.Status.PUBLISHED,
        published_at=timezone.now() + datetime.timedelta(days=1),
    )
    seen(client, "/")

    with django_assert_num_queries(0):
        assert "Scheduled Lesson" not in seen(client, "/")


# Staff


def test_staff_are_never_served_a_page_cached_for_the_public(client, lesson, publisher):
    seen(client)
    staff = client_for(publisher)

    with CaptureQueriesContext(connection) as queries:
        seen(staff)

    assert queries.captured_queries  # rendered afresh, not read from the cache


def test_a_staff_preview_is_never_cached_nor_served_to_the_public(client, lesson, publisher):
    Lesson.objects.create(
        slug="draft", title="Draft Lesson", event_date="1961-01-01", summary="Not yet.", status=Lesson.Status.DRAFT
    )
    staff = client_for(publisher)

    assert client.get("/lessons/draft/").status_code == 404
    assert "Draft preview." in seen(staff, "/lessons/draft/")
    assert "Draft preview." in seen(staff, "/lessons/draft/")
    assert client.get("/lessons/draft/").status_code == 404
    with CaptureQueriesContext(connection) as queries:
        seen(staff, "/lessons/draft/")
    assert queries.captured_queries


def test_a_page_staff_saw_first_is_rendered_afresh_for_the_public(client, lesson, publisher):
    staff = client_for(publisher)
    seen(staff)
    seen(staff, CAUSE_PANEL_URL, **HTMX)

    with CaptureQueriesContext(connection) as queries:
        seen(client, CAUSE_PANEL_URL, **HTMX)
        seen(client)

    assert queries.captured_queries


def test_the_one_server_file_cache_stays_within_its_size(tmp_path):
    random.seed(1)  # it estimates the number of its files on a random one write in fifty
    files = FileCache(str(tmp_path), {"OPTIONS": {"MAX_ENTRIES": 300}})

    for number in range(3000):
        files.set(f"page-{number}", b"<html>")

    # A third of the files go whenever it finds about MAX_ENTRIES: a few hundred, not 3,000.
    assert len(list(tmp_path.rglob("*.djcache"))) < 600
    assert files.get("page-2999") == b"<html>"


def test_the_file_cache_never_removes_what_it_keeps_without_expiry_to_make_room(tmp_path):
    random.seed(2)
    files = FileCache(str(tmp_path), {"OPTIONS": {"MAX_ENTRIES": 300}})
    files.set("content-version", "one", None)

    for number in range(3000):
        files.set(f"page-{number}", b"<html>")

    assert files.get("content-version") == "one"
    assert len(list(tmp_path.rglob("*.djcache"))) < 600  # the pages made room all the same


def test_the_file_cache_spreads_pages_over_folders_and_clears_them_all(tmp_path):
    files = FileCache(str(tmp_path), {})
    (tmp_path / "0123456789abcdef0123456789abcdef.djcache").write_bytes(b"")  # the one-folder layout
    for number in range(50):
        files.set(f"page-{number}", b"<html>")

    assert len({path.parent for path in tmp_path.rglob("*.djcache")}) > 10
    assert files.get("page-7") == b"<html>"

    files.clear()
    assert list(tmp_path.rglob("*.djcache")) == []


def test_the_redis_cache_reads_again_when_redis_has_closed_its_connections():
    url = django_settings.REDIS_URL or "redis://127.0.0.1:6379/13"
    try:
        Redis.from_url(url, socket_connect_timeout=3).ping()
    except RedisConnectionError as error:
        if os.environ.get("CI") == "true":
            pytest.fail(f"Redis does not answer at {url} ({error}); CI does not skip this test.")
        pytest.skip(f"Redis does not answer at {url}: {error}")
    pages = RedisCache(url, {"KEY_PREFIX": f"history-test-{uuid.uuid4().hex}"})
    pages.set("version", "one")
    assert pages.get("version") == "one"
    assert pages.get("missing", "default") == "default"

    # As when Redis restarts, or a firewall drops idle connections.
    Redis.from_url(url).client_kill_filter(_type="normal", skipme=True)

    assert pages.get("version") == "one"
    pages.set("version", "two")
    assert pages.get("version") == "two"
    pages.delete("version")
    assert pages.get("version") is None
