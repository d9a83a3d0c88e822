"""Who may do what in the community. One function per question, ``(user, obj) -> bool``.

Every function accepts an anonymous user (or ``None``) and answers False rather than raising.
Services call them before writing; views, templates and the API call the same functions to
decide what to show, so a button is never shown for an action the service would refuse.

Moderation has two scopes:

* global moderators hold the ``accounts.moderate`` permission (moderators, administrators)
  and moderate every category;
* category moderators are listed in ``Category.moderators`` and moderate that category (and
  only that one). Their category ids are loaded once per user object and cached on it, so a
  page asking the question for 50 posts costs one query.

Topics and posts mirror each other: a topic's state is its first post's state.

Member restrictions: downstream apps (moderation's silences and suspensions) register a
function with :func:`register_member_restriction`; ``can_reply``, ``can_start_topic``,
``can_vote`` and ``can_edit_post`` answer False while any of them gives a reason, and
:func:`member_restriction_reason` tells views what to say. ``community`` knows nothing of the
rules behind a restriction (dependencies point one way).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.utils import timezone

from accounts import permissions as account_permissions
from community.models import Category, ContentState, Post, Topic, TopicKind

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from accounts.models import User

    AnyUser = User | AnonymousUser | None

# States in which an author still sees their own content (with a notice), while others do not.
AUTHOR_VISIBLE_STATES = frozenset(
    {ContentState.VISIBLE, ContentState.HELD, ContentState.HIDDEN, ContentState.REMOVED}
)

_MODERATED_CACHE_ATTR = "_community_moderated_category_ids"
_MODERATES_ONE_CACHE_ATTR = "_community_moderates_category"

#: The actions a member restriction may forbid (``flag`` is asked by moderation's own pages).
RESTRICTABLE_ACTIONS = frozenset({"reply", "start_topic", "vote", "edit", "flag"})

MemberRestriction = Callable[["AnyUser", str], "str | None"]
_member_restrictions: list[MemberRestriction] = []


def _active(user: AnyUser) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


# --- Member restrictions ---------------------------------------------------------------------


def register_member_restriction(restriction: MemberRestriction) -> None:
    """Let ``restriction(user, action)`` forbid an action to a member.

    ``action`` is one of :data:`RESTRICTABLE_ACTIONS`. The function returns None when the
    member may act, or the reason they may not, in words to show them ("You are silenced
    until…"). It is called for every permission question of a page (once per post for votes
    and edits), with an active, authenticated user: it must be cheap — cache per user object —
    and must not raise. Registering the same function twice registers it once (``ready()`` may
    run more than once in tests)."""
    if restriction not in _member_restrictions:
        _member_restrictions.append(restriction)


def unregister_member_restriction(restriction: MemberRestriction) -> None:
    """Remove a registered restriction (tests)."""
    if restriction in _member_restrictions:
        _member_restrictions.remove(restriction)


def member_restriction_reason(user: AnyUser, action: str) -> str | None:
    """Why ``user`` may not do ``action`` because of a registered restriction, or None.

    Anonymous and inactive users have no restriction (other checks refuse them)."""
    if action not in RESTRICTABLE_ACTIONS:
        raise ValueError(f"unknown action {action!r}: one of {sorted(RESTRICTABLE_ACTIONS)}")
    if not _active(user):
        return None
    for restriction in _member_restrictions:
        reason = restriction(user, action)
        if reason:
            return str(reason)
    return None


def _restricted(user: AnyUser, action: str) -> bool:
    return member_restriction_reason(user, action) is not None


# --- Moderation scopes -----------------------------------------------------------------------


def _is_author(user: AnyUser, obj: Topic | Post) -> bool:
    return _active(user) and obj.author_id is not None and obj.author_id == user.pk


def moderated_category_ids(user: AnyUser) -> frozenset[int]:
    """The ids of the categories ``user`` moderates as a category moderator (one query,
    cached on the user object for the rest of the request)."""
    if not _active(user):
        return frozenset()
    cached = getattr(user, _MODERATED_CACHE_ATTR, None)
    if cached is None:
        cached = frozenset(user.moderated_categories.values_list("pk", flat=True))
        setattr(user, _MODERATED_CACHE_ATTR, cached)
    return cached


def remember_category_moderation(user: AnyUser, category_id: int, moderates: bool) -> None:
    """Record, on the user object, whether ``user`` moderates one category — an answer a
    selector already fetched with its own query (``topic_get_for_user``), so that a page
    about one category does not load the whole list to ask again."""
    if not _active(user):
        return
    known = getattr(user, _MODERATES_ONE_CACHE_ATTR, None)
    if known is None:
        known = {}
        setattr(user, _MODERATES_ONE_CACHE_ATTR, known)
    known[category_id] = bool(moderates)


def can_moderate_category(user: AnyUser, category: Category) -> bool:
    """Global moderators everywhere; category moderators in their own category only."""
    if not _active(user):
        return False
    if account_permissions.is_moderator(user):
        return True
    if getattr(user, _MODERATED_CACHE_ATTR, None) is None:
        known = getattr(user, _MODERATES_ONE_CACHE_ATTR, None) or {}
        if category.pk in known:
            return known[category.pk]
    return category.pk in moderated_category_ids(user)


def can_moderate_topic(user: AnyUser, topic: Topic) -> bool:
    return can_moderate_category(user, topic.category)


def can_view_category(user: AnyUser, category: Category) -> bool:
    # Every category is public today. The question is asked everywhere anyway, so private
    # categories (a feature Discourse has) only need this function and the selectors changed.
    return True


def can_view_topic(user: AnyUser, topic: Topic) -> bool:
    """Visible topics to everyone; the author also sees their own held/hidden/removed topic;
    moderators of the category see every topic, deleted ones included."""
    if not can_view_category(user, topic.category):
        return False
    if topic.state == ContentState.VISIBLE:
        return True
    if _is_author(user, topic) and topic.state in AUTHOR_VISIBLE_STATES:
        return True
    return can_moderate_category(user, topic.category)


def can_view_post(user: AnyUser, post: Post) -> bool:
    """As for topics, and the post's topic must be visible to the user too."""
    if not can_view_topic(user, post.topic):
        return False
    if post.state == ContentState.VISIBLE:
        return True
    if _is_author(user, post) and post.state in AUTHOR_VISIBLE_STATES:
        return True
    return can_moderate_category(user, post.topic.category)


def can_start_topic(user: AnyUser, category: Category) -> bool:
    """Trust level at least the category's minimum; read-only categories: staff roles and
    the category's moderators only. Never while a member restriction forbids it."""
    if not _active(user) or _restricted(user, "start_topic"):
        return False
    if category.read_only:
        return account_permissions.is_staff_role(user) or can_moderate_category(user, category)
    return account_permissions.has_trust_level(user, category.min_trust_to_start)


def can_reply(user: AnyUser, topic: Topic) -> bool:
    """Not on a locked or closed topic (moderators excepted); trust level at least the
    category's minimum to reply. Never while a member restriction forbids it."""
    if not _active(user) or not can_view_topic(user, topic):
        return False
    if _restricted(user, "reply"):
        return False
    if can_moderate_category(user, topic.category):
        return True
    if topic.locked or topic.closed or topic.state != ContentState.VISIBLE:
        return False
    return account_permissions.has_trust_level(user, topic.category.min_trust_to_reply)


def post_edit_window_open(post: Post) -> bool:
    """Whether the author's own edit window (settings.COMMUNITY_EDIT_WINDOW_MINUTES) is open."""
    window = timedelta(minutes=settings.COMMUNITY_EDIT_WINDOW_MINUTES)
    return timezone.now() - post.created_at <= window


def can_edit_post(user: AnyUser, post: Post) -> bool:
    """Moderators of the category always; the author within the edit window, unless the post
    was removed or deleted or the topic is locked (a lock freezes the conversation). Never
    while a member restriction forbids it."""
    if not _active(user) or _restricted(user, "edit"):
        return False
    if can_moderate_category(user, post.topic.category):
        return True
    if not _is_author(user, post):
        return False
    if post.state in (ContentState.REMOVED, ContentState.DELETED) or post.topic.locked:
        return False
    return post_edit_window_open(post)


def can_delete_post(user: AnyUser, post: Post) -> bool:
    """The author (their post is not already gone) or a moderator of the category."""
    if not _active(user):
        return False
    if can_moderate_category(user, post.topic.category):
        return True
    return _is_author(user, post) and post.state not in (
        ContentState.DELETED,
        ContentState.REMOVED,
    )


def can_withdraw_vote(user: AnyUser, post: Post) -> bool:
    """Whoever could vote on the post may withdraw their vote, even while a member
    restriction forbids voting (taking a vote back is never held against anybody)."""
    if not _active(user) or _is_author(user, post):
        return False
    if post.state != ContentState.VISIBLE or post.topic.state != ContentState.VISIBLE:
        return False
    return account_permissions.has_trust_level(user, settings.COMMUNITY_MIN_TRUST_TO_VOTE)


def can_vote(user: AnyUser, post: Post) -> bool:
    """Members vote on visible posts of others, in visible topics, unless a member
    restriction forbids it."""
    return can_withdraw_vote(user, post) and not _restricted(user, "vote")


def can_accept_answer(user: AnyUser, topic: Topic) -> bool:
    """On questions only: the person who asked, brand staff or a moderator of the category."""
    if not _active(user) or topic.kind != TopicKind.QUESTION:
        return False
    if topic.state != ContentState.VISIBLE:
        return can_moderate_category(user, topic.category)
    return (
        _is_author(user, topic)
        or account_permissions.is_brand_staff(user)
        or can_moderate_category(user, topic.category)
    )


def can_answer_officially(user: AnyUser, topic: Topic | None = None) -> bool:
    """Brand staff may mark a post as the brand's official answer."""
    return account_permissions.is_brand_staff(user)


def can_pin_globally(user: AnyUser, topic: Topic | None = None) -> bool:
    """Pinning on every list is for global moderators, not category moderators."""
    return account_permissions.is_moderator(user)


def can_move_topic(user: AnyUser, topic: Topic, category: Category) -> bool:
    """Moderators of both the current and the destination category."""
    return can_moderate_category(user, topic.category) and can_moderate_category(user, category)


def can_subscribe_topic(user: AnyUser, topic: Topic) -> bool:
    return _active(user) and can_view_topic(user, topic)


def can_subscribe_category(user: AnyUser, category: Category) -> bool:
    return _active(user) and can_view_category(user, category)


def can_create_category(user: AnyUser) -> bool:
    return account_permissions.is_administrator(user)
