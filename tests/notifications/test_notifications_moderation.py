"""Moderation outcomes and staff queues: authors, flaggers, sanctioned members, moderators and
staff teams are told — through moderation's documented events (``moderation.events``)."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.db import transaction

from moderation import events
from moderation.models import ReviewItem
from notifications.models import Notification, NotificationKind
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def moderator(db):
    return UserFactory(username="maud", moderator=True)


def notified(user, kind=None):
    rows = Notification.objects.filter(recipient=user)
    return list(rows.filter(kind=kind) if kind else rows)


def send(on_commit, signal, **kwargs):
    with on_commit(), transaction.atomic():
        signal.send(sender=ReviewItem, **kwargs)


def test_flag_for_the_queue_tells_the_moderators_once_per_item(
    topic, replier, reply, moderator, on_commit
):
    post = reply(topic, replier)
    for flag_id in (1, 2):
        send(
            on_commit,
            events.content_flagged,
            flag_id=flag_id,
            item_id=7,
            staff_request_id=None,
            post_id=post.pk,
            topic_id=topic.pk,
            member_id=None,
            category_id=topic.category_id,
            reason="spam",
            score=2.0,
            hidden=False,
            routed_to="moderators",
            flagger_id=replier.pk,
        )

    (notice,) = notified(moderator, NotificationKind.QUEUE)
    assert notice.data["url"]
    assert not notified(replier, NotificationKind.QUEUE)


def test_decision_tells_the_author_what_and_why_and_the_flaggers_the_outcome(
    topic, author, replier, reply, moderator, bystander, on_commit
):
    post = reply(topic, replier)
    send(
        on_commit,
        events.decision_made,
        item_id=3,
        action="hide",
        actor_id=moderator.pk,
        actor_role="Moderator",
        author_id=replier.pk,
        flagger_ids=[bystander.pk, author.pk],
        flag_outcome="agreed",
        post_id=post.pk,
        topic_id=topic.pk,
        member_id=None,
        category_id=topic.category_id,
        reason="Rule 2: be kind",
        rule_number=2,
        appeal_id=None,
        appeal_status=None,
        old_state="visible",
        new_state="hidden",
    )

    (told,) = notified(replier, NotificationKind.CONTENT_MODERATED)
    assert told.data["reason"] == "Rule 2: be kind"
    assert told.actor_id is None  # decisions are the moderation team's, not a name
    assert [n.data["outcome"] for n in notified(bystander, NotificationKind.FLAG_RESOLVED)] == [
        "agreed"
    ]
    assert notified(author, NotificationKind.FLAG_RESOLVED)


def test_hiding_through_community_and_moderation_events_tells_the_author_once(
    topic, replier, reply, moderator, on_commit
):
    from community import services as community

    post = reply(topic, replier)
    with on_commit(), transaction.atomic():
        community.post_hide(actor=moderator, post=post, reason="spam")
        events.decision_made.send(
            sender=ReviewItem,
            item_id=1,
            action="hide",
            actor_id=moderator.pk,
            author_id=replier.pk,
            flagger_ids=[],
            flag_outcome=None,
            post_id=post.pk,
            topic_id=topic.pk,
            reason="spam",
            appeal_id=None,
            appeal_status=None,
            old_state="visible",
            new_state="hidden",
        )

    assert len(notified(replier, NotificationKind.CONTENT_MODERATED)) == 1


def test_appeal_outcome_and_new_appeals(topic, replier, reply, moderator, on_commit):
    post = reply(topic, replier)
    other_moderator = UserFactory(moderator=True)
    send(
        on_commit,
        events.appeal_filed,
        appeal_id=5,
        item_id=3,
        author_id=replier.pk,
        sanction_id=None,
        excluded_moderator_id=moderator.pk,
    )
    assert not notified(moderator, NotificationKind.QUEUE)  # who decided does not review
    assert notified(other_moderator, NotificationKind.QUEUE)

    send(
        on_commit,
        events.decision_made,
        item_id=3,
        action="keep",
        actor_id=other_moderator.pk,
        author_id=replier.pk,
        flagger_ids=[],
        flag_outcome=None,
        post_id=post.pk,
        topic_id=topic.pk,
        reason="We agree with you",
        appeal_id=5,
        appeal_status="granted",
        old_state="hidden",
        new_state="visible",
    )

    (appeal,) = notified(replier, NotificationKind.APPEAL_DECIDED)
    assert appeal.data["outcome"] == "granted"


def test_sanction_tells_the_member(replier, moderator, on_commit):
    send(
        on_commit,
        events.member_sanctioned,
        member_id=replier.pk,
        kind="silence",
        sanction_id=9,
        warning_id=None,
        ends_at=None,
        actor_id=moderator.pk,
        actor_role="Moderator",
        reason="Repeated insults",
        rule_number=1,
        automatic=False,
    )

    (sanction,) = notified(replier, NotificationKind.SANCTION)
    assert sanction.data["sanction"] == "silence"


def test_staff_request_goes_to_the_team(topic, on_commit):
    team = Group.objects.create(name="Kettle experts")
    expert = UserFactory(username="xavier")
    expert.groups.add(team)
    outsider = UserFactory(username="yann")

    send(
        on_commit,
        events.staff_request_opened,
        request_id=4,
        topic_id=topic.pk,
        team_id=team.pk,
        due_at=None,
        source="flag",
    )

    from notifications.texts import describe

    (request,) = notified(expert, NotificationKind.QUEUE)
    assert describe(request) == "“The Aurora kettle whistles” waits for an official answer"
    assert not notified(outsider)


def test_escalation_and_away_summary_reach_every_moderator(moderator, on_commit):
    send(on_commit, events.items_escalated, item_ids=[1, 2, 3])
    send(
        on_commit,
        events.away_summary_ready,
        summary_id=1,
        since=None,
        until=None,
        figures={"hidden": 2, "held": 1, "flags": 5, "pending": 3},
    )

    assert {n.data["notice"] for n in notified(moderator, NotificationKind.QUEUE)} == {
        "escalated",
        "away_summary",
    }
