"""Fault behaviours that can be proved quickly: Redis unreachable, a PostgreSQL connection cut.

Covered elsewhere, not repeated here: a post made while the *broker* is down reaches the outbox
and its notification arrives once when Redis returns, and a worker killed with ``kill -9``
mid-delivery sends the e-mail once (tests/notifications/test_notifications_worker.py); pages
and replies rendered while the anonymous page cache is unreachable
(tests/community/test_anonymous_cache.py). The long versions under load are ``make soak``
(bench/soak.py).
"""

from __future__ import annotations

import contextlib
import time

import pytest
from django.core.cache import caches

from tests.core import db_cut
from tests.core.db_cut import terminate_django_connection
from tests.factories import TEST_PASSWORD, TopicFactory, UserFactory

pytestmark = pytest.mark.django_db

DEAD_REDIS = "redis://127.0.0.1:1/0"  # nothing listens on port 1: "Redis is stopped"


def _use_cache(settings, backend: str, location: str, **options) -> None:
    settings.CACHES = {
        "default": {
            "BACKEND": backend,
            "LOCATION": location,
            "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5, **options},
        }
    }
    caches._settings = None  # makes Django re-read CACHES for this test


@pytest.fixture(autouse=True)
def _fast_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def redis_down(settings):
    """The production cache backend, pointed at a Redis that is not there."""
    from community import caching

    _use_cache(settings, "config.cache.TolerantRedisCache", DEAD_REDIS)
    settings.COMMUNITY_VIEW_COUNTS_BUFFERED = True  # the view counter uses the dead cache too
    caching._paused_until = 0.0
    yield
    caching._paused_until = 0.0


@pytest.fixture
def member():
    return UserFactory(trust_level=1)


# --- Redis unreachable: the site keeps serving ----------------------------------------------------


def test_settings_use_the_tolerant_backend_when_redis_is_configured():
    """The backend class the settings pick for REDIS_URL (read from the file, whatever this
    run's environment is)."""
    from pathlib import Path

    from config import settings as settings_module

    text = Path(settings_module.__file__).read_text()
    assert '"BACKEND": "config.cache.TolerantRedisCache"' in text


def test_plain_django_redis_cache_turns_a_login_into_an_error_when_redis_is_down(
    client, settings, member
):
    """Why the tolerant backend exists: allauth's rate limit reaches the cache on every login,
    and Django's RedisCache raises while Redis is away (a 500 in production)."""
    import redis

    _use_cache(settings, "django.core.cache.backends.redis.RedisCache", DEAD_REDIS)

    with pytest.raises(redis.ConnectionError):
        client.post("/accounts/login/", {"login": member.username, "password": TEST_PASSWORD})


def test_login_while_redis_is_down_is_refused_politely_not_a_500(client, redis_down, member):
    """Rate limits fail closed: allauth cannot take its lock, so it answers 429 within about a
    second (its lock wait) — no 500, no login without a limit."""
    started = time.monotonic()
    response = client.post(
        "/accounts/login/", {"login": member.username, "password": TEST_PASSWORD}
    )
    elapsed = time.monotonic() - started

    assert response.status_code == 429
    assert elapsed < 5, f"the login answer took {elapsed:.1f} s"
    assert "_auth_user_id" not in client.session


def test_signed_in_member_reads_votes_and_replies_while_redis_is_down(client, redis_down, member):
    topic = TopicFactory()
    client.force_login(member)
    post = topic.posts.order_by("pk").first()

    pages = ["/", "/latest/", topic.category.get_absolute_url(), topic.get_absolute_url()]
    for path in pages:
        assert client.get(path).status_code == 200, path
    voted = client.post(f"/p/{post.pk}/vote/", {"value": "1"})
    replied = client.post(f"/t/{topic.pk}/reply/", {"body": "Written while Redis is away."})

    assert voted.status_code == 302
    assert post.votes.filter(user=member, value=1).exists()
    assert replied.status_code == 302
    assert topic.posts.filter(body="Written while Redis is away.").exists()


def test_api_answers_while_redis_is_down_the_throttle_lets_requests_through(
    client, redis_down, member
):
    client.force_login(member)

    answers = [client.get("/api/v1/me/").status_code for _ in range(3)]

    assert answers == [200, 200, 200]


def test_healthz_still_reports_the_cache_down_with_the_tolerant_backend(client, redis_down):
    response = client.get("/healthz")

    assert response.status_code == 503
    assert "cache" in response.json()["down"]


# --- The backend itself ---------------------------------------------------------------------------


def test_tolerant_cache_answers_like_an_empty_cache_and_counters_raise(redis_down):
    import redis

    cache = caches["default"]

    assert cache.get("k", "default") == "default"
    assert cache.get_many(["a", "b"]) == {}
    assert cache.has_key("k") is False
    assert cache.add("k", 1) is False
    assert cache.set_many({"a": 1, "b": 2}) == ["a", "b"]
    cache.set("k", 1)
    cache.delete("k")
    cache.delete_many(["a"])
    with pytest.raises(redis.ConnectionError):
        cache.incr("k")
    with pytest.raises(redis.ConnectionError):
        cache.incr_counter("k")
    assert cache.get_many_and_incr(["a"], "k") == ({}, None)


def test_tolerant_cache_leaves_a_failed_redis_alone_for_the_pause(settings, monkeypatch):
    """A hanging Redis must not add its timeout to every call: after one failure the calls
    answer at once, without a connection attempt, until the pause is over."""
    from django.core.cache.backends.redis import RedisCache

    _use_cache(settings, "config.cache.TolerantRedisCache", DEAD_REDIS, pause_after_error=0.3)
    cache = caches["default"]
    attempts = []
    real_get = RedisCache.get

    def counting_get(self, *args, **kwargs):
        attempts.append(1)
        return real_get(self, *args, **kwargs)

    monkeypatch.setattr(RedisCache, "get", counting_get)

    for _ in range(5):
        assert cache.get("k") is None
    assert len(attempts) == 1
    time.sleep(0.35)
    assert cache.get("k") is None
    assert len(attempts) == 2


@pytest.mark.redis
def test_tolerant_cache_works_again_when_redis_returns(settings, private_redis):
    import redis

    _use_cache(
        settings, "config.cache.TolerantRedisCache", private_redis.url, pause_after_error=0.2
    )
    cache = caches["default"]
    cache.set("kept", "before")
    assert cache.get("kept") == "before"

    private_redis.stop()
    assert cache.get("kept") is None
    assert cache.add("lock", 1) is False
    with pytest.raises(redis.ConnectionError):
        cache.incr("kept")

    private_redis.start()
    time.sleep(0.25)
    # Redis kept nothing (no persistence), as after a crash; it answers again.
    assert cache.add("lock", 1) is True
    cache.set("kept", "after")
    assert cache.get("kept") == "after"


# --- PostgreSQL connection cut: persistent connections recover by themselves ------------------


@contextlib.contextmanager
def _persistent_connection(*, health_checks: bool):
    """CONN_MAX_AGE=60 with or without CONN_HEALTH_CHECKS, then the test's own settings back."""
    from django.db import connection

    saved = {key: connection.settings_dict[key] for key in ("CONN_MAX_AGE", "CONN_HEALTH_CHECKS")}
    connection.close()
    connection.settings_dict.update(CONN_MAX_AGE=60, CONN_HEALTH_CHECKS=health_checks)
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict.update(saved)


def _serve(path: str) -> int:
    """One request through the full WSGI handler, as gunicorn runs it: request_started closes
    obsolete connections and arms the health check (the test client skips that signal)."""
    from django.core.handlers.wsgi import WSGIHandler
    from django.test import RequestFactory

    environ = RequestFactory().get(path).environ
    status: list[str] = []
    body = WSGIHandler()(environ, lambda s, headers, exc_info=None: status.append(s))
    b"".join(body)
    body.close()  # request_finished, as gunicorn does
    return int(status[0].split()[0])


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_persistent_connection_cut_by_the_server_recovers_on_the_next_request(settings):
    from django.db import connection

    settings.DEBUG_PROPAGATE_EXCEPTIONS = False
    with _persistent_connection(health_checks=True):
        _serve("/healthz")
        first = connection.connection

        terminate_django_connection()

        assert _serve("/latest/") == 200
        assert connection.connection is not first  # reconnected by the health check


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_without_health_checks_the_first_request_after_a_cut_fails(settings):
    """The contrast that shows what CONN_HEALTH_CHECKS buys (settings.py turns it on); the
    retry of reads (config/db_retry.py) is taken out, as it would hide the failure."""

    settings.DEBUG_PROPAGATE_EXCEPTIONS = False
    settings.MIDDLEWARE = [m for m in settings.MIDDLEWARE if not m.startswith("config.db_retry")]
    with _persistent_connection(health_checks=False):
        _serve("/healthz")
        terminate_django_connection()

        assert _serve("/latest/") == 500
        assert _serve("/latest/") == 200  # Django drops the broken connection after the error


def _serve_method(method: str, path: str) -> tuple[int, bytes]:
    from django.core.handlers.wsgi import WSGIHandler
    from django.test import RequestFactory

    environ = getattr(RequestFactory(), method.lower())(path).environ
    status: list[str] = []
    body = WSGIHandler()(environ, lambda s, headers, exc_info=None: status.append(s))
    content = b"".join(body)
    body.close()
    return int(status[0].split()[0]), content


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_read_whose_connection_is_cut_mid_request_is_answered_again(settings, caplog):
    settings.DEBUG_PROPAGATE_EXCEPTIONS = False
    settings.ROOT_URLCONF = "tests.core.db_cut"
    db_cut.calls.clear()
    UserFactory()
    with _persistent_connection(health_checks=True):
        status, content = _serve_method("GET", "/cut-then-read/")

    assert status == 200
    assert content == b"1 members"
    assert db_cut.calls == ["GET", "GET"]  # the view ran again, once
    assert "answering it again" in caplog.text


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_write_whose_connection_is_cut_is_not_sent_again(settings):
    """A POST may have half-written: the member sees the error and decides."""
    settings.DEBUG_PROPAGATE_EXCEPTIONS = False
    settings.ROOT_URLCONF = "tests.core.db_cut"
    db_cut.calls.clear()
    with _persistent_connection(health_checks=True):
        status, _ = _serve_method("POST", "/cut-then-read/")
        assert _serve_method("GET", "/healthz")[0] == 200  # the next request reconnects

    assert status == 500
    assert db_cut.calls == ["POST"]


# --- Rate limits under concurrency ------------------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_newcomer_firing_20_topics_at_once_gets_exactly_the_daily_limit(settings):
    """Twenty simultaneous "new topic" POSTs of a trust-level-0 member: exactly the daily
    limit (COMMUNITY_DAILY_LIMITS["topics"][0]) are created, every other answer is 429 with
    Retry-After — the limit must hold when the requests race, not only one after another."""
    import threading

    from django.db import connection
    from django.test import Client

    from community.models import Topic
    from tests.factories import CategoryFactory

    limit = settings.COMMUNITY_DAILY_LIMITS["topics"][0]
    category = CategoryFactory()
    newcomer = UserFactory(trust_level=0)
    clients = []
    for _ in range(20):
        client = Client()
        client.force_login(newcomer)
        clients.append(client)
    barrier = threading.Barrier(20)
    answers: list[tuple[int, str | None]] = []
    lock = threading.Lock()

    def fire(number: int, client: Client) -> None:
        try:
            barrier.wait(timeout=30)
            response = client.post(
                "/new-topic/",
                {
                    "category": category.pk,
                    "title": f"Concurrent question number {number:02d} about kettles",
                    "kind": "discussion",
                    "body": f"Body of concurrent topic {number}, long enough to be accepted.",
                },
            )
            with lock:
                answers.append((response.status_code, response.get("Retry-After")))
        finally:
            connection.close()

    threads = [threading.Thread(target=fire, args=(n, c)) for n, c in enumerate(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    created = Topic.objects.filter(author=newcomer).count()
    statuses = sorted(status for status, _ in answers)
    assert len(answers) == 20
    assert created == limit, f"{created} topics created for a limit of {limit}: {statuses}"
    assert statuses.count(302) == limit
    assert statuses.count(429) == 20 - limit
    assert all(int(retry) > 0 for status, retry in answers if status == 429)


# --- Tasks and transactions ----------------------------------------------------------------------


@pytest.fixture
def published(monkeypatch):
    """The outbox rows whose processing task was published, in order."""
    from notifications import services as notification_services

    outbox_ids: list[int] = []
    monkeypatch.setattr(
        notification_services,
        "outbox_publish",
        lambda *, outbox_id: outbox_ids.append(outbox_id) or True,
    )
    return outbox_ids


def test_a_rolled_back_reply_leaves_no_outbox_event_and_publishes_no_task(
    published, django_capture_on_commit_callbacks
):
    from django.db import transaction

    from community import services as community_services
    from community.models import Post
    from notifications.models import Outbox

    topic = TopicFactory()
    member = UserFactory(trust_level=2)
    events_before = Outbox.objects.count()

    with (
        django_capture_on_commit_callbacks(execute=True) as callbacks,
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        community_services.post_create(actor=member, topic=topic, body="This reply is rolled back.")
        raise RuntimeError("the request fails after the service call")

    assert not Post.objects.filter(body="This reply is rolled back.").exists()
    assert Outbox.objects.count() == events_before
    assert callbacks == []
    assert published == []


def test_a_committed_reply_leaves_exactly_one_outbox_event_and_one_task(
    published, django_capture_on_commit_callbacks
):
    from community import services as community_services
    from notifications.models import Outbox

    topic = TopicFactory()
    member = UserFactory(trust_level=2)

    with django_capture_on_commit_callbacks(execute=True):
        post = community_services.post_create(
            actor=member, topic=topic, body="This reply is committed."
        )

    events = list(Outbox.objects.filter(key=f"post:{post.pk}"))
    assert len(events) == 1
    assert published == [events[0].pk]


@pytest.mark.redis
def test_tolerant_cache_counts_and_reads_in_one_round_trip(settings, private_redis):
    """incr_counter starts a missing counter at 0; get_many_and_incr reads values (pickled or
    counters) and increases a counter through one pipeline."""
    _use_cache(settings, "config.cache.TolerantRedisCache", private_redis.url)
    cache = caches["default"]
    cache.set("page", ("generation", b"<html>"))

    assert cache.incr_counter("views") == 1
    assert cache.incr_counter("views") == 2
    found, count = cache.get_many_and_incr(["page", "views", "absent"], "views")

    assert found == {"page": ("generation", b"<html>"), "views": 2}
    assert count == 3
    assert cache.get("views") == 3  # Django's own reads see the raw counter as an int
