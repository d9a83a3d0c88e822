"""The topic page: canonical URLs, permalinks, pagination, answer ordering, reading state,
post states (deleted, held, hidden) and the composer's refusals."""

from __future__ import annotations

import pytest

from community import services
from community.models import ContentState, Post, ReadPosition, Topic
from tests.factories import CategoryFactory, PostFactory, TopicFactory, UserFactory

pytestmark = pytest.mark.django_db


def numbers(response) -> list[int]:
    return [post.number for post in response.context["posts"]]


def test_topic_page_shows_the_first_post_rendered(client, topic):
    response = client.get(topic.get_absolute_url())

    assert response.status_code == 200
    html = response.content.decode()
    assert topic.title in html
    assert "The Aurora kettle whistles when it boils." in html
    assert 'id="post-1"' in html
    assert "Sign in to reply" in html


def test_short_topic_url_redirects_permanently_keeping_the_query_string(client, topic):
    response = client.get(f"/t/{topic.pk}/?page=2&ordering=oldest")

    assert response.status_code == 301
    assert response["Location"] == f"{topic.get_absolute_url()}?page=2&ordering=oldest"


def test_wrong_slug_redirects_to_the_canonical_url(client, topic):
    response = client.get(f"/t/{topic.pk}-an-old-title/?page=1")

    assert response.status_code == 301
    assert response["Location"] == f"{topic.get_absolute_url()}?page=1"


def test_unknown_topic_is_a_404(client):
    assert client.get("/t/999999-nothing/").status_code == 404
    assert client.get("/t/999999/").status_code == 404


def test_topic_pages_hold_twenty_posts(client, topic, other_member, no_daily_limits):
    for _ in range(24):
        PostFactory(topic=topic, author=other_member)

    first = client.get(topic.get_absolute_url())
    second = client.get(topic.get_absolute_url() + "?page=2")

    assert numbers(first) == list(range(1, 21))
    assert numbers(second) == list(range(21, 26))
    assert 'rel="next"' in first.content.decode()


def test_permalink_lands_on_the_right_page_and_post(client, topic, other_member, no_daily_limits):
    posts = [PostFactory(topic=topic, author=other_member) for _ in range(24)]
    late = posts[-2]  # number 24

    response = client.get(f"/p/{late.pk}/")

    assert response.status_code == 302
    assert response["Location"] == f"{topic.get_absolute_url()}?page=2#post-24"
    early = client.get(f"/p/{posts[0].pk}/")
    assert early["Location"] == f"{topic.get_absolute_url()}#post-2"


def test_post_number_url_goes_to_that_post(client, topic, other_member):
    reply = PostFactory(topic=topic, author=other_member)
    response = client.get(f"/t/{topic.pk}/{reply.number}/")
    assert response.status_code == 302
    assert response["Location"].endswith(f"#post-{reply.number}")


def test_question_sorts_accepted_answer_first_then_by_votes_with_an_oldest_toggle(
    client, category, member, other_member, no_daily_limits
):
    question = TopicFactory(category=category, author=member, kind="question")
    plain, liked, accepted = (PostFactory(topic=question, author=other_member) for _ in range(3))
    voters = [UserFactory() for _ in range(3)]
    for voter in voters:
        services.vote_cast(actor=voter, post=liked, value=1)
    services.answer_accept(actor=member, topic=question, post=accepted)

    best = client.get(question.get_absolute_url())
    oldest = client.get(question.get_absolute_url() + "?ordering=oldest")

    assert numbers(best) == [1, accepted.number, liked.number, plain.number]
    assert numbers(oldest) == [1, 2, 3, 4]
    html = best.content.decode()
    assert "3 answers" in html
    assert "Accepted answer" in html
    assert "Oldest first" in html


def test_reading_a_page_records_the_read_position_for_members_only(
    client, member_client, member, topic, other_member
):
    PostFactory(topic=topic, author=other_member)

    client.get(topic.get_absolute_url())
    assert not ReadPosition.objects.exists()

    member_client.get(topic.get_absolute_url())
    assert ReadPosition.objects.get(user=member, topic=topic).last_read_number == 2


def test_jump_to_first_unread_links_after_the_last_post_read(
    member_client, member, topic, other_member
):
    services.topic_read(actor=member, topic=topic, last_number=1)
    PostFactory(topic=topic, author=other_member)
    PostFactory(topic=topic, author=other_member)
    page_url = topic.get_absolute_url() + "?page=1"

    html = member_client.get(page_url).content.decode()

    assert "Jump to first unread" in html
    assert f'href="/t/{topic.pk}/2/"' in html


def test_deleted_post_leaves_a_placeholder(client, member, topic, other_member):
    reply = PostFactory(topic=topic, author=other_member, body="A reply that will be deleted soon.")
    services.post_delete(actor=other_member, post=reply)

    html = client.get(topic.get_absolute_url()).content.decode()

    assert "was deleted by its author" in html
    assert "A reply that will be deleted soon." not in html


def test_held_post_is_shown_to_its_author_with_a_notice_and_hidden_from_others(
    client, login, topic, other_member
):
    reply = PostFactory(topic=topic, author=other_member, body="Held for review, this one.")
    services.post_hold(actor=None, post=reply, reason="spam check")

    author_html = login(other_member).get(topic.get_absolute_url()).content.decode()
    public_html = client.get(topic.get_absolute_url()).content.decode()

    assert "Held for review, this one." in author_html
    assert "Awaiting review" in author_html
    assert "Held for review, this one." not in public_html


def test_hidden_post_is_marked_for_its_author(login, topic, other_member):
    reply = PostFactory(topic=topic, author=other_member)
    services.post_hide(actor=None, post=reply, reason="flags")

    html = login(other_member).get(topic.get_absolute_url()).content.decode()

    assert "Hidden: members flagged this post" in html


def test_locked_topic_explains_why_the_composer_is_missing(member_client, topic, moderator):
    services.topic_lock(actor=moderator, topic=topic)

    html = member_client.get(topic.get_absolute_url()).content.decode()

    assert "This topic is locked" in html
    assert f'action="/t/{topic.pk}/reply/"' not in html


def test_category_above_the_members_trust_level_says_so(login, member):
    strict = CategoryFactory(name="Regulars", slug="regulars", min_trust_to_reply=3)
    starter = UserFactory(trust_level=4)
    topic = TopicFactory(category=strict, author=starter)

    html = login(member).get(topic.get_absolute_url()).content.decode()

    assert "need a higher trust level" in html


def test_quote_parameter_prefills_the_composer_without_javascript(member_client, topic):
    first = topic.posts.get(number=1)

    response = member_client.get(f"{topic.get_absolute_url()}?quote={first.pk}")

    form = response.context["reply_form"]
    assert form.initial["body"].startswith(f'[quote="{first.author_name}" post={first.pk}]')
    assert form.initial["reply_to"] == first.pk


def test_quote_endpoint_returns_the_quote_markdown(member_client, topic):
    first = topic.posts.get(number=1)

    data = member_client.get(f"/p/{first.pk}/quote/").json()

    assert data["markdown"].startswith("[quote=")
    assert "The Aurora kettle whistles" in data["markdown"]


def test_topic_page_in_french(client, topic):
    response = client.get(topic.get_absolute_url(), HTTP_ACCEPT_LANGUAGE="fr")
    assert response.status_code == 200
    assert 'lang="fr"' in response.content.decode()


def test_moderator_sees_the_tools_and_members_do_not(member_client, moderator_client, topic):
    assert "Moderate" not in member_client.get(topic.get_absolute_url()).content.decode()
    html = moderator_client.get(topic.get_absolute_url()).content.decode()
    assert f'action="/t/{topic.pk}/moderate/"' in html
    assert 'value="pin_globally"' in html


def test_views_are_counted(client, topic):
    client.get(topic.get_absolute_url())
    client.get(topic.get_absolute_url())
    services.topic_views_flush()  # with Redis, views are buffered in the cache until a flush
    assert Topic.objects.get(pk=topic.pk).view_count == 2


def test_moderator_sees_deleted_posts_in_full(moderator_client, topic, other_member):
    reply = PostFactory(topic=topic, author=other_member, body="Deleted but visible to staff.")
    services.post_delete(actor=other_member, post=reply)
    assert Post.objects.get(pk=reply.pk).state == ContentState.DELETED

    html = moderator_client.get(topic.get_absolute_url()).content.decode()

    assert "Deleted but visible to staff." in html
    assert "Deleted by its author. Only moderators can see it." in html


def test_anonymous_topic_visit_creates_no_session_and_writes_no_read_position(client, topic):
    response = client.get(topic.get_absolute_url())
    assert "sessionid" not in response.cookies
    assert not ReadPosition.objects.exists()
