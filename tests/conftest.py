"""Shared test fixtures.

Tests that need a real service carry a marker (`postgres`, `redis`, `worker`). Without the
service they skip with the reason; with CAUSERIE_REQUIRE_SERVICES=1 (set by CI) the skip becomes
a failure, so CI can never go green by skipping the tests that matter.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings

REQUIRE_SERVICES = os.environ.get("CAUSERIE_REQUIRE_SERVICES") == "1"
ROOT = Path(__file__).resolve().parent.parent


def service_missing(reason: str) -> None:
    """Skip the current test for a missing service, or fail it when services are required."""
    if REQUIRE_SERVICES:
        pytest.fail(f"required service missing (CAUSERIE_REQUIRE_SERVICES=1): {reason}")
    pytest.skip(reason)


def _redis_reachable() -> bool:
    if not settings.REDIS_URL:
        return False
    import redis

    try:
        return bool(redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


def pytest_runtest_setup(item: pytest.Item) -> None:
    needs_postgres = item.get_closest_marker("postgres") or item.get_closest_marker("worker")
    needs_redis = item.get_closest_marker("redis") or item.get_closest_marker("worker")
    if (
        needs_postgres
        and settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql"
    ):
        service_missing("needs PostgreSQL: set DATABASE_URL=postgres://…")
    if needs_redis and not _redis_reachable():
        service_missing("needs Redis: set REDIS_URL=redis://… to a running server")


@pytest.fixture(autouse=True)
def _isolated_cache_and_eager_tasks(request):
    """Each test starts with an empty cache (rate limits, visit keys) and, unless it starts a
    real worker, runs Celery tasks eagerly in the test process."""
    from django.core.cache import cache

    from config.celery import app

    # A test about a broken cache configures its own; it must not fail here.
    with contextlib.suppress(Exception):
        cache.clear()
    eager = request.node.get_closest_marker("worker") is None
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = eager
    yield
    app.conf.task_always_eager = previous


@pytest.fixture
def celery_worker(transactional_db, tmp_path):
    """A real Celery worker process consuming the test's Redis broker and using the test
    database. Yields the process; its log is attached to the failure message."""
    from django.db import connection

    from config.celery import app

    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    env = {
        **os.environ,
        "DATABASE_URL": (
            f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:"
            f"{db['PORT'] or 5432}/{db['NAME']}"
        ),
        "REDIS_URL": settings.REDIS_URL,
        "CELERY_TASK_ALWAYS_EAGER": "0",
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    app.control.purge()
    log_path = tmp_path / "worker.log"
    log = log_path.open("w")
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool=prefork",
            "--concurrency=1",
            f"--hostname=test-{uuid.uuid4().hex[:8]}@%h",
            "--without-gossip",
            "--without-mingle",
            "--loglevel=INFO",
        ],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while "ready." not in log_path.read_text():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            pytest.fail(f"the Celery worker did not start:\n{log_path.read_text()[-3000:]}")
        time.sleep(0.2)
    process.log_path = log_path
    yield process
    process.terminate()
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
    log.close()


def wait_for(predicate, *, timeout: float = 30, interval: float = 0.2, message: str = ""):
    """Poll `predicate` until it returns a truthy value; fail the test after `timeout` s."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    pytest.fail(message or f"condition not met within {timeout} s")
