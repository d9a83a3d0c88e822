"""Every non-trivial read of moderation, at a fixed number of queries whatever the size.

Moderators' reads (:func:`review_queue`, :func:`item_get_for_moderator`,
:func:`author_history`) raise ``PermissionDenied`` for anybody else and show flaggers and
their records. Members' reads (:func:`flags_list_for_member`,
:func:`moderation_history_for_member`) never name a flagger nor, when
``MODERATION_ATTRIBUTE_TO_ROLE`` is on, a moderator. The public log names nobody and shows no
content.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import (
    BooleanField,
    Count,
    Exists,
    Max,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts import permissions as account_permissions
from accounts.models import User
from community import permissions as community_permissions
from community.models import Category, ContentState, Post
from moderation import coverage, scoring
from moderation import permissions as perms
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


# --- Coverage and policy reads ----------------------------------------------------------------


def coverage_windows() -> list[coverage.Window]:
    """The coverage schedule: the administrators' one, or ``MODERATION_DEFAULT_COVERAGE``
    while none was ever set (one or two queries)."""
    rows = list(CoverageWindow.objects.values_list("weekday", "start_minute", "end_minute"))
    if rows or CoverageSchedule.objects.exists():
        return [coverage.Window(*row) for row in rows]
    return coverage.windows_from_mapping(conf.DEFAULT_COVERAGE)


@dataclass(frozen=True)
class CoverageSchedulePage:
    """Coverage hours as the administrators' page shows them: spans per weekday, whether the
    default of the settings still applies, and who set them last."""

    spans: dict[int, list[coverage.DaySpan]]
    is_default: bool
    updated_at: dt.datetime | None
    updated_by_name: str


def coverage_schedule(*, user: AnyUser) -> CoverageSchedulePage:
    """The coverage hours for the administrators' form (two queries)."""
    if not perms.can_set_coverage(user):
        raise PermissionDenied(_("Only administrators may set coverage hours."))
    schedule = CoverageSchedule.objects.order_by("-updated_at").first()
    rows = list(CoverageWindow.objects.values_list("weekday", "start_minute", "end_minute"))
    if schedule is None and not rows:
        windows = coverage.windows_from_mapping(conf.DEFAULT_COVERAGE)
    else:
        windows = [coverage.Window(*row) for row in rows]
    return CoverageSchedulePage(
        spans=coverage.spans_from_windows(windows),
        is_default=schedule is None and not rows,
        updated_at=schedule.updated_at if schedule else None,
        updated_by_name=schedule.updated_by_name if schedule else "",
    )


def coverage_is_on_duty(moment: dt.datetime | None = None) -> bool:
    return coverage.is_on_duty(
        moment or timezone.now(), coverage_windows(), ZoneInfo(settings.TIME_ZONE)
    )


def penalty_suggestion_hours(*, member: User, now: dt.datetime | None = None) -> int | None:
    """The penalty ladder's next step for ``member`` (24 h, 72 h, 7 days, 30 days by default),
    counting their silences and suspensions of the last ``PENALTY_MEMORY_DAYS``."""
    now = now or timezone.now()
    prior = Sanction.objects.filter(
        member=member,
        kind__in=[Sanction.Kind.SILENCE, Sanction.Kind.SUSPEND],
        created_at__gte=now - dt.timedelta(days=conf.PENALTY_MEMORY_DAYS),
        automatic=False,
    ).count()
    return scoring.suggested_penalty_hours(prior, list(conf.PENALTY_LADDER_HOURS))


_compiled_rules: dict[str, Any] = {"key": None, "rules": []}


def watched_rule_of(word: WatchedWord) -> ww.WatchedRule:
    """The pure rule of a stored watched word."""
    return ww.WatchedRule(
        id=word.pk,
        pattern=word.pattern,
        action=word.action,
        is_regex=word.is_regex,
        replacement=word.replacement,
        case_sensitive=word.case_sensitive,
    )


def watched_rules_compiled() -> list[ww.CompiledRule]:
    """The stored watched words, compiled once per process and again when they change (one
    small query per call notices it)."""
    figures = WatchedWord.objects.aggregate(n=Count("id"), latest=Max("updated_at"))
    key = (figures["n"], figures["latest"])
    if _compiled_rules["key"] != key:
        rules = [watched_rule_of(word) for word in WatchedWord.objects.all()]
        _compiled_rules["rules"] = ww.compile_rules(
            rules,
            max_length=conf.WATCHED_WORD_MAX_PATTERN_LENGTH,
            max_repeat=conf.WATCHED_WORD_MAX_REPEAT,
        )
        _compiled_rules["key"] = key
    return _compiled_rules["rules"]


# --- The review queue -------------------------------------------------------------------------


@dataclass
class QueueFilters:
    """What the queue can be filtered on (all optional)."""

    reason: str | None = None
    category_id: int | None = None
    status: str = ItemStatus.PENDING  # "pending", "resolved", "ignored" or "all"
    kind: str | None = None
    older_than_hours: float | None = None
    newer_than_hours: float | None = None
    claimed_by_me: bool = False
    escalated: bool | None = None
    page: int = 1

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any] | None) -> QueueFilters:
        """Build filters from a plain mapping (query string, API input); unknown keys and
        empty values are ignored."""
        if data is None:
            return cls()
        if isinstance(data, QueueFilters):
            return data
        known = cls.__dataclass_fields__
        values = {k: v for k, v in data.items() if k in known and v not in (None, "")}
        return cls(**values)


@dataclass
class ReviewQueuePage:
    items: list[ReviewItem]
    total: int
    counts_by_reason: dict[str, int]
    page: int
    page_size: int
    has_next: bool
    filters: QueueFilters = field(default_factory=QueueFilters)


def _scope(user: User, items: QuerySet[ReviewItem]) -> QuerySet[ReviewItem]:
    if perms.is_global_moderator(user):
        return items
    return items.filter(category_id__in=community_permissions.moderated_category_ids(user))


def _require_reviewer(user: AnyUser) -> None:
    if not perms.can_review_queue(user):
        raise PermissionDenied(_("Only moderators may see the review queue."))


def _pending_flags_prefetch(to_attr: str = "pending_flags") -> Prefetch:
    return Prefetch(
        "flags",
        queryset=Flag.objects.filter(status=FlagStatus.PENDING)
        .select_related("flagger", "flagger__flagger_record")
        .order_by("-weight", "created_at"),
        to_attr=to_attr,
    )


def _queue_filtered(
    user: User, filters: QueueFilters, now: dt.datetime
) -> tuple[QuerySet[ReviewItem], QuerySet[ReviewItem]]:
    """The scoped items matching ``filters``, and the same without the reason filter (the
    counts by reason are taken on that one)."""
    base = _scope(user, ReviewItem.objects.all())
    if filters.status != "all":
        base = base.filter(status=filters.status)
    if filters.category_id:
        base = base.filter(category_id=filters.category_id)
    if filters.kind:
        base = base.filter(kind=filters.kind)
    if filters.older_than_hours is not None:
        base = base.filter(
            pending_since__lte=now - dt.timedelta(hours=float(filters.older_than_hours))
        )
    if filters.newer_than_hours is not None:
        base = base.filter(
            pending_since__gte=now - dt.timedelta(hours=float(filters.newer_than_hours))
        )
    if filters.claimed_by_me:
        base = base.filter(
            claimed_by=user, claimed_at__gt=now - dt.timedelta(minutes=conf.CLAIM_MINUTES)
        )
    if filters.escalated is not None:
        base = base.filter(escalated_at__isnull=not filters.escalated)
    unfiltered_by_reason = base
    if filters.reason:
        base = base.filter(
            Exists(
                Flag.objects.filter(
                    item=OuterRef("pk"), status=FlagStatus.PENDING, reason=filters.reason
                )
            )
        )
    return base, unfiltered_by_reason


QUEUE_ORDERING = ("-score", "pending_since", "pk")


def review_queue_items(
    *, user: AnyUser, filters: Mapping[str, Any] | None = None
) -> QuerySet[ReviewItem]:
    """The review queue as a lazy queryset (for the API's cursor pagination): the items
    ``user`` may review matching ``filters``, ranked as :func:`review_queue` ranks them,
    each with ``pending_flags`` and its post, topic, category, author and claimer loaded.
    Two queries a page. ``PermissionDenied`` for anybody but moderators."""
    _require_reviewer(user)
    items, _unfiltered = _queue_filtered(user, QueueFilters.from_mapping(filters), timezone.now())
    return (
        items.select_related("post", "topic", "category", "author", "member", "claimed_by")
        .prefetch_related(_pending_flags_prefetch())
        .order_by(*QUEUE_ORDERING)
    )


def review_queue(*, user: AnyUser, filters: Mapping[str, Any] | None = None) -> ReviewQueuePage:
    """One page of the review queue, ranked by score then age (oldest first), with counts of
    items per flag reason. Each item carries ``pending_flags`` (flagger and their record
    loaded) and its post, topic, category, author and claimer.

    Costs the same handful of queries for 3 items or 10,000 (see the query-budget tests)."""
    _require_reviewer(user)
    filters = QueueFilters.from_mapping(filters)
    base, unfiltered_by_reason = _queue_filtered(user, filters, timezone.now())
    page_size = int(conf.QUEUE_PAGE_SIZE)
    page = max(int(filters.page or 1), 1)
    offset = (page - 1) * page_size
    rows = list(
        base.select_related("post", "topic", "category", "author", "member", "claimed_by")
        .prefetch_related(_pending_flags_prefetch())
        .order_by(*QUEUE_ORDERING)[offset : offset + page_size + 1]
    )
    counts = dict(
        Flag.objects.filter(status=FlagStatus.PENDING, item__in=unfiltered_by_reason)
        .values_list("reason")
        .annotate(n=Count("item_id", distinct=True))
        .order_by()
    )
    return ReviewQueuePage(
        items=rows[:page_size],
        total=base.count(),
        counts_by_reason={reason: counts.get(reason, 0) for reason in FlagReason.values},
        page=page,
        page_size=page_size,
        has_next=len(rows) > page_size,
        filters=filters,
    )


# --- One item, in context -----------------------------------------------------------------------


@dataclass
class AuthorHistory:
    member: User | None
    joined_at: dt.datetime | None
    trust_level: int | None
    items_total: int = 0
    items_agreed: int = 0
    items_kept: int = 0
    flags_received: int = 0
    warnings: list[MemberWarning] = field(default_factory=list)
    sanctions: list[Sanction] = field(default_factory=list)
    notes: list[ModeratorNote] = field(default_factory=list)
    restrictions: perms.Restrictions | None = None
    penalty_suggestion_hours: int | None = None

    @property
    def active_warnings(self) -> list[MemberWarning]:
        now = timezone.now()
        return [w for w in self.warnings if w.is_active(now)]


_AGREED_RESOLUTIONS = [a.value for a in Action if a not in (Action.KEEP, Action.IGNORE)]


def author_history(*, user: AnyUser, member: User | None) -> AuthorHistory:
    """A member's record for moderators: join date, trust level, prior review items and
    their outcomes, flags received, warnings, sanctions and moderator notes (six queries)."""
    _require_reviewer(user)
    if member is None:
        return AuthorHistory(member=None, joined_at=None, trust_level=None)
    figures = ReviewItem.objects.filter(author=member).aggregate(
        total=Count("id"),
        agreed=Count("id", filter=Q(resolution__in=_AGREED_RESOLUTIONS)),
        kept=Count("id", filter=Q(resolution=Action.KEEP)),
    )
    flags_received = Flag.objects.filter(item__author=member).count()
    return AuthorHistory(
        member=member,
        joined_at=member.date_joined,
        trust_level=member.trust_level,
        items_total=figures["total"],
        items_agreed=figures["agreed"],
        items_kept=figures["kept"],
        flags_received=flags_received,
        warnings=list(MemberWarning.objects.filter(member=member).select_related("rule")[:20]),
        sanctions=list(Sanction.objects.filter(member=member).select_related("rule")[:20]),
        notes=list(ModeratorNote.objects.filter(member=member)[:20]),
        restrictions=perms.member_restrictions(member, refresh=True),
        penalty_suggestion_hours=penalty_suggestion_hours(member=member),
    )


@dataclass
class ItemDetail:
    item: ReviewItem
    flags: list[Flag]
    neighbours: list[Post]
    author: AuthorHistory
    appeal: Appeal | None
    claim_holder_id: int | None
    can_act: bool


def item_get_for_moderator(*, user: AnyUser, item_id: int | str) -> ItemDetail:
    """An item with everything a decision needs: the content, its neighbours in the topic
    (two before, two after, whatever their state), every flag with its flagger's record, the
    author's history and a pending appeal. 404 outside the moderator's scope."""
    _require_reviewer(user)
    try:
        item = (
            _scope(user, ReviewItem.objects.all())
            .select_related("post", "topic", "category", "author", "member", "claimed_by")
            .get(pk=int(item_id))
        )
    except (ReviewItem.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404("No such review item") from exc
    flags = list(
        Flag.objects.filter(item=item)
        .select_related("flagger", "flagger__flagger_record")
        .order_by("status", "-weight", "created_at")
    )
    neighbours: list[Post] = []
    if item.post_id:
        number = item.post.number
        neighbours = list(
            Post.objects.filter(
                topic_id=item.post.topic_id, number__gte=number - 2, number__lte=number + 2
            )
            .exclude(pk=item.post_id)
            .order_by("number")
        )
    member = item.author or item.member
    appeal = Appeal.objects.filter(item=item, status=Appeal.Status.PENDING).first()
    now = timezone.now()
    holder = item.claimed_by_id
    if holder and (
        item.claimed_at is None or item.claimed_at <= now - dt.timedelta(minutes=conf.CLAIM_MINUTES)
    ):
        holder = None
    return ItemDetail(
        item=item,
        flags=flags,
        neighbours=neighbours,
        author=author_history(user=user, member=member),
        appeal=appeal,
        claim_holder_id=holder,
        can_act=perms.can_moderate_item(user, item),
    )


@dataclass(frozen=True)
class FlaggerTrackRecord:
    user_id: int
    agreed: int
    disagreed: int
    ignored: int
    accuracy: float | None
    accuracy_bonus: float


def flagger_track_records(*, user: AnyUser, user_ids: list[int]) -> dict[int, FlaggerTrackRecord]:
    """Each flagger's record (one query), for moderators."""
    _require_reviewer(user)
    policy = scoring.policy_from_settings()
    records = {r.user_id: r for r in FlaggerRecord.objects.filter(user_id__in=user_ids)}
    result = {}
    for user_id in user_ids:
        record = records.get(user_id) or FlaggerRecord(user_id=user_id)
        result[user_id] = FlaggerTrackRecord(
            user_id=user_id,
            agreed=record.agreed,
            disagreed=record.disagreed,
            ignored=record.ignored,
            accuracy=record.accuracy,
            accuracy_bonus=scoring.accuracy_bonus(record.agreed, record.disagreed, policy),
        )
    return result


def appeal_list_pending(*, user: AnyUser) -> QuerySet[Appeal]:
    _require_reviewer(user)
    return (
        Appeal.objects.filter(
            status=Appeal.Status.PENDING, item__in=_scope(user, ReviewItem.objects.all())
        )
        .select_related("item", "sanction")
        .order_by("created_at")
    )


# --- Members' own views ---------------------------------------------------------------------------


def flags_left_today(*, user: AnyUser) -> int | None:
    """How many more flags ``user`` may raise today (None: no limit, staff roles). One query."""
    if not perms.is_signed_in(user):
        return 0
    if account_permissions.is_staff_role(user):
        return None
    limit = conf.DAILY_FLAG_LIMITS.get(user.trust_level)
    if limit is None:
        return None
    used = (
        FlagAllowance.objects.filter(user=user, day=timezone.localdate())
        .values_list("count", flat=True)
        .first()
    )
    return max(limit - (used or 0), 0)


def flags_list_for_member(*, user: AnyUser) -> QuerySet[Flag]:
    """The member's own flags, newest first, with their outcome (``status``): received
    (pending), agreed, disagreed, deferred, or sent to staff. Never other members' flags."""
    if not perms.is_signed_in(user):
        return Flag.objects.none()
    return (
        Flag.objects.filter(flagger=user)
        .select_related("post", "post__topic", "member")
        .only(
            "id",
            "reason",
            "note",
            "status",
            "created_at",
            "resolved_at",
            "on_topic",
            "post__id",
            "post__number",
            "post__topic__id",
            "post__topic__title",
            "post__topic__slug",
            "member__id",
            "member__username",
        )
        .order_by("-created_at", "-id")
    )


_AUTHOR_VISIBLE_ACTIONS = {
    "content.hide_by_flags": gettext_lazy("Hidden by the community's flags, pending review"),
    "content.hold": gettext_lazy("Held for review before publication"),
    "item.keep": gettext_lazy("Reviewed and kept"),
    "item.hide": gettext_lazy("Hidden"),
    "item.remove": gettext_lazy("Removed"),
    "item.edit": gettext_lazy("Edited by a moderator"),
    "item.lock": gettext_lazy("Topic locked"),
    "item.move": gettext_lazy("Topic moved"),
    "post.hidden": gettext_lazy("Hidden"),
    "post.removed": gettext_lazy("Removed"),
    "post.visible": gettext_lazy("Shown again"),
    "warning.create": gettext_lazy("Warning"),
    "sanction.probation": gettext_lazy("Probation: your posts are reviewed before publication"),
    "sanction.silence": gettext_lazy("Silenced: you cannot post for now"),
    "sanction.suspend": gettext_lazy("Suspended"),
    "sanction.lift": gettext_lazy("Sanction lifted"),
    "appeal.file": gettext_lazy("You appealed"),
    "appeal.granted": gettext_lazy("Appeal granted"),
    "appeal.denied": gettext_lazy("Appeal denied"),
}

_ROLE_ATTRIBUTION = {
    "system": gettext_lazy("automatic moderation"),
    "community": gettext_lazy("the community's flags"),
    "moderator": gettext_lazy("the moderation team"),
    "category moderator": gettext_lazy("the moderation team"),
    "administrator": gettext_lazy("the moderation team"),
    "brand staff": gettext_lazy("the brand's team"),
    "member": gettext_lazy("you"),
}


@dataclass(frozen=True)
class HistoryEntry:
    created_at: dt.datetime
    action: str
    label: str
    reason: str
    rule_number: int | None
    rule_title: str
    attributed_to: str
    post_id: int | None
    topic_id: int | None
    can_appeal: bool


def attribution(entry: AuditEntry) -> str:
    """Who an author is told acted: the role, or the moderator's name when the community
    managers chose to show names (``MODERATION_ATTRIBUTE_TO_ROLE = False``). Flags are always
    "the community's flags", never the flaggers."""
    if entry.actor_role in ("system", "community", "member") or conf.ATTRIBUTE_TO_ROLE:
        return str(_ROLE_ATTRIBUTION.get(entry.actor_role, _ROLE_ATTRIBUTION["moderator"]))
    return entry.actor_name


def moderation_history_for_member(*, user: AnyUser, limit: int = 100) -> list[HistoryEntry]:
    """What moderation did to the member's content and account: what, why (reason, rule),
    by whom (a role, see :func:`attribution`) and when, newest first. Entries about a post
    still hidden or removed that was never appealed say ``can_appeal`` (three queries)."""
    if not perms.is_signed_in(user):
        return []
    entries = list(
        AuditEntry.objects.filter(
            subject_id=user.pk, action__in=list(_AUTHOR_VISIBLE_ACTIONS)
        ).order_by("-id")[:limit]
    )
    post_ids = {e.post_id for e in entries if e.post_id}
    states = dict(
        Post.objects.filter(pk__in=post_ids, author_id=user.pk).values_list("pk", "state")
    )
    appealed = set(
        Appeal.objects.filter(item__post_id__in=post_ids, sanction__isnull=True).values_list(
            "item__post_id", flat=True
        )
    )
    seen_posts: set[int] = set()
    history = []
    for entry in entries:
        appealable = (
            entry.post_id is not None
            and entry.post_id not in seen_posts
            and states.get(entry.post_id) in (ContentState.HIDDEN, ContentState.REMOVED)
            and entry.post_id not in appealed
            and entry.action
            in ("content.hide_by_flags", "item.hide", "item.remove", "post.hidden", "post.removed")
        )
        if entry.post_id:
            seen_posts.add(entry.post_id)
        history.append(
            HistoryEntry(
                created_at=entry.created_at,
                action=entry.action,
                label=str(_AUTHOR_VISIBLE_ACTIONS[entry.action]),
                reason=entry.reason_display if not entry.action.startswith("appeal.file") else "",
                rule_number=entry.rule_number,
                rule_title=entry.rule_title,
                attributed_to=attribution(entry),
                post_id=entry.post_id,
                topic_id=entry.topic_id,
                can_appeal=appealable,
            )
        )
    return history


def member_active_sanctions(*, user: AnyUser) -> list[Sanction]:
    """The member's own active sanctions (for the "you are silenced until…" notice and the
    appeal button)."""
    if not perms.is_signed_in(user):
        return []
    now = timezone.now()
    return list(
        Sanction.objects.filter(member_id=user.pk, lifted_at__isnull=True, starts_at__lte=now)
        .filter(Q(ends_at__isnull=True) | Q(ends_at__gt=now))
        .select_related("rule")
    )


# --- Audit and the public log ------------------------------------------------------------------


@dataclass
class AuditFilters:
    action: str | None = None  # exact action or a prefix ending with "." ("item.")
    actor_name: str | None = None
    subject_id: int | None = None
    category_id: int | None = None
    item_id: int | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    oldest_first: bool = False


def audit_list(
    *, user: AnyUser, filters: AuditFilters | Mapping[str, Any] | None = None
) -> QuerySet[AuditEntry]:
    """The audit log for administrators, filtered, newest first (or oldest first)."""
    if not perms.can_view_audit(user):
        raise PermissionDenied(_("Only administrators may read the audit log."))
    return _audit_filtered(filters)


#: Audit actions of the administrators' own settings (coverage hours: ``can_set_coverage``),
#: which only administrators read; every other action is part of the moderators' work.
ADMINISTRATIVE_AUDIT_PREFIXES = ("coverage.",)


def moderation_log(
    *, user: AnyUser, filters: AuditFilters | Mapping[str, Any] | None = None
) -> QuerySet[AuditEntry]:
    """The audit log scoped as the review queue is (:func:`review_queue_items`):
    administrators read everything (:func:`audit_list`); global moderators every entry but
    the administrative ones (:data:`ADMINISTRATIVE_AUDIT_PREFIXES`); category moderators the
    entries of their categories (entries about a member without content, such as sanctions
    and moderator notes, have no category: global moderators' business). Filtered like
    :func:`audit_list`, one query a page. ``PermissionDenied`` for anybody else."""
    if perms.can_view_audit(user):
        return audit_list(user=user, filters=filters)
    if not perms.can_review_queue(user):
        raise PermissionDenied(_("Only moderators may read the moderation log."))
    entries = _audit_filtered(filters)
    if perms.is_global_moderator(user):
        for prefix in ADMINISTRATIVE_AUDIT_PREFIXES:
            entries = entries.exclude(action__startswith=prefix)
        return entries
    return entries.filter(category_id__in=community_permissions.moderated_category_ids(user))


def _audit_filtered(
    filters: AuditFilters | Mapping[str, Any] | None,
) -> QuerySet[AuditEntry]:
    if filters is None:
        filters = AuditFilters()
    elif not isinstance(filters, AuditFilters):
        known = AuditFilters.__dataclass_fields__
        filters = AuditFilters(
            **{k: v for k, v in filters.items() if k in known and v not in (None, "")}
        )
    entries = AuditEntry.objects.all()
    if filters.action:
        if filters.action.endswith("."):
            entries = entries.filter(action__startswith=filters.action)
        else:
            entries = entries.filter(action=filters.action)
    if filters.actor_name:
        entries = entries.filter(actor_name__iexact=filters.actor_name)
    if filters.subject_id:
        entries = entries.filter(subject_id=filters.subject_id)
    if filters.category_id:
        entries = entries.filter(category_id=filters.category_id)
    if filters.item_id:
        entries = entries.filter(item_id=filters.item_id)
    if filters.since:
        entries = entries.filter(created_at__gte=filters.since)
    if filters.until:
        entries = entries.filter(created_at__lt=filters.until)
    return entries.order_by("id" if filters.oldest_first else "-id")


_PUBLIC_LABELS = {
    "content.hide_by_flags": gettext_lazy("Post hidden by the community's flags"),
    "item.hide": gettext_lazy("Post hidden"),
    "item.remove": gettext_lazy("Post removed"),
    "item.edit": gettext_lazy("Post edited"),
    "item.lock": gettext_lazy("Topic locked"),
    "item.move": gettext_lazy("Topic moved"),
    "post.hidden": gettext_lazy("Post hidden"),
    "post.removed": gettext_lazy("Post removed"),
    "topic.locked": gettext_lazy("Topic locked"),
    "topic.moved": gettext_lazy("Topic moved"),
}


@dataclass(frozen=True)
class PublicLogEntry:
    created_at: dt.datetime
    label: str
    rule_number: int | None
    rule_title: str
    attributed_to: str


def public_moderation_log(*, category: Category, limit: int = 50) -> list[PublicLogEntry]:
    """The category's public moderation log: the kind of action, the rule, the date, always
    attributed to the team, never a person, never the content. 404 when the category has not
    switched it on."""
    if not CategoryPolicy.objects.filter(category=category, public_log=True).exists():
        raise Http404("No public moderation log for this category")
    entries = (
        AuditEntry.objects.filter(category_id=category.pk, public=True)
        .only("created_at", "action", "rule_number", "rule_title", "actor_role")
        .order_by("-id")[:limit]
    )
    team = str(_ROLE_ATTRIBUTION["moderator"])
    return [
        PublicLogEntry(
            created_at=e.created_at,
            label=str(_PUBLIC_LABELS.get(e.action, e.action)),
            rule_number=e.rule_number,
            rule_title=e.rule_title,
            attributed_to=str(_ROLE_ATTRIBUTION["community"])
            if e.actor_role == "community"
            else team,
        )
        for e in entries
    ]


# --- Lists managed by community managers --------------------------------------------------------


def community_rules_list(*, active_only: bool = True) -> QuerySet[CommunityRule]:
    """The numbered rules for the public guidelines page."""
    rules = CommunityRule.objects.all()
    return rules.filter(active=True) if active_only else rules


def removal_reasons_list(*, user: AnyUser, active_only: bool = True) -> QuerySet[RemovalReason]:
    """Removal reasons in their order (the first is the queue's default), with their rule.
    ``active_only=False`` (the community managers' list) includes retired ones."""
    if active_only:
        _require_reviewer(user)
    elif not perms.can_manage_moderation_lists(user):
        raise PermissionDenied(_("Only community managers may change the guidelines."))
    reasons = RemovalReason.objects.select_related("rule")
    return reasons.filter(active=True) if active_only else reasons


def category_public_log_switches(*, user: AnyUser) -> list[Category]:
    """Every category in display order with ``public_log`` (its moderation log is public) and
    ``parent`` loaded, for the community managers' switches (one query)."""
    if not perms.can_manage_moderation_lists(user):
        raise PermissionDenied(_("Only community managers may change the guidelines."))
    policy = CategoryPolicy.objects.filter(category=OuterRef("pk")).values("public_log")[:1]
    return list(
        Category.objects.select_related("parent")
        .annotate(
            public_log=Coalesce(
                Subquery(policy, output_field=BooleanField()),
                Value(False, output_field=BooleanField()),
            )
        )
        .order_by("position", "name")
    )


def watched_words_list(*, user: AnyUser) -> QuerySet[WatchedWord]:
    if not perms.can_manage_moderation_lists(user):
        raise PermissionDenied(_("Only community managers may manage watched words."))
    return WatchedWord.objects.all()


def moderator_notes_list(*, user: AnyUser, member: User) -> QuerySet[ModeratorNote]:
    if not perms.can_view_moderator_notes(user):
        raise PermissionDenied(_("Only moderators may read notes on members."))
    return ModeratorNote.objects.filter(member=member)


# --- Staff queue ----------------------------------------------------------------------------------


def staff_queue(*, user: AnyUser, status: str = StaffRequest.Status.OPEN) -> QuerySet[StaffRequest]:
    """Topics waiting for an official answer, the most overdue first."""
    if not perms.can_view_staff_queue(user):
        raise PermissionDenied(_("Only brand staff may see the staff queue."))
    return (
        StaffRequest.objects.filter(status=status)
        .select_related("topic", "topic__category", "team", "post")
        .order_by("due_at", "pk")
    )


# --- Safety-net reads -----------------------------------------------------------------------------


def away_summary_figures(*, since: dt.datetime, until: dt.datetime) -> dict[str, Any]:
    """What happened between ``since`` and ``until``: items hidden by flags, posts held,
    flags raised, and the queue now (four queries)."""
    hidden = list(
        ReviewItem.objects.filter(hidden_by_flags_at__gte=since, hidden_by_flags_at__lt=until)
        .order_by("hidden_by_flags_at")
        .values_list("pk", flat=True)[:100]
    )
    held = ReviewItem.objects.filter(
        kind=ItemKind.HELD, pending_since__gte=since, pending_since__lt=until
    ).count()
    flags = Flag.objects.filter(created_at__gte=since, created_at__lt=until).count()
    pending = ReviewItem.objects.filter(status=ItemStatus.PENDING).count()
    return {
        "hidden": len(hidden),
        "hidden_item_ids": hidden,
        "held": held,
        "flags": flags,
        "pending": pending,
    }


def away_summary_latest(*, user: AnyUser) -> AwaySummary | None:
    _require_reviewer(user)
    return AwaySummary.objects.order_by("-period_start").first()
