"""Influencers, rising members and ambassadors (insights/people.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from community import services as community_services
from community.models import NotificationLevel, Post, TopicSubscription
from insights import people
from insights.models import Ambassador
from tests.factories import UserFactory
from tests.insights.fixtures_people import *  # noqa: F403

pytestmark = pytest.mark.django_db


def _period(days=30):
    end = timezone.now() + timedelta(seconds=1)
    return end - timedelta(days=days), end


def _row(ranking, user):
    return next(row for row in ranking.rows if row.member.pk == user.pk)


def test_influence_counts_replies_votes_accepted_followers_and_ideas(
    member, other_member, third_member, brand_staff, say, category
):
    from ideas import services as idea_services

    alice, bob, carol = member, other_member, third_member
    question = say(alice, "How do I descale the kettle?", kind="question").topic
    say(alice, "Anyone?", topic=question)  # her own reply: not reach
    bob_answer = say(bob, "Citric acid works", topic=question)
    carol_reply = say(carol, "Vinegar too", topic=question, reply_to=bob_answer)
    community_services.vote_cast(actor=bob, post=question.posts.get(number=1), value=1)
    community_services.vote_cast(actor=carol, post=bob_answer, value=1)
    community_services.vote_cast(actor=alice, post=bob_answer, value=1)
    community_services.vote_cast(actor=alice, post=carol_reply, value=-1)
    community_services.answer_accept(actor=alice, topic=question, post=bob_answer)
    community_services.topic_subscribe(
        actor=carol, topic=question, level=NotificationLevel.WATCHING
    )
    idea = idea_services.idea_create(
        actor=bob, category=category, title="A quieter whistle", body="Please make it quieter."
    )
    idea_services.idea_status_set(actor=brand_staff, idea=idea, status="planned", response="Yes.")

    start, end = _period()
    ranking = people.influence_ranking(start=start, end=end)
    a, b = _row(ranking, alice), _row(ranking, bob)
    # Alice: replies by Bob and Carol in her topic, Bob's up-vote, Carol (and Bob, who
    # replied and so tracks it) following her topic.
    assert a.figures["replies"] == 2
    assert a.figures["votes"] == 1
    assert a.figures["accepted"] == 0
    followers = (
        TopicSubscription.objects.filter(topic=question, level__gte=NotificationLevel.TRACKING)
        .exclude(user=alice)
        .count()
    )
    assert a.figures["followers"] == followers >= 1
    # Bob: Carol replied to his post (in Alice's topic), two up-votes, one accepted answer,
    # one idea planned. Carol's down-vote is nobody's reach.
    assert b.figures == {"replies": 1, "votes": 2, "accepted": 1, "followers": 0, "ideas": 1}
    weights = people.conf("INFLUENCE_WEIGHTS")
    assert b.score == 1 * weights["replies"] + 2 * weights["votes"] + 5 + 10
    assert [row.rank for row in ranking.rows] == list(range(1, len(ranking.rows) + 1))
    assert ranking.rows[0].member == bob
    assert all(row.member != brand_staff for row in ranking.rows)  # staff are not ranked


def test_trend_compares_with_the_previous_period(member, other_member, third_member, say):
    topic = say(member, "Kettle talk").topic
    old = [say(other_member, f"Old reply {n}", topic=topic) for n in range(3)]
    long_ago = timezone.now() - timedelta(days=40)
    Post.objects.filter(pk__in=[p.pk for p in old]).update(created_at=long_ago)
    # Replying made Bob follow the topic: that was long ago too.
    TopicSubscription.objects.filter(user=other_member).update(updated_at=long_ago)
    say(third_member, "A recent reply", topic=topic)
    start, end = _period(30)
    row = _row(people.influence_ranking(start=start, end=end), member)
    assert row.figures["replies"] == 1
    assert row.previous["replies"] == 3
    assert (row.figures["followers"], row.previous["followers"]) == (1, 1)
    assert row.trend == row.score - row.previous_score < 0
    assert row.previous_rank == 1 and row.rank_change == 0


def test_nothing_outside_the_period_counts(member, other_member, say):
    topic = say(member, "Kettle talk").topic
    reply = say(other_member, "A reply", topic=topic)
    long_ago = timezone.now() - timedelta(days=200)
    Post.objects.filter(pk=reply.pk).update(created_at=long_ago)
    TopicSubscription.objects.filter(user=other_member).update(updated_at=long_ago)
    start, end = _period(30)
    assert people.influence_ranking(start=start, end=end).rows == []


@pytest.mark.parametrize("size", [3, 50])
def test_influence_ranking_costs_the_same_queries_for_3_and_50_members(
    size, member, say, django_assert_num_queries
):
    topic = say(member, "Everybody reply here").topic
    for number in range(size):
        author = UserFactory(trust_level=2)
        post = say(author, f"Reply {number}", topic=topic)
        community_services.vote_cast(actor=member, post=post, value=1)
    start, end = _period()
    with django_assert_num_queries(8):
        ranking = people.influence_ranking(start=start, end=end)
    assert ranking.total == size + 1


def test_rising_members_are_new_and_engaged(member, other_member, brand_staff, say, settings):
    settings.INSIGHTS_RISING_DAYS = 30
    veteran, newcomer = member, other_member
    lurker = UserFactory(username="lurker", trust_level=1)
    type(veteran).objects.filter(pk=veteran.pk).update(
        date_joined=timezone.now() - timedelta(days=100)
    )
    topic = say(veteran, "Welcome thread").topic
    for number in range(3):
        post = say(newcomer, f"Hello {number}", topic=topic)
        if number < 2:
            community_services.vote_cast(actor=veteran, post=post, value=1)
    for number in range(5):
        say(veteran, f"Veteran post {number}", topic=topic)
    say(lurker, "Just one post", topic=topic)
    say(brand_staff, "Staff are not rising members", topic=topic)

    rows = people.rising_members()
    assert [row.member for row in rows] == [newcomer]
    (row,) = rows
    assert (row.posts, row.votes, row.accepted, row.score) == (3, 2, 0, 5)
    assert row.welcome_url == newcomer.get_absolute_url()


@pytest.mark.parametrize("size", [3, 50])
def test_rising_members_cost_four_queries_for_3_and_50(
    size, member, say, django_assert_num_queries
):
    topic = say(member, "Welcome thread").topic
    for number in range(size):
        author = UserFactory(trust_level=1)
        for reply in range(3):
            say(author, f"Hello {number}.{reply}", topic=topic)
    with django_assert_num_queries(4):
        rows = people.rising_members()
    assert len(rows) == size  # the topic's author wrote one post only: below the bar


def test_a_cm_names_and_unnames_an_ambassador_with_who_when_and_why(moderator, member):
    ambassador = people.ambassador_mark(actor=moderator, member=member, note="Helps everyone")
    assert ambassador.appointed_by == moderator
    assert ambassador.appointed_by_name == "camille"
    assert ambassador.note == "Helps everyone"
    assert ambassador.appointed_at is not None and ambassador.is_current
    with pytest.raises(ValidationError):
        people.ambassador_mark(actor=moderator, member=member)
    ended = people.ambassador_unmark(actor=moderator, member=member, note="Moved on")
    assert ended.ended_by_name == "camille" and ended.ended_note == "Moved on"
    assert ended.ended_at is not None
    with pytest.raises(ValidationError):
        people.ambassador_unmark(actor=moderator, member=member)
    people.ambassador_mark(actor=moderator, member=member)
    assert Ambassador.objects.filter(member=member).count() == 2  # the history stays
    assert list(people.ambassador_list().values_list("member", flat=True)) == [member.pk]


@pytest.mark.parametrize("role", ["member", "brand_staff"])
def test_only_cms_name_ambassadors(request, role, other_member):
    actor = request.getfixturevalue(role)
    with pytest.raises(PermissionDenied):
        people.ambassador_mark(actor=actor, member=other_member)
    assert not Ambassador.objects.exists()


def test_administrators_name_ambassadors_too(administrator, member):
    assert people.ambassador_mark(actor=administrator, member=member).is_current


def test_a_note_too_long_saves_nothing(moderator, member):
    with pytest.raises(ValidationError):
        people.ambassador_mark(actor=moderator, member=member, note="x" * 501)
    assert not Ambassador.objects.exists()


def test_ambassadors_are_badged_in_the_influence_ranking(moderator, member, other_member, say):
    topic = say(member, "Kettle talk").topic
    say(other_member, "A reply", topic=topic)
    people.ambassador_mark(actor=moderator, member=member)
    start, end = _period()
    row = _row(people.influence_ranking(start=start, end=end), member)
    assert row.is_ambassador
