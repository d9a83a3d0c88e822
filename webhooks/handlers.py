"""Receivers of the domain events webhooks send out, connected in ``WebhooksConfig.ready()``.

They run inside the sender's transaction. Each first asks whether any active endpoint wants
the event (a cached set: a community without webhooks pays nothing for posting), then takes
the payload's snapshot and records one delivery per endpoint through
``webhooks.services.event_record``, which publishes them after commit. They never raise: a
webhook bug must not roll back a member's post (it is logged instead).

Which domain event becomes which webhook event
    ``community.topic_created`` (visible) → ``topic.created``, and ``idea.created`` when the
    topic is an idea (ideas are community topics of kind "idea", however they were started).
    ``community.post_created`` (visible, not the first post) → ``post.created``.
    ``community.post_state_changed`` held → visible: the content was approved, and only now
    becomes public: ``topic.created`` (+ ``idea.created``) for a first post, ``post.created``
    for a reply. Held content is never announced before that.
    ``ideas.idea_status_changed`` → ``idea.status_changed`` (ideas whose topic is visible).
    ``moderation.content_flagged`` → ``content.flagged``.
    ``moderation.decision_made`` → ``decision.made``.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from django.db import transaction

from community import events as community_events
from community.models import ContentState, Post, TopicKind

logger = logging.getLogger(__name__)


def _never_raise(receiver: Callable) -> Callable:
    @functools.wraps(receiver)
    def wrapper(*args, **kwargs):
        try:
            # A savepoint: a failed statement must not poison the member's transaction (on
            # PostgreSQL every later query of the request would fail).
            with transaction.atomic():
                receiver(*args, **kwargs)
        except Exception:
            logger.exception("webhooks: %s failed; the event is not sent", receiver.__name__)

    return wrapper


def _wanted(*events: str) -> set[str]:
    from webhooks.selectors import subscribed_events

    return set(events) & subscribed_events()


def _record(event: str, build: Callable[[], dict[str, Any] | None]) -> None:
    """Build the payload and record the deliveries in a savepoint: should either fail, only
    they are undone and the member's transaction stays usable (on PostgreSQL a failed
    statement would poison it)."""
    from webhooks.services import event_record

    try:
        with transaction.atomic():
            data = build()
            if data is not None:
                event_record(event=event, data=data)
    except Exception:
        logger.exception("webhooks: could not record %s; the event is not sent", event)


def _topic_published(topic_id: int, kind: str) -> None:
    from webhooks import payloads
    from webhooks.models import WebhookEvent

    wanted = _wanted(WebhookEvent.TOPIC_CREATED, WebhookEvent.IDEA_CREATED)
    if WebhookEvent.TOPIC_CREATED in wanted:
        _record(WebhookEvent.TOPIC_CREATED, lambda: payloads.topic_created(topic_id=topic_id))
    if kind == TopicKind.IDEA and WebhookEvent.IDEA_CREATED in wanted:
        _record(WebhookEvent.IDEA_CREATED, lambda: payloads.idea_created(topic_id=topic_id))


def _reply_published(post_id: int) -> None:
    from webhooks import payloads
    from webhooks.models import WebhookEvent

    if _wanted(WebhookEvent.POST_CREATED):
        _record(WebhookEvent.POST_CREATED, lambda: payloads.post_created(post_id=post_id))


@_never_raise
def on_topic_created(sender, *, topic_id, kind, state, **kwargs) -> None:
    if state != ContentState.VISIBLE:
        return  # held for review: announced when approved (post_state_changed)
    _topic_published(topic_id, kind)


@_never_raise
def on_post_created(sender, *, post_id, is_first, state, **kwargs) -> None:
    if is_first or state != ContentState.VISIBLE:
        return  # a first post travels with topic.created; held posts wait for approval
    _reply_published(post_id)


@_never_raise
def on_post_state_changed(sender, *, post_id, old_state, new_state, **kwargs) -> None:
    if not (old_state == ContentState.HELD and new_state == ContentState.VISIBLE):
        return
    from webhooks.models import WebhookEvent

    if not _wanted(*WebhookEvent.values):
        return
    post = Post.objects.select_related("topic").filter(pk=post_id).first()
    if post is None:
        return
    if post.number == 1:
        _topic_published(post.topic_id, post.topic.kind)
    else:
        _reply_published(post.pk)


@_never_raise
def on_idea_status_changed(
    sender, *, idea_id, old_status="", new_status, response="", actor_id=None, **kwargs
) -> None:
    from community.models import Topic
    from webhooks import payloads
    from webhooks.models import WebhookEvent

    if not _wanted(WebhookEvent.IDEA_STATUS_CHANGED):
        return
    if not Topic.objects.filter(pk=idea_id, state=ContentState.VISIBLE).exists():
        return  # an idea nobody can see changes status in silence
    _record(
        WebhookEvent.IDEA_STATUS_CHANGED,
        lambda: payloads.idea_status_changed(
            idea_id=idea_id,
            old_status=old_status,
            new_status=new_status,
            response=response,
            actor_id=actor_id,
        ),
    )


@_never_raise
def on_content_flagged(
    sender,
    *,
    flag_id,
    item_id=None,
    post_id=None,
    topic_id=None,
    member_id=None,
    reason="",
    score=None,
    hidden=False,
    routed_to="moderators",
    **kwargs,
) -> None:
    from webhooks import payloads
    from webhooks.models import WebhookEvent

    if not _wanted(WebhookEvent.CONTENT_FLAGGED):
        return
    _record(
        WebhookEvent.CONTENT_FLAGGED,
        lambda: payloads.content_flagged(
            flag_id=flag_id,
            item_id=item_id,
            post_id=post_id,
            topic_id=topic_id,
            member_id=member_id,
            reason=reason,
            score=score,
            hidden=hidden,
            routed_to=routed_to,
        ),
    )


@_never_raise
def on_decision_made(
    sender,
    *,
    item_id,
    action,
    actor_role=None,
    post_id=None,
    topic_id=None,
    member_id=None,
    reason="",
    rule_number=None,
    flag_outcome=None,
    appeal_status=None,
    old_state=None,
    new_state=None,
    **kwargs,
) -> None:
    from webhooks import payloads
    from webhooks.models import WebhookEvent

    if not _wanted(WebhookEvent.DECISION_MADE):
        return
    _record(
        WebhookEvent.DECISION_MADE,
        lambda: payloads.decision_made(
            item_id=item_id,
            action=action,
            actor_role=actor_role,
            post_id=post_id,
            topic_id=topic_id,
            member_id=member_id,
            reason=reason,
            rule_number=rule_number,
            flag_outcome=flag_outcome,
            appeal_status=appeal_status,
            old_state=old_state,
            new_state=new_state,
        ),
    )


def connect() -> None:
    """Connect every receiver (called once from AppConfig.ready)."""
    from ideas import events as idea_events
    from moderation import events as moderation_events

    uid = "webhooks"
    community_events.topic_created.connect(on_topic_created, dispatch_uid=f"{uid}.topic_created")
    community_events.post_created.connect(on_post_created, dispatch_uid=f"{uid}.post_created")
    community_events.post_state_changed.connect(
        on_post_state_changed, dispatch_uid=f"{uid}.post_state_changed"
    )
    idea_events.idea_status_changed.connect(
        on_idea_status_changed, dispatch_uid=f"{uid}.idea_status_changed"
    )
    moderation_events.content_flagged.connect(
        on_content_flagged, dispatch_uid=f"{uid}.content_flagged"
    )
    moderation_events.decision_made.connect(on_decision_made, dispatch_uid=f"{uid}.decision_made")
