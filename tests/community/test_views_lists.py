"""Topic lists through the test client: home, latest/new/top/hot/unanswered, my topics,
categories, a category, a tag, filters and pagination."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from community import services
from community.models import Topic
from tests.factories import CategoryFactory, PostFactory, TopicFactory

pytestmark = pytest.mark.django_db


def titles(response) -> list[str]:
    return [topic.title for topic in response.context["topics"]]


def test_home_lists_latest_topics_with_categories_in_the_sidebar(client, category, member):
    old = TopicFactory(category=category, author=member, title="An older topic about lids")
    Topic.objects.filter(pk=old.pk).update(last_activity_at=timezone.now() - timedelta(days=2))
    fresh = TopicFactory(category=category, author=member, title="A fresh topic about kettles")

    response = client.get("/")

    assert response.status_code == 200
    assert titles(response) == [fresh.title, old.title]
    html = response.content.decode()
    assert 'class="list-sidebar"' in html
    assert category.name in html
    assert f'href="{fresh.get_absolute_url()}"' in html


def test_topic_row_shows_kind_marks_tags_and_counts(client, category, member, other_member):
    question = TopicFactory(
        category=category,
        author=member,
        title="Why does the lid squeak so much?",
        kind="question",
        tags=["lid", "noise"],
    )
    answer = PostFactory(topic=question, author=other_member)
    services.answer_accept(actor=member, topic=question, post=answer)
    moderator_locked = TopicFactory(category=category, author=member, title="A locked thread here")
    Topic.objects.filter(pk=moderator_locked.pk).update(locked=True, pinned_globally=True)

    html = client.get("/latest/").content.decode()

    assert "Solved" in html
    assert 'href="/tags/lid/"' in html and 'href="/tags/noise/"' in html
    assert 'aria-label="Locked"' in html
    assert 'aria-label="Pinned"' in html
    assert "<time datetime=" in html
    assert 'data-colour="' in html


def test_new_top_hot_and_unanswered_lists_answer(client, topic, other_member):
    question = TopicFactory(
        category=topic.category, kind="question", title="Unanswered question here"
    )
    responses = {}
    for url in (
        "/new/",
        "/top/",
        "/top/?period=week",
        "/hot/",
        "/unanswered/",
        "/top/?period=nope",
    ):
        responses[url] = client.get(url)
        assert responses[url].status_code == 200, url
    # The first answer was rendered (a repeat would come from the anonymous cache).
    assert titles(responses["/unanswered/"]) == [question.title]


def test_top_period_links_keep_other_parameters(client, topic):
    html = client.get("/top/?period=week&kind=question").content.decode()
    assert "period=month&amp;kind=question" in html or "kind=question&amp;period=month" in html


def test_my_topics_needs_sign_in_and_lists_only_mine(
    client, member_client, member, other_member, category
):
    mine = TopicFactory(category=category, author=member, title="My very own topic")
    TopicFactory(category=category, author=other_member, title="Somebody else's topic")

    assert client.get("/my/topics/").status_code == 302
    assert titles(member_client.get("/my/topics/")) == [mine.title]


def test_category_index_shows_subcategories_and_counts(client, category):
    child = CategoryFactory(name="Aurora Mini", slug="aurora-mini", parent=category)
    TopicFactory(category=child)

    html = client.get("/categories/").content.decode()

    assert category.name in html and child.name in html
    assert "1 topic" in html


def test_category_page_lists_its_topics_and_subcategories_with_orderings(client, category):
    child = CategoryFactory(name="Aurora Mini", slug="aurora-mini", parent=category)
    other = CategoryFactory(name="Toasters", slug="toasters")
    in_child = TopicFactory(category=child, title="Topic in the subcategory")
    TopicFactory(category=other, title="Topic about toasters")

    response = client.get("/c/aurora/")
    assert titles(response) == [in_child.title]
    for ordering in ("new", "top", "hot", "unanswered", "bogus"):
        assert client.get(f"/c/aurora/?ordering={ordering}").status_code == 200
    assert client.get("/c/no-such-category/").status_code == 404


def test_tag_page_lists_tagged_topics(client, category):
    tagged = TopicFactory(category=category, tags=["descaling"], title="How to descale quickly")
    TopicFactory(category=category, title="Untagged topic here")

    response = client.get("/tags/descaling/")

    assert titles(response) == [tagged.title]
    assert client.get("/tags/unknown/").status_code == 404


def test_filters_narrow_the_list_and_show_in_the_form(client, category, member):
    question = TopicFactory(
        category=category, author=member, kind="question", title="A question to filter"
    )
    TopicFactory(category=category, author=member, title="A discussion to filter out")

    response = client.get("/latest/?kind=question&status=open")

    assert titles(response) == [question.title]
    html = response.content.decode()
    assert '<details class="filters" open' in html
    assert 'type="date"' in html


def test_invalid_filter_values_are_ignored_not_a_500(client, topic):
    response = client.get("/latest/?created_after=not-a-date&status=weird&unanswered=maybe")
    assert response.status_code == 200
    assert topic.title in titles(response)


def test_lists_paginate_by_thirty_without_counting(client, category, member, no_daily_limits):
    for number in range(31):
        TopicFactory(
            category=category,
            author=member,
            title=f"Paginated topic number {number}",
            body=f"Body of topic {number}.",
        )

    first = client.get("/latest/")
    second = client.get("/latest/?page=2")

    assert len(first.context["topics"]) == 30
    assert first.context["page"].has_next
    assert len(second.context["topics"]) == 1
    assert 'rel="prev"' in second.content.decode()
    assert client.get("/latest/?page=3").status_code == 404
    assert client.get("/latest/?page=abc").status_code == 200


def test_signed_in_reader_sees_how_many_replies_are_new(
    member_client, member, other_member, category
):
    topic = TopicFactory(category=category, author=other_member, title="Topic with new replies")
    services.topic_read(actor=member, topic=topic, last_number=1)
    PostFactory(topic=topic, author=other_member)
    PostFactory(topic=topic, author=other_member)

    html = member_client.get("/latest/").content.decode()

    assert "2 new" in html
    assert f'href="/t/{topic.pk}/2/"' in html


def test_anonymous_list_visit_creates_no_session(client, topic):
    response = client.get("/latest/")
    assert "sessionid" not in response.cookies


def test_empty_list_invites_to_start_a_topic(member_client):
    html = member_client.get("/").content.decode()
    assert "Nothing here yet." in html
    assert 'href="/new-topic/"' in html


def test_tag_index_lists_used_tags(client, category):
    TopicFactory(category=category, tags=["descaling", "lid"])

    html = client.get("/tags/").content.decode()

    assert 'href="/tags/descaling/"' in html and 'href="/tags/lid/"' in html
