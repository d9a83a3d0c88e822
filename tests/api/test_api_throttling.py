"""Throttles by anonymous / trust level: one budget per caller across every endpoint (visitors
by IP address, members by account), its rate set by the caller's trust level, staff roles at
the highest; a 429 says when to come back (``Retry-After``)."""

from __future__ import annotations

import itertools

import pytest
from django.core.cache import cache

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

RATES = {"anon": "3/min", 0: "4/min", 1: "5/min", 2: "6/min", 3: "7/min", 4: "9/min"}
# Read endpoints of several apps, taken in turn: the budget is the caller's, not the path's.
PUBLIC = ["/api/v1/categories/", "/api/v1/topics/", "/api/v1/ideas/", "/api/v1/search/?q=kettle"]
SIGNED_IN = [*PUBLIC, "/api/v1/me/", "/api/v1/notifications/"]


@pytest.fixture(autouse=True)
def _small_rates(settings):
    settings.API_THROTTLE_RATES = RATES
    cache.clear()
    yield
    cache.clear()


def _allowed_before_429(client, paths) -> tuple[int, object]:
    """Requests answered before the first 429 (cycling through ``paths``), and that 429."""
    for count, path in enumerate(itertools.cycle(paths)):
        response = client.get(path)
        if response.status_code == 429:
            return count, response
        assert response.status_code == 200, (path, response.status_code, response.content)
        assert count < 50, "never throttled"
    raise AssertionError("unreachable")


def _assert_throttled_properly(response):
    assert response["Content-Type"].startswith("application/json")
    assert "detail" in response.json()
    retry_after = int(response["Retry-After"])
    assert 1 <= retry_after <= 60


def test_visitors_are_throttled_at_the_anonymous_rate_across_endpoints(api):
    allowed, throttled = _allowed_before_429(api, PUBLIC)
    assert allowed == 3
    _assert_throttled_properly(throttled)
    # Another endpoint does not reset the budget: it is the caller's.
    assert api.get("/api/v1/roadmap/").status_code == 429


@pytest.mark.parametrize(("level", "expected"), [(0, 4), (3, 7)])
def test_members_are_throttled_at_their_trust_levels_rate(api_as, level, expected):
    client = api_as(UserFactory(trust_level=level))
    allowed, throttled = _allowed_before_429(client, SIGNED_IN)
    assert allowed == expected
    _assert_throttled_properly(throttled)


@pytest.mark.parametrize("role", ["moderator", "brand_staff", "administrator"])
def test_staff_roles_get_the_highest_rate_whatever_their_trust_level(api_as, role):
    client = api_as(UserFactory(trust_level=0, **{role: True}))
    allowed, throttled = _allowed_before_429(client, SIGNED_IN)
    assert allowed == 9
    _assert_throttled_properly(throttled)


def test_budgets_are_per_caller_not_shared(api, api_as):
    newcomer = api_as(UserFactory(trust_level=0))
    regular = api_as(UserFactory(trust_level=3))
    assert _allowed_before_429(newcomer, SIGNED_IN)[0] == 4
    # The newcomer's exhausted budget touches neither a regular nor a visitor.
    assert _allowed_before_429(regular, SIGNED_IN)[0] == 7
    assert _allowed_before_429(api, PUBLIC)[0] == 3


def test_writes_count_against_the_same_budget(api_as):
    client = api_as(UserFactory(trust_level=0))
    for _ in range(3):
        assert client.get("/api/v1/me/").status_code == 200
    assert (
        client.post("/api/v1/notifications/read/", {"all": True}, format="json").status_code == 200
    )
    response = client.post("/api/v1/notifications/read/", {"all": True}, format="json")
    assert response.status_code == 429
    _assert_throttled_properly(response)
