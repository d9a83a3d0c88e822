"""The anonymous page cache (community/caching.py): lists and topic pages served to anonymous
visitors from the cache, invalidated by the community's events, never shown to members, and
never a reason for a page to fail."""

from __future__ import annotations

import pytest
from django.test import Client

from community import caching, services
from tests.factories import TopicFactory

pytestmark = pytest.mark.django_db

HIT = caching.STATUS_HEADER


def without_csrf_tokens(content: bytes) -> bytes:
    return caching._CSRF_TOKEN_RE.sub(b"<token>", content)


@pytest.fixture(autouse=True)
def _cache_on(settings):
    settings.COMMUNITY_ANON_CACHE = True
    settings.COMMUNITY_ANON_CACHE_SECONDS = 60
    caching._paused_until = 0.0  # a previous outage test must not leave the cache paused
    yield
    caching._paused_until = 0.0


@pytest.fixture
def pages(category, topic):
    return {
        "home": "/",
        "latest": "/latest/",
        "category": category.get_absolute_url(),
        "topic": topic.get_absolute_url(),
    }


@pytest.mark.parametrize("page", ["home", "latest", "category", "topic"])
def test_second_anonymous_get_is_served_from_cache_without_queries(
    client, pages, page, django_assert_max_num_queries
):
    first = client.get(pages[page])
    assert first.status_code == 200
    assert first[HIT] == "miss"

    with django_assert_max_num_queries(1):
        second = client.get(pages[page])

    assert second.status_code == 200
    assert second[HIT] == "hit"
    assert without_csrf_tokens(second.content) == without_csrf_tokens(first.content)
    assert "sessionid" not in second.cookies  # no session for an anonymous visitor


def test_buffered_views_count_each_request_once_whether_rendered_or_served(client, topic, settings):
    """The view is counted with the lookup (one round trip): the rendering that follows a
    miss must not count it a second time."""
    settings.COMMUNITY_VIEW_COUNTS_BUFFERED = True
    services.topic_views_flush()
    statuses = [client.get(topic.get_absolute_url())[HIT] for _ in range(3)]

    services.topic_views_flush()

    assert statuses == ["miss", "hit", "hit"]
    topic.refresh_from_db()
    assert topic.view_count == 3


def test_a_hit_carries_the_headers_of_a_rendered_page(pages):
    """Hits are served before most middleware; the page was stored with the headers the whole
    stack gave it (CSP, framing, language, Vary)."""
    rendered = Client().get(pages["topic"])
    served = Client().get(pages["topic"])

    assert served[HIT] == "hit"
    for header in (
        "Content-Type",
        "Content-Security-Policy",
        "X-Frame-Options",
        "Content-Language",
        "Vary",
        "X-Content-Type-Options",
        "Referrer-Policy",
    ):
        assert served.get(header) == rendered.get(header), header
        assert served.get(header), header
    assert int(served["Content-Length"]) == len(served.content)


def test_an_anonymous_visitor_holding_a_session_gets_a_rendered_page(client, pages):
    client.get(pages["home"])
    client.cookies["sessionid"] = "x" * 32  # unknown session: anonymous, but not served

    response = client.get(pages["home"])

    assert response.status_code == 200
    assert HIT not in response


def test_a_message_waiting_in_a_cookie_is_shown_not_a_stored_page(client, member, pages):
    client.get(pages["home"])
    client.force_login(member)
    client.post("/accounts/logout/")  # "You have signed out." waits in the messages cookie
    assert "messages" in client.cookies

    response = client.get(pages["home"])

    assert HIT not in response
    assert "signed out" in response.content.decode()


def test_topic_view_is_still_counted_when_the_page_comes_from_cache(client, topic, settings):
    settings.COMMUNITY_VIEW_COUNTS_BUFFERED = False  # written through: visible in the database
    client.get(topic.get_absolute_url())
    client.get(topic.get_absolute_url())

    topic.refresh_from_db()
    assert topic.view_count == 2


def test_new_reply_refreshes_topic_page_and_lists_for_anonymous_visitors(
    client, pages, topic, other_member, django_capture_on_commit_callbacks
):
    for url in pages.values():
        client.get(url)
        assert client.get(url)[HIT] == "hit"

    with django_capture_on_commit_callbacks(execute=True):
        services.post_create(
            actor=other_member, topic=topic, body="Descale it with citric acid, twice."
        )

    topic_page = client.get(pages["topic"])
    assert topic_page[HIT] == "miss"
    assert "Descale it with citric acid, twice." in topic_page.content.decode()
    for name in ("home", "latest", "category"):
        response = client.get(pages[name])
        assert response[HIT] == "miss", name
        assert other_member.username in response.content.decode(), name  # the last poster


def test_a_reply_elsewhere_keeps_other_topic_pages_cached(
    client, topic, category, other_member, django_capture_on_commit_callbacks
):
    elsewhere = TopicFactory(category=category, author=other_member)
    client.get(topic.get_absolute_url())

    with django_capture_on_commit_callbacks(execute=True):
        services.post_create(actor=other_member, topic=elsewhere, body="Unrelated reply.")

    assert client.get(topic.get_absolute_url())[HIT] == "hit"


def test_moving_a_topic_refreshes_both_categories(
    client, topic, category, moderator, django_capture_on_commit_callbacks
):
    from tests.factories import CategoryFactory

    target = CategoryFactory(name="Toasters", slug="toasters")
    client.get(category.get_absolute_url())
    client.get(target.get_absolute_url())

    with django_capture_on_commit_callbacks(execute=True):
        services.topic_move(actor=moderator, topic=topic, category=target)

    assert topic.title not in client.get(category.get_absolute_url()).content.decode()
    assert topic.title in client.get(target.get_absolute_url()).content.decode()


def test_members_are_never_served_from_cache(client, member_client, member, pages):
    for url in pages.values():
        client.get(url)
        assert client.get(url)[HIT] == "hit"

        response = member_client.get(url)

        assert response.status_code == 200
        assert HIT not in response  # rendered for the member, not read from the cache
        assert "Sign out" in response.content.decode()


def test_member_pages_are_not_stored_for_anonymous_visitors(client, member_client, pages):
    member_client.get(pages["home"])

    response = client.get(pages["home"])

    assert response[HIT] == "miss"
    assert "Sign out" not in response.content.decode()


def test_htmx_requests_are_rendered_every_time(client, pages):
    client.get(pages["home"])

    response = client.get(pages["home"], HTTP_HX_REQUEST="true")

    assert HIT not in response


def test_cached_page_carries_the_visitors_own_csrf_token(pages):
    first_visitor = Client(enforce_csrf_checks=True)
    first_visitor.get(pages["home"])
    visitor = Client(enforce_csrf_checks=True)

    response = visitor.get(pages["home"])

    assert response[HIT] == "hit"
    assert "csrftoken" in response.cookies  # a new visitor gets a CSRF cookie, as uncached
    token = response.content.decode().split('name="csrf-token" content="')[1].split('"')[0]
    assert len(token) == 64
    changed = visitor.post(
        "/i18n/setlang/", {"language": "fr", "next": "/", "csrfmiddlewaretoken": token}
    )
    assert changed.status_code == 302  # the token of the cached page is accepted


def test_language_has_its_own_cached_page(client, pages):
    client.get(pages["home"])

    french = client.get(pages["home"], HTTP_ACCEPT_LANGUAGE="fr")

    assert french[HIT] == "miss"
    assert 'lang="fr"' in french.content.decode()


def test_cache_can_be_switched_off(client, pages, settings):
    settings.COMMUNITY_ANON_CACHE = False
    client.get(pages["home"])

    assert HIT not in client.get(pages["home"])


@pytest.fixture
def redis_down(settings):
    """Point the cache at a port where no Redis listens, as when Redis is stopped."""
    from django.core.cache import caches

    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
        }
    }
    caches._settings = None  # makes Django re-read CACHES for this test
    settings.COMMUNITY_VIEW_COUNTS_BUFFERED = True  # the view counter uses the dead cache too


def test_pages_still_render_when_redis_is_down(client, pages, redis_down):
    for name, url in pages.items():
        for _ in range(2):
            response = client.get(url)
            assert response.status_code == 200, name
            assert HIT not in response, name


def test_replies_still_work_when_redis_is_down(
    member_client, topic, redis_down, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = member_client.post(
            f"/t/{topic.pk}/reply/", {"body": "Still here while Redis is away."}
        )

    assert response.status_code == 302
    assert topic.posts.filter(body="Still here while Redis is away.").exists()
