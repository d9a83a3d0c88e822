"""ideas.services: proposing, supporting, budgets, statuses, merges and vote reviews."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from community import services as community_services
from community.models import Topic, TopicKind
from community.services import RateLimited
from ideas import events, selectors, services
from ideas.models import (
    Idea,
    IdeaStatus,
    IdeaStatusChange,
    IdeaVote,
    VoteReviewDecision,
)
from ideas.services import VoteBudgetSpent

pytestmark = pytest.mark.django_db


# --- Proposing -------------------------------------------------------------------------------


def test_idea_create_makes_an_idea_topic_and_its_row_with_the_same_id(member, category):
    idea = services.idea_create(
        actor=member,
        category=category,
        title="Keep the water warm at 80 degrees",
        body="For a second cup of green tea.",
        tags="aurora, tea",
    )
    topic = Topic.objects.get(pk=idea.pk)
    assert topic.kind == TopicKind.IDEA
    assert idea.topic_id == topic.pk == idea.pk
    assert idea.status == IdeaStatus.OPEN
    assert idea.vote_count == 0
    assert sorted(topic.tags.values_list("slug", flat=True)) == ["aurora", "tea"]


def test_an_idea_topic_from_the_generic_composer_gets_its_idea_row(member, category):
    topic = community_services.topic_create(
        actor=member, category=category, title="Idea from the composer", body="Body", kind="idea"
    )
    assert Idea.objects.filter(pk=topic.pk).exists()


def test_a_discussion_topic_gets_no_idea_row(member, category):
    topic = community_services.topic_create(
        actor=member, category=category, title="Just a discussion", body="Body", kind="discussion"
    )
    assert not Idea.objects.filter(pk=topic.pk).exists()


def test_idea_create_with_bad_input_saves_nothing(member, category):
    with pytest.raises(ValidationError) as caught:
        services.idea_create(actor=member, category=category, title="short", body="")
    assert {"title", "body"} <= set(caught.value.message_dict)
    assert not Topic.objects.exists()
    assert not Idea.objects.exists()


def test_idea_create_refuses_anonymous(category):
    from django.contrib.auth.models import AnonymousUser

    with pytest.raises(PermissionDenied):
        services.idea_create(
            actor=AnonymousUser(), category=category, title="A long enough title", body="Body"
        )


# --- Supporting ------------------------------------------------------------------------------


def test_support_and_withdraw_change_the_count(make_idea, other_member, captured_events):
    idea = make_idea()
    idea = services.idea_vote_cast(actor=other_member, idea=idea, value=1)
    assert (idea.vote_count, idea.my_vote) == (1, 1)
    again = services.idea_vote_cast(actor=other_member, idea=idea, value=1)
    assert again.vote_count == 1  # one support per member
    assert IdeaVote.objects.filter(idea=idea).count() == 1
    idea = services.idea_vote_cast(actor=other_member, idea=idea, value=0)
    assert (idea.vote_count, idea.my_vote) == (0, 0)
    assert not IdeaVote.objects.exists()
    assert [e["new_value"] for e in captured_events["idea_vote_changed"]] == [1, 0]


def test_support_refuses_bad_values(make_idea, other_member):
    idea = make_idea()
    for value in (2, -1, True, "1"):
        with pytest.raises(ValidationError):
            services.idea_vote_cast(actor=other_member, idea=idea, value=value)


def test_the_proposer_cannot_support_their_own_idea(make_idea, member):
    idea = make_idea(author=member)
    with pytest.raises(PermissionDenied, match="You proposed this idea"):
        services.idea_vote_cast(actor=member, idea=idea, value=1)


def test_closed_ideas_take_no_more_supports(make_idea, staff, other_member):
    idea = make_idea()
    services.idea_status_set(actor=staff, idea=idea, status="declined", response="Not for now.")
    with pytest.raises(PermissionDenied, match="closed"):
        services.idea_vote_cast(actor=other_member, idea=idea, value=1)


def test_the_voter_network_is_stored_never_the_address(make_idea, other_member):
    idea = make_idea()
    services.idea_vote_cast(actor=other_member, idea=idea, value=1, ip_network="203.0.113.77")
    assert IdeaVote.objects.get().ip_network == "203.0.113.0/24"


def test_daily_vote_limit_applies_to_supports(settings, make_idea, make_members, member):
    settings.COMMUNITY_DAILY_LIMITS = {"votes": {1: 2}}
    ideas = [make_idea(author=author) for author in make_members(3)]
    services.idea_vote_cast(actor=member, idea=ideas[0], value=1)
    services.idea_vote_cast(actor=member, idea=ideas[1], value=1)
    with pytest.raises(RateLimited) as caught:
        services.idea_vote_cast(actor=member, idea=ideas[2], value=1)
    assert caught.value.retry_after > 0


# --- Vote budgets ----------------------------------------------------------------------------


def test_with_a_budget_of_three_a_fourth_support_is_refused_clearly(
    make_idea, make_members, member, staff, category
):
    services.idea_category_settings_set(
        actor=staff, category=category, vote_budget=3, roadmap_public=True
    )
    ideas = [make_idea(author=author) for author in make_members(4)]
    for idea in ideas[:3]:
        services.idea_vote_cast(actor=member, idea=idea, value=1)
    with pytest.raises(VoteBudgetSpent) as caught:
        services.idea_vote_cast(actor=member, idea=ideas[3], value=1)
    message = " ".join(caught.value.messages)
    assert "all 3 of your votes" in message and "Aurora kettles" in message
    assert not IdeaVote.objects.filter(idea=ideas[3]).exists()
    ideas[3].refresh_from_db()
    assert ideas[3].vote_count == 0

    # Shipping one of the three gives the vote back.
    services.idea_status_set(actor=staff, idea=ideas[0], status="shipped", response="Done!")
    assert selectors.member_vote_budget(user=member, category=category).remaining == 1
    idea = services.idea_vote_cast(actor=member, idea=ideas[3], value=1)
    assert idea.vote_count == 1


def test_withdrawing_and_declining_give_votes_back(
    make_idea, make_members, member, staff, category
):
    services.idea_category_settings_set(
        actor=staff, category=category, vote_budget=1, roadmap_public=True
    )
    first, second, third = (make_idea(author=a) for a in make_members(3))
    services.idea_vote_cast(actor=member, idea=first, value=1)
    with pytest.raises(VoteBudgetSpent):
        services.idea_vote_cast(actor=member, idea=second, value=1)
    services.idea_vote_cast(actor=member, idea=first, value=0)
    services.idea_vote_cast(actor=member, idea=second, value=1)
    services.idea_status_set(actor=staff, idea=second, status="declined", response="No.")
    services.idea_vote_cast(actor=member, idea=third, value=1)


def test_a_budget_counts_one_category_only(
    make_idea, make_members, member, staff, category, other_category
):
    services.idea_category_settings_set(
        actor=staff, category=category, vote_budget=1, roadmap_public=True
    )
    author_a, author_b = make_members(2)
    services.idea_vote_cast(actor=member, idea=make_idea(author=author_a), value=1)
    elsewhere = make_idea(author=author_b, category=other_category)
    assert services.idea_vote_cast(actor=member, idea=elsewhere, value=1).vote_count == 1


@pytest.mark.parametrize("budget", [0, -1, 1001, True, "3"])
def test_category_settings_refuse_bad_budgets(staff, category, budget):
    with pytest.raises(ValidationError):
        services.idea_category_settings_set(
            actor=staff, category=category, vote_budget=budget, roadmap_public=True
        )


def test_members_cannot_change_category_settings(member, category):
    with pytest.raises(PermissionDenied):
        services.idea_category_settings_set(
            actor=member, category=category, vote_budget=3, roadmap_public=True
        )


# --- Statuses and official responses ---------------------------------------------------------


def test_staff_set_a_status_with_an_official_response(make_idea, staff, captured_events):
    idea = make_idea()
    idea = services.idea_status_set(
        actor=staff, idea=idea, status="planned", response="On the **roadmap** for spring."
    )
    assert idea.status == IdeaStatus.PLANNED
    assert "<strong>roadmap</strong>" in idea.official_response_html
    assert idea.responded_by_name == staff.username
    assert idea.status_changed_at is not None
    change = IdeaStatusChange.objects.get(idea=idea)
    assert (change.old_status, change.new_status) == ("open", "planned")
    assert change.response == "On the **roadmap** for spring."
    assert captured_events["idea_status_changed"] == [
        {
            "idea_id": idea.pk,
            "old_status": "open",
            "new_status": "planned",
            "response": "On the **roadmap** for spring.",
            "actor_id": staff.pk,
        }
    ]


@pytest.mark.parametrize("who", ["member", "other_member", "moderator"])
def test_only_brand_staff_change_statuses(request, make_idea, who):
    idea = make_idea()
    actor = request.getfixturevalue(who)
    with pytest.raises(PermissionDenied):
        services.idea_status_set(actor=actor, idea=idea, status="planned", response="Yes!")
    idea.refresh_from_db()
    assert idea.status == IdeaStatus.OPEN
    assert not IdeaStatusChange.objects.exists()


def test_administrators_count_as_staff(make_idea, make_members):
    (admin,) = make_members(1, administrator=True)
    idea = services.idea_status_set(
        actor=admin, idea=make_idea(), status="under_review", response="Looking."
    )
    assert idea.status == IdeaStatus.UNDER_REVIEW


@pytest.mark.parametrize(
    ("status", "response", "release_note", "field"),
    [
        ("planned", "", "", "response"),
        ("planned", "   ", "", "response"),
        ("nonsense", "ok", "", "status"),
        ("duplicate", "ok", "", "status"),
        ("planned", "ok", "Version 2", "release_note"),
        ("planned", "x" * 5001, "", "response"),
    ],
)
def test_status_changes_refuse_bad_input(make_idea, staff, status, response, release_note, field):
    idea = make_idea()
    with pytest.raises(ValidationError) as caught:
        services.idea_status_set(
            actor=staff, idea=idea, status=status, response=response, release_note=release_note
        )
    assert field in caught.value.message_dict
    assert not IdeaStatusChange.objects.exists()


def test_shipping_sets_the_release_note_and_leaving_shipped_clears_the_date(make_idea, staff):
    idea = make_idea()
    idea = services.idea_status_set(
        actor=staff, idea=idea, status="shipped", response="Done", release_note="In **v2.4**."
    )
    assert idea.shipped_at is not None
    assert "<strong>v2.4</strong>" in idea.release_note_html
    idea = services.idea_status_set(actor=staff, idea=idea, status="in_progress", response="Oops")
    assert idea.shipped_at is None


def test_same_status_updates_the_response_without_announcing(make_idea, staff, captured_events):
    idea = make_idea()
    services.idea_status_set(actor=staff, idea=idea, status="planned", response="Yes")
    services.idea_status_set(actor=staff, idea=idea, status="planned", response="Yes, in May")
    services.idea_status_set(actor=staff, idea=idea, status="planned", response="Yes, in May")
    idea.refresh_from_db()
    assert idea.official_response == "Yes, in May"
    assert IdeaStatusChange.objects.filter(idea=idea).count() == 2
    assert len(captured_events["idea_status_changed"]) == 1


def test_a_failing_receiver_rolls_the_status_change_back(make_idea, staff):
    idea = make_idea()

    def boom(sender, **kwargs):
        raise RuntimeError("receiver bug")

    events.idea_status_changed.connect(boom, weak=False)
    try:
        with pytest.raises(RuntimeError):
            services.idea_status_set(actor=staff, idea=idea, status="planned", response="Yes")
    finally:
        events.idea_status_changed.disconnect(boom)
    idea.refresh_from_db()
    assert idea.status == IdeaStatus.OPEN
    assert not IdeaStatusChange.objects.exists()


# --- Merging ---------------------------------------------------------------------------------


def test_merge_moves_supports_counting_shared_voters_once(
    make_idea, make_members, staff, captured_events
):
    a_voters = make_members(50)
    b_voters = a_voters[:10] + make_members(20)
    target = make_idea(title="Keep the water warm at a chosen temperature")
    source = make_idea(title="Keep-warm mode at 80 degrees")
    for voter in a_voters:
        services.idea_vote_cast(actor=voter, idea=target, value=1)
    for voter in b_voters:
        services.idea_vote_cast(actor=voter, idea=source, value=1)
    source.refresh_from_db()
    assert source.vote_count == 30

    target = services.idea_merge(actor=staff, source=source, target=target, response="Same idea.")
    source.refresh_from_db()
    assert target.vote_count == 70
    assert IdeaVote.objects.filter(idea=target).count() == 70
    assert source.status == IdeaStatus.DUPLICATE
    assert source.merged_into_id == target.pk
    assert source.vote_count == 0
    assert not IdeaVote.objects.filter(idea=source).exists()
    assert source.official_response == "Same idea."
    assert IdeaStatusChange.objects.get(idea=source).new_status == IdeaStatus.DUPLICATE
    assert captured_events["idea_merged"] == [
        {"source_id": source.pk, "target_id": target.pk, "actor_id": staff.pk}
    ]
    assert captured_events["idea_status_changed"] == []
    # The duplicate's voters are still found, to be told.
    audience = selectors.idea_audience(source.pk)
    assert {voter.pk for voter in b_voters} <= audience


def test_merge_refuses_members_and_nonsense(make_idea, member, staff):
    first, second = make_idea(), make_idea()
    with pytest.raises(PermissionDenied):
        services.idea_merge(actor=member, source=first, target=second)
    with pytest.raises(ValidationError):
        services.idea_merge(actor=staff, source=first, target=first)
    services.idea_merge(actor=staff, source=first, target=second)
    with pytest.raises(ValidationError):
        services.idea_merge(actor=staff, source=first, target=second)  # already merged
    third = make_idea()
    with pytest.raises(ValidationError):
        services.idea_merge(actor=staff, source=third, target=first)  # first is merged
    with pytest.raises(ValidationError):
        services.idea_status_set(actor=staff, idea=first, status="open", response="Back")


def test_merge_keeps_chains_flat(make_idea, staff):
    first, second, third = make_idea(), make_idea(), make_idea()
    services.idea_merge(actor=staff, source=first, target=second)
    services.idea_merge(actor=staff, source=second, target=third)
    first.refresh_from_db()
    assert first.merged_into_id == third.pk


def test_merge_drops_the_target_proposers_support(make_idea, make_members, staff):
    target_author, fan = make_members(2)
    target = make_idea(author=target_author)
    source = make_idea()
    services.idea_vote_cast(actor=target_author, idea=source, value=1)
    services.idea_vote_cast(actor=fan, idea=source, value=1)
    target = services.idea_merge(actor=staff, source=source, target=target)
    assert target.vote_count == 1
    assert list(IdeaVote.objects.filter(idea=target).values_list("user", flat=True)) == [fan.pk]


def test_merge_is_one_transaction(make_idea, make_members, staff):
    voters = make_members(3)
    target, source = make_idea(), make_idea()
    for voter in voters:
        services.idea_vote_cast(actor=voter, idea=source, value=1)

    def boom(sender, **kwargs):
        raise RuntimeError("receiver bug")

    events.idea_merged.connect(boom, weak=False)
    try:
        with pytest.raises(RuntimeError):
            services.idea_merge(actor=staff, source=source, target=target)
    finally:
        events.idea_merged.disconnect(boom)
    source.refresh_from_db()
    target.refresh_from_db()
    assert (source.status, source.vote_count, source.merged_into_id) == ("open", 3, None)
    assert target.vote_count == 0
    assert IdeaVote.objects.filter(idea=source).count() == 3


def test_the_database_refuses_two_supports_by_one_member(make_idea, other_member):
    idea = make_idea()
    services.idea_vote_cast(actor=other_member, idea=idea, value=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        IdeaVote.objects.create(idea=idea, user=other_member)


# --- Vote reviews ----------------------------------------------------------------------------


def test_staff_discount_and_restore_supports_with_a_logged_reason(make_idea, make_members, staff):
    voters = make_members(4)
    idea = make_idea()
    for voter in voters:
        services.idea_vote_cast(actor=voter, idea=idea, value=1)
    decision = services.idea_vote_discount(
        actor=staff, idea=idea, user_ids=[voters[0].pk, voters[1].pk], reason="Vote ring"
    )
    idea.refresh_from_db()
    assert idea.vote_count == 2
    assert decision.action == VoteReviewDecision.Action.DISCOUNT
    assert decision.voter_ids == sorted([voters[0].pk, voters[1].pk])
    vote = IdeaVote.objects.get(idea=idea, user=voters[0])
    assert (vote.discounted, vote.discounted_by_name, vote.discounted_reason) == (
        True,
        staff.username,
        "Vote ring",
    )
    # A discounted support withdrawn does not lower the count twice.
    services.idea_vote_cast(actor=voters[0], idea=idea, value=0)
    idea.refresh_from_db()
    assert idea.vote_count == 2
    services.idea_vote_restore(actor=staff, idea=idea, user_ids=[voters[1].pk], reason="Checked")
    idea.refresh_from_db()
    assert idea.vote_count == 3
    assert VoteReviewDecision.objects.filter(idea=idea).count() == 2


def test_vote_reviews_refuse_members_and_need_a_reason(make_idea, other_member, member, staff):
    idea = make_idea(author=member)
    services.idea_vote_cast(actor=other_member, idea=idea, value=1)
    with pytest.raises(PermissionDenied):
        services.idea_vote_discount(actor=member, idea=idea, user_ids=[other_member.pk], reason="x")
    with pytest.raises(ValidationError) as caught:
        services.idea_vote_discount(actor=staff, idea=idea, user_ids=[], reason="")
    assert {"voters", "reason"} <= set(caught.value.message_dict)
    with pytest.raises(ValidationError):
        services.idea_vote_discount(actor=staff, idea=idea, user_ids=[99999], reason="ring")
    assert not VoteReviewDecision.objects.exists()


def test_recount_ideas_repairs_counts_and_missing_rows(make_idea, other_member, category, member):
    from io import StringIO

    from django.core.management import call_command

    idea = make_idea()
    services.idea_vote_cast(actor=other_member, idea=idea, value=1)
    Idea.objects.filter(pk=idea.pk).update(vote_count=42)
    orphan = community_services.topic_create(
        actor=member, category=category, title="An orphan idea topic", body="x", kind="idea"
    )
    Idea.objects.filter(pk=orphan.pk).delete()
    out = StringIO()
    call_command("recount_ideas", stdout=out)
    idea.refresh_from_db()
    assert idea.vote_count == 42  # dry run
    call_command("recount_ideas", "--apply", stdout=out)
    idea.refresh_from_db()
    assert idea.vote_count == 1
    assert Idea.objects.filter(pk=orphan.pk).exists()
