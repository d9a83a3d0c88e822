"""Receivers of the domain events of community and moderation, connected in
``NotificationsConfig.ready()``.

They run inside the sender's transaction, so each one only writes an ``Outbox`` row (the
transactional outbox, see ``notifications.services``) — the row commits or rolls back with the
post — and lets ``on_commit`` publish its processing. They never raise for a failure of ours:
a receiver that raised would roll back the member's post. A programming error is logged with
its traceback and the business write goes on without the notification.
"""

from __future__ import annotations

import functools
import logging

from django.db import transaction

from community import events as community_events
from community.models import ContentState, Post

logger = logging.getLogger(__name__)

MODERATED_STATES = {ContentState.HIDDEN, ContentState.REMOVED}


def _never_raise(receiver):
    """Keep a notification bug from rolling back the member's post: log it, carry on."""

    @functools.wraps(receiver)
    def wrapper(*args, **kwargs):
        try:
            receiver(*args, **kwargs)
        except Exception:
            logger.exception(
                "notifications: %s failed; the event is not notified", receiver.__name__
            )

    return wrapper


def _record(event: str, key: str, payload: dict) -> None:
    from notifications import services

    # A savepoint: should the insert fail, only it is undone and the sender's transaction
    # stays usable (on PostgreSQL a failed statement poisons the whole transaction).
    with transaction.atomic():
        services.outbox_record(event=event, key=key, payload=payload)


def _merge(post_id: int, field_name: str, values) -> bool:
    from notifications import services

    with transaction.atomic():
        return services.outbox_merge_post_event(
            post_id=post_id, field_name=field_name, values=values
        )


@_never_raise
def on_post_created(sender, *, post_id, state, **kwargs) -> None:
    if state != ContentState.VISIBLE:
        return  # held for review: announced when approved (post_state_changed)
    _record("post_published", f"post:{post_id}", {"post_id": post_id})


@_never_raise
def on_members_mentioned(sender, *, post_id, user_ids, **kwargs) -> None:
    if _merge(post_id, "mentioned_ids", user_ids):
        return
    if _post_state(post_id) != ContentState.VISIBLE:
        return
    # A mention added by an edit of a visible post.
    _record(
        "post_published",
        f"post:{post_id}",
        {"post_id": post_id, "mentioned_ids": sorted(user_ids), "edit": True},
    )


@_never_raise
def on_post_quoted(sender, *, post_id, quoted_post_ids, **kwargs) -> None:
    if _merge(post_id, "quoted_post_ids", quoted_post_ids):
        return
    if _post_state(post_id) != ContentState.VISIBLE:
        return
    _record(
        "post_published",
        f"post:{post_id}",
        {"post_id": post_id, "quoted_post_ids": sorted(quoted_post_ids), "edit": True},
    )


def _post_state(post_id: int) -> str | None:
    return Post.objects.filter(pk=post_id).values_list("state", flat=True).first()


@_never_raise
def on_post_state_changed(
    sender, *, post_id, actor_id, old_state, new_state, reason="", **kwargs
) -> None:
    if old_state == ContentState.HELD and new_state == ContentState.VISIBLE:
        _record("post_published", f"post:{post_id}", {"post_id": post_id, "approved": True})
        return
    author_id = Post.objects.filter(pk=post_id).values_list("author_id", flat=True).first()
    if not author_id or author_id == actor_id:
        return  # the author's own deletion or edit: nothing to tell them
    restored = old_state in MODERATED_STATES and new_state == ContentState.VISIBLE
    if new_state in MODERATED_STATES or restored:
        _record(
            "post_moderated",
            f"post:{post_id}",
            {
                "post_id": post_id,
                "actor_id": actor_id,
                "old_state": old_state,
                "new_state": new_state,
                "reason": reason or "",
                # A system reason is shown later in the reader's language (community.reasons).
                "reason_code": kwargs.get("reason_code") or "",
                "reason_params": kwargs.get("reason_params") or {},
            },
        )


@_never_raise
def on_vote_changed(sender, *, post_id, actor_id, old_value, new_value, author_id, **kwargs):
    from notifications.services import UPVOTE_MILESTONES

    if new_value != 1 or old_value == 1 or not author_id or author_id == actor_id:
        return
    # Only a vote that makes the count reach a milestone writes anything: under the post row
    # lock of vote_cast, exactly one vote sees each count. Batched by design: 1, 10, 100.
    upvotes = Post.objects.filter(pk=post_id).values_list("upvotes", flat=True).first()
    if upvotes in UPVOTE_MILESTONES:
        _record(
            "upvote_milestone",
            f"post:{post_id}",
            {"post_id": post_id, "milestone": upvotes, "actor_id": actor_id},
        )


@_never_raise
def on_answer_accepted(sender, *, topic_id, post_id, actor_id, author_id, **kwargs) -> None:
    if not author_id or author_id == actor_id:
        return
    _record(
        "answer_accepted",
        f"post:{post_id}",
        {"topic_id": topic_id, "post_id": post_id, "actor_id": actor_id, "author_id": author_id},
    )


@_never_raise
def on_idea_status_changed(
    sender, *, idea_id, new_status, old_status="", actor_id=None, response="", **kwargs
) -> None:
    _record(
        "idea_status_changed",
        f"topic:{idea_id}",
        {
            "topic_id": idea_id,
            "actor_id": actor_id,
            "status": str(new_status),
            "old_status": str(old_status or ""),
            "response": (response or "")[:1000],
        },
    )


@_never_raise
def on_idea_merged(sender, *, source_id, target_id, actor_id=None, **kwargs) -> None:
    _record(
        "idea_merged",
        f"topic:{source_id}",
        {"source_id": source_id, "target_id": target_id, "actor_id": actor_id},
    )


@_never_raise
def on_challenge_phase_opened(sender, *, challenge_id, phase, **kwargs) -> None:
    _record(
        "challenge_phase_opened",
        f"challenge:{challenge_id}",
        {"challenge_id": challenge_id, "phase": str(phase)},
    )


def connect() -> None:
    """Connect every receiver (called once from AppConfig.ready)."""
    uid = "notifications"
    community_events.post_created.connect(on_post_created, dispatch_uid=f"{uid}.post_created")
    community_events.members_mentioned.connect(
        on_members_mentioned, dispatch_uid=f"{uid}.members_mentioned"
    )
    community_events.post_quoted.connect(on_post_quoted, dispatch_uid=f"{uid}.post_quoted")
    community_events.post_state_changed.connect(
        on_post_state_changed, dispatch_uid=f"{uid}.post_state_changed"
    )
    community_events.vote_changed.connect(on_vote_changed, dispatch_uid=f"{uid}.vote_changed")
    community_events.answer_accepted.connect(
        on_answer_accepted, dispatch_uid=f"{uid}.answer_accepted"
    )
    try:
        from ideas import events as idea_events
    except ImportError:  # the ideas app is not installed
        idea_events = None
    if idea_events is not None:
        idea_events.idea_status_changed.connect(
            on_idea_status_changed, dispatch_uid=f"{uid}.idea_status_changed"
        )
        idea_events.idea_merged.connect(on_idea_merged, dispatch_uid=f"{uid}.idea_merged")
        idea_events.challenge_phase_opened.connect(
            on_challenge_phase_opened, dispatch_uid=f"{uid}.challenge_phase_opened"
        )
    from notifications import moderation_handlers

    moderation_handlers.connect()
