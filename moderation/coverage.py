"""Coverage hours: when moderators are on duty. Pure functions, no database.

A coverage schedule is a list of :class:`Window` (weekday 0 = Monday, start and end in minutes
from local midnight, end up to 1440 = midnight at the end of the day), read in the community's
time zone. Windows that touch, including across midnight (Monday 20:00-24:00 then Tuesday
00:00-02:00), form one on-duty *period*: the "what happened while you were away" summary is
sent once, at the start of a period.

Outside coverage hours the flag score needed to hide content is lower (see
``moderation.scoring.hide_threshold``).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

MINUTES_PER_DAY = 24 * 60
_TIME = re.compile(r"^(\d{1,2}):(\d{2})$")


@dataclass(frozen=True, order=True)
class Window:
    weekday: int
    start_minute: int
    end_minute: int

    def __post_init__(self) -> None:
        if not 0 <= self.weekday <= 6:
            raise ValueError("weekday must be 0 (Monday) to 6 (Sunday)")
        if not 0 <= self.start_minute < self.end_minute <= MINUTES_PER_DAY:
            raise ValueError("a window starts before it ends, within one day (00:00-24:00)")


def parse_time(value: str) -> int:
    """Minutes from midnight of "HH:MM" ("24:00" is the end of the day)."""
    match = _TIME.match(value.strip())
    if not match:
        raise ValueError(f"not a time: {value!r}")
    hours, minutes = int(match.group(1)), int(match.group(2))
    total = hours * 60 + minutes
    if minutes >= 60 or total > MINUTES_PER_DAY:
        raise ValueError(f"not a time: {value!r}")
    return total


def format_minute(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def windows_from_mapping(schedule: Mapping[int, Iterable[Sequence[str]]]) -> list[Window]:
    """Windows from ``{weekday: [("09:00", "18:00"), ...]}`` (the settings' format)."""
    windows = []
    for weekday, spans in schedule.items():
        for start, end in spans:
            windows.append(Window(int(weekday), parse_time(start), parse_time(end)))
    return sorted(windows)


def _local(moment: dt.datetime, tz: ZoneInfo) -> dt.datetime:
    if moment.tzinfo is None:
        raise ValueError("coverage needs an aware datetime")
    return moment.astimezone(tz)


def is_on_duty(moment: dt.datetime, windows: Iterable[Window], tz: ZoneInfo) -> bool:
    """Whether ``moment`` falls inside a coverage window (start included, end excluded)."""
    local = _local(moment, tz)
    minute = local.hour * 60 + local.minute
    weekday = local.weekday()
    return any(w.weekday == weekday and w.start_minute <= minute < w.end_minute for w in windows)


def _merged_week(windows: Iterable[Window]) -> list[tuple[int, int]]:
    """Periods as (start, end) minutes from Monday 00:00, touching windows merged; a period
    running over Sunday midnight into Monday wraps (its end exceeds a week)."""
    week = 7 * MINUTES_PER_DAY
    spans = sorted(
        (w.weekday * MINUTES_PER_DAY + w.start_minute, w.weekday * MINUTES_PER_DAY + w.end_minute)
        for w in windows
    )
    merged: list[list[int]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    if len(merged) > 1 and merged[0][0] == 0 and merged[-1][1] == week:
        first = merged.pop(0)
        merged[-1][1] = week + first[1]
    return [(start, end) for start, end in merged]


def _periods_around(
    moment: dt.datetime, windows: Iterable[Window], tz: ZoneInfo
) -> list[tuple[dt.datetime, dt.datetime]]:
    """Concrete on-duty periods from the week before ``moment`` to the week after."""
    local = _local(moment, tz)
    monday = (local - dt.timedelta(days=local.weekday())).date()
    periods = []
    merged = _merged_week(windows)
    for week_offset in (-1, 0, 1):
        base = monday + dt.timedelta(weeks=week_offset)
        for start, end in merged:
            periods.append((_at(base, start, tz), _at(base, end, tz)))
    return sorted(periods)


def _at(monday: dt.date, minutes: int, tz: ZoneInfo) -> dt.datetime:
    day = monday + dt.timedelta(days=minutes // MINUTES_PER_DAY)
    minute = minutes % MINUTES_PER_DAY
    return dt.datetime.combine(day, dt.time(minute // 60, minute % 60), tzinfo=tz)


def current_period(
    moment: dt.datetime, windows: Iterable[Window], tz: ZoneInfo
) -> tuple[dt.datetime, dt.datetime] | None:
    """The on-duty period containing ``moment`` as (start, end), or None when off duty."""
    for start, end in _periods_around(moment, list(windows), tz):
        if start <= moment < end:
            return start, end
    return None


def next_on_duty_start(
    moment: dt.datetime, windows: Iterable[Window], tz: ZoneInfo
) -> dt.datetime | None:
    """When the next on-duty period starts after ``moment`` (None without any window)."""
    starts = [s for s, _e in _periods_around(moment, list(windows), tz) if s > moment]
    return min(starts) if starts else None


def previous_period_end(
    moment: dt.datetime, windows: Iterable[Window], tz: ZoneInfo
) -> dt.datetime | None:
    """When the last on-duty period that ended at or before ``moment`` ended."""
    ends = [e for _s, e in _periods_around(moment, list(windows), tz) if e <= moment]
    return max(ends) if ends else None


# --- One span per weekday, as administrators enter them -----------------------------------------


@dataclass(frozen=True)
class DaySpan:
    """Coverage as entered for one weekday: from ``start_minute`` to ``end_minute`` (minutes
    from midnight, 0-1439). An end at or before the start runs past midnight into the next
    day (an end of 0 stops at midnight); ``all_day`` covers the whole day."""

    weekday: int
    start_minute: int = 0
    end_minute: int = 0
    all_day: bool = False

    def __post_init__(self) -> None:
        if not 0 <= self.weekday <= 6:
            raise ValueError("weekday must be 0 (Monday) to 6 (Sunday)")
        if not self.all_day:
            if not (
                0 <= self.start_minute < MINUTES_PER_DAY and 0 <= self.end_minute < MINUTES_PER_DAY
            ):
                raise ValueError("times are between 00:00 and 23:59")
            if self.start_minute == self.end_minute:
                raise ValueError("a span starts and ends at different times")

    @property
    def start_time(self) -> str:
        return format_minute(self.start_minute)

    @property
    def end_time(self) -> str:
        return format_minute(self.end_minute)

    @property
    def crosses_midnight(self) -> bool:
        return not self.all_day and self.end_minute <= self.start_minute

    def windows(self) -> list[Window]:
        """The stored windows: one, or two for a span across midnight."""
        if self.all_day:
            return [Window(self.weekday, 0, MINUTES_PER_DAY)]
        if not self.crosses_midnight:
            return [Window(self.weekday, self.start_minute, self.end_minute)]
        spans = [Window(self.weekday, self.start_minute, MINUTES_PER_DAY)]
        if self.end_minute:
            spans.append(Window((self.weekday + 1) % 7, 0, self.end_minute))
        return spans


def windows_from_spans(spans: Iterable[DaySpan]) -> dict[int, list[tuple[str, str]]]:
    """The ``{weekday: [("HH:MM", "HH:MM"), ...]}`` mapping of the spans' windows (the format
    of ``coverage_hours_set`` and the settings)."""
    mapping: dict[int, list[tuple[str, str]]] = {}
    for window in sorted(w for span in spans for w in span.windows()):
        mapping.setdefault(window.weekday, []).append(
            (format_minute(window.start_minute), format_minute(window.end_minute))
        )
    return mapping


def spans_from_windows(windows: Iterable[Window]) -> dict[int, list[DaySpan]]:
    """Read stored windows back as spans per weekday: a window running to midnight followed by
    one starting at midnight and ending before it started becomes one span across midnight.
    A weekday may have several spans (windows set from the settings or the API)."""
    by_day: dict[int, list[Window]] = {day: [] for day in range(7)}
    for window in sorted(windows):
        by_day[window.weekday].append(window)
    continued: dict[Window, Window] = {}  # evening window -> its after-midnight continuation
    taken: set[Window] = set()
    for day in range(7):
        for window in by_day[day]:
            if window.end_minute != MINUTES_PER_DAY or window.start_minute == 0:
                continue
            after = next(
                (
                    w
                    for w in by_day[(day + 1) % 7]
                    if w.start_minute == 0 and w.end_minute < window.start_minute and w not in taken
                ),
                None,
            )
            if after is not None:
                continued[window] = after
                taken.add(after)
    spans: dict[int, list[DaySpan]] = {day: [] for day in range(7)}
    for day in range(7):
        for window in by_day[day]:
            if window in taken:
                continue
            if window.start_minute == 0 and window.end_minute == MINUTES_PER_DAY:
                spans[day].append(DaySpan(day, all_day=True))
            elif window.end_minute == MINUTES_PER_DAY:
                after = continued.get(window)
                spans[day].append(
                    DaySpan(day, window.start_minute, after.end_minute if after else 0)
                )
            else:
                spans[day].append(DaySpan(day, window.start_minute, window.end_minute))
    return spans
