"""API test fixtures: the domain fixtures by role, and DRF clients authenticated by token
(`api_as(user)`) or anonymous (`api`)."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from tests.community.fixtures_domain import *  # noqa: F403


@pytest.fixture
def api():
    """An anonymous API client."""
    return APIClient()


@pytest.fixture
def api_as(db):
    """`api_as(user)` → an API client sending `Authorization: Token <a new token of user>`."""
    from accounts.services import api_token_create

    def make(user):
        client = APIClient()
        _token, key = api_token_create(actor=user, name="tests")
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        return client

    return make


@pytest.fixture
def member_api(api_as, member):
    return api_as(member)


@pytest.fixture
def moderator_api(api_as, moderator):
    return api_as(moderator)
