"""EXPLAIN (ANALYZE, BUFFERS) of the queries behind the main pages, on the bench database.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/causerie_bench \\
        .venv/bin/python bench/explain.py [--full] [--page latest,category,…]

Each page is requested once through Django's test client as an anonymous visitor (the
anonymous page cache switched off), every SQL query it runs is captured, and each one is
explained with ``EXPLAIN (ANALYZE, BUFFERS)`` — so the plans are those of the queries the page
really sends, not of a hand-written copy. For each page: one line per query (time, top plan
nodes, whether a table is read with a Seq Scan, whether rows are sorted), then the full plan
of the page's main query (the ORDER BY … LIMIT on topics or posts). ``--full`` prints every
plan. Needs the bench database (``make bench`` creates it).

Pages: latest topics, the largest category, top of the week, hot, a 20-post topic page
(first page), search for "kettle".
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/causerie_bench")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.db.models import Count, Q  # noqa: E402
from django.test import Client, override_settings  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from community.models import Category, ContentState, Topic, TopicKind  # noqa: E402

#: The page's main query: the ORDER BY … LIMIT on topics (lists) or on posts (topic, search).
MAIN_TABLE = {"topic": "post", "search": "post"}
MAIN_QUERY = r'^SELECT .*? FROM "community_{table}".*ORDER BY.*LIMIT'
NODE = re.compile(
    r"(Seq Scan|Index Only Scan|Index Scan|Bitmap Heap Scan|Bitmap Index Scan|"
    r"Incremental Sort|Sort|Limit|Nested Loop|Hash Join|Merge Join|Aggregate|Unique|Append)"
    r"(?: (?:using|on) (\S+))?(?: on (\S+))?"
)


def largest_category() -> Category:
    def size(category: Category) -> int:
        return Topic.objects.filter(
            Q(category=category) | Q(category__parent=category), state=ContentState.VISIBLE
        ).count()

    return max(Category.objects.all(), key=size)


def average_topic() -> Topic:
    return (
        Topic.objects.filter(
            state=ContentState.VISIBLE,
            kind=TopicKind.DISCUSSION,
            reply_count=19,
            highest_post_number=20,
        )
        .annotate(shown=Count("posts", filter=Q(posts__state=ContentState.VISIBLE)))
        .filter(shown=20)
        .order_by("pk")
        .first()
    )


def pages() -> dict[str, str]:
    topic = average_topic()
    return {
        "latest": "/latest/",
        "category": largest_category().get_absolute_url(),
        "top-week": "/top/?period=week",
        "hot": "/hot/",
        "topic": topic.get_absolute_url() if topic else "",
        "search": "/search/?q=kettle",
    }


def explain(sql: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
        return [row[0] for row in cursor.fetchall()]


def summary(plan: list[str]) -> str:
    """The plan's node types, outermost first (the first line and the "->" lines)."""
    nodes = []
    for index, line in enumerate(plan):
        text = line.strip()
        if index and not text.startswith("->"):
            continue
        text = text.removeprefix("->").strip()
        match = NODE.match(text)
        if match:
            target = match.group(2) or match.group(3)
            nodes.append(f"{match.group(1)} {target}" if target else match.group(1))
    return " > ".join(nodes[:7])


def execution_ms(plan: list[str]) -> float:
    for line in plan:
        if line.startswith("Execution Time:"):
            return float(line.split(":")[1].split()[0])
    return 0.0


def verdict(plan: list[str]) -> str:
    text = "\n".join(plan)
    seq = re.findall(r"Seq Scan on (community_\w+)", text)
    sort = bool(re.search(r"(?:^|->\s+)Sort\s+\(cost", text, re.MULTILINE))
    incremental = "Incremental Sort" in text
    parts = []
    parts.append(f"Seq Scan on {', '.join(sorted(set(seq)))}" if seq else "index scans only")
    if sort:
        parts.append("explicit Sort")
    if incremental:
        parts.append("incremental sort over an index")
    return "; ".join(parts)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--full", action="store_true", help="print every query's plan")
    parser.add_argument("--page", help="comma-separated page names (default: all)")
    args = parser.parse_args()
    wanted = set(args.page.split(",")) if args.page else None
    host = "127.0.0.1"
    client = Client(HTTP_HOST=host)
    with override_settings(
        COMMUNITY_ANON_CACHE=False,
        # Views counted in the cache, not written to the bench database by this script.
        COMMUNITY_VIEW_COUNTS_BUFFERED=True,
        ALLOWED_HOSTS=[host],
        SECURE_SSL_REDIRECT=False,
    ):
        for name, path in pages().items():
            if wanted and name not in wanted:
                continue
            with CaptureQueriesContext(connection) as captured:
                response = client.get(path)
            print(f"\n=== {name}: GET {path} -> {response.status_code}")
            main_plan = None
            for number, query in enumerate(captured.captured_queries, start=1):
                sql = query["sql"]
                if not sql.lstrip().upper().startswith("SELECT"):
                    print(f"  q{number}: (not a SELECT) {sql[:100]}")
                    continue
                plan = explain(sql)
                print(
                    f"  q{number}: {execution_ms(plan):7.2f} ms  {summary(plan)}  [{verdict(plan)}]"
                )
                if args.full:
                    print("\n".join(f"      {line}" for line in plan))
                main_re = MAIN_QUERY.format(table=MAIN_TABLE.get(name, "topic"))
                if main_plan is None and re.search(main_re, sql, re.DOTALL):
                    main_plan = (number, sql, plan)
            if main_plan and not args.full:
                number, sql, plan = main_plan
                print(f"  main query q{number}: {sql[:300]}{'…' if len(sql) > 300 else ''}")
                print("\n".join(f"      {line}" for line in plan))


if __name__ == "__main__":
    main()
