"""Pick the benchmark's pages on the bench database and count the queries each one costs.

Run by bench/run.py in a subprocess with the same environment as the gunicorn server it is
about to measure (DATABASE_URL, REDIS_URL, DJANGO_ENV…); prints one JSON object on its last
line. It can also be run alone:

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/causerie_bench \
        REDIS_URL=redis://127.0.0.1:6379/2 .venv/bin/python bench/probe.py

The pages
    home            ``/``: the latest topics
    category        the category with the most visible topics (its subcategories included,
                    as its list shows them), ``/c/<slug>/``
    topic           a visible discussion with exactly 20 visible posts (19 replies) and no
                    gap in its numbering, first page — the data set's average topic
    search          ``/search/?q=kettle``

For each page, through Django's test client and ``CaptureQueriesContext``: the queries of an
anonymous GET with a cold page cache (``anon_queries``), of a second anonymous GET
(``anon_queries_repeat``: 0 when served from the anonymous cache), the writes among them,
whether a session cookie was set, and the queries of the same page for a signed-in member
(``member_queries``, second GET, so one-off writes such as the daily visit are excluded).
The page cache is isolated by a key prefix of its own, removed at the end.
"""

from __future__ import annotations

import json
import os
import sys
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
# Cold-cache counts need a page cache nobody else has warmed: a key prefix of our own.
PREFIX = f"causerie-probe-{uuid.uuid4().hex[:10]}"
os.environ["CACHE_KEY_PREFIX"] = PREFIX

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Count, Q  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from accounts.models import User  # noqa: E402
from community.models import Category, ContentState, Post, Topic, TopicKind  # noqa: E402

WRITE_PREFIXES = ("INSERT", "UPDATE", "DELETE")
MEMBER_USERNAME = "alice"


def largest_category() -> Category:
    """The category whose list is the longest (subcategories count for their parent)."""
    best, best_count = None, -1
    for category in Category.objects.all():
        count = Topic.objects.filter(
            Q(category=category) | Q(category__parent=category), state=ContentState.VISIBLE
        ).count()
        if count > best_count:
            best, best_count = category, count
    assert best is not None, "no category: is the bench database seeded?"
    best.visible_topics = best_count
    return best


def average_topic() -> Topic:
    """A visible discussion of exactly 20 visible posts numbered 1..20 (the lowest id)."""
    candidates = (
        Topic.objects.filter(
            state=ContentState.VISIBLE,
            kind=TopicKind.DISCUSSION,
            reply_count=19,
            highest_post_number=20,
        )
        .annotate(shown=Count("posts", filter=Q(posts__state=ContentState.VISIBLE)))
        .filter(shown=20)
        .order_by("pk")
    )
    topic = candidates.first()
    if topic is None:  # a smaller data set: any topic near 20 posts will do
        topic = (
            Topic.objects.filter(state=ContentState.VISIBLE, reply_count__gte=10)
            .order_by("reply_count", "pk")
            .first()
        )
    assert topic is not None, "no topic: is the bench database seeded?"
    return topic


def pages() -> dict[str, dict]:
    category = largest_category()
    topic = average_topic()
    return {
        "home": {"path": "/", "note": "latest topics, the home page"},
        "category": {
            "path": category.get_absolute_url(),
            "note": f"{category.name}: {category.visible_topics} visible topics",
        },
        "topic": {
            "path": topic.get_absolute_url(),
            "note": f"topic {topic.pk}: {topic.reply_count + 1} posts, first page",
        },
        "search": {"path": "/search/?q=kettle"},
    }


def _count(client: Client, path: str) -> dict:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    sql = [query["sql"] for query in captured.captured_queries]
    return {
        "status": response.status_code,
        "bytes": len(response.content),
        "queries": len(sql),
        "writes": sum(1 for text in sql if text.lstrip().upper().startswith(WRITE_PREFIXES)),
        "session_cookie": settings.SESSION_COOKIE_NAME in response.cookies,
        "sql": sql,
    }


def count_queries(targets: dict[str, dict], *, show_sql: bool) -> None:
    host = (settings.ALLOWED_HOSTS or ["127.0.0.1"])[0]
    anonymous = Client(HTTP_HOST=host)
    member = Client(HTTP_HOST=host)
    user = User.objects.filter(username=MEMBER_USERNAME).first()
    if user is not None:
        member.force_login(user)
    for target in targets.values():
        first = _count(anonymous, target["path"])
        repeat = _count(anonymous, target["path"])
        target.update(
            status=first["status"],
            bytes=first["bytes"],
            anon_queries=first["queries"],
            anon_queries_repeat=repeat["queries"],
            anon_writes=first["writes"] + repeat["writes"],
            anon_session_cookie=first["session_cookie"] or repeat["session_cookie"],
        )
        if show_sql:
            target["anon_sql"] = first["sql"]
        if user is not None:
            _count(member, target["path"])  # the first visit of the day may write: not counted
            again = _count(member, target["path"])
            target.update(member_queries=again["queries"], member_writes=again["writes"])


def _drop_probe_keys() -> None:
    if not settings.REDIS_URL:
        return
    import redis

    client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=1)
    for key in client.scan_iter(match=f"{PREFIX}:*", count=1000):
        client.delete(key)


def main() -> None:
    show_sql = "--sql" in sys.argv
    targets = pages()
    try:
        count_queries(targets, show_sql=show_sql)
    finally:
        _drop_probe_keys()
    shape = {"topics": Topic.objects.count(), "posts": Post.objects.count()}
    print(json.dumps({"pages": targets, **shape}))


if __name__ == "__main__":
    main()
