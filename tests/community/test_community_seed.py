"""demo.seed community steps: the hand-written demo and the bulk generator leave every counter
exactly as the services would (the recount command finds nothing to repair)."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from community.models import Category, ContentState, Post, Tag, Topic, TopicKind, Vote
from demo import seed
from tests.community.fixtures_domain import *  # noqa: F403

pytestmark = pytest.mark.django_db


def recount_output() -> str:
    out = StringIO()
    call_command("recount_community", stdout=out)
    return out.getvalue()


def test_small_demo_tells_a_complete_story_and_is_idempotent():
    messages: list[str] = []
    seed.seed(size="small", progress=messages.append)

    assert Category.objects.count() == len(seed.COMMUNITY_CATEGORIES)
    # The ideas step adds its own idea topics on top of the community's hand-written ones.
    topics_after_first_run = Topic.objects.count()
    assert topics_after_first_run >= len(seed.COMMUNITY_TOPICS) >= 40
    assert Post.objects.count() > 90
    assert Vote.objects.count() > 80
    assert Tag.objects.filter(topic_count__gt=0).count() > 10
    assert Topic.objects.filter(kind=TopicKind.QUESTION, accepted_answer__isnull=False).exists()
    assert Topic.objects.filter(kind=TopicKind.IDEA).count() >= 6
    assert Topic.objects.filter(language="fr").count() >= 6
    assert Topic.objects.filter(pinned_globally=True).exists()
    assert Topic.objects.filter(locked=True).exists() and Topic.objects.filter(closed=True).exists()
    # The pre-moderated category holds the new members' posts; one rude reply was hidden.
    assert Post.objects.filter(state=ContentState.HELD).exists()
    assert Post.objects.filter(state=ContentState.HIDDEN).exists()
    assert Post.objects.filter(is_official=True).count() >= 10
    assert Post.objects.filter(body__contains="[quote").exists()
    assert Post.objects.filter(body_html__contains='class="mention"').exists()
    assert Post.objects.filter(body_html__contains="<table>").exists()
    assert Post.objects.filter(body_html__contains="<pre>").exists()
    assert Post.objects.filter(edit_count__gt=0).exists()
    assert "Every counter is right." in recount_output()

    seed.seed(size="small", progress=messages.append)  # a second run changes nothing
    assert Topic.objects.count() == topics_after_first_run
    assert "community demo already present" in messages


def test_bulk_generator_writes_consistent_counters():
    seed.seed_people(size="small", progress=lambda _m: None)
    seed.seed_community_large(progress=lambda _m: None, members=30, topics=60, min_posts=900)

    assert Category.objects.filter(slug=seed.LARGE_MARKER_SLUG).exists()
    assert Topic.objects.count() == 60
    assert Post.objects.count() >= 900
    assert Post.objects.filter(number=seed.LARGE_MAX_POSTS_PER_TOPIC).exists()
    assert Vote.objects.exists()
    assert "Every counter is right." in recount_output()

    seed.seed_community_large(progress=lambda _m: None, members=30, topics=60, min_posts=900)
    assert Topic.objects.count() == 60
