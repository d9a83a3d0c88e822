"""Check the bench database's data shape and repair what the bulk seed leaves out.

    .venv/bin/python bench/dataset.py [--size large|small]

Run by bench/run.py after ``seed_demo --size <size>`` (same environment: DATABASE_URL points
at the bench database); prints one JSON object on its last line.

Shape expected, by size: ``large`` (shared/PERFORMANCE.md, the default) at least 500 members,
5,000 topics, 100,000 posts; ``small`` (the hand-written demo, for CI's short soak,
``bench/soak.py --ci``) at least 10 members, 40 topics, 100 posts — what the demo holds, so
that a half-seeded database is caught.

Repair: ``Topic.slug`` is filled by ``Topic.save()``, which ``bulk_create`` does not call, so
topics bulk-created without a slug cannot be linked to (``get_absolute_url`` raises
NoReverseMatch and every list page answers 500). Such topics get exactly the slug
``Topic.save()`` would give them. This touches the bench database only (the script refuses
any database whose name does not contain "bench") and says what it did.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.db import connection, transaction  # noqa: E402
from django.utils.text import slugify  # noqa: E402

from accounts.models import User  # noqa: E402
from community.models import Category, Post, Topic  # noqa: E402

# (members, topics, posts) at least, by `seed_demo --size`.
MINIMUMS = {"large": (500, 5_000, 100_000), "small": (10, 40, 100)}


def repair_empty_slugs() -> int:
    missing = Topic.objects.filter(slug="")
    count = missing.count()
    if not count:
        return 0
    with transaction.atomic():
        rows = list(missing.only("pk", "title"))
        for topic in rows:
            topic.slug = slugify(topic.title)[:80] or "topic"
        Topic.objects.bulk_update(rows, ["slug"], batch_size=1000)
    return count


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", choices=sorted(MINIMUMS), default="large")
    size = parser.parse_args(argv).size
    name = connection.settings_dict["NAME"]
    if "bench" not in str(name):
        sys.exit(f"refusing to touch database {name!r}: not a bench database")
    repaired = repair_empty_slugs()
    shape = {
        "database": name,
        "size": size,
        "members": User.objects.count(),
        "categories": Category.objects.count(),
        "topics": Topic.objects.count(),
        "posts": Post.objects.count(),
        "slugs_repaired": repaired,
    }
    min_members, min_topics, min_posts = MINIMUMS[size]
    shape["ok"] = (
        shape["members"] >= min_members
        and shape["topics"] >= min_topics
        and shape["posts"] >= min_posts
    )
    print(json.dumps(shape))


if __name__ == "__main__":
    main()
