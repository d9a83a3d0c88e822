"""Fixtures of the webhook tests: a real HTTP receiver on 127.0.0.1, people named by role,
content built through the services.

Deliveries are published after commit; `with on_commit():` runs what a block schedules
(recursively), tasks run eagerly in the test process (tests/conftest.py)."""

from __future__ import annotations

import functools
import itertools
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.test import Client

from tests.factories import TEST_PASSWORD, CategoryFactory, TopicFactory, UserFactory

_numbers = itertools.count(1)
SHARED_SECRET = "a-very-long-shared-secret-123"


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _no_posting_limits(settings):
    settings.COMMUNITY_DAILY_LIMITS = {}


@pytest.fixture(autouse=True)
def _english():
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def private_targets_allowed(settings):
    """The receiver listens on 127.0.0.1: tests allow private targets explicitly (the
    default, as in production, refuses them). The SSRF tests turn it off again."""
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = True
    settings.WEBHOOKS_RETRY_SCHEDULE = (60, 300, 1800, 7200, 21600, 54000)
    settings.WEBHOOKS_DISABLE_AFTER_FAILURES = 15
    settings.WEBHOOKS_TIMEOUT_SECONDS = 5
    return settings


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks):
    """`with on_commit():` — run the after-commit work the block schedules, recursively."""
    return functools.partial(django_capture_on_commit_callbacks, execute=True)


# --- The receiver ------------------------------------------------------------------------------


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> dict:
        return json.loads(self.body)


@dataclass
class Receiver:
    """A tiny HTTP server that records every request. `answers` are the statuses of the next
    requests, in order (then 200); `redirect_to` answers 302 with that Location instead."""

    url: str = ""
    requests: list[Received] = field(default_factory=list)
    answers: list[int] = field(default_factory=list)
    redirect_to: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer_next(self, *statuses: int) -> None:
        with self.lock:
            self.answers.extend(statuses)

    def next_status(self) -> int:
        with self.lock:
            return self.answers.pop(0) if self.answers else 200


def _handler_for(receiver: Receiver):
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            with receiver.lock:
                receiver.requests.append(Received(self.path, dict(self.headers.items()), body))
            if receiver.redirect_to:
                self.send_response(302)
                self.send_header("Location", receiver.redirect_to)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            status = receiver.next_status()
            answer = json.dumps({"received": True, "status": status}).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args):  # keep the test output quiet
            pass

    return Handler


@pytest.fixture
def receiver():
    state = Receiver()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(state))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/causerie"
    yield state
    server.shutdown()
    server.server_close()


# --- People and content ------------------------------------------------------------------------


@pytest.fixture
def administrator(db):
    return UserFactory(administrator=True, username="admin_ada")


@pytest.fixture
def other_administrator(db):
    return UserFactory(administrator=True, username="admin_bob")


@pytest.fixture
def moderator(db):
    return UserFactory(moderator=True, username="moderator_mo")


@pytest.fixture
def member(db):
    return UserFactory(trust_level=1, username="member_mia")


@pytest.fixture
def author(db):
    return UserFactory(trust_level=1, username="author_al", display_name="Al the Author")


@pytest.fixture
def newcomer(db):
    return UserFactory(trust_level=0, username="newcomer_ned")


@pytest.fixture
def brand_staff(db):
    return UserFactory(brand_staff=True, username="staff_sue")


@pytest.fixture
def category(db):
    return CategoryFactory(name="Aurora kettles", slug="aurora")


@pytest.fixture
def make_topic(category, author):
    def make(**kwargs):
        number = next(_numbers)
        kwargs.setdefault("title", f"Kettle question number {number}")
        kwargs.setdefault("body", f"My kettle number {number} whistles when it boils.")
        return TopicFactory(
            category=kwargs.pop("category", category), author=kwargs.pop("author", author), **kwargs
        )

    return make


@pytest.fixture
def make_endpoint(administrator, receiver):
    """`make_endpoint(events=[...], url=..., secret=...)` through the service."""
    from webhooks import services
    from webhooks.models import WebhookEvent

    def make(*, events=None, url=None, secret=SHARED_SECRET, **kwargs):
        return services.endpoint_create(
            actor=kwargs.pop("actor", administrator),
            url=url or receiver.url,
            events=list(events) if events is not None else list(WebhookEvent.values),
            secret=secret,
            **kwargs,
        )

    return make


@pytest.fixture
def login():
    def client_for(user) -> Client:
        client = Client()
        assert client.login(username=user.username, password=TEST_PASSWORD)
        return client

    return client_for
