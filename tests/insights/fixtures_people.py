"""Fixtures of the people and e-reputation watch tests, named by role. Test modules import
them with ``from tests.insights.fixtures_people import *`` (conftest.py is left to the
dashboard's tests)."""

from __future__ import annotations

import functools
import itertools

import pytest
from django.test import Client

from tests.factories import CategoryFactory, PostFactory, TopicFactory, UserFactory

_bodies = itertools.count(1)


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def no_daily_limits(settings):
    settings.COMMUNITY_DAILY_LIMITS = {}


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks):
    """``with on_commit():`` runs what the block schedules after commit (e-mails...)."""
    return functools.partial(django_capture_on_commit_callbacks, execute=True)


@pytest.fixture
def member(db):
    return UserFactory(username="alice", trust_level=2)


@pytest.fixture
def other_member(db):
    return UserFactory(username="bob", trust_level=2)


@pytest.fixture
def third_member(db):
    return UserFactory(username="carol", trust_level=2)


@pytest.fixture
def moderator(db):
    """A community manager."""
    return UserFactory(username="camille", moderator=True)


@pytest.fixture
def brand_staff(db):
    return UserFactory(username="sophie", brand_staff=True)


@pytest.fixture
def administrator(db):
    return UserFactory(username="root", administrator=True)


@pytest.fixture
def category(db):
    return CategoryFactory(name="Aurora kettles", slug="aurora")


@pytest.fixture
def say():
    """``say(author, text, topic=None, **topic_kwargs)`` → a new post (a new topic when
    ``topic`` is None), with a unique tail so moderation's duplicate-text rule stays quiet."""

    def post(author, text, *, topic=None, **kwargs):
        tail = f" (message {next(_bodies)})"
        if topic is None:
            title = kwargs.pop("title", f"Question number {next(_bodies)}")
            return TopicFactory(author=author, title=title, body=text + tail, **kwargs).posts.get(
                number=1
            )
        return PostFactory(topic=topic, author=author, body=text + tail, **kwargs)

    return post


@pytest.fixture
def client_for():
    """``client_for(user)`` → a test client signed in as ``user``."""

    def make(user) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return make
