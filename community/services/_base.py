"""Shared helpers of the community services: validation, limits, rendering, locks."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.postgres.search import SearchVector
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import F, Value
from django.db.models.functions import Greatest
from django.utils import timezone
from django.utils.text import slugify
from django.utils.timesince import timeuntil
from django.utils.translation import gettext as _

from accounts import permissions as account_permissions
from accounts.models import User
from accounts.selectors import usernames_existing
from community import events
from community.models import (
    Category,
    NotificationLevel,
    Post,
    Tag,
    Topic,
    Vote,
)
from community.rendering import RenderedPost, render_markdown
from community.search import search_config

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    AnyUser = User | AnonymousUser | None


DAY = timedelta(hours=24)
SYSTEM_NAME = "system"


class RateLimited(ValidationError):
    """A daily limit is reached. ``retry_after``: seconds until one more action is allowed."""

    def __init__(self, message: str, *, action: str, limit: int, retry_after: int) -> None:
        super().__init__(message, code="rate_limited")
        self.action = action
        self.limit = limit
        self.retry_after = retry_after


# --- Small helpers ---------------------------------------------------------------------------


def _active(user: AnyUser) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


def _add(field: str, amount: int):
    """F() expression adding ``amount``; a decrement never goes below zero, because a counter
    already wrong must not turn a member's action into a database error (recount repairs)."""
    if amount >= 0:
        return F(field) + amount
    return Greatest(F(field) + amount, Value(0))


def _actor_name(actor: AnyUser) -> str:
    return actor.username if _active(actor) else SYSTEM_NAME


def _clean_text(value: object) -> str:
    # PostgreSQL refuses NUL characters in text columns: drop them instead of failing.
    return str(value or "").replace("\x00", "").replace("\r\n", "\n").replace("\r", "\n")


def _validate_title(title: object, errors: dict[str, str]) -> str:
    title = " ".join(_clean_text(title).split())
    low, high = settings.COMMUNITY_TITLE_MIN, settings.COMMUNITY_TITLE_MAX
    if not low <= len(title) <= high:
        errors["title"] = _("The title must have between %(min)d and %(max)d characters.") % {
            "min": low,
            "max": high,
        }
    return title


def _validate_body(body: object, errors: dict[str, str]) -> str:
    body = _clean_text(body)
    low, high = settings.COMMUNITY_BODY_MIN, settings.COMMUNITY_BODY_MAX
    if len(body.strip()) < low:
        errors["body"] = _("Write at least %(min)d characters.") % {"min": low}
    elif len(body) > high:
        errors["body"] = _("The text is too long: %(max)d characters at most.") % {"max": high}
    return body.strip("\n")


def _normalise_tags(raw: Iterable[str] | str, errors: dict[str, str]) -> list[str]:
    """Lowercase slugs, duplicates dropped, order kept. "a, b" is accepted as two tags."""
    if isinstance(raw, str):
        raw = raw.split(",")
    slugs: list[str] = []
    for item in raw:
        slug = slugify(_clean_text(item))
        if not slug:
            continue
        if len(slug) > settings.COMMUNITY_TAG_MAX_LENGTH:
            errors["tags"] = _("A tag has %(max)d characters at most: “%(tag)s” is longer.") % {
                "max": settings.COMMUNITY_TAG_MAX_LENGTH,
                "tag": slug[:40],
            }
        elif slug not in slugs:
            slugs.append(slug)
    if len(slugs) > settings.COMMUNITY_MAX_TAGS:
        errors["tags"] = _("A topic has %(max)d tags at most.") % {
            "max": settings.COMMUNITY_MAX_TAGS
        }
    return slugs


def _render(body: str, errors: dict[str, str]) -> RenderedPost:
    rendered = render_markdown(
        body,
        resolve_mentions=usernames_existing,
        image_hosts=frozenset(settings.COMMUNITY_IMAGE_HOSTS),
        site_host=settings.SITE_HOST,
    )
    if len(rendered.mentions) > settings.COMMUNITY_MAX_MENTIONS:
        errors["body"] = _("You may mention %(max)d members at most in one post.") % {
            "max": settings.COMMUNITY_MAX_MENTIONS
        }
    return rendered


def _raise_if(errors: dict[str, str]) -> None:
    if errors:
        raise ValidationError(errors)


# One advisory-lock namespace per limited action (the high bits of the 64-bit lock key).
_DAILY_LIMIT_LOCK_NAMESPACE = {"topics": 0x43_01, "posts": 0x43_02, "votes": 0x43_03}


def _daily_limit_lock(actor: User, action: str) -> None:
    """Serialise one member's concurrent ``action``s until the transaction ends, so that the
    count below sees every earlier one: without it, 20 simultaneous "new topic" requests of a
    newcomer all counted 0 earlier topics and all passed a limit of 3 (tests/core/
    test_faults.py). A transaction-level advisory lock, not a row lock: it cannot deadlock
    with the row locks services take (posts, topics, authors' counters). SQLite runs one
    writing transaction at a time already."""
    if connection.vendor != "postgresql" or not connection.in_atomic_block:
        return
    key = (_DAILY_LIMIT_LOCK_NAMESPACE[action] << 48) | (actor.pk & 0xFFFF_FFFF_FFFF)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])


def _daily_limit_check(actor: User, action: str) -> None:
    """Raise RateLimited when ``actor`` already did ``action`` (topics/posts/votes) as often as
    their trust level allows in the last 24 hours. Staff roles are exempt.

    One indexed query: the limit-th most recent item, if it is inside the window, means the
    limit is reached, and its age tells when the next action becomes possible."""
    if account_permissions.is_staff_role(actor):
        return
    limit = settings.COMMUNITY_DAILY_LIMITS.get(action, {}).get(actor.trust_level)
    if limit is None:
        return
    _daily_limit_lock(actor, action)
    since = timezone.now() - DAY
    items = {
        "topics": Topic.objects.filter(author=actor),
        "posts": Post.objects.filter(author=actor),
        "votes": Vote.objects.filter(user=actor),
    }[action]
    if limit <= 0:
        oldest = [timezone.now()]
    else:
        oldest = list(
            items.filter(created_at__gte=since)
            .order_by("-created_at")
            .values_list("created_at", flat=True)[limit - 1 : limit]
        )
    if not oldest:
        return
    free_at = oldest[0] + DAY
    retry_after = max(1, int((free_at - timezone.now()).total_seconds()))
    messages = {
        "topics": _(
            "You have reached your limit of %(limit)d new topics per day. "
            "You can start another one in %(wait)s."
        ),
        "posts": _(
            "You have reached your limit of %(limit)d posts per day. "
            "You can post again in %(wait)s."
        ),
        "votes": _(
            "You have reached your limit of %(limit)d votes per day. "
            "You can vote again in %(wait)s."
        ),
    }
    message = messages[action] % {"limit": limit, "wait": timeuntil(free_at)}
    raise RateLimited(message, action=action, limit=limit, retry_after=retry_after)


def _search_vector_update(post_id: int, *, title: str | None, language: str) -> None:
    # PostgreSQL only: SQLite searches with LIKE and leaves the column empty.
    if connection.vendor != "postgresql":
        return
    config = search_config(language)
    vector = SearchVector("body", weight="B", config=config)
    if title:
        vector = SearchVector(Value(title), weight="A", config=config) + vector
    Post.objects.filter(pk=post_id).update(search_vector=vector)


def _lock_post(post: Post | int) -> Post:
    # NO KEY UPDATE: does not block inserts that reference the post (votes, replies).
    pk = post if isinstance(post, int) else post.pk
    return (
        Post.objects.select_for_update(of=("self",), no_key=True)
        .select_related("topic", "topic__category")
        .get(pk=pk)
    )


def _lock_topic(topic: Topic | int) -> Topic:
    pk = topic if isinstance(topic, int) else topic.pk
    return (
        Topic.objects.select_for_update(of=("self",), no_key=True)
        .select_related("category")
        .get(pk=pk)
    )


def _announce_mentions_and_quotes(
    *, post: Post, actor: User, rendered: RenderedPost, already_mentioned: set[str] = frozenset()
) -> None:
    names = {
        name
        for name in rendered.mentions
        if name.lower() != actor.username.lower() and name.lower() not in already_mentioned
    }
    if names:
        found = dict(
            User.objects.filter(username__in=names, is_active=True).values_list("username", "pk")
        )
        if found:
            events.members_mentioned.send(
                sender=Post,
                post_id=post.pk,
                actor_id=actor.pk,
                usernames=sorted(found),
                user_ids=sorted(found.values()),
            )
    if rendered.quoted_post_ids:
        existing = set(
            Post.objects.filter(pk__in=rendered.quoted_post_ids)
            .exclude(pk=post.pk)
            .values_list("pk", flat=True)
        )
        quoted = [pk for pk in rendered.quoted_post_ids if pk in existing]
        if quoted:
            events.post_quoted.send(
                sender=Post, post_id=post.pk, actor_id=actor.pk, quoted_post_ids=quoted
            )


def _topic_visibility_counters(topic: Topic, delta: int) -> None:
    """A topic became visible (+1) or stopped being visible (-1): its category and tags count
    it, and its visible posts (first post + visible replies), or no longer."""
    Category.objects.filter(pk=topic.category_id).update(
        topic_count=_add("topic_count", delta),
        post_count=_add("post_count", delta * (topic.reply_count + 1)),
    )
    Tag.objects.filter(pk__in=topic.tags.values("pk")).update(
        topic_count=_add("topic_count", delta)
    )


def _level(level: int) -> int:
    if isinstance(level, bool) or level not in NotificationLevel.values:
        raise ValidationError({"level": _("Choose muted, normal, tracking or watching.")})
    return int(level)
