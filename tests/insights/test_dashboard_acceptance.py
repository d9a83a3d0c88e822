"""Acceptance: on a realistic community, the dashboard's figures equal those recomputed
independently from the raw tables, and the XLSX export holds the same figures as the page."""

from __future__ import annotations

import csv
import datetime as dt
import io
import re

import pytest
from openpyxl import load_workbook

from insights.tasks import metrics_compute_day
from tests.insights import metrics_data

pytestmark = pytest.mark.django_db

KPI = re.compile(r'data-kpi="([a-z_]+)" data-value="([^"]*)" data-previous="([^"]*)"')


@pytest.fixture(autouse=True)
def _story_settings(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.COMMUNITY_DAILY_LIMITS = {}
    settings.TIME_ZONE = "Europe/Paris"


def page_kpis(html: str) -> dict[str, tuple[str, str]]:
    return {key: (value, previous) for key, value, previous in KPI.findall(html)}


def as_number(text: str):
    if text == "":
        return None
    number = float(text)
    return int(number) if number.is_integer() and "." not in text else number


def expected(start, end, category) -> dict:
    figures = metrics_data.independent_figures(start, end, category)
    return {key: metrics_data.shown(key, value) for key, value in figures.items()}


def test_dashboard_figures_equal_the_raw_tables_and_the_xlsx_holds_them(login):
    story = metrics_data.build_story()
    for offset in range(metrics_data.DAYS):
        metrics_compute_day.delay((metrics_data.FIRST_DAY + dt.timedelta(days=offset)).isoformat())
    start, end = metrics_data.PERIOD
    previous_start, previous_end = start - dt.timedelta(days=14), start - dt.timedelta(days=1)
    client = login(story.moderator)
    query = {"range": "custom", "start": start.isoformat(), "end": end.isoformat()}

    for category in (None, story.kettles, story.coffee):
        params = {**query, **({"category": category.slug} if category else {})}
        response = client.get("/insights/", params)
        assert response.status_code == 200
        shown = page_kpis(response.content.decode())
        now, before = (
            expected(start, end, category),
            expected(previous_start, previous_end, category),
        )
        keys = [key for key in now if not (category and key == "new_members")]
        assert set(shown) == set(keys)
        for key in keys:
            assert as_number(shown[key][0]) == now[key], (category, key)
            assert as_number(shown[key][1]) == before[key], (category, key, "previous")

        if category is None:
            # Not a test of zeros: the story exercises every figure in the period.
            assert all(now[key] for key in keys), {k: v for k, v in now.items() if not v}
            workbook = load_workbook(
                io.BytesIO(client.get("/insights/export/kpis.xlsx", params).content)
            )
            sheet = workbook.worksheets[0]
            cells = [row for row in sheet.iter_rows(values_only=True)]
            assert cells[0][:3] == ("Period", start.isoformat(), end.isoformat())
            assert cells[1][:3] == (
                "Compared with",
                previous_start.isoformat(),
                previous_end.isoformat(),
            )
            assert cells[3][:2] == ("Category", "All categories")
            header = cells.index(("Figure", "Value", "Previous period", "Change (%)"))
            values = [row[1] for row in cells[header + 1 :]]
            assert values == [as_number(value) for value, _previous in shown.values()]

            text = client.get("/insights/export/kpis.csv", params).content.decode("utf-8-sig")
            rows = list(csv.reader(io.StringIO(text)))
            assert rows[0] == ["Period", start.isoformat(), end.isoformat()]
            assert ["Figure", "Value", "Previous period", "Change (%)"] in rows

    # The weekly series: each week's posts equal the raw count, and its chart is an SVG image.
    response = client.get("/insights/", {**query, "granularity": "week"})
    assert response.status_code == 200
    series = load_workbook(
        io.BytesIO(
            client.get("/insights/export/series.xlsx", {**query, "granularity": "week"}).content
        )
    ).worksheets[0]
    rows = [
        row
        for row in series.iter_rows(values_only=True)
        if row and row[0] and re.match(r"\d{4}-", str(row[0]))
    ]
    header = next(row for row in series.iter_rows(values_only=True) if row and row[0] == "From")
    posts_column = header.index("Posts")
    assert [row[0] for row in rows] == ["2026-03-23", "2026-03-30"]  # two Monday weeks
    for row in rows:
        first, last = dt.date.fromisoformat(row[0]), dt.date.fromisoformat(row[1])
        assert row[posts_column] == metrics_data.independent_figures(first, last, None)["posts"]
    chart = client.get("/insights/chart/activity.svg", {**query, "granularity": "week"})
    assert chart["Content-Type"].startswith("image/svg+xml")
    assert b"<script" not in chart.content and b"<svg" in chart.content


def test_on_the_demo_community_the_dashboard_equals_the_raw_tables():
    """The demo seed (``seed_demo``, small), its history rebuilt by the backfill command."""
    from django.core.management import call_command
    from django.test import Client

    from accounts.models import User
    from demo import seed
    from insights import metrics

    seed.seed(size="small", progress=lambda message: None)
    call_command("insights_backfill", "--no-progress")
    today = metrics.local_today()
    start = today - dt.timedelta(days=59)
    client = Client()
    client.force_login(User.objects.get(username="camille"))  # a moderator of the demo
    params = {"range": "custom", "start": start.isoformat(), "end": today.isoformat()}
    shown = page_kpis(client.get("/insights/", params).content.decode())
    now = expected(start, today, None)
    before = expected(start - dt.timedelta(days=60), start - dt.timedelta(days=1), None)
    for key in now:
        assert as_number(shown[key][0]) == now[key], key
        assert as_number(shown[key][1]) == before[key], (key, "previous")
    assert now["posts"] > 50 and now["active_members"] > 0 and now["first_reply_median"]
