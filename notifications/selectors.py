"""Reads of the notifications app: the bell, the notifications page, who is notified of what,
and what a digest holds. Every function costs a fixed number of queries whatever the size of
its answer (the page and the bell have query budgets in the tests)."""

from __future__ import annotations

from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime

from allauth.account.models import EmailAddress
from django.core.paginator import Page, Paginator
from django.db.models import Count, Exists, Max, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from accounts.models import User
from community.models import (
    CategorySubscription,
    ContentState,
    NotificationLevel,
    Post,
    ReadPosition,
    Topic,
    TopicKind,
    TopicSubscription,
)
from notifications.models import (
    DEFAULT_EMAIL_FREQUENCY,
    Delivery,
    DeliveryStatus,
    Digest,
    DigestSchedule,
    DigestStatus,
    EmailPreference,
    MemberMute,
    Notification,
)

NOTIFICATIONS_PER_PAGE = 30
BELL_RECENT = 8

# --- The bell and the page ------------------------------------------------------------------------


def unread_count(*, user: User) -> int:
    """The bell's number: one index-only count on the partial "unread" index."""
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


@dataclass
class NotificationGroup:
    """One line of the notifications page: the latest notification of a group and its count."""

    notification: Notification
    total: int
    unread: int
    latest_at: datetime

    @property
    def is_read(self) -> bool:
        return self.unread == 0


def notification_groups_page(*, user: User, page_number: int = 1) -> Page:
    """A page of the member's notifications, grouped by ``group_key`` (newest group first).

    Three queries whatever the page holds: the number of groups, the page of groups and their
    latest notifications (with actor and topic)."""
    groups = (
        Notification.objects.filter(recipient=user)
        .values("group_key")
        .annotate(
            latest_at=Max("created_at"),
            latest_id=Max("id"),
            total=Count("id"),
            unread=Count("id", filter=Q(read_at__isnull=True)),
        )
        .order_by("-latest_at", "-latest_id")
    )
    paginator = Paginator(groups, NOTIFICATIONS_PER_PAGE)
    page = paginator.get_page(page_number)
    rows = list(page.object_list)
    latest = Notification.objects.select_related("actor", "topic").in_bulk(
        [row["latest_id"] for row in rows]
    )
    page.object_list = [
        NotificationGroup(
            notification=latest[row["latest_id"]],
            total=row["total"],
            unread=row["unread"],
            latest_at=row["latest_at"],
        )
        for row in rows
        if row["latest_id"] in latest
    ]
    return page


def notification_group_get(*, user: User, notification: Notification) -> NotificationGroup:
    """The page line of ``notification``'s group, fresh (one query)."""
    stats = Notification.objects.filter(recipient=user, group_key=notification.group_key).aggregate(
        latest_at=Max("created_at"),
        total=Count("id"),
        unread=Count("id", filter=Q(read_at__isnull=True)),
    )
    return NotificationGroup(
        notification=notification,
        total=stats["total"] or 1,
        unread=stats["unread"] or 0,
        latest_at=stats["latest_at"] or notification.created_at,
    )


def recent_notifications(*, user: User, limit: int = BELL_RECENT) -> list[Notification]:
    """The latest notifications, for the bell's drop-down (one query)."""
    return list(
        Notification.objects.filter(recipient=user)
        .select_related("actor", "topic")
        .order_by("-created_at", "-id")[:limit]
    )


def notification_list(*, user: User, unread: bool | None = None) -> QuerySet[Notification]:
    """The member's notifications, one row each (not grouped), newest first, for the API;
    ``unread`` True/False keeps only the unread/read ones. Rows carry their facts in ``data``:
    a page needs no join."""
    notifications = Notification.objects.filter(recipient=user)
    if unread is not None:
        notifications = notifications.filter(read_at__isnull=unread)
    return notifications.order_by("-created_at", "-id")


def notification_get_for_user(*, user: User, notification_id: int) -> Notification | None:
    return (
        Notification.objects.select_related("topic", "post")
        .filter(pk=notification_id, recipient=user)
        .first()
    )


# --- Who gets what --------------------------------------------------------------------------------


def muted_recipient_ids(
    *, user_ids: Collection[int], topic: Topic | None, actor_id: int | None
) -> set[int]:
    """Those among ``user_ids`` who must not hear of this: they muted the topic, or its
    category without choosing a level for the topic itself, or the actor. Muting wins over
    every other reason (mention, reply, watching)."""
    if not user_ids:
        return set()
    muted: set[int] = set()
    if topic is not None:
        topic_levels = dict(
            TopicSubscription.objects.filter(topic=topic, user_id__in=user_ids).values_list(
                "user_id", "level"
            )
        )
        muted |= {uid for uid, level in topic_levels.items() if level == NotificationLevel.MUTED}
        muted |= set(
            CategorySubscription.objects.filter(
                category_id=topic.category_id,
                level=NotificationLevel.MUTED,
                user_id__in=user_ids,
            )
            .exclude(user_id__in=list(topic_levels))
            .values_list("user_id", flat=True)
        )
    if actor_id is not None:
        muted |= set(
            MemberMute.objects.filter(muted_id=actor_id, user_id__in=user_ids).values_list(
                "user_id", flat=True
            )
        )
    return muted


def muted_pairs(
    items: Iterable[tuple[int, Topic, int | None]],
) -> set[tuple[int, int, int | None]]:
    """Of (member, topic, actor) triples, those where the member muted the topic, its category
    (without a level of their own on the topic) or the actor — as (member id, topic id, actor
    id). Three queries whatever the number of triples (the e-mail batch re-checks muting)."""
    items = list(items)
    if not items:
        return set()
    user_ids = {uid for uid, _, _ in items}
    topic_levels = {
        (uid, tid): level
        for uid, tid, level in TopicSubscription.objects.filter(
            user_id__in=user_ids, topic_id__in={topic.pk for _, topic, _ in items}
        ).values_list("user_id", "topic_id", "level")
    }
    muted_categories = set(
        CategorySubscription.objects.filter(
            user_id__in=user_ids,
            category_id__in={topic.category_id for _, topic, _ in items},
            level=NotificationLevel.MUTED,
        ).values_list("user_id", "category_id")
    )
    actor_ids = {actor for _, _, actor in items if actor}
    muted_members = (
        set(
            MemberMute.objects.filter(user_id__in=user_ids, muted_id__in=actor_ids).values_list(
                "user_id", "muted_id"
            )
        )
        if actor_ids
        else set()
    )
    found = set()
    for uid, topic, actor in items:
        level = topic_levels.get((uid, topic.pk))
        if (
            level == NotificationLevel.MUTED
            or (level is None and (uid, topic.category_id) in muted_categories)
            or (actor and (uid, actor) in muted_members)
        ):
            found.add((uid, topic.pk, actor))
    return found


def active_user_ids(user_ids: Iterable[int]) -> set[int]:
    return set(
        User.objects.filter(pk__in=list(user_ids), is_active=True).values_list("pk", flat=True)
    )


def _watchers(topic: Topic, *, actor_id: int | None, lo: int | None, hi: int | None) -> QuerySet:
    """Active members watching ``topic``: watching the topic itself, or watching its category
    without a level of their own on the topic; minus those muting the actor. Bounded to user
    ids in [lo, hi] so that each subquery only reads that slice."""

    def bounded(qs: QuerySet) -> QuerySet:
        if lo is not None:
            qs = qs.filter(user_id__gte=lo)
        if hi is not None:
            qs = qs.filter(user_id__lte=hi)
        return qs

    topic_subs = bounded(TopicSubscription.objects.filter(topic_id=topic.pk))
    watching_topic = topic_subs.filter(level=NotificationLevel.WATCHING).values("user_id")
    any_topic_level = topic_subs.values("user_id")
    watching_category = bounded(
        CategorySubscription.objects.filter(
            category_id=topic.category_id, level=NotificationLevel.WATCHING
        )
    ).values("user_id")
    users = User.objects.filter(is_active=True).filter(
        Q(pk__in=watching_topic) | (Q(pk__in=watching_category) & ~Q(pk__in=any_topic_level))
    )
    if lo is not None:
        users = users.filter(pk__gte=lo)
    if hi is not None:
        users = users.filter(pk__lte=hi)
    if actor_id is not None:
        users = users.exclude(pk=actor_id).exclude(
            Exists(MemberMute.objects.filter(user_id=OuterRef("pk"), muted_id=actor_id))
        )
    return users


STREAM_CHUNK = 5000


def topic_watcher_ids(*, topic: Topic, actor_id: int | None) -> Iterator[int]:
    """Every watcher id in increasing order, streamed (one query, a server-side cursor on
    PostgreSQL): the fan-out cuts it into user-id ranges. One ordered pass is linear; a
    LIMIT query per page would re-read the candidates of every later page each time."""
    return (
        _watchers(topic, actor_id=actor_id, lo=None, hi=None)
        .order_by("pk")
        .values_list("pk", flat=True)
        .iterator(chunk_size=STREAM_CHUNK)
    )


def topic_watcher_ids_between(*, topic: Topic, actor_id: int | None, lo: int, hi: int) -> list[int]:
    """The watchers with an id in [lo, hi] (one fan-out chunk, re-read when the task runs)."""
    return list(_watchers(topic, actor_id=actor_id, lo=lo, hi=hi).values_list("pk", flat=True))


def _with_permission(codename: str) -> Q:
    return (
        Q(is_superuser=True)
        | Q(
            groups__permissions__codename=codename,
            groups__permissions__content_type__app_label="accounts",
        )
        | Q(
            user_permissions__codename=codename,
            user_permissions__content_type__app_label="accounts",
        )
    )


def moderator_ids(*, category_id: int | None = None) -> list[int]:
    """Active global moderators (and administrators), plus the category's own moderators."""
    ids = set(
        User.objects.filter(is_active=True)
        .filter(_with_permission("moderate"))
        .values_list("pk", flat=True)
        .distinct()
    )
    if category_id:
        from community.models import Category

        ids |= set(
            Category.moderators.through.objects.filter(
                category_id=category_id, user__is_active=True
            ).values_list("user_id", flat=True)
        )
    return sorted(ids)


def staff_team_ids(*, team_id: int | None) -> list[int]:
    """The members of a staff team (a group), or the whole brand staff when there is none."""
    users = User.objects.filter(is_active=True)
    if team_id:
        users = users.filter(groups__pk=team_id)
    else:
        users = users.filter(_with_permission("answer_officially"))
    return sorted(set(users.values_list("pk", flat=True)))


def review_queue_open_count() -> int:
    """Items waiting in moderation's review queue (0 without the moderation app)."""
    try:
        from moderation.models import ItemStatus, ReviewItem
    except ImportError:
        return 0
    return ReviewItem.objects.filter(status=ItemStatus.PENDING).count()


def email_frequencies(*, user_ids: Collection[int], kinds: Collection[str]) -> dict:
    """``{(user_id, kind): frequency}`` for every pair, defaults filled in (one query)."""
    chosen = {
        (uid, kind): frequency
        for uid, kind, frequency in EmailPreference.objects.filter(
            user_id__in=list(user_ids), kind__in=list(kinds)
        ).values_list("user_id", "kind", "frequency")
    }
    return {
        (uid, kind): chosen.get((uid, kind), DEFAULT_EMAIL_FREQUENCY[kind])
        for uid in user_ids
        for kind in kinds
    }


def email_preferences_for(*, user: User) -> dict[str, str]:
    """Every kind with the member's frequency (their choice or the default)."""
    chosen = dict(EmailPreference.objects.filter(user=user).values_list("kind", "frequency"))
    return {kind: chosen.get(kind, default) for kind, default in DEFAULT_EMAIL_FREQUENCY.items()}


def verified_email_q() -> Exists:
    """Members whose primary address is verified: the only ones we e-mail (bounce-safe)."""
    return Exists(
        EmailAddress.objects.filter(
            user_id=OuterRef("pk"), verified=True, primary=True, email__iexact=OuterRef("email")
        )
    )


def verified_user_ids(user_ids: Collection[int]) -> set[int]:
    return set(
        User.objects.filter(pk__in=list(user_ids), is_active=True)
        .filter(verified_email_q())
        .values_list("pk", flat=True)
    )


def digest_schedule_for(*, user: User) -> DigestSchedule:
    """The member's schedule, or an unsaved one holding the defaults."""
    return DigestSchedule.objects.filter(user=user).first() or DigestSchedule(user=user)


def muted_members(*, user: User) -> list[User]:
    return list(
        User.objects.filter(
            pk__in=MemberMute.objects.filter(user=user).values("muted_id")
        ).order_by("username")
    )


def read_numbers(*, pairs: Iterable[tuple[int, int]]) -> dict[tuple[int, int], int]:
    """``{(user_id, topic_id): last_read_number}`` for the given pairs (one query)."""
    pairs = set(pairs)
    if not pairs:
        return {}
    user_ids = {uid for uid, _ in pairs}
    topic_ids = {tid for _, tid in pairs}
    return {
        (uid, tid): number
        for uid, tid, number in ReadPosition.objects.filter(
            user_id__in=user_ids, topic_id__in=topic_ids
        ).values_list("user_id", "topic_id", "last_read_number")
        if (uid, tid) in pairs
    }


# --- Digests --------------------------------------------------------------------------------------


def digest_due_user_ids(
    *,
    frequency: str,
    period: str,
    timezones: Collection[str],
    local_hour: int,
    local_weekday: int,
) -> Iterator[int]:
    """Members living in ``timezones`` (where it is now ``local_hour`` on ``local_weekday``)
    whose digest of ``period`` is due and not yet done: it is the chosen day (weekly) and the
    chosen hour is past, their address is verified, and no digest of the period was sent or
    found empty. Streamed in user-id order (one query, see topic_watcher_ids)."""
    done = Digest.objects.filter(
        user_id=OuterRef("pk"), frequency=frequency, period=period
    ).exclude(status=DigestStatus.PENDING)
    # Due from the chosen hour until the end of the member's day (a beat that missed an hour
    # catches up the same day; a whole day missed skips that digest rather than sending it on
    # the wrong day). The member's hour and weekday, or the defaults without a schedule row.
    if frequency == "daily":
        at_time = Q(digest_schedule__hour__lte=local_hour)
        default_time = local_hour >= DigestSchedule.DEFAULT_HOUR
    else:
        at_time = Q(digest_schedule__weekday=local_weekday, digest_schedule__hour__lte=local_hour)
        default_time = (
            local_weekday == DigestSchedule.DEFAULT_WEEKDAY
            and local_hour >= DigestSchedule.DEFAULT_HOUR
        )
    no_row = Q(digest_schedule__isnull=True)
    time_due = at_time | no_row if default_time else at_time
    # Who asked for the digest itself...
    wants = digest_wanted_q(frequency)
    # ...and who has notifications waiting for it (a kind set to "in the daily digest" makes
    # a daily digest even when the member did not ask for the whole digest).
    waiting = Exists(
        Delivery.objects.filter(
            recipient_id=OuterRef("pk"), channel=frequency, status=DeliveryStatus.PENDING
        )
    )
    return (
        User.objects.filter(is_active=True, timezone__in=list(timezones))
        .filter(time_due & (wants | waiting))
        .filter(verified_email_q())
        .exclude(Exists(done))
        .order_by("pk")
        .values_list("pk", flat=True)
        .iterator(chunk_size=STREAM_CHUNK)
    )


def digest_wanted_q(frequency: str) -> Q:
    """Members who asked for the whole digest of ``frequency`` (or left the default on)."""
    flag = f"digest_schedule__{frequency}"
    default = (
        DigestSchedule.DEFAULT_DAILY if frequency == "daily" else DigestSchedule.DEFAULT_WEEKLY
    )
    chosen = Q(**{flag: True})
    return chosen | Q(digest_schedule__isnull=True) if default else chosen


def digest_wanted_ids(*, user_ids: Collection[int], frequency: str) -> set[int]:
    return set(
        User.objects.filter(pk__in=list(user_ids))
        .filter(digest_wanted_q(frequency))
        .values_list("pk", flat=True)
    )


def timezones_in_use() -> list[str]:
    return list(User.objects.filter(is_active=True).values_list("timezone", flat=True).distinct())


@dataclass
class DigestTopic:
    topic_id: int
    title: str
    url: str
    category: str
    kind: str
    reply_count: int
    score: int
    unread: int = 0

    @property
    def is_idea(self) -> bool:
        return self.kind == TopicKind.IDEA


@dataclass
class DigestContent:
    """What one member's digest holds; empty when there is nothing new for them."""

    notifications: list[Notification] = field(default_factory=list)
    missed: list[DigestTopic] = field(default_factory=list)
    followed: list[DigestTopic] = field(default_factory=list)
    popular: list[DigestTopic] = field(default_factory=list)
    queue: dict | None = None
    delivery_ids: list[int] = field(default_factory=list)

    @property
    def item_count(self) -> int:
        return (
            len(self.notifications)
            + len(self.missed)
            + len(self.followed)
            + len(self.popular)
            + (1 if self.queue else 0)
        )

    @property
    def is_empty(self) -> bool:
        return self.item_count == 0


DIGEST_TOPICS = 5
DIGEST_CANDIDATES = 300


class DigestSources:
    """What the digests of one chunk of members are made of, read in a fixed number of queries
    (not one per member): the new topics of the window ranked by the community's ranking
    (``Topic.hot``), the members' followed categories and topics, their read positions and the
    notifications waiting for this digest."""

    def __init__(self, *, user_ids: Collection[int], frequency: str, since: datetime) -> None:
        self.user_ids = list(user_ids)
        self.frequency = frequency
        self.since = since
        self._digest_topics: dict[int, DigestTopic] = {}
        self.new_topics: list[Topic] = list(
            Topic.objects.filter(state=ContentState.VISIBLE, created_at__gte=since)
            .select_related("category")
            .order_by("-hot", "-id")[:DIGEST_CANDIDATES]
        )
        self.followed_categories: dict[int, set[int]] = {}
        for uid, category_id in CategorySubscription.objects.filter(
            user_id__in=self.user_ids, level__gte=NotificationLevel.TRACKING
        ).values_list("user_id", "category_id"):
            self.followed_categories.setdefault(uid, set()).add(category_id)
        self.muted_categories: dict[int, set[int]] = {}
        for uid, category_id in CategorySubscription.objects.filter(
            user_id__in=self.user_ids, level=NotificationLevel.MUTED
        ).values_list("user_id", "category_id"):
            self.muted_categories.setdefault(uid, set()).add(category_id)
        # Topics followed (tracking or watching) with activity in the window, with how far the
        # member read them: "replies you missed".
        self.missed: dict[int, list[DigestTopic]] = {}
        read_subquery = ReadPosition.objects.filter(
            user_id=OuterRef("user_id"), topic_id=OuterRef("topic_id")
        ).values("last_read_number")[:1]
        followed = (
            TopicSubscription.objects.filter(
                user_id__in=self.user_ids,
                level__gte=NotificationLevel.TRACKING,
                topic__state=ContentState.VISIBLE,
                topic__last_activity_at__gte=since,
            )
            .annotate(read=Coalesce(Subquery(read_subquery), 0))
            .values_list(
                "user_id",
                "topic_id",
                "topic__title",
                "topic__category__name",
                "topic__kind",
                "topic__reply_count",
                "topic__score",
                "topic__highest_post_number",
                "read",
            )
            .order_by("-topic__last_activity_at")
        )
        for uid, tid, title, category, kind, replies, score, highest, read in followed:
            if highest > read and read > 0:
                self.missed.setdefault(uid, []).append(
                    DigestTopic(
                        topic_id=tid,
                        title=title,
                        url=f"/t/{tid}/{read + 1}/",
                        category=category,
                        kind=kind,
                        reply_count=replies,
                        score=score,
                        unread=highest - read,
                    )
                )
        candidate_ids = [topic.pk for topic in self.new_topics]
        self.read_topics: set[tuple[int, int]] = set(
            ReadPosition.objects.filter(
                user_id__in=self.user_ids, topic_id__in=candidate_ids, last_read_number__gt=0
            ).values_list("user_id", "topic_id")
        )
        self.notifications: dict[int, list[tuple[int, Notification]]] = {}
        deliveries = (
            Delivery.objects.filter(
                recipient_id__in=self.user_ids,
                channel=frequency,
                status=DeliveryStatus.PENDING,
            )
            .select_related("notification", "notification__topic")
            .order_by("-notification__created_at")
        )
        for delivery in deliveries:
            self.notifications.setdefault(delivery.recipient_id, []).append(
                (delivery.pk, delivery.notification)
            )

    def _digest_topic(self, topic: Topic) -> DigestTopic:
        # One per topic and batch: the same few topics appear in thousands of digests.
        found = self._digest_topics.get(topic.pk)
        if found is None:
            found = self._digest_topics[topic.pk] = DigestTopic(
                topic_id=topic.pk,
                title=topic.title,
                url=topic.get_absolute_url(),
                category=topic.category.name,
                kind=topic.kind,
                reply_count=topic.reply_count,
                score=topic.score,
            )
        return found

    def content_for(
        self, user: User, *, since: datetime, notifications_only: bool = False
    ) -> DigestContent:
        """The digest of one member of the chunk (no query). ``notifications_only``: the
        member did not ask for the digest, only for some kinds of notification in it."""
        uid = user.pk
        content = DigestContent()
        for delivery_id, notification in self.notifications.get(uid, []):
            content.delivery_ids.append(delivery_id)
            if notification.read_at is None:
                content.notifications.append(notification)
        content.notifications = content.notifications[:20]
        if notifications_only:
            return content
        content.missed = self.missed.get(uid, [])[:DIGEST_TOPICS]
        seen = {topic.topic_id for topic in content.missed}
        followed = self.followed_categories.get(uid, set())
        muted = self.muted_categories.get(uid, set())
        for topic in self.new_topics:
            if len(content.followed) >= DIGEST_TOPICS and len(content.popular) >= DIGEST_TOPICS:
                break
            if (
                topic.created_at < since
                or topic.pk in seen
                or topic.author_id == uid
                or topic.category_id in muted
                or (uid, topic.pk) in self.read_topics
            ):
                continue
            if topic.category_id in followed:
                if len(content.followed) < DIGEST_TOPICS:
                    content.followed.append(self._digest_topic(topic))
                    seen.add(topic.pk)
            elif len(content.popular) < DIGEST_TOPICS:
                content.popular.append(self._digest_topic(topic))
                seen.add(topic.pk)
        return content


def last_digest_times(*, user_ids: Collection[int], frequency: str) -> dict[int, datetime]:
    """When each member's last digest of ``frequency`` was sent (one query)."""
    return dict(
        Digest.objects.filter(
            user_id__in=list(user_ids), frequency=frequency, status=DigestStatus.SENT
        )
        .values("user_id")
        .annotate(last=Max("sent_at"))
        .values_list("user_id", "last")
    )


def post_excerpt(post: Post, length: int = 200) -> str:
    """Plain text from the start of a post (its Markdown source, squeezed)."""
    text = " ".join((post.body or "").split())
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"
