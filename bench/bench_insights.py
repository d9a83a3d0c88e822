"""Insights at the scale of the large data set: the daily metrics task and the dashboard.

Run from the project root (a script, not a test; it takes a minute or two):

    .venv/bin/python bench/bench_insights.py [--source causerie_bench]
        [--database causerie_bench_insights] [--runs 3] [--refresh]

What it measures
    daily task   ``insights.metrics.day_compute`` (what the Celery task
                 ``insights.metrics_compute_day`` runs) for the busiest day of the data set
                 (most posts), ``--runs`` times; wall time of each run and the query count.
    dashboard    ``GET /insights/`` for a two-year custom range (730 days of metrics rows,
                 copies of the computed day) as a moderator: queries and wall time, cold
                 (first request of the day: the visit counter writes) and warm.

Set-up
    The bench database ``causerie_bench`` (``make bench`` creates it with
    ``seed_demo --size large``) is left untouched: it is copied once into ``--database``
    (``pg_dump | psql``, which works while others are connected), then migrated there (the
    insights tables). ``--refresh`` drops and copies it again.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PG = ["-h", "127.0.0.1", "-U", "postgres"]


def _database_exists(name: str) -> bool:
    out = subprocess.run(
        ["psql", *PG, "-Atc", f"SELECT 1 FROM pg_database WHERE datname = '{name}'"],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    return out.stdout.strip() == "1"


def _copy(source: str, target: str, refresh: bool) -> None:
    if refresh and _database_exists(target):
        subprocess.run(["dropdb", *PG, target], check=True, timeout=120)
    if _database_exists(target):
        return
    if not _database_exists(source):
        sys.exit(f"{source} is missing: run `make bench` once to create the large data set.")
    print(f"copying {source} into {target} (once)…", flush=True)
    subprocess.run(["createdb", *PG, target], check=True, timeout=60)
    dump = subprocess.Popen(["pg_dump", *PG, "--no-owner", source], stdout=subprocess.PIPE)
    subprocess.run(
        ["psql", *PG, "-q", "-o", "/dev/null", target],
        stdin=dump.stdout,
        check=True,
        timeout=1200,
    )
    dump.wait(timeout=60)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--source", default="causerie_bench")
    parser.add_argument("--database", default="causerie_bench_insights")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--refresh", action="store_true")
    args = parser.parse_args()
    _copy(args.source, args.database, args.refresh)

    os.environ["DATABASE_URL"] = f"postgres://postgres@127.0.0.1:5432/{args.database}"
    os.environ.pop("REDIS_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.db.models import Count
    from django.db.models.functions import TruncDate
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from accounts.models import User
    from community.models import Post
    from insights import metrics
    from insights.models import DailyMetric

    settings.ALLOWED_HOSTS = ["*"]
    call_command("migrate", verbosity=0)
    tz = metrics.local_tz()
    busiest = (
        Post.objects.annotate(day=TruncDate("created_at", tzinfo=tz))
        .values("day")
        .annotate(n=Count("id"))
        .order_by("-n")
        .first()
    )
    day = busiest["day"]
    print(f"data set: {Post.objects.count():,} posts; busiest day {day}: {busiest['n']:,} posts")

    timings, queries = [], 0
    for _run in range(args.runs):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            rows = metrics.day_compute(day)
            timings.append(time.perf_counter() - started)
        queries = len(captured.captured_queries)
    print(
        f"daily task, {day}: {rows} rows, {queries} queries, "
        f"runs {', '.join(f'{t:.2f} s' for t in timings)} "
        f"(median {statistics.median(timings):.2f} s)"
    )

    # A backfill: the 30 days before the busiest one, through the management command's service.
    from insights import services

    first = metrics.first_activity_day()
    started = time.perf_counter()
    services.metrics_range_compute(
        start=day - dt.timedelta(days=30), end=day - dt.timedelta(days=1)
    )
    elapsed = time.perf_counter() - started
    print(
        f"backfill, 30 days: {elapsed:.1f} s ({elapsed / 30:.2f} s a day); "
        f"history starts {first} ({(day - first).days + 1} days)"
    )

    # The dashboard over two years: 730 days shaped like the computed one.
    template = list(DailyMetric.objects.filter(day=day))
    DailyMetric.objects.exclude(day=day).delete()
    copies = []
    for offset in range(1, 730):
        for row in template:
            copy = DailyMetric(
                **{
                    f.attname: getattr(row, f.attname)
                    for f in DailyMetric._meta.concrete_fields
                    if f.attname != "id"
                }
            )
            copy.day = day - dt.timedelta(days=offset)
            copies.append(copy)
    DailyMetric.objects.bulk_create(copies, batch_size=2000)
    moderator = User.objects.filter(groups__permissions__codename="view_insights").first()
    client = Client()
    client.force_login(moderator)
    start = day - dt.timedelta(days=729)
    params = {"range": "custom", "start": start.isoformat(), "end": day.isoformat()}
    for label in ("cold", "warm"):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            response = client.get("/insights/", params)
            elapsed = time.perf_counter() - started
        assert response.status_code == 200, response.status_code
        print(
            f"dashboard, 730 days ({len(copies) + len(template):,} rows), {label}: "
            f"{len(captured.captured_queries)} queries, {elapsed * 1000:.0f} ms"
        )
    with CaptureQueriesContext(connection) as captured:
        started = time.perf_counter()
        response = client.get("/insights/chart/activity.svg", {**params, "granularity": "week"})
        elapsed = time.perf_counter() - started
    print(
        f"chart (weekly, 730 days): {len(captured.captured_queries)} queries, "
        f"{elapsed * 1000:.0f} ms"
    )


if __name__ == "__main__":
    main()
