"""Reads of the dashboard and the reports: a fixed number of queries whatever the range.

The dashboard reads ``DailyMetric`` rows only (one query for the period and the previous one),
plus one GROUP BY for the category breakdown and two small queries on routed questions.

How a range is made of days (the same for a KPI, a chart bucket and an export row):

* counts (topics, posts, votes, flags…) are summed;
* **active members** is the *average per day* of the daily distinct counts (a member active on
  three days counts on each: the sum of days would not be "members", and a distinct count over
  a range would need the raw tables);
* **unanswered questions** is the stock at the end of the range's last day;
* **medians** are the lower median of all the range's samples (each day keeps its samples,
  see ``DailyMetric``): exact, not an average of daily medians;
* **share hidden by the community** is hidden by the community ÷ (community + moderators).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db.models import Count, Q, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from community.models import Category
from insights import metrics
from insights.models import DailyMetric
from moderation.models import StaffRequest

DAY, WEEK, MONTH = "day", "week", "month"

#: Flow figures: a range's value is the sum of its days.
SUM_FIELDS = (
    "new_members",
    "topics",
    "posts",
    "votes",
    "ideas",
    "idea_supports",
    "flags",
    "holds",
    "decisions",
    "appeals",
    "hidden_by_community",
    "hidden_by_moderators",
    "staff_requests_opened",
    "staff_requests_answered",
)


@dataclass(frozen=True)
class Period:
    """An inclusive range of local days, cut into buckets of ``granularity``, for one
    category or the whole site."""

    start: dt.date
    end: dt.date
    granularity: str = DAY
    category: Category | None = None

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    @property
    def previous(self) -> Period:
        """The period of equal length just before this one."""
        end = self.start - dt.timedelta(days=1)
        return Period(
            start=end - dt.timedelta(days=self.days - 1),
            end=end,
            granularity=self.granularity,
            category=self.category,
        )

    def buckets(self) -> list[tuple[dt.date, dt.date]]:
        """[(first day, last day)] of each bucket, clipped to the period."""
        result = []
        cursor = self.start
        while cursor <= self.end:
            if self.granularity == WEEK:
                bucket_end = cursor + dt.timedelta(days=6 - cursor.weekday())
            elif self.granularity == MONTH:
                next_month = (cursor.replace(day=1) + dt.timedelta(days=32)).replace(day=1)
                bucket_end = next_month - dt.timedelta(days=1)
            else:
                bucket_end = cursor
            bucket_end = min(bucket_end, self.end)
            result.append((cursor, bucket_end))
            cursor = bucket_end + dt.timedelta(days=1)
        return result


@dataclass(frozen=True)
class Figure:
    """One KPI: how it is aggregated, shown and judged."""

    key: str
    label: str
    kind: str = "count"  # count, average, duration, percent, stock
    better: str = ""  # "up", "down" or "" (neither: a trend, not a judgement)
    site_only: bool = False
    help: str = ""


FIGURES: tuple[Figure, ...] = (
    Figure("new_members", _("New members"), better="up", site_only=True),
    Figure(
        "active_members",
        _("Active members (daily average)"),
        kind="average",
        better="up",
        help=_("Members who posted, voted, supported an idea or read a topic, per day."),
    ),
    Figure("topics", _("Topics"), better="up"),
    Figure("posts", _("Posts"), better="up"),
    Figure("votes", _("Votes"), better="up"),
    Figure("ideas", _("Ideas"), better="up"),
    Figure("idea_supports", _("Idea supports"), better="up"),
    Figure("flags", _("Flags")),
    Figure("holds", _("Posts held for review")),
    Figure("decisions", _("Moderation decisions")),
    Figure("appeals", _("Appeals")),
    Figure("hidden_by_community", _("Hidden by the community")),
    Figure("hidden_by_moderators", _("Hidden by moderators")),
    Figure(
        "community_hidden_share",
        _("Share hidden by the community"),
        kind="percent",
        help=_("Content hidden by members' flags, out of all content hidden."),
    ),
    Figure(
        "unanswered_questions",
        _("Unanswered questions"),
        kind="stock",
        better="down",
        help=_("Open at the end of the period: visible questions without a reply."),
    ),
    Figure("first_reply_median", _("Median time to first reply"), kind="duration", better="down"),
    Figure(
        "official_answer_median",
        _("Median time to first official answer"),
        kind="duration",
        better="down",
        help=_("Questions only, from the question to the first official answer."),
    ),
    Figure(
        "flag_decision_median",
        _("Median time from flag to decision"),
        kind="duration",
        better="down",
        help=_("The moderation service level: flags resolved in the period."),
    ),
    Figure("staff_requests_opened", _("Questions routed to staff")),
    Figure("staff_requests_answered", _("Routed questions answered"), better="up"),
    Figure(
        "staff_answer_median",
        _("Median time to answer a routed question"),
        kind="duration",
        better="down",
    ),
)
FIGURES_BY_KEY = {figure.key: figure for figure in FIGURES}


def metric_rows(*, start: dt.date, end: dt.date, category: Category | None) -> list[DailyMetric]:
    """The rows of [start, end] for ``category`` (the site rows when None), in day order."""
    rows = DailyMetric.objects.filter(day__gte=start, day__lte=end)
    if category is None:
        rows = rows.filter(category__isnull=True)
    else:
        rows = rows.filter(category=category)
    return list(rows.order_by("day"))


def aggregate(rows: Sequence[DailyMetric], *, start: dt.date, end: dt.date, site: bool) -> dict:
    """The figures of the days [start, end] from their rows (a missing row counts as zeros)."""
    inside = [row for row in rows if start <= row.day <= end]
    days = (end - start).days + 1
    values: dict = {name: sum(getattr(row, name) or 0 for row in inside) for name in SUM_FIELDS}
    if not site:
        values["new_members"] = None
    values["active_members"] = round(sum(row.active_members for row in inside) / days, 1)
    last = next((row for row in reversed(inside) if row.day == end), None)
    values["unanswered_questions"] = last.unanswered_questions if last else 0
    for name in metrics.MEDIAN_FIELDS:
        groups = [
            (getattr(row, f"{name}_samples"), getattr(row, f"{name}_count")) for row in inside
        ]
        values[f"{name}_median"] = metrics.weighted_median_low(groups)
        values[f"{name}_count"] = sum(count for _samples, count in groups)
    hidden = values["hidden_by_community"] + values["hidden_by_moderators"]
    values["community_hidden_share"] = (
        round(100 * values["hidden_by_community"] / hidden, 1) if hidden else None
    )
    return values


def hours(seconds: int | None) -> float | None:
    return None if seconds is None else round(seconds / 3600, 1)


def shown(value, kind: str):
    """A figure as the page and the files show it: durations in hours (one decimal)."""
    return hours(value) if kind == "duration" else value


@dataclass
class Kpi:
    figure: Figure
    value: float | int | None
    previous: float | int | None
    change: float | None = None  # percent, None when it cannot be computed
    judgement: str = ""  # "good", "bad" or ""

    @property
    def key(self) -> str:
        return self.figure.key

    @property
    def shown(self):
        return shown(self.value, self.figure.kind)

    @property
    def shown_previous(self):
        return shown(self.previous, self.figure.kind)


def kpis(current: dict, previous: dict, *, site: bool) -> list[Kpi]:
    result = []
    for figure in FIGURES:
        if figure.site_only and not site:
            continue
        value, before = current.get(figure.key), previous.get(figure.key)
        kpi = Kpi(figure=figure, value=value, previous=before)
        if value is not None and before:
            kpi.change = round(100 * (value - before) / before, 1)
            if figure.better and kpi.change:
                rising = kpi.change > 0
                kpi.judgement = "good" if rising == (figure.better == "up") else "bad"
        result.append(kpi)
    return result


@dataclass
class Bucket:
    start: dt.date
    end: dt.date
    values: dict = field(default_factory=dict)


def series(rows: Sequence[DailyMetric], period: Period) -> list[Bucket]:
    site = period.category is None
    return [
        Bucket(start=start, end=end, values=aggregate(rows, start=start, end=end, site=site))
        for start, end in period.buckets()
    ]


@dataclass
class Dashboard:
    period: Period
    current: dict
    previous: dict
    kpis: list[Kpi]
    series: list[Bucket]


def dashboard(period: Period) -> Dashboard:
    """Everything the KPI cards, the charts and their tables show: one query."""
    previous = period.previous
    rows = metric_rows(start=previous.start, end=period.end, category=period.category)
    site = period.category is None
    current_values = aggregate(rows, start=period.start, end=period.end, site=site)
    previous_values = aggregate(rows, start=previous.start, end=previous.end, site=site)
    return Dashboard(
        period=period,
        current=current_values,
        previous=previous_values,
        kpis=kpis(current_values, previous_values, site=site),
        series=series(rows, period),
    )


def category_breakdown(period: Period) -> list[dict]:
    """Per category totals of the period (one GROUP BY), busiest first."""
    sums = {name: Sum(name) for name in SUM_FIELDS if name != "new_members"}
    rows = (
        DailyMetric.objects.filter(
            day__gte=period.start, day__lte=period.end, category__isnull=False
        )
        .values("category_id", "category__name", "category__slug")
        .annotate(active_days=Sum("active_members"), **sums)
        .order_by("-posts", "category__name")
    )
    result = []
    for row in rows:
        row = dict(row)
        row["active_members"] = round((row.pop("active_days") or 0) / period.days, 1)
        result.append(row)
    return result


def routed_questions_by_team(period: Period, *, now: dt.datetime | None = None) -> list[dict]:
    """Questions routed to staff (``moderation.StaffRequest``), by team (the request's
    ``team``, a group; "no team" when none): open now, overdue now (open past the routing's own
    ``due_at``, set by moderation's OFFICIAL_ANSWER_TARGET_HOURS), and for requests answered in
    the period their count and lower-median time to the official answer. Two queries."""
    now = now or timezone.now()
    requests = StaffRequest.objects.all()
    if period.category is not None:
        requests = requests.filter(topic__category=period.category)
    teams: dict[int | None, dict] = {}

    def team(team_id: int | None, name: str | None) -> dict:
        return teams.setdefault(
            team_id,
            {
                "team_id": team_id,
                "team": name or str(_("No team")),
                "open": 0,
                "overdue": 0,
                "answered": 0,
                "median": None,
                "samples": [],
            },
        )

    open_rows = (
        requests.filter(status=StaffRequest.Status.OPEN)
        .order_by()
        .values("team_id", "team__name")
        .annotate(
            open=Count("id"),
            overdue=Count("id", filter=Q(due_at__lt=now)),
        )
    )
    for row in open_rows:
        entry = team(row["team_id"], row["team__name"])
        entry["open"], entry["overdue"] = row["open"], row["overdue"]
    start, _end = metrics.day_bounds(period.start)
    _start, end = metrics.day_bounds(period.end)
    answered = requests.filter(answered_at__gte=start, answered_at__lt=end).values_list(
        "team_id", "team__name", "requested_at", "answered_at"
    )
    for team_id, name, requested, answered_at in answered:
        entry = team(team_id, name)
        entry["answered"] += 1
        entry["samples"].append(metrics.seconds_between(requested, answered_at))
    result = []
    for entry in sorted(teams.values(), key=lambda e: (e["team_id"] is None, e["team"])):
        samples = entry.pop("samples")
        entry["median"] = metrics.weighted_median_low([(samples, len(samples))])
        result.append(entry)
    return result
