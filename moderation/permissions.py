"""Who may do what in moderation. One function per question, ``(user, obj) -> bool``; every
function accepts an anonymous user (or None) and answers False rather than raising.

Scopes, built on ``community.permissions``:

* global moderators (``accounts.moderate``: moderators, administrators) act everywhere;
* category moderators (``Category.moderators``) act on items of their categories only:
  keep, hide, remove, edit, lock, move, warn, ignore. Sanctions that reach the whole site
  (probation, silence, suspension), profiles and the CM-managed lists are for global
  moderators; coverage hours and the audit log for administrators.

Members' restrictions (silenced, suspended, on probation) come from active ``Sanction`` rows,
read once per user object and cached on it (see :func:`member_restrictions`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.utils import timezone

from accounts import permissions as account_permissions
from community import permissions as community_permissions
from community.models import ContentState
from moderation.conf import moderation_settings as conf
from moderation.models import Action, ReviewItem, Sanction

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from accounts.models import User
    from community.models import Post

    AnyUser = User | AnonymousUser | None

_RESTRICTIONS_ATTR = "_moderation_restrictions"

#: Actions a category moderator may take on an item of their category.
CATEGORY_ACTIONS = frozenset(
    {
        Action.KEEP,
        Action.HIDE,
        Action.REMOVE,
        Action.EDIT,
        Action.LOCK,
        Action.MOVE,
        Action.WARN,
        Action.IGNORE,
    }
)
SITE_WIDE_ACTIONS = frozenset({Action.PROBATION, Action.SILENCE, Action.SUSPEND})


def _active(user: AnyUser) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


def is_signed_in(user: AnyUser) -> bool:
    """An authenticated, active account."""
    return _active(user)


@dataclass(frozen=True)
class Restrictions:
    silenced_until: dt.datetime | None = None
    suspended_until: dt.datetime | None = None
    probation_until: dt.datetime | None = None
    silenced: bool = False
    suspended: bool = False
    on_probation: bool = False

    @property
    def read_only(self) -> bool:
        return self.silenced or self.suspended


def restrictions_for_member_id(member_id: int) -> Restrictions:
    """The active sanctions of a member, by id (one query, not cached)."""
    now = timezone.now()
    found: dict[str, dt.datetime | None] = {}
    rows = Sanction.objects.filter(
        member_id=member_id, lifted_at__isnull=True, starts_at__lte=now
    ).values_list("kind", "ends_at")
    for kind, ends_at in rows:
        if ends_at is not None and ends_at <= now:
            continue
        if kind in found and (
            found[kind] is None or (ends_at is not None and ends_at <= found[kind])
        ):
            continue  # the longest one wins; None (for good) is the longest
        found[kind] = ends_at
    return Restrictions(
        silenced=Sanction.Kind.SILENCE in found,
        silenced_until=found.get(Sanction.Kind.SILENCE),
        suspended=Sanction.Kind.SUSPEND in found,
        suspended_until=found.get(Sanction.Kind.SUSPEND),
        on_probation=Sanction.Kind.PROBATION in found,
        probation_until=found.get(Sanction.Kind.PROBATION),
    )


def member_restrictions(user: AnyUser, *, refresh: bool = False) -> Restrictions:
    """The member's active sanctions (one query, cached on the user object). ``*_until`` is
    None for a sanction without an end."""
    if not _active(user):
        return Restrictions()
    cached = getattr(user, _RESTRICTIONS_ATTR, None)
    if cached is not None and not refresh:
        return cached
    restrictions = restrictions_for_member_id(user.pk)
    setattr(user, _RESTRICTIONS_ATTR, restrictions)
    return restrictions


def forget_restrictions(user: AnyUser) -> None:
    if user is not None and hasattr(user, _RESTRICTIONS_ATTR):
        delattr(user, _RESTRICTIONS_ATTR)


def is_global_moderator(user: AnyUser) -> bool:
    return account_permissions.is_moderator(user)


def can_review_queue(user: AnyUser) -> bool:
    """Global moderators, and category moderators (their categories' items only)."""
    if not _active(user):
        return False
    return is_global_moderator(user) or bool(community_permissions.moderated_category_ids(user))


def can_flag(user: AnyUser) -> bool:
    """Members of the flagging trust level (staff always), not silenced or suspended."""
    if not account_permissions.has_trust_level(user, conf.MIN_TRUST_TO_FLAG):
        return False
    return not member_restrictions(user).read_only


def can_flag_post(user: AnyUser, post: Post) -> bool:
    """Somebody else's visible post, which the user can see."""
    if not can_flag(user) or post.author_id == user.pk:
        return False
    if post.state != ContentState.VISIBLE:
        return False
    return community_permissions.can_view_post(user, post)


def can_flag_member(user: AnyUser, member: User) -> bool:
    return can_flag(user) and member.pk != user.pk and member.is_active


def can_moderate_item(user: AnyUser, item: ReviewItem) -> bool:
    """Items of posts: moderators of the post's category; profiles: global moderators."""
    if not _active(user):
        return False
    if item.category_id is None:
        return is_global_moderator(user)
    return community_permissions.can_moderate_category(user, item.category)


def can_take_action(user: AnyUser, item: ReviewItem, action: str) -> bool:
    if not can_moderate_item(user, item):
        return False
    if action in SITE_WIDE_ACTIONS:
        return is_global_moderator(user)
    return action in CATEGORY_ACTIONS


def can_sanction_member(user: AnyUser, member: User) -> bool:
    """Global moderators sanction members; only administrators sanction staff; nobody
    sanctions themselves."""
    if not is_global_moderator(user) or member.pk == user.pk:
        return False
    if account_permissions.is_staff_role(member):
        return account_permissions.is_administrator(user)
    return True


def can_warn_member(user: AnyUser, member: User, item: ReviewItem | None = None) -> bool:
    """Global moderators, or the moderator of the category of the item being decided."""
    if not _active(user) or member.pk == user.pk:
        return False
    if account_permissions.is_staff_role(member) and not account_permissions.is_administrator(user):
        return False
    if is_global_moderator(user):
        return True
    return item is not None and can_moderate_item(user, item)


def can_manage_moderation_lists(user: AnyUser) -> bool:
    """Watched words, community rules, removal reasons, category log switches: community
    managers (global moderators)."""
    return is_global_moderator(user)


def can_set_coverage(user: AnyUser) -> bool:
    return account_permissions.is_administrator(user)


def can_view_audit(user: AnyUser) -> bool:
    return account_permissions.is_administrator(user)


def can_view_moderator_notes(user: AnyUser) -> bool:
    return can_review_queue(user)


def can_appeal_post(user: AnyUser, post: Post) -> bool:
    """The author of a hidden or removed post (whether they already appealed is the service's
    question, it needs a query)."""
    return (
        _active(user)
        and post.author_id == user.pk
        and post.state in (ContentState.HIDDEN, ContentState.REMOVED)
    )


def can_appeal_sanction(user: AnyUser, sanction: Sanction) -> bool:
    return _active(user) and sanction.member_id == user.pk and sanction.is_active()


def can_view_staff_queue(user: AnyUser) -> bool:
    return account_permissions.is_brand_staff(user) or is_global_moderator(user)


def can_escalate_to_staff(user: AnyUser, topic) -> bool:
    return community_permissions.can_moderate_topic(user, topic)


def actor_role(user: AnyUser, item: ReviewItem | None = None) -> str:
    """The role an action is attributed to when names are not shown."""
    if not _active(user):
        return "system"
    if account_permissions.is_administrator(user):
        return "administrator"
    if is_global_moderator(user):
        return "moderator"
    if item is not None and item.category_id and can_moderate_item(user, item):
        return "category moderator"
    if account_permissions.is_brand_staff(user):
        return "brand staff"
    return "member"
