"""The read-replica router (config/db_router.py): which alias each query goes to.

In these tests ``replica`` is a second connection to the same test database (what the
``TEST: {"MIRROR": "default"}`` setting gives when DATABASE_REPLICA_URL is set), so both aliases
see the same committed rows and each query can be counted on the alias that served it.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connections, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext

from config import db_router
from tests.factories import TopicFactory, UserFactory

ROOT = Path(__file__).resolve().parent.parent.parent


def on_postgres(test):
    """Committed rows on a real PostgreSQL test database, seen by both aliases."""
    marked = pytest.mark.django_db(transaction=True, databases=["default", db_router.REPLICA])
    return pytest.mark.postgres(marked(test))


@pytest.fixture(scope="module", autouse=True)
def _replica_alias(django_db_setup):
    """The ``replica`` alias, a mirror of the test database, as config/settings.py adds it
    when DATABASE_REPLICA_URL is set. Module-scoped so that it exists before each test's
    database setup, which then allows queries on it."""
    mirror = copy.deepcopy(connections["default"].settings_dict)
    mirror["TEST"] = {**mirror.get("TEST", {}), "MIRROR": "default"}
    connections.settings[db_router.REPLICA] = mirror
    yield
    connections[db_router.REPLICA].close()
    del connections.settings[db_router.REPLICA]
    if hasattr(connections._connections, db_router.REPLICA):
        delattr(connections._connections, db_router.REPLICA)


@pytest.fixture(autouse=True)
def _fast_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def replica(settings):
    """The router and the middleware, as config/settings.py adds them with a replica."""
    settings.DATABASE_ROUTERS = ["config.db_router.PrimaryReplicaRouter"]
    settings.DATABASE_REPLICA_PIN_SECONDS = 5
    middleware = list(settings.MIDDLEWARE)
    middleware.insert(1, "config.db_router.ReplicaMiddleware")
    settings.MIDDLEWARE = middleware
    settings.COMMUNITY_ANON_CACHE = False  # count the queries of every page
    settings.COMMUNITY_VIEW_COUNTS_BUFFERED = True  # no write-through view count on GET


class QueriesPerAlias:
    """Count the queries each alias ran inside the block."""

    def __enter__(self):
        self._contexts = {
            alias: CaptureQueriesContext(connections[alias])
            for alias in (db_router.PRIMARY, db_router.REPLICA)
        }
        for context in self._contexts.values():
            context.__enter__()
        return self

    def __exit__(self, *exc):
        for context in self._contexts.values():
            context.__exit__(*exc)

    @property
    def primary(self) -> list[str]:
        return [q["sql"] for q in self._contexts[db_router.PRIMARY].captured_queries]

    @property
    def replica(self) -> list[str]:
        return [q["sql"] for q in self._contexts[db_router.REPLICA].captured_queries]


@pytest.fixture
def topic():
    return TopicFactory()


@pytest.fixture
def member():
    member = UserFactory(trust_level=1)
    # The first visit of the day is a write (VisitMiddleware); make it happen before the test.
    client = Client()
    client.force_login(member)
    client.get("/healthz")
    return member


def _signed_in(member) -> Client:
    client = Client()
    client.force_login(member)
    client.cookies.pop(db_router.PIN_COOKIE, None)
    return client


def _reads(queries: list[str]) -> list[str]:
    return [sql for sql in queries if sql.lstrip().upper().startswith("SELECT")]


def _writes(queries: list[str]) -> list[str]:
    return [
        sql for sql in queries if sql.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))
    ]


@on_postgres
def test_anonymous_page_reads_come_from_the_replica(client, replica, topic):
    url = topic.category.get_absolute_url()

    with QueriesPerAlias() as queries:
        response = client.get(url)

    assert response.status_code == 200
    assert _reads(queries.replica)
    assert queries.primary == [], "\n".join(queries.primary)
    assert db_router.PIN_COOKIE not in response.cookies


@on_postgres
def test_member_list_page_reads_come_from_the_replica_when_they_have_not_written(
    replica, topic, member
):
    client = _signed_in(member)
    url = topic.category.get_absolute_url()

    with QueriesPerAlias() as queries:
        response = client.get(url)

    assert response.status_code == 200
    assert len(_reads(queries.replica)) >= 3  # session, member, topics…
    assert queries.primary == [], "\n".join(queries.primary)
    assert db_router.PIN_COOKIE not in response.cookies


@on_postgres
def test_a_reply_runs_on_the_primary_and_pins_the_member_to_it(replica, topic, member):
    client = _signed_in(member)

    with QueriesPerAlias() as queries:
        response = client.post(f"/t/{topic.pk}/reply/", {"body": "Read me back at once."})

    assert response.status_code == 302
    assert _writes(queries.primary)
    assert queries.replica == []
    pin = response.cookies[db_router.PIN_COOKIE]
    assert int(pin["max-age"]) == 5
    assert pin["httponly"]

    # The page the member is sent back to reads the primary: their reply is there even if
    # the replica lags.
    with QueriesPerAlias() as queries:
        page = client.get(response["Location"], follow=True)

    assert b"Read me back at once." in page.content
    assert queries.replica == []
    assert _reads(queries.primary)


@on_postgres
def test_the_pin_ends_with_its_cookie(replica, topic, member):
    client = _signed_in(member)
    client.post(f"/p/{topic.posts.first().pk}/vote/", {"value": "1"})
    assert db_router.PIN_COOKIE in client.cookies

    url = topic.category.get_absolute_url()
    client.cookies.pop(db_router.PIN_COOKIE)  # what the browser does after max-age
    with QueriesPerAlias() as queries:
        client.get(url)

    assert _reads(queries.replica)
    assert queries.primary == [], "\n".join(queries.primary)


@on_postgres
def test_a_write_during_a_get_pins_the_rest_of_that_request(replica, topic, member):
    """A member's topic page records how far they read (a write): the reads before it come
    from the replica, the write and every read after it from the primary, and the answer
    carries the pin cookie for the member's next requests."""
    client = _signed_in(member)
    url = topic.get_absolute_url()

    with QueriesPerAlias() as queries:
        response = client.get(url)

    assert response.status_code == 200
    assert _reads(queries.replica)  # the session and the topic, before the write
    assert _writes(queries.replica) == []
    first_write = next(
        i for i, sql in enumerate(queries.primary) if sql.lstrip().upper().startswith("INSERT")
    )
    assert _reads(queries.primary[:first_write]) == []
    assert _reads(queries.primary[first_write:])  # the page's remaining reads
    assert db_router.PIN_COOKIE in response.cookies


@on_postgres
def test_reads_outside_requests_use_the_primary(replica, topic):
    """Tasks, commands and the shell: a task runs right after the commit that scheduled it."""
    from community.models import Topic

    with QueriesPerAlias() as queries:
        assert Topic.objects.filter(pk=topic.pk).exists()

    assert queries.replica == []
    assert not db_router.reads_from_replica()


@on_postgres
def test_reads_inside_a_transaction_stay_on_the_primary(replica, topic):
    from community.models import Topic

    state = {"replica": True, "wrote": False}
    token = db_router._request_state.set(state)
    try:
        assert db_router.reads_from_replica()
        with QueriesPerAlias() as queries, transaction.atomic():
            Topic.objects.get(pk=topic.pk)
    finally:
        db_router._request_state.reset(token)

    assert queries.replica == []


def test_migrations_run_on_the_primary_only():
    router = db_router.PrimaryReplicaRouter()

    assert router.allow_migrate("default", "community") is True
    assert router.allow_migrate("replica", "community") is False


def test_settings_add_the_replica_router_and_middleware_only_with_a_replica_url():
    code = (
        "import json, django; from django.conf import settings; django.setup(); "
        "print(json.dumps({'aliases': sorted(settings.DATABASES), "
        "'mirror': settings.DATABASES.get('replica', {}).get('TEST', {}).get('MIRROR'), "
        "'routers': settings.DATABASE_ROUTERS, "
        "'middleware': 'config.db_router.ReplicaMiddleware' in settings.MIDDLEWARE}))"
    )

    def configured(**extra) -> dict:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/primary_db",
            "DATABASE_REPLICA_URL": "",
            **extra,
        }
        out = subprocess.run(
            [sys.executable, "-c", code],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        return json.loads(out.stdout.strip().splitlines()[-1])

    without = configured()
    with_replica = configured(DATABASE_REPLICA_URL="postgres://postgres@10.0.0.2:5432/primary_db")

    assert without == {"aliases": ["default"], "mirror": None, "routers": [], "middleware": False}
    assert with_replica == {
        "aliases": ["default", "replica"],
        "mirror": "default",
        "routers": ["config.db_router.PrimaryReplicaRouter"],
        "middleware": True,
    }
