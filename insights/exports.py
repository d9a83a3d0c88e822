"""CSV and XLSX exports of the dashboard's tables, with the period and the filters on top.

Every table is built once (:func:`table`) and written in either format, so a file holds the
figures of the page. Durations are in hours (one decimal), as on the page.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font

from insights import charts, selectors
from insights.selectors import Period

TABLES = ("kpis", "series", "categories", "teams")
FORMATS = ("csv", "xlsx")


@dataclass
class Table:
    name: str
    title: str
    columns: list[str]
    rows: list[list]


display = selectors.shown


def period_lines(period: Period) -> list[list[str]]:
    previous = period.previous
    granularity = {
        selectors.DAY: _("Day"),
        selectors.WEEK: _("Week"),
        selectors.MONTH: _("Month"),
    }[period.granularity]
    return [
        [_("Period"), period.start.isoformat(), period.end.isoformat()],
        [_("Compared with"), previous.start.isoformat(), previous.end.isoformat()],
        [_("Granularity"), granularity],
        [_("Category"), period.category.name if period.category else _("All categories")],
        [_("Generated"), date_format(timezone.localtime(), "DATETIME_FORMAT")],
    ]


def kpi_table(data: selectors.Dashboard) -> Table:
    rows = [
        [
            str(kpi.figure.label),
            display(kpi.value, kpi.figure.kind),
            display(kpi.previous, kpi.figure.kind),
            kpi.change,
        ]
        for kpi in data.kpis
    ]
    return Table(
        "kpis",
        _("Key figures"),
        [_("Figure"), _("Value"), _("Previous period"), _("Change (%)")],
        rows,
    )


def series_table(data: selectors.Dashboard) -> Table:
    site = data.period.category is None
    figures = [f for f in selectors.FIGURES if site or not f.site_only]
    rows = []
    for bucket in data.series:
        rows.append(
            [
                bucket.start.isoformat(),
                bucket.end.isoformat(),
                *(display(bucket.values.get(f.key), f.kind) for f in figures),
            ]
        )
    return Table(
        "series",
        _("Figures over time"),
        [_("From"), _("To"), *(str(f.label) for f in figures)],
        rows,
    )


CATEGORY_COLUMNS = (
    "active_members",
    "topics",
    "posts",
    "votes",
    "ideas",
    "flags",
    "holds",
    "decisions",
    "appeals",
    "hidden_by_community",
    "hidden_by_moderators",
    "staff_requests_opened",
    "staff_requests_answered",
)


def category_table(rows: Sequence[dict]) -> Table:
    return Table(
        "categories",
        _("By category"),
        [_("Category"), *(str(selectors.FIGURES_BY_KEY[c].label) for c in CATEGORY_COLUMNS)],
        [[row["category__name"], *(row[c] or 0 for c in CATEGORY_COLUMNS)] for row in rows],
    )


def team_table(rows: Sequence[dict]) -> Table:
    return Table(
        "teams",
        _("Questions routed to staff, by team"),
        [
            _("Team"),
            _("Open"),
            _("Overdue"),
            _("Answered in the period"),
            _("Median time to answer (hours)"),
        ],
        [
            [row["team"], row["open"], row["overdue"], row["answered"], charts.hours(row["median"])]
            for row in rows
        ],
    )


def table(name: str, period: Period) -> Table:
    """Build one exportable table (its queries are the dashboard's)."""
    if name == "kpis":
        return kpi_table(selectors.dashboard(period))
    if name == "series":
        return series_table(selectors.dashboard(period))
    if name == "categories":
        return category_table(selectors.category_breakdown(period))
    if name == "teams":
        return team_table(selectors.routed_questions_by_team(period))
    raise KeyError(name)


def to_csv(tables: Sequence[Table], period: Period) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for line in period_lines(period):
        writer.writerow(line)
    for item in tables:
        writer.writerow([])
        writer.writerow([item.title])
        writer.writerow(item.columns)
        for row in item.rows:
            writer.writerow(["" if value is None else value for value in row])
    # A byte order mark, so that spreadsheet programs read the accents right.
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_xlsx(tables: Sequence[Table], period: Period) -> bytes:
    """One sheet per table: the period and filters, a blank line, the header, the rows."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    bold = Font(bold=True)
    for item in tables:
        sheet = workbook.create_sheet(title=item.title[:31])
        for line in period_lines(period):
            sheet.append(line)
            sheet.cell(row=sheet.max_row, column=1).font = bold
        sheet.append([])
        sheet.append([item.title])
        sheet.cell(row=sheet.max_row, column=1).font = Font(bold=True, size=13)
        sheet.append(item.columns)
        for cell in sheet[sheet.max_row]:
            cell.font = bold
        for row in item.rows:
            sheet.append(row)
        sheet.column_dimensions["A"].width = 40
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def render(name: str, fmt: str, period: Period) -> bytes:
    tables = [table(name, period)]
    return to_csv(tables, period) if fmt == "csv" else to_xlsx(tables, period)


def report_workbook(period: Period) -> bytes:
    """The weekly report's attachment: every table, one sheet each."""
    data = selectors.dashboard(period)
    tables = [
        kpi_table(data),
        series_table(data),
        category_table(selectors.category_breakdown(period)),
        team_table(selectors.routed_questions_by_team(period)),
    ]
    return to_xlsx(tables, period)
