"""Flags under concurrency, on PostgreSQL (SQLite has no row locks: these need the real thing).

Each flag locks the post row first (the lock community takes too), then the review item, so
concurrent flags on one post are applied one after another: the score is exact and the
threshold is crossed by exactly one flag."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from moderation import services
from moderation.models import AuditEntry, Flag, FlagReason, ReviewItem
from tests.factories import TopicFactory, UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _at_once(calls):
    """Run the callables in threads released together; return (results, errors)."""
    barrier = threading.Barrier(len(calls))

    def run(call):
        barrier.wait()
        try:
            return call(), None
        except Exception as exc:
            return None, exc
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        outcomes = [future.result() for future in [pool.submit(run, c) for c in calls]]
    return [r for r, _e in outcomes if r is not None], [e for _r, e in outcomes if e is not None]


def _flagging(user, post_id):
    from community.models import Post

    return lambda: services.flag_create(actor=user, post=Post(pk=post_id), reason=FlagReason.SPAM)


def test_twenty_members_flagging_one_post_at_once_give_twenty_flags_and_the_right_score(
    settings,
):
    settings.MODERATION_HIDE_SCORE = 1000.0
    settings.MODERATION_HIDE_SCORE_OFF_HOURS = 1000.0
    post = TopicFactory(body="Cheap watches, click here").posts.get(number=1)
    flaggers = [UserFactory(trust_level=1) for _ in range(20)]

    flags, errors = _at_once([_flagging(user, post.pk) for user in flaggers])

    assert errors == []
    assert len(flags) == 20
    assert Flag.objects.filter(post=post).count() == 20
    item = ReviewItem.objects.get(post=post)
    assert item.flag_count == 20
    assert item.score == 20 * 3.0  # each: 1 + trust level 1 + spam bonus 1
    assert AuditEntry.objects.filter(action="flag.create").count() == 20


def test_a_member_flagging_twice_at_once_counts_once(settings):
    settings.MODERATION_HIDE_SCORE = 1000.0
    settings.MODERATION_HIDE_SCORE_OFF_HOURS = 1000.0
    post = TopicFactory(body="Cheap watches, click here").posts.get(number=1)
    flagger = UserFactory(trust_level=1)

    flags, errors = _at_once([_flagging(flagger, post.pk) for _ in range(6)])

    assert len(flags) == 1
    assert len(errors) == 5
    assert all(isinstance(e, ValidationError) and e.code == "already_flagged" for e in errors)
    assert ReviewItem.objects.get(post=post).score == 3.0


def test_concurrent_flags_cross_the_hide_threshold_exactly_once(settings):
    settings.MODERATION_DEFAULT_COVERAGE = {}  # off duty: hidden at 6.0, i.e. two spam flags
    post = TopicFactory(body="Cheap watches, click here").posts.get(number=1)
    flaggers = [UserFactory(trust_level=1) for _ in range(10)]

    flags, errors = _at_once([_flagging(user, post.pk) for user in flaggers])

    post.refresh_from_db()
    assert post.state == "hidden"
    assert len(flags) == 2
    assert all("already hidden" in str(e) for e in errors)
    assert AuditEntry.objects.filter(action="content.hide_by_flags").count() == 1
    assert ReviewItem.objects.get(post=post).score == 6.0
