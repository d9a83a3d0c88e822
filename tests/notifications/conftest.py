"""Fixtures of the notifications tests, named by role.

Data is built through the community services (the factories call them), so the domain events
fire as on the site. With the default (non-transactional) test database nothing is ever
committed: `on_commit()` runs what a block schedules after commit — the outbox publication,
then the eager Celery tasks and what they schedule in turn.
"""

from __future__ import annotations

import functools
from pathlib import Path

import pytest

from tests.factories import CategoryFactory, PostFactory, TopicFactory, UserFactory


@pytest.fixture(autouse=True)
def fast_password_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def var_dir(tmp_path) -> Path:
    """The var directory of a worker started by a test: its e-mails land in `mail/`."""
    path = tmp_path / "var"
    (path / "mail").mkdir(parents=True)
    return path


@pytest.fixture(autouse=True)
def site_url(settings):
    settings.SITE_URL = "https://community.example.org"


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks):
    """`with on_commit():` — run the after-commit work the block schedules, recursively."""
    return functools.partial(django_capture_on_commit_callbacks, execute=True)


@pytest.fixture
def category(db):
    return CategoryFactory(name="Aurora kettles", slug="aurora")


@pytest.fixture
def author(db):
    """Starts the topic (and so watches it)."""
    return UserFactory(username="alice")


@pytest.fixture
def replier(db):
    return UserFactory(username="bob")


@pytest.fixture
def watcher(db, category):
    """Watches the whole category."""
    from community import services
    from community.models import NotificationLevel

    user = UserFactory(username="carol")
    services.category_subscribe(actor=user, category=category, level=NotificationLevel.WATCHING)
    return user


@pytest.fixture
def bystander(db):
    """Follows nothing."""
    return UserFactory(username="dave")


@pytest.fixture
def topic(category, author, on_commit):
    with on_commit():
        return TopicFactory(category=category, author=author, title="The Aurora kettle whistles")


@pytest.fixture
def reply(on_commit):
    """`reply(topic, author, body=..., reply_to=None)` → the post, after-commit work done."""

    def _reply(topic, author, body="Descale it with citric acid.", reply_to=None):
        with on_commit():
            return PostFactory(topic=topic, author=author, body=body, reply_to=reply_to)

    return _reply


@pytest.fixture
def login(client):
    def _login(user):
        client.force_login(user)
        return client

    return _login
