"""community.services.vote_cast: one vote per member and post, exact scores, reputation."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from accounts.models import User, UserStats
from community import services
from community.models import Post, Topic, Vote
from community.ranking import hot_score, wilson_lower_bound
from tests.community.fixtures_domain import *  # noqa: F403
from tests.factories import PostFactory, TopicFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def reply(topic, other_member):
    return PostFactory(topic=topic, author=other_member)


def reputation(user) -> int:
    return User.objects.get(pk=user.pk).reputation


def test_upvote_counts_and_rewards_the_author(reply, member, other_member, captured_events):
    voted = services.vote_cast(actor=member, post=reply, value=1)

    assert (voted.score, voted.upvotes, voted.downvotes, voted.my_vote) == (1, 1, 0, 1)
    assert voted.wilson == pytest.approx(wilson_lower_bound(1, 0))
    stored = Post.objects.get(pk=reply.pk)
    assert (stored.score, stored.upvotes, stored.wilson) == (1, 1, voted.wilson)
    assert reputation(other_member) == 10
    assert UserStats.objects.get(user=member).likes_given == 1
    assert UserStats.objects.get(user=other_member).likes_received == 1
    assert captured_events["vote_changed"] == [
        {
            "post_id": reply.pk,
            "actor_id": member.pk,
            "old_value": 0,
            "new_value": 1,
            "new_score": 1,
            "author_id": other_member.pk,
        }
    ]


def test_changing_a_vote_adjusts_by_the_difference(reply, member, other_member):
    services.vote_cast(actor=member, post=reply, value=1)
    voted = services.vote_cast(actor=member, post=reply, value=-1)

    assert (voted.score, voted.upvotes, voted.downvotes) == (-1, 0, 1)
    assert Vote.objects.get(post=reply, user=member).value == -1
    assert reputation(other_member) == -2
    assert UserStats.objects.get(user=member).likes_given == 0
    assert UserStats.objects.get(user=other_member).likes_received == 0


def test_withdrawing_a_vote_restores_everything(reply, member, other_member):
    services.vote_cast(actor=member, post=reply, value=-1)
    voted = services.vote_cast(actor=member, post=reply, value=0)

    assert (voted.score, voted.upvotes, voted.downvotes, voted.my_vote) == (0, 0, 0, 0)
    assert voted.wilson == 0.0
    assert not Vote.objects.exists()
    assert reputation(other_member) == 0


def test_voting_the_same_value_twice_counts_once(reply, member, captured_events):
    services.vote_cast(actor=member, post=reply, value=1)
    voted = services.vote_cast(actor=member, post=reply, value=1)
    assert (voted.score, Vote.objects.count()) == (1, 1)
    assert len(captured_events["vote_changed"]) == 1
    assert services.vote_cast(actor=member, post=reply, value=0).score == 0
    assert services.vote_cast(actor=member, post=reply, value=0).score == 0


def test_votes_from_several_members_add_up(reply):
    for value in (1, 1, 1, -1):
        services.vote_cast(actor=UserFactory(), post=reply, value=value)
    reply.refresh_from_db()
    assert (reply.score, reply.upvotes, reply.downvotes) == (2, 3, 1)
    assert reply.wilson == pytest.approx(wilson_lower_bound(3, 1))


def test_first_post_score_mirrors_into_topic_score_and_hot(topic, other_member):
    services.vote_cast(actor=other_member, post=topic.posts.get(number=1), value=1)
    topic.refresh_from_db()
    assert topic.score == 1
    assert topic.hot == pytest.approx(hot_score(1, topic.created_at))


def test_own_post_vote_is_refused(reply, other_member):
    with pytest.raises(PermissionDenied, match="own post"):
        services.vote_cast(actor=other_member, post=reply, value=1)
    assert not Vote.objects.exists()


@pytest.mark.parametrize("verb", ["post_delete", "post_hide", "post_hold", "post_remove"])
def test_vote_on_a_post_that_is_not_visible_is_refused(reply, member, moderator, verb):
    if verb == "post_delete":
        services.post_delete(actor=moderator, post=reply)
    else:
        getattr(services, verb)(actor=moderator, post=reply, reason="test")
    with pytest.raises(PermissionDenied, match="cannot receive votes"):
        services.vote_cast(actor=member, post=reply, value=1)


def test_anonymous_vote_is_refused(reply):
    with pytest.raises(PermissionDenied, match="Sign in"):
        services.vote_cast(actor=AnonymousUser(), post=reply, value=1)


@pytest.mark.parametrize("value", [2, -5, True, "1"])
def test_vote_value_must_be_up_down_or_withdraw(reply, member, value):
    with pytest.raises(ValidationError) as error:
        services.vote_cast(actor=member, post=reply, value=value)
    assert "value" in error.value.message_dict


def test_daily_vote_limit_counts_new_votes_only(topic, newcomer, settings):
    settings.COMMUNITY_DAILY_LIMITS = {**settings.COMMUNITY_DAILY_LIMITS, "votes": {0: 2}}
    posts = [PostFactory(topic=topic) for _ in range(3)]
    services.vote_cast(actor=newcomer, post=posts[0], value=1)
    services.vote_cast(actor=newcomer, post=posts[1], value=1)
    services.vote_cast(actor=newcomer, post=posts[1], value=-1)  # a change is not a new vote
    with pytest.raises(services.RateLimited) as error:
        services.vote_cast(actor=newcomer, post=posts[2], value=1)
    assert error.value.action == "votes"
    posts[2].refresh_from_db()
    assert posts[2].score == 0


# --- concurrency (PostgreSQL: real row locks, real parallel transactions) ----------------------


def _voters(count: int) -> list[User]:
    # Bulk-created: 200 members through the factory would spend seconds hashing passwords.
    users = User.objects.bulk_create(
        [
            User(username=f"voter{n}", email=f"voter{n}@example.org", password="!", trust_level=1)
            for n in range(count)
        ]
    )
    UserStats.objects.bulk_create([UserStats(user=user) for user in users])
    return users


def _vote_in_thread(user: User, post_id: int, value: int) -> None:
    try:
        services.vote_cast(actor=user, post=Post(pk=post_id), value=value)
    finally:
        connection.close()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_hundred_concurrent_upvotes_count_exactly():
    author = UserFactory()
    topic = TopicFactory(author=author)
    post = topic.posts.get(number=1)
    voters = _voters(200)

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=20) as pool:
        futures = [pool.submit(_vote_in_thread, voter, post.pk, 1) for voter in voters]
        for future in futures:
            future.result()  # re-raises any error of a thread
    elapsed = time.monotonic() - started

    post.refresh_from_db()
    assert (post.score, post.upvotes, post.downvotes) == (200, 200, 0)
    assert post.wilson == pytest.approx(wilson_lower_bound(200, 0))
    assert Vote.objects.filter(post=post).count() == 200
    assert Topic.objects.get(pk=topic.pk).score == 200
    assert User.objects.get(pk=author.pk).reputation == 200 * 10
    assert UserStats.objects.get(user=author).likes_received == 200
    assert elapsed < 20


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_member_voting_twice_at_once_counts_once():
    post = TopicFactory().posts.get(number=1)
    (voter,) = _voters(1)
    barrier = threading.Barrier(8)

    def vote() -> None:
        barrier.wait()
        _vote_in_thread(voter, post.pk, 1)

    with ThreadPoolExecutor(max_workers=8) as pool:
        for future in [pool.submit(vote) for _ in range(8)]:
            future.result()

    post.refresh_from_db()
    assert (post.score, post.upvotes) == (1, 1)
    assert Vote.objects.filter(post=post, user=voter).count() == 1
    assert UserStats.objects.get(user=voter).likes_given == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_members_voting_on_each_others_posts_at_once_do_not_deadlock():
    topic = TopicFactory()
    first, second = _voters(2)
    post_of_first = services.post_create(actor=first, topic=topic, body="Mine")
    post_of_second = services.post_create(actor=second, topic=topic, body="Mine too")
    barrier = threading.Barrier(2)

    def vote(user, post_id):
        barrier.wait()
        _vote_in_thread(user, post_id, 1)

    for _ in range(5):
        with ThreadPoolExecutor(max_workers=2) as pool:
            a = pool.submit(vote, first, post_of_second.pk)
            b = pool.submit(vote, second, post_of_first.pk)
            a.result()
            b.result()
        Vote.objects.all().delete()
        Post.objects.filter(pk__in=[post_of_first.pk, post_of_second.pk]).update(
            score=0, upvotes=0, wilson=0
        )
