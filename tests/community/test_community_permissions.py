"""community.permissions: one question per function, safe for anonymous users."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.utils import timezone

from community import permissions, services
from community.models import Post, TopicKind
from tests.community.fixtures_domain import *  # noqa: F403
from tests.factories import CategoryFactory, PostFactory, TopicFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_every_question_answers_false_for_anonymous_and_none(topic, category):
    post = topic.posts.get()
    for user in (AnonymousUser(), None):
        assert permissions.can_view_category(user, category)
        assert permissions.can_view_topic(user, topic)
        assert permissions.can_view_post(user, post)
        assert not permissions.can_start_topic(user, category)
        assert not permissions.can_reply(user, topic)
        assert not permissions.can_edit_post(user, post)
        assert not permissions.can_delete_post(user, post)
        assert not permissions.can_vote(user, post)
        assert not permissions.can_accept_answer(user, topic)
        assert not permissions.can_moderate_category(user, category)
        assert not permissions.can_answer_officially(user)
        assert not permissions.can_subscribe_topic(user, topic)


def test_held_post_is_seen_by_its_author_and_moderators_only(topic, other_member, moderator):
    reply = PostFactory(topic=topic, author=other_member)
    services.post_hold(actor=None, post=reply, reason="check")
    reply = Post.objects.select_related("topic__category").get(pk=reply.pk)

    assert permissions.can_view_post(other_member, reply)
    assert permissions.can_view_post(moderator, reply)
    assert not permissions.can_view_post(UserFactory(), reply)
    assert not permissions.can_view_post(AnonymousUser(), reply)


def test_deleted_post_is_hidden_from_its_author_too(topic, other_member, moderator):
    reply = PostFactory(topic=topic, author=other_member)
    reply = services.post_delete(actor=other_member, post=reply)
    assert not permissions.can_view_post(other_member, reply)
    assert permissions.can_view_post(moderator, reply)


def test_category_moderator_moderates_that_category_only(category):
    keeper = UserFactory()
    category.moderators.add(keeper)
    assert permissions.can_moderate_category(keeper, category)
    assert not permissions.can_moderate_category(keeper, CategoryFactory())
    assert permissions.can_moderate_category(UserFactory(moderator=True), CategoryFactory())


def test_category_moderator_ids_are_loaded_once_per_user(category, django_assert_num_queries):
    keeper = UserFactory()
    category.moderators.add(keeper)
    other = CategoryFactory()
    assert permissions.can_moderate_category(keeper, category)  # roles and categories loaded
    with django_assert_num_queries(0):
        for _ in range(10):
            assert permissions.can_moderate_category(keeper, category)
            assert not permissions.can_moderate_category(keeper, other)


def test_edit_window_applies_to_authors_not_moderators(topic, member, settings):
    post = topic.posts.get()
    assert permissions.can_edit_post(member, post)
    Post.objects.filter(pk=post.pk).update(created_at=timezone.now() - timedelta(minutes=61))
    post.refresh_from_db()
    settings.COMMUNITY_EDIT_WINDOW_MINUTES = 60
    assert not permissions.can_edit_post(member, post)
    assert permissions.can_edit_post(UserFactory(moderator=True), post)


def test_removed_post_cannot_be_edited_by_its_author(topic, member, moderator):
    post = services.post_remove(actor=moderator, post=topic.posts.get(), reason="spam")
    assert not permissions.can_edit_post(member, post)
    assert permissions.can_edit_post(moderator, post)


def test_locked_topic_freezes_author_edits(topic, member, moderator):
    services.topic_lock(actor=moderator, topic=topic)
    post = Post.objects.select_related("topic").get(topic=topic, number=1)
    assert not permissions.can_edit_post(member, post)


def test_accepting_answers_is_for_questions_and_the_asker_or_staff(member, brand_staff):
    question = TopicFactory(author=member, kind=TopicKind.QUESTION)
    discussion = TopicFactory(author=member)
    assert permissions.can_accept_answer(member, question)
    assert permissions.can_accept_answer(brand_staff, question)
    assert not permissions.can_accept_answer(UserFactory(), question)
    assert not permissions.can_accept_answer(member, discussion)


def test_read_only_category_is_for_staff_and_its_moderators(member, brand_staff):
    announcements = CategoryFactory(read_only=True)
    keeper = UserFactory()
    announcements.moderators.add(keeper)
    assert not permissions.can_start_topic(member, announcements)
    assert permissions.can_start_topic(brand_staff, announcements)
    assert permissions.can_start_topic(keeper, announcements)


def test_inactive_members_may_do_nothing(topic):
    sleeper = UserFactory(is_active=False, trust_level=4)
    assert not permissions.can_reply(sleeper, topic)
    assert not permissions.can_vote(sleeper, topic.posts.get())


def test_vote_trust_gate_is_optional(topic, newcomer, settings):
    post = topic.posts.get()
    assert permissions.can_vote(newcomer, post)
    settings.COMMUNITY_MIN_TRUST_TO_VOTE = 1
    assert not permissions.can_vote(newcomer, post)
