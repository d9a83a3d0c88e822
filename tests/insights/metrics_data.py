"""A small but realistic community built through the services, day by day (time-machine), and
an independent recomputation of the dashboard's figures straight from the raw tables.

The recomputation deliberately does not use ``insights.metrics`` or ``insights.selectors``:
it loads the rows and counts in Python, so that a mistake in the SQL aggregates shows.
"""

from __future__ import annotations

import datetime as dt
import random
import statistics
from zoneinfo import ZoneInfo

import time_machine
from django.conf import settings
from django.contrib.auth.models import Group

from accounts.models import User
from community import services as community_services
from community.models import Category, Post, ReadPosition, Topic, Vote
from ideas import services as idea_services
from ideas.models import Idea, IdeaVote
from moderation import services as moderation_services
from moderation.models import Action, Appeal, AuditEntry, Flag, FlagReason, ReviewItem, StaffRequest
from tests.factories import CategoryFactory, UserFactory

#: The story runs over four weeks around the spring DST change (Europe/Paris, 29 March 2026).
FIRST_DAY = dt.date(2026, 3, 9)
DAYS = 28
PERIOD = (dt.date(2026, 3, 23), dt.date(2026, 4, 5))  # 14 days; the previous 14 days before it


def tz() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


def moment(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(
        FIRST_DAY + dt.timedelta(days=day), dt.time(hour, minute), tzinfo=tz()
    )


class Story:
    """The community and the handles a test needs."""

    def __init__(self) -> None:
        self.rng = random.Random(8)
        self.bodies = 0

    def body(self, what: str = "reply") -> str:
        self.bodies += 1
        return f"{what.capitalize()} number {self.bodies}: descale the kettle with citric acid."

    def at(self, day: int, hour: int, minute: int = 0):
        return time_machine.travel(moment(day, hour, minute), tick=False)


def build_story() -> Story:
    """Create the community through the services, event by event at its own time."""
    s = Story()
    with s.at(0, 8):
        s.kettles = CategoryFactory(name="Kettles", slug="kettles", default_topic_kind="question")
        s.coffee = CategoryFactory(name="Coffee", slug="coffee")
        s.ideas = CategoryFactory(name="Ideas", slug="ideas", default_topic_kind="idea")
        s.support = CategoryFactory(name="Support", slug="support", pre_moderated=True)
        s.members = [UserFactory(username=f"member{i}", trust_level=2) for i in range(6)]
        s.newcomer = UserFactory(username="newbie", trust_level=0)
        s.moderator = UserFactory(username="mod", moderator=True)
        s.staff = UserFactory(username="staff", brand_staff=True)
        s.team = Group.objects.create(name="Support team")
    topics: list[Topic] = []
    for day in range(DAYS):
        hour = 9
        if day in (5, 15, 20):
            with s.at(day, 7):
                s.members.append(UserFactory(username=f"joined{day}", trust_level=2))
        # One question, one discussion most days, an idea every third day.
        plan = [(s.kettles, "question"), (s.coffee, "discussion")]
        if day % 3 == 0:
            plan.append((s.ideas, "idea"))
        if day % 4 == 1:
            plan = plan[:1]
        for category, kind in plan:
            author = s.rng.choice(s.members)
            with s.at(day, hour, s.rng.randrange(60)):
                topic = community_services.topic_create(
                    actor=author,
                    category=category,
                    title=f"{kind.capitalize()} of day {day} by {author.username}",
                    body=s.body("topic"),
                    kind=kind,
                )
            topics.append(topic)
            hour += 1
        # Replies to recent topics, some by their authors, some late (next day).
        for topic in topics[-5:]:
            replies = s.rng.randrange(0, 3)
            for index in range(replies):
                author = s.rng.choice([*s.members, s.members[0]])
                minute = s.rng.randrange(60)
                when = (day, 13 + index * 2, minute)
                with s.at(*when):
                    topic.refresh_from_db()
                    if topic.state != "visible" or topic.locked:
                        continue
                    post = community_services.post_create(actor=author, topic=topic, body=s.body())
                for voter in s.rng.sample(s.members, 2):
                    if voter.pk != author.pk and s.rng.random() < 0.6:
                        with s.at(day, 18, s.rng.randrange(60)):
                            community_services.vote_cast(actor=voter, post=post, value=1)
        # Reading: two members read two recent topics in the evening.
        for reader in s.rng.sample(s.members, 2):
            for topic in topics[-2:]:
                with s.at(day, 21, s.rng.randrange(60)):
                    topic.refresh_from_db()
                    if topic.state == "visible":
                        community_services.topic_read(
                            actor=reader, topic=topic, last_number=topic.highest_post_number
                        )
        # Idea supports.
        for topic in topics[-6:]:
            if topic.kind == "idea":
                idea = Idea.objects.get(pk=topic.pk)
                supporter = s.rng.choice(s.members)
                if supporter.pk != topic.author_id:
                    with s.at(day, 20, s.rng.randrange(60)):
                        idea_services.idea_vote_cast(actor=supporter, idea=idea, value=1)
        # Official answers to some questions, staff requests, moderation.
        if day % 5 == 2:
            question = next(t for t in reversed(topics) if t.kind == "question")
            with s.at(day, 16, 30):
                question.refresh_from_db()
                community_services.post_create(
                    actor=s.staff, topic=question, body=s.body("official"), official=True
                )
        _moderation_day(s, day, topics)
    s.topics = topics
    return s


def _moderation_day(s: Story, day: int, topics: list[Topic]) -> None:
    replies = list(
        Post.objects.filter(number__gt=1, state="visible", topic__in=topics[-6:])
        .exclude(author__in=[s.moderator, s.staff])
        .order_by("pk")
    )
    if day % 4 == 0 and replies:
        # Two members' flags hide a reply (off duty), a moderator confirms later in the day.
        post = replies[-1]
        flaggers = [m for m in s.members if m.pk != post.author_id][:3]
        for index, flagger in enumerate(flaggers):
            post.refresh_from_db()
            if post.state != "visible":
                break
            with s.at(day, 10 + index, 5):
                moderation_services.flag_create(
                    actor=flagger, post=post, reason=FlagReason.OFF_TOPIC
                )
        item = ReviewItem.objects.get(post=post)
        with s.at(day, 22, 40):
            action = "hide" if day % 8 == 0 else "keep"
            moderation_services.item_decide(
                actor=s.moderator, item=item, action=action, reason="Off-topic, see rule 2."
            )
        if action == "hide" and post.author_id:
            with s.at(day + 1 if day + 1 < DAYS else day, 9, 10):
                moderation_services.appeal_file(
                    actor=post.author, post=post, message="I was answering the question."
                )
    if day % 4 == 1 and len(replies) > 1:
        # One flag, a moderator removes the post the next morning.
        post = replies[0]
        flagger = next(m for m in s.members if m.pk != post.author_id)
        with s.at(day, 11, 15):
            moderation_services.flag_create(actor=flagger, post=post, reason=FlagReason.SPAM)
        if day + 1 < DAYS:
            item = ReviewItem.objects.get(post=post)
            with s.at(day + 1, 8, 5):
                moderation_services.item_decide(
                    actor=s.moderator, item=item, action="remove", reason="Spam."
                )
    if day % 6 == 3 and replies:
        # A moderator hides a reply straight from the topic page.
        with s.at(day, 15, 45):
            post = Post.objects.select_related("topic__category").get(pk=replies[-1].pk)
            if post.state == "visible":
                community_services.post_hide(actor=s.moderator, post=post, reason="Rude.")
    if day % 7 == 2:
        # A newcomer posts in the pre-moderated category: held, then approved.
        with s.at(day, 12, 0):
            topic = community_services.topic_create(
                actor=s.newcomer,
                category=s.support,
                title=f"My toaster of day {day} burns bread",
                body=s.body("held topic"),
            )
        item = ReviewItem.objects.get(post__topic=topic, post__number=1)
        with s.at(day, 19, 0):
            moderation_services.item_decide(
                actor=s.moderator, item=item, action="keep", reason="Fine."
            )
    if day % 5 == 4:
        # A question is routed to staff: by a member's flag (default team) or a moderator.
        question = next(t for t in reversed(topics) if t.kind == "question")
        with s.at(day, 14, 0):
            if day % 10 == 4:
                flagger = next(m for m in s.members if m.pk != question.author_id)
                moderation_services.flag_create(
                    actor=flagger, topic=question, reason=FlagReason.NEEDS_OFFICIAL_ANSWER
                )
            else:
                moderation_services.topic_escalate_to_staff(
                    actor=s.moderator, topic=question, team=s.team
                )
        if day + 2 < DAYS - 3:
            with s.at(day + 2, 10, 30):
                question.refresh_from_db()
                community_services.post_create(
                    actor=s.staff, topic=question, body=s.body("official"), official=True
                )


# --- Independent recomputation ------------------------------------------------------------------


def local_day(when: dt.datetime) -> dt.date:
    return when.astimezone(tz()).date()


def _in(when, start, end) -> bool:
    return when is not None and start <= local_day(when) <= end


def _median(values: list[int]) -> int | None:
    return statistics.median_low(values) if values else None


def _seconds(a: dt.datetime, b: dt.datetime) -> int:
    return max(0, int((b - a).total_seconds()))


def independent_figures(start: dt.date, end: dt.date, category: Category | None) -> dict:
    """The dashboard's figures for [start, end], recomputed from the raw tables in Python."""
    cid = category.pk if category else None

    def mine(category_id) -> bool:
        return cid is None or category_id == cid

    posts = list(Post.objects.select_related("topic").order_by("topic_id", "number"))
    topics = list(Topic.objects.all())
    figures: dict = {}
    figures["new_members"] = (
        sum(_in(u.date_joined, start, end) for u in User.objects.all()) if cid is None else None
    )
    figures["topics"] = sum(_in(t.created_at, start, end) and mine(t.category_id) for t in topics)
    figures["ideas"] = sum(
        _in(t.created_at, start, end) and mine(t.category_id) and t.kind == "idea" for t in topics
    )
    figures["posts"] = sum(
        _in(p.created_at, start, end) and mine(p.topic.category_id) for p in posts
    )
    votes = list(Vote.objects.select_related("post__topic"))
    figures["votes"] = sum(
        _in(v.created_at, start, end) and mine(v.post.topic.category_id) for v in votes
    )
    supports = list(IdeaVote.objects.select_related("idea__topic"))
    figures["idea_supports"] = sum(
        _in(v.created_at, start, end) and mine(v.idea.topic.category_id) for v in supports
    )
    flags = list(Flag.objects.select_related("post__topic"))
    figures["flags"] = sum(
        _in(f.created_at, start, end) and mine(f.post.topic.category_id if f.post else None)
        for f in flags
    )
    figures["appeals"] = sum(
        _in(a.created_at, start, end) and mine(a.item.category_id)
        for a in Appeal.objects.select_related("item")
    )
    audit = [
        e for e in AuditEntry.objects.all() if _in(e.created_at, start, end) and mine(e.category_id)
    ]
    decisions = {f"item.{a}" for a in Action.values}
    figures["holds"] = sum(e.action == "content.hold" for e in audit)
    figures["decisions"] = sum(e.action in decisions for e in audit)
    figures["hidden_by_community"] = sum(e.action == "content.hide_by_flags" for e in audit)
    figures["hidden_by_moderators"] = sum(
        e.action in ("post.hidden", "post.removed")
        or (
            e.action in ("item.hide", "item.remove")
            and e.before.get("state") not in ("hidden", "removed")
        )
        for e in audit
    )
    hidden = figures["hidden_by_community"] + figures["hidden_by_moderators"]
    figures["community_hidden_share"] = (
        round(100 * figures["hidden_by_community"] / hidden, 1) if hidden else None
    )
    # Active members: a distinct set per day, averaged over the days.
    days = (end - start).days + 1
    per_day: dict[dt.date, set[int]] = {}
    for when, user_id, category_id in (
        *((p.created_at, p.author_id, p.topic.category_id) for p in posts),
        *((v.created_at, v.user_id, v.post.topic.category_id) for v in votes),
        *((v.created_at, v.user_id, v.idea.topic.category_id) for v in supports),
        *(
            (r.updated_at, r.user_id, r.topic.category_id)
            for r in ReadPosition.objects.select_related("topic")
        ),
    ):
        if _in(when, start, end) and mine(category_id) and user_id:
            per_day.setdefault(local_day(when), set()).add(user_id)
    figures["active_members"] = round(sum(len(v) for v in per_day.values()) / days, 1)

    # Unanswered questions at the end of the last day.
    end_moment = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=tz())
    by_topic: dict[int, list[Post]] = {}
    for p in posts:
        by_topic.setdefault(p.topic_id, []).append(p)

    def other_replies(topic: Topic) -> list[Post]:
        return [
            p
            for p in by_topic.get(topic.pk, [])
            if p.number > 1
            and p.state == "visible"
            and (p.author_id is None or topic.author_id is None or p.author_id != topic.author_id)
        ]

    figures["unanswered_questions"] = sum(
        t.kind == "question"
        and t.state == "visible"
        and t.created_at < end_moment
        and mine(t.category_id)
        and not any(p.created_at < end_moment for p in other_replies(t))
        for t in topics
    )
    first_reply, official = [], []
    for t in topics:
        if not mine(t.category_id):
            continue
        replies = other_replies(t)
        if replies and _in(replies[0].created_at, start, end):
            first_reply.append(_seconds(t.created_at, replies[0].created_at))
        officials = [
            p
            for p in by_topic.get(t.pk, [])
            if p.number > 1 and p.is_official and p.state == "visible"
        ]
        if t.kind == "question" and officials and _in(officials[0].created_at, start, end):
            official.append(_seconds(t.created_at, officials[0].created_at))
    figures["first_reply_median"] = _median(first_reply)
    figures["official_answer_median"] = _median(official)
    figures["flag_decision_median"] = _median(
        [
            _seconds(f.created_at, f.resolved_at)
            for f in flags
            if f.status in ("agreed", "disagreed", "ignored")
            and _in(f.resolved_at, start, end)
            and mine(f.post.topic.category_id if f.post else None)
        ]
    )
    requests = list(StaffRequest.objects.select_related("topic"))
    figures["staff_requests_opened"] = sum(
        _in(r.requested_at, start, end) and mine(r.topic.category_id) for r in requests
    )
    answered = [r for r in requests if _in(r.answered_at, start, end) and mine(r.topic.category_id)]
    figures["staff_requests_answered"] = len(answered)
    figures["staff_answer_median"] = _median(
        [_seconds(r.requested_at, r.answered_at) for r in answered]
    )
    return figures


def shown(key: str, value):
    """What the page shows for a figure (durations in hours, one decimal)."""
    if value is not None and key.endswith("_median"):
        return round(value / 3600, 1)
    return value
