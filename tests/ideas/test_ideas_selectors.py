"""ideas.selectors: the board, similar ideas, roadmap, changelog, insight and audiences."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.http import Http404
from django.utils import timezone

from accounts.models import User
from community import services as community_services
from community.models import NotificationLevel
from ideas import selectors, services
from ideas.models import Idea, IdeaVote
from tests.factories import CategoryFactory

pytestmark = pytest.mark.django_db


def _titles(ideas) -> list[str]:
    return [idea.topic.title for idea in ideas]


def test_trending_ranks_recent_supports_top_ranks_all_supports(make_idea, make_members, support):
    voters = make_members(5)
    old_favourite = support(make_idea(title="An old favourite idea"), voters)
    IdeaVote.objects.filter(idea=old_favourite).update(
        created_at=timezone.now() - timedelta(days=30)
    )
    rising = support(make_idea(title="A rising idea this week"), voters[:2])
    anonymous = AnonymousUser()
    trending = list(selectors.idea_board(user=anonymous, ordering="trending"))
    top = list(selectors.idea_board(user=anonymous, ordering="top"))
    assert _titles(trending)[0] == rising.topic.title
    assert trending[0].recent_votes == 2
    assert _titles(top)[0] == old_favourite.topic.title
    assert _titles(selectors.idea_board(user=anonymous, ordering="new"))[0] == rising.topic.title
    assert len(list(selectors.idea_board(user=anonymous, ordering="bogus"))) == 2


def test_recently_updated_counts_status_changes(make_idea, staff):
    first = make_idea(title="First idea proposed here")
    make_idea(title="Second idea proposed here")
    services.idea_status_set(actor=staff, idea=first, status="planned", response="Yes")
    board = selectors.idea_board(user=None, ordering="updated")
    assert _titles(board)[0] == first.topic.title


def test_board_filters_by_status_category_tag_and_search(
    make_idea, staff, category, other_category
):
    child = CategoryFactory(name="Aurora mini", slug="aurora-mini", parent=category)
    planned = make_idea(title="Keep the water warm", tags="tea")
    make_idea(title="A matte black finish", category=child)
    make_idea(title="Two coffee profiles", category=other_category)
    services.idea_status_set(actor=staff, idea=planned, status="planned", response="Yes")

    def board(**filters):
        return _titles(selectors.idea_board(user=None, ordering="new", filters=filters))

    assert board(status="planned") == ["Keep the water warm"]
    assert set(board(category="aurora")) == {"Keep the water warm", "A matte black finish"}
    assert board(tag="tea") == ["Keep the water warm"]
    assert board(q="WATER warm") == ["Keep the water warm"]
    assert board(status="bogus", challenge="x") == board()  # bad filters are left out
    in_category = selectors.idea_board(user=None, category=category, ordering="new")
    assert "Two coffee profiles" not in _titles(in_category)


def test_board_leaves_merged_duplicates_out_unless_asked(make_idea, staff):
    source, target = make_idea(title="The duplicate idea"), make_idea(title="The original idea")
    services.idea_merge(actor=staff, source=source, target=target)
    assert _titles(selectors.idea_board(user=None)) == ["The original idea"]
    assert _titles(selectors.idea_board(user=None, filters={"status": "duplicate"})) == [
        "The duplicate idea"
    ]


def test_board_marks_my_supports(make_idea, other_member):
    supported, other = make_idea(), make_idea()
    services.idea_vote_cast(actor=other_member, idea=supported, value=1)
    mine = {idea.pk: idea.my_vote for idea in selectors.idea_board(user=other_member)}
    assert mine == {supported.pk: True, other.pk: False}


def test_held_ideas_are_off_the_board_and_404_to_others(make_idea, member, other_member):
    idea = make_idea(author=member)
    community_services.post_hold(actor=None, post=idea.topic.posts.get(number=1), reason="x")
    assert list(selectors.idea_board(user=None)) == []
    assert selectors.idea_get_for_user(user=member, idea_id=idea.pk).pk == idea.pk
    with pytest.raises(Http404):
        selectors.idea_get_for_user(user=other_member, idea_id=idea.pk)
    with pytest.raises(Http404):
        selectors.idea_get_for_user(user=None, idea_id="not-a-number")


def test_similar_ideas_suggest_titles_sharing_words(make_idea, staff):
    kettle = make_idea(title="Keep the water warm after boiling")
    make_idea(title="A matte black toaster")
    merged = make_idea(title="Keep water warm please")
    services.idea_merge(actor=staff, source=merged, target=kettle)
    found = selectors.similar_ideas(user=None, query="keep my tea water warm")
    assert _titles(found) == ["Keep the water warm after boiling"]
    assert selectors.similar_ideas(user=None, query="ke") == []
    assert selectors.similar_ideas(user=None, query="") == []
    assert selectors.similar_ideas(user=None, query="\x00 %% '; drop") == []


def test_roadmap_columns_and_members_only_categories(
    make_idea, staff, category, other_category, member
):
    planned = make_idea(title="A planned kettle idea")
    started = make_idea(title="A started kettle idea")
    shipped = make_idea(title="A shipped coffee idea", category=other_category)
    services.idea_status_set(actor=staff, idea=planned, status="planned", response="Soon")
    services.idea_status_set(actor=staff, idea=started, status="in_progress", response="Now")
    services.idea_status_set(actor=staff, idea=shipped, status="shipped", response="Done")
    columns = selectors.roadmap(user=None)
    assert [column.status for column in columns] == ["planned", "in_progress", "shipped"]
    assert [_titles(column.ideas) for column in columns] == [
        ["A planned kettle idea"],
        ["A started kettle idea"],
        ["A shipped coffee idea"],
    ]
    services.idea_category_settings_set(
        actor=staff, category=other_category, vote_budget=None, roadmap_public=False
    )
    assert selectors.roadmap(user=None)[2].ideas == []
    assert _titles(selectors.roadmap(user=member)[2].ideas) == ["A shipped coffee idea"]
    assert list(selectors.changelog(user=None)) == []
    assert _titles(selectors.changelog(user=member)) == ["A shipped coffee idea"]


def test_changelog_lists_shipped_ideas_newest_first(make_idea, staff):
    first, second = make_idea(title="Shipped first idea"), make_idea(title="Shipped second idea")
    services.idea_status_set(actor=staff, idea=first, status="shipped", response="Done")
    services.idea_status_set(
        actor=staff, idea=second, status="shipped", response="Done", release_note="v2"
    )
    assert _titles(selectors.changelog(user=None)) == [
        "Shipped second idea",
        "Shipped first idea",
    ]


def test_supporters_are_listed_influential_first(make_idea, make_members):
    newcomer, leader, regular = make_members(3)
    User.objects.filter(pk=leader.pk).update(trust_level=4, reputation=10)
    User.objects.filter(pk=regular.pk).update(trust_level=3, reputation=500)
    User.objects.filter(pk=newcomer.pk).update(trust_level=0, reputation=1000)
    idea = make_idea()
    for voter in (newcomer, regular, leader):
        services.idea_vote_cast(actor=voter, idea=idea, value=1)
    order = [vote.user_id for vote in selectors.idea_supporters(idea=idea)]
    assert order == [leader.pk, regular.pk, newcomer.pk]


def test_votes_over_time_counts_per_day_with_a_running_total(make_idea, make_members, support):
    voters = make_members(3)
    idea = support(make_idea(), voters)
    two_days_ago = timezone.now() - timedelta(days=2)
    IdeaVote.objects.filter(user=voters[0]).update(created_at=two_days_ago)
    days = selectors.idea_votes_over_time(idea=idea)
    assert [(d.count, d.cumulative) for d in days] == [(1, 1), (2, 3)]


def test_suspicious_report_flags_a_same_day_burst_from_one_network(
    make_idea, make_members, support, settings
):
    settings.IDEAS_SUSPICIOUS_SAME_DAY_COHORT = 5
    settings.IDEAS_SUSPICIOUS_BURST_VOTES = 5
    idea = make_idea()
    honest = make_members(3)
    elsewhere = make_idea()
    for voter in honest:
        services.idea_vote_cast(actor=voter, idea=elsewhere, value=1)
    User.objects.filter(pk__in=[u.pk for u in honest]).update(
        date_joined=timezone.now() - timedelta(days=400)
    )
    IdeaVote.objects.filter(user__in=honest).update(created_at=timezone.now() - timedelta(days=3))
    for number, voter in enumerate(honest):
        support(idea, [voter], network=f"198.51.{number}.7")
    IdeaVote.objects.filter(idea=idea, user__in=honest).update(
        created_at=timezone.now() - timedelta(days=2)
    )
    ring = make_members(6)  # created today, supporting only this idea, one network, one burst
    support(idea, ring, network="203.0.113.50")
    report = selectors.suspicious_vote_report(idea=idea)
    assert report.total == 9
    assert {suspect.vote.user_id for suspect in report.suspects} == {u.pk for u in ring}
    assert set(report.suspects[0].signals) == {
        "same_day_cohort",
        "new_account",
        "single_idea",
        "shared_network",
        "burst",
    }
    assert report.networks == [("203.0.113.0/24", 6)]
    assert len(report.bursts) == 1 and report.bursts[0][2] == 6


def test_idea_audience_is_proposer_voters_and_watchers_minus_muted(
    make_idea, make_members, member, staff
):
    voter, watcher, tracker, muter, stranger = make_members(5)
    idea = make_idea(author=member)
    services.idea_vote_cast(actor=voter, idea=idea, value=1)
    services.idea_vote_cast(actor=muter, idea=idea, value=1)
    for user, level in (
        (watcher, NotificationLevel.WATCHING),
        (tracker, NotificationLevel.TRACKING),
        (muter, NotificationLevel.MUTED),
        (stranger, NotificationLevel.NORMAL),
    ):
        community_services.topic_subscribe(actor=user, topic=idea.topic, level=level)
    assert selectors.idea_audience(idea.pk) == {member.pk, voter.pk, watcher.pk, tracker.pk}
    User.objects.filter(pk=voter.pk).update(is_active=False)
    assert voter.pk not in selectors.idea_audience(idea.pk)
    assert selectors.idea_audience(999999) == set()


def test_member_vote_budget_is_none_without_a_budget(member, category, staff):
    assert selectors.member_vote_budget(user=member, category=category) is None
    services.idea_category_settings_set(
        actor=staff, category=category, vote_budget=3, roadmap_public=True
    )
    budget = selectors.member_vote_budget(user=member, category=category)
    assert (budget.budget, budget.used, budget.remaining) == (3, 0, 3)
    assert selectors.member_vote_budget(user=AnonymousUser(), category=category) is None


def test_export_rows_have_every_visible_idea(make_idea, staff):
    first = make_idea(title="=HYPERLINK(evil)")
    services.idea_status_set(actor=staff, idea=first, status="planned", response="Yes")
    rows = list(selectors.ideas_export_rows())
    assert [(row["pk"], row["status"]) for row in rows] == [(first.pk, "planned")]
    assert Idea.objects.count() == 1


def test_the_idea_page_knows_the_reader_budget_without_more_queries(
    make_idea, make_members, member, staff, category, django_assert_num_queries
):
    services.idea_category_settings_set(
        actor=staff, category=category, vote_budget=3, roadmap_public=True
    )
    first, second, shipped = (make_idea(author=author) for author in make_members(3))
    services.idea_vote_cast(actor=member, idea=first, value=1)
    services.idea_vote_cast(actor=member, idea=shipped, value=1)
    services.idea_status_set(actor=staff, idea=shipped, status="shipped", response="Done")
    with django_assert_num_queries(1):
        idea = selectors.idea_get_for_user(user=member, idea_id=second.pk)
        budget = selectors.idea_vote_budget(user=member, idea=idea)
    assert (budget.budget, budget.used, budget.remaining) == (3, 1, 2)
    assert selectors.idea_vote_budget(user=AnonymousUser(), idea=idea) is None
