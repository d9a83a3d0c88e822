"""Posts: replies, edits and their states (hidden, held, removed, deleted)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from accounts import permissions as account_permissions
from accounts.models import User
from accounts.services import user_stats_add
from community import events, permissions, reasons
from community.models import (
    Category,
    ContentState,
    NotificationLevel,
    Post,
    PostRevision,
    Topic,
    TopicSubscription,
)
from community.reasons import SystemReason
from community.rendering import extract_mentions
from community.services._base import (
    _active,
    _actor_name,
    _add,
    _announce_mentions_and_quotes,
    _clean_text,
    _daily_limit_check,
    _lock_post,
    _lock_topic,
    _raise_if,
    _render,
    _search_vector_update,
    _topic_visibility_counters,
    _validate_body,
    _validate_title,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    AnyUser = User | AnonymousUser | None


_STATE_FIELDS = [
    "state",
    "state_changed_at",
    "state_changed_by",
    "state_changed_by_name",
    "state_reason",
    "state_reason_code",
    "state_reason_params",
]


def _announce_submitted(*, post: Post, actor: AnyUser, is_edit: bool) -> None:
    """The moderation hook, then the pre-moderated-category rule (see community.events)."""
    events.content_submitted.send(sender=Post, post=post, actor=actor, is_edit=is_edit)
    post.refresh_from_db(fields=_STATE_FIELDS)
    category = post.topic.category
    if (
        not is_edit
        and category.pre_moderated
        and post.state == ContentState.VISIBLE
        and actor.trust_level == 0
        and not account_permissions.is_staff_role(actor)
        and not permissions.can_moderate_category(actor, category)
    ):
        post_hold(actor=None, post=post, reason=SystemReason(reasons.PREMODERATED))
        post.refresh_from_db(fields=_STATE_FIELDS)


def _reply_refusal(actor: AnyUser, topic: Topic) -> str:
    if not _active(actor):
        return _("Sign in to reply.")
    restriction = permissions.member_restriction_reason(actor, "reply")
    if restriction:
        return restriction
    if topic.locked:
        return _("This topic is locked.")
    if topic.closed:
        return _("This topic is closed: it takes no new replies.")
    if topic.state != ContentState.VISIBLE:
        return _("This topic does not take replies.")
    return _("Your trust level is not yet high enough to reply in “%(category)s”.") % {
        "category": topic.category.name
    }


@transaction.atomic
def post_create(
    *,
    actor: User,
    topic: Topic,
    body: str,
    reply_to: Post | None = None,
    official: bool = False,
) -> Post:
    """Reply to ``topic`` and return the post (possibly held, see ``post.state``).

    Post numbers are allocated under the topic row lock, so concurrent replies get distinct
    consecutive numbers. The author tracks the topic unless they already follow it."""
    topic = _lock_topic(topic)
    if not permissions.can_reply(actor, topic):
        raise PermissionDenied(_reply_refusal(actor, topic))
    if official and not permissions.can_answer_officially(actor, topic):
        raise PermissionDenied(_("Only brand staff may post official answers."))
    errors: dict[str, str] = {}
    body = _validate_body(body, errors)
    if reply_to is not None:
        if reply_to.topic_id == topic.pk:
            reply_to.topic = topic  # the locked, fresh row
        if reply_to.topic_id != topic.pk or not permissions.can_view_post(actor, reply_to):
            errors["reply_to"] = _("You can only reply to a post of this topic.")
    rendered = _render(body, errors) if "body" not in errors else None
    _raise_if(errors)
    _daily_limit_check(actor, "posts")

    now = timezone.now()
    number = topic.highest_post_number + 1
    post = Post.objects.create(
        topic=topic,
        number=number,
        author=actor,
        author_name=actor.username,
        reply_to=reply_to,
        body=body,
        body_html=rendered.html,
        created_at=now,
        is_official=official,
    )
    Topic.objects.filter(pk=topic.pk).update(
        highest_post_number=F("highest_post_number") + 1, reply_count=F("reply_count") + 1
    )
    if topic.state == ContentState.VISIBLE:
        Category.objects.filter(pk=topic.category_id).update(post_count=F("post_count") + 1)
    _search_vector_update(post.pk, title=None, language=topic.language)
    user_stats_add(user_id=actor.pk, posts_created=1)
    TopicSubscription.objects.get_or_create(
        user=actor, topic=topic, defaults={"level": NotificationLevel.TRACKING}
    )

    post.topic = topic
    _announce_submitted(post=post, actor=actor, is_edit=False)
    if post.state == ContentState.VISIBLE:
        # Held posts do not bump the topic: nobody else can see them yet.
        Topic.objects.filter(pk=topic.pk).update(
            last_activity_at=now, last_poster_name=actor.username
        )
        Category.objects.filter(pk=topic.category_id).update(last_activity_at=now)

    events.post_created.send(
        sender=Post,
        post_id=post.pk,
        topic_id=topic.pk,
        actor_id=actor.pk,
        reply_to_post_id=reply_to.pk if reply_to is not None else None,
        is_first=False,
        state=post.state,
    )
    _announce_mentions_and_quotes(post=post, actor=actor, rendered=rendered)
    return post


@transaction.atomic
def post_edit(
    *, actor: User, post: Post, body: str, title: str | None = None, note: str = ""
) -> Post:
    """Change a post's text (and the topic's title, on the first post only).

    The previous text is kept as a PostRevision numbered ``edit_count + 1``. An edit that
    changes nothing stores nothing. ``content_submitted`` is announced again (``is_edit=True``)
    and ``post_edited`` tells whether the post was hidden, so moderation may review it."""
    post = _lock_post(post)
    topic = post.topic
    if not permissions.can_edit_post(actor, post):
        raise PermissionDenied(
            permissions.member_restriction_reason(actor, "edit") or _("You may not edit this post.")
        )
    errors: dict[str, str] = {}
    body = _validate_body(body, errors)
    title_changed = False
    if title is not None:
        if not post.is_first:
            errors["title"] = _("Only the first post of a topic has a title.")
        else:
            title = _validate_title(title, errors)
            title_changed = title != topic.title
    rendered = _render(body, errors) if "body" not in errors else None
    _raise_if(errors)
    if body == post.body and not title_changed:
        return post

    was_hidden = post.state == ContentState.HIDDEN
    already_mentioned = {name.lower() for name in extract_mentions(post.body)}
    PostRevision.objects.create(
        post=post,
        number=post.edit_count + 1,
        body=post.body,
        title=topic.title if post.is_first else "",
        edited_by=actor,
        edited_by_name=actor.username,
        note=_clean_text(note).strip()[:500],
    )
    Post.objects.filter(pk=post.pk).update(
        body=body,
        body_html=rendered.html,
        edit_count=F("edit_count") + 1,
        edited_at=timezone.now(),
    )
    if title_changed:
        Topic.objects.filter(pk=topic.pk).update(title=title, slug=slugify(title)[:80] or "topic")
    post.refresh_from_db()
    topic.refresh_from_db()
    post.topic = topic
    _search_vector_update(
        post.pk, title=topic.title if post.is_first else None, language=topic.language
    )
    _announce_submitted(post=post, actor=actor, is_edit=True)
    events.post_edited.send(
        sender=Post,
        post_id=post.pk,
        actor_id=actor.pk,
        was_hidden=was_hidden,
        title_changed=title_changed,
    )
    _announce_mentions_and_quotes(
        post=post, actor=actor, rendered=rendered, already_mentioned=already_mentioned
    )
    return post


@transaction.atomic
def post_body_replace(
    *, actor: AnyUser = None, post: Post, body: str, reason: str | SystemReason
) -> Post:
    """Replace a post's text on behalf of moderation, and return the post.

    For automatic rewrites (a watched word's replacement: ``actor=None``, the system) and
    moderators of the category; the author's rules (edit window, lock) do not apply and
    nothing is announced — neither ``content_submitted`` (a receiver of it calls this) nor
    ``post_edited`` nor mentions. The text is rendered and sanitised like any post, the
    search vector follows, and the previous text is kept as a PostRevision whose note is
    ``reason``, by "system" for ``actor=None``, so the edit history shows the replacement
    (:func:`community.selectors.post_revisions` shows the replaced words to moderators
    only). A text that changes nothing stores nothing."""
    post = _lock_post(post)
    topic = post.topic
    _require_moderator(actor, post)
    errors: dict[str, str] = {}
    body = _validate_body(body, errors)
    rendered = _render(body, errors) if "body" not in errors else None
    _raise_if(errors)
    if body == post.body:
        return post
    note, note_code, note_params = _reason_fields(reason)
    PostRevision.objects.create(
        post=post,
        number=post.edit_count + 1,
        body=post.body,
        title=topic.title if post.is_first else "",
        edited_by=actor if _active(actor) else None,
        edited_by_name=_actor_name(actor),
        note=note,
        note_code=note_code,
        note_params=note_params,
    )
    # edited_at is the author's last edit: an automatic replacement does not move it.
    Post.objects.filter(pk=post.pk).update(
        body=body, body_html=rendered.html, edit_count=F("edit_count") + 1
    )
    _search_vector_update(
        post.pk, title=topic.title if post.is_first else None, language=topic.language
    )
    post.refresh_from_db(fields=["body", "body_html", "edit_count"])
    return post


# --- Post states -------------------------------------------------------------------------------

_ALIVE = frozenset({ContentState.VISIBLE, ContentState.HELD, ContentState.HIDDEN})


def _reason_fields(reason: str | SystemReason) -> tuple[str, str, dict]:
    """The text, code and parameters to store for a reason (see community.reasons)."""
    text, code, params = reasons.split(reason)
    return _clean_text(text).strip()[:500], code, params


def _post_state_change(
    *,
    actor: AnyUser,
    post: Post,
    new_state: str,
    allowed_from: frozenset[str],
    reason: str | SystemReason,
    refusal: str,
) -> Post:
    """Move a post to ``new_state`` and keep counters and the topic's mirror state right.

    A no-op when the post is already in ``new_state`` (moderation may repeat itself).
    ``reason`` is a moderator's text, stored as given, or a system reason, stored as its code
    and shown in each reader's language (``Post.state_reason_text``)."""
    post = _lock_post(post)
    old_state = post.state
    if old_state == new_state:
        return post
    if old_state not in allowed_from:
        raise ValidationError({"state": refusal})
    now = timezone.now()
    reason_text, reason_code, reason_params = _reason_fields(reason)
    Post.objects.filter(pk=post.pk).update(
        state=new_state,
        state_changed_at=now,
        state_changed_by=actor if _active(actor) else None,
        state_changed_by_name=_actor_name(actor),
        state_reason=reason_text,
        state_reason_code=reason_code,
        state_reason_params=reason_params,
    )
    topic = _lock_topic(post.topic_id)
    was_visible = old_state == ContentState.VISIBLE
    is_visible = new_state == ContentState.VISIBLE
    if post.number == 1:
        topic_was_visible = topic.state == ContentState.VISIBLE
        Topic.objects.filter(pk=topic.pk).update(state=new_state)
        if topic_was_visible != is_visible:
            _topic_visibility_counters(topic, 1 if is_visible else -1)
    elif was_visible != is_visible:
        delta = 1 if is_visible else -1
        Topic.objects.filter(pk=topic.pk).update(reply_count=_add("reply_count", delta))
        if topic.state == ContentState.VISIBLE:
            Category.objects.filter(pk=topic.category_id).update(
                post_count=_add("post_count", delta)
            )
    events.post_state_changed.send(
        sender=Post,
        post_id=post.pk,
        topic_id=topic.pk,
        actor_id=actor.pk if _active(actor) else None,
        old_state=old_state,
        new_state=new_state,
        reason=reason_text,
        reason_code=reason_code,
        reason_params=reason_params,
    )
    post.refresh_from_db()
    post.topic.refresh_from_db()
    return post


def _require_moderator(actor: AnyUser, post: Post) -> None:
    """``None`` is the system (automatic moderation); anybody else must moderate the category."""
    if actor is not None and not permissions.can_moderate_category(actor, post.topic.category):
        raise PermissionDenied(_("Only moderators of this category may do this."))


@transaction.atomic
def post_hide(*, actor: AnyUser, post: Post, reason: str | SystemReason = "") -> Post:
    """Hide a visible or held post (flags, moderators). The author still sees it."""
    _require_moderator(actor, post)
    return _post_state_change(
        actor=actor,
        post=post,
        new_state=ContentState.HIDDEN,
        allowed_from=frozenset({ContentState.VISIBLE, ContentState.HELD}),
        reason=reason,
        refusal=_("Only a visible or held post can be hidden."),
    )


@transaction.atomic
def post_unhide(*, actor: AnyUser, post: Post, reason: str | SystemReason = "") -> Post:
    """Show a hidden or removed post again (a moderator's undo)."""
    _require_moderator(actor, post)
    return _post_state_change(
        actor=actor,
        post=post,
        new_state=ContentState.VISIBLE,
        allowed_from=frozenset({ContentState.HIDDEN, ContentState.REMOVED}),
        reason=reason,
        refusal=_("Only a hidden or removed post can be shown again."),
    )


@transaction.atomic
def post_hold(*, actor: AnyUser, post: Post, reason: str | SystemReason = "") -> Post:
    """Put a visible post in the review queue; nobody but its author and moderators sees it."""
    _require_moderator(actor, post)
    return _post_state_change(
        actor=actor,
        post=post,
        new_state=ContentState.HELD,
        allowed_from=frozenset({ContentState.VISIBLE}),
        reason=reason,
        refusal=_("Only a visible post can be held for review."),
    )


@transaction.atomic
def post_approve(*, actor: AnyUser, post: Post, reason: str | SystemReason = "") -> Post:
    """Publish a held post."""
    _require_moderator(actor, post)
    return _post_state_change(
        actor=actor,
        post=post,
        new_state=ContentState.VISIBLE,
        allowed_from=frozenset({ContentState.HELD}),
        reason=reason,
        refusal=_("Only a post awaiting review can be approved."),
    )


@transaction.atomic
def post_remove(*, actor: AnyUser, post: Post, reason: str | SystemReason = "") -> Post:
    """Remove a post for breaking the rules (its author still sees it, with the reason)."""
    _require_moderator(actor, post)
    return _post_state_change(
        actor=actor,
        post=post,
        new_state=ContentState.REMOVED,
        allowed_from=_ALIVE,
        reason=reason,
        refusal=_("This post is already gone."),
    )


@transaction.atomic
def post_delete(*, actor: User, post: Post) -> Post:
    """Soft-delete a post (its author or a moderator). Deleting the first post deletes the
    topic."""
    post = Post.objects.select_related("topic", "topic__category").get(pk=post.pk)
    if not permissions.can_delete_post(actor, post):
        raise PermissionDenied(_("You may not delete this post."))
    return _post_state_change(
        actor=actor,
        post=post,
        new_state=ContentState.DELETED,
        allowed_from=_ALIVE | {ContentState.REMOVED},
        reason="",
        refusal=_("This post is already deleted."),
    )
