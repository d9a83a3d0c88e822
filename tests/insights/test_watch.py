"""E-reputation watch: watched terms and how mentions are counted (insights/watch.py)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from community.models import Post
from insights import watch
from insights.models import TermMentionHour, WatchedTerm
from tests.factories import TopicFactory
from tests.insights.fixtures_people import *  # noqa: F403

pytestmark = pytest.mark.django_db


def _count(term) -> int:
    return sum(TermMentionHour.objects.filter(term=term).values_list("count", flat=True))


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("I love my Aurora kettle", True),
        ("AURORA is great", True),
        ("l'Auróra siffle", True),
        ("ÀURORA!", True),
        ("aurora-kettle", True),
        ("Auroras everywhere", False),
        ("the aurorakettle", False),
        ("nothing to see", False),
    ],
)
def test_terms_match_whole_words_without_case_or_accents(text, found):
    terms = [(1, watch.normalize("Aurora"))]
    assert (watch.terms_found(text, terms) == [1]) is found


def test_multi_word_term_matches_across_white_space():
    terms = [(7, watch.normalize("Barista One"))]
    assert watch.terms_found("the barista\n  ONE is loud", terms) == [7]
    assert watch.terms_found("barista only", terms) == []


def test_watched_term_create_refuses_the_same_term_written_differently(moderator):
    watch.watched_term_create(actor=moderator, term="Aurora", kind="brand")
    with pytest.raises(ValidationError) as error:
        watch.watched_term_create(actor=moderator, term="  AURÓRA ", kind="product")
    assert "term" in error.value.message_dict
    assert WatchedTerm.objects.count() == 1


@pytest.mark.parametrize(
    ("term", "kind", "field"),
    [
        ("", "brand", "term"),
        ("   ", "brand", "term"),
        ("x" * 101, "brand", "term"),
        ("!!!", "brand", "term"),
        ("Aurora", "weather", "kind"),
    ],
)
def test_watched_term_create_refuses_bad_input(moderator, term, kind, field):
    with pytest.raises(ValidationError) as error:
        watch.watched_term_create(actor=moderator, term=term, kind=kind)
    assert field in error.value.message_dict
    assert not WatchedTerm.objects.exists()


def test_members_may_not_watch_terms(member):
    with pytest.raises(PermissionDenied):
        watch.watched_term_create(actor=member, term="Aurora", kind="brand")


def test_a_new_topic_counts_its_title_and_body_once_per_term(moderator, member, say):
    aurora = watch.watched_term_create(actor=moderator, term="Aurora", kind="brand")
    rival = watch.watched_term_create(actor=moderator, term="Kettlex", kind="competitor")
    say(member, "aurora aurora AURORA, better than kettlex", title="My Aurora whistles")
    assert _count(aurora) == 1
    assert _count(rival) == 1


def test_replies_are_counted_in_the_hour_of_the_post(moderator, member, other_member, say):
    aurora = watch.watched_term_create(actor=moderator, term="Aurora", kind="brand")
    first = say(member, "Nothing to say about kettles")
    assert _count(aurora) == 0
    reply = say(other_member, "The Auróra is fine", topic=first.topic)
    say(other_member, "Still nothing", topic=first.topic)
    bucket = TermMentionHour.objects.get(term=aurora)
    assert bucket.count == 1
    assert bucket.hour == watch.hour_of(reply.created_at)
    assert bucket.hour.minute == 0


def test_mentions_of_a_paused_term_are_not_counted(moderator, member, say):
    aurora = watch.watched_term_create(actor=moderator, term="Aurora", kind="brand")
    watch.watched_term_update(
        actor=moderator, watched=aurora, term="Aurora", kind="brand", active=False
    )
    say(member, "Aurora again")
    assert _count(aurora) == 0


def test_mention_hour_add_increments_one_bucket_per_hour(moderator):
    aurora = watch.watched_term_create(actor=moderator, term="Aurora", kind="brand")
    hour = datetime(2026, 3, 1, 10, 0, tzinfo=UTC)
    for minute in (0, 15, 59):
        watch.mention_hour_add(term_id=aurora.pk, hour=hour + timedelta(minutes=minute))
    watch.mention_hour_add(term_id=aurora.pk, hour=hour + timedelta(hours=1), count=4)
    assert list(
        TermMentionHour.objects.filter(term=aurora).order_by("hour").values_list("count", flat=True)
    ) == [3, 4]


def test_a_refused_post_counts_no_mention(moderator, member, category):
    from moderation import services as moderation_services

    aurora = watch.watched_term_create(actor=moderator, term="Aurora", kind="brand")
    moderation_services.watched_word_create(actor=moderator, pattern="forbidden", action="block")
    with pytest.raises(ValidationError):
        TopicFactory(author=member, category=category, body="Aurora is forbidden here")
    assert not Post.objects.exists()
    assert _count(aurora) == 0


def test_series_per_day_and_export_table_hold_the_same_figures(moderator):
    aurora = watch.watched_term_create(actor=moderator, term="Aurora", kind="brand")
    day = datetime(2026, 3, 1, tzinfo=UTC)
    watch.mention_hour_add(term_id=aurora.pk, hour=day + timedelta(hours=3), count=2)
    watch.mention_hour_add(term_id=aurora.pk, hour=day + timedelta(hours=23), count=5)
    watch.mention_hour_add(term_id=aurora.pk, hour=day + timedelta(days=2), count=1)
    series = watch.term_mentions_series(
        term=aurora, start=day, end=day + timedelta(days=3), step="day"
    )
    assert [row.count for row in series] == [7, 0, 1]
    table = watch.mentions_table(start=day, end=day + timedelta(days=3))
    assert [(row["day"].isoformat(), row["mentions"]) for row in table] == [
        ("2026-03-01", 7),
        ("2026-03-03", 1),
    ]
    hourly = watch.term_mentions_series(
        term=aurora, start=day, end=day + timedelta(days=1), step="hour"
    )
    assert len(hourly) == 24
    assert hourly[3].count == 2 and hourly[23].count == 5 and sum(r.count for r in hourly) == 7


def test_counting_costs_nothing_without_terms_and_one_query_without_a_match(
    moderator, member, say, django_assert_num_queries
):
    post = say(member, "Nothing about brands")
    watch.active_terms()  # warm the cache, as every post after the first finds it
    with django_assert_num_queries(0):
        assert watch.post_mentions_record(post_id=post.pk) == []
    watch.watched_term_create(actor=moderator, term="Aurora", kind="brand")
    watch.active_terms()
    with django_assert_num_queries(1):
        assert watch.post_mentions_record(post_id=post.pk) == []
