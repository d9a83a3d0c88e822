"""People: influence ranking, rising members and ambassadors.

Reach over a period (``influence_ranking``)
    For each member, what the community gave back to them in [start, end):

    * ``replies``: visible replies by others in topics they started, plus visible replies by
      others to their posts in other people's topics;
    * ``votes``: up-votes their posts received;
    * ``accepted``: their answers accepted (answers written in the period);
    * ``followers``: other members who started following (tracking or watching) a topic they
      started;
    * ``ideas``: their ideas moved to "planned" or "shipped" (each idea once).

    The score weighs them with ``INSIGHTS_INFLUENCE_WEIGHTS``. The trend compares with the
    period of the same length just before. Each figure is one aggregate query grouped by
    member over both periods at once (conditional counts), then one query loads the members
    shown: eight queries whatever the number of members. Staff roles (moderators, brand staff,
    administrators) are left out: the ranking is about the community.

Rising members (``rising_members``)
    Members who joined in the last ``INSIGHTS_RISING_DAYS`` days, ranked by their engagement
    since: posts written, up-votes received, answers accepted.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Exists, F, OuterRef, Q
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import permissions as account_permissions
from accounts.models import User
from accounts.roles import STAFF_ROLES
from insights.models import Ambassador

DEFAULTS = {
    "INFLUENCE_WEIGHTS": {"replies": 1, "votes": 1, "accepted": 5, "followers": 2, "ideas": 10},
    "INFLUENCE_LIMIT": 50,
    "RISING_DAYS": 30,
    "RISING_WEIGHTS": {"posts": 1, "votes": 1, "accepted": 5},
    "RISING_MIN_SCORE": 3,
    "RISING_LIMIT": 50,
}
FIGURES = ("replies", "votes", "accepted", "followers", "ideas")
NOTE_MAX_LENGTH = 500


def conf(name: str):
    return getattr(settings, f"INSIGHTS_{name}", DEFAULTS[name])


# --- Permissions -----------------------------------------------------------------------------


def can_view_people(user) -> bool:
    return account_permissions.can_view_insights(user)


def can_manage_ambassadors(user) -> bool:
    """Community managers (moderators) and administrators name ambassadors."""
    return account_permissions.is_moderator(user) or account_permissions.is_administrator(user)


# --- Influence ranking -----------------------------------------------------------------------


@dataclass
class Influence:
    member: User
    figures: dict[str, int]
    previous: dict[str, int]
    score: int
    previous_score: int
    rank: int = 0
    previous_rank: int | None = None
    is_ambassador: bool = False

    @property
    def trend(self) -> int:
        return self.score - self.previous_score

    @property
    def rank_change(self) -> int | None:
        """Places gained since the previous period (None: not ranked then)."""
        return None if self.previous_rank is None else self.previous_rank - self.rank


@dataclass
class Ranking:
    start: datetime
    end: datetime
    previous_start: datetime
    rows: list[Influence] = field(default_factory=list)
    total: int = 0


def _staff_q(prefix: str = "") -> Q:
    return Q(**{f"{prefix}groups__name__in": list(STAFF_ROLES)}) | Q(
        **{f"{prefix}is_superuser": True}
    )


def _grouped(queryset, key: str, current: Q, previous: Q) -> dict[int, tuple[int, int]]:
    """{member id: (count in the period, count in the previous period)} — one query."""
    rows = (
        queryset.values(key)
        .annotate(now=Count("pk", filter=current), before=Count("pk", filter=previous))
        .order_by()
        .values_list(key, "now", "before")
    )
    return {uid: (now, before) for uid, now, before in rows if uid is not None}


def _grouped_distinct(queryset, key: str, pk: str, current: Q, previous: Q):
    rows = (
        queryset.values(key)
        .annotate(
            now=Count(pk, filter=current, distinct=True),
            before=Count(pk, filter=previous, distinct=True),
        )
        .order_by()
        .values_list(key, "now", "before")
    )
    return {uid: (now, before) for uid, now, before in rows if uid is not None}


def influence_figures(*, start: datetime, end: datetime) -> dict[int, dict[str, tuple[int, int]]]:
    """{member id: {figure: (period, previous period)}} — six aggregate queries."""
    from community.models import ContentState, Post, TopicSubscription, Vote
    from community.models import NotificationLevel as Level
    from ideas.models import IdeaStatus, IdeaStatusChange

    length = end - start
    before = start - length

    def periods(path: str) -> tuple[Q, Q]:
        return (
            Q(**{f"{path}__gte": start, f"{path}__lt": end}),
            Q(**{f"{path}__gte": before, f"{path}__lt": start}),
        )

    visible_replies = Post.objects.filter(
        state=ContentState.VISIBLE, number__gt=1, created_at__gte=before, created_at__lt=end
    )
    now_q, before_q = periods("created_at")
    # Replies by others in the topics a member started...
    in_own_topics = _grouped(
        visible_replies.exclude(author_id=F("topic__author_id")),
        "topic__author_id",
        now_q,
        before_q,
    )
    # ...and replies by others to their posts in other people's topics (not counted twice).
    to_their_posts = _grouped(
        visible_replies.filter(reply_to__isnull=False)
        .exclude(author_id=F("reply_to__author_id"))
        .exclude(reply_to__author_id=F("topic__author_id")),
        "reply_to__author_id",
        now_q,
        before_q,
    )
    votes = _grouped(
        Vote.objects.filter(value=1, created_at__gte=before, created_at__lt=end),
        "post__author_id",
        *periods("created_at"),
    )
    accepted = _grouped(
        Post.objects.filter(accepted_topics_q(), created_at__gte=before, created_at__lt=end),
        "author_id",
        *periods("created_at"),
    )
    followers = _grouped(
        TopicSubscription.objects.filter(
            level__gte=Level.TRACKING, updated_at__gte=before, updated_at__lt=end
        ).exclude(user_id=F("topic__author_id")),
        "topic__author_id",
        *periods("updated_at"),
    )
    ideas = _grouped_distinct(
        IdeaStatusChange.objects.filter(
            new_status__in=[IdeaStatus.PLANNED, IdeaStatus.SHIPPED],
            changed_at__gte=before,
            changed_at__lt=end,
        ),
        "idea__topic__author_id",
        "idea_id",
        *periods("changed_at"),
    )
    figures: dict[int, dict[str, tuple[int, int]]] = {}
    replies: dict[int, tuple[int, int]] = {}
    for source in (in_own_topics, to_their_posts):
        for uid, (a, b) in source.items():
            x, y = replies.get(uid, (0, 0))
            replies[uid] = (x + a, y + b)
    for name, source in (
        ("replies", replies),
        ("votes", votes),
        ("accepted", accepted),
        ("followers", followers),
        ("ideas", ideas),
    ):
        for uid, pair in source.items():
            figures.setdefault(uid, {})[name] = pair
    return figures


def accepted_topics_q() -> Q:
    """Posts that are the accepted answer of their topic."""
    from community.models import Topic

    return Q(Exists(Topic.objects.filter(accepted_answer_id=OuterRef("pk"))))


def _score(figures: dict[str, int], weights: dict[str, int]) -> int:
    return sum(int(weights.get(name, 0)) * figures.get(name, 0) for name in weights)


def influence_ranking(*, start: datetime, end: datetime, limit: int | None = None) -> Ranking:
    """Members ranked by reach over [start, end) with the previous period's figures and
    rank. A fixed number of queries (eight) whatever the number of members."""
    limit = limit or conf("INFLUENCE_LIMIT")
    weights = conf("INFLUENCE_WEIGHTS")
    raw = influence_figures(start=start, end=end)
    scored = []
    for uid, pairs in raw.items():
        now = {name: pairs.get(name, (0, 0))[0] for name in FIGURES}
        before = {name: pairs.get(name, (0, 0))[1] for name in FIGURES}
        scored.append((uid, now, before, _score(now, weights), _score(before, weights)))
    staff = set(
        User.objects.filter(pk__in=[row[0] for row in scored])
        .filter(_staff_q() | Q(is_active=False))
        .values_list("pk", flat=True)
    )
    scored = [row for row in scored if row[0] not in staff]
    previous_order = sorted((r for r in scored if r[4] > 0), key=lambda r: (-r[4], r[0]))
    previous_rank = {r[0]: i for i, r in enumerate(previous_order, start=1)}
    current = sorted((r for r in scored if r[3] > 0), key=lambda r: (-r[3], r[0]))
    shown = current[:limit]
    members = User.objects.annotate(
        ambassador=Exists(
            Ambassador.objects.filter(member_id=OuterRef("pk"), ended_at__isnull=True)
        )
    ).in_bulk([r[0] for r in shown])
    ranking = Ranking(
        start=start, end=end, previous_start=start - (end - start), total=len(current)
    )
    for rank, (uid, now, before, score, old) in enumerate(shown, start=1):
        member = members.get(uid)
        if member is None:
            continue
        ranking.rows.append(
            Influence(
                member=member,
                figures=now,
                previous=before,
                score=score,
                previous_score=old,
                rank=rank,
                previous_rank=previous_rank.get(uid),
                is_ambassador=member.ambassador,
            )
        )
    return ranking


# --- Rising members --------------------------------------------------------------------------


@dataclass
class Rising:
    member: User
    posts: int
    votes: int
    accepted: int
    score: int
    welcome_url: str
    is_ambassador: bool = False


def rising_members(*, now: datetime | None = None, limit: int | None = None) -> list[Rising]:
    """New members (joined in the last ``INSIGHTS_RISING_DAYS`` days) with strong engagement,
    best first, each with a link to welcome them. Four queries."""
    from community.models import ContentState, Post, Vote

    now = now or timezone.now()
    since = now - timedelta(days=conf("RISING_DAYS"))
    limit = limit or conf("RISING_LIMIT")
    weights = conf("RISING_WEIGHTS")
    newcomers = (
        User.objects.filter(is_active=True, date_joined__gte=since).exclude(_staff_q()).values("pk")
    )
    posts = dict(
        Post.objects.filter(author_id__in=newcomers, state=ContentState.VISIBLE)
        .values("author_id")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("author_id", "n")
    )
    votes = dict(
        Vote.objects.filter(post__author_id__in=newcomers, value=1)
        .values("post__author_id")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("post__author_id", "n")
    )
    accepted = dict(
        Post.objects.filter(accepted_topics_q(), author_id__in=newcomers)
        .values("author_id")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("author_id", "n")
    )
    scores = {}
    for uid in set(posts) | set(votes) | set(accepted):
        figures = {
            "posts": posts.get(uid, 0),
            "votes": votes.get(uid, 0),
            "accepted": accepted.get(uid, 0),
        }
        score = _score(figures, weights)
        if score >= conf("RISING_MIN_SCORE"):
            scores[uid] = (score, figures)
    best = sorted(scores, key=lambda uid: (-scores[uid][0], uid))[:limit]
    members = User.objects.annotate(
        ambassador=Exists(
            Ambassador.objects.filter(member_id=OuterRef("pk"), ended_at__isnull=True)
        )
    ).in_bulk(best)
    rows = []
    for uid in best:
        member = members[uid]
        score, figures = scores[uid]
        rows.append(
            Rising(
                member=member,
                score=score,
                welcome_url=welcome_url(member),
                is_ambassador=member.ambassador,
                **figures,
            )
        )
    return rows


def welcome_url(member: User) -> str:
    """Where a CM goes to welcome a member: a private message when the site has messaging,
    otherwise the member's profile."""
    for name in ("messages:new", "messaging:compose"):
        try:
            return reverse(name) + f"?to={member.username}"
        except NoReverseMatch:
            continue
    return member.get_absolute_url()


# --- Ambassadors -----------------------------------------------------------------------------


def _clean_note(note: object) -> str:
    text = " ".join(str(note or "").split())
    if len(text) > NOTE_MAX_LENGTH:
        raise ValidationError({"note": _("At most %(max)d characters.") % {"max": NOTE_MAX_LENGTH}})
    return text


def ambassador_mark(*, actor: User, member: User, note: str = "") -> Ambassador:
    """Name ``member`` ambassador (who, when and why are kept). Raises PermissionDenied
    (not a CM), ValidationError (already an ambassador, inactive member, note too long)."""
    if not can_manage_ambassadors(actor):
        raise PermissionDenied(_("Only community managers name ambassadors."))
    text = _clean_note(note)
    if not member.is_active:
        raise ValidationError(_("This account is not active."))
    try:
        with transaction.atomic():
            return Ambassador.objects.create(
                member=member,
                note=text,
                appointed_by=actor,
                appointed_by_name=actor.username,
            )
    except IntegrityError as exc:
        raise ValidationError(_("%(name)s is already an ambassador.") % {"name": member}) from exc


def ambassador_unmark(*, actor: User, member: User, note: str = "") -> Ambassador:
    """End ``member``'s current ambassadorship (the row stays, with who ended it and why)."""
    if not can_manage_ambassadors(actor):
        raise PermissionDenied(_("Only community managers name ambassadors."))
    text = _clean_note(note)
    with transaction.atomic():
        current = (
            Ambassador.objects.select_for_update()
            .filter(member=member, ended_at__isnull=True)
            .first()
        )
        if current is None:
            raise ValidationError(_("%(name)s is not an ambassador.") % {"name": member})
        current.ended_at = timezone.now()
        current.ended_by = actor
        current.ended_by_name = actor.username
        current.ended_note = text
        current.save(update_fields=["ended_at", "ended_by", "ended_by_name", "ended_note"])
    return current


def ambassador_list():
    """Current ambassadors, most recent first, with their member (one query)."""
    return (
        Ambassador.objects.filter(ended_at__isnull=True)
        .select_related("member")
        .order_by("-appointed_at", "-pk")
    )


def ambassador_current(member: User) -> Ambassador | None:
    return Ambassador.objects.filter(member=member, ended_at__isnull=True).first()


def profile_section(request: HttpRequest, member: User) -> dict | None:
    """The ambassador badge on a profile (everyone sees it) and, for CMs, the form to name or
    un-name the member. One query."""
    current = ambassador_current(member)
    manage = can_manage_ambassadors(request.user) and request.user.pk != member.pk
    if current is None and not manage:
        return None
    return {"member": member, "ambassador": current, "manage": manage}
