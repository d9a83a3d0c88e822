"""Check the bench database's data shape and repair what the bulk seed leaves out.

Run by bench/run.py after ``seed_demo --size large`` (same environment: DATABASE_URL points
at the bench database); prints one JSON object on its last line.

Shape expected (shared/PERFORMANCE.md): at least 500 members, 5,000 topics, 100,000 posts.

Repair: ``Topic.slug`` is filled by ``Topic.save()``, which ``bulk_create`` does not call, so
topics bulk-created without a slug cannot be linked to (``get_absolute_url`` raises
NoReverseMatch and every list page answers 500). Such topics get exactly the slug
``Topic.save()`` would give them. This touches the bench database only (the script refuses
any database whose name does not contain "bench") and says what it did.
"""

from __future__ import annotations

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

MIN_MEMBERS, MIN_TOPICS, MIN_POSTS = 500, 5_000, 100_000


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


def main() -> None:
    name = connection.settings_dict["NAME"]
    if "bench" not in str(name):
        sys.exit(f"refusing to touch database {name!r}: not a bench database")
    repaired = repair_empty_slugs()
    shape = {
        "database": name,
        "members": User.objects.count(),
        "categories": Category.objects.count(),
        "topics": Topic.objects.count(),
        "posts": Post.objects.count(),
        "slugs_repaired": repaired,
    }
    shape["ok"] = (
        shape["members"] >= MIN_MEMBERS
        and shape["topics"] >= MIN_TOPICS
        and shape["posts"] >= MIN_POSTS
    )
    print(json.dumps(shape))


if __name__ == "__main__":
    main()
