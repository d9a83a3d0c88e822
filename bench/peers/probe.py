"""Pick a peer's benchmarked pages on its bench database and count the queries each costs.

Runs in the peer's own virtualenv with the settings gunicorn will serve
(DJANGO_SETTINGS_MODULE=<peer>_settings, PEER_DATABASE_URL…); prints one JSON object on its
last line: the peer's versions and, for each page, its path, status and the queries of a first
and of a second anonymous GET through Django's test client (`CaptureQueriesContext`), the writes
among them and whether a session cookie was set.

    home        the index: Spirit's latest topics, machina's board index (its forum list)
    category    the category (forum) with the most topics, first page
    topic       the topic of exactly 20 posts with the lowest id, first page
"""

from __future__ import annotations

import json
import sys
from importlib.metadata import version
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.db.models import Count  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from django.urls import reverse  # noqa: E402

WRITE_PREFIXES = ("INSERT", "UPDATE", "DELETE")
POSTS_ON_TOPIC = 20


def spirit_pages() -> tuple[dict, dict]:
    from spirit.category.models import Category
    from spirit.topic.models import Topic

    category = (
        Category.objects.filter(is_private=False, is_removed=False)
        .annotate(topics=Count("topic"))
        .order_by("-topics", "pk")
        .first()
    )
    topic = Topic.objects.filter(comment_count=POSTS_ON_TOPIC).order_by("pk").first()
    assert category is not None and topic is not None, "is the peer's database seeded?"
    pages = {
        "home": reverse("spirit:index"),
        "category": reverse(
            "spirit:category:detail", kwargs={"pk": category.pk, "slug": category.slug}
        ),
        "topic": topic.get_absolute_url(),
    }
    about = {"category": category.title, "category_topics": category.topics, "topic": topic.pk}
    return pages, about


def machina_pages() -> tuple[dict, dict]:
    from machina.apps.forum.models import Forum
    from machina.apps.forum_conversation.models import Topic

    forum = Forum.objects.order_by("-direct_topics_count", "pk").first()
    topic = (
        Topic.objects.filter(posts_count=POSTS_ON_TOPIC, approved=True)
        .select_related("forum")
        .order_by("pk")
        .first()
    )
    assert forum is not None and topic is not None, "is the peer's database seeded?"
    pages = {
        "home": reverse("forum:index"),
        "category": reverse("forum:forum", kwargs={"slug": forum.slug, "pk": forum.pk}),
        "topic": reverse(
            "forum_conversation:topic",
            kwargs={
                "forum_slug": topic.forum.slug,
                "forum_pk": topic.forum.pk,
                "slug": topic.slug,
                "pk": topic.pk,
            },
        ),
    }
    about = {
        "category": forum.name,
        "category_topics": forum.direct_topics_count,
        "topic": topic.pk,
    }
    return pages, about


def count(path: str) -> dict:
    client = Client()
    figures: dict = {"path": path}
    for key in ("anon_queries", "anon_queries_repeat"):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(path)
        if key == "anon_queries":
            figures["status"] = response.status_code
            figures["bytes"] = len(response.content)
            figures["session_cookie"] = settings.SESSION_COOKIE_NAME in response.cookies
            figures["writes"] = sum(
                q["sql"].lstrip().upper().startswith(WRITE_PREFIXES)
                for q in queries.captured_queries
            )
        figures[key] = len(queries.captured_queries)
    return figures


def main() -> int:
    peer = "spirit" if "spirit.core" in settings.INSTALLED_APPS else "machina"
    pages, about = spirit_pages() if peer == "spirit" else machina_pages()
    package = "django-spirit" if peer == "spirit" else "django-machina"
    report = {
        "peer": peer,
        "versions": {package: version(package), "django": django.get_version()},
        "pages": {name: count(path) for name, path in pages.items()},
        "data": about,
    }
    print(json.dumps(report))
    return 0


if __name__ == "__main__":
    sys.exit(main())
