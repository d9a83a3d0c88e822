"""Fixtures of the moderation tests, named by role. Content is built through
``community.services`` (via ``tests.factories``), as the site builds it."""

from __future__ import annotations

import pytest

from tests.factories import CategoryFactory, PostFactory, TopicFactory, UserFactory

ALWAYS = {day: [("00:00", "24:00")] for day in range(7)}


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # Factories set a password for every member; the default PBKDF2 would dominate the run.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _no_posting_limits(settings):
    """Community's daily posting limits are not what these tests are about."""
    settings.COMMUNITY_DAILY_LIMITS = {}


@pytest.fixture(autouse=True)
def _english():
    """These tests read the English messages: whatever language an earlier test of the same
    worker left active (a request with Accept-Language: fr activates French for the thread),
    they run in English."""
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _forget_compiled_watched_words():
    from moderation import selectors

    selectors._compiled_rules.update(key=None, rules=[])


@pytest.fixture
def off_duty(settings):
    """Nobody is ever on duty: the lower, off-hours hide threshold applies."""
    settings.MODERATION_DEFAULT_COVERAGE = {}


@pytest.fixture
def on_duty(settings):
    """Moderators are on duty around the clock: the normal hide threshold applies."""
    settings.MODERATION_DEFAULT_COVERAGE = ALWAYS


@pytest.fixture
def member(db):
    return UserFactory(trust_level=1)


@pytest.fixture
def author(db):
    return UserFactory(trust_level=1, username="author")


@pytest.fixture
def newcomer(db):
    return UserFactory(trust_level=0)


@pytest.fixture
def make_members(db):
    """``make_members(n, trust_level=1)`` → n new members."""

    def make(count: int, trust_level: int = 1):
        return [UserFactory(trust_level=trust_level) for _ in range(count)]

    return make


@pytest.fixture
def moderator(db):
    return UserFactory(moderator=True, username="moderator_one")


@pytest.fixture
def second_moderator(db):
    return UserFactory(moderator=True, username="moderator_two")


@pytest.fixture
def administrator(db):
    return UserFactory(administrator=True)


@pytest.fixture
def brand_staff(db):
    return UserFactory(brand_staff=True)


@pytest.fixture
def category(db):
    return CategoryFactory(name="Aurora kettles", slug="aurora")


@pytest.fixture
def other_category(db):
    return CategoryFactory(name="Toasters", slug="toasters")


@pytest.fixture
def category_moderator(db, category):
    """A member who moderates `category` only."""
    user = UserFactory(trust_level=2, username="aurora_mod")
    category.moderators.add(user)
    return user


@pytest.fixture
def topic(category, author):
    return TopicFactory(category=category, author=author)


@pytest.fixture
def post(topic, author):
    """A reply by `author` in `topic`."""
    return PostFactory(topic=topic, author=author, body="The kettle is rubbish, buy another.")


@pytest.fixture
def make_post(topic):
    """``make_post(author, body=None)`` → a reply in `topic` (distinct text by default, so
    the duplicate-text spam signal stays out of the way)."""
    counter = iter(range(1, 10_000))

    def make(author, body=None, topic_=None):
        body = body or f"A perfectly ordinary reply about kettles, number {next(counter)}."
        return PostFactory(topic=topic_ or topic, author=author, body=body)

    return make


@pytest.fixture
def moderation_events():
    """Record every moderation event sent during the test: {name: [kwargs, ...]}."""
    from moderation import events

    names = [
        "content_flagged",
        "content_hidden",
        "decision_made",
        "appeal_filed",
        "member_sanctioned",
        "items_escalated",
        "away_summary_ready",
        "staff_request_opened",
    ]
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
