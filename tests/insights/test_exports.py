"""Exports: every table in CSV and XLSX with the period and the filters on top; the routed
questions by team."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
import time_machine
from django.contrib.auth.models import Group
from openpyxl import load_workbook

from insights import metrics
from moderation import services as moderation_services
from tests.factories import CategoryFactory, TopicFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.COMMUNITY_DAILY_LIMITS = {}


def at(day: dt.date, hour: int):
    when = dt.datetime.combine(day, dt.time(hour), tzinfo=metrics.local_tz())
    return time_machine.travel(when, tick=False)


@pytest.mark.parametrize("table", ["kpis", "series", "categories", "teams"])
def test_every_table_exports_with_period_and_filters(login, table):
    category = CategoryFactory(name="Kettles", slug="kettles")
    client = login(UserFactory(moderator=True))
    params = {"range": "custom", "start": "2026-05-01", "end": "2026-05-31", "category": "kettles"}
    response = client.get(f"/insights/export/{table}.csv", params)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert f"insights-{table}-2026-05-01_2026-05-31_kettles.csv" in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0] == ["Period", "2026-05-01", "2026-05-31"]
    assert rows[1] == ["Compared with", "2026-03-31", "2026-04-30"]
    assert rows[2] == ["Granularity", "Day"]
    assert rows[3] == ["Category", category.name]
    workbook = load_workbook(
        io.BytesIO(client.get(f"/insights/export/{table}.xlsx", params).content)
    )
    sheet_rows = list(workbook.worksheets[0].iter_rows(values_only=True))
    assert sheet_rows[3][:2] == ("Category", "Kettles")


def test_routed_questions_by_team_open_overdue_and_median(login):
    category = CategoryFactory(slug="kettles", default_topic_kind="question")
    moderator = UserFactory(moderator=True)
    staff = UserFactory(brand_staff=True)
    asker, helper = UserFactory(trust_level=2), UserFactory(trust_level=2)
    support = Group.objects.create(name="Support team")
    day = dt.date(2026, 5, 4)
    topics = []
    with at(day, 9):
        for n in range(3):
            topics.append(TopicFactory(category=category, author=asker, body=f"Question {n}"))
    with at(day, 10):
        moderation_services.topic_escalate_to_staff(actor=moderator, topic=topics[0], team=support)
        moderation_services.topic_escalate_to_staff(actor=moderator, topic=topics[1], team=support)
        moderation_services.flag_create(actor=helper, topic=topics[2], reason="official_answer")
    from community import services as community_services

    with at(day, 13):
        topics[0].refresh_from_db()
        community_services.post_create(
            actor=staff, topic=topics[0], body="Official.", official=True
        )
    client = login(moderator)
    params = {"range": "custom", "start": "2026-05-01", "end": "2026-05-31"}
    with at(day + dt.timedelta(days=5), 12):
        response = client.get("/insights/export/teams.csv", params)
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    header = rows.index(
        ["Team", "Open", "Overdue", "Answered in the period", "Median time to answer (hours)"]
    )
    assert rows[header + 1 :] == [
        ["Brand staff", "1", "1", "0", ""],
        ["Support team", "1", "1", "1", "3.0"],
    ]
