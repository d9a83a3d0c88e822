"""Fixtures of the ideas tests, named by role. Data is built through the services
(community.services for members and categories via tests/factories.py, ideas.services for
ideas), as the site builds it."""

from __future__ import annotations

import itertools

import pytest
from django.test import Client

from ideas import events, services
from tests.factories import TEST_PASSWORD, CategoryFactory, UserFactory

HTMX = {"HTTP_HX_REQUEST": "true"}
_titles = itertools.count(1)


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # Factories set a password for every member; PBKDF2 would dominate the run.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def language_restored():
    """Put back the thread's language after each test: a request with Accept-Language: fr
    leaves French active (the locale middleware does not deactivate it), which would change
    the messages that later tests of the same worker read."""
    from django.utils import translation

    before = translation.get_language()
    yield
    if before:
        translation.activate(before)
    else:
        translation.deactivate()


@pytest.fixture(autouse=True)
def no_daily_limits(settings):
    """Tests build many ideas and supports; the daily-limit tests set their own limits."""
    settings.COMMUNITY_DAILY_LIMITS = {}


@pytest.fixture
def member(db):
    return UserFactory(trust_level=1)


@pytest.fixture
def other_member(db):
    return UserFactory(trust_level=1)


@pytest.fixture
def staff(db):
    """Brand staff: the official voice (statuses, responses, merges, insight)."""
    return UserFactory(brand_staff=True)


@pytest.fixture
def moderator(db):
    return UserFactory(moderator=True)


@pytest.fixture
def category(db):
    return CategoryFactory(name="Aurora kettles", slug="aurora", default_topic_kind="idea")


@pytest.fixture
def other_category(db):
    return CategoryFactory(name="Barista One", slug="barista-one")


@pytest.fixture
def make_members(db):
    """`make_members(n, **kwargs)` → n new members."""

    def make(count: int, **kwargs):
        return [UserFactory(**kwargs) for _ in range(count)]

    return make


@pytest.fixture
def make_idea(category, member):
    """`make_idea(author=..., category=..., title=..., body=..., tags=..., challenge=...)`."""

    def make(*, author=None, title=None, body=None, **kwargs):
        number = next(_titles)
        # Bodies differ: moderation holds the same text posted again as spam.
        return services.idea_create(
            actor=author or member,
            category=kwargs.pop("category", category),
            title=title or f"An idea for the kettle number {number}",
            body=body or f"Idea number {number}: it would make mornings better.",
            **kwargs,
        )

    return make


@pytest.fixture
def support():
    """`support(idea, voters)`: each voter supports the idea (through the service)."""

    def cast(idea, voters, *, network: str = ""):
        for voter in voters:
            idea = services.idea_vote_cast(actor=voter, idea=idea, value=1, ip_network=network)
        return idea

    return cast


@pytest.fixture
def login():
    """`login(user)` → a test client signed in as `user` (the day's visit already recorded)."""

    def client_for(user) -> Client:
        client = Client()
        assert client.login(username=user.username, password=TEST_PASSWORD)
        client.get("/")
        return client

    return client_for


@pytest.fixture
def captured_events():
    """Every ideas event sent during the test: {signal name: [kwargs, ...]}."""
    names = ["idea_status_changed", "idea_merged", "challenge_phase_opened", "idea_vote_changed"]
    seen: dict[str, list[dict]] = {name: [] for name in names}
    receivers = []
    for name in names:

        def receiver(sender, _name=name, **kwargs):
            kwargs.pop("signal", None)
            seen[_name].append(kwargs)

        getattr(events, name).connect(receiver, weak=False)
        receivers.append((name, receiver))
    yield seen
    for name, receiver in receivers:
        getattr(events, name).disconnect(receiver)
