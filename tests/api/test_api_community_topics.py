"""API v1: categories and topics (list, filters, orderings, cursors, create, change, delete)."""

from __future__ import annotations

import itertools
from datetime import timedelta

import pytest
from django.utils import timezone

from community import services
from community.models import ContentState, Post, PostRevision, Topic
from tests.factories import CategoryFactory, PostFactory, TopicFactory, UserFactory

pytestmark = pytest.mark.django_db

TOPICS = "/api/v1/topics/"


_bodies = itertools.count()


def _topic(**kwargs) -> Topic:
    """A topic with a text of its own (the same text again and again is held as spam)."""
    kwargs.setdefault("body", f"Question number {next(_bodies)} about the Aurora kettle.")
    return TopicFactory(**kwargs)


@pytest.fixture
def prolific(db):
    """A leader (trust level 4): the daily limits let them start a hundred topics."""
    return UserFactory(trust_level=4)


def _silence(moderator, member):
    from moderation import services as moderation_services

    moderation_services.sanction_create(
        actor=moderator, member=member, kind="silence", days=1, reason="Cool down"
    )


def _ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def _walk(client, url: str) -> list[int]:
    """Every id of a list, following `next` to the end."""
    seen: list[int] = []
    while url:
        response = client.get(url)
        seen += _ids(response)
        url = response.json()["next"]
    return seen


# --- Categories -------------------------------------------------------------------------------


def test_categories_list_parents_then_children_with_the_callers_rights(api_as, newcomer):
    parent = CategoryFactory(name="Kettles", slug="kettles", position=1)
    child = CategoryFactory(name="Aurora", slug="aurora-k", parent=parent)
    gated = CategoryFactory(name="Lounge", slug="lounge", position=2, min_trust_to_start=2)
    response = api_as(newcomer).get("/api/v1/categories/")
    assert response.status_code == 200
    body = response.json()
    assert body["next"] is None and body["previous"] is None
    rows = {row["slug"]: row for row in body["results"]}
    assert [row["slug"] for row in body["results"]] == ["kettles", "aurora-k", "lounge"]
    assert rows["aurora-k"]["parent"] == parent.pk
    assert rows["kettles"]["parent"] is None
    assert rows["kettles"]["can_start_topic"] is True
    assert rows["lounge"]["can_start_topic"] is False
    assert rows["aurora-k"]["url"] == child.get_absolute_url()
    assert gated.pk == rows["lounge"]["id"]


@pytest.mark.parametrize("count", [3, 50])
def test_categories_list_query_budget(member_api, django_assert_max_num_queries, count):
    for index in range(count):
        CategoryFactory(position=index)
    # Token and its last use (2), the caller's permissions (2), the categories and their
    # subcategories (2), the caller's sanctions for `can_start_topic` (1, cached on the user).
    with django_assert_max_num_queries(7):
        response = member_api.get("/api/v1/categories/")
    assert len(response.json()["results"]) == count


# --- Topic list -------------------------------------------------------------------------------


def test_topic_list_shows_visible_topics_with_their_fields(api, topic, category):
    response = api.get(TOPICS)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"next", "previous", "results"}
    (row,) = body["results"]
    assert row["id"] == topic.pk
    assert row["category"] == {"id": category.pk, "slug": category.slug, "name": category.name}
    assert row["author"]["username"] == topic.author.username
    assert row["state"] == "visible"
    assert row["url"] == topic.get_absolute_url()
    assert row["last_read_number"] is None and row["unread_count"] == 0


def test_topic_list_filters_category_by_slug_or_id_with_subcategories(api, member):
    parent = CategoryFactory(slug="kettles")
    child = CategoryFactory(slug="aurora-k", parent=parent)
    elsewhere = CategoryFactory(slug="toasters")
    in_parent = _topic(category=parent, author=member)
    in_child = _topic(category=child, author=member)
    _topic(category=elsewhere, author=member)
    expected = {in_parent.pk, in_child.pk}
    assert set(_ids(api.get(TOPICS, {"category": "kettles"}))) == expected
    assert set(_ids(api.get(TOPICS, {"category": str(parent.pk)}))) == expected
    assert _ids(api.get(TOPICS, {"category": "no-such-category"})) == []
    assert _ids(api.get(TOPICS, {"category": "99999"})) == []


def test_topic_list_filters_tag_kind_status_author_unanswered(api, category, member, other_member):
    question = _topic(category=category, author=member, kind="question", tags=["aurora"])
    answered = _topic(category=category, author=other_member, kind="question")
    PostFactory(topic=answered, author=member)
    discussion = _topic(category=category, author=other_member, kind="discussion")
    services.topic_close(actor=UserFactory(moderator=True), topic=discussion)

    assert _ids(api.get(TOPICS, {"tag": "aurora"})) == [question.pk]
    assert set(_ids(api.get(TOPICS, {"kind": "question"}))) == {question.pk, answered.pk}
    assert _ids(api.get(TOPICS, {"status": "closed"})) == [discussion.pk]
    assert _ids(api.get(TOPICS, {"author": member.username.upper()})) == [question.pk]
    assert _ids(api.get(TOPICS, {"unanswered": "true"})) == [question.pk]


def test_topic_list_search_matches_title_or_first_post(api, category, member):
    by_title = _topic(category=category, author=member, title="Descaling the Aurora")
    by_body = _topic(
        category=category, author=member, title="Strange noise", body="Needs descaling?"
    )
    other = _topic(category=category, author=member, title="Toaster crumbs tray")
    PostFactory(topic=other, author=member, body="descaling is in a reply only")
    assert set(_ids(api.get(TOPICS, {"search": "descaling"}))) == {by_title.pk, by_body.pk}
    assert set(_ids(api.get(TOPICS, {"search": "  "}))) == {by_title.pk, by_body.pk, other.pk}


def test_topic_list_bad_filters_are_a_400_naming_them(api):
    response = api.get(TOPICS, {"kind": "poem", "status": "sleepy", "ordering": "random"})
    assert response.status_code == 400
    assert set(response.json()) == {"kind", "status", "ordering"}
    assert response.json()["kind"][0]
    response = api.get(TOPICS, {"ordering": "random", "period": "decade"})
    assert response.status_code == 400
    assert set(response.json()) == {"ordering", "period"}


def test_topic_list_orderings(api, category, member):
    now = timezone.now()
    old_hot = _topic(category=category, author=member, created_at=now - timedelta(days=3))
    Topic.objects.filter(pk=old_hot.pk).update(
        score=1, hot=50.0, last_activity_at=now - timedelta(minutes=1)
    )
    top = _topic(category=category, author=member, created_at=now - timedelta(days=2))
    Topic.objects.filter(pk=top.pk).update(
        score=9, hot=10.0, last_activity_at=now - timedelta(days=2)
    )
    newest = _topic(category=category, author=member, created_at=now - timedelta(hours=1))
    Topic.objects.filter(pk=newest.pk).update(
        score=0, hot=1.0, last_activity_at=now - timedelta(hours=1)
    )
    assert _ids(api.get(TOPICS, {"ordering": "new"})) == [newest.pk, top.pk, old_hot.pk]
    assert _ids(api.get(TOPICS, {"ordering": "top"})) == [top.pk, old_hot.pk, newest.pk]
    assert _ids(api.get(TOPICS, {"ordering": "hot"})) == [old_hot.pk, top.pk, newest.pk]
    assert _ids(api.get(TOPICS)) == [old_hot.pk, newest.pk, top.pk]  # latest activity
    assert _ids(api.get(TOPICS, {"ordering": "top", "period": "day"})) == [newest.pk]


@pytest.mark.parametrize("ordering", ["latest", "new", "top", "hot"])
def test_topic_list_cursor_is_stable_while_new_topics_arrive(api, category, prolific, ordering):
    before = [_topic(category=category, author=prolific).pk for _ in range(7)]
    first = api.get(TOPICS, {"ordering": ordering, "page_size": 3})
    seen = _ids(first)
    assert len(seen) == 3
    # Newer topics arrive (same score, hotter, more recent) while the client pages on.
    arrived = [_topic(category=category, author=prolific).pk for _ in range(4)]
    seen += _walk(api, first.json()["next"])
    assert len(seen) == len(set(seen)), "a topic came twice"
    assert set(seen) == set(before), "a topic was skipped, or a new one slipped in"
    assert not set(arrived) & set(seen)


@pytest.mark.parametrize("listed", ["everywhere", "category"])
def test_latest_lists_pinned_topics_first_and_pages_through_them(api, category, prolific, listed):
    now = timezone.now()
    other = CategoryFactory(name="Teapots", slug="teapots")
    topics = []
    for age in range(6):
        topic = _topic(category=category, author=prolific)
        Topic.objects.filter(pk=topic.pk).update(last_activity_at=now - timedelta(hours=age))
        topics.append(topic.pk)
    pinned_everywhere = _topic(category=other, author=prolific).pk
    pinned_here = topics[4]
    Topic.objects.filter(pk=pinned_everywhere).update(
        pinned_globally=True, last_activity_at=now - timedelta(days=9)
    )
    Topic.objects.filter(pk=pinned_here).update(pinned=True)
    params = (
        {"page_size": 2} if listed == "everywhere" else {"page_size": 2, "category": category.slug}
    )
    first = api.get(TOPICS, params)
    seen = _ids(first)
    _topic(category=category, author=prolific)  # a newer topic meanwhile
    seen += _walk(api, first.json()["next"])
    if listed == "everywhere":
        # Pinned in a category is not pinned on the list of every category (as on the web).
        assert seen == [pinned_everywhere, *topics]
    else:
        assert seen == [pinned_here, *[pk for pk in topics if pk != pinned_here]]


def test_topic_list_previous_link_goes_back(api, category, prolific):
    created = [_topic(category=category, author=prolific).pk for _ in range(5)]
    first = api.get(TOPICS, {"ordering": "new", "page_size": 2})
    second = api.get(first.json()["next"])
    back = api.get(second.json()["previous"])
    assert _ids(back) == _ids(first) == created[::-1][:2]
    assert first.json()["previous"] is None


def test_topic_list_bad_cursor_is_a_400_not_a_500(api, category, member):
    for _ in range(2):
        _topic(category=category, author=member)
    response = api.get(TOPICS, {"cursor": "not-a-cursor"})
    assert response.status_code == 400 and set(response.json()) == {"cursor"}
    # A cursor of another ordering does not fit this one.
    latest = api.get(TOPICS, {"ordering": "top", "page_size": 1}).json()["next"]
    response = api.get(latest.replace("ordering=top", "ordering=hot"))
    assert response.status_code == 400 and set(response.json()) == {"cursor"}


@pytest.mark.parametrize("count", [3, 50])
def test_topic_list_query_budget(api_as, category, django_assert_max_num_queries, count):
    reader = UserFactory()
    authors = [UserFactory(trust_level=4) for _ in range(3)]
    for index in range(count):
        topic = _topic(
            category=category, author=authors[index % 3], tags=[f"tag{index % 4}", "aurora"]
        )
        services.topic_read(actor=reader, topic=topic, last_number=1)
    client = api_as(reader)
    # Token and its last use (2), the caller's permissions for the throttle (2), the category
    # and its subcategories (2), the page (1), the tags (1).
    with django_assert_max_num_queries(8):
        response = client.get(TOPICS, {"page_size": 50, "category": category.slug})
    assert len(response.json()["results"]) == count
    assert response.json()["results"][0]["last_read_number"] == 1


def test_held_topic_is_404_to_others_and_listed_for_nobody_but_seen_by_author_and_moderators(
    api, api_as, topic, member, other_member, moderator
):
    services.post_hold(actor=None, post=topic.posts.get(number=1), reason="Spam check")
    url = f"{TOPICS}{topic.pk}/"
    assert api.get(url).status_code == 404
    assert api_as(other_member).get(url).status_code == 404
    assert _ids(api.get(TOPICS)) == []
    own = api_as(member).get(url)
    assert own.status_code == 200 and own.json()["state"] == "held"
    assert own.json()["first_post"]["state_reason"] == "Spam check"
    seen = api_as(moderator).get(url)
    assert seen.status_code == 200 and seen.json()["state"] == "held"


# --- Topic detail ----------------------------------------------------------------------------


def test_topic_detail_has_the_first_post_and_my_vote(api_as, topic, other_member):
    first = topic.posts.get(number=1)
    services.vote_cast(actor=other_member, post=first, value=1)
    response = api_as(other_member).get(f"{TOPICS}{topic.pk}/")
    assert response.status_code == 200
    body = response.json()
    assert body["first_post"]["id"] == first.pk
    assert body["first_post"]["my_vote"] == 1
    assert body["first_post"]["body_html"] == first.body_html
    assert body["follow_level"] is None


def test_topic_detail_unknown_is_404(api):
    assert api.get(f"{TOPICS}999999/").status_code == 404


# --- Create ----------------------------------------------------------------------------------


def test_member_creates_a_topic(member_api, member, category):
    response = member_api.post(
        TOPICS,
        {
            "category": category.slug,
            "title": "Aurora whistles when it boils",
            "body": "Is **that** normal?",
            "kind": "question",
            "tags": ["Aurora", "noise", "aurora"],
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    topic = Topic.objects.get(pk=body["id"])
    assert topic.author == member and topic.kind == "question"
    assert body["tags"] == ["aurora", "noise"]
    assert body["first_post"]["body_html"].strip() == "<p>Is <strong>that</strong> normal?</p>"
    assert body["follow_level"] == 3
    assert response["Location"].endswith(f"/api/v1/topics/{topic.pk}/")


def test_topic_create_accepts_a_category_id_and_defaults_the_kind(member_api, category):
    response = member_api.post(
        TOPICS,
        {"category": str(category.pk), "title": "Aurora whistles loudly", "body": "Hello"},
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["kind"] == category.default_topic_kind


def test_topic_create_errors_name_the_fields_and_save_nothing(member_api, category):
    response = member_api.post(TOPICS, {"category": category.slug}, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"title", "body"}
    response = member_api.post(
        TOPICS, {"category": category.slug, "title": "short", "body": "x"}, format="json"
    )
    assert response.status_code == 400
    assert set(response.json()) == {"title"}
    response = member_api.post(
        TOPICS,
        {"category": "nope", "title": "A long enough title", "body": "x", "kind": "poem"},
        format="json",
    )
    assert response.status_code == 400
    assert set(response.json()) == {"kind"}  # the shape is checked before the category
    response = member_api.post(
        TOPICS, {"category": "nope", "title": "A long enough title", "body": "x"}, format="json"
    )
    assert response.status_code == 400 and set(response.json()) == {"category"}
    response = member_api.post(
        TOPICS,
        {"category": category.slug, "title": "A long enough title", "body": "x", "tags": "a"},
        format="json",
    )
    assert response.status_code == 400 and set(response.json()) == {"tags"}
    assert not Topic.objects.exists()


def test_topic_create_anonymous_is_401(api, category):
    response = api.post(
        TOPICS, {"category": category.slug, "title": "A long title", "body": "x"}, format="json"
    )
    assert response.status_code == 401


def test_topic_create_below_the_categorys_trust_level_is_403(api_as, newcomer):
    gated = CategoryFactory(min_trust_to_start=2)
    response = api_as(newcomer).post(
        TOPICS, {"category": gated.slug, "title": "A long enough title", "body": "x"}, format="json"
    )
    assert response.status_code == 403
    assert "trust level" in response.json()["detail"]
    assert not Topic.objects.exists()


def test_topic_create_while_silenced_is_403(api_as, member, moderator, category):
    _silence(moderator, member)
    response = api_as(member).post(
        TOPICS,
        {"category": category.slug, "title": "A long enough title", "body": "x"},
        format="json",
    )
    assert response.status_code == 403
    assert "silenced" in response.json()["detail"]


def test_topic_create_past_the_daily_limit_is_429_with_retry_after(member_api, category, settings):
    settings.COMMUNITY_DAILY_LIMITS = {**settings.COMMUNITY_DAILY_LIMITS, "topics": {1: 1}}
    payload = {"category": category.slug, "title": "A long enough title", "body": "x"}
    assert member_api.post(TOPICS, payload, format="json").status_code == 201
    response = member_api.post(TOPICS, payload, format="json")
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 24 * 3600
    assert response.json()["retry_after"] > 0
    assert Topic.objects.count() == 1


def test_topic_of_a_newcomer_in_a_pre_moderated_category_comes_back_held(api_as, newcomer):
    category = CategoryFactory(pre_moderated=True)
    response = api_as(newcomer).post(
        TOPICS,
        {"category": category.slug, "title": "A long enough title", "body": "x"},
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["state"] == "held"


# --- Change ----------------------------------------------------------------------------------


def test_author_retitles_and_edits_their_topic(member_api, topic):
    response = member_api.patch(
        f"{TOPICS}{topic.pk}/",
        {"title": "A better and clearer title", "body": "New text", "note": "clearer"},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["title"] == "A better and clearer title"
    assert response.json()["first_post"]["body"] == "New text"
    revision = PostRevision.objects.get()
    assert revision.note == "clearer" and revision.title != "A better and clearer title"


def test_topic_change_errors_are_400_with_field_names(member_api, topic):
    response = member_api.patch(f"{TOPICS}{topic.pk}/", {"title": "short"}, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {"title"}
    response = member_api.patch(f"{TOPICS}{topic.pk}/", {"locked": "perhaps"}, format="json")
    assert response.status_code == 400 and set(response.json()) == {"locked"}


def test_member_may_not_change_anothers_topic(api_as, topic, other_member):
    title = topic.title
    response = api_as(other_member).patch(
        f"{TOPICS}{topic.pk}/", {"title": "Someone else's title here"}, format="json"
    )
    assert response.status_code == 403
    topic.refresh_from_db()
    assert topic.title == title


def test_topic_change_is_all_or_nothing(member_api, topic):
    """The author may retitle but not lock: the whole request is refused, the title kept."""
    title = topic.title
    response = member_api.patch(
        f"{TOPICS}{topic.pk}/", {"title": "A brand new title", "locked": True}, format="json"
    )
    assert response.status_code == 403
    topic.refresh_from_db()
    assert topic.title == title and not topic.locked
    assert not PostRevision.objects.exists()


def test_moderator_locks_pins_and_moves_a_topic(moderator_api, topic):
    other = CategoryFactory(slug="elsewhere")
    response = moderator_api.patch(
        f"{TOPICS}{topic.pk}/",
        {"locked": True, "pinned": True, "category": "elsewhere"},
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["locked"] and body["pinned"] and body["category"]["id"] == other.pk
    response = moderator_api.patch(f"{TOPICS}{topic.pk}/", {"locked": False}, format="json")
    assert response.json()["locked"] is False


@pytest.mark.parametrize(
    ("before", "change", "after"),
    [
        ((False, False), {"pinned": True, "pinned_globally": False}, (True, False)),
        ((True, True), {"pinned": False}, (False, True)),
        ((True, True), {"pinned_globally": False}, (True, False)),
        ((True, False), {"pinned_globally": True}, (True, True)),
        ((True, True), {"pinned": False, "pinned_globally": False}, (False, False)),
    ],
)
def test_moderator_pins_in_the_category_and_everywhere_independently(
    moderator_api, moderator, topic, before, change, after
):
    if before[1]:
        services.topic_pin(actor=moderator, topic=topic, globally=True)
    if before[0]:
        services.topic_pin(actor=moderator, topic=topic, globally=False)
    response = moderator_api.patch(f"{TOPICS}{topic.pk}/", change, format="json")
    assert response.status_code == 200, response.content
    assert (response.json()["pinned"], response.json()["pinned_globally"]) == after


def test_category_moderator_pins_locally_but_not_everywhere(api_as, moderator, topic, category):
    category_moderator = UserFactory()
    category.moderators.add(category_moderator)
    services.topic_pin(actor=moderator, topic=topic, globally=True)
    client = api_as(category_moderator)
    response = client.patch(f"{TOPICS}{topic.pk}/", {"pinned": True}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["pinned"] and response.json()["pinned_globally"]
    response = client.patch(f"{TOPICS}{topic.pk}/", {"pinned_globally": False}, format="json")
    assert response.status_code == 403
    topic.refresh_from_db()
    assert topic.pinned and topic.pinned_globally


def test_member_may_not_pin_or_unpin_even_when_nothing_would_change(member_api, topic):
    for change in ({"pinned": True}, {"pinned": False}, {"locked": False}):
        response = member_api.patch(f"{TOPICS}{topic.pk}/", change, format="json")
        assert response.status_code == 403, change


def test_topic_change_anonymous_is_401(api, topic):
    assert api.patch(f"{TOPICS}{topic.pk}/", {"locked": True}, format="json").status_code == 401
    assert api.delete(f"{TOPICS}{topic.pk}/").status_code == 401


# --- Delete ----------------------------------------------------------------------------------


def test_author_deletes_their_topic_which_then_is_404_but_moderators_see_it(
    api_as, topic, member, other_member, moderator
):
    url = f"{TOPICS}{topic.pk}/"
    assert api_as(member).delete(url).status_code == 204
    assert Post.objects.get(topic=topic, number=1).state == ContentState.DELETED
    assert api_as(other_member).get(url).status_code == 404
    seen = api_as(moderator).get(url)
    assert seen.status_code == 200 and seen.json()["state"] == "deleted"


def test_member_may_not_delete_anothers_topic(api_as, topic, other_member):
    assert api_as(other_member).delete(f"{TOPICS}{topic.pk}/").status_code == 403
    topic.refresh_from_db()
    assert topic.state == ContentState.VISIBLE
