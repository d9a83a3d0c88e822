"""Who may do what in moderation. One function per question, ``(user, obj) -> bool``; every
function accepts an anonymous user (or None) and answers False rather than raising.

Scopes, built on ``community.permissions``:

* global moderators (``accounts.moderate``: moderators, administrators) act everywhere;
* category moderators (``Category.moderators``) act on items of their categories only:
  keep, hide, remove, edit, lock, move, warn, ignore. Sanctions that reach the whole site
  (probation, silence, suspension), profiles and the CM-managed lists are for global
  moderators; coverage hours and the audit log for administrators.

Members' restrictions (silenced, suspended, on probation) come from active ``Sanction`` rows,
read at most once per request and user: cached on the user object, and for a minute in the
shared cache, which ``SuspensionMiddleware`` fills at the start of each request
(:func:`restrictions_for_request`) and the sanction services empty when a sanction starts or
is lifted. :func:`member_restriction` is registered with
``community.permissions.register_member_restriction``, so that silenced and suspended members
see no composer, no vote or edit button, and are refused by community's services.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.core.cache import cache
from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _

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

logger = logging.getLogger(__name__)

_RESTRICTIONS_ATTR = "_moderation_restrictions"
# Bumped by every sanction change in this process: an answer cached on a user object before
# it is stale (tests, tasks and commands keep user objects longer than a request does).
_restrictions_epoch = [0]
RESTRICTIONS_CACHE_KEY = "moderation:restrictions:{user_id}"
RESTRICTIONS_CACHE_SECONDS = 60
# A member's sanction version: moved on by every sanction change, kept longer than any answer.
RESTRICTIONS_VERSION_KEY = "moderation:restrictions-version:{user_id}"
RESTRICTIONS_VERSION_SECONDS = 24 * 3600

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

    def current(self, now: dt.datetime) -> Restrictions:
        """The same restrictions without those that ended by ``now`` (a cached answer may
        outlive a sanction's end)."""

        def lasting(active: bool, until: dt.datetime | None) -> bool:
            return active and (until is None or until > now)

        return Restrictions(
            silenced_until=self.silenced_until,
            suspended_until=self.suspended_until,
            probation_until=self.probation_until,
            silenced=lasting(self.silenced, self.silenced_until),
            suspended=lasting(self.suspended, self.suspended_until),
            on_probation=lasting(self.on_probation, self.probation_until),
        )


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


def _shared_get(member_id: int) -> tuple[Restrictions | None, int]:
    """The shared cached answer (None: none, or one written before the member's last
    sanction change) and the member's current sanction version, in one round trip."""
    keys = (
        RESTRICTIONS_CACHE_KEY.format(user_id=member_id),
        RESTRICTIONS_VERSION_KEY.format(user_id=member_id),
    )
    try:
        found = cache.get_many(keys)
    except Exception:  # a cache outage must not break pages: ask the database
        logger.warning("cache unavailable, restrictions of %s read from the database", member_id)
        return None, -1
    cached, version = found.get(keys[0]), found.get(keys[1], 0)
    if not isinstance(cached, dict) or cached.get("version", 0) != version:
        return None, version
    try:
        return Restrictions(**{k: v for k, v in cached.items() if k != "version"}), version
    except TypeError:  # cached by another version of this code: ask the database
        return None, version


def _shared_set(member_id: int, restrictions: Restrictions, version: int) -> None:
    """Cache an answer read from the database, tagged with the sanction version seen *before*
    that read: if a sanction changed since, the tag no longer matches and readers ignore
    it — a request racing a new silence cannot leave the old answer for a minute."""
    if version < 0:
        return  # the cache is down
    with contextlib.suppress(Exception):  # the answer is right, only not cached
        cache.set(
            RESTRICTIONS_CACHE_KEY.format(user_id=member_id),
            {**dataclasses.asdict(restrictions), "version": version},
            RESTRICTIONS_CACHE_SECONDS,
        )


def restrictions_cache_forget(member_id: int) -> None:
    """Drop the shared cached answer now and again when the transaction commits, each time
    moving the member's sanction version on, so that an answer read before the commit and
    cached after it is never used."""

    def forget() -> None:
        _restrictions_epoch[0] += 1
        version_key = RESTRICTIONS_VERSION_KEY.format(user_id=member_id)
        with contextlib.suppress(Exception):  # a cache outage only delays the change
            cache.delete(RESTRICTIONS_CACHE_KEY.format(user_id=member_id))
            if not cache.add(version_key, 1, RESTRICTIONS_VERSION_SECONDS):
                cache.incr(version_key)
                cache.touch(version_key, RESTRICTIONS_VERSION_SECONDS)

    forget()
    transaction.on_commit(forget)


def _remember(user: User, restrictions: Restrictions) -> None:
    setattr(user, _RESTRICTIONS_ATTR, (_restrictions_epoch[0], restrictions))


def _remembered(user: User) -> Restrictions | None:
    epoch, restrictions = getattr(user, _RESTRICTIONS_ATTR, (None, None))
    return restrictions if epoch == _restrictions_epoch[0] else None


def member_restrictions(user: AnyUser, *, refresh: bool = False) -> Restrictions:
    """The member's active sanctions, cached on the user object; else from the shared cache
    (filled by :func:`restrictions_for_request`), else one query. ``refresh`` reads the
    database (the posting wall does). ``*_until`` is None for a sanction without an end."""
    if not _active(user):
        return Restrictions()
    now = timezone.now()
    if not refresh:
        cached = _remembered(user) or _shared_get(user.pk)[0]
        if cached is not None:
            cached = cached.current(now)
            _remember(user, cached)
            return cached
    restrictions = restrictions_for_member_id(user.pk)
    _remember(user, restrictions)
    return restrictions


def restrictions_for_request(user: AnyUser) -> Restrictions:
    """:func:`member_restrictions` at the start of a request: a shared-cache read, or one
    query whose answer is cached for :data:`RESTRICTIONS_CACHE_SECONDS`. Only here is the
    shared cache written — outside any transaction, so never with uncommitted sanctions."""
    if not _active(user):
        return Restrictions()
    shared, version = _shared_get(user.pk)
    if shared is None:
        shared = restrictions_for_member_id(user.pk)
        _shared_set(user.pk, shared, version)
    restrictions = shared.current(timezone.now())
    _remember(user, restrictions)
    return restrictions


def forget_restrictions(user: AnyUser) -> None:
    if user is not None and hasattr(user, _RESTRICTIONS_ATTR):
        delattr(user, _RESTRICTIONS_ATTR)


def _until(moment: dt.datetime) -> str:
    return formats.date_format(timezone.localtime(moment), "DATETIME_FORMAT")


def restriction_message(restrictions: Restrictions) -> str | None:
    """What a suspended or silenced member is told, with the end date; None otherwise."""
    if restrictions.suspended:
        if restrictions.suspended_until is None:
            return _("Your account is suspended.")
        return _("Your account is suspended until %(date)s.") % {
            "date": _until(restrictions.suspended_until)
        }
    if restrictions.silenced:
        if restrictions.silenced_until is None:
            return _("You are silenced: you can read but not post.")
        return _("You are silenced until %(date)s: you can read but not post.") % {
            "date": _until(restrictions.silenced_until)
        }
    return None


def member_restriction(user: AnyUser, action: str) -> str | None:
    """The member restriction moderation registers with ``community.permissions``: silenced
    and suspended members may not reply, start topics, vote, edit or flag. Costs nothing
    after :func:`restrictions_for_request` (or one query once per user object)."""
    return restriction_message(member_restrictions(user))


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


def flag_refusal_reason(user: AnyUser) -> str | None:
    """Why ``user`` may not flag at all, in words for them (None: they may)."""
    if can_flag(user):
        return None
    if not _active(user):
        return _("Sign in to flag.")
    if member_restrictions(user).read_only:
        return _("Your account is restricted: you cannot flag for now.")
    return _("You can flag once you reach trust level %(level)d.") % {
        "level": conf.MIN_TRUST_TO_FLAG
    }


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
