"""Every write of moderation: flags, the review queue, decisions, appeals, sanctions, the
CM-managed lists (watched words, rules, removal reasons), coverage hours, notes, the staff
queue and the periodic safety nets.

Each service takes the acting user first (``actor``; ``None`` is the system), checks
permission with ``moderation.permissions``, validates, writes inside ``transaction.atomic``,
appends to the audit log and announces ``moderation.events`` at the end, inside the
transaction. Callers must know:

* Refusals raise ``PermissionDenied`` with a translated message; bad input raises
  ``ValidationError`` (``message_dict`` names the field when there is one). The daily flag
  limit raises :class:`FlagLimitReached` (a ``ValidationError``).
* Content changes go through ``community.services`` (``post_hide``, ``post_remove``…), so
  counters, the topic's mirror state and ``community.events`` stay right.
* Rows are locked post first, then the review item (the order ``community`` uses: its
  ``content_submitted`` receivers run under the post lock), so flags, decisions and edits on
  one post are serialised and never deadlock. ``ReviewItem.score`` and the flaggers' records
  change by F() updates under that lock.
* :func:`item_decide` is one transaction whose number of queries does not depend on the
  number of flags: flags and flaggers' records are updated by one UPDATE each.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, F, Q, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts import permissions as account_permissions
from accounts.models import User
from community import reasons
from community import services as community_services
from community.models import Category, ContentState, Post, Topic
from community.reasons import SystemReason
from moderation import coverage, events, scoring, selectors
from moderation import permissions as perms
from moderation import reasons as system_reasons
from moderation import watched_words as ww
from moderation.conf import moderation_settings as conf
from moderation.models import (
    Action,
    Appeal,
    AuditEntry,
    AwaySummary,
    CategoryPolicy,
    CommunityRule,
    CoverageSchedule,
    CoverageWindow,
    Flag,
    FlagAllowance,
    FlaggerRecord,
    FlagReason,
    FlagStatus,
    ItemKind,
    ItemStatus,
    MemberWarning,
    ModeratorNote,
    RemovalReason,
    ReviewItem,
    Sanction,
    StaffRequest,
    WatchedWord,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    AnyUser = User | AnonymousUser | None

logger = logging.getLogger(__name__)

SYSTEM_NAME = "system"
MAX_REASON_LENGTH = 2000
MAX_SANCTION_DAYS = 3650
BULK_ACTIONS = frozenset({Action.KEEP, Action.HIDE, Action.REMOVE, Action.IGNORE, Action.LOCK})
_CONTENT_ACTIONS = frozenset({Action.HIDE, Action.REMOVE, Action.EDIT, Action.LOCK, Action.MOVE})
_PUBLIC_ACTIONS = frozenset({Action.HIDE, Action.REMOVE, Action.EDIT, Action.LOCK, Action.MOVE})
_REASON_REQUIRED = frozenset(
    {Action.REMOVE, Action.WARN, Action.PROBATION, Action.SILENCE, Action.SUSPEND}
)


class FlagLimitReached(ValidationError):
    """The member raised as many flags today as their trust level allows."""

    def __init__(self, message: str, *, limit: int) -> None:
        super().__init__(message, code="flag_limit")
        self.limit = limit


class ItemClaimed(PermissionDenied):
    """Another moderator holds the claim on the item: a state conflict (409 over the API),
    a refusal on the web pages like any other ``PermissionDenied``."""


# --- Context: actions moderation takes through community services -------------------------------

_acting: ContextVar[bool] = ContextVar("moderation_acting", default=False)


@contextlib.contextmanager
def acting() -> Iterator[None]:
    """Mark community calls made by moderation services, so that ``moderation.handlers``
    does not audit the same action twice when ``community.events`` echo it."""
    token = _acting.set(True)
    try:
        yield
    finally:
        _acting.reset(token)


def is_acting() -> bool:
    return _acting.get()


# --- Small helpers -------------------------------------------------------------------------------


def _active(user: AnyUser) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


def _name(user: AnyUser) -> str:
    return user.username if _active(user) else SYSTEM_NAME


def _clean(value: object, limit: int) -> str:
    text = str(value or "").replace("\x00", "").replace("\r\n", "\n").strip()
    return text[:limit]


def _tz() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def _policy() -> scoring.ScoringPolicy:
    return scoring.policy_from_settings()


def _lock_post(post_id: int) -> Post:
    # The same lock community takes (NO KEY UPDATE: inserts referencing the post still pass).
    return (
        Post.objects.select_for_update(of=("self",), no_key=True)
        .select_related("topic", "topic__category", "author")
        .get(pk=post_id)
    )


def _lock_item(item_id: int) -> ReviewItem:
    return (
        ReviewItem.objects.select_for_update(of=("self",))
        .select_related("category", "topic", "author", "member")
        .get(pk=item_id)
    )


def _audit(
    *,
    actor: AnyUser,
    action: str,
    role: str | None = None,
    item: ReviewItem | None = None,
    post: Post | None = None,
    topic_id: int | None = None,
    category_id: int | None = None,
    subject: User | None = None,
    subject_id: int | None = None,
    subject_name: str = "",
    target_repr: str = "",
    reason: str | SystemReason = "",
    detail: str = "",
    rule: CommunityRule | None = None,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    public: bool = False,
) -> AuditEntry:
    """Append one entry to the audit log (ids and snapshots, never querysets). A system
    ``reason`` keeps its code, so the log shows it in its reader's language; ``detail`` is
    technical and untranslated (the watched word and rule, a link count)."""
    reason_text, reason_code, reason_params = reasons.split(reason)
    if detail:
        reason_text = f"{reason_text} {detail}".strip()
        if reason_code:
            reason_params["detail"] = detail
    post_id = post.pk if post is not None else (item.post_id if item is not None else None)
    if post is not None:
        topic_id = topic_id or post.topic_id
        category_id = category_id or post.topic.category_id
    if item is not None:
        topic_id = topic_id or item.topic_id
        category_id = category_id or item.category_id
        if subject is None and subject_id is None:
            subject_id = item.author_id or item.member_id
            subject_name = item.author_name
    if subject is not None:
        subject_id, subject_name = subject.pk, subject.username
    if not target_repr:
        if post_id:
            target_repr = f"post {post_id}"
        elif subject_id:
            target_repr = f"member {subject_name or subject_id}"
    return AuditEntry.objects.create(
        actor=actor if _active(actor) else None,
        actor_name=_name(actor),
        actor_role=role or perms.actor_role(actor, item),
        action=action,
        item_id=item.pk if item is not None else None,
        post_id=post_id,
        topic_id=topic_id,
        category_id=category_id,
        subject_id=subject_id,
        subject_name=subject_name[:150],
        target_repr=target_repr[:300],
        reason=reason_text,
        reason_code=reason_code,
        reason_params=reason_params,
        rule_number=rule.number if rule is not None else None,
        rule_title=rule.title if rule is not None else "",
        before=dict(before or {}),
        after=dict(after or {}),
        public=public,
    )


def audit_direct_action(
    *,
    actor: AnyUser,
    action: str,
    post: Post | None = None,
    topic_id: int | None = None,
    category_id: int | None = None,
    reason: str = "",
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    public: bool = False,
) -> AuditEntry:
    """Record a moderation action taken outside the queue (on the community's pages), as
    ``moderation.handlers`` learns of it from ``community.events``."""
    subject = post.author if post is not None and post.author_id else None
    return _audit(
        actor=actor,
        action=action,
        post=post,
        topic_id=topic_id,
        category_id=category_id,
        subject=subject,
        reason=reason,
        before=before,
        after=after,
        public=public,
    )


# --- Coverage hours -------------------------------------------------------------------------------


@transaction.atomic
def coverage_hours_set(
    *, actor: AnyUser, schedule: Mapping[int, Iterable[Sequence[str]]]
) -> list[CoverageWindow]:
    """Replace the coverage hours: ``{weekday: [("09:00", "18:00"), ...]}`` (weekday 0 is
    Monday; "24:00" ends a day; an empty mapping means nobody is ever on duty)."""
    if not perms.can_set_coverage(actor):
        raise PermissionDenied(_("Only administrators may set coverage hours."))
    try:
        windows = coverage.windows_from_mapping(schedule)
    except (ValueError, TypeError) as exc:
        raise ValidationError(
            {"schedule": _("Give each day's hours as HH:MM to HH:MM, start before end.")}
        ) from exc
    before = [
        [w.weekday, coverage.format_minute(w.start_minute), coverage.format_minute(w.end_minute)]
        for w in selectors.coverage_windows()
    ]
    CoverageWindow.objects.all().delete()
    rows = CoverageWindow.objects.bulk_create(
        CoverageWindow(weekday=w.weekday, start_minute=w.start_minute, end_minute=w.end_minute)
        for w in windows
    )
    CoverageSchedule.objects.update_or_create(
        pk=1, defaults={"updated_at": timezone.now(), "updated_by_name": _name(actor)}
    )
    _audit(
        actor=actor,
        action="coverage.set",
        target_repr="coverage hours",
        before={"windows": before},
        after={
            "windows": [
                [
                    w.weekday,
                    coverage.format_minute(w.start_minute),
                    coverage.format_minute(w.end_minute),
                ]
                for w in windows
            ]
        },
    )
    return rows


# --- Review items ---------------------------------------------------------------------------------


def _item_for_post(post: Post, *, kind: str) -> tuple[ReviewItem, bool]:
    """The post's review item, locked, created pending of ``kind`` if missing."""
    item, created = ReviewItem.objects.get_or_create(
        post=post,
        defaults={
            "topic_id": post.topic_id,
            "category_id": post.topic.category_id,
            "author_id": post.author_id,
            "author_name": post.author_name,
            "kind": kind,
            "score": scoring.kind_bonus(kind, _policy()),
        },
    )
    return _lock_item(item.pk), created


def _item_for_member(member: User, *, kind: str) -> tuple[ReviewItem, bool]:
    item, created = ReviewItem.objects.get_or_create(
        member=member,
        defaults={
            "author_id": member.pk,
            "author_name": member.username,
            "kind": kind,
            "score": scoring.kind_bonus(kind, _policy()),
        },
    )
    return _lock_item(item.pk), created


_KIND_PRIORITY = {
    ItemKind.FLAGGED: 0,
    ItemKind.WATCHED: 1,
    ItemKind.HELD: 2,
    ItemKind.RECHECK: 3,
    ItemKind.APPEAL: 4,
}


def _item_queue(item: ReviewItem, *, kind: str, now: dt.datetime) -> ReviewItem:
    """Put ``item`` (locked) in the queue for ``kind``: reopen a decided item (a new round,
    its score restarting from the kind's bonus), or raise a pending item's kind when the new
    one matters more (an appeal outranks flags). Return the refreshed item."""
    policy = _policy()
    if item.status != ItemStatus.PENDING:
        ReviewItem.objects.filter(pk=item.pk).update(
            status=ItemStatus.PENDING,
            kind=kind,
            score=scoring.kind_bonus(kind, policy),
            flag_count=0,
            pending_since=now,
            escalated_at=None,
            claimed_by=None,
            claimed_by_name="",
            claimed_at=None,
        )
    elif _KIND_PRIORITY[kind] > _KIND_PRIORITY.get(item.kind, 0):
        delta = scoring.kind_bonus(kind, policy) - scoring.kind_bonus(item.kind, policy)
        ReviewItem.objects.filter(pk=item.pk).update(kind=kind, score=F("score") + delta)
    item.refresh_from_db()
    return item


def _claim_holder_id(item: ReviewItem, now: dt.datetime) -> int | None:
    if item.claimed_by_id is None or item.claimed_at is None:
        return None
    if item.claimed_at <= now - dt.timedelta(minutes=conf.CLAIM_MINUTES):
        return None  # the claim lapsed
    return item.claimed_by_id


def _other_moderator_exists(item: ReviewItem, *, excluding: int) -> bool:
    """Whether somebody else than ``excluding`` may moderate this item."""
    moderates = Q(
        groups__permissions__codename="moderate",
        groups__permissions__content_type__app_label="accounts",
    ) | Q(
        user_permissions__codename="moderate",
        user_permissions__content_type__app_label="accounts",
    )
    scope = Q(is_superuser=True) | moderates
    if item.category_id is not None:
        scope |= Q(moderated_categories=item.category_id)
    return User.objects.filter(scope, is_active=True).exclude(pk=excluding).exists()


def _check_reviewer(actor: User, item: ReviewItem, now: dt.datetime) -> None:
    holder = _claim_holder_id(item, now)
    if holder is not None and holder != actor.pk:
        raise ItemClaimed(
            _("%(name)s is already reviewing this item.") % {"name": item.claimed_by_name}
        )
    if (
        item.kind == ItemKind.APPEAL
        and item.excluded_moderator_id == actor.pk
        and _other_moderator_exists(item, excluding=actor.pk)
    ):
        raise PermissionDenied(
            _("You made the decision under appeal: another moderator reviews it.")
        )


@transaction.atomic
def item_claim(*, actor: User, item: ReviewItem) -> ReviewItem:
    """Claim a pending item so that no other moderator works on it at the same time. A claim
    lapses after ``MODERATION_CLAIM_MINUTES``."""
    item = _lock_item(item.pk)
    if not perms.can_moderate_item(actor, item):
        raise PermissionDenied(_("You may not moderate this item."))
    if item.status != ItemStatus.PENDING:
        raise ValidationError(_("This item was already decided."), code="conflict")
    now = timezone.now()
    _check_reviewer(actor, item, now)
    if item.claimed_by_id == actor.pk and _claim_holder_id(item, now) == actor.pk:
        return item
    ReviewItem.objects.filter(pk=item.pk).update(
        claimed_by=actor, claimed_by_name=actor.username, claimed_at=now
    )
    _audit(actor=actor, action="item.claim", item=item)
    item.refresh_from_db()
    return item


@transaction.atomic
def item_release(*, actor: User, item: ReviewItem) -> ReviewItem:
    """Give a claimed item back to the queue (the claimer, or a global moderator)."""
    item = _lock_item(item.pk)
    if not perms.can_moderate_item(actor, item):
        raise PermissionDenied(_("You may not moderate this item."))
    if item.claimed_by_id is None:
        return item
    if item.claimed_by_id != actor.pk and not perms.is_global_moderator(actor):
        raise PermissionDenied(_("Only the moderator who claimed this item may release it."))
    ReviewItem.objects.filter(pk=item.pk).update(
        claimed_by=None, claimed_by_name="", claimed_at=None
    )
    _audit(actor=actor, action="item.release", item=item)
    item.refresh_from_db()
    return item


# --- Flags ----------------------------------------------------------------------------------------


HIDDEN_BY_FLAGS_REASON = SystemReason(system_reasons.HIDDEN_BY_FLAGS)


def _daily_flag_limit(actor: User) -> int | None:
    if account_permissions.is_staff_role(actor):
        return None
    return conf.DAILY_FLAG_LIMITS.get(actor.trust_level)


def _flag_allowance_take(actor: User) -> None:
    limit = _daily_flag_limit(actor)
    if limit is None:
        return
    day = timezone.localdate()
    FlagAllowance.objects.get_or_create(user=actor, day=day)
    taken = FlagAllowance.objects.filter(user=actor, day=day, count__lt=limit).update(
        count=F("count") + 1
    )
    if not taken:
        raise FlagLimitReached(
            _(
                "You have reached your limit of %(limit)d flags per day. Thank you for "
                "helping: moderators will review your flags, and you can flag again tomorrow."
            )
            % {"limit": limit},
            limit=limit,
        )


def _flag_refusal(actor: AnyUser) -> str:
    return perms.flag_refusal_reason(actor) or _("You may not flag.")


def _flag_note(reason: str, note: str) -> str:
    if reason not in FlagReason.values:
        raise ValidationError({"reason": _("Choose a reason for your flag.")})
    note = _clean(note, 10 * conf.FLAG_NOTE_MAX_LENGTH)
    if len(note) > conf.FLAG_NOTE_MAX_LENGTH:
        raise ValidationError(
            {
                "note": _("Keep your note under %(max)d characters.")
                % {"max": conf.FLAG_NOTE_MAX_LENGTH}
            }
        )
    if reason == FlagReason.OTHER and not note:
        raise ValidationError(
            {"note": _("Tell the moderators what is wrong (a note is required).")}
        )
    return note


@transaction.atomic
def flag_create(
    *,
    actor: User,
    reason: str,
    note: str = "",
    post: Post | None = None,
    topic: Topic | None = None,
    member: User | None = None,
) -> Flag:
    """Flag a post, a topic (its first post) or a member's profile, once per member.

    Adds the flagger's weight to the content's review item; when the score reaches the hide
    threshold (lower outside coverage hours) the post is hidden at once, pending review.
    "Needs an official answer" goes to the staff queue instead (no score, no hiding).
    Raises PermissionDenied (trust level, sanctions, own content), ValidationError (bad
    reason, note, already flagged, content not flaggable) or FlagLimitReached."""
    targets = [t for t in (post, topic, member) if t is not None]
    if len(targets) != 1:
        raise ValidationError(_("Flag one post, topic or profile."))
    if not perms.can_flag(actor):
        raise PermissionDenied(_flag_refusal(actor))
    note = _flag_note(reason, note)
    now = timezone.now()
    if member is not None:
        return _flag_member(actor=actor, member=member, reason=reason, note=note, now=now)

    on_topic = topic is not None
    if on_topic:
        post_id = Post.objects.filter(topic=topic, number=1).values_list("pk", flat=True).first()
        if post_id is None:
            raise ValidationError(_("This topic cannot be flagged."))
    else:
        post_id = post.pk
    post = _lock_post(post_id)
    if post.author_id == actor.pk:
        raise PermissionDenied(_("You cannot flag your own post."))
    if not perms.can_flag_post(actor, post):
        if post.state == ContentState.HIDDEN:
            raise ValidationError(_("This post is already hidden and waiting for a moderator."))
        raise ValidationError(_("This post cannot be flagged."))

    if reason == FlagReason.NEEDS_OFFICIAL_ANSWER:
        return _flag_to_staff(actor=actor, post=post, note=note, on_topic=on_topic, now=now)

    item, _created = _item_for_post(post, kind=ItemKind.FLAGGED)
    item = _item_queue(item, kind=ItemKind.FLAGGED, now=now)
    weight = _flag_weight(actor, reason)
    flag = _flag_insert(
        item=item,
        post=post,
        on_topic=on_topic,
        actor=actor,
        reason=reason,
        note=note,
        weight=weight,
        now=now,
    )
    _flag_allowance_take(actor)
    ReviewItem.objects.filter(pk=item.pk).update(
        score=F("score") + weight, flag_count=F("flag_count") + 1
    )
    item.refresh_from_db(fields=["score", "flag_count"])
    _audit(
        actor=actor,
        action="flag.create",
        role="member" if not account_permissions.is_staff_role(actor) else None,
        item=item,
        post=post,
        reason=f"{reason}: {note}" if note else reason,
        after={"score": item.score, "weight": weight},
    )
    on_duty = selectors.coverage_is_on_duty(now)
    threshold = scoring.hide_threshold(on_duty=on_duty, policy=_policy())
    hidden = False
    if post.state == ContentState.VISIBLE and item.score >= threshold:
        _hide_by_flags(item=item, post=post, on_duty=on_duty, threshold=threshold, now=now)
        hidden = True
    events.content_flagged.send(
        sender=Flag,
        flag_id=flag.pk,
        flagger_id=actor.pk,
        item_id=item.pk,
        staff_request_id=None,
        post_id=post.pk,
        topic_id=post.topic_id,
        member_id=None,
        category_id=post.topic.category_id,
        reason=reason,
        score=item.score,
        hidden=hidden,
        routed_to="moderators",
    )
    return flag


def _flag_weight(actor: User, reason: str) -> float:
    record, _created = FlaggerRecord.objects.get_or_create(user=actor)
    return scoring.flag_weight(
        trust_level=actor.trust_level,
        is_staff=account_permissions.is_staff_role(actor),
        agreed=record.agreed,
        disagreed=record.disagreed,
        reason=reason,
        policy=_policy(),
    )


def _flag_insert(**fields: Any) -> Flag:
    actor = fields.pop("actor")
    now = fields.pop("now")
    try:
        with transaction.atomic():
            return Flag.objects.create(
                flagger=actor, flagger_name=actor.username, created_at=now, **fields
            )
    except IntegrityError as exc:
        raise ValidationError(
            _("You have already flagged this. Thank you: moderators will look at it."),
            code="already_flagged",
        ) from exc


def _hide_by_flags(
    *, item: ReviewItem, post: Post, on_duty: bool, threshold: float, now: dt.datetime
) -> None:
    with acting():
        community_services.post_hide(actor=None, post=post, reason=HIDDEN_BY_FLAGS_REASON)
    ReviewItem.objects.filter(pk=item.pk).update(hidden_by_flags_at=now)
    item.hidden_by_flags_at = now
    _audit(
        actor=None,
        action="content.hide_by_flags",
        role="community",
        item=item,
        post=post,
        reason=HIDDEN_BY_FLAGS_REASON,
        before={"state": ContentState.VISIBLE},
        after={
            "state": ContentState.HIDDEN,
            "score": item.score,
            "threshold": threshold,
            "on_duty": on_duty,
        },
        public=True,
    )
    events.content_hidden.send(
        sender=ReviewItem,
        item_id=item.pk,
        post_id=post.pk,
        topic_id=post.topic_id,
        category_id=post.topic.category_id,
        author_id=post.author_id,
        by_flags=True,
        on_duty=on_duty,
        **reasons.event_fields(HIDDEN_BY_FLAGS_REASON),
    )
    if post.author_id:
        _auto_silence_check(author_id=post.author_id, now=now)


def _auto_silence_check(*, author_id: int, now: dt.datetime) -> Sanction | None:
    """Silence a member whose posts the community hid ``AUTO_SILENCE_HIDDEN_POSTS`` times in
    24 hours (until a moderator looks), unless they are staff or already silenced."""
    threshold = conf.AUTO_SILENCE_HIDDEN_POSTS
    if not threshold:
        return None
    hidden = ReviewItem.objects.filter(
        author_id=author_id, hidden_by_flags_at__gte=now - dt.timedelta(hours=24)
    ).count()
    if hidden < threshold:
        return None
    member = User.objects.get(pk=author_id)
    if (
        account_permissions.is_staff_role(member)
        or perms.member_restrictions(member, refresh=True).silenced
    ):
        return None
    return _sanction_write(
        actor=None,
        member=member,
        kind=Sanction.Kind.SILENCE,
        ends_at=now + dt.timedelta(hours=conf.AUTO_SILENCE_HOURS),
        reason=SystemReason(system_reasons.AUTO_SILENCE, {"count": hidden}),
        rule=None,
        item=None,
        automatic=True,
        now=now,
    )


def _flag_member(*, actor: User, member: User, reason: str, note: str, now: dt.datetime) -> Flag:
    if member.pk == actor.pk:
        raise PermissionDenied(_("You cannot flag your own profile."))
    if not perms.can_flag_member(actor, member):
        raise ValidationError(_("This profile cannot be flagged."))
    if reason == FlagReason.NEEDS_OFFICIAL_ANSWER:
        raise ValidationError({"reason": _("Only topics and posts can need an official answer.")})
    item, _created = _item_for_member(member, kind=ItemKind.FLAGGED)
    item = _item_queue(item, kind=ItemKind.FLAGGED, now=now)
    weight = _flag_weight(actor, reason)
    flag = _flag_insert(
        item=item, member=member, actor=actor, reason=reason, note=note, weight=weight, now=now
    )
    _flag_allowance_take(actor)
    ReviewItem.objects.filter(pk=item.pk).update(
        score=F("score") + weight, flag_count=F("flag_count") + 1
    )
    item.refresh_from_db(fields=["score", "flag_count"])
    _audit(
        actor=actor,
        action="flag.create",
        role="member" if not account_permissions.is_staff_role(actor) else None,
        item=item,
        reason=f"{reason}: {note}" if note else reason,
        after={"score": item.score, "weight": weight},
    )
    events.content_flagged.send(
        sender=Flag,
        flag_id=flag.pk,
        flagger_id=actor.pk,
        item_id=item.pk,
        staff_request_id=None,
        post_id=None,
        topic_id=None,
        member_id=member.pk,
        category_id=None,
        reason=reason,
        score=item.score,
        hidden=False,
        routed_to="moderators",
    )
    return flag


def _flag_to_staff(*, actor: User, post: Post, note: str, on_topic: bool, now: dt.datetime) -> Flag:
    request = _staff_request_open(
        actor=actor,
        topic=post.topic,
        post=post,
        source=StaffRequest.Source.FLAG,
        note=note,
        team=None,
        now=now,
    )
    flag = _flag_insert(
        item=None,
        staff_request=request,
        post=post,
        on_topic=on_topic,
        actor=actor,
        reason=FlagReason.NEEDS_OFFICIAL_ANSWER,
        note=note,
        weight=0.0,
        status=FlagStatus.ROUTED,
        now=now,
    )
    _flag_allowance_take(actor)
    _audit(
        actor=actor,
        action="flag.official_answer",
        role="member" if not account_permissions.is_staff_role(actor) else None,
        post=post,
        reason=note,
        after={"staff_request": request.pk},
    )
    events.content_flagged.send(
        sender=Flag,
        flag_id=flag.pk,
        flagger_id=actor.pk,
        item_id=None,
        staff_request_id=request.pk,
        post_id=post.pk,
        topic_id=post.topic_id,
        member_id=None,
        category_id=post.topic.category_id,
        reason=FlagReason.NEEDS_OFFICIAL_ANSWER,
        score=0.0,
        hidden=False,
        routed_to="staff",
    )
    return flag


# --- Holding before publication (called by moderation.handlers) -------------------------------


def post_hold_for_review(*, post: Post, reason: str | SystemReason, detail: str = "") -> ReviewItem:
    """Hold a just-submitted visible post (watched word, spam signal, probation) through
    ``community.services.post_hold`` and queue it. Runs inside the submitting transaction."""
    with acting():
        post = community_services.post_hold(actor=None, post=post, reason=reason)
    return held_post_queue(post=post, reason=reason, detail=detail)


def held_post_queue(*, post: Post, reason: str | SystemReason = "", detail: str = "") -> ReviewItem:
    """Make sure a held post has a pending review item (idempotent: community's own
    pre-moderation holds are queued from its ``post_created`` event). Without a ``reason``
    the post's own (its code included) is the item's."""
    now = timezone.now()
    item, created = _item_for_post(post, kind=ItemKind.HELD)
    if not created and item.status == ItemStatus.PENDING and item.kind == ItemKind.HELD:
        return item
    item = _item_queue(item, kind=ItemKind.HELD, now=now)
    if not reason and post.state_reason_code and reasons.is_known(post.state_reason_code):
        reason = SystemReason(post.state_reason_code, post.state_reason_params or {})
    _held_reason_set(item, reason or post.state_reason)
    _audit(
        actor=None,
        action="content.hold",
        role="system",
        item=item,
        post=post,
        reason=reason or post.state_reason,
        detail=detail,
        before={"state": ContentState.VISIBLE},
        after={"state": ContentState.HELD},
    )
    return item


def _held_reason_set(item: ReviewItem, reason: str | SystemReason) -> None:
    text, code, params = reasons.split(reason)
    fields = {
        "held_reason": _clean(text, 500),
        "held_reason_code": code,
        "held_reason_params": params,
    }
    ReviewItem.objects.filter(pk=item.pk).update(**fields)
    for name, value in fields.items():
        setattr(item, name, value)


def post_watch_flag(*, post: Post, reason: str | SystemReason) -> ReviewItem:
    """Queue a published post that matched a "flag" watched word."""
    now = timezone.now()
    item, _created = _item_for_post(post, kind=ItemKind.WATCHED)
    item = _item_queue(item, kind=ItemKind.WATCHED, now=now)
    _held_reason_set(item, reason)
    _audit(
        actor=None, action="content.watch_flag", role="system", item=item, post=post, reason=reason
    )
    return item


def post_recheck_queue(*, post: Post) -> ReviewItem | None:
    """A hidden post edited by its author goes back to the queue for a quick re-check."""
    if post.state != ContentState.HIDDEN:
        return None
    now = timezone.now()
    item, _created = _item_for_post(post, kind=ItemKind.RECHECK)
    item = _item_queue(item, kind=ItemKind.RECHECK, now=now)
    _audit(
        actor=post.author,
        action="item.recheck",
        role="member",
        item=item,
        post=post,
        reason=SystemReason(system_reasons.AUTHOR_EDITED_HIDDEN),
    )
    return item


def item_category_sync(*, topic_id: int, category_id: int) -> int:
    """Keep the items of a moved topic in its new category (for scopes and filters)."""
    return ReviewItem.objects.filter(topic_id=topic_id).update(category_id=category_id)


# --- Decisions ------------------------------------------------------------------------------------


@dataclass
class _DecisionReason:
    text: str = ""
    rule: CommunityRule | None = None


def _decision_reason(
    reason: str, rule: CommunityRule | None, removal_reason: RemovalReason | None
) -> _DecisionReason:
    text = _clean(reason, MAX_REASON_LENGTH)
    if removal_reason is not None:
        text = text or removal_reason.message
        rule = rule or removal_reason.rule
    return _DecisionReason(text=text, rule=rule)


def _apply_content_action(
    *,
    actor: User,
    item: ReviewItem,
    post: Post | None,
    action: str,
    why: _DecisionReason,
    note: str,
    body: str | None,
    category: Category | None,
) -> None:
    if post is None:
        if action in _CONTENT_ACTIONS:
            raise ValidationError({"action": _("This action applies to posts, not profiles.")})
        return
    with acting():
        if action == Action.KEEP:
            if post.state == ContentState.HELD:
                community_services.post_approve(actor=actor, post=post, reason=why.text)
            elif post.state in (ContentState.HIDDEN, ContentState.REMOVED):
                community_services.post_unhide(actor=actor, post=post, reason=why.text)
        elif action == Action.HIDE:
            if post.state == ContentState.REMOVED:
                raise ValidationError({"action": _("This post is already removed.")})
            community_services.post_hide(actor=actor, post=post, reason=why.text)
        elif action == Action.REMOVE:
            community_services.post_remove(actor=actor, post=post, reason=why.text)
        elif action == Action.EDIT:
            if not body or not str(body).strip():
                raise ValidationError({"body": _("Give the corrected text.")})
            community_services.post_edit(actor=actor, post=post, body=body, note=note or why.text)
            post.refresh_from_db()
            if post.state == ContentState.HELD:
                community_services.post_approve(actor=actor, post=post, reason=why.text)
            elif post.state == ContentState.HIDDEN:
                community_services.post_unhide(actor=actor, post=post, reason=why.text)
        elif action == Action.LOCK:
            community_services.topic_lock(actor=actor, topic=post.topic)
        elif action == Action.MOVE:
            if category is None:
                raise ValidationError({"category": _("Choose the category to move to.")})
            community_services.topic_move(actor=actor, topic=post.topic, category=category)
            item_category_sync(topic_id=post.topic_id, category_id=category.pk)


def _apply_member_action(
    *,
    actor: User,
    item: ReviewItem,
    action: str,
    why: _DecisionReason,
    days: int | None,
    permanent: bool,
    warning_level: int,
) -> None:
    if action not in (Action.WARN, Action.PROBATION, Action.SILENCE, Action.SUSPEND):
        return
    member_id = item.author_id or item.member_id
    member = User.objects.filter(pk=member_id).first() if member_id else None
    if member is None:
        raise ValidationError(_("The author's account no longer exists."))
    if action == Action.WARN:
        warning_create(
            actor=actor,
            member=member,
            level=warning_level,
            reason=why.text,
            rule=why.rule,
            item=item,
        )
        return
    kind = {
        Action.PROBATION: Sanction.Kind.PROBATION,
        Action.SILENCE: Sanction.Kind.SILENCE,
        Action.SUSPEND: Sanction.Kind.SUSPEND,
    }[action]
    sanction_create(
        actor=actor,
        member=member,
        kind=kind,
        days=days,
        permanent=permanent,
        reason=why.text,
        rule=why.rule,
        item=item,
    )


@transaction.atomic
def item_decide(
    *,
    actor: User,
    item: ReviewItem,
    action: str,
    reason: str = "",
    rule: CommunityRule | None = None,
    removal_reason: RemovalReason | None = None,
    days: int | None = None,
    permanent: bool = False,
    note: str = "",
    body: str | None = None,
    category: Category | None = None,
    warning_level: int = MemberWarning.Level.FORMAL,
) -> ReviewItem:
    """Decide a pending review item, in one transaction whatever its number of flags.

    ``action``: keep (flags disagreed; a held post is published, a hidden one shown again),
    hide, remove (``reason`` or ``removal_reason`` required, sent to the author), edit
    (``body``, with ``note`` to the author; the post is shown again), lock / move
    (``category``) the topic, warn (``warning_level``), probation / silence / suspend
    (``days``, or ``permanent`` for a suspension; without them the penalty ladder suggests
    a duration), ignore (flags deferred, content left as it is).

    Every flag of the round is resolved (agreed, disagreed or ignored) and its flagger's
    record updated; a pending appeal is granted (keep) or denied (anything else)."""
    if action not in Action.values:
        raise ValidationError({"action": _("Choose an action.")})
    snapshot = ReviewItem.objects.filter(pk=item.pk).values_list("post_id", flat=True).first()
    post = _lock_post(snapshot) if snapshot else None
    item = _lock_item(item.pk)
    if not perms.can_take_action(actor, item, action):
        raise PermissionDenied(_("You may not take this action on this item."))
    now = timezone.now()
    _check_reviewer(actor, item, now)
    if item.status != ItemStatus.PENDING:
        raise ValidationError(_("This item was already decided."), code="conflict")
    why = _decision_reason(reason, rule, removal_reason)
    if action in _REASON_REQUIRED and not why.text:
        raise ValidationError({"reason": _("Give a reason: the member will read it.")})
    note = _clean(note, 500)
    old_state = post.state if post is not None else None

    _apply_content_action(
        actor=actor,
        item=item,
        post=post,
        action=action,
        why=why,
        note=note,
        body=body,
        category=category,
    )
    _apply_member_action(
        actor=actor,
        item=item,
        action=action,
        why=why,
        days=days,
        permanent=permanent,
        warning_level=warning_level,
    )
    new_state = (
        Post.objects.filter(pk=post.pk).values_list("state", flat=True).first() if post else None
    )

    outcome = {Action.KEEP: FlagStatus.DISAGREED, Action.IGNORE: FlagStatus.IGNORED}.get(
        action, FlagStatus.AGREED
    )
    flagger_ids = _flags_resolve(item=item, outcome=outcome, now=now)
    appeal = Appeal.objects.filter(item=item, status=Appeal.Status.PENDING).first()
    appeal_status = None
    if appeal is not None:
        appeal_status = Appeal.Status.GRANTED if action == Action.KEEP else Appeal.Status.DENIED
        Appeal.objects.filter(pk=appeal.pk).update(
            status=appeal_status,
            decided_at=now,
            decided_by=actor,
            decided_by_name=actor.username,
            decided_reason=why.text,
        )
    ReviewItem.objects.filter(pk=item.pk).update(
        status=ItemStatus.IGNORED if action == Action.IGNORE else ItemStatus.RESOLVED,
        resolution=action,
        resolved_at=now,
        resolved_by=actor,
        resolved_by_name=actor.username,
        resolved_reason=why.text,
        claimed_by=None,
        claimed_by_name="",
        claimed_at=None,
        flag_count=0,
    )
    role = perms.actor_role(actor, item)
    _audit(
        actor=actor,
        action=f"item.{action}",
        role=role,
        item=item,
        post=post,
        reason=why.text,
        rule=why.rule,
        before={"state": old_state, "kind": item.kind, "score": item.score},
        after={
            "state": new_state,
            "flags": outcome if flagger_ids else None,
            "flaggers": len(flagger_ids),
            "appeal": appeal_status,
            **({"note": note} if note else {}),
            **({"category": category.pk} if category is not None else {}),
        },
        public=action in _PUBLIC_ACTIONS,
    )
    if action in (Action.HIDE, Action.REMOVE) and old_state != new_state and post is not None:
        events.content_hidden.send(
            sender=ReviewItem,
            item_id=item.pk,
            post_id=post.pk,
            topic_id=post.topic_id,
            category_id=post.topic.category_id,
            author_id=post.author_id,
            by_flags=False,
            on_duty=None,
            reason=why.text,
        )
    events.decision_made.send(
        sender=ReviewItem,
        item_id=item.pk,
        action=action,
        actor_id=actor.pk,
        actor_role=role,
        author_id=item.author_id or item.member_id,
        flagger_ids=flagger_ids,
        flag_outcome=outcome if flagger_ids else None,
        post_id=item.post_id,
        topic_id=item.topic_id,
        member_id=item.member_id,
        category_id=item.category_id,
        reason=why.text,
        rule_number=why.rule.number if why.rule else None,
        appeal_id=appeal.pk if appeal else None,
        appeal_status=appeal_status,
        old_state=old_state,
        new_state=new_state,
    )
    item.refresh_from_db()
    return item


def _flags_resolve(*, item: ReviewItem, outcome: str, now: dt.datetime) -> list[int]:
    """Resolve the round's pending flags and count the outcome on their flaggers' records.
    Three queries, whatever the number of flags."""
    pending = Flag.objects.filter(item=item, status=FlagStatus.PENDING)
    flagger_ids = list(
        pending.filter(flagger__isnull=False).values_list("flagger_id", flat=True).distinct()
    )
    if flagger_ids:
        counter = {
            FlagStatus.AGREED: "agreed",
            FlagStatus.DISAGREED: "disagreed",
            FlagStatus.IGNORED: "ignored",
        }[outcome]
        FlaggerRecord.objects.filter(
            user_id__in=pending.filter(flagger__isnull=False).values("flagger_id")
        ).update(**{counter: F(counter) + 1})
    pending.update(status=outcome, resolved_at=now)
    return flagger_ids


@dataclass
class BulkResult:
    decided: list[int] = field(default_factory=list)
    refused: dict[int, str] = field(default_factory=dict)


def items_decide_bulk(
    *,
    actor: User,
    items: Iterable[ReviewItem],
    action: str,
    reason: str = "",
    rule: CommunityRule | None = None,
    removal_reason: RemovalReason | None = None,
) -> BulkResult:
    """Apply one action (keep, hide, remove, ignore, lock) to a selection. Each item is its
    own transaction: one refusal (claimed by somebody else, out of scope) does not undo the
    others; the result lists what was decided and why the rest was refused."""
    if action not in BULK_ACTIONS:
        raise ValidationError({"action": _("This action cannot be applied to a selection.")})
    if not perms.can_review_queue(actor):
        raise PermissionDenied(_("You may not moderate."))
    result = BulkResult()
    for item in items:
        try:
            item_decide(
                actor=actor,
                item=item,
                action=action,
                reason=reason,
                rule=rule,
                removal_reason=removal_reason,
            )
        except (PermissionDenied, ValidationError) as exc:
            messages = getattr(exc, "messages", None) or [str(exc)]
            result.refused[item.pk] = " ".join(str(m) for m in messages)
        else:
            result.decided.append(item.pk)
    return result


# --- Appeals --------------------------------------------------------------------------------------


def _appeal_message(message: str) -> str:
    message = _clean(message, 10 * MAX_REASON_LENGTH)
    if not message:
        raise ValidationError({"message": _("Tell the moderators why the decision is wrong.")})
    if len(message) > MAX_REASON_LENGTH:
        raise ValidationError(
            {
                "message": _("Keep your appeal under %(max)d characters.")
                % {"max": MAX_REASON_LENGTH}
            }
        )
    return message


@transaction.atomic
def appeal_file(
    *,
    actor: User,
    message: str,
    post: Post | None = None,
    sanction: Sanction | None = None,
) -> Appeal:
    """Appeal, once, against a hidden or removed post of one's own, or one's own sanction.
    The item goes back to the queue (ranked high) for a moderator other than the one who
    decided, when there is one."""
    if (post is None) == (sanction is None):
        raise ValidationError(_("Appeal one post or one sanction."))
    message = _appeal_message(message)
    now = timezone.now()
    if post is not None:
        post = _lock_post(post.pk)
        if not perms.can_appeal_post(actor, post):
            raise PermissionDenied(_("You can appeal only your own hidden or removed posts."))
        item, _created = _item_for_post(post, kind=ItemKind.APPEAL)
        if Appeal.objects.filter(item=item, sanction__isnull=True).exists():
            raise ValidationError(_("You have already appealed this decision."))
        if item.status != ItemStatus.PENDING and item.resolved_by_id:
            excluded = item.resolved_by_id
        else:
            excluded = post.state_changed_by_id
        appealed_state = post.state
    else:
        sanction = Sanction.objects.select_for_update().get(pk=sanction.pk)
        if not perms.can_appeal_sanction(actor, sanction):
            raise PermissionDenied(_("You can appeal only your own active sanction."))
        if Appeal.objects.filter(sanction=sanction).exists():
            raise ValidationError(_("You have already appealed this decision."))
        item, _created = _item_for_member(actor, kind=ItemKind.APPEAL)
        excluded = sanction.created_by_id
        appealed_state = sanction.kind
    item = _item_queue(item, kind=ItemKind.APPEAL, now=now)
    ReviewItem.objects.filter(pk=item.pk).update(excluded_moderator_id=excluded)
    item.excluded_moderator_id = excluded
    try:
        with transaction.atomic():
            appeal = Appeal.objects.create(
                item=item,
                sanction=sanction,
                author=actor,
                author_name=actor.username,
                message=message,
                appealed_state=appealed_state,
                created_at=now,
            )
    except IntegrityError as exc:
        raise ValidationError(_("You have already appealed this decision.")) from exc
    _audit(
        actor=actor,
        action="appeal.file",
        role="member",
        item=item,
        post=post,
        reason=message,
        after={"appeal": appeal.pk, "sanction": sanction.pk if sanction else None},
    )
    events.appeal_filed.send(
        sender=Appeal,
        appeal_id=appeal.pk,
        item_id=item.pk,
        author_id=actor.pk,
        sanction_id=sanction.pk if sanction else None,
        excluded_moderator_id=excluded,
    )
    return appeal


@transaction.atomic
def appeal_decide(*, actor: User, appeal: Appeal, grant: bool, reason: str = "") -> Appeal:
    """Grant or deny an appeal. A content appeal is decided through :func:`item_decide`
    (granted: keep, the post is shown again; denied: the post stays hidden or removed); a
    sanction appeal lifts the sanction when granted. A denial needs a reason."""
    appeal = Appeal.objects.select_related("item", "sanction").get(pk=appeal.pk)
    if appeal.status != Appeal.Status.PENDING:
        raise ValidationError(_("This appeal was already decided."))
    why = _clean(reason, MAX_REASON_LENGTH)
    if not grant and not why:
        raise ValidationError({"reason": _("Give a reason: the member will read it.")})
    if appeal.sanction_id is None:
        post_state = (
            Post.objects.filter(pk=appeal.item.post_id).values_list("state", flat=True).first()
        )
        if grant:
            action = Action.KEEP
        else:
            action = Action.REMOVE if post_state == ContentState.REMOVED else Action.HIDE
        item_decide(actor=actor, item=appeal.item, action=action, reason=why)
        appeal.refresh_from_db()
        return appeal

    item = _lock_item(appeal.item_id)
    sanction = appeal.sanction
    member = User.objects.get(pk=sanction.member_id)
    if not perms.can_sanction_member(actor, member):
        raise PermissionDenied(_("You may not review this appeal."))
    now = timezone.now()
    _check_reviewer(actor, item, now)
    if grant and sanction.lifted_at is None:
        sanction_lift(
            actor=actor,
            sanction=sanction,
            reason=why or SystemReason(system_reasons.APPEAL_GRANTED),
        )
    status = Appeal.Status.GRANTED if grant else Appeal.Status.DENIED
    Appeal.objects.filter(pk=appeal.pk).update(
        status=status,
        decided_at=now,
        decided_by=actor,
        decided_by_name=actor.username,
        decided_reason=why,
    )
    if item.flag_count == 0:
        ReviewItem.objects.filter(pk=item.pk).update(
            status=ItemStatus.RESOLVED,
            resolution=Action.KEEP if grant else Action.IGNORE,
            resolved_at=now,
            resolved_by=actor,
            resolved_by_name=actor.username,
            resolved_reason=why,
            claimed_by=None,
            claimed_by_name="",
            claimed_at=None,
        )
    else:  # profile flags still wait: the item stays, as a flagged item again
        delta = scoring.kind_bonus(ItemKind.FLAGGED, _policy()) - scoring.kind_bonus(
            ItemKind.APPEAL, _policy()
        )
        ReviewItem.objects.filter(pk=item.pk).update(
            kind=ItemKind.FLAGGED, score=F("score") + delta
        )
    role = perms.actor_role(actor, item)
    _audit(
        actor=actor,
        action=f"appeal.{status}",
        role=role,
        item=item,
        subject=member,
        reason=why,
        before={"sanction": sanction.kind, "appeal": Appeal.Status.PENDING},
        after={"appeal": status},
    )
    events.decision_made.send(
        sender=ReviewItem,
        item_id=item.pk,
        action="appeal",
        actor_id=actor.pk,
        actor_role=role,
        author_id=member.pk,
        flagger_ids=[],
        flag_outcome=None,
        post_id=None,
        topic_id=None,
        member_id=member.pk,
        category_id=None,
        reason=why,
        rule_number=None,
        appeal_id=appeal.pk,
        appeal_status=status,
        old_state=sanction.kind,
        new_state="lifted" if grant else sanction.kind,
    )
    appeal.refresh_from_db()
    return appeal


# --- Sanctions and warnings ----------------------------------------------------------------------


def _sanction_write(
    *,
    actor: AnyUser,
    member: User,
    kind: str,
    ends_at: dt.datetime | None,
    reason: str | SystemReason,
    rule: CommunityRule | None,
    item: ReviewItem | None,
    automatic: bool,
    now: dt.datetime,
) -> Sanction:
    reason_text, reason_code, reason_params = reasons.split(reason, MAX_REASON_LENGTH)
    sanction = Sanction.objects.create(
        member=member,
        kind=kind,
        starts_at=now,
        ends_at=ends_at,
        reason=reason_text,
        reason_code=reason_code,
        reason_params=reason_params,
        rule=rule,
        item=item,
        automatic=automatic,
        created_at=now,
        created_by=actor if _active(actor) else None,
        created_by_name=_name(actor),
    )
    perms.forget_restrictions(member)
    perms.restrictions_cache_forget(member.pk)
    role = "system" if automatic else perms.actor_role(actor)
    _audit(
        actor=actor,
        action=f"sanction.{kind}",
        role=role,
        item=item,
        subject=member,
        reason=reason,
        rule=rule,
        after={"sanction": sanction.pk, "ends_at": ends_at.isoformat() if ends_at else None},
    )
    events.member_sanctioned.send(
        sender=Sanction,
        member_id=member.pk,
        kind=kind,
        sanction_id=sanction.pk,
        warning_id=None,
        ends_at=ends_at,
        actor_id=actor.pk if _active(actor) else None,
        actor_role=role,
        **reasons.event_fields(reason),
        rule_number=rule.number if rule else None,
        automatic=automatic,
    )
    return sanction


@transaction.atomic
def sanction_create(
    *,
    actor: User,
    member: User,
    kind: str,
    reason: str,
    days: int | None = None,
    permanent: bool = False,
    rule: CommunityRule | None = None,
    item: ReviewItem | None = None,
) -> Sanction:
    """Probation (posts held for review), silence (read-only) or suspension (logged out) for
    ``days`` days, or for good (``permanent``, suspensions only). Without ``days``, probation
    lasts ``PROBATION_DEFAULT_DAYS`` and silence/suspension follow the penalty ladder."""
    if kind not in Sanction.Kind.values:
        raise ValidationError({"kind": _("Choose probation, silence or suspension.")})
    if not perms.can_sanction_member(actor, member):
        raise PermissionDenied(_("You may not sanction this member."))
    reason = _clean(reason, MAX_REASON_LENGTH)
    if not reason:
        raise ValidationError({"reason": _("Give a reason: the member will read it.")})
    now = timezone.now()
    if permanent:
        if kind != Sanction.Kind.SUSPEND:
            raise ValidationError({"days": _("Only a suspension can be for good.")})
        ends_at = None
    elif days is not None:
        if isinstance(days, bool) or not 1 <= int(days) <= MAX_SANCTION_DAYS:
            raise ValidationError(
                {"days": _("Choose between 1 and %(max)d days.") % {"max": MAX_SANCTION_DAYS}}
            )
        ends_at = now + dt.timedelta(days=int(days))
    elif kind == Sanction.Kind.PROBATION:
        ends_at = now + dt.timedelta(days=conf.PROBATION_DEFAULT_DAYS)
    else:
        hours = selectors.penalty_suggestion_hours(member=member, now=now) or 24
        ends_at = now + dt.timedelta(hours=hours)
    return _sanction_write(
        actor=actor,
        member=member,
        kind=kind,
        ends_at=ends_at,
        reason=reason,
        rule=rule,
        item=item,
        automatic=False,
        now=now,
    )


def probation_start(
    *,
    actor: User,
    member: User,
    reason: str,
    days: int | None = None,
    rule: CommunityRule | None = None,
    item: ReviewItem | None = None,
) -> Sanction:
    """Hold every post of ``member`` for review for ``days`` days."""
    return sanction_create(
        actor=actor,
        member=member,
        kind=Sanction.Kind.PROBATION,
        reason=reason,
        days=days,
        rule=rule,
        item=item,
    )


@transaction.atomic
def sanction_lift(*, actor: User, sanction: Sanction, reason: str | SystemReason = "") -> Sanction:
    """End a sanction now."""
    sanction = Sanction.objects.select_for_update().select_related("member").get(pk=sanction.pk)
    if not perms.can_sanction_member(actor, sanction.member):
        raise PermissionDenied(_("You may not lift this sanction."))
    if sanction.lifted_at is not None:
        return sanction
    now = timezone.now()
    if not isinstance(reason, SystemReason):
        reason = _clean(reason, MAX_REASON_LENGTH)
    lifted_text, lifted_code, lifted_params = reasons.split(reason, MAX_REASON_LENGTH)
    Sanction.objects.filter(pk=sanction.pk).update(
        lifted_at=now,
        lifted_by=actor,
        lifted_by_name=actor.username,
        lifted_reason=lifted_text,
        lifted_reason_code=lifted_code,
        lifted_reason_params=lifted_params,
    )
    perms.forget_restrictions(sanction.member)
    perms.restrictions_cache_forget(sanction.member_id)
    role = perms.actor_role(actor)
    _audit(
        actor=actor,
        action="sanction.lift",
        role=role,
        subject=sanction.member,
        reason=reason,
        before={"sanction": sanction.pk, "kind": sanction.kind},
        after={"lifted": True},
    )
    events.member_sanctioned.send(
        sender=Sanction,
        member_id=sanction.member_id,
        kind="lifted",
        sanction_id=sanction.pk,
        warning_id=None,
        ends_at=now,
        actor_id=actor.pk,
        actor_role=role,
        **reasons.event_fields(reason),
        rule_number=None,
        automatic=False,
    )
    sanction.refresh_from_db()
    return sanction


@transaction.atomic
def warning_create(
    *,
    actor: User,
    member: User,
    reason: str,
    level: int = MemberWarning.Level.FORMAL,
    rule: CommunityRule | None = None,
    item: ReviewItem | None = None,
) -> MemberWarning:
    """Record a structured warning on ``member``; it decays after ``WARNING_DECAY_DAYS``."""
    if not perms.can_warn_member(actor, member, item):
        raise PermissionDenied(_("You may not warn this member."))
    if level not in MemberWarning.Level.values:
        raise ValidationError({"level": _("Choose a reminder, a formal or a final warning.")})
    reason = _clean(reason, MAX_REASON_LENGTH)
    if not reason:
        raise ValidationError({"reason": _("Give a reason: the member will read it.")})
    now = timezone.now()
    warning = MemberWarning.objects.create(
        member=member,
        level=level,
        reason=reason,
        rule=rule,
        item=item,
        created_at=now,
        created_by=actor,
        created_by_name=actor.username,
        expires_at=now + dt.timedelta(days=conf.WARNING_DECAY_DAYS),
    )
    role = perms.actor_role(actor, item)
    _audit(
        actor=actor,
        action="warning.create",
        role=role,
        item=item,
        subject=member,
        reason=reason,
        rule=rule,
        after={"warning": warning.pk, "level": level},
    )
    events.member_sanctioned.send(
        sender=MemberWarning,
        member_id=member.pk,
        kind="warning",
        sanction_id=None,
        warning_id=warning.pk,
        ends_at=warning.expires_at,
        actor_id=actor.pk,
        actor_role=role,
        reason=reason,
        rule_number=rule.number if rule else None,
        automatic=False,
    )
    return warning


# --- Moderator notes ----------------------------------------------------------------------------


@transaction.atomic
def moderator_note_create(*, actor: User, member: User, body: str) -> ModeratorNote:
    """Add a note on a member's profile, visible to moderators only."""
    if not perms.can_view_moderator_notes(actor):
        raise PermissionDenied(_("Only moderators may write notes on members."))
    body = _clean(body, 4000)
    if not body:
        raise ValidationError({"body": _("Write the note.")})
    note = ModeratorNote.objects.create(
        member=member, body=body, created_by=actor, created_by_name=actor.username
    )
    _audit(actor=actor, action="note.create", subject=member, reason=body)
    return note


# --- Watched words ------------------------------------------------------------------------------


def _limits() -> dict[str, int]:
    return {
        "max_length": conf.WATCHED_WORD_MAX_PATTERN_LENGTH,
        "max_repeat": conf.WATCHED_WORD_MAX_REPEAT,
    }


def _watched_word_validate(word: WatchedWord) -> None:
    word.pattern = str(word.pattern or "").strip()
    if word.action not in WatchedWord.WatchedAction.values:
        raise ValidationError({"action": _("Choose an action: block, hold, flag or replace.")})
    if word.action == WatchedWord.WatchedAction.REPLACE and not word.replacement:
        word.replacement = "■■■"
    try:
        ww.compile_rule(selectors.watched_rule_of(word), **_limits())
    except ww.UnsafePattern as exc:
        raise ValidationError({"pattern": str(exc)}) from exc


# --- Lists community managers keep: shared by watched words, rules and removal reasons ---------


@dataclass(frozen=True)
class _ManagedList:
    """One of the lists community managers keep. Who may change it is one question
    (``perms.can_manage_moderation_lists``); the refusal and the audit trail name the list."""

    audit_name: str  # the audit actions are "<audit_name>.create|update|delete"
    refusal: str  # gettext_noop'd: translated when refused
    describe: Callable[[Any], str]  # the entry as the audit log's target


_WATCHED_WORDS = _ManagedList(
    "watched_word",
    gettext_noop("Only community managers may manage watched words."),
    lambda word: f"watched word {word.pk}",
)
_RULES = _ManagedList(
    "rule",
    gettext_noop("Only community managers may change the guidelines."),
    lambda rule: f"rule {rule.number}",
)
_REMOVAL_REASONS = _ManagedList(
    "removal_reason",
    gettext_noop("Only community managers may change the guidelines."),
    lambda reason: f"removal reason {reason.pk}",
)


def _require_lists_manager(actor: AnyUser, managed: _ManagedList = _RULES) -> None:
    if not perms.can_manage_moderation_lists(actor):
        raise PermissionDenied(_(managed.refusal))


def _refuse_unknown_fields(changes: Mapping[str, Any], allowed: set[str]) -> None:
    unknown = set(changes) - allowed
    if unknown:
        raise ValueError(f"unknown fields: {sorted(unknown)}")


def _managed_entry_audit(
    *,
    actor: User,
    managed: _ManagedList,
    verb: str,
    entry: Any,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
) -> None:
    _audit(
        actor=actor,
        action=f"{managed.audit_name}.{verb}",
        target_repr=managed.describe(entry),
        before=before,
        after=after,
    )


def _managed_entry_delete(
    *, actor: User, managed: _ManagedList, entry: Any, before: Mapping[str, Any]
) -> None:
    """Check, audit (with what the entry was), then delete the entry."""
    _require_lists_manager(actor, managed)
    _managed_entry_audit(actor=actor, managed=managed, verb="delete", entry=entry, before=before)
    type(entry).objects.filter(pk=entry.pk).delete()


def _watched_word_snapshot(word: WatchedWord) -> dict[str, Any]:
    return {"pattern": word.pattern, "regex": word.is_regex, "action": word.action}


@transaction.atomic
def watched_word_create(
    *,
    actor: User,
    pattern: str,
    action: str,
    is_regex: bool = False,
    replacement: str = "",
    case_sensitive: bool = False,
) -> WatchedWord:
    """Add a watched word or regular expression (refused when unsafe, see
    ``moderation.watched_words``)."""
    _require_lists_manager(actor, _WATCHED_WORDS)
    word = WatchedWord(
        pattern=pattern,
        action=action,
        is_regex=bool(is_regex),
        replacement=_clean(replacement, 200),
        case_sensitive=bool(case_sensitive),
        created_by=actor,
        created_by_name=actor.username,
    )
    _watched_word_validate(word)
    if WatchedWord.objects.filter(pattern=word.pattern, is_regex=word.is_regex).exists():
        raise ValidationError({"pattern": _("This word is already watched.")})
    word.save()
    _managed_entry_audit(
        actor=actor,
        managed=_WATCHED_WORDS,
        verb="create",
        entry=word,
        after=_watched_word_snapshot(word),
    )
    return word


@transaction.atomic
def watched_word_update(*, actor: User, word: WatchedWord, **changes: Any) -> WatchedWord:
    """Change a watched word's ``pattern``, ``action``, ``is_regex``, ``replacement`` or
    ``case_sensitive``."""
    _require_lists_manager(actor, _WATCHED_WORDS)
    _refuse_unknown_fields(
        changes, {"pattern", "action", "is_regex", "replacement", "case_sensitive"}
    )
    word = WatchedWord.objects.select_for_update().get(pk=word.pk)
    before = _watched_word_snapshot(word)
    for name, value in changes.items():
        setattr(word, name, value)
    _watched_word_validate(word)
    try:
        with transaction.atomic():
            word.save()
    except IntegrityError as exc:
        raise ValidationError({"pattern": _("This word is already watched.")}) from exc
    _managed_entry_audit(
        actor=actor,
        managed=_WATCHED_WORDS,
        verb="update",
        entry=word,
        before=before,
        after=_watched_word_snapshot(word),
    )
    return word


@transaction.atomic
def watched_word_delete(*, actor: User, word: WatchedWord) -> None:
    _managed_entry_delete(
        actor=actor, managed=_WATCHED_WORDS, entry=word, before=_watched_word_snapshot(word)
    )


@dataclass(frozen=True)
class WatchedWordsTest:
    matches: list[ww.WordMatch]
    action: str | None
    replaced_text: str


def watched_words_test(
    *, actor: User, text: str, pattern: str | None = None, is_regex: bool = False
) -> WatchedWordsTest:
    """The "test this text" box: what the stored rules (or a candidate ``pattern``, checked
    as if it were saved) would do to ``text``. Raises ValidationError for an unsafe pattern."""
    _require_lists_manager(actor, _WATCHED_WORDS)
    text = str(text or "")[:50_000]
    if pattern is not None:
        try:
            rules = [
                ww.compile_rule(
                    ww.WatchedRule(pattern=pattern, action="flag", is_regex=is_regex),
                    **_limits(),
                )
            ]
        except ww.UnsafePattern as exc:
            raise ValidationError({"pattern": str(exc)}) from exc
    else:
        rules = selectors.watched_rules_compiled()
    matches = ww.find_matches(text, rules)
    strictest = ww.strictest(matches)
    return WatchedWordsTest(
        matches=matches,
        action=strictest.action if strictest else None,
        replaced_text=ww.apply_replacements(text, rules),
    )


# --- Community rules and removal reasons ----------------------------------------------------------


@transaction.atomic
def community_rule_create(
    *, actor: User, number: int, title: str, description: str = ""
) -> CommunityRule:
    _require_lists_manager(actor, _RULES)
    rule = CommunityRule(
        number=number, title=_clean(title, 200), description=_clean(description, 4000)
    )
    if not rule.title:
        raise ValidationError({"title": _("Give the rule a title.")})
    if CommunityRule.objects.filter(number=number).exists():
        raise ValidationError({"number": _("Another rule has this number.")})
    rule.full_clean()
    rule.save()
    _managed_entry_audit(
        actor=actor,
        managed=_RULES,
        verb="create",
        entry=rule,
        after={"number": rule.number, "title": rule.title},
    )
    return rule


@transaction.atomic
def community_rule_update(*, actor: User, rule: CommunityRule, **changes: Any) -> CommunityRule:
    """Change a rule's ``number``, ``title``, ``description`` or ``active``."""
    _require_lists_manager(actor, _RULES)
    _refuse_unknown_fields(changes, {"number", "title", "description", "active"})
    rule = CommunityRule.objects.select_for_update().get(pk=rule.pk)
    before = {"number": rule.number, "title": rule.title, "active": rule.active}
    for name, value in changes.items():
        setattr(rule, name, _clean(value, 4000) if name in ("title", "description") else value)
    if CommunityRule.objects.filter(number=rule.number).exclude(pk=rule.pk).exists():
        raise ValidationError({"number": _("Another rule has this number.")})
    rule.full_clean()
    rule.save()
    _managed_entry_audit(
        actor=actor,
        managed=_RULES,
        verb="update",
        entry=rule,
        before=before,
        after={"number": rule.number, "title": rule.title, "active": rule.active},
    )
    return rule


@transaction.atomic
def community_rule_delete(*, actor: User, rule: CommunityRule) -> None:
    """Delete a rule (decisions that cited it keep its number and title in the audit log)."""
    _managed_entry_delete(
        actor=actor,
        managed=_RULES,
        entry=rule,
        before={"number": rule.number, "title": rule.title},
    )


@transaction.atomic
def removal_reason_create(
    *,
    actor: User,
    title: str,
    message: str,
    rule: CommunityRule | None = None,
    position: int = 0,
) -> RemovalReason:
    _require_lists_manager(actor, _REMOVAL_REASONS)
    reason = RemovalReason(
        title=_clean(title, 120), message=_clean(message, 2000), rule=rule, position=position
    )
    reason.full_clean()
    reason.save()
    _managed_entry_audit(
        actor=actor,
        managed=_REMOVAL_REASONS,
        verb="create",
        entry=reason,
        after={"title": reason.title},
    )
    return reason


@transaction.atomic
def removal_reason_update(*, actor: User, reason: RemovalReason, **changes: Any) -> RemovalReason:
    """Change a removal reason's ``title``, ``message``, ``rule``, ``position`` or ``active``."""
    _require_lists_manager(actor, _REMOVAL_REASONS)
    _refuse_unknown_fields(changes, {"title", "message", "rule", "position", "active"})
    reason = RemovalReason.objects.select_for_update().get(pk=reason.pk)
    before = {"title": reason.title, "active": reason.active}
    for name, value in changes.items():
        setattr(reason, name, value)
    reason.full_clean()
    reason.save()
    _managed_entry_audit(
        actor=actor,
        managed=_REMOVAL_REASONS,
        verb="update",
        entry=reason,
        before=before,
        after={"title": reason.title, "active": reason.active},
    )
    return reason


@transaction.atomic
def removal_reason_delete(*, actor: User, reason: RemovalReason) -> None:
    _managed_entry_delete(
        actor=actor, managed=_REMOVAL_REASONS, entry=reason, before={"title": reason.title}
    )


@transaction.atomic
def category_public_log_set(*, actor: User, category: Category, enabled: bool) -> CategoryPolicy:
    """Switch a category's public moderation log on or off."""
    _require_lists_manager(actor)
    policy, _created = CategoryPolicy.objects.select_for_update().get_or_create(category=category)
    before = policy.public_log
    policy.public_log = bool(enabled)
    policy.save(update_fields=["public_log"])
    _audit(
        actor=actor,
        action="category.public_log",
        category_id=category.pk,
        target_repr=f"category {category.slug}",
        before={"public_log": before},
        after={"public_log": policy.public_log},
    )
    return policy


# --- Staff queue ----------------------------------------------------------------------------------


def _default_team() -> Group | None:
    return Group.objects.filter(name=conf.DEFAULT_BRAND_TEAM).first()


def _staff_request_open(
    *,
    actor: User,
    topic: Topic,
    post: Post | None,
    source: str,
    note: str,
    team: Group | None,
    now: dt.datetime,
) -> StaffRequest:
    request = (
        StaffRequest.objects.select_for_update()
        .filter(topic=topic, status=StaffRequest.Status.OPEN)
        .first()
    )
    if request is not None:
        StaffRequest.objects.filter(pk=request.pk).update(request_count=F("request_count") + 1)
        request.refresh_from_db()
        return request
    team = team or _default_team()
    try:
        with transaction.atomic():
            request = StaffRequest.objects.create(
                topic=topic,
                post=post,
                team=team,
                source=source,
                note=note[:1000],
                requested_at=now,
                requested_by=actor,
                requested_by_name=actor.username,
                due_at=now + dt.timedelta(hours=conf.OFFICIAL_ANSWER_TARGET_HOURS),
            )
    except IntegrityError:  # opened by somebody else at the same moment
        request = StaffRequest.objects.get(topic=topic, status=StaffRequest.Status.OPEN)
        StaffRequest.objects.filter(pk=request.pk).update(request_count=F("request_count") + 1)
        request.refresh_from_db()
        return request
    events.staff_request_opened.send(
        sender=StaffRequest,
        request_id=request.pk,
        topic_id=topic.pk,
        team_id=team.pk if team else None,
        due_at=request.due_at,
        source=source,
    )
    return request


@transaction.atomic
def topic_escalate_to_staff(
    *, actor: User, topic: Topic, note: str = "", team: Group | None = None
) -> StaffRequest:
    """A moderator routes a topic to the brand's staff (a team, the default one otherwise)."""
    topic = Topic.objects.select_related("category").get(pk=topic.pk)
    if not perms.can_escalate_to_staff(actor, topic):
        raise PermissionDenied(_("Only moderators of this category may escalate it to staff."))
    request = _staff_request_open(
        actor=actor,
        topic=topic,
        post=None,
        source=StaffRequest.Source.ESCALATION,
        note=_clean(note, 1000),
        team=team,
        now=timezone.now(),
    )
    _audit(
        actor=actor,
        action="staff.escalate",
        topic_id=topic.pk,
        category_id=topic.category_id,
        target_repr=f"topic {topic.pk}",
        reason=note,
        after={"staff_request": request.pk, "team": team.name if team else None},
    )
    return request


@transaction.atomic
def staff_request_assign(*, actor: User, request: StaffRequest, team: Group) -> StaffRequest:
    """Give an open request to another brand team."""
    if not perms.can_view_staff_queue(actor):
        raise PermissionDenied(_("Only brand staff and moderators may assign staff requests."))
    request = StaffRequest.objects.select_for_update().get(pk=request.pk)
    if request.status != StaffRequest.Status.OPEN:
        raise ValidationError(_("This request is no longer open."))
    before = request.team.name if request.team_id else None
    StaffRequest.objects.filter(pk=request.pk).update(
        team=team, assigned_at=timezone.now(), assigned_by_name=actor.username
    )
    _audit(
        actor=actor,
        action="staff.assign",
        topic_id=request.topic_id,
        target_repr=f"staff request {request.pk}",
        before={"team": before},
        after={"team": team.name},
    )
    request.refresh_from_db()
    return request


@transaction.atomic
def staff_request_close(*, actor: User, request: StaffRequest, reason: str = "") -> StaffRequest:
    """Close an open request without an official answer (answered elsewhere, off-topic…)."""
    if not perms.can_view_staff_queue(actor):
        raise PermissionDenied(_("Only brand staff and moderators may close staff requests."))
    request = StaffRequest.objects.select_for_update().get(pk=request.pk)
    if request.status != StaffRequest.Status.OPEN:
        return request
    reason = _clean(reason, 500)
    StaffRequest.objects.filter(pk=request.pk).update(
        status=StaffRequest.Status.CLOSED,
        closed_at=timezone.now(),
        closed_by_name=actor.username,
        closed_reason=reason,
    )
    _audit(
        actor=actor,
        action="staff.close",
        topic_id=request.topic_id,
        target_repr=f"staff request {request.pk}",
        reason=reason,
    )
    request.refresh_from_db()
    return request


def staff_answer_record(*, post: Post, actor: User) -> StaffRequest | None:
    """Stop the first-official-answer clock when brand staff reply in a routed topic (called
    by ``moderation.handlers`` on ``post_created``)."""
    if not account_permissions.is_brand_staff(actor):
        return None
    request = (
        StaffRequest.objects.select_for_update()
        .filter(topic_id=post.topic_id, status=StaffRequest.Status.OPEN)
        .first()
    )
    if request is None:
        return None
    now = timezone.now()
    StaffRequest.objects.filter(pk=request.pk).update(
        status=StaffRequest.Status.ANSWERED,
        answered_at=now,
        answered_by=actor,
        answered_by_name=actor.username,
        answer_post=post,
    )
    _audit(
        actor=actor,
        action="staff.answer",
        role="brand staff",
        post=post,
        target_repr=f"staff request {request.pk}",
        after={
            "staff_request": request.pk,
            "minutes": int((now - request.requested_at).total_seconds() // 60),
        },
    )
    request.refresh_from_db()
    return request


# --- Periodic safety nets (tasks call these) ------------------------------------------------------


@transaction.atomic
def escalate_stale_items(*, now: dt.datetime | None = None) -> list[int]:
    """Escalate, once, the pending items older than ``ESCALATE_AFTER_HOURS`` to every
    moderator. Idempotent: an escalated item is not escalated again until it is reopened."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(hours=conf.ESCALATE_AFTER_HOURS)
    stale = ReviewItem.objects.filter(
        status=ItemStatus.PENDING, pending_since__lte=cutoff, escalated_at__isnull=True
    )
    ids = list(stale.order_by("pending_since").values_list("pk", flat=True)[:1000])
    if not ids:
        return []
    ReviewItem.objects.filter(pk__in=ids, escalated_at__isnull=True).update(escalated_at=now)
    _audit(
        actor=None,
        action="queue.escalate",
        role="system",
        target_repr=f"{len(ids)} review items",
        reason=SystemReason(system_reasons.ESCALATED, {"hours": conf.ESCALATE_AFTER_HOURS}),
        after={"item_ids": ids},
    )
    events.items_escalated.send(sender=ReviewItem, item_ids=ids)
    return ids


def away_summary_send_if_due(*, now: dt.datetime | None = None) -> AwaySummary | None:
    """At the start of an on-duty period, record "what happened while you were away" once and
    announce it. Run every few minutes by the beat; does nothing off duty or when the
    period's summary exists."""
    now = now or timezone.now()
    windows = selectors.coverage_windows()
    period = coverage.current_period(now, windows, _tz())
    if period is None:
        return None
    start = period[0]
    if AwaySummary.objects.filter(period_start=start).exists():
        return None
    since = coverage.previous_period_end(start, windows, _tz()) or start - dt.timedelta(days=1)
    figures = selectors.away_summary_figures(since=since, until=start)
    try:
        with transaction.atomic():
            summary = AwaySummary.objects.create(period_start=start, since=since, figures=figures)
            events.away_summary_ready.send(
                sender=AwaySummary,
                summary_id=summary.pk,
                since=since,
                until=start,
                figures=figures,
            )
    except IntegrityError:  # another beat/worker made it first
        return None
    return summary


# --- Counters repair (manage.py recount_moderation) -----------------------------------------------


def review_scores_recount(*, apply: bool = False) -> int:
    """Recompute pending items' ``score`` and ``flag_count`` from their pending flags; return
    how many were wrong (and fixed when ``apply``)."""
    policy = _policy()
    wrong = 0
    rows = ReviewItem.objects.filter(status=ItemStatus.PENDING).annotate(
        flags_sum=Coalesce(
            Sum("flags__weight", filter=Q(flags__status=FlagStatus.PENDING)), Value(0.0)
        ),
        flags_n=Count("flags", filter=Q(flags__status=FlagStatus.PENDING)),
    )
    for item in rows.iterator():
        score = scoring.item_score([item.flags_sum], item.kind, policy)
        if abs(score - item.score) > 0.001 or item.flags_n != item.flag_count:
            wrong += 1
            if apply:
                ReviewItem.objects.filter(pk=item.pk).update(score=score, flag_count=item.flags_n)
    return wrong


def flagger_records_recount(*, apply: bool = False) -> int:
    """Recompute every flagger's agreed/disagreed/ignored counts from the flags."""
    wrong = 0
    totals = (
        Flag.objects.filter(flagger__isnull=False)
        .values("flagger_id")
        .annotate(
            agreed=Count("id", filter=Q(status=FlagStatus.AGREED)),
            disagreed=Count("id", filter=Q(status=FlagStatus.DISAGREED)),
            ignored=Count("id", filter=Q(status=FlagStatus.IGNORED)),
        )
    )
    records = {r.user_id: r for r in FlaggerRecord.objects.all()}
    for row in totals:
        record = records.get(row["flagger_id"])
        figures = (row["agreed"], row["disagreed"], row["ignored"])
        if record is None or (record.agreed, record.disagreed, record.ignored) != figures:
            wrong += 1
            if apply:
                FlaggerRecord.objects.update_or_create(
                    user_id=row["flagger_id"],
                    defaults=dict(zip(("agreed", "disagreed", "ignored"), figures, strict=True)),
                )
    return wrong
