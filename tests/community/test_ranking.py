"""Tests for community.ranking. Pure functions, no database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from community.ranking import (
    DECAY_SECONDS,
    EPOCH,
    hot_score,
    top_period_start,
    wilson_lower_bound,
)

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


# hot_score -----------------------------------------------------------------------------


def test_newer_beats_older_at_equal_score():
    assert hot_score(10, T0 + timedelta(minutes=1)) > hot_score(10, T0)


def test_more_votes_beat_fewer_at_equal_time():
    assert hot_score(11, T0) > hot_score(10, T0)
    assert hot_score(2, T0) > hot_score(1, T0) == hot_score(0, T0) > hot_score(-2, T0)


def test_ten_times_votes_is_worth_45000_seconds():
    assert DECAY_SECONDS == 45_000
    older_popular = hot_score(100, T0)
    newer_less = hot_score(10, T0 + timedelta(seconds=45_000))
    assert newer_less == pytest.approx(older_popular)
    assert hot_score(10, T0 + timedelta(seconds=45_001)) > older_popular


def test_zero_and_one_vote_differ_only_by_sign():
    assert hot_score(0, T0) == hot_score(1, T0)
    assert hot_score(-10, T0) == pytest.approx(hot_score(10, T0) - 2)


def test_hot_score_at_epoch():
    assert hot_score(1, EPOCH) == 0.0
    assert hot_score(1000, EPOCH) == pytest.approx(3.0)


def test_hot_score_is_timezone_independent():
    other_tz = T0.astimezone(timezone(timedelta(hours=-5)))
    assert hot_score(5, other_tz) == hot_score(5, T0)


def test_hot_score_rejects_naive_datetime():
    with pytest.raises(ValueError):
        hot_score(1, datetime(2026, 1, 1))


# wilson_lower_bound --------------------------------------------------------------------


def test_wilson_no_votes_is_zero():
    assert wilson_lower_bound(0, 0) == 0.0


def test_wilson_orders_confidence_over_ratio():
    assert wilson_lower_bound(1, 0) < wilson_lower_bound(100, 5)
    assert wilson_lower_bound(10, 0) < wilson_lower_bound(1000, 10)
    assert wilson_lower_bound(0, 1) == 0.0
    assert wilson_lower_bound(5, 5) < wilson_lower_bound(50, 50)


def test_wilson_known_value():
    # 100 up, 5 down at 95 %: p = 0.952, bound ≈ 0.8934
    assert wilson_lower_bound(100, 5) == pytest.approx(0.8934, abs=1e-3)


def test_wilson_is_bounded_and_monotonic():
    previous = -1.0
    for up in range(0, 200):
        value = wilson_lower_bound(up, 20)
        assert 0.0 <= value <= 1.0
        assert value >= previous
        previous = value
    previous = 2.0
    for down in range(0, 200):
        value = wilson_lower_bound(50, down)
        assert value <= previous
        previous = value


def test_wilson_wider_z_is_more_conservative():
    assert wilson_lower_bound(10, 2, z=2.58) < wilson_lower_bound(10, 2, z=1.96)


def test_wilson_rejects_negative_counts():
    with pytest.raises(ValueError):
        wilson_lower_bound(-1, 0)


# top_period_start ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("period", "delta"),
    [
        ("day", timedelta(days=1)),
        ("week", timedelta(days=7)),
        ("month", timedelta(days=30)),
        ("year", timedelta(days=365)),
    ],
)
def test_top_period_start(period, delta):
    assert top_period_start(period, T0) == T0 - delta


def test_top_period_all_is_unbounded():
    assert top_period_start("all", T0) is None


@pytest.mark.parametrize("period", ["", "hour", "DAY", "forever", "week "])
def test_top_period_unknown(period):
    with pytest.raises(ValueError):
        top_period_start(period, T0)
