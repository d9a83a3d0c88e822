"""Load a peer's bench database with PERFORMANCE.md's data shape, in the peer's own virtualenv.

    DJANGO_SETTINGS_MODULE=spirit_settings PEER_DATABASE_URL=… python seed.py --peer spirit

500 members, 20 categories (forums), 5,000 topics, 100,000 posts (1 to 186 a topic, 20 on
average), over the last two years, the same for both peers (a fixed random seed). Rows are
bulk-inserted in one transaction (all or nothing, so a run that was stopped leaves nothing
half-loaded); then every counter, denormalised field and last-post pointer the peer's pages
read is filled as the peer's own code fills it when a post is made (machina: its own
`Forum.update_trackers()`; markup rendered by the peer's own renderer). Idempotent: prints
"already present" and exits when the topics are there. Prints one JSON line with the shape.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import django

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.contrib.auth.hashers import make_password  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils.text import slugify  # noqa: E402

USERS, CATEGORIES, TOPICS, POSTS = 500, 20, 5000, 100_000
MIN_POSTS, MAX_POSTS = 1, 186
SEED = 20261122
NOW = datetime(2026, 11, 21, 12, 0, tzinfo=UTC)  # fixed: the same data every run
SPAN = timedelta(days=730)
BATCH = 5000

CATEGORY_NAMES = [
    "Kettles",
    "Coffee machines",
    "Water filters",
    "Toasters",
    "Blenders",
    "Rice cookers",
    "Ovens",
    "Fridges",
    "Dishwashers",
    "Washing machines",
    "Vacuum cleaners",
    "Air purifiers",
    "Heaters",
    "Fans",
    "Irons",
    "Microwaves",
    "Hobs",
    "Extractor hoods",
    "Spare parts",
    "General chat",
]
WORDS = str.split(
    "descaling filter element thermostat warranty lid switch hinge gasket noise leak "
    "timer display button cable plug fuse limescale pressure valve pump motor drum "
    "belt seal door tray basket blade jug carafe grinder boiler sensor error reset"
)
OPENERS = [
    "My {a} makes a strange {b} after {n} months",
    "Replacing the {a} on an old model",
    "Is the {a} covered by the warranty?",
    "{A} shows an error after {n} weeks",
    "Best way to clean the {a} and the {b}",
    "Where to find a spare {a}",
    "The {a} stopped working, the {b} still lights up",
    "Cheap {a} or a branded one?",
]


def paragraphs(rng: random.Random) -> list[str]:
    """300 distinct paragraphs; a post is 1 to 3 of them (each is rendered once per peer)."""
    out = []
    for _ in range(300):
        sentences = []
        for _ in range(rng.randint(2, 5)):
            words = [rng.choice(WORDS) for _ in range(rng.randint(6, 16))]
            sentences.append(" ".join(words).capitalize() + ".")
        if rng.random() < 0.2:
            sentences.append(f"**{rng.choice(WORDS)}** and *{rng.choice(WORDS)}* matter here.")
        out.append(" ".join(sentences))
    return out


def post_counts(rng: random.Random) -> list[int]:
    """5,000 counts in [1, 186] summing to exactly 100,000 (a long tail, as forums have)."""
    counts = [
        min(MAX_POSTS, max(MIN_POSTS, round(rng.lognormvariate(2.6, 0.85)))) for _ in range(TOPICS)
    ]
    counts[0], counts[1] = MAX_POSTS, MIN_POSTS
    total = sum(counts)
    # Bounded: each pass moves the total by one towards the target.
    for _ in range(10 * POSTS):
        if total == POSTS:
            break
        index = rng.randrange(2, TOPICS)
        if total < POSTS and counts[index] < MAX_POSTS:
            counts[index] += 1
            total += 1
        elif total > POSTS and counts[index] > MIN_POSTS:
            counts[index] -= 1
            total -= 1
    assert total == POSTS, total
    return counts


def plan() -> dict:
    """The data set, independent of the peer: users, categories, topics with their posts."""
    rng = random.Random(SEED)
    paras = paragraphs(rng)
    counts = post_counts(rng)
    # Category sizes fall off like real forums': the largest holds ~15% of the topics.
    weights = [1 / (rank + 1) ** 0.6 for rank in range(CATEGORIES)]
    topics = []
    for index, count in enumerate(counts):
        a, b = rng.sample(WORDS, 2)
        title = rng.choice(OPENERS).format(a=a, b=b, A=a.capitalize(), n=rng.randint(2, 30))
        title = f"{title} #{index + 1}"
        start = NOW - SPAN + timedelta(seconds=rng.randrange(int(SPAN.total_seconds())))
        room = (NOW - start).total_seconds()
        gap = min(room / (count + 1), rng.expovariate(1 / 14400))
        posts, when = [], start
        for number in range(count):
            if number:
                when += timedelta(seconds=rng.uniform(0.5, 1.0) * gap + 1)
            body = rng.sample(range(len(paras)), rng.randint(1, 3))
            posts.append((rng.randrange(USERS), when, body))
        topics.append(
            {
                "title": title,
                "category": rng.choices(range(CATEGORIES), weights)[0],
                "author": posts[0][0],
                "posts": posts,
                "views": rng.randint(count, count * 40),
            }
        )
    return {"paragraphs": paras, "topics": topics}


def make_users() -> list:
    User = get_user_model()
    password = make_password("bench-only-password")  # hashed once: the members never log in
    joined = NOW - SPAN - timedelta(days=30)
    users = [
        User(
            username=f"member{number:03d}",
            email=f"member{number:03d}@example.com",
            password=password,
            date_joined=joined,
            is_active=True,
        )
        for number in range(1, USERS + 1)
    ]
    return User.objects.bulk_create(users, batch_size=BATCH)


def rendered_body(data: dict, render, post: tuple, cache: dict) -> tuple[str, str]:
    raw_parts, html_parts = [], []
    for index in post[2]:
        if index not in cache:
            cache[index] = render(data["paragraphs"][index])
        raw_parts.append(data["paragraphs"][index])
        html_parts.append(cache[index])
    return "\n\n".join(raw_parts), "\n".join(html_parts)


# --- Spirit ---------------------------------------------------------------------------------------


def spirit_slug(text: str) -> str:
    """What Spirit's AutoSlugField stores (cut to the column's 50 characters)."""
    return slugify(text, allow_unicode=True)[:50].strip("-")


def seed_spirit(data: dict) -> None:
    from spirit.category.models import Category
    from spirit.comment.models import Comment
    from spirit.core.conf import settings as st_settings
    from spirit.core.utils.markdown import Markdown
    from spirit.topic.models import Topic
    from spirit.user.models import UserProfile

    users = make_users()
    topic_count = [0] * USERS
    comment_count = [0] * USERS
    for topic in data["topics"]:
        topic_count[topic["author"]] += 1
        for post in topic["posts"]:
            comment_count[post[0]] += 1
    # The profile Spirit's post_save signal creates for each member (bulk_create sends none).
    UserProfile.objects.bulk_create(
        [
            UserProfile(
                user=user,
                slug=user.username,
                nickname=user.username,
                is_verified=True,
                topic_count=topic_count[i],
                comment_count=comment_count[i],
                last_post_on=NOW,
            )
            for i, user in enumerate(users)
        ],
        batch_size=BATCH,
    )
    # Spirit's migrations create "Private" (private topics) and "Uncategorized": the latter
    # becomes the first of the 20 public categories, so the index lists exactly 20.
    categories = []
    for sort, name in enumerate(CATEGORY_NAMES):
        category = (
            Category.objects.filter(title="Uncategorized").first() if sort == 0 else None
        ) or Category(title=name)
        category.title, category.slug, category.sort = name, spirit_slug(name), sort + 1
        category.description = f"Questions and answers about {name.lower()}"
        category.save()
        categories.append(category)
    assert all(c.pk != st_settings.ST_TOPIC_PRIVATE_CATEGORY_PK for c in categories)

    topics = Topic.objects.bulk_create(
        [
            Topic(
                user=users[t["author"]],
                category=categories[t["category"]],
                title=t["title"],
                slug=spirit_slug(t["title"]),
                date=t["posts"][0][1],
                last_active=t["posts"][-1][1],
                reindex_at=t["posts"][0][1],
                view_count=t["views"],
                comment_count=len(t["posts"]),  # Spirit counts every comment, the first too
            )
            for t in data["topics"]
        ],
        batch_size=BATCH,
    )
    markdown = Markdown()
    cache: dict = {}
    batch = []
    for topic, t in zip(topics, data["topics"], strict=True):
        for post in t["posts"]:
            raw, html = rendered_body(data, markdown.render, post, cache)
            batch.append(
                Comment(
                    user=users[post[0]], topic=topic, comment=raw, comment_html=html, date=post[1]
                )
            )
            if len(batch) >= BATCH:
                Comment.objects.bulk_create(batch)
                batch = []
    Comment.objects.bulk_create(batch)


# --- django-machina -------------------------------------------------------------------------------


def seed_machina(data: dict) -> None:
    from machina.apps.forum.models import Forum
    from machina.apps.forum_conversation.models import Post, Topic
    from machina.apps.forum_member.models import ForumProfile
    from machina.apps.forum_permission.models import ForumPermission, UserForumPermission

    # The rows carry the dates of the plan, not the time of loading: bulk_create runs the fields'
    # pre_save, which would stamp every row "now" through auto_now / auto_now_add.
    for model in (Topic, Post):
        for name in ("created", "updated"):
            field = model._meta.get_field(name)
            field.auto_now = field.auto_now_add = False

    users = make_users()
    posts_count = [0] * USERS
    for topic in data["topics"]:
        for post in topic["posts"]:
            posts_count[post[0]] += 1
    ForumProfile.objects.bulk_create(
        [ForumProfile(user=user, posts_count=posts_count[i]) for i, user in enumerate(users)],
        batch_size=BATCH,
    )
    forums = [
        Forum.objects.create(
            name=name,
            type=Forum.FORUM_POST,
            description=f"Questions and answers about {name.lower()}",
        )
        for name in CATEGORY_NAMES
    ]
    # Anonymous visitors may see and read every forum (machina grants nothing by default).
    for codename in ("can_see_forum", "can_read_forum"):
        UserForumPermission.objects.create(
            permission=ForumPermission.objects.get(codename=codename),
            anonymous_user=True,
            has_perm=True,
            forum=None,
        )
    topics = Topic.objects.bulk_create(
        [
            Topic(
                forum=forums[t["category"]],
                poster=users[t["author"]],
                subject=t["title"],
                slug=slugify(t["title"]),
                type=Topic.TOPIC_POST,
                status=Topic.TOPIC_UNLOCKED,
                approved=True,
                posts_count=len(t["posts"]),
                views_count=t["views"],
                last_post_on=t["posts"][-1][1],
                created=t["posts"][0][1],
                updated=t["posts"][-1][1],
            )
            for t in data["topics"]
        ],
        batch_size=BATCH,
    )
    content_field = Post._meta.get_field("content")

    def render(text: str) -> str:
        # machina renders on pre_save (a signal bulk_create does not send): the same function.
        probe = Post(content=text)
        content_field.render_data(None, Post, instance=probe)
        return probe._content_rendered

    cache: dict = {}
    batch = []
    for topic, t in zip(topics, data["topics"], strict=True):
        for number, post in enumerate(t["posts"]):
            raw, html = rendered_body(data, render, post, cache)
            item = Post(
                topic=topic,
                poster=users[post[0]],
                subject=t["title"] if number == 0 else f"Re: {t['title']}",
                content=raw,
                approved=True,
                created=post[1],
                updated=post[1],
            )
            item._content_rendered = html
            batch.append(item)
            if len(batch) >= BATCH:
                Post.objects.bulk_create(batch)
                batch = []
    Post.objects.bulk_create(batch)
    # Topic.update_trackers() per topic, in one statement: first post, last approved post.
    with connection.cursor() as cursor:
        cursor.execute(
            """
            UPDATE forum_conversation_topic t
               SET first_post_id = p.first_id, last_post_id = p.last_id
              FROM (SELECT topic_id,
                           (array_agg(id ORDER BY created, id))[1] AS first_id,
                           (array_agg(id ORDER BY created DESC, id DESC))[1] AS last_id
                      FROM forum_conversation_post GROUP BY topic_id) p
             WHERE p.topic_id = t.id
            """
        )
    for forum in forums:
        forum.update_trackers()


# --- Main -----------------------------------------------------------------------------------------


def existing(peer: str) -> tuple[int, int]:
    """(topics, posts) already in the database."""
    if peer == "spirit":
        from spirit.comment.models import Comment as Post
        from spirit.topic.models import Topic
    else:
        from machina.apps.forum_conversation.models import Post, Topic
    return Topic.objects.count(), Post.objects.count()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--peer", choices=["spirit", "machina"], required=True)
    args = parser.parse_args()
    started = time.monotonic()
    present, posts = existing(args.peer)
    if present >= TOPICS:
        print(f"already present ({present} topics)")
        print(json.dumps({"peer": args.peer, "loaded": False, "topics": present, "posts": posts}))
        return 0
    if present:
        print(f"{present} topics but not {TOPICS}: drop the database and run again", flush=True)
        return 1
    data = plan()
    with transaction.atomic():
        (seed_spirit if args.peer == "spirit" else seed_machina)(data)
    counts = [len(t["posts"]) for t in data["topics"]]
    print(
        json.dumps(
            {
                "peer": args.peer,
                "loaded": True,
                "users": USERS,
                "categories": CATEGORIES,
                "topics": len(counts),
                "posts": sum(counts),
                "posts_per_topic": [min(counts), max(counts), round(sum(counts) / len(counts), 1)],
                "seconds": round(time.monotonic() - started, 1),
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
