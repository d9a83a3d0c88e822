"""The insights demo: watched terms with their past mentions, an ambassador, and the daily
metrics of the demo's history, so that `make run` opens a dashboard with figures in it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from insights import metrics, services, watch
from insights.models import WatchedTerm, WatchedTermKind
from insights.people import ambassador_mark

TERMS = [
    ("Kettlebrook", WatchedTermKind.BRAND),
    ("Aurora", WatchedTermKind.PRODUCT),
    ("Barista One", WatchedTermKind.PRODUCT),
    ("descaling", WatchedTermKind.PRODUCT),
    ("refund", WatchedTermKind.BUZZ),
    ("broken", WatchedTermKind.BUZZ),
]
CM = "camille"
AMBASSADOR = "bob"
# The large data set spans years: its metrics are rebuilt for recent weeks only (the rest with
# `manage.py insights_backfill`), so that seeding stays a matter of minutes.
LARGE_DAYS = 90
MENTION_DAYS = 30
MENTION_POSTS_MAX = 5_000


def seed_insights(*, size: str, progress: Callable[[str], None]) -> None:
    from community.models import Post

    cm = User.objects.filter(username=CM).first()
    if cm is None:
        progress("insights demo skipped: run the people step first")
        return
    with transaction.atomic():
        for term, kind in TERMS:
            if not WatchedTerm.objects.filter(normalized=watch.normalize(term)).exists():
                watch.watched_term_create(actor=cm, term=term, kind=kind)
        # Terms watched from now on would only count new posts: count the recent past too, once.
        since = timezone.now() - dt.timedelta(days=MENTION_DAYS)
        recent = Post.objects.filter(created_at__gte=since).order_by("-created_at")
        for post_id in recent.values_list("pk", flat=True)[:MENTION_POSTS_MAX]:
            watch.post_mentions_record(post_id=post_id)
        ambassador = User.objects.filter(username=AMBASSADOR).first()
        if (
            ambassador is not None
            and not ambassador.ambassadorships.filter(ended_at__isnull=True).exists()
        ):
            ambassador_mark(
                actor=cm, member=ambassador, note="Answers espresso questions within the hour."
            )
    first = metrics.first_activity_day()
    if first is None:
        return
    last = metrics.local_today()
    if size == "large":
        first = max(first, last - dt.timedelta(days=LARGE_DAYS))
    rows = services.metrics_range_compute(start=first, end=last)
    progress(f"insights: {len(TERMS)} watched terms, daily metrics {first} → {last} ({rows} rows)")
