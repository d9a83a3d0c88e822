"""The issue's acceptance scenarios, at the service level (the notification side — one
notification per member of ``idea_audience`` — is asserted end to end once notifications
listens to ``ideas.events``)."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from ideas import selectors, services
from ideas.models import IdeaStatus, IdeaVote
from ideas.services import VoteBudgetSpent

pytestmark = pytest.mark.django_db


def test_propose_with_suggestions_then_fifty_supports_planned_and_shipped(
    make_idea, make_members, member, staff, category, captured_events
):
    make_idea(title="Keep the water warm for a second cup")
    # While the member types, similar ideas are suggested.
    suggestions = selectors.similar_ideas(user=member, query="Keep water warm at 70")
    assert [idea.topic.title for idea in suggestions] == ["Keep the water warm for a second cup"]

    idea = services.idea_create(
        actor=member,
        category=category,
        title="A keep-warm mode at 70 degrees for baby formula",
        body="Boil to sterilise, then hold at 70 °C and beep.",
    )
    voters = make_members(50)
    for voter in voters:
        idea = services.idea_vote_cast(actor=voter, idea=idea, value=1)
    assert idea.vote_count == 50

    idea = services.idea_status_set(
        actor=staff,
        idea=idea,
        status=IdeaStatus.PLANNED,
        response="Planned for the next Aurora firmware.",
    )
    # Everyone who proposed or supported it: 51 distinct members, each once.
    audience = selectors.idea_audience(idea.pk)
    assert audience == {member.pk} | {voter.pk for voter in voters}
    assert len(audience) == 51
    assert captured_events["idea_status_changed"] == [
        {
            "idea_id": idea.pk,
            "old_status": "open",
            "new_status": "planned",
            "response": "Planned for the next Aurora firmware.",
            "actor_id": staff.pk,
        }
    ]

    services.idea_status_set(
        actor=staff,
        idea=idea,
        status=IdeaStatus.SHIPPED,
        response="Shipped!",
        release_note="Aurora firmware 2.5: keep-warm at 70 °C.",
    )
    changelog = list(selectors.changelog(user=None))
    assert [entry.pk for entry in changelog] == [idea.pk]
    assert "keep-warm at 70" in changelog[0].release_note_html
    assert [column.ideas for column in selectors.roadmap(user=None)][2][0].pk == idea.pk
    assert len(captured_events["idea_status_changed"]) == 2


def test_merging_b_with_thirty_supports_into_a_with_fifty(
    make_idea, make_members, staff, captured_events
):
    a_voters = make_members(50)
    b_voters = a_voters[:10] + make_members(20)
    a, b = make_idea(title="Idea A: keep-warm mode"), make_idea(title="Idea B: keep warm at 80")
    for voter in a_voters:
        services.idea_vote_cast(actor=voter, idea=a, value=1)
    for voter in b_voters:
        services.idea_vote_cast(actor=voter, idea=b, value=1)

    a = services.idea_merge(actor=staff, source=b, target=a)
    b.refresh_from_db()
    assert a.vote_count == 70
    assert IdeaVote.objects.filter(idea=a).values("user").distinct().count() == 70
    assert b.merged_into_id == a.pk and b.status == IdeaStatus.DUPLICATE
    assert captured_events["idea_merged"] == [
        {"source_id": b.pk, "target_id": a.pk, "actor_id": staff.pk}
    ]
    # B's voters are told: all thirty are in B's audience.
    assert {voter.pk for voter in b_voters} <= selectors.idea_audience(b.pk)


def test_a_budget_of_three_refuses_the_fourth_and_shipping_gives_one_back(
    make_idea, make_members, member, staff, category
):
    services.idea_category_settings_set(
        actor=staff, category=category, vote_budget=3, roadmap_public=True
    )
    ideas = [make_idea(author=author) for author in make_members(4)]
    for idea in ideas[:3]:
        services.idea_vote_cast(actor=member, idea=idea, value=1)
    with pytest.raises(VoteBudgetSpent, match="all 3 of your votes"):
        services.idea_vote_cast(actor=member, idea=ideas[3], value=1)
    services.idea_status_set(actor=staff, idea=ideas[1], status="shipped", response="Done")
    assert services.idea_vote_cast(actor=member, idea=ideas[3], value=1).my_vote == 1


def test_members_cannot_change_statuses_or_respond_officially(make_idea, member, other_member):
    idea = make_idea(author=member)
    for actor in (member, other_member):
        with pytest.raises(PermissionDenied):
            services.idea_status_set(actor=actor, idea=idea, status="planned", response="Me!")
        with pytest.raises(PermissionDenied):
            services.idea_merge(actor=actor, source=idea, target=make_idea())
    idea.refresh_from_db()
    assert (idea.status, idea.official_response) == ("open", "")
