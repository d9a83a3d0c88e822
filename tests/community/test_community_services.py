"""community.services: topics, replies, edits, states, answers, moderation of topics, following,
reading, view counts and daily limits. Services are called directly, as views and the API do."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import override_settings
from django.utils import timezone

from accounts.models import User, UserStats
from community import events, services
from community.models import (
    Category,
    ContentState,
    NotificationLevel,
    Post,
    PostRevision,
    ReadPosition,
    Tag,
    Topic,
    TopicKind,
    TopicSubscription,
)
from tests.community.fixtures_domain import *  # noqa: F403
from tests.factories import CategoryFactory, TopicFactory, UserFactory

pytestmark = pytest.mark.django_db


def stats(user) -> UserStats:
    return UserStats.objects.get(user=user)


# --- topic_create --------------------------------------------------------------------------


def test_topic_create_makes_first_post_counts_and_watches(category, member):
    topic = services.topic_create(
        actor=member,
        category=category,
        title="  My Aurora   kettle whistles  ",
        body="It **whistles** at 90°C.",
        tags=["Aurora", "noise", "aurora", "Descaling Tips"],
    )

    post = topic.posts.get()
    assert (post.number, post.author, post.author_name) == (1, member, member.username)
    assert "<strong>whistles</strong>" in post.body_html
    assert topic.title == "My Aurora kettle whistles"
    assert topic.slug == "my-aurora-kettle-whistles"
    assert topic.kind == category.default_topic_kind == TopicKind.DISCUSSION
    assert (topic.highest_post_number, topic.reply_count, topic.state) == (1, 0, "visible")
    assert sorted(topic.tags.values_list("slug", flat=True)) == [
        "aurora",
        "descaling-tips",
        "noise",
    ]
    assert set(Tag.objects.values_list("topic_count", flat=True)) == {1}
    category.refresh_from_db()
    assert (category.topic_count, category.post_count) == (1, 1)
    assert category.last_activity_at is not None
    assert (stats(member).topics_created, stats(member).posts_created) == (1, 1)
    subscription = TopicSubscription.objects.get(user=member, topic=topic)
    assert subscription.level == NotificationLevel.WATCHING


def test_topic_create_announces_events_with_ids(category, member, captured_events):
    mentioned = UserFactory(username="alice")
    topic = services.topic_create(
        actor=member,
        category=category,
        title="Question for Alice about tea",
        body="Hello @alice and @nobody, what about `@code`?",
    )
    post = topic.posts.get()

    assert captured_events["content_submitted"][0]["post"] == post
    assert captured_events["topic_created"] == [
        {
            "topic_id": topic.pk,
            "actor_id": member.pk,
            "category_id": category.pk,
            "post_id": post.pk,
            "kind": "discussion",
            "state": "visible",
        }
    ]
    assert captured_events["post_created"][0] == {
        "post_id": post.pk,
        "topic_id": topic.pk,
        "actor_id": member.pk,
        "reply_to_post_id": None,
        "is_first": True,
        "state": "visible",
    }
    assert captured_events["members_mentioned"] == [
        {
            "post_id": post.pk,
            "actor_id": member.pk,
            "usernames": ["alice"],
            "user_ids": [mentioned.pk],
        }
    ]
    assert 'class="mention"' in post.body_html


def test_reply_quoting_a_post_announces_the_quote(topic, other_member, captured_events):
    first = topic.posts.get()
    reply = services.post_create(
        actor=other_member,
        topic=topic,
        body=f'[quote="{first.author_name}" post={first.pk}]\nIt whistles\n[/quote]\n\nMine too.',
        reply_to=first,
    )
    assert captured_events["post_quoted"] == [
        {"post_id": reply.pk, "actor_id": other_member.pk, "quoted_post_ids": [first.pk]}
    ]
    assert captured_events["post_created"][-1]["reply_to_post_id"] == first.pk
    assert 'class="quote"' in reply.body_html


def test_mentioning_oneself_announces_nobody(category, member, captured_events):
    services.topic_create(
        actor=member, category=category, title="Talking to myself", body=f"@{member.username}"
    )
    assert captured_events["members_mentioned"] == []


@pytest.mark.parametrize(
    ("title", "body", "field"),
    [
        ("short", "A fine body.", "title"),
        ("x" * 201, "A fine body.", "title"),
        ("A perfectly fine title", "   \n  ", "body"),
        ("A perfectly fine title", "x" * 50_001, "body"),
    ],
)
def test_topic_create_refuses_out_of_bounds_and_saves_nothing(category, member, title, body, field):
    with pytest.raises(ValidationError) as error:
        services.topic_create(actor=member, category=category, title=title, body=body)
    assert field in error.value.message_dict
    assert not Topic.objects.exists()
    assert not Post.objects.exists()
    category.refresh_from_db()
    assert category.topic_count == 0


def test_topic_create_refuses_too_many_or_too_long_tags(category, member):
    with pytest.raises(ValidationError) as error:
        services.topic_create(
            actor=member,
            category=category,
            title="Too many tags here",
            body="Body",
            tags=["a", "b", "c", "d", "e", "f"],
        )
    assert "tags" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        services.topic_create(
            actor=member, category=category, title="Tag far too long", body="Body", tags=["x" * 31]
        )
    assert "tags" in error.value.message_dict
    assert not Tag.objects.exists()


def test_topic_create_refuses_unknown_kind(category, member):
    with pytest.raises(ValidationError) as error:
        services.topic_create(
            actor=member, category=category, title="A poll maybe?", body="Body", kind="poll"
        )
    assert "kind" in error.value.message_dict


def test_topic_create_drops_nul_characters(category, member):
    topic = services.topic_create(
        actor=member, category=category, title="Nul\x00 in the title", body="Body\x00 text"
    )
    assert topic.title == "Nul in the title"
    assert topic.posts.get().body == "Body text"


def test_category_below_trust_level_is_refused(newcomer):
    category = CategoryFactory(min_trust_to_start=2)
    with pytest.raises(PermissionDenied, match="trust level"):
        services.topic_create(actor=newcomer, category=category, title="Let me in!", body="Hi")
    assert not Topic.objects.exists()


def test_read_only_category_refuses_members_and_accepts_staff(member, brand_staff):
    announcements = CategoryFactory(name="Announcements", read_only=True)
    with pytest.raises(PermissionDenied, match="staff"):
        services.topic_create(
            actor=member, category=announcements, title="My announcement", body="Hi"
        )
    topic = services.topic_create(
        actor=brand_staff, category=announcements, title="New Aurora firmware", body="Out now."
    )
    assert topic.pk


def test_anonymous_cannot_start_a_topic(category):
    from django.contrib.auth.models import AnonymousUser

    with pytest.raises(PermissionDenied):
        services.topic_create(
            actor=AnonymousUser(), category=category, title="Anonymous post", body="Hi"
        )


def test_idea_category_defaults_topics_to_ideas(member):
    ideas = CategoryFactory(default_topic_kind=TopicKind.IDEA)
    topic = services.topic_create(actor=member, category=ideas, title="A kettle app", body="Hi")
    assert topic.kind == TopicKind.IDEA


def test_official_answer_needs_brand_staff(topic, member, brand_staff):
    with pytest.raises(PermissionDenied):
        services.post_create(actor=member, topic=topic, body="Official!", official=True)
    post = services.post_create(actor=brand_staff, topic=topic, body="Official!", official=True)
    assert post.is_official


# --- content_submitted: the moderation hook --------------------------------------------------


def test_content_submitted_receiver_can_refuse_and_nothing_is_saved(category, member):
    def block(sender, post, actor, **kwargs):
        assert Post.objects.filter(pk=post.pk).exists()  # sent after the row exists
        if "casino" in post.body:
            raise ValidationError({"body": "Watched word."})

    events.content_submitted.connect(block, weak=False)
    try:
        with pytest.raises(ValidationError):
            services.topic_create(
                actor=member, category=category, title="Great offer", body="Cheap casino!"
            )
    finally:
        events.content_submitted.disconnect(block)
    assert not Topic.objects.exists()
    category.refresh_from_db()
    assert (category.topic_count, category.post_count) == (0, 0)
    assert stats(member).topics_created == 0


def test_content_submitted_receiver_can_hold_a_reply(topic, other_member, captured_events):
    def hold(sender, post, actor, **kwargs):
        services.post_hold(actor=None, post=post, reason="Watched word: review")

    events.content_submitted.connect(hold, weak=False)
    try:
        reply = services.post_create(actor=other_member, topic=topic, body="Check my link")
    finally:
        events.content_submitted.disconnect(hold)
    assert reply.state == ContentState.HELD
    assert reply.state_changed_by_name == "system"
    topic.refresh_from_db()
    assert topic.reply_count == 0
    assert topic.highest_post_number == 2
    assert topic.last_poster_name == topic.author_name  # a held post does not bump the topic
    assert topic.category.__class__.objects.get(pk=topic.category_id).post_count == 1
    assert captured_events["post_created"][-1]["state"] == "held"


def test_pre_moderated_category_holds_new_members_posts(newcomer, member):
    category = CategoryFactory(pre_moderated=True)
    held = services.topic_create(actor=newcomer, category=category, title="Hello all!", body="Hi")
    assert held.state == ContentState.HELD
    assert held.posts.get().state == ContentState.HELD
    shown = services.topic_create(actor=member, category=category, title="Hello too!", body="Hi")
    assert shown.state == ContentState.VISIBLE
    category.refresh_from_db()
    assert (category.topic_count, category.post_count) == (1, 1)
    assert Tag.objects.count() == 0


# --- post_create ---------------------------------------------------------------------------


def test_replies_are_numbered_and_counted(topic, other_member, member):
    first = services.post_create(actor=other_member, topic=topic, body="First reply")
    second = services.post_create(actor=member, topic=topic, body="Second reply", reply_to=first)

    assert (first.number, second.number) == (2, 3)
    assert second.reply_to == first
    topic.refresh_from_db()
    assert (topic.reply_count, topic.highest_post_number) == (2, 3)
    assert topic.last_poster_name == member.username
    category = Category.objects.get(pk=topic.category_id)
    assert (category.topic_count, category.post_count) == (1, 3)
    assert TopicSubscription.objects.get(user=other_member, topic=topic).level == (
        NotificationLevel.TRACKING
    )
    # The creator keeps watching: replying does not lower the level.
    assert TopicSubscription.objects.get(user=member, topic=topic).level == (
        NotificationLevel.WATCHING
    )


def test_reply_to_a_post_of_another_topic_is_refused(topic, other_member):
    elsewhere = TopicFactory()
    with pytest.raises(ValidationError) as error:
        services.post_create(
            actor=other_member, topic=topic, body="Hm", reply_to=elsewhere.posts.get()
        )
    assert "reply_to" in error.value.message_dict


def test_locked_topic_refuses_replies_except_from_moderators(topic, other_member, moderator):
    services.topic_lock(actor=moderator, topic=topic)
    with pytest.raises(PermissionDenied, match="locked"):
        services.post_create(actor=other_member, topic=topic, body="Let me reply")
    assert services.post_create(actor=moderator, topic=topic, body="Moderator note").number == 2


def test_closed_topic_refuses_replies(topic, other_member, moderator):
    services.topic_close(actor=moderator, topic=topic)
    with pytest.raises(PermissionDenied, match="closed"):
        services.post_create(actor=other_member, topic=topic, body="Let me reply")
    services.topic_reopen(actor=moderator, topic=topic)
    assert services.post_create(actor=other_member, topic=topic, body="Thanks").number == 2


def test_reply_trust_level_is_enforced(newcomer):
    topic = TopicFactory(category=CategoryFactory(min_trust_to_reply=1))
    with pytest.raises(PermissionDenied, match="trust level"):
        services.post_create(actor=newcomer, topic=topic, body="Me too")


# --- post_edit -----------------------------------------------------------------------------


def test_edit_keeps_a_revision_with_the_old_text(topic, member, captured_events):
    post = topic.posts.get()
    old_body = post.body
    edited = services.post_edit(
        actor=member, post=post, body="Now it **sings**.", note="more precise"
    )

    assert edited.body == "Now it **sings**."
    assert "<strong>sings</strong>" in edited.body_html
    assert edited.edit_count == 1
    assert edited.edited_at is not None
    revision = PostRevision.objects.get(post=post)
    assert (revision.number, revision.body, revision.note) == (1, old_body, "more precise")
    assert revision.title == topic.title
    assert revision.edited_by_name == member.username
    assert captured_events["post_edited"] == [
        {"post_id": post.pk, "actor_id": member.pk, "was_hidden": False, "title_changed": False}
    ]
    assert captured_events["content_submitted"][-1]["is_edit"] is True

    services.post_edit(actor=member, post=edited, body="Third version")
    assert list(post.revisions.values_list("number", "body")) == [
        (1, old_body),
        (2, "Now it **sings**."),
    ]


def test_edit_that_changes_nothing_stores_nothing(topic, member):
    post = topic.posts.get()
    services.post_edit(actor=member, post=post, body=post.body)
    assert not PostRevision.objects.exists()


def test_title_is_edited_on_the_first_post_only(topic, member, other_member):
    first = topic.posts.get()
    services.post_edit(actor=member, post=first, body=first.body, title="A better title now")
    topic.refresh_from_db()
    assert (topic.title, topic.slug) == ("A better title now", "a-better-title-now")

    reply = services.post_create(actor=other_member, topic=topic, body="A reply")
    with pytest.raises(ValidationError) as error:
        services.post_edit(actor=other_member, post=reply, body="x", title="Not allowed here")
    assert "title" in error.value.message_dict


def test_edit_refused_to_others_and_after_the_window(topic, member, other_member, moderator):
    post = topic.posts.get()
    with pytest.raises(PermissionDenied):
        services.post_edit(actor=other_member, post=post, body="Vandalism")
    Post.objects.filter(pk=post.pk).update(created_at=timezone.now() - timedelta(days=2))
    with pytest.raises(PermissionDenied):
        services.post_edit(actor=member, post=post, body="Too late")
    assert services.post_edit(actor=moderator, post=post, body="Fixed a typo").edit_count == 1


def test_edit_mentions_only_newly_mentioned_members(topic, member, captured_events):
    UserFactory(username="bob")
    UserFactory(username="carol")
    post = topic.posts.get()
    services.post_edit(actor=member, post=post, body="Ping @bob")
    services.post_edit(actor=member, post=post, body="Ping @bob and @carol")
    assert [event["usernames"] for event in captured_events["members_mentioned"]] == [
        ["bob"],
        ["carol"],
    ]


def test_editing_a_hidden_post_tells_it_was_hidden(topic, member, moderator, captured_events):
    post = services.post_hide(actor=moderator, post=topic.posts.get(), reason="rude")
    services.post_edit(actor=member, post=post, body="Sorry, rephrased politely.")
    assert captured_events["post_edited"][-1]["was_hidden"] is True


# --- states --------------------------------------------------------------------------------


def test_hiding_a_reply_updates_counters_and_unhiding_restores_them(
    topic, other_member, moderator, captured_events
):
    reply = services.post_create(actor=other_member, topic=topic, body="Rude reply")
    hidden = services.post_hide(actor=moderator, post=reply, reason="Rude")
    assert hidden.state == ContentState.HIDDEN
    assert (hidden.state_changed_by, hidden.state_reason) == (moderator, "Rude")
    topic.refresh_from_db()
    assert topic.reply_count == 0
    assert Category.objects.get(pk=topic.category_id).post_count == 1
    assert captured_events["post_state_changed"][-1]["new_state"] == "hidden"

    services.post_unhide(actor=moderator, post=reply)
    topic.refresh_from_db()
    assert topic.reply_count == 1
    assert Category.objects.get(pk=topic.category_id).post_count == 2


def test_members_cannot_moderate_posts(topic, other_member):
    with pytest.raises(PermissionDenied):
        services.post_hide(actor=other_member, post=topic.posts.get(), reason="I disagree")


def test_category_moderator_moderates_own_category_only(topic, member):
    keeper = UserFactory()
    topic.category.moderators.add(keeper)
    services.post_hide(actor=keeper, post=topic.posts.get(), reason="spam")
    elsewhere = TopicFactory()
    with pytest.raises(PermissionDenied):
        services.post_hide(actor=keeper, post=elsewhere.posts.get())


def test_hiding_the_first_post_hides_the_topic_and_its_counts(topic, other_member, moderator):
    services.post_create(actor=other_member, topic=topic, body="A reply")
    tag_topic = TopicFactory(category=topic.category, tags=["aurora"])
    services.post_hide(actor=moderator, post=tag_topic.posts.get(), reason="spam")
    tag_topic.refresh_from_db()
    assert tag_topic.state == ContentState.HIDDEN
    assert Tag.objects.get(slug="aurora").topic_count == 0
    category = Category.objects.get(pk=topic.category_id)
    assert (category.topic_count, category.post_count) == (1, 2)

    services.post_unhide(actor=moderator, post=tag_topic.posts.get())
    assert Tag.objects.get(slug="aurora").topic_count == 1
    category.refresh_from_db()
    assert (category.topic_count, category.post_count) == (2, 3)


def test_deleting_the_first_post_deletes_the_topic(topic, member, other_member):
    services.post_create(actor=other_member, topic=topic, body="A reply")
    services.post_delete(actor=member, post=topic.posts.get(number=1))
    topic.refresh_from_db()
    assert topic.state == ContentState.DELETED
    category = Category.objects.get(pk=topic.category_id)
    assert (category.topic_count, category.post_count) == (0, 0)


def test_author_deletes_own_reply_but_not_others(topic, member, other_member):
    reply = services.post_create(actor=other_member, topic=topic, body="A reply")
    with pytest.raises(PermissionDenied):
        services.post_delete(actor=member, post=reply)
    deleted = services.post_delete(actor=other_member, post=reply)
    assert deleted.state == ContentState.DELETED
    assert deleted.state_changed_by == other_member
    topic.refresh_from_db()
    assert topic.reply_count == 0


def test_held_post_approved_becomes_visible(topic, other_member, moderator):
    reply = services.post_create(actor=other_member, topic=topic, body="A reply")
    services.post_hold(actor=None, post=reply, reason="automatic")
    with pytest.raises(ValidationError):
        services.post_unhide(actor=moderator, post=reply)  # held, not hidden
    approved = services.post_approve(actor=moderator, post=reply)
    assert approved.state == ContentState.VISIBLE
    topic.refresh_from_db()
    assert topic.reply_count == 1


def test_repeating_a_state_change_is_a_no_op(topic, moderator, captured_events):
    post = topic.posts.get()
    services.post_remove(actor=moderator, post=post, reason="off-topic")
    services.post_remove(actor=moderator, post=post, reason="off-topic")
    assert len(captured_events["post_state_changed"]) == 1


# --- answers -------------------------------------------------------------------------------


def test_accepting_an_answer_rewards_its_author_and_replaces_the_previous(member, settings):
    question = TopicFactory(author=member, kind=TopicKind.QUESTION)
    helper, other_helper = UserFactory(), UserFactory()
    first = services.post_create(actor=helper, topic=question, body="Descale it.")
    second = services.post_create(actor=other_helper, topic=question, body="Use vinegar.")

    services.answer_accept(actor=member, topic=question, post=first)
    question.refresh_from_db()
    assert question.accepted_answer == first
    assert User.objects.get(pk=helper.pk).reputation == 15

    services.answer_accept(actor=member, topic=question, post=second)
    assert User.objects.get(pk=helper.pk).reputation == 0
    assert User.objects.get(pk=other_helper.pk).reputation == 15

    services.answer_unaccept(actor=member, topic=question)
    question.refresh_from_db()
    assert question.accepted_answer is None
    assert User.objects.get(pk=other_helper.pk).reputation == 0


def test_only_the_asker_or_staff_accepts_and_only_on_questions(member, other_member, brand_staff):
    question = TopicFactory(author=member, kind=TopicKind.QUESTION)
    answer = services.post_create(actor=other_member, topic=question, body="Answer")
    with pytest.raises(PermissionDenied):
        services.answer_accept(actor=other_member, topic=question, post=answer)
    services.answer_accept(actor=brand_staff, topic=question, post=answer)

    discussion = TopicFactory(author=member)
    reply = services.post_create(actor=other_member, topic=discussion, body="Reply")
    with pytest.raises(PermissionDenied):
        services.answer_accept(actor=member, topic=discussion, post=reply)
    with pytest.raises(ValidationError):
        services.answer_accept(actor=member, topic=question, post=question.posts.get(number=1))


def test_accepting_ones_own_answer_earns_nothing(member):
    question = TopicFactory(author=member, kind=TopicKind.QUESTION)
    own = services.post_create(actor=member, topic=question, body="Found it myself.")
    services.answer_accept(actor=member, topic=question, post=own)
    assert User.objects.get(pk=member.pk).reputation == 0


# --- topic moderation ------------------------------------------------------------------------


def test_topic_move_moves_the_counters(topic, other_member, moderator, captured_events):
    services.post_create(actor=other_member, topic=topic, body="A reply")
    destination = CategoryFactory()
    source = topic.category
    moved = services.topic_move(actor=moderator, topic=topic, category=destination)

    assert moved.category == destination
    assert moved.moved_by_name == moderator.username
    source.refresh_from_db()
    destination.refresh_from_db()
    assert (source.topic_count, source.post_count) == (0, 0)
    assert (destination.topic_count, destination.post_count) == (1, 2)
    assert captured_events["topic_moved"][0]["from_category_id"] == source.pk


def test_topic_move_needs_both_categories(topic):
    keeper = UserFactory()
    topic.category.moderators.add(keeper)
    with pytest.raises(PermissionDenied):
        services.topic_move(actor=keeper, topic=topic, category=CategoryFactory())


def test_pinning_everywhere_is_for_global_moderators(topic):
    keeper = UserFactory()
    topic.category.moderators.add(keeper)
    assert services.topic_pin(actor=keeper, topic=topic).pinned
    with pytest.raises(PermissionDenied):
        services.topic_pin(actor=keeper, topic=topic, globally=True)
    assert not services.topic_unpin(actor=keeper, topic=topic).pinned


def test_members_cannot_lock(topic, member):
    with pytest.raises(PermissionDenied):
        services.topic_lock(actor=member, topic=topic)


# --- following -----------------------------------------------------------------------------


def test_subscriptions_are_upserted(topic, other_member, category):
    services.topic_subscribe(actor=other_member, topic=topic, level=NotificationLevel.WATCHING)
    services.topic_subscribe(actor=other_member, topic=topic, level=NotificationLevel.MUTED)
    assert TopicSubscription.objects.get(user=other_member, topic=topic).level == 0
    services.category_subscribe(actor=other_member, category=category, level=3)
    subscription = services.category_subscribe(actor=other_member, category=category, level=1)
    assert subscription.level == 1
    with pytest.raises(ValidationError):
        services.category_subscribe(actor=other_member, category=category, level=9)


# --- reading -------------------------------------------------------------------------------


def test_read_position_only_moves_forward_and_counts_stats(topic, other_member, member):
    for _ in range(4):
        services.post_create(actor=member, topic=topic, body="More")
    topic.refresh_from_db()  # five posts

    services.topic_read(actor=other_member, topic=topic, last_number=2)
    services.topic_read(actor=other_member, topic=topic, last_number=1)  # scrolled back
    assert ReadPosition.objects.get(user=other_member, topic=topic).last_read_number == 2
    services.topic_read(actor=other_member, topic=topic, last_number=99)  # capped
    assert ReadPosition.objects.get(user=other_member, topic=topic).last_read_number == 5

    figures = stats(other_member)
    assert (figures.topics_entered, figures.posts_read) == (1, 5)


def test_read_position_ignores_anonymous_and_bad_numbers(topic, other_member):
    from django.contrib.auth.models import AnonymousUser

    assert services.topic_read(actor=AnonymousUser(), topic=topic, last_number=1) is None
    with pytest.raises(ValidationError):
        services.topic_read(actor=other_member, topic=topic, last_number="abc")
    assert services.topic_read(actor=other_member, topic=topic, last_number=-3) is None


# --- view counts ---------------------------------------------------------------------------


@override_settings(COMMUNITY_VIEW_COUNTS_BUFFERED=False)
def test_views_are_written_through_without_a_beat(topic):
    services.topic_view_record(topic_id=topic.pk)
    services.topic_view_record(topic_id=topic.pk)
    topic.refresh_from_db()
    assert topic.view_count == 2


@override_settings(COMMUNITY_VIEW_COUNTS_BUFFERED=True)
def test_buffered_views_reach_the_database_on_flush(topic, django_assert_num_queries):
    other = TopicFactory()
    with django_assert_num_queries(0):
        for _ in range(3):
            services.topic_view_record(topic_id=topic.pk)
        services.topic_view_record(topic_id=other.pk)
    topic.refresh_from_db()
    assert topic.view_count == 0

    from community.tasks import topic_views_flush

    assert topic_views_flush.delay().get() == 4
    topic.refresh_from_db()
    other.refresh_from_db()
    assert (topic.view_count, other.view_count) == (3, 1)

    assert services.topic_views_flush() == 0  # nothing new: nothing written twice
    services.topic_view_record(topic_id=topic.pk)
    assert services.topic_views_flush() == 1
    topic.refresh_from_db()
    assert topic.view_count == 4


@override_settings(COMMUNITY_VIEW_COUNTS_BUFFERED=True)
def test_a_broken_cache_loses_the_view_not_the_page(topic, monkeypatch):
    from django.core.cache import cache

    def broken(*args, **kwargs):
        raise ConnectionError("cache down")

    monkeypatch.setattr(cache, "incr", broken)
    monkeypatch.setattr(cache, "add", broken)
    services.topic_view_record(topic_id=topic.pk)  # does not raise


# --- daily limits --------------------------------------------------------------------------


def test_daily_topic_limit_by_trust_level(newcomer, category):
    for number in range(3):
        services.topic_create(
            actor=newcomer, category=category, title=f"Topic number {number}", body="Hi"
        )
    with pytest.raises(services.RateLimited) as error:
        services.topic_create(actor=newcomer, category=category, title="One too many", body="Hi")
    assert error.value.action == "topics"
    assert error.value.limit == 3
    assert 0 < error.value.retry_after <= 24 * 3600
    assert isinstance(error.value, ValidationError)

    # Topics older than 24 hours no longer count.
    Topic.objects.filter(author=newcomer).update(created_at=timezone.now() - timedelta(hours=25))
    services.topic_create(actor=newcomer, category=category, title="Next day topic", body="Hi")


def test_daily_post_limit_counts_replies(newcomer, topic, settings):
    settings.COMMUNITY_DAILY_LIMITS = {**settings.COMMUNITY_DAILY_LIMITS, "posts": {0: 2}}
    services.post_create(actor=newcomer, topic=topic, body="One")
    services.post_create(actor=newcomer, topic=topic, body="Two")
    with pytest.raises(services.RateLimited):
        services.post_create(actor=newcomer, topic=topic, body="Three")
    assert Post.objects.filter(author=newcomer).count() == 2


def test_staff_are_exempt_from_daily_limits(moderator, category, settings):
    settings.COMMUNITY_DAILY_LIMITS = {"topics": {3: 1}, "posts": {}, "votes": {}}
    for number in range(3):
        services.topic_create(
            actor=moderator, category=category, title=f"Staff topic {number}", body="Hi"
        )


# --- categories ----------------------------------------------------------------------------


def test_category_create_for_administrators_only(administrator, member):
    category = services.category_create(actor=administrator, name="Crisp toasters")
    assert category.slug == "crisp-toasters"
    with pytest.raises(PermissionDenied):
        services.category_create(actor=member, name="Mine")
    with pytest.raises(ValidationError):
        services.category_create(actor=administrator, name="Crisp toasters")  # slug taken
    child = services.category_create(actor=administrator, name="Crisp 2", parent=category)
    with pytest.raises(ValidationError):
        services.category_create(actor=administrator, name="Grandchild", parent=child)
