"""The daily computation: one row per (day, category) plus the site row, idempotent, with the
day boundaries of the site's time zone, a fixed number of queries; the backfill command."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.management import call_command
from django.db import IntegrityError, transaction

from insights import metrics
from insights.models import DailyMetric
from insights.tasks import metrics_compute_day
from tests.factories import CategoryFactory, PostFactory, TopicFactory, UserFactory
from tests.insights import metrics_data

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fast(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.COMMUNITY_DAILY_LIMITS = {}
    settings.TIME_ZONE = "Europe/Paris"


def paris(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=metrics.local_tz())


def test_one_row_per_category_plus_site_and_recomputing_replaces_them():
    day = dt.date(2026, 5, 4)
    kettles, coffee = CategoryFactory(slug="kettles"), CategoryFactory(slug="coffee")
    alice, bob = UserFactory(trust_level=2), UserFactory(trust_level=2)
    with time_machine.travel(paris(day, 9), tick=False):
        question = TopicFactory(category=kettles, author=alice, kind="question")
        TopicFactory(category=coffee, author=bob)
    with time_machine.travel(paris(day, 11, 30), tick=False):
        PostFactory(topic=question, author=bob)

    assert metrics_compute_day.delay(day.isoformat()).get() == 3
    site = DailyMetric.objects.get(day=day, category__isnull=True)
    assert (site.topics, site.posts, site.active_members, site.new_members) == (2, 3, 2, 0)
    assert (site.first_reply_median, site.first_reply_count) == (9000, 1)
    assert site.first_reply_samples == [9000]
    row = DailyMetric.objects.get(day=day, category=kettles)
    assert (row.topics, row.posts, row.active_members, row.new_members) == (1, 2, 2, None)

    with time_machine.travel(paris(day, 23, 59), tick=False):
        PostFactory(topic=question, author=alice)
    metrics.day_compute(day)
    assert DailyMetric.objects.filter(day=day).count() == 3
    assert DailyMetric.objects.get(day=day, category__isnull=True).posts == 4


def test_day_boundaries_follow_the_site_time_zone_across_dst():
    # 29 March 2026 is 23 hours long in Paris: 00:30 local is still 28 March in UTC.
    category = CategoryFactory()
    author = UserFactory(trust_level=2)
    with time_machine.travel(paris(dt.date(2026, 3, 29), 0, 30), tick=False):
        TopicFactory(category=category, author=author)
    with time_machine.travel(paris(dt.date(2026, 3, 29), 23, 50), tick=False):
        TopicFactory(category=category, author=author)
    start, end = metrics.day_bounds(dt.date(2026, 3, 29))
    assert end.astimezone(dt.UTC) - start.astimezone(dt.UTC) == dt.timedelta(hours=23)
    metrics.day_compute(dt.date(2026, 3, 28))
    metrics.day_compute(dt.date(2026, 3, 29))
    assert DailyMetric.objects.get(day="2026-03-28", category__isnull=True).topics == 0
    assert DailyMetric.objects.get(day="2026-03-29", category__isnull=True).topics == 2


def test_the_site_row_is_unique_even_with_a_null_category():
    DailyMetric.objects.create(day=dt.date(2026, 1, 1))
    with pytest.raises(IntegrityError), transaction.atomic():
        DailyMetric.objects.create(day=dt.date(2026, 1, 1))
    category = CategoryFactory()
    DailyMetric.objects.create(day=dt.date(2026, 1, 1), category=category)
    with pytest.raises(IntegrityError), transaction.atomic():
        DailyMetric.objects.create(day=dt.date(2026, 1, 1), category=category)


def test_daily_computation_runs_a_fixed_number_of_queries(django_assert_max_num_queries):
    day = dt.date(2026, 5, 4)
    categories = [CategoryFactory() for _ in range(3)]
    members = [UserFactory(trust_level=2) for _ in range(3)]
    with time_machine.travel(paris(day, 10), tick=False):
        for category in categories:
            topic = TopicFactory(
                category=category, author=members[0], kind="question", body=f"Q {category.pk}"
            )
            PostFactory(topic=topic, author=members[1])
    with django_assert_max_num_queries(24) as small:
        metrics.day_compute(day)
    with time_machine.travel(paris(day, 15), tick=False):
        for n in range(3):
            for category in [*categories, CategoryFactory()]:
                topic = TopicFactory(
                    category=category, author=members[2], body=f"T{n}{category.pk}"
                )
                PostFactory(topic=topic, author=members[0])
    with django_assert_max_num_queries(len(small.captured_queries)):
        metrics.day_compute(day)


def test_weighted_median_of_thinned_days_is_exact_without_thinning():
    days = [[5, 1, 9], [2, 8], [7]]
    flat = sorted(v for d in days for v in d)
    assert metrics.weighted_median_low([(d, len(d)) for d in days]) == flat[(len(flat) - 1) // 2]
    assert metrics.weighted_median_low([]) is None
    big = list(range(10_000))
    thinned = metrics.thin(big, cap=500)
    assert len(thinned) == 500
    assert abs(metrics.weighted_median_low([(thinned, 10_000)]) - 5000) <= 20


def test_backfill_rebuilds_every_day_from_the_first_post(capsys):
    category = CategoryFactory()
    author = UserFactory(trust_level=2)
    today = metrics.local_today()
    with time_machine.travel(paris(today - dt.timedelta(days=4), 12), tick=False):
        TopicFactory(category=category, author=author)
    DailyMetric.objects.create(day=today - dt.timedelta(days=4), topics=99)
    call_command("insights_backfill", "--no-progress")
    assert "5 days recomputed" in capsys.readouterr().out
    rows = DailyMetric.objects.filter(category__isnull=True).order_by("day")
    assert [r.day for r in rows] == [today - dt.timedelta(days=n) for n in range(4, -1, -1)]
    assert rows[0].topics == 1


def test_backfill_takes_a_range_and_refuses_bad_dates():
    call_command("insights_backfill", "--from", "2026-01-01", "--to", "2026-01-03", "--no-progress")
    assert DailyMetric.objects.filter(category__isnull=True).count() == 3
    from django.core.management.base import CommandError

    with pytest.raises(CommandError):
        call_command("insights_backfill", "--from", "2026-13-01", "--no-progress")
    with pytest.raises(CommandError):
        call_command("insights_backfill", "--from", "2026-02-01", "--to", "2026-01-01")


def _story_days_equal_the_raw_tables() -> None:
    story = metrics_data.build_story()
    for offset in range(metrics_data.DAYS):
        metrics.day_compute(metrics_data.FIRST_DAY + dt.timedelta(days=offset))
    for offset in range(metrics_data.DAYS):
        day = metrics_data.FIRST_DAY + dt.timedelta(days=offset)
        for category in (None, story.kettles, story.coffee):
            expected = metrics_data.independent_figures(day, day, category)
            row = DailyMetric.objects.filter(day=day, category=category).first()
            for key, value in expected.items():
                if key == "community_hidden_share":
                    continue
                got = getattr(row, key) if row is not None else None
                if row is None and value in (0, None, 0.0):
                    continue
                assert got == value, (day, category, key)


def test_story_days_equal_an_independent_count_for_every_day():
    """Day by day, on the whole story, the stored rows equal the raw tables."""
    _story_days_equal_the_raw_tables()


@pytest.mark.postgres
def test_daily_computation_on_postgresql_matches_the_raw_tables():
    """The same on PostgreSQL: time zone conversion, JSON key lookups and EXISTS there."""
    _story_days_equal_the_raw_tables()
