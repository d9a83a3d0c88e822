"""Server-side SVG charts (pygal) of the dashboard's series.

The charts are served as their own ``image/svg+xml`` responses and shown with ``<img>``: an
image's internal ``<style>`` applies, no script ever runs, and the page's strict CSP
(``style-src 'self'``) is left alone. pygal's tooltip script is not loaded (``js=[]``) and its
inline configuration ``<script>`` is removed. Every chart has a table view on the page.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import pygal
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from pygal.style import Style

from insights import selectors
from insights.selectors import DAY, MONTH, Bucket, Period

STYLE = Style(
    background="#ffffff",
    plot_background="#ffffff",
    foreground="#1f2933",
    foreground_strong="#1f2933",
    foreground_subtle="#7b8794",
    font_family="system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif",
    colors=("#1f5fbf", "#d9480f", "#2b8a3e", "#862e9c", "#c92a2a", "#5c7cfa"),
    label_font_size=12,
    major_label_font_size=12,
    legend_font_size=13,
    title_font_size=15,
)
SCRIPT = re.compile(r"<script\b.*?</script>", re.DOTALL)


hours = selectors.hours


@dataclass(frozen=True)
class Chart:
    key: str
    title: str
    kind: str  # "line" or "bar"
    lines: tuple[tuple[str, str], ...]  # (value key, label)
    unit: str = ""
    transform: Callable | None = None
    site_only: bool = False


CHARTS: tuple[Chart, ...] = (
    Chart(
        "activity",
        _("Activity"),
        "line",
        (("topics", _("Topics")), ("posts", _("Posts")), ("votes", _("Votes"))),
    ),
    Chart(
        "members",
        _("Members"),
        "line",
        (
            ("active_members", _("Active members (daily average)")),
            ("new_members", _("New members")),
        ),
    ),
    Chart(
        "ideas",
        _("Ideas"),
        "bar",
        (("ideas", _("Ideas")), ("idea_supports", _("Idea supports"))),
    ),
    Chart(
        "moderation",
        _("Moderation"),
        "line",
        (
            ("flags", _("Flags")),
            ("holds", _("Held for review")),
            ("decisions", _("Decisions")),
            ("appeals", _("Appeals")),
        ),
    ),
    Chart(
        "hidden",
        _("Content hidden"),
        "bar",
        (
            ("hidden_by_community", _("By the community")),
            ("hidden_by_moderators", _("By moderators")),
        ),
    ),
    Chart(
        "response",
        _("Response times (median, hours)"),
        "line",
        (
            ("first_reply_median", _("First reply")),
            ("official_answer_median", _("First official answer")),
            ("flag_decision_median", _("Flag to decision")),
            ("staff_answer_median", _("Routed question answered")),
        ),
        unit="h",
        transform=hours,
    ),
    Chart(
        "questions",
        _("Questions"),
        "line",
        (
            ("unanswered_questions", _("Unanswered at the end of the period")),
            ("staff_requests_opened", _("Routed to staff")),
            ("staff_requests_answered", _("Routed and answered")),
        ),
    ),
)
CHARTS_BY_KEY = {chart.key: chart for chart in CHARTS}


def bucket_label(bucket: Bucket, granularity: str) -> str:
    if granularity == DAY:
        return date_format(bucket.start, "SHORT_DATE_FORMAT")
    if granularity == MONTH:
        return date_format(bucket.start, "YEAR_MONTH_FORMAT")
    return date_format(bucket.start, "SHORT_DATE_FORMAT")


def chart_table(chart: Chart, buckets: Sequence[Bucket], period: Period) -> dict:
    """The chart's figures as a table: {"columns": [...], "rows": [[label, v1, v2…]]}."""
    lines = [line for line in chart.lines if not (line[0] == "new_members" and period.category)]
    rows = []
    for bucket in buckets:
        values = [bucket.values.get(key) for key, _label in lines]
        if chart.transform:
            values = [chart.transform(value) for value in values]
        rows.append([bucket_label(bucket, period.granularity), *values])
    return {"columns": [str(label) for _key, label in lines], "rows": rows}


def render(chart: Chart, buckets: Sequence[Bucket], period: Period) -> str:
    """The chart as a standalone SVG document (no XML declaration, no script)."""
    table = chart_table(chart, buckets, period)
    klass = pygal.Bar if chart.kind == "bar" else pygal.Line
    labels = [row[0] for row in table["rows"]]
    graph = klass(
        style=STYLE,
        width=900,
        height=340,
        js=[],
        disable_xml_declaration=True,
        show_dots=len(labels) <= 45,
        x_label_rotation=30 if len(labels) > 12 else 0,
        show_minor_x_labels=False,
        x_labels_major_count=12,
        legend_at_bottom=True,
        legend_at_bottom_columns=4,
        include_x_axis=True,
        margin=16,
        truncate_legend=-1,
        no_data_text=str(_("No data for this period")),
        title=str(chart.title),
        formatter=lambda v: f"{v:g}",
    )
    graph.x_labels = labels
    for index, name in enumerate(table["columns"], start=1):
        graph.add(name, [row[index] for row in table["rows"]])
    return SCRIPT.sub("", graph.render(is_unicode=True))
