"""moderation.coverage: on-duty windows, periods across midnight. Pure functions."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from moderation import coverage

PARIS = ZoneInfo("Europe/Paris")
WEEKDAYS_9_TO_18 = coverage.windows_from_mapping({d: [("09:00", "18:00")] for d in range(5)})


def at(day: int, hour: int, minute: int = 0) -> dt.datetime:
    """2026-03-02 is a Monday; `day` 0..6 counts from it, in Paris time."""
    return dt.datetime(2026, 3, 2 + day, hour, minute, tzinfo=PARIS)


def test_inside_office_hours_is_on_duty():
    assert coverage.is_on_duty(at(0, 10), WEEKDAYS_9_TO_18, PARIS)
    assert coverage.is_on_duty(at(4, 9), WEEKDAYS_9_TO_18, PARIS)  # start included


def test_evenings_and_weekends_are_off_duty():
    assert not coverage.is_on_duty(at(0, 18), WEEKDAYS_9_TO_18, PARIS)  # end excluded
    assert not coverage.is_on_duty(at(2, 23), WEEKDAYS_9_TO_18, PARIS)
    assert not coverage.is_on_duty(at(5, 12), WEEKDAYS_9_TO_18, PARIS)


def test_a_moment_in_another_time_zone_is_read_in_the_community_time_zone():
    utc_8am_monday = dt.datetime(2026, 3, 2, 8, 30, tzinfo=dt.UTC)  # 09:30 in Paris
    assert coverage.is_on_duty(utc_8am_monday, WEEKDAYS_9_TO_18, PARIS)


def test_no_window_means_never_on_duty():
    assert not coverage.is_on_duty(at(0, 10), [], PARIS)
    assert coverage.next_on_duty_start(at(0, 10), [], PARIS) is None


def test_next_on_duty_start_after_friday_evening_is_monday_morning():
    assert coverage.next_on_duty_start(at(4, 20), WEEKDAYS_9_TO_18, PARIS) == at(7, 9)


def test_windows_touching_across_midnight_form_one_period():
    windows = coverage.windows_from_mapping({0: [("20:00", "24:00")], 1: [("00:00", "02:00")]})
    start, end = coverage.current_period(at(1, 1), windows, PARIS)
    assert (start, end) == (at(0, 20), at(1, 2))
    assert coverage.next_on_duty_start(at(0, 21), windows, PARIS) == at(7, 20)


def test_previous_period_end_is_where_the_away_time_began():
    assert coverage.previous_period_end(at(1, 9), WEEKDAYS_9_TO_18, PARIS) == at(0, 18)


@pytest.mark.parametrize("bad", ["25:00", "9h", "10:75", ""])
def test_bad_times_are_refused(bad):
    with pytest.raises(ValueError):
        coverage.parse_time(bad)


def test_a_window_must_start_before_it_ends():
    with pytest.raises(ValueError):
        coverage.Window(0, 600, 540)
