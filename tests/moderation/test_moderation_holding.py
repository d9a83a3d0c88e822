"""Holding before publication: watched words, spam signals; the watched-word lists."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from community import selectors as community_selectors
from community import services as community_services
from community.models import ContentState, Post
from moderation import selectors, services
from moderation.models import ItemKind, ItemStatus, ReviewItem, WatchedWord
from tests.factories import TopicFactory


def test_a_hold_rule_puts_the_post_in_the_queue_as_held(moderator, member, topic, author):
    services.watched_word_create(actor=moderator, pattern="refund", action="hold")
    post = community_services.post_create(actor=member, topic=topic, body="I want a REFUND now")

    assert post.state == ContentState.HELD
    item = ReviewItem.objects.get(post=post)
    assert (item.kind, item.status) == (ItemKind.HELD, ItemStatus.PENDING)
    assert "watched word" in item.held_reason and item.held_reason_code == "watched_word_hold"
    assert community_selectors.post_get_for_user(user=member, post_id=post.pk).state == "held"
    assert (
        not community_selectors.post_list_for_topic(user=author, topic=topic)
        .filter(pk=post.pk)
        .exists()
    )


def test_a_replace_rule_rewrites_the_text(moderator, member, topic):
    services.watched_word_create(
        actor=moderator, pattern="darn*", action="replace", replacement="[redacted]"
    )
    post = community_services.post_create(actor=member, topic=topic, body="Darned kettle, darn it")
    post.refresh_from_db()
    assert post.body == "[redacted] kettle, [redacted] it"
    assert "darn" not in post.body_html.lower()
    assert post.state == ContentState.VISIBLE


def test_a_flag_rule_publishes_the_post_and_queues_it(moderator, member, topic):
    services.watched_word_create(
        actor=moderator, pattern=r"\bcompetitor\w*", action="flag", is_regex=True
    )
    post = community_services.post_create(actor=member, topic=topic, body="Competitors do better")
    assert post.state == ContentState.VISIBLE
    item = ReviewItem.objects.get(post=post)
    assert item.kind == ItemKind.WATCHED
    assert "Competitors" in item.held_reason
    assert item.held_reason_params == {"word": "Competitors"}


def test_a_regex_block_rule_refuses_matching_edits_too(moderator, member, topic):
    services.watched_word_create(
        actor=moderator,
        pattern=r"\d{4}[ -]?\d{4}[ -]?\d{4}[ -]?\d{4}",
        action="block",
        is_regex=True,
    )
    post = community_services.post_create(actor=member, topic=topic, body="Card number below")
    with pytest.raises(ValidationError, match="not allowed"):
        community_services.post_edit(actor=member, post=post, body="It is 4970 1234 5678 9012")
    post.refresh_from_db()
    assert post.body == "Card number below"


def test_moderators_are_not_blocked_by_watched_words(moderator, topic):
    services.watched_word_create(actor=moderator, pattern="scam", action="block")
    post = community_services.post_create(
        actor=moderator, topic=topic, body="Beware of this scam going around."
    )
    assert post.state == ContentState.VISIBLE


def test_a_catastrophic_pattern_is_refused_by_the_service(moderator):
    with pytest.raises(ValidationError) as refused:
        services.watched_word_create(
            actor=moderator, pattern=r"(a+)+$", action="block", is_regex=True
        )
    assert "Nested repetitions" in refused.value.message_dict["pattern"][0]
    assert not WatchedWord.objects.exists()


def test_the_same_word_cannot_be_watched_twice(moderator):
    services.watched_word_create(actor=moderator, pattern="scam", action="block")
    with pytest.raises(ValidationError):
        services.watched_word_create(actor=moderator, pattern="scam", action="hold")


def test_changing_a_rule_takes_effect_at_once(moderator, member, topic):
    word = services.watched_word_create(actor=moderator, pattern="scam", action="flag")
    community_services.post_create(actor=member, topic=topic, body="scam one")
    services.watched_word_update(actor=moderator, word=word, action="block")
    with pytest.raises(ValidationError):
        community_services.post_create(actor=member, topic=topic, body="scam two")
    services.watched_word_delete(actor=moderator, word=word)
    community_services.post_create(actor=member, topic=topic, body="scam three")


def test_the_test_box_shows_what_rules_would_do(moderator):
    services.watched_word_create(actor=moderator, pattern="scam", action="hold")
    services.watched_word_create(
        actor=moderator, pattern="heck", action="replace", replacement="h*"
    )
    result = services.watched_words_test(actor=moderator, text="What the heck, a scam")
    assert result.action == "hold"
    assert sorted(m.text for m in result.matches) == ["heck", "scam"]
    assert result.replaced_text == "What the h*, a scam"


def test_the_test_box_checks_a_candidate_pattern_before_it_is_saved(moderator):
    result = services.watched_words_test(
        actor=moderator, text="call 555-1234", pattern=r"\d{3}-\d{4}", is_regex=True
    )
    assert [m.text for m in result.matches] == ["555-1234"]
    with pytest.raises(ValidationError):
        services.watched_words_test(actor=moderator, text="x", pattern=r"(x*)*", is_regex=True)


def test_a_new_member_posting_several_links_is_held(newcomer, topic):
    body = "Deals: https://a.example/1 https://b.example/2 https://c.example/3"
    post = community_services.post_create(actor=newcomer, topic=topic, body=body)
    assert post.state == ContentState.HELD
    assert "links" in ReviewItem.objects.get(post=post).held_reason


def test_a_basic_member_may_post_links(member, topic):
    body = "Manuals: https://a.example/1 https://b.example/2 https://c.example/3"
    assert community_services.post_create(actor=member, topic=topic, body=body).state == "visible"


def test_the_same_text_posted_three_times_is_held_the_third_time(member, category):
    topics = [TopicFactory(category=category) for _ in range(3)]
    states = [
        community_services.post_create(actor=member, topic=t, body="Visit my shop!").state
        for t in topics
    ]
    assert states == ["visible", "visible", "held"]
    item = ReviewItem.objects.get()
    assert "3 times" in item.held_reason
    assert (item.held_reason_code, item.held_reason_params) == ("spam_duplicate", {"count": 3})


def test_approving_a_held_post_publishes_it(newcomer, topic, moderator, member):
    post = community_services.post_create(
        actor=newcomer, topic=topic, body="https://a.example https://b.example https://c.example"
    )
    item = ReviewItem.objects.get(post=post)
    services.item_decide(actor=moderator, item=item, action="keep")
    assert community_selectors.post_get_for_user(user=member, post_id=post.pk).state == "visible"
    assert Post.objects.get(pk=post.pk).state_changed_by == moderator


def test_removing_a_held_post_keeps_it_from_everyone_but_its_author(newcomer, topic, moderator):
    post = community_services.post_create(
        actor=newcomer, topic=topic, body="https://a.example https://b.example https://c.example"
    )
    services.item_decide(
        actor=moderator, item=ReviewItem.objects.get(post=post), action="remove", reason="Spam"
    )
    assert Post.objects.get(pk=post.pk).state == ContentState.REMOVED
    assert selectors.moderation_history_for_member(user=newcomer)[0].action == "item.remove"
