"""The issue's acceptance scenarios, end to end at the service level."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from community import selectors as community_selectors
from community import services as community_services
from community.models import Post, Topic
from moderation import selectors, services
from moderation.models import (
    Appeal,
    FlaggerRecord,
    FlagReason,
    FlagStatus,
    ItemKind,
    ItemStatus,
    ReviewItem,
    WatchedWord,
)
from tests.factories import CategoryFactory, TopicFactory


def test_three_flags_off_hours_hide_at_once_then_an_appeal_is_kept_and_flaggers_lose_accuracy(
    off_duty,
    make_members,
    make_post,
    author,
    post,
    member,
    moderator,
    administrator,
    moderation_events,
):
    flaggers = make_members(3, trust_level=1)
    for flagger in flaggers:  # a middling record: 60 % agreed, not yet enough for a bonus
        FlaggerRecord.objects.create(user=flagger, agreed=3, disagreed=2)
    other = make_post(make_members(1)[0], body="Another reply, flagged once.")
    services.flag_create(actor=member, post=other, reason=FlagReason.SPAM)

    # Three TL1 members flag the post outside coverage hours: hidden at the third flag.
    for number, flagger in enumerate(flaggers, start=1):
        services.flag_create(actor=flagger, post=post, reason=FlagReason.OFF_TOPIC)
        post.refresh_from_db()
        assert post.state == ("hidden" if number == 3 else "visible")
    assert post.state_changed_by is None
    [hidden] = moderation_events["content_hidden"]
    assert (hidden["post_id"], hidden["author_id"], hidden["by_flags"]) == (
        post.pk,
        author.pk,
        True,
    )
    with pytest.raises(Http404):
        community_selectors.post_get_for_user(user=member, post_id=post.pk)
    assert community_selectors.post_get_for_user(user=author, post_id=post.pk) == post

    # The author is told what, why and by whom (a role), and may appeal.
    [told] = selectors.moderation_history_for_member(user=author)
    assert told.attributed_to == "the community's flags"
    assert "community's flags" in told.reason
    assert told.can_appeal
    appeal = services.appeal_file(actor=author, post=post, message="It was a fair review.")
    assert moderation_events["appeal_filed"][0]["appeal_id"] == appeal.pk
    with pytest.raises(ValidationError, match="already appealed"):
        services.appeal_file(actor=author, post=post, message="Again!")

    # A moderator sees it first in the queue.
    queue = selectors.review_queue(user=moderator)
    item = queue.items[0]
    assert item.post_id == post.pk
    assert item.kind == ItemKind.APPEAL
    assert len(queue.items) == 2
    assert {f.flagger_id for f in item.pending_flags} == {f.pk for f in flaggers}

    # They keep it: the post reappears, the appeal is granted.
    services.item_decide(actor=moderator, item=item, action="keep", reason="Blunt, but on topic.")
    post.refresh_from_db()
    assert post.state == "visible"
    assert community_selectors.post_get_for_user(user=member, post_id=post.pk) == post
    assert Appeal.objects.get().status == Appeal.Status.GRANTED
    assert ReviewItem.objects.get(pk=item.pk).status == ItemStatus.RESOLVED

    # The flaggers' accuracy drops (60 % → 50 %), and so does the weight of their next flag.
    for flagger in flaggers:
        record = FlaggerRecord.objects.get(user=flagger)
        assert (record.agreed, record.disagreed) == (3, 3)
        assert record.accuracy == 0.5
    next_flag = services.flag_create(
        actor=flaggers[0], post=make_post(author), reason=FlagReason.OFF_TOPIC
    )
    assert next_flag.weight < 2.0

    # Author and flaggers are told the outcome.
    [decision] = moderation_events["decision_made"]
    assert decision["author_id"] == author.pk
    assert set(decision["flagger_ids"]) == {f.pk for f in flaggers}
    assert decision["flag_outcome"] == FlagStatus.DISAGREED
    assert decision["appeal_status"] == Appeal.Status.GRANTED
    for flagger in flaggers:
        mine = selectors.flags_list_for_member(user=flagger).get(post=post)
        assert mine.status == FlagStatus.DISAGREED
    labels = [entry.action for entry in selectors.moderation_history_for_member(user=author)]
    assert labels[:3] == ["item.keep", "appeal.file", "content.hide_by_flags"]

    # The audit log holds every action, in order, with reasons.
    entries = list(
        selectors.audit_list(user=administrator, filters={"item_id": item.pk, "oldest_first": True})
    )
    assert [e.action for e in entries] == [
        "flag.create",
        "flag.create",
        "flag.create",
        "content.hide_by_flags",
        "appeal.file",
        "item.keep",
    ]
    assert all(e.reason for e in entries)
    assert entries[-1].actor_name == moderator.username
    assert entries[3].actor_role == "community"
    assert entries[3].after["on_duty"] is False


def test_the_same_three_flags_on_duty_do_not_hide(on_duty, make_members, post):
    for flagger in make_members(3):
        services.flag_create(actor=flagger, post=post, reason=FlagReason.OFF_TOPIC)
    post.refresh_from_db()
    assert post.state == "visible"
    assert ReviewItem.objects.get(post=post).score == 6.0


def test_a_newcomers_post_in_a_pre_moderated_category_is_invisible_until_approved(
    newcomer, member, moderator, administrator
):
    category = CategoryFactory(name="Support", slug="support", pre_moderated=True)
    topic = TopicFactory(category=category, author=member)
    post = community_services.post_create(actor=newcomer, topic=topic, body="Is it safe?")

    assert post.state == "held"
    with pytest.raises(Http404):
        community_selectors.post_get_for_user(user=member, post_id=post.pk)
    assert community_selectors.post_get_for_user(user=newcomer, post_id=post.pk) == post
    [item] = selectors.review_queue(user=moderator).items
    assert (item.post_id, item.kind) == (post.pk, ItemKind.HELD)
    assert "Pre-moderated" in item.held_reason and item.held_reason_code == "premoderated"

    services.item_decide(actor=moderator, item=item, action="keep", reason="Fine.")
    assert community_selectors.post_get_for_user(user=member, post_id=post.pk).state == "visible"
    actions = [
        e.action
        for e in selectors.audit_list(
            user=administrator, filters={"item_id": item.pk, "oldest_first": True}
        )
    ]
    assert actions == ["content.hold", "item.keep"]


def test_a_newcomers_topic_in_a_pre_moderated_category_waits_too(newcomer, member, moderator):
    category = CategoryFactory(name="Support", slug="support", pre_moderated=True)
    topic = TopicFactory(category=category, author=newcomer)
    assert topic.state == "held"
    with pytest.raises(Http404):
        community_selectors.topic_get_for_user(user=member, topic_id=topic.pk)
    assert selectors.review_queue(user=moderator).total == 1


def test_a_watched_word_block_refuses_the_post_with_a_clear_message_and_saves_nothing(
    moderator, member, topic
):
    services.watched_word_create(actor=moderator, pattern="miracle cure", action="block")
    posts_before, topics_before = Post.objects.count(), Topic.objects.count()

    with pytest.raises(ValidationError) as refused:
        community_services.post_create(
            actor=member, topic=topic, body="A Miracle  Cure for limescale"
        )
    assert "“Miracle  Cure”" in refused.value.message_dict["body"][0]
    assert "not allowed" in refused.value.message_dict["body"][0]
    with pytest.raises(ValidationError):
        TopicFactory(category=topic.category, author=member, title="Miracle cure inside!")
    assert (Post.objects.count(), Topic.objects.count()) == (posts_before, topics_before)
    assert not ReviewItem.objects.exists()


def test_members_get_permission_denied_from_every_moderation_service(
    member, author, post, category, moderator
):
    services.flag_create(actor=moderator, post=post, reason=FlagReason.SPAM)
    item = ReviewItem.objects.get()
    word = services.watched_word_create(actor=moderator, pattern="spam", action="flag")
    rule = services.community_rule_create(actor=moderator, number=1, title="Be kind")
    reason = services.removal_reason_create(actor=moderator, title="Spam", message="Spam.")
    sanction = services.sanction_create(
        actor=moderator, member=author, kind="silence", days=1, reason="Cool off"
    )
    calls = [
        lambda: services.item_claim(actor=member, item=item),
        lambda: services.item_release(actor=member, item=item),
        lambda: services.item_decide(actor=member, item=item, action="keep"),
        lambda: services.item_decide(actor=member, item=item, action="remove", reason="x"),
        lambda: services.items_decide_bulk(actor=member, items=[item], action="hide"),
        lambda: services.sanction_create(
            actor=member, member=author, kind="suspend", days=1, reason="x"
        ),
        lambda: services.sanction_lift(actor=member, sanction=sanction),
        lambda: services.warning_create(actor=member, member=author, reason="x"),
        lambda: services.probation_start(actor=member, member=author, reason="x"),
        lambda: services.moderator_note_create(actor=member, member=author, body="x"),
        lambda: services.watched_word_create(actor=member, pattern="x", action="block"),
        lambda: services.watched_word_update(actor=member, word=word, action="block"),
        lambda: services.watched_word_delete(actor=member, word=word),
        lambda: services.watched_words_test(actor=member, text="x"),
        lambda: services.community_rule_create(actor=member, number=2, title="x"),
        lambda: services.community_rule_update(actor=member, rule=rule, title="x"),
        lambda: services.community_rule_delete(actor=member, rule=rule),
        lambda: services.removal_reason_create(actor=member, title="x", message="x"),
        lambda: services.removal_reason_update(actor=member, reason=reason, title="x"),
        lambda: services.removal_reason_delete(actor=member, reason=reason),
        lambda: services.coverage_hours_set(actor=member, schedule={}),
        lambda: services.category_public_log_set(actor=member, category=category, enabled=True),
        lambda: services.topic_escalate_to_staff(actor=member, topic=post.topic),
        lambda: selectors.review_queue(user=member),
        lambda: selectors.item_get_for_moderator(user=member, item_id=item.pk),
        lambda: selectors.author_history(user=member, member=author),
        lambda: selectors.audit_list(user=member),
        lambda: selectors.moderator_notes_list(user=member, member=author),
        lambda: selectors.removal_reasons_list(user=member),
        lambda: selectors.watched_words_list(user=member),
        lambda: selectors.away_summary_latest(user=member),
    ]
    for call in calls:
        with pytest.raises(PermissionDenied):
            call()
    assert ReviewItem.objects.get().status == ItemStatus.PENDING


def test_a_moderator_of_category_a_cannot_act_in_category_b_unless_global(
    category, other_category, category_moderator, moderator, author, member
):
    post_a = TopicFactory(category=category, author=author).posts.get()
    post_b = TopicFactory(category=other_category, author=author).posts.get()
    for post in (post_a, post_b):
        services.flag_create(actor=member, post=post, reason=FlagReason.SPAM)
    item_a = ReviewItem.objects.get(post=post_a)
    item_b = ReviewItem.objects.get(post=post_b)

    assert selectors.review_queue(user=category_moderator).items == [item_a]
    with pytest.raises(PermissionDenied):
        services.item_decide(actor=category_moderator, item=item_b, action="hide")
    with pytest.raises(PermissionDenied):
        services.item_claim(actor=category_moderator, item=item_b)
    with pytest.raises(Http404):
        selectors.item_get_for_moderator(user=category_moderator, item_id=item_b.pk)
    with pytest.raises(PermissionDenied):  # site-wide sanctions are for global moderators
        services.item_decide(
            actor=category_moderator, item=item_a, action="suspend", days=3, reason="Spam"
        )

    services.item_decide(actor=category_moderator, item=item_a, action="hide", reason="Spam")
    services.item_decide(actor=moderator, item=item_b, action="hide", reason="Spam")
    assert set(
        Post.objects.filter(pk__in=[post_a.pk, post_b.pk]).values_list("state", flat=True)
    ) == {"hidden"}
    assert set(WatchedWord.objects.values_list("pk", flat=True)) == set()
