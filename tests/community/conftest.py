"""Fixtures of the community web tests (views through the test client), named by role.

The domain fixtures (`member`, `moderator`, `category`, `topic`…) live in
`tests/community/fixtures_domain.py`; they are re-exported here so every test module of this
folder can use them.
"""

from __future__ import annotations

import pytest

from tests.community.fixtures_domain import *  # noqa: F403
from tests.factories import TEST_PASSWORD


def _client_for(client_class, user, **kwargs):
    client = client_class(**kwargs)
    assert client.login(username=user.username, password=TEST_PASSWORD)
    return client


@pytest.fixture
def member_client(member):
    from django.test import Client

    return _client_for(Client, member)


@pytest.fixture
def other_client(other_member):
    from django.test import Client

    return _client_for(Client, other_member)


@pytest.fixture
def moderator_client(moderator):
    from django.test import Client

    return _client_for(Client, moderator)


@pytest.fixture
def login():
    """`login(user)` → a test client signed in as `user`."""
    from django.test import Client

    return lambda user, **kwargs: _client_for(Client, user, **kwargs)


HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def no_daily_limits(settings):
    """Lift the per-day posting limits, for tests that build many topics or posts."""
    settings.COMMUNITY_DAILY_LIMITS = {}
