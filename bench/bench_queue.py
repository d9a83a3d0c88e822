"""The review queue page with 10,000 pending items and 50,000 flags: latency and queries.

    .venv/bin/python bench/bench_queue.py [--requests 50] [--items 10000] [--flags-per-item 5]

Issue 4 asks for the queue's p50 latency at this size. The script works in a PostgreSQL
database of its own, ``causerie_bench_queue`` on 127.0.0.1 (``--database-url`` to change;
it must be local and named ``*bench*``): created when missing, migrated, and filled once —
idempotent: the data is kept for the next run — with ``--items`` flagged posts (5 per topic,
in 10 categories) whose pending review items carry ``--flags-per-item`` pending flags each,
from 1,000 flaggers of trust levels 1 to 3 (bulk inserts, ~1 minute).

Then, in this process, with the production settings (``DJANGO_ENV=production``: DEBUG
off, cached templates, the local-memory cache): a global moderator opens ``/mod/queue/``
through Django's test client, 5 warm-up requests, then ``--requests`` timed ones; it prints
p50/p95/max of the whole request, the queries of one request, and the same for the queue's
second page and for a reason filter. The first page shows the 50 highest scores.
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/causerie_bench_queue"
PYTHON = sys.executable
ITEMS_PER_TOPIC = 5
FLAGGERS = 1000
CATEGORIES = 10


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser()
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--items", type=int, default=10_000)
    parser.add_argument("--flags-per-item", type=int, default=5)
    parser.add_argument("--database-url", default=DEFAULT_URL)
    return parser.parse_args()


def prepare_database(url: str) -> None:
    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    if parts.hostname not in ("127.0.0.1", "localhost") or "bench" not in name:
        raise SystemExit(f"refusing {url}: a local database named *bench* is expected")
    psql = ["-h", parts.hostname, "-p", str(parts.port or 5432), "-U", parts.username or "postgres"]
    exists = subprocess.run(
        [
            "psql",
            *psql,
            "-d",
            "postgres",
            "-tAc",
            f"SELECT 1 FROM pg_database WHERE datname='{name}'",
        ],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    ).stdout.strip()
    if exists != "1":
        print(f"creating database {name}", flush=True)
        subprocess.run(["createdb", *psql, name], timeout=60, check=True)
    env = {**os.environ, "DATABASE_URL": url}
    for key in ("REDIS_URL", "DJANGO_ENV", "DJANGO_SETTINGS_MODULE"):
        env.pop(key, None)
    subprocess.run(
        [PYTHON, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=env,
        timeout=600,
        check=True,
    )


def seed(items: int, flags_per_item: int) -> None:
    """Bulk-insert the data set unless it is there (ids, names and scores are deterministic)."""
    from django.contrib.auth.hashers import make_password
    from django.db import transaction
    from django.utils import timezone

    from accounts.models import User
    from accounts.roles import Role
    from accounts.services import user_create
    from community import services as community_services
    from community.models import ContentState, Post, Topic
    from moderation.models import Flag, FlagReason, FlagStatus, ItemKind, ReviewItem

    pending = ReviewItem.objects.filter(status="pending").count()
    if pending >= items:
        print(f"data set present: {pending} pending items, {Flag.objects.count()} flags")
        return
    if ReviewItem.objects.exists():
        raise SystemExit("a partial data set is present: drop the database and run again")
    started = time.perf_counter()
    rng = random.Random(4)
    now = timezone.now()
    with transaction.atomic():
        user_create(
            username="queue_moderator",
            email="queue_moderator@example.org",
            password=None,  # signed in with force_login
            role=Role.MODERATOR,
            trust_level=3,
        )
        password = make_password(None)  # unusable: nobody signs in as them
        authors = User.objects.bulk_create(
            User(username=f"author{n}", email=f"author{n}@example.org", password=password)
            for n in range(200)
        )
        flaggers = User.objects.bulk_create(
            User(
                username=f"flagger{n}",
                email=f"flagger{n}@example.org",
                password=password,
                trust_level=1 + n % 3,
            )
            for n in range(FLAGGERS)
        )
        categories = [
            community_services.category_create(actor=None, name=f"Queue category {n}")
            for n in range(CATEGORIES)
        ]
        topics = Topic.objects.bulk_create(
            Topic(
                category=categories[n % CATEGORIES],
                author=authors[n % len(authors)],
                author_name=authors[n % len(authors)].username,
                title=f"Flagged topic number {n}",
                slug=f"flagged-topic-number-{n}",
                state=ContentState.VISIBLE,
                created_at=now - timedelta(days=3),
                last_activity_at=now - timedelta(days=3),
                highest_post_number=ITEMS_PER_TOPIC,
                reply_count=ITEMS_PER_TOPIC - 1,
            )
            for n in range(items // ITEMS_PER_TOPIC)
        )
        posts = Post.objects.bulk_create(
            Post(
                topic=topic,
                number=number,
                author=topic.author,
                author_name=topic.author_name,
                body=f"Post {number} of {topic.title}: buy cheap kettles at example.com",
                body_html=f"<p>Post {number} of {topic.title}: buy cheap kettles</p>",
                state=ContentState.VISIBLE,
                created_at=now - timedelta(days=2),
            )
            for topic in topics
            for number in range(1, ITEMS_PER_TOPIC + 1)
        )
        review_items = []
        for n, post in enumerate(posts):
            weights = [2.0 + (n + k) % 3 for k in range(flags_per_item)]
            review_items.append(
                ReviewItem(
                    post=post,
                    topic_id=post.topic_id,
                    category_id=post.topic.category_id,
                    author_id=post.author_id,
                    author_name=post.author_name,
                    kind=ItemKind.FLAGGED,
                    status="pending",
                    score=sum(weights) + rng.random(),
                    flag_count=flags_per_item,
                    pending_since=now - timedelta(minutes=rng.randrange(60 * 40)),
                )
            )
        review_items = ReviewItem.objects.bulk_create(review_items, batch_size=2000)
        reasons = [FlagReason.SPAM, FlagReason.OFF_TOPIC, FlagReason.ABUSIVE]
        flags = []
        for n, item in enumerate(review_items):
            for flagger in rng.sample(flaggers, flags_per_item):
                flags.append(
                    Flag(
                        item=item,
                        post_id=item.post_id,
                        flagger=flagger,
                        flagger_name=flagger.username,
                        reason=reasons[n % len(reasons)],
                        weight=1.0 + flagger.trust_level,
                        status=FlagStatus.PENDING,
                        created_at=item.pending_since,
                    )
                )
            if len(flags) >= 10_000:
                Flag.objects.bulk_create(flags)
                flags = []
        Flag.objects.bulk_create(flags)
    subprocess.run(
        [
            "vacuumdb",
            "-h",
            "127.0.0.1",
            "-U",
            "postgres",
            "--analyze",
            "--quiet",
            os.environ["DATABASE_URL"].rsplit("/", 1)[1],
        ],
        timeout=600,
        check=True,
    )
    print(
        f"seeded {ReviewItem.objects.count()} items and {Flag.objects.count()} flags "
        f"in {time.perf_counter() - started:.0f} s",
        flush=True,
    )


class _SqlTimer:
    """A database execute wrapper counting queries and the time spent in them."""

    def __init__(self) -> None:
        self.queries = 0
        self.seconds = 0.0

    def __call__(self, execute, sql, params, many, context):
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.queries += 1
            self.seconds += time.perf_counter() - start


def measure(requests: int) -> None:
    from django.db import connection
    from django.test import Client

    from accounts.models import User
    from moderation.models import Flag, ReviewItem

    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(User.objects.get(username="queue_moderator"))
    print(
        f"{ReviewItem.objects.filter(status='pending').count()} pending items, "
        f"{Flag.objects.count()} flags; {requests} requests per page; "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    print("| page | queries | p50 ms | p95 ms | max ms | SQL ms (p50) |")
    print("|---|---:|---:|---:|---:|---:|")
    for label, path in (
        ("queue, first page", "/mod/queue/"),
        ("queue, page 2", "/mod/queue/?page=2"),
        ("queue, reason = spam", "/mod/queue/?reason=spam"),
    ):
        for _ in range(5):
            assert client.get(path).status_code == 200, path
        sql = _SqlTimer()
        with connection.execute_wrapper(sql):
            response = client.get(path)
        assert response.status_code == 200
        assert response.content.count(b'name="items"') == 50, "a full page of items"
        timings, sql_ms = [], []
        for _ in range(requests):
            timer = _SqlTimer()
            start = time.perf_counter()
            with connection.execute_wrapper(timer):
                client.get(path)
            timings.append(1000 * (time.perf_counter() - start))
            sql_ms.append(1000 * timer.seconds)
        timings.sort()
        p95 = timings[min(len(timings) - 1, round(0.95 * (len(timings) - 1)))]
        print(
            f"| {label} | {sql.queries} | {statistics.median(timings):.1f} "
            f"| {p95:.1f} | {timings[-1]:.1f} | {statistics.median(sql_ms):.1f} |"
        )
    print(f"load average after: {os.getloadavg()[0]:.1f}")


def main() -> None:
    args = _arguments()
    prepare_database(args.database_url)
    os.environ["DATABASE_URL"] = args.database_url
    os.environ.pop("REDIS_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ["DJANGO_ENV"] = "production"
    os.environ.setdefault("SECRET_KEY", secrets.token_urlsafe(40))
    os.environ["ALLOWED_HOSTS"] = "127.0.0.1"
    os.environ["SECURE_SSL_REDIRECT"] = "false"
    os.environ.setdefault(
        "CAUSERIE_VAR_DIR", str(Path(tempfile.gettempdir()) / "causerie-bench-queue-var")
    )
    import django

    django.setup()
    from django.core.management import call_command

    if not any(Path(os.environ["CAUSERIE_VAR_DIR"]).glob("**/staticfiles.json")):
        call_command("collectstatic", interactive=False, verbosity=0)
    seed(args.items, args.flags_per_item)
    measure(args.requests)


if __name__ == "__main__":
    main()
