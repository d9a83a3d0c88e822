"""Deciding review items: claims, every action, appeals, bulk, one transaction."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from community import services as community_services
from community.models import ContentState
from moderation import events, selectors, services
from moderation.models import (
    Appeal,
    FlaggerRecord,
    FlagReason,
    FlagStatus,
    ItemKind,
    ItemStatus,
    MemberWarning,
    ReviewItem,
    Sanction,
)


@pytest.fixture
def flagged_item(member, post):
    services.flag_create(actor=member, post=post, reason=FlagReason.ABUSIVE)
    return ReviewItem.objects.get(post=post)


def test_a_second_moderator_is_refused_while_the_item_is_claimed(
    flagged_item, moderator, second_moderator
):
    services.item_claim(actor=moderator, item=flagged_item)
    with pytest.raises(PermissionDenied, match="moderator_one is already reviewing"):
        services.item_claim(actor=second_moderator, item=flagged_item)
    with pytest.raises(PermissionDenied, match="already reviewing"):
        services.item_decide(actor=second_moderator, item=flagged_item, action="keep")
    services.item_decide(actor=moderator, item=flagged_item, action="keep")


def test_a_released_or_lapsed_claim_frees_the_item(
    settings, flagged_item, moderator, second_moderator
):
    services.item_claim(actor=moderator, item=flagged_item)
    services.item_release(actor=moderator, item=flagged_item)
    services.item_claim(actor=second_moderator, item=flagged_item)
    settings.MODERATION_CLAIM_MINUTES = 30
    ReviewItem.objects.filter(pk=flagged_item.pk).update(
        claimed_at=timezone.now() - dt.timedelta(minutes=31)
    )
    services.item_claim(actor=moderator, item=flagged_item)
    assert ReviewItem.objects.get(pk=flagged_item.pk).claimed_by == moderator


def test_claimed_by_me_filter(flagged_item, moderator, second_moderator):
    services.item_claim(actor=moderator, item=flagged_item)
    assert selectors.review_queue(user=moderator, filters={"claimed_by_me": True}).total == 1
    assert selectors.review_queue(user=second_moderator, filters={"claimed_by_me": True}).total == 0


def test_a_decided_item_cannot_be_decided_again(flagged_item, moderator):
    services.item_decide(actor=moderator, item=flagged_item, action="keep")
    with pytest.raises(ValidationError, match="already decided"):
        services.item_decide(actor=moderator, item=flagged_item, action="hide")


def test_remove_needs_a_reason_and_tells_it_with_the_rule(flagged_item, moderator, author, post):
    with pytest.raises(ValidationError) as refused:
        services.item_decide(actor=moderator, item=flagged_item, action="remove")
    assert "reason" in refused.value.message_dict

    rule = services.community_rule_create(actor=moderator, number=3, title="No insults")
    reason = services.removal_reason_create(
        actor=moderator, title="Insult", message="Insults are not welcome here.", rule=rule
    )
    services.item_decide(actor=moderator, item=flagged_item, action="remove", removal_reason=reason)

    post.refresh_from_db()
    assert post.state == ContentState.REMOVED
    assert post.state_reason == "Insults are not welcome here."
    [told, *_rest] = selectors.moderation_history_for_member(user=author)
    assert (told.action, told.rule_number, told.rule_title) == ("item.remove", 3, "No insults")
    assert told.attributed_to == "the moderation team"
    assert told.can_appeal


def test_authors_read_the_moderators_name_when_the_cm_prefers(
    settings, flagged_item, moderator, author
):
    settings.MODERATION_ATTRIBUTE_TO_ROLE = False
    services.item_decide(actor=moderator, item=flagged_item, action="hide", reason="Rude.")
    assert selectors.moderation_history_for_member(user=author)[0].attributed_to == "moderator_one"


def test_edit_fixes_the_text_tells_the_author_and_shows_the_post(
    off_duty, make_members, post, moderator
):
    for flagger in make_members(3):
        services.flag_create(actor=flagger, post=post, reason=FlagReason.OFF_TOPIC)
    item = ReviewItem.objects.get(post=post)
    services.item_decide(
        actor=moderator,
        item=item,
        action="edit",
        body="The kettle disappointed me.",
        note="Removed the insult.",
        reason="Tone",
    )
    post.refresh_from_db()
    assert post.body == "The kettle disappointed me."
    assert post.state == ContentState.VISIBLE
    assert post.revisions.get().note == "Removed the insult."


def test_lock_and_move_act_on_the_topic(
    member, make_post, topic, moderator, other_category, author
):
    first = make_post(author, body="First flagged reply")
    second = make_post(author, body="Second flagged reply")
    for post in (first, second):
        services.flag_create(actor=member, post=post, reason=FlagReason.OFF_TOPIC)
    services.item_decide(
        actor=moderator, item=ReviewItem.objects.get(post=first), action="lock", reason="Heated"
    )
    topic.refresh_from_db()
    assert topic.locked
    services.item_decide(
        actor=moderator,
        item=ReviewItem.objects.get(post=second),
        action="move",
        category=other_category,
    )
    topic.refresh_from_db()
    assert topic.category == other_category
    assert set(ReviewItem.objects.values_list("category_id", flat=True)) == {other_category.pk}


def test_warn_records_a_decaying_warning_on_the_author(
    flagged_item, moderator, author, moderation_events
):
    services.item_decide(
        actor=moderator, item=flagged_item, action="warn", reason="Mind your tone", warning_level=2
    )
    warning = MemberWarning.objects.get(member=author)
    assert warning.level == MemberWarning.Level.FORMAL
    assert warning.is_active()
    assert not warning.is_active(timezone.now() + dt.timedelta(days=181))
    assert moderation_events["member_sanctioned"][0]["kind"] == "warning"
    assert selectors.author_history(user=moderator, member=author).active_warnings == [warning]


def test_silence_follows_the_penalty_ladder_and_bites(moderator, author, topic, make_post, member):
    liked = make_post(member, body="A reply the author would like to upvote.")
    first = services.sanction_create(
        actor=moderator, member=author, kind="silence", reason="Flame war"
    )
    assert first.ends_at - first.starts_at == dt.timedelta(hours=24)
    with pytest.raises(PermissionDenied, match="silenced until"):
        community_services.post_create(actor=author, topic=topic, body="Let me speak!")
    with pytest.raises(PermissionDenied, match="silenced"):
        community_services.vote_cast(actor=author, post=liked, value=1)
    services.sanction_lift(actor=moderator, sanction=first, reason="Calmed down")
    community_services.post_create(actor=author, topic=topic, body="Thank you.")

    second = services.sanction_create(
        actor=moderator, member=author, kind="silence", reason="Again"
    )
    assert second.ends_at - second.starts_at == dt.timedelta(hours=72)
    assert selectors.penalty_suggestion_hours(member=author) == 168


def test_suspend_for_good_and_suspended_members_cannot_post(moderator, author, topic):
    sanction = services.sanction_create(
        actor=moderator, member=author, kind="suspend", permanent=True, reason="Spammer"
    )
    assert sanction.ends_at is None
    with pytest.raises(PermissionDenied, match="suspended"):
        community_services.post_create(actor=author, topic=topic, body="Buy pills")


def test_only_a_suspension_can_be_for_good(moderator, author):
    with pytest.raises(ValidationError):
        services.sanction_create(
            actor=moderator, member=author, kind="silence", permanent=True, reason="x"
        )


def test_moderators_cannot_sanction_staff_or_themselves(moderator, second_moderator):
    with pytest.raises(PermissionDenied):
        services.sanction_create(
            actor=moderator, member=second_moderator, kind="silence", days=1, reason="x"
        )
    with pytest.raises(PermissionDenied):
        services.sanction_create(
            actor=moderator, member=moderator, kind="silence", days=1, reason="x"
        )


def test_probation_holds_every_post_for_review(flagged_item, moderator, author, topic, member):
    services.item_decide(
        actor=moderator, item=flagged_item, action="probation", days=7, reason="Heated"
    )
    post = community_services.post_create(actor=author, topic=topic, body="Calmer now.")
    assert post.state == ContentState.HELD
    item = ReviewItem.objects.get(post=post)
    assert (item.kind, item.status) == (ItemKind.HELD, ItemStatus.PENDING)
    assert "probation" in item.held_reason


def test_ignore_defers_the_flags_and_leaves_the_content(flagged_item, moderator, member, post):
    services.item_decide(actor=moderator, item=flagged_item, action="ignore")
    item = ReviewItem.objects.get(pk=flagged_item.pk)
    assert item.status == ItemStatus.IGNORED
    assert FlaggerRecord.objects.get(user=member).ignored == 1
    assert selectors.flags_list_for_member(user=member).get().status == FlagStatus.IGNORED
    post.refresh_from_db()
    assert post.state == ContentState.VISIBLE


def test_new_flags_after_a_decision_open_a_new_round(flagged_item, moderator, make_members, post):
    services.item_decide(actor=moderator, item=flagged_item, action="keep")
    [newcomer_flagger] = make_members(1, trust_level=2)
    services.flag_create(actor=newcomer_flagger, post=post, reason=FlagReason.OFF_TOPIC)
    item = ReviewItem.objects.get(pk=flagged_item.pk)
    assert (item.status, item.score, item.flag_count) == (ItemStatus.PENDING, 3.0, 1)


def test_an_appeal_goes_to_a_different_moderator_when_there_is_one(
    flagged_item, moderator, second_moderator, author, post
):
    services.item_decide(actor=moderator, item=flagged_item, action="remove", reason="Insult")
    appeal = services.appeal_file(actor=author, post=post, message="I quoted someone else.")
    item = ReviewItem.objects.get(pk=flagged_item.pk)
    assert (item.kind, item.status, item.excluded_moderator) == (
        ItemKind.APPEAL,
        ItemStatus.PENDING,
        moderator,
    )
    with pytest.raises(PermissionDenied, match="another moderator"):
        services.item_claim(actor=moderator, item=item)
    with pytest.raises(PermissionDenied, match="another moderator"):
        services.appeal_decide(actor=moderator, appeal=appeal, grant=True)
    with pytest.raises(ValidationError):  # a denial says why
        services.appeal_decide(actor=second_moderator, appeal=appeal, grant=False)

    services.appeal_decide(
        actor=second_moderator, appeal=appeal, grant=False, reason="The insult is yours."
    )
    appeal.refresh_from_db()
    post.refresh_from_db()
    assert appeal.status == Appeal.Status.DENIED
    assert appeal.decided_by == second_moderator
    assert post.state == ContentState.REMOVED


def test_the_only_moderator_may_review_an_appeal_against_their_own_decision(
    flagged_item, moderator, author, post
):
    services.item_decide(actor=moderator, item=flagged_item, action="hide", reason="Rude")
    appeal = services.appeal_file(actor=author, post=post, message="Please look again.")
    services.appeal_decide(actor=moderator, appeal=appeal, grant=True)
    post.refresh_from_db()
    assert post.state == ContentState.VISIBLE


def test_only_the_author_of_hidden_or_removed_content_may_appeal(member, author, post):
    with pytest.raises(PermissionDenied):
        services.appeal_file(actor=author, post=post, message="Why?")  # still visible
    with pytest.raises(PermissionDenied):
        services.appeal_file(actor=member, post=post, message="Why?")


def test_a_sanction_appeal_granted_lifts_it(moderator, second_moderator, author):
    sanction = services.sanction_create(
        actor=moderator, member=author, kind="silence", days=3, reason="Flame war"
    )
    appeal = services.appeal_file(actor=author, sanction=sanction, message="I was provoked.")
    [item] = selectors.review_queue(user=second_moderator).items
    assert (item.member, item.kind) == (author, ItemKind.APPEAL)
    services.appeal_decide(actor=second_moderator, appeal=appeal, grant=True, reason="Fair.")
    sanction.refresh_from_db()
    assert sanction.lifted_at is not None
    assert selectors.review_queue(user=second_moderator).total == 0


def test_a_hidden_post_edited_by_its_author_goes_back_to_the_queue(
    off_duty, make_members, author, post, moderator
):
    for flagger in make_members(3):
        services.flag_create(actor=flagger, post=post, reason=FlagReason.OFF_TOPIC)
    item = ReviewItem.objects.get(post=post)
    services.item_decide(actor=moderator, item=item, action="hide", reason="Off-topic")
    community_services.post_edit(actor=author, post=post, body="Back on topic: descale monthly.")

    item.refresh_from_db()
    assert (item.kind, item.status) == (ItemKind.RECHECK, ItemStatus.PENDING)
    assert selectors.review_queue(user=moderator).items == [item]
    post.refresh_from_db()
    assert post.state == ContentState.HIDDEN


def test_bulk_decisions_apply_each_item_on_its_own(
    member, make_members, make_post, moderator, second_moderator
):
    posts = [make_post(author) for author in make_members(3)]
    for post in posts:
        services.flag_create(actor=member, post=post, reason=FlagReason.SPAM)
    items = list(ReviewItem.objects.order_by("pk"))
    services.item_claim(actor=second_moderator, item=items[1])

    result = services.items_decide_bulk(
        actor=moderator, items=items, action="remove", reason="Spam"
    )

    assert result.decided == [items[0].pk, items[2].pk]
    assert "already reviewing" in result.refused[items[1].pk]
    states = [
        p.state for p in type(posts[0]).objects.filter(pk__in=[p.pk for p in posts]).order_by("pk")
    ]
    assert states == ["removed", "visible", "removed"]


def test_bulk_refuses_actions_that_need_details(moderator):
    with pytest.raises(ValidationError):
        services.items_decide_bulk(actor=moderator, items=[], action="move")


def test_members_are_silenced_after_three_posts_hidden_by_flags_in_a_day(
    off_duty, make_members, make_post, author, moderation_events
):
    flaggers = make_members(3)
    posts = [make_post(author, body=f"Provocation number {n}") for n in range(3)]
    for post in posts:
        for flagger in flaggers:
            services.flag_create(actor=flagger, post=post, reason=FlagReason.OFF_TOPIC)
    sanction = Sanction.objects.get(member=author)
    assert (sanction.kind, sanction.automatic, sanction.created_by) == ("silence", True, None)
    assert moderation_events["member_sanctioned"][0]["automatic"] is True


def _flagged_by(count, post, make_members):
    for flagger in make_members(count):
        services.flag_create(actor=flagger, post=post, reason=FlagReason.OFF_TOPIC)
    return ReviewItem.objects.get(post=post)


def test_deciding_costs_the_same_queries_with_5_or_50_flags(
    on_duty, settings, make_members, make_post, moderator
):
    settings.MODERATION_HIDE_SCORE = 1000.0
    small = _flagged_by(5, make_post(make_members(1)[0]), make_members)
    large = _flagged_by(50, make_post(make_members(1)[0]), make_members)
    assert large.flag_count == 50

    # Permissions are cached across requests (accounts.backends): warm that cache first, so
    # both decisions are measured alike, each with a fresh user object as in a new request.
    type(moderator).objects.get(pk=moderator.pk).has_perm("accounts.moderate")
    counts = []
    for item in (small, large):
        actor = type(moderator).objects.get(pk=moderator.pk)
        with CaptureQueriesContext(connection) as queries:
            services.item_decide(actor=actor, item=item, action="hide", reason="Off-topic")
        counts.append(len(queries))
    assert counts[0] == counts[1]
    assert FlaggerRecord.objects.filter(agreed=1).count() == 55


def test_deciding_is_one_transaction(
    monkeypatch, settings, on_duty, make_members, make_post, moderator
):
    settings.MODERATION_HIDE_SCORE = 1000.0
    post = make_post(make_members(1)[0])
    item = _flagged_by(50, post, make_members)

    def fail(*args, **kwargs):
        raise RuntimeError("a receiver broke")

    monkeypatch.setattr(events.decision_made, "send", fail)
    with pytest.raises(RuntimeError):
        services.item_decide(actor=moderator, item=item, action="remove", reason="Off-topic")

    post.refresh_from_db()
    item.refresh_from_db()
    assert post.state == ContentState.VISIBLE
    assert item.status == ItemStatus.PENDING
    assert item.flags.filter(status=FlagStatus.PENDING).count() == 50
    assert not FlaggerRecord.objects.filter(agreed__gt=0).exists()
