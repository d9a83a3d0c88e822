"""Fixtures shared by the insights tests. The dashboard's tests use these; the people and
watch tests import theirs from ``tests/insights/fixtures_people.py``."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.factories import TEST_PASSWORD


@pytest.fixture
def login():
    """``login(user)`` → a test client signed in as ``user``."""

    def _login(user):
        client = Client()
        assert client.login(username=user.username, password=TEST_PASSWORD)
        return client

    return _login
