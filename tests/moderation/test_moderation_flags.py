"""Flags: who may flag, once, how many a day, with what, and where a flag goes."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from community.models import ContentState
from moderation import selectors, services
from moderation.models import (
    Flag,
    FlagReason,
    FlagStatus,
    ItemKind,
    ReviewItem,
    Sanction,
    StaffRequest,
)


def test_flag_create_stores_the_flag_and_scores_the_review_item(member, post, moderation_events):
    flag = services.flag_create(actor=member, post=post, reason=FlagReason.OFF_TOPIC)

    item = ReviewItem.objects.get(post=post)
    assert flag.item == item
    assert flag.weight == 2.0  # 1 + trust level 1
    assert (item.score, item.flag_count, item.kind) == (2.0, 1, ItemKind.FLAGGED)
    [event] = moderation_events["content_flagged"]
    assert event["flag_id"] == flag.pk
    assert event["routed_to"] == "moderators"
    assert event["hidden"] is False


def test_trust_level_zero_member_cannot_flag_by_default(newcomer, post):
    with pytest.raises(PermissionDenied, match="trust level 1"):
        services.flag_create(actor=newcomer, post=post, reason=FlagReason.SPAM)
    assert not Flag.objects.exists()


def test_the_flagging_trust_level_is_a_setting(settings, newcomer, post):
    settings.MODERATION_MIN_TRUST_TO_FLAG = 0
    flag = services.flag_create(actor=newcomer, post=post, reason=FlagReason.SPAM)
    assert flag.weight == 2.0  # 1 + trust level 0 + spam bonus 1


def test_second_flag_by_same_member_is_refused_with_a_clear_message(member, post):
    services.flag_create(actor=member, post=post, reason=FlagReason.SPAM)
    with pytest.raises(ValidationError, match="already flagged") as refused:
        services.flag_create(actor=member, post=post, reason=FlagReason.ABUSIVE)
    assert refused.value.code == "already_flagged"
    assert Flag.objects.count() == 1
    assert ReviewItem.objects.get(post=post).flag_count == 1


def test_the_database_refuses_a_second_flag_by_the_same_member(member, post):
    services.flag_create(actor=member, post=post, reason=FlagReason.SPAM)
    with pytest.raises(IntegrityError), transaction.atomic():
        Flag.objects.create(
            post=post, flagger=member, flagger_name=member.username, reason=FlagReason.SPAM
        )


def test_flagging_a_topic_flags_its_first_post_once(member, topic):
    services.flag_create(actor=member, topic=topic, reason=FlagReason.INAPPROPRIATE)
    first_post = topic.posts.get(number=1)
    assert Flag.objects.get().post == first_post
    assert Flag.objects.get().on_topic
    with pytest.raises(ValidationError):
        services.flag_create(actor=member, post=first_post, reason=FlagReason.SPAM)


def test_daily_flag_limit_by_trust_level(settings, make_members, make_post, member):
    settings.MODERATION_DAILY_FLAG_LIMITS = {1: 2}
    authors = make_members(3)
    posts = [make_post(author) for author in authors]
    services.flag_create(actor=member, post=posts[0], reason=FlagReason.SPAM)
    services.flag_create(actor=member, post=posts[1], reason=FlagReason.SPAM)
    with pytest.raises(services.FlagLimitReached, match="limit of 2 flags per day"):
        services.flag_create(actor=member, post=posts[2], reason=FlagReason.SPAM)
    assert Flag.objects.filter(flagger=member).count() == 2


def test_staff_have_no_daily_flag_limit(settings, make_members, make_post, moderator):
    settings.MODERATION_DAILY_FLAG_LIMITS = {4: 1, 3: 1}
    posts = [make_post(author) for author in make_members(2)]
    for post in posts:
        services.flag_create(actor=moderator, post=post, reason=FlagReason.SPAM)
    assert Flag.objects.filter(flagger=moderator).count() == 2


def test_something_else_needs_a_note(member, post):
    with pytest.raises(ValidationError) as refused:
        services.flag_create(actor=member, post=post, reason=FlagReason.OTHER, note="  ")
    assert "note" in refused.value.message_dict
    flag = services.flag_create(
        actor=member, post=post, reason=FlagReason.OTHER, note="Posted in three topics."
    )
    assert flag.note == "Posted in three topics."


def test_an_unknown_reason_is_refused(member, post):
    with pytest.raises(ValidationError) as refused:
        services.flag_create(actor=member, post=post, reason="boring")
    assert "reason" in refused.value.message_dict


def test_members_cannot_flag_their_own_post(author, post):
    with pytest.raises(PermissionDenied, match="your own post"):
        services.flag_create(actor=author, post=post, reason=FlagReason.SPAM)


def test_needs_an_official_answer_goes_to_the_staff_queue_not_the_moderators(
    member, post, moderator, brand_staff, moderation_events
):
    flag = services.flag_create(
        actor=member, post=post, reason=FlagReason.NEEDS_OFFICIAL_ANSWER, note="Warranty?"
    )

    assert flag.status == FlagStatus.ROUTED
    assert flag.item is None
    assert not ReviewItem.objects.exists()
    assert selectors.review_queue(user=moderator).total == 0
    [request] = selectors.staff_queue(user=brand_staff)
    assert request.topic == post.topic
    assert request.team.name == "Brand staff"
    assert request.due_at > request.requested_at
    assert moderation_events["content_flagged"][0]["routed_to"] == "staff"
    assert moderation_events["staff_request_opened"][0]["request_id"] == request.pk


def test_more_official_answer_requests_count_on_the_same_open_request(make_members, post):
    for flagger in make_members(2):
        services.flag_create(actor=flagger, post=post, reason=FlagReason.NEEDS_OFFICIAL_ANSWER)
    request = StaffRequest.objects.get()
    assert request.request_count == 2


def test_brand_staff_reply_stops_the_official_answer_clock(member, post, brand_staff, make_post):
    services.flag_create(actor=member, post=post, reason=FlagReason.NEEDS_OFFICIAL_ANSWER)
    answer = make_post(brand_staff, body="Official: the warranty covers two years.")

    request = StaffRequest.objects.get()
    assert request.status == StaffRequest.Status.ANSWERED
    assert request.answer_post == answer
    assert request.answered_by == brand_staff
    assert not selectors.staff_queue(user=brand_staff).exists()


def test_members_cannot_see_the_staff_queue(member):
    with pytest.raises(PermissionDenied):
        selectors.staff_queue(user=member)


def test_a_moderator_escalates_a_topic_to_staff(moderator, topic, brand_staff):
    request = services.topic_escalate_to_staff(actor=moderator, topic=topic, note="Pricing")
    assert request.source == StaffRequest.Source.ESCALATION
    assert list(selectors.staff_queue(user=brand_staff)) == [request]


def test_profile_flags_reach_global_moderators_only(member, author, moderator, category_moderator):
    services.flag_create(actor=member, member=author, reason=FlagReason.SPAM)
    item = ReviewItem.objects.get(member=author)
    assert selectors.review_queue(user=moderator).items == [item]
    assert selectors.review_queue(user=category_moderator).items == []


def test_a_silenced_member_cannot_flag(member, post, moderator):
    services.sanction_create(
        actor=moderator, member=member, kind=Sanction.Kind.SILENCE, days=1, reason="Cool off"
    )
    with pytest.raises(PermissionDenied, match="restricted"):
        services.flag_create(actor=member, post=post, reason=FlagReason.SPAM)


def test_a_hidden_post_cannot_be_flagged_again(off_duty, make_members, post):
    first, second, third, fourth = make_members(4)
    for flagger in (first, second, third):
        services.flag_create(actor=flagger, post=post, reason=FlagReason.OFF_TOPIC)
    post.refresh_from_db()
    assert post.state == ContentState.HIDDEN
    with pytest.raises(ValidationError, match="already hidden"):
        services.flag_create(actor=fourth, post=post, reason=FlagReason.SPAM)


def test_the_flagger_sees_their_flag_received_then_its_outcome(member, post, moderator):
    services.flag_create(actor=member, post=post, reason=FlagReason.SPAM)
    [mine] = selectors.flags_list_for_member(user=member)
    assert mine.status == FlagStatus.PENDING

    item = ReviewItem.objects.get(post=post)
    services.item_decide(actor=moderator, item=item, action="remove", reason="Spam link.")
    [mine] = selectors.flags_list_for_member(user=member)
    assert mine.status == FlagStatus.AGREED
    assert mine.resolved_at is not None


def test_the_author_cannot_see_who_flagged_them(off_duty, make_members, author, post):
    flaggers = make_members(3)
    for flagger in flaggers:
        services.flag_create(actor=flagger, post=post, reason=FlagReason.OFF_TOPIC)

    history = selectors.moderation_history_for_member(user=author)
    shown = repr(history)
    assert history
    assert all(flagger.username not in shown for flagger in flaggers)
    assert {entry.attributed_to for entry in history} == {"the community's flags"}
    assert list(selectors.flags_list_for_member(user=author)) == []
    with pytest.raises(PermissionDenied):
        selectors.review_queue(user=author)
    with pytest.raises(PermissionDenied):
        selectors.item_get_for_moderator(user=author, item_id=ReviewItem.objects.get().pk)
