"""Fixtures of the community domain tests, named by role. Test modules import them with
`from tests.community.fixtures_domain import *` (a module of its own rather than conftest.py,
which the views tests may want for themselves)."""

from __future__ import annotations

import pytest

from tests.factories import CategoryFactory, TopicFactory, UserFactory


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    # Factories set a password for every member; the default PBKDF2 would dominate the run.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def member(db):
    return UserFactory(trust_level=1)


@pytest.fixture
def other_member(db):
    return UserFactory(trust_level=1)


@pytest.fixture
def newcomer(db):
    return UserFactory(trust_level=0)


@pytest.fixture
def moderator(db):
    return UserFactory(moderator=True)


@pytest.fixture
def brand_staff(db):
    return UserFactory(brand_staff=True)


@pytest.fixture
def administrator(db):
    return UserFactory(administrator=True)


@pytest.fixture
def category(db):
    return CategoryFactory(name="Aurora kettles", slug="aurora")


@pytest.fixture
def topic(category, member):
    return TopicFactory(category=category, author=member)


@pytest.fixture
def captured_events():
    """Record every community event sent during the test: {signal name: [kwargs, ...]}."""
    from community import events

    names = [
        "content_submitted",
        "topic_created",
        "post_created",
        "post_edited",
        "members_mentioned",
        "post_quoted",
        "post_state_changed",
        "vote_changed",
        "answer_accepted",
        "answer_unaccepted",
        "topic_moved",
        "topic_status_changed",
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
