"""Every non-trivial read of ideas, shaped for pages, exports and other apps.

Querysets come with the ``select_related``/``prefetch_related``/annotations their pages need,
so a page costs a fixed number of queries whatever its length. ``*_get_for_user`` selectors
are the one door to user-visible objects: they raise ``Http404`` when the user may not see the
object. Unknown orderings fall back to the default rather than raising.

For notifications: :func:`idea_audience` (who hears of an idea's status change or merge) and
:func:`challenge_audience` (who hears a challenge phase opened) return sets of user ids.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db import connection
from django.db.models import (
    BooleanField,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
)
from django.db.models.functions import Coalesce, Greatest, TruncDate
from django.http import Http404
from django.utils import timezone

from accounts.models import User
from community import permissions as community_permissions
from community.models import (
    Category,
    CategorySubscription,
    ContentState,
    NotificationLevel,
    Post,
    TopicKind,
    TopicSubscription,
)
from ideas.conf import ideas_settings as conf
from ideas.models import (
    OPEN_STATUSES,
    Challenge,
    ChallengePhase,
    Idea,
    IdeaCategorySettings,
    IdeaStatus,
    IdeaStatusChange,
    IdeaVote,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    AnyUser = User | AnonymousUser | None

BOARD_ORDERINGS = ("trending", "top", "new", "updated")
DEFAULT_BOARD_ORDERING = "trending"
_WORD_RE = re.compile(r"\w+")
_FOLLOWING = (NotificationLevel.WATCHING, NotificationLevel.TRACKING)
MAX_SIMILAR_TERMS = 8


def _authenticated(user: AnyUser) -> bool:
    return bool(user is not None and user.is_authenticated)


def _as_int(value: object) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise Http404("Not an id") from None


def _visible_ideas() -> QuerySet[Idea]:
    return Idea.objects.filter(topic__state=ContentState.VISIBLE)


def _in_category(ideas: QuerySet[Idea], category: Category | None) -> QuerySet[Idea]:
    """A category includes its subcategories."""
    if category is None:
        return ideas
    return ideas.filter(Q(topic__category=category) | Q(topic__category__parent=category))


def _roadmap_visible(ideas: QuerySet[Idea], user: AnyUser) -> QuerySet[Idea]:
    """Anonymous readers do not see the ideas of members-only roadmaps."""
    if _authenticated(user):
        return ideas
    return ideas.exclude(topic__category__idea_settings__roadmap_public=False)


def _with_my_vote(ideas: QuerySet[Idea], user: AnyUser) -> QuerySet[Idea]:
    """Annotate ``my_vote`` (1 when ``user`` supports the idea, else 0)."""
    if not _authenticated(user):
        return ideas.annotate(my_vote=Value(0, output_field=IntegerField()))
    mine = IdeaVote.objects.filter(idea=OuterRef("pk"), user=user.pk)
    return ideas.annotate(my_vote=Exists(mine))


def _recent_votes(since: datetime) -> Coalesce:
    recent = (
        IdeaVote.objects.filter(idea=OuterRef("pk"), created_at__gte=since, discounted=False)
        .order_by()
        .values("idea")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return Coalesce(Subquery(recent, output_field=IntegerField()), Value(0))


_CARD_DEFER = (
    "official_response",
    "official_response_html",
    "release_note",
    "release_note_html",
)


# --- The board -------------------------------------------------------------------------------


def idea_board(
    *,
    user: AnyUser,
    category: Category | None = None,
    ordering: str = DEFAULT_BOARD_ORDERING,
    filters: dict[str, Any] | None = None,
) -> QuerySet[Idea]:
    """Visible ideas for the board, as a lazy queryset ready to paginate.

    Orderings: ``trending`` (supports received in the last IDEAS_TRENDING_DAYS days, then
    all-time supports), ``top`` (supports), ``new`` (proposed), ``updated`` (last comment or
    status change). Merged duplicates are left out unless ``filters`` asks for the
    "duplicate" status. ``filters`` is the data of :class:`ideas.filters.IdeaFilterSet`
    (status, category, tag, q, challenge; invalid values are ignored). Each idea has
    ``topic`` (with ``category``) loaded, the topic's ``tags`` prefetched, and ``my_vote`` and
    ``recent_votes`` annotations. Costs: one query for the page plus one for the tags."""
    ideas = _in_category(_visible_ideas(), category)
    status = (filters or {}).get("status")
    if filters:
        from ideas.filters import IdeaFilterSet

        ideas = IdeaFilterSet(data=filters, queryset=ideas).qs
    if status != IdeaStatus.DUPLICATE:
        ideas = ideas.exclude(status=IdeaStatus.DUPLICATE)
    since = timezone.now() - timedelta(days=conf.TRENDING_DAYS)
    ideas = ideas.annotate(recent_votes=_recent_votes(since))
    ordering = ordering if ordering in BOARD_ORDERINGS else DEFAULT_BOARD_ORDERING
    if ordering == "trending":
        ideas = ideas.order_by("-recent_votes", "-vote_count", "-created_at", "-pk")
    elif ordering == "top":
        ideas = ideas.order_by("-vote_count", "-created_at", "-pk")
    elif ordering == "new":
        ideas = ideas.order_by("-created_at", "-pk")
    else:  # updated
        ideas = ideas.annotate(
            updated_at=Greatest(
                F("topic__last_activity_at"),
                Coalesce(F("status_changed_at"), F("topic__created_at")),
            )
        ).order_by("-updated_at", "-pk")
    ideas = (
        ideas.select_related("topic", "topic__category")
        .defer(*_CARD_DEFER)
        .prefetch_related("topic__tags")
    )
    return _with_my_vote(ideas, user)


# --- One idea --------------------------------------------------------------------------------


def idea_get_for_user(*, user: AnyUser, idea_id: int | str) -> Idea:
    """The idea if ``user`` may see it, else 404 — the one door to an idea page.

    Loads ``topic`` (its category and the category's parent, its author), ``merged_into``
    (and its topic), ``challenge`` and the idea settings of its category
    (``topic.category.idea_settings`` may be missing: use :func:`settings_of`); annotates
    ``my_vote``, ``my_vote_discounted``, ``has_merged`` (ideas were merged into it) and
    ``my_active_votes`` (the reader's supports counting against the category's budget, see
    :func:`idea_vote_budget`). One query."""
    ideas = Idea.objects.select_related(
        "topic",
        "topic__category",
        "topic__category__parent",
        "topic__category__idea_settings",
        "topic__author",
        "merged_into",
        "merged_into__topic",
        "challenge",
    )
    ideas = _with_my_vote(ideas, user).annotate(
        has_merged=Exists(Idea.objects.filter(merged_into=OuterRef("pk")))
    )
    if _authenticated(user):
        discounted = IdeaVote.objects.filter(idea=OuterRef("pk"), user=user.pk, discounted=True)
        active = (
            _active_votes(user)
            .filter(idea__topic__category=OuterRef("topic__category"))
            .order_by()
            .values("user")
            .annotate(count=Count("pk"))
            .values("count")
        )
        ideas = ideas.annotate(
            my_vote_discounted=Exists(discounted),
            my_active_votes=Coalesce(Subquery(active, output_field=IntegerField()), Value(0)),
        )
    else:
        ideas = ideas.annotate(
            my_vote_discounted=Value(False, output_field=BooleanField()),
            my_active_votes=Value(0, output_field=IntegerField()),
        )
    idea = ideas.filter(pk=_as_int(idea_id)).first()
    if idea is None or not community_permissions.can_view_topic(user, idea.topic):
        raise Http404("No such idea")
    return idea


def settings_of(category: Category) -> IdeaCategorySettings | None:
    """The category's idea settings when ``select_related`` loaded them (no query), or when
    absent, None."""
    try:
        return category.idea_settings
    except IdeaCategorySettings.DoesNotExist:
        return None


def idea_status_history(*, idea: Idea) -> list[IdeaStatusChange]:
    """The status changes of ``idea``, newest first. One query."""
    return list(IdeaStatusChange.objects.filter(idea=idea).order_by("-changed_at", "-pk"))


def idea_merged_sources(*, idea: Idea) -> list[Idea]:
    """Ideas merged into ``idea`` (their discussion stays on their own topic), with ``topic``.
    One query."""
    return list(
        Idea.objects.filter(merged_into=idea)
        .select_related("topic")
        .defer(*_CARD_DEFER)
        .order_by("-merged_at", "-pk")
    )


# --- Vote budgets ----------------------------------------------------------------------------


@dataclass(frozen=True)
class VoteBudget:
    budget: int
    used: int

    @property
    def remaining(self) -> int:
        return max(self.budget - self.used, 0)


def category_vote_budget(*, category: Category) -> int | None:
    """The category's vote budget, or None for unlimited. One query."""
    row = IdeaCategorySettings.objects.filter(category=category).values_list(
        "vote_budget", flat=True
    )
    return row.first()


def _active_votes(user: User) -> QuerySet[IdeaVote]:
    return IdeaVote.objects.filter(
        user=user.pk, idea__status__in=list(OPEN_STATUSES), idea__challenge__isnull=True
    )


def active_vote_count(*, user: User, category: Category) -> int:
    """Supports ``user`` holds on open ideas of ``category`` outside challenges (what counts
    against a vote budget; shipped, declined and merged ideas give them back). One query."""
    return _active_votes(user).filter(idea__topic__category=category).count()


def idea_vote_budget(*, user: AnyUser, idea: Idea) -> VoteBudget | None:
    """``user``'s budget in the category of an idea from :func:`idea_get_for_user` (which
    loaded the settings and counted the supports): no query. None without a budget, for
    challenge entries (a contest of their own) and for anonymous readers."""
    if not _authenticated(user) or idea.challenge_id is not None:
        return None
    row = settings_of(idea.topic.category)
    if row is None or row.vote_budget is None:
        return None
    return VoteBudget(budget=row.vote_budget, used=idea.my_active_votes)


def member_vote_budget(*, user: AnyUser, category: Category) -> VoteBudget | None:
    """``user``'s budget in ``category``, or None (unlimited, or not signed in). Two queries
    at most (none for the settings when ``category.idea_settings`` was select_related)."""
    if not _authenticated(user):
        return None
    if Category.idea_settings.is_cached(category):
        row = settings_of(category)
        budget = row.vote_budget if row is not None else None
    else:
        budget = category_vote_budget(category=category)
    if budget is None:
        return None
    return VoteBudget(budget=budget, used=active_vote_count(user=user, category=category))


# --- Roadmap and changelog -------------------------------------------------------------------


@dataclass
class RoadmapColumn:
    status: str
    label: str
    ideas: list[Idea] = field(default_factory=list)


def roadmap(*, user: AnyUser, category: Category | None = None) -> list[RoadmapColumn]:
    """The roadmap's columns: planned and in progress (most supported first, at most
    IDEAS_ROADMAP_COLUMN_LIMIT each) and recently shipped (IDEAS_ROADMAP_SHIPPED_LIMIT).
    Ideas of members-only roadmaps are left out for anonymous readers. Three queries."""
    base = _roadmap_visible(_in_category(_visible_ideas(), category), user)
    base = base.select_related("topic", "topic__category").defer(*_CARD_DEFER)
    columns = []
    for status, ordering, limit in (
        (IdeaStatus.PLANNED, ("-vote_count", "-pk"), conf.ROADMAP_COLUMN_LIMIT),
        (IdeaStatus.IN_PROGRESS, ("-vote_count", "-pk"), conf.ROADMAP_COLUMN_LIMIT),
        (IdeaStatus.SHIPPED, ("-shipped_at", "-pk"), conf.ROADMAP_SHIPPED_LIMIT),
    ):
        ideas = list(base.filter(status=status).order_by(*ordering)[:limit])
        columns.append(
            RoadmapColumn(status=status, label=str(IdeaStatus(status).label), ideas=ideas)
        )
    return columns


def changelog(*, user: AnyUser, category: Category | None = None) -> QuerySet[Idea]:
    """Shipped ideas, most recently shipped first, with their release notes: a lazy queryset
    to paginate (one query per page)."""
    ideas = _roadmap_visible(_in_category(_visible_ideas(), category), user)
    return (
        ideas.filter(status=IdeaStatus.SHIPPED)
        .select_related("topic", "topic__category")
        .order_by("-shipped_at", "-pk")
    )


# --- Similar ideas ---------------------------------------------------------------------------


def _similar_terms(query: object) -> list[str]:
    text = " ".join(str(query or "").replace("\x00", " ").split())[:200]
    if len(text) < conf.SIMILAR_MIN_CHARS:
        return []
    terms = list(dict.fromkeys(word.lower() for word in _WORD_RE.findall(text)))
    return terms[:MAX_SIMILAR_TERMS]


def similar_ideas(
    *,
    user: AnyUser,
    query: str,
    category: Category | None = None,
    exclude_id: int | None = None,
    limit: int | None = None,
) -> list[Idea]:
    """Ideas like the title being typed, best first, to avoid duplicates (merged ones left
    out; shipped and declined ones included: "already done" is an answer too).

    PostgreSQL: the first posts' full-text vectors (title weight A, body B) against the
    words of the query OR-ed, the last one as a prefix (it is still being typed), in English
    and French; ranked by ``ts_rank``. SQLite: titles containing any word of three letters or
    more, ranked by how many words match, then by supports. One query either way; an empty or
    too short query costs none."""
    limit = limit or conf.SIMILAR_LIMIT
    terms = _similar_terms(query)
    if not terms:
        return []
    if connection.vendor == "postgresql":
        ideas = _similar_postgresql(terms, category=category, exclude_id=exclude_id, limit=limit)
    else:
        ideas = _similar_fallback(terms, category=category, exclude_id=exclude_id, limit=limit)
    return ideas


def _similar_postgresql(
    terms: list[str], *, category: Category | None, exclude_id: int | None, limit: int
) -> list[Idea]:
    # Words are \w+ only, so they cannot carry tsquery operators: the raw syntax is safe.
    raw = " | ".join([*terms[:-1], f"{terms[-1]}:*"])
    tsquery = SearchQuery(raw, search_type="raw", config="english") | SearchQuery(
        raw, search_type="raw", config="french"
    )
    posts = Post.objects.filter(
        number=1,
        state=ContentState.VISIBLE,
        topic__state=ContentState.VISIBLE,
        topic__kind=TopicKind.IDEA,
        topic__idea__isnull=False,
        search_vector=tsquery,
    ).exclude(topic__idea__status=IdeaStatus.DUPLICATE)
    if category is not None:
        posts = posts.filter(Q(topic__category=category) | Q(topic__category__parent=category))
    if exclude_id is not None:
        posts = posts.exclude(topic_id=exclude_id)
    rows = (
        posts.annotate(rank=SearchRank(F("search_vector"), tsquery))
        .select_related("topic", "topic__category", "topic__idea")
        .only(
            "pk",
            "topic__id",
            "topic__title",
            "topic__slug",
            "topic__reply_count",
            "topic__category__name",
            "topic__category__slug",
            "topic__category__colour",
            "topic__idea__status",
            "topic__idea__vote_count",
        )
        .order_by("-rank", "-topic__idea__vote_count", "-pk")[:limit]
    )
    ideas = []
    for post in rows:
        idea = post.topic.idea
        idea.topic = post.topic
        ideas.append(idea)
    return ideas


def _similar_fallback(
    terms: list[str], *, category: Category | None, exclude_id: int | None, limit: int
) -> list[Idea]:
    words = [term for term in terms if len(term) >= 3] or terms[:1]
    match = Q()
    for word in words:
        match |= Q(topic__title__icontains=word)
    ideas = _in_category(_visible_ideas(), category).filter(match)
    ideas = ideas.exclude(status=IdeaStatus.DUPLICATE)
    if exclude_id is not None:
        ideas = ideas.exclude(pk=exclude_id)
    candidates = list(
        ideas.select_related("topic", "topic__category")
        .defer(*_CARD_DEFER)
        .order_by("-vote_count", "-pk")[:50]
    )

    def score(idea: Idea) -> int:
        title = idea.topic.title.lower()
        return sum(1 for word in words if word in title)

    candidates.sort(key=lambda idea: (-score(idea), -idea.vote_count, -idea.pk))
    return candidates[:limit]


# --- Insight for the brand -------------------------------------------------------------------


@dataclass(frozen=True)
class VotesOnDay:
    day: date
    count: int
    cumulative: int


def idea_votes_over_time(*, idea: Idea) -> list[VotesOnDay]:
    """Supports received per day (counted ones, in the site's time zone), with the running
    total. One query."""
    rows = (
        IdeaVote.objects.filter(idea=idea, discounted=False)
        .annotate(day=TruncDate("created_at"))
        .order_by()
        .values("day")
        .annotate(count=Count("pk"))
        .order_by("day")
    )
    total = 0
    days = []
    for row in rows:
        total += row["count"]
        days.append(VotesOnDay(day=row["day"], count=row["count"], cumulative=total))
    return days


def idea_supporters(*, idea: Idea, limit: int | None = None) -> QuerySet[IdeaVote]:
    """Who supports ``idea``, influential supporters first: highest trust level, then
    reputation, then earliest support. Discounted supports are included (``discounted``
    says so). ``user`` is loaded. One query."""
    votes = (
        IdeaVote.objects.filter(idea=idea)
        .select_related("user")
        .order_by("-user__trust_level", "-user__reputation", "created_at", "pk")
    )
    return votes[:limit] if limit else votes


@dataclass
class SuspectVote:
    vote: IdeaVote
    signals: list[str]


@dataclass
class VoteIntegrityReport:
    """What the vote-integrity report shows staff (nothing is decided automatically).

    Signals per support: ``same_day_cohort`` (the voter's account was created the same day as
    at least IDEAS_SUSPICIOUS_SAME_DAY_COHORT other voters' accounts), ``new_account``
    (created less than a day before the support), ``single_idea`` (the voter supports no
    other idea), ``shared_network`` (at least IDEAS_SUSPICIOUS_SHARED_NETWORK voters of the
    idea share its /24 or /48), ``burst`` (inside a window of IDEAS_BURST_WINDOW_MINUTES
    holding at least IDEAS_SUSPICIOUS_BURST_VOTES supports). Supports with
    IDEAS_SUSPICIOUS_MIN_SIGNALS signals or more are listed, most signals first."""

    total: int
    suspects: list[SuspectVote]
    cohorts: list[tuple[date, int]]
    networks: list[tuple[str, int]]
    bursts: list[tuple[datetime, datetime, int]]

    @property
    def suspect_count(self) -> int:
        return len(self.suspects)


def _burst_windows(times: list[datetime]) -> tuple[set[int], list[tuple[datetime, datetime, int]]]:
    """Indexes of ``times`` (sorted) inside a burst, and the bursts merged into windows."""
    window = timedelta(minutes=conf.BURST_WINDOW_MINUTES)
    threshold = conf.SUSPICIOUS_BURST_VOTES
    inside: set[int] = set()
    start = 0
    for end in range(len(times)):
        while times[end] - times[start] > window:
            start += 1
        if end - start + 1 >= threshold:
            inside.update(range(start, end + 1))
    bursts: list[tuple[datetime, datetime, int]] = []
    run: list[int] = []
    for index in sorted(inside):
        if run and index != run[-1] + 1:
            bursts.append((times[run[0]], times[run[-1]], len(run)))
            run = []
        run.append(index)
    if run:
        bursts.append((times[run[0]], times[run[-1]], len(run)))
    return inside, bursts


def suspicious_vote_report(*, idea: Idea) -> VoteIntegrityReport:
    """The vote-integrity report of ``idea`` (see :class:`VoteIntegrityReport`). One query."""
    other_votes = (
        IdeaVote.objects.filter(user=OuterRef("user"))
        .exclude(idea=OuterRef("idea"))
        .order_by()
        .values("user")
        .annotate(count=Count("pk"))
        .values("count")
    )
    votes = list(
        IdeaVote.objects.filter(idea=idea)
        .select_related("user")
        .annotate(other_votes=Coalesce(Subquery(other_votes, output_field=IntegerField()), 0))
        .order_by("created_at", "pk")
    )
    joined_on = [timezone.localdate(vote.user.date_joined) for vote in votes]
    cohort_sizes = Counter(joined_on)
    network_sizes = Counter(vote.ip_network for vote in votes if vote.ip_network)
    in_burst, bursts = _burst_windows([vote.created_at for vote in votes])
    suspects = []
    for index, vote in enumerate(votes):
        signals = []
        if cohort_sizes[joined_on[index]] >= conf.SUSPICIOUS_SAME_DAY_COHORT:
            signals.append("same_day_cohort")
        if timedelta(0) <= vote.created_at - vote.user.date_joined < timedelta(days=1):
            signals.append("new_account")
        if vote.other_votes == 0:
            signals.append("single_idea")
        if vote.ip_network and network_sizes[vote.ip_network] >= conf.SUSPICIOUS_SHARED_NETWORK:
            signals.append("shared_network")
        if index in in_burst:
            signals.append("burst")
        if len(signals) >= conf.SUSPICIOUS_MIN_SIGNALS:
            suspects.append(SuspectVote(vote=vote, signals=signals))
    suspects.sort(key=lambda suspect: (-len(suspect.signals), suspect.vote.created_at))
    return VoteIntegrityReport(
        total=len(votes),
        suspects=suspects,
        cohorts=sorted(
            (day, size)
            for day, size in cohort_sizes.items()
            if size >= conf.SUSPICIOUS_SAME_DAY_COHORT
        ),
        networks=sorted(
            (
                (network, size)
                for network, size in network_sizes.items()
                if size >= conf.SUSPICIOUS_SHARED_NETWORK
            ),
            key=lambda item: -item[1],
        ),
        bursts=bursts,
    )


def ideas_export_rows(*, category: Category | None = None) -> Iterator[dict[str, Any]]:
    """Every idea (all states of the lifecycle, merged ones included) as plain values for the
    CSV export, streamed in chunks: one query per 2000 rows."""
    ideas = _in_category(_visible_ideas(), category).order_by("pk")
    return ideas.values(
        "pk",
        "topic__title",
        "topic__category__name",
        "status",
        "vote_count",
        "topic__reply_count",
        "topic__author_name",
        "topic__created_at",
        "status_changed_at",
        "shipped_at",
        "merged_into_id",
        "challenge__title",
        "official_response",
    ).iterator(chunk_size=2000)


# --- Audiences (for notifications) -----------------------------------------------------------


def idea_audience(idea_id: int) -> set[int]:
    """Who hears of an idea's status change or merge: its proposer, its supporters (including
    those whose support moved here or came from it through a merge), and members watching or
    tracking its topic; minus members who muted the topic, and inactive accounts. The caller
    removes the actor if it wishes. One query (plus one to find the proposer)."""
    idea = Idea.objects.filter(pk=idea_id).values("topic__author_id").first()
    if idea is None:
        return set()
    voters = IdeaVote.objects.filter(Q(idea_id=idea_id) | Q(merged_from_id=idea_id)).values(
        "user_id"
    )
    watchers = TopicSubscription.objects.filter(topic_id=idea_id, level__in=_FOLLOWING).values(
        "user_id"
    )
    muted = TopicSubscription.objects.filter(
        topic_id=idea_id, level=NotificationLevel.MUTED
    ).values("user_id")
    reach = Q(pk__in=voters) | Q(pk__in=watchers)
    if idea["topic__author_id"] is not None:
        reach |= Q(pk=idea["topic__author_id"])
    users = User.objects.filter(is_active=True).filter(reach).exclude(pk__in=muted)
    return set(users.values_list("pk", flat=True))


def challenge_audience(challenge_id: int) -> set[int]:
    """Who hears that a challenge phase opened: its jury, the authors of its entries, their
    supporters, and members watching or tracking its category (minus those who muted the
    category, jury excepted). One query (plus one for the category)."""
    category_id = Challenge.objects.filter(pk=challenge_id).values_list("category_id", flat=True)
    category_id = category_id.first()
    if category_id is None:
        return set()
    authors = Idea.objects.filter(challenge_id=challenge_id).values("topic__author_id")
    voters = IdeaVote.objects.filter(idea__challenge_id=challenge_id).values("user_id")
    watchers = CategorySubscription.objects.filter(
        category_id=category_id, level__in=_FOLLOWING
    ).values("user_id")
    muted = CategorySubscription.objects.filter(
        category_id=category_id, level=NotificationLevel.MUTED
    ).values("user_id")
    jury = Challenge.jury.through.objects.filter(challenge_id=challenge_id).values("user_id")
    participants = (Q(pk__in=authors) | Q(pk__in=voters) | Q(pk__in=watchers)) & ~Q(pk__in=muted)
    users = User.objects.filter(is_active=True).filter(participants | Q(pk__in=jury))
    return set(users.values_list("pk", flat=True))


# --- Challenges ------------------------------------------------------------------------------


def challenge_list(*, user: AnyUser) -> list[Challenge]:
    """Every challenge, running ones first (then upcoming, then past), with ``category`` and
    ``entry_count``. One query."""
    challenges = list(
        Challenge.objects.select_related("category", "winner", "winner__topic").annotate(
            entry_count=Count(
                "entries", filter=Q(entries__topic__state=ContentState.VISIBLE), distinct=True
            )
        )
    )
    now = timezone.now()
    rank = {
        ChallengePhase.SUBMISSION: 0,
        ChallengePhase.SHORTLIST: 0,
        ChallengePhase.WAITING: 0,
        ChallengePhase.VOTE: 0,
        ChallengePhase.DELIBERATION: 1,
        ChallengePhase.UPCOMING: 2,
        ChallengePhase.ANNOUNCEMENT: 3,
    }
    challenges.sort(key=lambda c: (rank[c.phase_at(now)], -c.submission_start.timestamp()))
    return challenges


def challenge_get_for_user(*, user: AnyUser, challenge_id: int | str) -> Challenge:
    challenge = (
        Challenge.objects.select_related("category", "winner", "winner__topic")
        .filter(pk=_as_int(challenge_id))
        .first()
    )
    if challenge is None:
        raise Http404("No such challenge")
    return challenge


def challenge_entries(*, user: AnyUser, challenge: Challenge) -> QuerySet[Idea]:
    """The visible entries of a challenge: most supported first from the vote on, newest
    first before; shortlisted ones first once the jury has spoken. Same loading as the board."""
    ideas = _visible_ideas().filter(challenge=challenge)
    phase = challenge.phase
    if phase in (ChallengePhase.VOTE, ChallengePhase.DELIBERATION, ChallengePhase.ANNOUNCEMENT):
        ideas = ideas.order_by("-shortlisted", "-vote_count", "-created_at", "-pk")
    else:
        ideas = ideas.order_by("-shortlisted", "-created_at", "-pk")
    ideas = (
        ideas.select_related("topic", "topic__category")
        .defer(*_CARD_DEFER)
        .prefetch_related("topic__tags")
        .annotate(recent_votes=Value(0, output_field=IntegerField()))
    )
    return _with_my_vote(ideas, user)
