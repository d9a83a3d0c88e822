"""manage.py recount_community: a dry run reports, --apply repairs."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from community import services
from community.models import Category, Post, Tag, Topic
from tests.community.fixtures_domain import *  # noqa: F403
from tests.factories import PostFactory, TopicFactory, UserFactory

pytestmark = pytest.mark.django_db


def recount(*args: str) -> str:
    out = StringIO()
    call_command("recount_community", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def community(category, member, moderator):
    topic = TopicFactory(category=category, author=member, tags=["aurora"])
    replies = [PostFactory(topic=topic) for _ in range(3)]
    services.post_hide(actor=moderator, post=replies[0], reason="rude")
    for value in (1, 1, -1):
        services.vote_cast(actor=UserFactory(), post=topic.posts.get(number=1), value=value)
    services.vote_cast(actor=UserFactory(), post=replies[1], value=1)
    return topic


def test_counters_kept_by_the_services_need_no_repair(community):
    assert "Every counter is right." in recount()


def test_dry_run_reports_and_changes_nothing(community):
    Post.objects.filter(topic=community, number=1).update(score=99, upvotes=0)
    Topic.objects.filter(pk=community.pk).update(reply_count=42)
    output = recount()
    assert "score 99 → 1" in output
    assert "reply_count 42 → 2" in output
    assert "dry run" in output
    assert Post.objects.get(topic=community, number=1).score == 99
    assert Topic.objects.get(pk=community.pk).reply_count == 42


def test_apply_repairs_corrupted_counters(community):
    first = Post.objects.get(topic=community, number=1)
    Post.objects.filter(pk=first.pk).update(score=99, upvotes=0, downvotes=7, wilson=0.9)
    Topic.objects.filter(pk=community.pk).update(
        reply_count=42, score=-3, hot=0, highest_post_number=1
    )
    Category.objects.filter(pk=community.category_id).update(topic_count=0, post_count=100)
    Tag.objects.filter(slug="aurora").update(topic_count=5)

    output = recount("--apply")
    assert "repaired" in output

    first.refresh_from_db()
    community.refresh_from_db()
    category = Category.objects.get(pk=community.category_id)
    assert (first.score, first.upvotes, first.downvotes) == (1, 2, 1)
    assert (community.reply_count, community.highest_post_number, community.score) == (2, 4, 1)
    assert community.hot > 0
    assert (category.topic_count, category.post_count) == (1, 3)
    assert Tag.objects.get(slug="aurora").topic_count == 1
    assert "Every counter is right." in recount()
