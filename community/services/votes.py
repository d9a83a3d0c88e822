"""Votes and accepted answers."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from accounts.models import User
from accounts.services import user_stats_add
from community import events, permissions
from community.models import (
    ContentState,
    Post,
    Topic,
    Vote,
)
from community.ranking import hot_score, wilson_lower_bound
from community.services._base import (
    _active,
    _add,
    _daily_limit_check,
    _lock_post,
    _lock_topic,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    AnyUser = User | AnonymousUser | None


# --- Votes and answers -------------------------------------------------------------------------


def _vote_refusal(actor: AnyUser, post: Post, value: int) -> str | None:
    # Withdrawing a vote stays possible under a member restriction (a silence, say).
    allowed = permissions.can_withdraw_vote if value == 0 else permissions.can_vote
    if allowed(actor, post):
        return None
    if not _active(actor):
        return _("Sign in to vote.")
    if post.author_id == actor.pk:
        return _("You cannot vote on your own post.")
    if post.state != ContentState.VISIBLE or post.topic.state != ContentState.VISIBLE:
        return _("This post cannot receive votes.")
    restriction = permissions.member_restriction_reason(actor, "vote")
    if restriction:
        return restriction
    return _("Your trust level does not allow voting yet.")


def _reputation_for(value: int) -> int:
    return {1: settings.REPUTATION["upvote"], -1: settings.REPUTATION["downvote"]}.get(value, 0)


@transaction.atomic
def vote_cast(*, actor: User, post: Post, value: int) -> Post:
    """Vote +1 or -1 on a post, or withdraw one's vote with 0. Return the post with fresh
    ``score``/``upvotes``/``downvotes``/``wilson`` and ``my_vote`` set.

    One vote per member and post; voting the same value again changes nothing. A member
    restriction (``community.permissions.register_member_restriction``) refuses votes but
    not their withdrawal. The post row
    is locked for the duration, so concurrent votes are applied one after the other and the
    score is exact. The author's reputation and like statistics follow the change."""
    if isinstance(value, bool) or value not in (1, -1, 0):
        raise ValidationError({"value": _("A vote is +1, -1 or 0 (withdraw).")})
    post = _lock_post(post)
    refusal = _vote_refusal(actor, post, value)
    if refusal is not None:
        raise PermissionDenied(refusal)
    vote = Vote.objects.filter(post=post, user=actor).first()
    old = vote.value if vote is not None else 0
    if old == value:
        post.my_vote = value
        return post
    if vote is None:
        _daily_limit_check(actor, "votes")
        Vote.objects.create(post=post, user=actor, value=value)
    elif value == 0:
        vote.delete()
    else:
        Vote.objects.filter(pk=vote.pk).update(value=value)

    up_delta = int(value == 1) - int(old == 1)
    down_delta = int(value == -1) - int(old == -1)
    # Under the row lock the values read above are current, so the Wilson bound computed from
    # them matches the counters the F() update produces.
    post.upvotes = max(post.upvotes + up_delta, 0)
    post.downvotes = max(post.downvotes + down_delta, 0)
    post.score += value - old
    post.wilson = wilson_lower_bound(post.upvotes, post.downvotes)
    Post.objects.filter(pk=post.pk).update(
        upvotes=_add("upvotes", up_delta),
        downvotes=_add("downvotes", down_delta),
        score=F("score") + (value - old),
        wilson=post.wilson,
    )
    if post.number == 1:
        topic = post.topic
        topic.score = post.score
        topic.hot = hot_score(post.score, topic.created_at)
        Topic.objects.filter(pk=topic.pk).update(score=topic.score, hot=topic.hot)
    reputation = _reputation_for(value) - _reputation_for(old)
    if post.author_id and reputation:
        User.objects.filter(pk=post.author_id).update(reputation=F("reputation") + reputation)
    if up_delta:
        # Statistics rows in user-id order: two members voting on each other's posts at the
        # same moment must not lock the two rows in opposite orders.
        changes = {actor.pk: {"likes_given": up_delta}}
        if post.author_id:
            changes.setdefault(post.author_id, {})["likes_received"] = up_delta
        for user_id in sorted(changes):
            user_stats_add(user_id=user_id, **changes[user_id])
    events.vote_changed.send(
        sender=Post,
        post_id=post.pk,
        actor_id=actor.pk,
        old_value=old,
        new_value=value,
        new_score=post.score,
        author_id=post.author_id,
    )
    post.my_vote = value
    return post


def _accepted_reputation(*, topic: Topic, post_id: int, sign: int) -> int | None:
    """Give (or take back) the accepted-answer reputation; nothing for answering oneself."""
    author_id = Post.objects.filter(pk=post_id).values_list("author_id", flat=True).first()
    if author_id and author_id != topic.author_id:
        User.objects.filter(pk=author_id).update(
            reputation=F("reputation") + sign * settings.REPUTATION["accepted_answer"]
        )
    return author_id


@transaction.atomic
def answer_accept(*, actor: User, topic: Topic, post: Post) -> Topic:
    """Mark ``post`` as the accepted answer of a question (replacing any previous one)."""
    topic = _lock_topic(topic)
    if not permissions.can_accept_answer(actor, topic):
        raise PermissionDenied(_("Only the person who asked, or staff, may accept an answer."))
    if post.topic_id != topic.pk or post.number == 1 or post.state != ContentState.VISIBLE:
        raise ValidationError({"post": _("Choose a visible reply of this question.")})
    if topic.accepted_answer_id == post.pk:
        return topic
    if topic.accepted_answer_id is not None:
        old_id = topic.accepted_answer_id
        old_author = _accepted_reputation(topic=topic, post_id=old_id, sign=-1)
        events.answer_unaccepted.send(
            sender=Topic, topic_id=topic.pk, post_id=old_id, actor_id=actor.pk, author_id=old_author
        )
    Topic.objects.filter(pk=topic.pk).update(accepted_answer=post)
    author_id = _accepted_reputation(topic=topic, post_id=post.pk, sign=1)
    topic.accepted_answer = post
    events.answer_accepted.send(
        sender=Topic, topic_id=topic.pk, post_id=post.pk, actor_id=actor.pk, author_id=author_id
    )
    return topic


@transaction.atomic
def answer_unaccept(*, actor: User, topic: Topic) -> Topic:
    """Withdraw the accepted answer of a question, if any."""
    topic = _lock_topic(topic)
    if not permissions.can_accept_answer(actor, topic):
        raise PermissionDenied(_("Only the person who asked, or staff, may accept an answer."))
    if topic.accepted_answer_id is None:
        return topic
    old_id = topic.accepted_answer_id
    author_id = _accepted_reputation(topic=topic, post_id=old_id, sign=-1)
    Topic.objects.filter(pk=topic.pk).update(accepted_answer=None)
    topic.accepted_answer = None
    events.answer_unaccepted.send(
        sender=Topic, topic_id=topic.pk, post_id=old_id, actor_id=actor.pk, author_id=author_id
    )
    return topic
