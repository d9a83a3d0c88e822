"""API v1: the posts of a topic, one post (read, edit, delete), its revisions and votes."""

from __future__ import annotations

import itertools

import pytest

from community import services
from community.models import ContentState, Post, PostRevision, Vote
from tests.factories import CategoryFactory, PostFactory, TopicFactory, UserFactory

pytestmark = pytest.mark.django_db

_texts = itertools.count()


def _reply(topic, author, **kwargs) -> Post:
    """A reply with a text of its own (the same text again and again is held as spam)."""
    kwargs.setdefault("body", f"Reply {next(_texts)}: descale it with citric acid.")
    return PostFactory(topic=topic, author=author, **kwargs)


def _silence(moderator, member):
    from moderation import services as moderation_services

    moderation_services.sanction_create(
        actor=moderator, member=member, kind="silence", days=1, reason="Cool down"
    )


def _posts_url(topic) -> str:
    return f"/api/v1/topics/{topic.pk}/posts/"


def _post_url(post, suffix: str = "") -> str:
    return f"/api/v1/posts/{post.pk}/{suffix}"


def _numbers(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["number"] for row in response.json()["results"]]


@pytest.fixture
def reply(topic, other_member):
    return _reply(topic, other_member)


# --- The posts of a topic -----------------------------------------------------------------------


def test_topic_posts_list_in_order_with_my_vote(api_as, topic, member, other_member):
    first = topic.posts.get(number=1)
    second = _reply(topic, other_member, reply_to=first)
    services.vote_cast(actor=member, post=second, value=-1)
    response = api_as(member).get(_posts_url(topic))
    assert _numbers(response) == [1, 2]
    rows = response.json()["results"]
    assert rows[1]["my_vote"] == -1 and rows[0]["my_vote"] == 0
    assert rows[1]["reply_to"] == first.pk and rows[1]["reply_to_number"] == 1
    assert rows[1]["body_html"] == second.body_html
    assert rows[1]["author"]["username"] == other_member.username
    assert rows[1]["score"] == -1 and rows[1]["state"] == "visible"


def test_topic_posts_best_ordering_puts_the_accepted_answer_first(api, category, member):
    question = TopicFactory(category=category, author=member, kind="question")
    voters = [UserFactory() for _ in range(2)]
    popular = _reply(question, UserFactory())
    accepted = _reply(question, UserFactory())
    for voter in voters:
        services.vote_cast(actor=voter, post=popular, value=1)
    services.answer_accept(actor=member, topic=question, post=accepted)
    response = api.get(_posts_url(question), {"ordering": "best"})
    assert _numbers(response) == [1, accepted.number, popular.number]
    assert response.json()["results"][1]["is_accepted"] is True


def test_topic_posts_cursor_is_stable_while_replies_arrive(api, topic):
    writer = UserFactory(trust_level=4)
    for _ in range(5):
        _reply(topic, writer)
    first = api.get(_posts_url(topic), {"page_size": 2})
    seen = _numbers(first)
    _reply(topic, writer)
    url = first.json()["next"]
    while url:
        response = api.get(url)
        seen += _numbers(response)
        url = response.json()["next"]
    assert seen == list(range(1, 8))


def test_topic_posts_bad_ordering_is_400(api, topic):
    response = api.get(_posts_url(topic), {"ordering": "random"})
    assert response.status_code == 400 and set(response.json()) == {"ordering"}


@pytest.mark.parametrize("count", [3, 50])
def test_topic_posts_query_budget(api_as, topic, django_assert_max_num_queries, count):
    writers = [UserFactory(trust_level=4) for _ in range(3)]
    posts = [_reply(topic, writers[index % 3]) for index in range(count - 1)]
    reader = UserFactory()
    for post in posts[:2]:
        services.vote_cast(actor=reader, post=post, value=1)
    client = api_as(reader)
    # Token and its last use (2), the caller's permissions for the throttle (2), the topic
    # (1), the page (1).
    with django_assert_max_num_queries(7):
        response = client.get(_posts_url(topic), {"page_size": 50})
    assert len(response.json()["results"]) == count
    assert response.json()["results"][1]["my_vote"] == 1


def test_held_reply_is_listed_for_its_author_and_moderators_only(
    api_as, topic, reply, other_member, member, moderator
):
    services.post_hold(actor=None, post=reply, reason="Links")
    assert _numbers(api_as(member).get(_posts_url(topic))) == [1]
    assert _numbers(api_as(other_member).get(_posts_url(topic))) == [1, 2]
    assert _numbers(api_as(moderator).get(_posts_url(topic))) == [1, 2]


def test_posts_of_a_hidden_topic_are_404(api_as, topic, other_member, moderator):
    services.post_hide(actor=moderator, post=topic.posts.get(number=1), reason="Spam")
    assert api_as(other_member).get(_posts_url(topic)).status_code == 404
    assert api_as(moderator).get(_posts_url(topic)).status_code == 200


# --- Replying -----------------------------------------------------------------------------------


def test_member_replies_to_a_post(api_as, topic, other_member):
    first = topic.posts.get(number=1)
    response = api_as(other_member).post(
        _posts_url(topic), {"body": "Try *vinegar*.", "reply_to": first.pk}, format="json"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    post = Post.objects.get(pk=body["id"])
    assert post.author == other_member and post.reply_to == first and post.number == 2
    assert body["body_html"] == post.body_html and "<em>vinegar</em>" in body["body_html"]
    assert body["my_vote"] == 0 and body["reply_to_number"] == 1


def test_reply_errors_name_the_fields_and_save_nothing(api_as, topic, other_member, category):
    client = api_as(other_member)
    response = client.post(_posts_url(topic), {}, format="json")
    assert response.status_code == 400 and set(response.json()) == {"body"}
    response = client.post(_posts_url(topic), {"body": "   "}, format="json")
    assert response.status_code == 400 and set(response.json()) == {"body"}
    elsewhere = TopicFactory(category=category, author=other_member, body="Another question")
    response = client.post(
        _posts_url(topic),
        {"body": "Hello", "reply_to": elsewhere.posts.get(number=1).pk},
        format="json",
    )
    assert response.status_code == 400 and set(response.json()) == {"reply_to"}
    response = client.post(_posts_url(topic), {"body": "Hello", "reply_to": 999999}, format="json")
    assert response.status_code == 400 and set(response.json()) == {"reply_to"}
    response = client.post(_posts_url(topic), {"body": "Hello", "reply_to": "x"}, format="json")
    assert response.status_code == 400 and set(response.json()) == {"reply_to"}
    assert topic.posts.count() == 1


def test_reply_anonymous_is_401(api, topic):
    assert api.post(_posts_url(topic), {"body": "Hello"}, format="json").status_code == 401


def test_reply_on_a_locked_topic_is_403(api_as, topic, other_member, moderator):
    services.topic_lock(actor=moderator, topic=topic)
    response = api_as(other_member).post(_posts_url(topic), {"body": "Hello"}, format="json")
    assert response.status_code == 403
    assert "locked" in response.json()["detail"]


def test_reply_below_the_categorys_trust_level_is_403(api_as, member, newcomer):
    gated = CategoryFactory(min_trust_to_reply=2)
    topic = TopicFactory(category=gated, author=member)
    response = api_as(newcomer).post(_posts_url(topic), {"body": "Hello"}, format="json")
    assert response.status_code == 403
    assert topic.posts.count() == 1


def test_reply_while_silenced_is_403(api_as, topic, other_member, moderator):
    _silence(moderator, other_member)
    response = api_as(other_member).post(_posts_url(topic), {"body": "Hello"}, format="json")
    assert response.status_code == 403
    assert "silenced" in response.json()["detail"]


def test_reply_past_the_daily_limit_is_429_with_retry_after(api_as, topic, other_member, settings):
    settings.COMMUNITY_DAILY_LIMITS = {**settings.COMMUNITY_DAILY_LIMITS, "posts": {1: 1}}
    client = api_as(other_member)
    assert client.post(_posts_url(topic), {"body": "One"}, format="json").status_code == 201
    response = client.post(_posts_url(topic), {"body": "Two"}, format="json")
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert topic.posts.count() == 2


def test_reply_to_a_hidden_topic_is_404(api_as, topic, other_member, moderator):
    services.post_hide(actor=moderator, post=topic.posts.get(number=1), reason="Spam")
    response = api_as(other_member).post(_posts_url(topic), {"body": "Hello"}, format="json")
    assert response.status_code == 404


# --- One post -----------------------------------------------------------------------------------


def test_post_detail_has_the_contract_fields(api_as, reply, member):
    services.vote_cast(actor=member, post=reply, value=1)
    response = api_as(member).get(_post_url(reply))
    assert response.status_code == 200
    body = response.json()
    for field in ("id", "topic", "author", "body", "body_html", "score", "my_vote"):
        assert field in body
    assert body["is_official"] is False and body["state"] == "visible"
    assert body["topic"] == reply.topic_id and body["score"] == 1 and body["my_vote"] == 1


def test_hidden_post_is_404_to_others_and_shown_to_its_author_and_moderators(
    api, api_as, reply, member, other_member, moderator
):
    services.post_hide(actor=moderator, post=reply, reason="Rude")
    assert api.get(_post_url(reply)).status_code == 404
    assert api_as(member).get(_post_url(reply)).status_code == 404
    own = api_as(other_member).get(_post_url(reply)).json()
    assert own["state"] == "hidden" and own["state_reason"] == "Rude"
    seen = api_as(moderator).get(_post_url(reply))
    assert seen.status_code == 200 and seen.json()["state"] == "hidden"


def test_held_post_is_404_to_others(api_as, reply, member, other_member):
    services.post_hold(actor=None, post=reply, reason="Links")
    assert api_as(member).get(_post_url(reply)).status_code == 404
    assert api_as(other_member).get(_post_url(reply)).json()["state"] == "held"


def test_unknown_post_is_404(api):
    assert api.get("/api/v1/posts/999999/").status_code == 404


def test_author_edits_their_post(api_as, reply, other_member):
    response = api_as(other_member).patch(
        _post_url(reply), {"body": "Use **citric** acid.", "note": "bold"}, format="json"
    )
    assert response.status_code == 200, response.content
    assert "<strong>citric</strong>" in response.json()["body_html"]
    assert response.json()["edit_count"] == 1
    assert PostRevision.objects.get(post=reply).note == "bold"


def test_post_edit_errors_are_400_with_field_names(api_as, reply, other_member):
    client = api_as(other_member)
    response = client.patch(_post_url(reply), {}, format="json")
    assert response.status_code == 400 and set(response.json()) == {"body"}
    response = client.patch(_post_url(reply), {"body": "x" * 50_001}, format="json")
    assert response.status_code == 400 and set(response.json()) == {"body"}
    assert not PostRevision.objects.exists()


def test_member_may_not_edit_or_delete_anothers_post(api_as, reply, member):
    client = api_as(member)
    assert client.patch(_post_url(reply), {"body": "Mine now"}, format="json").status_code == 403
    assert client.delete(_post_url(reply)).status_code == 403
    reply.refresh_from_db()
    assert reply.state == ContentState.VISIBLE and "Mine now" not in reply.body


def test_moderator_edits_anothers_post(moderator_api, reply):
    response = moderator_api.patch(_post_url(reply), {"body": "Edited by staff"}, format="json")
    assert response.status_code == 200
    assert response.json()["body"] == "Edited by staff"


def test_post_changes_anonymous_are_401(api, reply):
    assert api.patch(_post_url(reply), {"body": "x"}, format="json").status_code == 401
    assert api.delete(_post_url(reply)).status_code == 401


def test_author_deletes_their_post(api_as, reply, other_member, member, moderator):
    assert api_as(other_member).delete(_post_url(reply)).status_code == 204
    reply.refresh_from_db()
    assert reply.state == ContentState.DELETED
    assert api_as(member).get(_post_url(reply)).status_code == 404
    assert api_as(moderator).get(_post_url(reply)).json()["state"] == "deleted"


# --- Revisions ----------------------------------------------------------------------------------


def test_revisions_show_each_edit_as_chunks(api_as, reply, other_member):
    services.post_edit(actor=other_member, post=reply, body="Use citric acid.", note="shorter")
    response = api_as(other_member).get(_post_url(reply, "revisions/"))
    assert response.status_code == 200
    body = response.json()
    assert body["next"] is None and body["previous"] is None
    (edit,) = body["results"]
    assert edit["number"] == 1 and edit["note"] == "shorter"
    assert edit["edited_by_name"] == other_member.username
    ops = {chunk["op"] for chunk in edit["chunks"]}
    assert {"delete", "insert"} <= ops
    new_text = "".join(c["text"] for c in edit["chunks"] if c["op"] != "delete")
    assert new_text == "Use citric acid."


def test_revisions_of_a_hidden_post_are_404_to_others(api_as, reply, member, moderator):
    services.post_hide(actor=moderator, post=reply, reason="Rude")
    assert api_as(member).get(_post_url(reply, "revisions/")).status_code == 404
    assert api_as(moderator).get(_post_url(reply, "revisions/")).status_code == 200


@pytest.mark.parametrize("count", [3, 50])
def test_revisions_query_budget(api_as, reply, other_member, django_assert_max_num_queries, count):
    for index in range(count):
        services.post_edit(actor=other_member, post=reply, body=f"Version {index} of the text")
    client = api_as(other_member)
    with django_assert_max_num_queries(7):
        response = client.get(_post_url(reply, "revisions/"))
    assert len(response.json()["results"]) == count


# --- Votes --------------------------------------------------------------------------------------


def test_vote_up_then_withdraw(api_as, reply, member):
    client = api_as(member)
    response = client.post(_post_url(reply, "vote/"), {"value": 1}, format="json")
    assert response.status_code == 200
    assert response.json() == {"score": 1, "my_vote": 1, "upvotes": 1, "downvotes": 0}
    response = client.post(_post_url(reply, "vote/"), {"value": -1}, format="json")
    assert response.json()["score"] == -1 and response.json()["my_vote"] == -1
    response = client.post(_post_url(reply, "vote/"), {"value": 0}, format="json")
    assert response.json() == {"score": 0, "my_vote": 0, "upvotes": 0, "downvotes": 0}
    assert not Vote.objects.exists()


@pytest.mark.parametrize("value", [2, "up", None, True])
def test_vote_bad_value_is_400(api_as, reply, member, value):
    response = api_as(member).post(_post_url(reply, "vote/"), {"value": value}, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"value"}
    assert not Vote.objects.exists()


def test_vote_anonymous_is_401(api, reply):
    assert api.post(_post_url(reply, "vote/"), {"value": 1}, format="json").status_code == 401


def test_vote_on_ones_own_post_is_403(api_as, reply, other_member):
    response = api_as(other_member).post(_post_url(reply, "vote/"), {"value": 1}, format="json")
    assert response.status_code == 403


def test_silenced_member_may_withdraw_but_not_vote(api_as, reply, member, moderator):
    services.vote_cast(actor=member, post=reply, value=1)
    _silence(moderator, member)
    client = api_as(member)
    assert client.post(_post_url(reply, "vote/"), {"value": -1}, format="json").status_code == 403
    response = client.post(_post_url(reply, "vote/"), {"value": 0}, format="json")
    assert response.status_code == 200 and response.json()["my_vote"] == 0


def test_vote_past_the_daily_limit_is_429(api_as, topic, member, settings):
    settings.COMMUNITY_DAILY_LIMITS = {**settings.COMMUNITY_DAILY_LIMITS, "votes": {1: 1}}
    writer = UserFactory()
    first, second = _reply(topic, writer), _reply(topic, writer)
    client = api_as(member)
    assert client.post(_post_url(first, "vote/"), {"value": 1}, format="json").status_code == 200
    response = client.post(_post_url(second, "vote/"), {"value": 1}, format="json")
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0


def test_vote_on_a_hidden_post_is_404(api_as, reply, member, moderator):
    services.post_hide(actor=moderator, post=reply, reason="Rude")
    response = api_as(member).post(_post_url(reply, "vote/"), {"value": 1}, format="json")
    assert response.status_code == 404
