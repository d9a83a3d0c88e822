"""The review queue: ranking, filters, counts, context, and its query budget."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from moderation import selectors, services
from moderation.models import FlaggerRecord, FlagReason, ItemKind, ReviewItem
from tests.factories import PostFactory, TopicFactory, UserFactory


def _flag(post, reason=FlagReason.SPAM, trust_level=1, count=1):
    for _ in range(count):
        services.flag_create(actor=UserFactory(trust_level=trust_level), post=post, reason=reason)
    return ReviewItem.objects.get(post=post)


def test_queue_ranks_by_score_then_age(on_duty, make_post, author, moderator):
    low = _flag(make_post(author, "low"), FlagReason.OFF_TOPIC)  # 2.0
    high = _flag(make_post(author, "high"), FlagReason.OFF_TOPIC, trust_level=3)  # 4.0
    older_low = _flag(make_post(author, "older"), FlagReason.OFF_TOPIC)  # 2.0, but older
    ReviewItem.objects.filter(pk=older_low.pk).update(
        pending_since=timezone.now() - dt.timedelta(hours=5)
    )
    assert selectors.review_queue(user=moderator).items == [high, older_low, low]


def test_queue_filters_and_counts_per_reason(
    on_duty, make_post, author, moderator, category, other_category
):
    spam = _flag(make_post(author, "spam"), FlagReason.SPAM)
    rude = _flag(make_post(author, "rude"), FlagReason.ABUSIVE)
    elsewhere = _flag(
        PostFactory(topic=TopicFactory(category=other_category), author=author),
        FlagReason.SPAM,
    )
    ReviewItem.objects.filter(pk=rude.pk).update(
        pending_since=timezone.now() - dt.timedelta(hours=50)
    )

    page = selectors.review_queue(user=moderator)
    assert page.total == 3
    assert page.counts_by_reason["spam"] == 2
    assert page.counts_by_reason["abusive"] == 1
    assert page.counts_by_reason["illegal"] == 0
    by_reason = selectors.review_queue(user=moderator, filters={"reason": "spam"})
    assert set(by_reason.items) == {spam, elsewhere}
    assert by_reason.counts_by_reason["abusive"] == 1  # counts ignore the reason filter
    assert selectors.review_queue(
        user=moderator, filters={"category_id": other_category.pk}
    ).items == [elsewhere]
    assert selectors.review_queue(user=moderator, filters={"older_than_hours": 48}).items == [rude]
    services.item_decide(actor=moderator, item=spam, action="keep")
    assert selectors.review_queue(user=moderator, filters={"status": "resolved"}).items == [spam]
    assert selectors.review_queue(user=moderator, filters={"kind": ItemKind.HELD}).total == 0


def test_the_item_shows_context_history_and_each_flaggers_record(
    on_duty, topic, author, moderator, make_members
):
    posts = [PostFactory(topic=topic, author=author, body=f"reply {n}") for n in range(5)]
    flagger = make_members(1, trust_level=2)[0]
    FlaggerRecord.objects.create(user=flagger, agreed=9, disagreed=1)
    services.flag_create(actor=flagger, post=posts[2], reason=FlagReason.ABUSIVE)
    services.warning_create(actor=moderator, member=author, reason="Earlier rudeness")
    services.moderator_note_create(actor=moderator, member=author, body="Usually helpful.")
    item = ReviewItem.objects.get(post=posts[2])

    detail = selectors.item_get_for_moderator(user=moderator, item_id=item.pk)

    assert [p.pk for p in detail.neighbours] == [posts[0].pk, posts[1].pk, posts[3].pk, posts[4].pk]
    [flag] = detail.flags
    assert flag.flagger == flagger
    assert flag.flagger.flagger_record.accuracy == 0.9
    assert detail.author.member == author
    assert detail.author.trust_level == author.trust_level
    assert detail.author.joined_at == author.date_joined
    assert detail.author.flags_received == 1
    assert [w.reason for w in detail.author.active_warnings] == ["Earlier rudeness"]
    assert [n.body for n in detail.author.notes] == ["Usually helpful."]
    assert detail.author.penalty_suggestion_hours == 24
    records = selectors.flagger_track_records(user=moderator, user_ids=[flagger.pk])
    assert records[flagger.pk].accuracy == 0.9
    assert records[flagger.pk].accuracy_bonus > 0


def _fill(count: int, author, category, start: int = 0):
    """`count` more pending items, each with three flags, across topics of `category`."""
    flaggers = [UserFactory(trust_level=1) for _ in range(3)]
    for n in range(start, start + count):
        topic = TopicFactory(
            category=category,
            author=author,
            title=f"Flagged topic {n:03d}",
            body=f"Opening post {n}",
        )
        post = PostFactory(topic=topic, author=author, body=f"Flagged reply {n}")
        for flagger in flaggers:
            services.flag_create(actor=flagger, post=post, reason=FlagReason.OFF_TOPIC)


def _queue_queries(moderator, django_assert_max_num_queries) -> tuple[int, int]:
    """Render-equivalent read of the queue page; return (queries, items)."""
    # A fresh user object, as in a new request; its permissions come from the cross-request
    # cache (accounts.backends), warmed here so that both measures see the same state.
    type(moderator).objects.get(pk=moderator.pk).has_perm("accounts.moderate")
    fresh = type(moderator).objects.get(pk=moderator.pk)
    with django_assert_max_num_queries(15) as captured:
        page = selectors.review_queue(user=fresh)
        for item in page.items:  # what the page template reads
            assert item.post.body_html and item.topic.title and item.category.name
            assert item.author.username
            for flag in item.pending_flags:
                assert flag.flagger.username
                assert flag.flagger.flagger_record.agreed == 0
    return len(captured), len(page.items)


def test_queue_query_budget_is_the_same_for_3_and_50_items(
    on_duty, settings, author, category, moderator, django_assert_max_num_queries
):
    settings.MODERATION_HIDE_SCORE = 1000.0
    settings.MODERATION_DAILY_FLAG_LIMITS = {}
    _fill(3, author, category)
    with_3 = _queue_queries(moderator, django_assert_max_num_queries)
    _fill(47, author, category, start=3)
    with_50 = _queue_queries(moderator, django_assert_max_num_queries)
    assert (with_3[1], with_50[1]) == (3, 50)
    assert with_3[0] == with_50[0]


def test_category_moderators_queue_costs_the_same_budget(
    on_duty, settings, author, category, category_moderator, django_assert_max_num_queries
):
    settings.MODERATION_HIDE_SCORE = 1000.0
    _fill(3, author, category)
    fresh = type(category_moderator).objects.get(pk=category_moderator.pk)
    with django_assert_max_num_queries(15):
        assert selectors.review_queue(user=fresh).total == 3
