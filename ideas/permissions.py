"""Who may do what with ideas. One function per question, ``(user, obj) -> bool``.

Every function accepts an anonymous user (or ``None``) and answers False rather than raising.
Services call them before writing; views and templates call the same functions to decide what
to show. "Staff" here is brand staff (and administrators): ``accounts.permissions.is_brand_staff``,
the official voice that sets statuses and writes official responses.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings

from accounts import permissions as account_permissions
from community import permissions as community_permissions
from community.models import Category, ContentState
from ideas.models import Challenge, ChallengePhase, Idea

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from accounts.models import User

    AnyUser = User | AnonymousUser | None


def _active(user: AnyUser) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


def is_idea_staff(user: AnyUser) -> bool:
    return account_permissions.is_brand_staff(user)


def can_view_idea(user: AnyUser, idea: Idea) -> bool:
    """As its topic: visible ideas to everyone, held ones to their author and moderators."""
    return community_permissions.can_view_topic(user, idea.topic)


def can_propose_idea(user: AnyUser, category: Category) -> bool:
    return community_permissions.can_start_topic(user, category)


def can_vote_idea(user: AnyUser, idea: Idea) -> bool:
    """Members support visible, open ideas of others (the refusal message explains budgets
    and challenge phases, which this question leaves to the service)."""
    if not _active(user) or idea.is_closed:
        return False
    topic = idea.topic
    if topic.state != ContentState.VISIBLE or topic.author_id == user.pk:
        return False
    return account_permissions.has_trust_level(user, settings.COMMUNITY_MIN_TRUST_TO_VOTE)


def can_set_idea_status(user: AnyUser, idea: Idea | None = None) -> bool:
    """Statuses and official responses are the brand's: brand staff and administrators."""
    return is_idea_staff(user)


def can_merge_idea(user: AnyUser, idea: Idea | None = None) -> bool:
    return is_idea_staff(user)


def can_view_idea_insight(user: AnyUser, idea: Idea | None = None) -> bool:
    """Who supported an idea, and how: brand staff only (it names members)."""
    return is_idea_staff(user)


def can_review_votes(user: AnyUser, idea: Idea | None = None) -> bool:
    return is_idea_staff(user)


def can_export_ideas(user: AnyUser) -> bool:
    return is_idea_staff(user)


def can_configure_ideas(user: AnyUser, category: Category | None = None) -> bool:
    return is_idea_staff(user)


def can_manage_challenge(user: AnyUser, challenge: Challenge | None = None) -> bool:
    return is_idea_staff(user)


def is_jury_member(user: AnyUser, challenge: Challenge) -> bool:
    """One query per user and challenge (cached on the challenge object)."""
    if not _active(user):
        return False
    cache = challenge.__dict__.setdefault("_jury_cache", {})
    if user.pk not in cache:
        cache[user.pk] = challenge.jury.filter(pk=user.pk).exists()
    return cache[user.pk]


def can_shortlist(user: AnyUser, challenge: Challenge) -> bool:
    """The jury (and brand staff) during the shortlist phase."""
    if challenge.phase != ChallengePhase.SHORTLIST:
        return False
    return is_idea_staff(user) or is_jury_member(user, challenge)


def can_choose_winner(user: AnyUser, challenge: Challenge) -> bool:
    """Brand staff, once the vote is closed."""
    return is_idea_staff(user) and challenge.phase in (
        ChallengePhase.DELIBERATION,
        ChallengePhase.ANNOUNCEMENT,
    )


def can_view_roadmap_category(user: AnyUser, settings_row) -> bool:
    """A category's ideas show on the roadmap to everyone, or to members only by setting."""
    if settings_row is None or settings_row.roadmap_public:
        return True
    return _active(user)
