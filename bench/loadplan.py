"""Prepare a member-mix load run on the bench database: pages, posts, members' sessions.

Run by bench/loadtest.py and bench/soak.py in a subprocess with the environment of the server
under test; prints one JSON object on its last line (read by bench/locustfile.py):

    topics       [{id, url, reply}]: visible discussions; ``reply`` where members may reply
    categories   category list URLs          posts   [[id, author id]] to vote on / flag
    members      [{id, username, sessionid}]: signed-in sessions created here for members of
                 trust level 2 or more (their daily limits leave room for a load run), so
                 the load does not go through allauth's login form and its rate limit
    moderator    {username, sessionid} of a moderator; review_items: pending items' ids

Only reads, plus the session rows it creates (they expire like any session).
"""

from __future__ import annotations

import json
import os
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY  # noqa: E402
from django.contrib.sessions.backends.db import SessionStore  # noqa: E402

from accounts.models import User  # noqa: E402
from community.models import Category, ContentState, Post, Topic  # noqa: E402
from community.permissions import can_reply  # noqa: E402
from moderation.models import ReviewItem  # noqa: E402

SEED = 20261122


def session_for(user: User) -> str:
    store = SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return store.session_key


def main() -> None:
    rng = random.Random(SEED)
    members_wanted = int(os.environ.get("LOADPLAN_MEMBERS", "60"))
    visible = Topic.objects.filter(state=ContentState.VISIBLE, category__isnull=False)
    topic_rows = list(
        visible.exclude(slug="")
        .filter(locked=False)
        .order_by("-last_activity_at")
        .values_list("pk", flat=True)[:2000]
    )
    topic_ids = rng.sample(topic_rows, min(400, len(topic_rows)))
    staff = User.objects.filter(groups__name__in=["Moderator", "Brand staff", "Administrator"])
    candidates = list(
        User.objects.filter(is_active=True, trust_level__gte=2)
        .exclude(pk__in=staff.values("pk"))
        .order_by("pk")
    )
    chosen = rng.sample(candidates, min(members_wanted, len(candidates)))
    # Replies go only where every chosen member may reply (the least trusted one decides).
    least_trusted = min(chosen, key=lambda user: (user.trust_level, user.pk)) if chosen else None
    topics = [
        {
            "id": topic.pk,
            "url": topic.get_absolute_url(),
            "reply": bool(least_trusted and can_reply(least_trusted, topic)),
        }
        for topic in Topic.objects.filter(pk__in=topic_ids).select_related("category")
    ]
    categories = [
        category.get_absolute_url()
        for category in Category.objects.filter(parent__isnull=True).order_by("position", "pk")
    ]
    post_ids = list(
        Post.objects.filter(state=ContentState.VISIBLE, topic_id__in=topic_ids)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    sample = rng.sample(post_ids, min(3000, len(post_ids)))
    posts = [
        [pk, author_id]
        for pk, author_id in Post.objects.filter(pk__in=sample).values_list("pk", "author_id")
    ]
    members = [
        {"id": user.pk, "username": user.username, "sessionid": session_for(user)}
        for user in chosen
    ]
    moderator = User.objects.filter(groups__name="Moderator", is_active=True).order_by("pk").first()
    plan = {
        "topics": topics,
        "categories": categories,
        "posts": posts,
        "members": members,
        "moderator": (
            {"username": moderator.username, "sessionid": session_for(moderator)}
            if moderator
            else None
        ),
        "review_items": list(
            ReviewItem.objects.filter(status="pending")
            .order_by("pk")
            .values_list("pk", flat=True)[:200]
        ),
        "session_cookie": settings.SESSION_COOKIE_NAME,
        "csrf_cookie": settings.CSRF_COOKIE_NAME,
    }
    print(json.dumps(plan))


if __name__ == "__main__":
    main()
