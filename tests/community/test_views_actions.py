"""Buttons of the topic page: votes (htmx and plain forms), accepted answers, following, and
the moderator's topic tools — each refusal a message or a 4xx, never a 500."""

from __future__ import annotations

import pytest

from community import services
from community.models import (
    CategorySubscription,
    NotificationLevel,
    Post,
    Topic,
    TopicSubscription,
    Vote,
)
from tests.community.conftest import HTMX
from tests.factories import CategoryFactory, PostFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def reply(topic, other_member):
    return PostFactory(topic=topic, author=other_member, body="Descale it with citric acid.")


def test_htmx_vote_returns_the_vote_fragment_with_the_new_score(member_client, reply):
    response = member_client.post(f"/p/{reply.pk}/vote/", {"value": "1"}, **HTMX)

    html = response.content.decode()
    assert response.status_code == 200
    assert f'id="vote-{reply.pk}"' in html
    assert 'aria-pressed="true"' in html
    assert 'id="live-announcer" hx-swap-oob="innerHTML"' in html
    assert "The score is now 1" in html
    assert "<html" not in html
    assert Post.objects.get(pk=reply.pk).score == 1


def test_vote_without_javascript_redirects_back_to_the_post(member_client, reply, topic):
    response = member_client.post(
        f"/p/{reply.pk}/vote/",
        {"value": "-1"},
        HTTP_REFERER=f"http://testserver{topic.get_absolute_url()}",
    )

    assert response.status_code == 302
    assert response["Location"] == f"http://testserver{topic.get_absolute_url()}"
    assert Post.objects.get(pk=reply.pk).score == -1


def test_clicking_the_pressed_arrow_withdraws_the_vote(member_client, member, reply, topic):
    member_client.post(f"/p/{reply.pk}/vote/", {"value": "1"}, **HTMX)

    page = member_client.get(topic.get_absolute_url()).content.decode()
    assert (
        f'id="vote-up-{reply.pk}" class="vote__button vote__button--up" name="value" value="0"'
        in page
    )
    member_client.post(f"/p/{reply.pk}/vote/", {"value": "0"}, **HTMX)
    assert not Vote.objects.exists()


def test_another_member_sees_the_score_and_the_order(
    login, member_client, other_member, member, category, no_daily_limits
):
    from tests.factories import TopicFactory, UserFactory

    question = TopicFactory(category=category, author=member, kind="question")
    first = PostFactory(topic=question, author=other_member, body="First answer here.")
    second = PostFactory(topic=question, author=other_member, body="Second, better answer.")
    member_client.post(f"/p/{second.pk}/vote/", {"value": "1"})
    member_client.post(f"/p/{first.pk}/vote/", {"value": "-1"})

    viewer = login(UserFactory())
    response = viewer.get(question.get_absolute_url())

    order = [post.pk for post in response.context["posts"]]
    assert order.index(second.pk) < order.index(first.pk)
    scores = {post.pk: post.score for post in response.context["posts"]}
    assert scores[second.pk] == 1 and scores[first.pk] == -1
    assert all(post.my_vote == 0 for post in response.context["posts"])


def test_vote_on_own_post_is_refused_with_a_403_fragment(other_client, reply):
    response = other_client.post(f"/p/{reply.pk}/vote/", {"value": "1"}, **HTMX)

    assert response.status_code == 403
    assert "own post" in response.content.decode()
    assert not Vote.objects.exists()


def test_vote_on_a_deleted_post_is_refused_and_nothing_saved(
    member_client, moderator_client, reply, other_member
):
    services.post_delete(actor=other_member, post=reply)

    assert member_client.post(f"/p/{reply.pk}/vote/", {"value": "1"}).status_code == 404
    response = moderator_client.post(f"/p/{reply.pk}/vote/", {"value": "1"}, follow=True)
    assert "cannot receive votes" in response.content.decode()
    assert not Vote.objects.exists()


def test_bad_vote_value_is_a_400_fragment(member_client, reply):
    response = member_client.post(f"/p/{reply.pk}/vote/", {"value": "7"}, **HTMX)
    assert response.status_code == 400
    assert not Vote.objects.exists()


def test_votes_beyond_the_daily_limit_answer_429(member_client, reply, settings):
    settings.COMMUNITY_DAILY_LIMITS = {"votes": {1: 0}}

    htmx = member_client.post(f"/p/{reply.pk}/vote/", {"value": "1"}, **HTMX)
    plain = member_client.post(f"/p/{reply.pk}/vote/", {"value": "1"})

    assert htmx.status_code == plain.status_code == 429
    assert int(htmx["Retry-After"]) > 0 and int(plain["Retry-After"]) > 0
    assert "limit" in plain.content.decode()
    assert not Vote.objects.exists()


def test_question_author_accepts_and_unaccepts_an_answer(login, member, category, other_member):
    from tests.factories import TopicFactory

    question = TopicFactory(category=category, author=member, kind="question")
    answer = PostFactory(topic=question, author=other_member)
    client = login(member)

    page = client.get(question.get_absolute_url()).content.decode()
    assert f'action="/p/{answer.pk}/accept/"' in page
    client.post(f"/p/{answer.pk}/accept/")
    assert Topic.objects.get(pk=question.pk).accepted_answer_id == answer.pk
    page = client.get(question.get_absolute_url()).content.decode()
    assert "Accepted answer" in page
    client.post(f"/t/{question.pk}/unaccept/")
    assert Topic.objects.get(pk=question.pk).accepted_answer_id is None


def test_someone_else_cannot_accept_an_answer(other_client, category, member, other_member):
    from tests.factories import TopicFactory

    question = TopicFactory(category=category, author=member, kind="question")
    answer = PostFactory(topic=question, author=member)

    response = other_client.post(f"/p/{answer.pk}/accept/", follow=True)

    assert "Only the person who asked" in response.content.decode()
    assert Topic.objects.get(pk=question.pk).accepted_answer_id is None


@pytest.mark.parametrize("htmx", [True, False])
def test_member_chooses_how_to_follow_a_topic(member_client, member, topic, htmx):
    extra = HTMX if htmx else {}
    response = member_client.post(
        f"/t/{topic.pk}/follow/", {"level": NotificationLevel.MUTED}, **extra
    )

    assert TopicSubscription.objects.get(user=member, topic=topic).level == NotificationLevel.MUTED
    if htmx:
        html = response.content.decode()
        assert response.status_code == 200
        assert 'class="follow"' in html and "Muted" in html
    else:
        assert response.status_code == 302


def test_member_follows_a_category(member_client, member, category):
    response = member_client.post(f"/c/{category.slug}/follow/", {"level": 3}, **HTMX)

    assert response.status_code == 200
    assert CategorySubscription.objects.get(user=member, category=category).level == 3
    page = member_client.get(f"/c/{category.slug}/").content.decode()
    assert "Watching" in page


def test_bad_follow_level_is_refused(member_client, topic):
    response = member_client.post(f"/t/{topic.pk}/follow/", {"level": "9"}, **HTMX)
    assert response.status_code == 400


@pytest.mark.parametrize(
    ("action", "field", "value"),
    [
        ("lock", "locked", True),
        ("close", "closed", True),
        ("pin", "pinned", True),
        ("pin_globally", "pinned_globally", True),
    ],
)
def test_moderator_tools_change_the_topic(moderator_client, topic, action, field, value):
    response = moderator_client.post(f"/t/{topic.pk}/moderate/", {"action": action}, follow=True)

    assert response.status_code == 200
    assert getattr(Topic.objects.get(pk=topic.pk), field) is value


def test_moderator_undoes_lock_close_and_pin(moderator_client, moderator, topic):
    services.topic_lock(actor=moderator, topic=topic)
    services.topic_close(actor=moderator, topic=topic)
    services.topic_pin(actor=moderator, topic=topic)
    for action in ("unlock", "reopen", "unpin"):
        moderator_client.post(f"/t/{topic.pk}/moderate/", {"action": action})
    topic.refresh_from_db()
    assert not (topic.locked or topic.closed or topic.pinned)


def test_moderator_moves_a_topic(moderator_client, topic):
    toasters = CategoryFactory(name="Toasters", slug="toasters")

    response = moderator_client.post(f"/t/{topic.pk}/move/", {"category": toasters.pk}, follow=True)

    assert Topic.objects.get(pk=topic.pk).category == toasters
    assert "Topic moved to Toasters." in response.content.decode()


def test_members_cannot_use_moderator_tools(member_client, topic):
    response = member_client.post(f"/t/{topic.pk}/moderate/", {"action": "lock"}, follow=True)
    assert "Only moderators of this category" in response.content.decode()
    assert not Topic.objects.get(pk=topic.pk).locked

    toasters = CategoryFactory(name="Toasters", slug="toasters")
    member_client.post(f"/t/{topic.pk}/move/", {"category": toasters.pk})
    assert Topic.objects.get(pk=topic.pk).category != toasters


def test_unknown_moderator_action_is_a_404(moderator_client, topic):
    assert (
        moderator_client.post(f"/t/{topic.pk}/moderate/", {"action": "explode"}).status_code == 404
    )


def test_action_urls_refuse_get(member_client, reply, topic):
    assert member_client.get(f"/p/{reply.pk}/vote/").status_code == 405
    assert member_client.get(f"/t/{topic.pk}/moderate/").status_code == 405
