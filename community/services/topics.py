"""Topics: creation, moderation (lock, close, pin, move), following and reading."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Exists, F, Value
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User, UserStats
from accounts.services import user_stats_add
from community import events, permissions
from community.models import (
    Category,
    ContentState,
    NotificationLevel,
    Post,
    ReadPosition,
    Tag,
    Topic,
    TopicKind,
    TopicSubscription,
)
from community.ranking import hot_score
from community.services._base import (
    _active,
    _add,
    _announce_mentions_and_quotes,
    _daily_limit_check,
    _level,
    _lock_topic,
    _normalise_tags,
    _raise_if,
    _render,
    _search_vector_update,
    _validate_body,
    _validate_title,
)
from community.services.posts import _announce_submitted

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    AnyUser = User | AnonymousUser | None


def _start_refusal(actor: AnyUser, category: Category) -> str:
    if not _active(actor):
        return _("Sign in to start a topic.")
    restriction = permissions.member_restriction_reason(actor, "start_topic")
    if restriction:
        return restriction
    if category.read_only:
        return _("Only staff members may start topics in “%(category)s”.") % {
            "category": category.name
        }
    return _("Your trust level is not yet high enough to start a topic in “%(category)s”.") % {
        "category": category.name
    }


@transaction.atomic
def topic_create(
    *,
    actor: User,
    category: Category,
    title: str,
    body: str,
    kind: str | None = None,
    tags: Iterable[str] | str = (),
    official: bool = False,
) -> Topic:
    """Start a topic with its first post (number 1) and return the topic.

    The author watches the topic. Tags are normalised to lowercase slugs and created on the
    fly. The topic may come back held (``state == "held"``) when moderation or a pre-moderated
    category holds it: show the author "awaiting review" rather than the topic list."""
    if not permissions.can_start_topic(actor, category):
        raise PermissionDenied(_start_refusal(actor, category))
    if official and not permissions.can_answer_officially(actor):
        raise PermissionDenied(_("Only brand staff may post official answers."))
    errors: dict[str, str] = {}
    kind = kind or category.default_topic_kind
    if kind not in TopicKind.values:
        errors["kind"] = _("Choose a discussion, a question or an idea.")
    title = _validate_title(title, errors)
    body = _validate_body(body, errors)
    tag_slugs = _normalise_tags(tags, errors)
    rendered = _render(body, errors) if "body" not in errors else None
    _raise_if(errors)
    _daily_limit_check(actor, "topics")

    now = timezone.now()
    topic = Topic.objects.create(
        category=category,
        author=actor,
        author_name=actor.username,
        title=title,
        kind=kind,
        language=category.language,
        created_at=now,
        last_activity_at=now,
        last_poster_name=actor.username,
        highest_post_number=1,
        hot=hot_score(0, now),
    )
    post = Post.objects.create(
        topic=topic,
        number=1,
        author=actor,
        author_name=actor.username,
        body=body,
        body_html=rendered.html,
        created_at=now,
        is_official=official,
    )
    Category.objects.filter(pk=category.pk).update(
        topic_count=F("topic_count") + 1, post_count=F("post_count") + 1
    )
    if tag_slugs:
        tag_objects = [
            Tag.objects.get_or_create(slug=slug, defaults={"name": slug})[0] for slug in tag_slugs
        ]
        topic.tags.add(*tag_objects)
        Tag.objects.filter(pk__in=[tag.pk for tag in tag_objects]).update(
            topic_count=F("topic_count") + 1
        )
    _search_vector_update(post.pk, title=title, language=topic.language)
    user_stats_add(user_id=actor.pk, topics_created=1, posts_created=1)
    TopicSubscription.objects.create(user=actor, topic=topic, level=NotificationLevel.WATCHING)

    post.topic = topic
    _announce_submitted(post=post, actor=actor, is_edit=False)
    topic.refresh_from_db()
    if post.state == ContentState.VISIBLE:
        Category.objects.filter(pk=category.pk).update(last_activity_at=now)

    events.topic_created.send(
        sender=Topic,
        topic_id=topic.pk,
        actor_id=actor.pk,
        category_id=category.pk,
        post_id=post.pk,
        kind=kind,
        state=topic.state,
    )
    events.post_created.send(
        sender=Post,
        post_id=post.pk,
        topic_id=topic.pk,
        actor_id=actor.pk,
        reply_to_post_id=None,
        is_first=True,
        state=post.state,
    )
    _announce_mentions_and_quotes(post=post, actor=actor, rendered=rendered)
    return topic


# --- Topic moderation --------------------------------------------------------------------------


def _topic_status_set(*, actor: User, topic: Topic, change: str, **fields: bool) -> Topic:
    topic = _lock_topic(topic)
    if not permissions.can_moderate_topic(actor, topic):
        raise PermissionDenied(_("Only moderators of this category may do this."))
    if all(getattr(topic, name) == value for name, value in fields.items()):
        return topic
    Topic.objects.filter(pk=topic.pk).update(**fields)
    for name, value in fields.items():
        setattr(topic, name, value)
    events.topic_status_changed.send(
        sender=Topic, topic_id=topic.pk, actor_id=actor.pk, change=change
    )
    return topic


@transaction.atomic
def topic_lock(*, actor: User, topic: Topic) -> Topic:
    """Freeze a topic: no replies, no edits by authors."""
    return _topic_status_set(actor=actor, topic=topic, change="locked", locked=True)


@transaction.atomic
def topic_unlock(*, actor: User, topic: Topic) -> Topic:
    return _topic_status_set(actor=actor, topic=topic, change="unlocked", locked=False)


@transaction.atomic
def topic_close(*, actor: User, topic: Topic) -> Topic:
    """Stop new replies (authors may still edit their posts)."""
    return _topic_status_set(actor=actor, topic=topic, change="closed", closed=True)


@transaction.atomic
def topic_reopen(*, actor: User, topic: Topic) -> Topic:
    return _topic_status_set(actor=actor, topic=topic, change="reopened", closed=False)


@transaction.atomic
def topic_pin(*, actor: User, topic: Topic, globally: bool = False) -> Topic:
    """Pin at the top of its category's list, or (global moderators) of every list."""
    if globally:
        if not permissions.can_pin_globally(actor, topic):
            raise PermissionDenied(_("Only global moderators may pin a topic everywhere."))
        return _topic_status_set(
            actor=actor, topic=topic, change="pinned_globally", pinned_globally=True
        )
    return _topic_status_set(actor=actor, topic=topic, change="pinned", pinned=True)


@transaction.atomic
def topic_unpin(*, actor: User, topic: Topic) -> Topic:
    topic = Topic.objects.select_related("category").get(pk=topic.pk)
    if topic.pinned_globally and not permissions.can_pin_globally(actor, topic):
        raise PermissionDenied(_("Only global moderators may unpin a topic pinned everywhere."))
    return _topic_status_set(
        actor=actor, topic=topic, change="unpinned", pinned=False, pinned_globally=False
    )


@transaction.atomic
def topic_move(*, actor: User, topic: Topic, category: Category) -> Topic:
    """Move a topic to another category (moderators of both); counters follow it."""
    topic = _lock_topic(topic)
    if not permissions.can_move_topic(actor, topic, category):
        raise PermissionDenied(_("You must moderate both categories to move this topic."))
    if topic.category_id == category.pk:
        return topic
    old_category_id = topic.category_id
    if topic.state == ContentState.VISIBLE:
        posts = topic.reply_count + 1
        moved_activity = Value(topic.last_activity_at)
        changes = {
            old_category_id: {
                "topic_count": _add("topic_count", -1),
                "post_count": _add("post_count", -posts),
            },
            category.pk: {
                "topic_count": F("topic_count") + 1,
                "post_count": F("post_count") + posts,
                "last_activity_at": Greatest(
                    Coalesce(F("last_activity_at"), moved_activity), moved_activity
                ),
            },
        }
        # Category rows in id order: two moves in opposite directions must not deadlock.
        for category_id in sorted(changes):
            Category.objects.filter(pk=category_id).update(**changes[category_id])
    now = timezone.now()
    Topic.objects.filter(pk=topic.pk).update(
        category=category, moved_at=now, moved_by_name=actor.username
    )
    topic.category = category
    topic.moved_at = now
    topic.moved_by_name = actor.username
    events.topic_moved.send(
        sender=Topic,
        topic_id=topic.pk,
        actor_id=actor.pk,
        from_category_id=old_category_id,
        to_category_id=category.pk,
    )
    return topic


@transaction.atomic
def topic_subscribe(*, actor: User, topic: Topic, level: int) -> TopicSubscription:
    """Set how closely ``actor`` follows ``topic`` (creates or updates the subscription)."""
    if not permissions.can_subscribe_topic(actor, topic):
        raise PermissionDenied(_("Sign in to follow this topic."))
    subscription, _created = TopicSubscription.objects.update_or_create(
        user=actor, topic=topic, defaults={"level": _level(level)}
    )
    return subscription


_UNKNOWN = object()
_READ_RETRIES = 3


def topic_read(*, actor: AnyUser, topic: Topic, last_number: int) -> int | None:
    """Record that ``actor`` read ``topic`` up to post ``last_number``; return the reader's
    position afterwards (None: anonymous, or never read anything).

    The position only moves forward (a reader scrolling back changes nothing) and is capped at
    the topic's highest post number. The first read counts a topic entered; every advance adds
    the newly read posts to ``posts_read`` (trust-level figures), exactly once each even when
    two requests of the same member race.

    This runs on every topic page a member opens, so it is kept to two or three statements
    and no savepoint: pass the topic from ``selectors.topic_get_for_user``, whose
    ``last_read_number`` annotation spares the first read of the position (a stale value is
    only a hint: the writes below check it). How:

    * never read: ``INSERT … ON CONFLICT DO NOTHING`` then the statistics, counted only if
      the row holding this call's timestamp exists — the insert holds that row locked until
      commit, so a concurrent reader either waits or finds it and counts nothing;
    * read before: compare-and-set, ``UPDATE … WHERE last_read_number = <old>``, then the
      statistics by the difference; an update that finds the position moved re-reads it and
      tries again (rare).
    """
    if not _active(actor):
        return None
    if not permissions.can_view_topic(actor, topic):
        raise PermissionDenied(_("You may not read this topic."))
    try:
        last_number = int(last_number)
    except (TypeError, ValueError):
        raise ValidationError({"last_number": _("Not a post number.")}) from None
    last_number = min(last_number, topic.highest_post_number)
    known = getattr(topic, "last_read_number", _UNKNOWN)
    positions = ReadPosition.objects.filter(user=actor, topic=topic)
    if last_number <= 0:
        if known is _UNKNOWN:
            return positions.values_list("last_read_number", flat=True).first()
        return known
    # No savepoint: nothing below raises for a member's input (it was all checked above), and
    # in a request this is the outermost block, a transaction of its own.
    with transaction.atomic(savepoint=False):
        if known is _UNKNOWN:
            known = positions.values_list("last_read_number", flat=True).first()
        for _attempt in range(_READ_RETRIES):
            if known is None:
                known = _read_position_insert(actor=actor, topic=topic, number=last_number)
                if known is None:
                    return last_number
            if last_number <= known:
                return known
            moved = positions.filter(last_read_number=known).update(
                last_read_number=last_number, updated_at=timezone.now()
            )
            if moved:
                user_stats_add(user_id=actor.pk, posts_read=last_number - known)
                return last_number
            known = positions.values_list("last_read_number", flat=True).first()
        # Still racing after a few tries: move forward all the same; statistics may miss it.
        positions.filter(last_read_number__lt=last_number).update(
            last_read_number=last_number, updated_at=timezone.now()
        )
        return last_number


def _read_position_insert(*, actor: User, topic: Topic, number: int) -> int | None:
    """The first read: insert the position at ``number`` and count the topic entered. Return
    None when this call inserted it, else the position another request had stored."""
    position = ReadPosition(user=actor, topic=topic, last_read_number=number)
    ReadPosition.objects.bulk_create([position], ignore_conflicts=True)
    # bulk_create set updated_at (auto_now) on `position`: the row is ours if it holds it.
    ours = ReadPosition.objects.filter(
        user=actor, topic=topic, last_read_number=number, updated_at=position.updated_at
    )
    counted = (
        UserStats.objects.filter(user_id=actor.pk)
        .filter(Exists(ours))
        .update(topics_entered=F("topics_entered") + 1, posts_read=F("posts_read") + number)
    )
    if counted:
        return None
    if ours.exists():  # ours, but the member has no statistics row yet
        user_stats_add(user_id=actor.pk, topics_entered=1, posts_read=number)
        return None
    return (
        ReadPosition.objects.filter(user=actor, topic=topic)
        .values_list("last_read_number", flat=True)
        .first()
    )
