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


# --- Workers a test can kill, on a Redis server a test can stop --------------------------------
# Added for the notifications reliability tests; the fixtures above are unchanged.


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PrivateRedis:
    """A redis-server of the test's own (random port, no persistence), so that stopping it —
    "Redis is down" — cannot disturb anything else using the shared Redis."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.port = _free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        import redis

        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.directory),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis.from_url(self.url, socket_connect_timeout=0.5)
        wait_for(lambda: self._ping(client), timeout=10, message="redis-server did not start")

    @staticmethod
    def _ping(client) -> bool:
        import redis

        try:
            return bool(client.ping())
        except redis.RedisError:
            return False

    def stop(self) -> None:
        """Stop the server at once (SIGKILL: nothing is saved, as after a crash)."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None


@pytest.fixture
def private_redis(tmp_path):
    import shutil

    if shutil.which("redis-server") is None:
        service_missing("needs redis-server on the PATH to start a private Redis")
    server = PrivateRedis(tmp_path)
    server.start()
    yield server
    server.stop()


@contextlib.contextmanager
def celery_broker(url: str):
    """Make this process's Celery app publish to `url` (and drop its pooled connections)."""
    from config.celery import app

    def use(broker_url: str) -> None:
        # Forget the app's pools without closing them: kombu keeps connection pools in a
        # process-wide registry keyed by URL, and a closed pool found there again later fails
        # every publish ("Acquire on closed pool") — even of eager tasks.
        app.conf.broker_url = broker_url
        app._pool = None
        app.amqp._producer_pool = None

    previous = app.conf.broker_url
    use(url)
    try:
        yield app
    finally:
        use(previous)


class WorkerProcess:
    """A Celery worker started in its own process group, so a test can kill -9 exactly the
    pool child running a task, or the whole worker."""

    def __init__(self, process: subprocess.Popen, log_path: Path, log) -> None:
        self.process = process
        self.log_path = log_path
        self._log = log

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def pool_children(self) -> list[int]:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        try:
            return [int(pid) for pid in children.read_text().split()]
        except OSError:
            return []

    def kill_pool_child(self) -> int:
        """kill -9 the pool process (the one that runs tasks); the worker replaces it."""
        import signal

        (child,) = self.pool_children()
        os.kill(child, signal.SIGKILL)
        return child

    def kill(self) -> None:
        """kill -9 the whole worker: main process and pool children, nothing cleans up."""
        import signal

        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=20)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.kill()
        self._log.close()


@pytest.fixture
def worker_factory(transactional_db, tmp_path):
    """`start(broker_url=..., env={...}) -> WorkerProcess`: real Celery workers on the test
    database, with extra environment (e.g. CAUSERIE_VAR_DIR for the file e-mail backend,
    NOTIFICATIONS_* delays). Every worker started is stopped at the end of the test."""
    from django.db import connection

    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db.get("PASSWORD") else ""
    database_url = (
        f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:"
        f"{db['PORT'] or 5432}/{db['NAME']}"
    )
    started: list[WorkerProcess] = []

    def start(*, broker_url: str, env: dict[str, str] | None = None) -> WorkerProcess:
        number = len(started) + 1
        log_path = tmp_path / f"worker-{number}.log"
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
                "--without-heartbeat",
                "--loglevel=INFO",
            ],
            cwd=ROOT,
            env={
                **os.environ,
                "DATABASE_URL": database_url,
                "REDIS_URL": broker_url,
                "CELERY_TASK_ALWAYS_EAGER": "0",
                "DJANGO_SETTINGS_MODULE": "config.settings",
                **(env or {}),
            },
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: kill() reaches the pool too
        )
        worker = WorkerProcess(process, log_path, log)
        started.append(worker)
        deadline = time.monotonic() + 60
        while "ready." not in worker.log():
            if process.poll() is not None or time.monotonic() > deadline:
                worker.kill()
                pytest.fail(f"the Celery worker did not start:\n{worker.log()[-3000:]}")
            time.sleep(0.2)
        return worker

    yield start
    for worker in started:
        worker.stop()
