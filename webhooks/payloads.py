"""The ``data`` of each webhook event: ids and public facts, read from the database.

Payloads are snapshots taken when the event happens (inside the sender's transaction), not
rebuilt when a delivery is attempted. Why: a webhook says what happened at that moment; a
retry fifteen hours later, or a redelivery next week, must send the same body (receivers
deduplicate on the event id and may compare bodies), and the facts must still be there when
the topic has since been edited, moved or deleted. Snapshotting once per event also makes the
cost independent of the number of endpoints and attempts.

Only what the public site shows goes out: usernames and display names, never e-mail
addresses; content that is held, hidden or removed is announced only by the moderation events,
which carry ids, reasons and states but no text of the content and no flagger's identity or
note (a flagger is never revealed, not even to the brand's tools).

Every builder returns None when there is nothing public to say (the row is gone).
"""

from __future__ import annotations

from typing import Any

from django.urls import NoReverseMatch, reverse

from community.models import ContentState, Post, Topic


def absolute(path: str) -> str:
    from notifications.conf import site_url

    return f"{site_url()}{path}"


def _iso(value) -> str | None:
    return value.isoformat() if value else None


def _person(user_id: int | None, username: str, display_name: str = "") -> dict[str, Any] | None:
    if not username:
        return None
    try:
        url = absolute(reverse("accounts:profile", kwargs={"username": username}))
    except NoReverseMatch:
        url = None
    return {
        "id": user_id,
        "username": username,
        "display_name": display_name or username,
        "url": url,
    }


def _author(post: Post) -> dict[str, Any] | None:
    user = post.author
    if user is None:
        return _person(None, post.author_name)
    return _person(user.pk, user.username, user.display_name)


def _category(topic: Topic) -> dict[str, Any]:
    category = topic.category
    return {
        "id": category.pk,
        "slug": category.slug,
        "name": category.name,
        "url": absolute(category.get_absolute_url()),
    }


def _topic_facts(topic: Topic) -> dict[str, Any]:
    return {
        "id": topic.pk,
        "title": topic.title,
        "kind": topic.kind,
        "url": absolute(topic.get_absolute_url()),
        "category": _category(topic),
        "tags": sorted(tag.name for tag in topic.tags.all()),
        "created_at": _iso(topic.created_at),
    }


def _post_facts(post: Post) -> dict[str, Any]:
    return {
        "id": post.pk,
        "number": post.number,
        "url": absolute(post.get_absolute_url()),
        "author": _author(post),
        "body": post.body,  # Markdown source, as the author wrote it
        "reply_to_post_id": post.reply_to_id,
        "is_official": post.is_official,
        "created_at": _iso(post.created_at),
    }


def _first_post(topic_id: int) -> Post | None:
    return (
        Post.objects.select_related("author", "topic", "topic__category")
        .prefetch_related("topic__tags")
        .filter(topic_id=topic_id, number=1)
        .first()
    )


def topic_created(*, topic_id: int) -> dict[str, Any] | None:
    post = _first_post(topic_id)
    if post is None:
        return None
    return {"topic": {**_topic_facts(post.topic), "post": _post_facts(post)}}


def post_created(*, post_id: int) -> dict[str, Any] | None:
    post = (
        Post.objects.select_related("author", "topic", "topic__category")
        .prefetch_related("topic__tags")
        .filter(pk=post_id)
        .first()
    )
    if post is None:
        return None
    return {"post": _post_facts(post), "topic": _topic_facts(post.topic)}


def _idea_facts(idea) -> dict[str, Any]:
    return {
        "status": idea.status,
        "vote_count": idea.vote_count,
        "url": absolute(idea.get_absolute_url()),
    }


def idea_created(*, topic_id: int) -> dict[str, Any] | None:
    from ideas.models import Idea

    post = _first_post(topic_id)
    if post is None:
        return None
    idea = Idea.objects.filter(topic_id=topic_id).first()
    facts = _topic_facts(post.topic)
    facts.update(_idea_facts(idea) if idea is not None else {})
    return {"idea": {**facts, "post": _post_facts(post)}}


def idea_status_changed(
    *, idea_id: int, old_status: str, new_status: str, response: str, actor_id: int | None
) -> dict[str, Any] | None:
    from accounts.models import User
    from ideas.models import Idea

    idea = (
        Idea.objects.select_related("topic", "topic__category")
        .prefetch_related("topic__tags")
        .filter(pk=idea_id)
        .first()
    )
    if idea is None:
        return None
    actor = User.objects.filter(pk=actor_id).first() if actor_id else None
    return {
        "idea": {**_topic_facts(idea.topic), **_idea_facts(idea)},
        "old_status": str(old_status or ""),
        "new_status": str(new_status),
        # The official response is shown at the top of the idea: public.
        "response": response or "",
        "changed_by": _person(actor.pk, actor.username, actor.display_name) if actor else None,
    }


def _target(*, post_id: int | None, topic_id: int | None, member_id: int | None) -> dict[str, Any]:
    """What a moderation event is about: ids, plus links where the content is public."""
    from accounts.models import User

    if member_id and not post_id:
        user = User.objects.filter(pk=member_id).first()
        return {
            "type": "member",
            "member": _person(user.pk, user.username, user.display_name) if user else None,
        }
    post = Post.objects.select_related("topic").filter(pk=post_id).first() if post_id else None
    if post is None:
        return {"type": "topic" if topic_id else "unknown", "topic_id": topic_id, "post_id": None}
    visible = post.state == ContentState.VISIBLE and post.topic.state == ContentState.VISIBLE
    return {
        "type": "topic" if post.number == 1 else "post",
        "post_id": post.pk,
        "topic_id": post.topic_id,
        "topic_title": post.topic.title if post.topic.state == ContentState.VISIBLE else None,
        "post_state": post.state,
        "url": absolute(post.get_absolute_url()) if visible else None,
    }


def content_flagged(
    *,
    flag_id: int,
    item_id: int | None,
    post_id: int | None,
    topic_id: int | None,
    member_id: int | None,
    reason: str,
    score: float | None,
    hidden: bool,
    routed_to: str,
) -> dict[str, Any]:
    # Deliberately absent: the flagger and their note (flaggers are never revealed).
    return {
        "flag": {"id": flag_id, "reason": str(reason)},
        "review_item_id": item_id,
        "target": _target(post_id=post_id, topic_id=topic_id, member_id=member_id),
        "score": score,
        "hidden": bool(hidden),
        "routed_to": routed_to,
    }


def decision_made(
    *,
    item_id: int,
    action: str,
    actor_role: str | None,
    post_id: int | None,
    topic_id: int | None,
    member_id: int | None,
    reason: str,
    rule_number: int | None,
    flag_outcome: str | None,
    appeal_status: str | None,
    old_state: str | None,
    new_state: str | None,
) -> dict[str, Any]:
    # The moderator is named by role only, as the public moderation log does.
    return {
        "review_item_id": item_id,
        "action": str(action),
        "actor_role": actor_role,
        "reason": reason or "",
        "rule_number": rule_number,
        "flag_outcome": flag_outcome,
        "appeal_status": appeal_status,
        "old_state": old_state,
        "new_state": new_state,
        "target": _target(post_id=post_id, topic_id=topic_id, member_id=member_id),
    }


def ping(*, endpoint_id: int, events: list[str]) -> dict[str, Any]:
    return {"endpoint_id": endpoint_id, "events": list(events), "zen": "Keep it kind."}
