"""Compute one day of :class:`insights.models.DailyMetric` rows from the raw tables.

What each figure means (the dashboard's help text says the same):

* A **day** is a calendar day in ``settings.TIME_ZONE`` (``[00:00, 24:00)`` local time, DST
  included). An event belongs to the day of its timestamp.
* **New members**: accounts whose ``date_joined`` falls on the day (site row only).
* **Active members**: distinct members who that day posted (a topic or a reply), voted on a
  post, supported an idea, or *read*. Reading is what Causerie records per topic:
  ``community.ReadPosition.updated_at`` moves when a member's read position in a topic
  advances. Only the last advance of each (member, topic) is kept, so a day computed long
  after the fact (backfill) misses members whose reading of a topic was overwritten by a later
  reading; the nightly run, a few minutes after midnight, sees them. Visits
  (``UserStats.last_visit_on``) are not history and are not used. A category row counts the
  members active in that category's topics; the site row counts each member once.
* **Topics, posts, votes, ideas, idea supports, flags, appeals**: rows created that day, whatever
  their state now (posts include opening posts; votes are post votes standing today, a
  withdrawn vote is gone; ideas are topics of kind "idea"). A flag's category is its post's
  topic's; flags on profiles only count in the site row.
* **Holds, decisions, hidden by the community / by moderators**: from the moderation audit log
  (append-only, so history is exact): ``content.hold``; ``item.<action>`` for every decision
  action; ``content.hide_by_flags``; and moderators' hides — ``post.hidden`` / ``post.removed``
  taken on the community's pages plus queue decisions ``item.hide`` / ``item.remove`` on content
  that was not already hidden (confirming a community hide is not a second hiding).
* **Unanswered questions**: a stock at the end of the day — visible question topics created
  before the day's end with no visible reply from somebody else than the asker before it.
* **Time to first reply**: for each reply posted that day that is the first visible reply of
  its topic by somebody else than the topic's author: reply time - topic creation time.
* **Time to first official answer**: same, for the first visible official post (brand staff)
  after the question in question topics.
* **Flag → decision** (moderation SLA): for each flag resolved that day (agreed, disagreed or
  deferred by a decision; flags routed to staff are not moderation): resolution - flag time.
* **Routed questions** (``moderation.StaffRequest``): requests opened that day, answered that
  day, and for answered ones: first official answer - request time.

Medians are the *lower* median (``statistics.median_low``: always one of the samples, in whole
seconds). Each row keeps its samples so that a range's median is the median of the range's
samples (see ``weighted_median_low``).

Cost: :func:`day_compute` runs a fixed number of aggregate queries (GROUP BY category) whatever
the size of the day, then replaces the day's rows in one transaction: recomputing a day is
idempotent.
"""

from __future__ import annotations

import datetime as dt
import statistics
from collections import defaultdict
from collections.abc import Iterable
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Exists, F, OuterRef, Q
from django.utils import timezone

from accounts.models import User
from community.models import ContentState, Post, ReadPosition, Topic, TopicKind, Vote
from ideas.models import IdeaVote
from insights.models import DailyMetric
from moderation.models import Action, Appeal, AuditEntry, Flag, FlagStatus, StaffRequest

#: Audit actions that are decisions on a review item.
DECISION_ACTIONS = tuple(f"item.{action}" for action in Action.values)
HOLD_ACTION = "content.hold"
COMMUNITY_HIDE_ACTION = "content.hide_by_flags"
MODERATOR_DIRECT_HIDE_ACTIONS = ("post.hidden", "post.removed")
MODERATOR_QUEUE_HIDE_ACTIONS = ("item.hide", "item.remove")
ALREADY_HIDDEN = (ContentState.HIDDEN, ContentState.REMOVED)
RESOLVED_FLAG_STATUSES = (FlagStatus.AGREED, FlagStatus.DISAGREED, FlagStatus.IGNORED)

COUNT_FIELDS = (
    "active_members",
    "topics",
    "posts",
    "votes",
    "ideas",
    "idea_supports",
    "flags",
    "holds",
    "decisions",
    "appeals",
    "hidden_by_community",
    "hidden_by_moderators",
    "unanswered_questions",
    "staff_requests_opened",
    "staff_requests_answered",
)
MEDIAN_FIELDS = ("first_reply", "official_answer", "flag_decision", "staff_answer")


def local_tz() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def day_bounds(day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """The aware [start, end) of ``day`` in the site's time zone (23 or 25 hours on DST days)."""
    tz = local_tz()
    start = dt.datetime.combine(day, dt.time.min, tzinfo=tz)
    end = dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    return start, end


def local_today() -> dt.date:
    return timezone.now().astimezone(local_tz()).date()


# --- Medians ------------------------------------------------------------------------------------


def seconds_between(earlier: dt.datetime, later: dt.datetime) -> int:
    return max(0, int((later - earlier).total_seconds()))


def thin(samples: list[int], cap: int = DailyMetric.SAMPLES_CAP) -> list[int]:
    """``samples`` sorted, and evenly thinned to ``cap`` values when longer (quantiles kept)."""
    ordered = sorted(samples)
    if len(ordered) <= cap:
        return ordered
    return [ordered[i * len(ordered) // cap] for i in range(cap)]


def weighted_median_low(groups: Iterable[tuple[list[int], int]]) -> int | None:
    """The lower median of several days' samples: ``groups`` holds (samples, count) pairs, each
    sample standing for count/len(samples) values (1 unless the day was thinned). With no
    thinning this is exactly ``statistics.median_low`` of all the samples together."""
    weighted: list[tuple[int, float]] = []
    for samples, count in groups:
        if not samples:
            continue
        weight = count / len(samples) if count else 1.0
        weighted.extend((value, weight) for value in samples)
    if not weighted:
        return None
    weighted.sort()
    total = sum(weight for _value, weight in weighted)
    running = 0.0
    for value, weight in weighted:
        running += weight
        if running >= total / 2 - 1e-9:
            return value
    return weighted[-1][0]


# --- One day ------------------------------------------------------------------------------------


def _by_other_than_topic_author(prefix: str = "") -> Q:
    author = f"{prefix}author_id"
    topic_author = f"{prefix}topic__author_id"
    return (
        Q(**{f"{author}__isnull": True})
        | Q(**{f"{topic_author}__isnull": True})
        | ~Q(**{author: F(topic_author)})
    )


def _counts(queryset, key: str, **annotations) -> dict[int | None, dict[str, int]]:
    rows = queryset.order_by().values(key).annotate(**annotations)
    return {row[key]: {name: row[name] for name in annotations} for row in rows}


def day_figures(day: dt.date) -> dict[int | None, dict]:
    """The figures of ``day``: {category id: {field: value}}, plus the site under ``None``.

    Read-only; :func:`day_compute` stores them. Categories with nothing to count are left out
    (a missing category row means zeros)."""
    start, end = day_bounds(day)
    during = {"created_at__gte": start, "created_at__lt": end}
    per_category: dict[int | None, dict] = defaultdict(dict)

    def merge(counts: dict[int | None, dict[str, int]]) -> None:
        for category_id, values in counts.items():
            for name, value in values.items():
                per_category[category_id][name] = per_category[category_id].get(name, 0) + value

    merge(
        _counts(
            Topic.objects.filter(**during),
            "category_id",
            topics=Count("id"),
            ideas=Count("id", filter=Q(kind=TopicKind.IDEA)),
        )
    )
    merge(_counts(Post.objects.filter(**during), "topic__category_id", posts=Count("id")))
    merge(_counts(Vote.objects.filter(**during), "post__topic__category_id", votes=Count("id")))
    merge(
        _counts(
            IdeaVote.objects.filter(**during),
            "idea__topic__category_id",
            idea_supports=Count("id"),
        )
    )
    merge(_counts(Flag.objects.filter(**during), "post__topic__category_id", flags=Count("id")))
    merge(_counts(Appeal.objects.filter(**during), "item__category_id", appeals=Count("id")))
    merge(
        _counts(
            AuditEntry.objects.filter(**during),
            "category_id",
            holds=Count("id", filter=Q(action=HOLD_ACTION)),
            decisions=Count("id", filter=Q(action__in=DECISION_ACTIONS)),
            hidden_by_community=Count("id", filter=Q(action=COMMUNITY_HIDE_ACTION)),
            hidden_by_moderators=Count(
                "id",
                filter=Q(action__in=MODERATOR_DIRECT_HIDE_ACTIONS)
                | (
                    Q(action__in=MODERATOR_QUEUE_HIDE_ACTIONS)
                    & ~Q(before__state__in=list(ALREADY_HIDDEN))
                ),
            ),
        )
    )
    merge(
        _counts(
            StaffRequest.objects.filter(requested_at__gte=start, requested_at__lt=end),
            "topic__category_id",
            staff_requests_opened=Count("id"),
        )
    )
    # Unanswered questions at the end of the day (a stock, not a flow).
    answered_before_end = Post.objects.filter(
        _by_other_than_topic_author(),
        topic_id=OuterRef("pk"),
        number__gt=1,
        state=ContentState.VISIBLE,
        created_at__lt=end,
    )
    merge(
        _counts(
            Topic.objects.filter(
                kind=TopicKind.QUESTION, state=ContentState.VISIBLE, created_at__lt=end
            ).filter(~Exists(answered_before_end)),
            "category_id",
            unanswered_questions=Count("id"),
        )
    )

    samples: dict[str, dict[int | None, list[int]]] = {
        name: defaultdict(list) for name in MEDIAN_FIELDS
    }
    # First reply by somebody else than the asker, posted today.
    earlier_reply = Post.objects.filter(
        _by_other_than_topic_author(),
        topic_id=OuterRef("topic_id"),
        number__gt=1,
        number__lt=OuterRef("number"),
        state=ContentState.VISIBLE,
    )
    first_replies = (
        Post.objects.filter(
            _by_other_than_topic_author(), number__gt=1, state=ContentState.VISIBLE, **during
        )
        .filter(~Exists(earlier_reply))
        .values_list("topic__category_id", "topic__created_at", "created_at")
    )
    for category_id, asked, replied in first_replies:
        samples["first_reply"][category_id].append(seconds_between(asked, replied))
    earlier_official = Post.objects.filter(
        topic_id=OuterRef("topic_id"),
        number__gt=1,
        number__lt=OuterRef("number"),
        is_official=True,
        state=ContentState.VISIBLE,
    )
    first_officials = (
        Post.objects.filter(
            number__gt=1,
            is_official=True,
            state=ContentState.VISIBLE,
            topic__kind=TopicKind.QUESTION,
            **during,
        )
        .filter(~Exists(earlier_official))
        .values_list("topic__category_id", "topic__created_at", "created_at")
    )
    for category_id, asked, answered in first_officials:
        samples["official_answer"][category_id].append(seconds_between(asked, answered))
    resolved_flags = Flag.objects.filter(
        resolved_at__gte=start, resolved_at__lt=end, status__in=RESOLVED_FLAG_STATUSES
    ).values_list("post__topic__category_id", "created_at", "resolved_at")
    for category_id, flagged, resolved in resolved_flags:
        samples["flag_decision"][category_id].append(seconds_between(flagged, resolved))
    answered_requests = StaffRequest.objects.filter(
        answered_at__gte=start, answered_at__lt=end
    ).values_list("topic__category_id", "requested_at", "answered_at")
    for category_id, requested, answered in answered_requests:
        samples["staff_answer"][category_id].append(seconds_between(requested, answered))
        per_category[category_id]["staff_requests_answered"] = (
            per_category[category_id].get("staff_requests_answered", 0) + 1
        )

    # Active members: distinct (member, category) pairs of every kind of activity.
    active: dict[int | None, set[int]] = defaultdict(set)
    pair_sources = (
        Post.objects.filter(**during).values_list("author_id", "topic__category_id"),
        Vote.objects.filter(**during).values_list("user_id", "post__topic__category_id"),
        IdeaVote.objects.filter(**during).values_list("user_id", "idea__topic__category_id"),
        ReadPosition.objects.filter(updated_at__gte=start, updated_at__lt=end).values_list(
            "user_id", "topic__category_id"
        ),
    )
    for source in pair_sources:
        for user_id, category_id in source.order_by().distinct():
            if user_id is not None:
                active[category_id].add(user_id)

    # The site row: sums of every group (including what has no category), distinct members.
    site: dict = {name: 0 for name in COUNT_FIELDS}
    for values in per_category.values():
        for name, value in values.items():
            site[name] += value
    site["active_members"] = len(set().union(*active.values())) if active else 0
    site["new_members"] = User.objects.filter(date_joined__gte=start, date_joined__lt=end).count()

    figures: dict[int | None, dict] = {None: site}
    category_ids = {cid for cid in per_category if cid is not None}
    category_ids |= {cid for cid in active if cid is not None}
    for name in MEDIAN_FIELDS:
        category_ids |= {cid for cid in samples[name] if cid is not None}
    for category_id in category_ids:
        values = {name: 0 for name in COUNT_FIELDS}
        values.update(per_category.get(category_id, {}))
        values["active_members"] = len(active.get(category_id, ()))
        values["new_members"] = None
        figures[category_id] = values
    for name in MEDIAN_FIELDS:
        everything = [value for values in samples[name].values() for value in values]
        _set_median(figures[None], name, everything)
        for category_id in category_ids:
            _set_median(figures[category_id], name, samples[name].get(category_id, []))
    return figures


def _set_median(values: dict, name: str, samples: list[int]) -> None:
    values[f"{name}_count"] = len(samples)
    values[f"{name}_median"] = statistics.median_low(samples) if samples else None
    values[f"{name}_samples"] = thin(samples)


@transaction.atomic
def day_compute(day: dt.date) -> int:
    """Replace the rows of ``day`` with freshly computed ones; return how many were written."""
    figures = day_figures(day)
    now = timezone.now()
    DailyMetric.objects.filter(day=day).delete()
    rows = [
        DailyMetric(day=day, category_id=category_id, computed_at=now, **values)
        for category_id, values in figures.items()
    ]
    DailyMetric.objects.bulk_create(rows)
    return len(rows)


def first_activity_day() -> dt.date | None:
    """The local day of the oldest post (where a backfill starts by default)."""
    first = Post.objects.order_by("created_at").values_list("created_at", flat=True).first()
    return first.astimezone(local_tz()).date() if first else None
