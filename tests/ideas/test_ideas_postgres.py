"""Ideas on PostgreSQL: full-text similar ideas and board search (stemming, both languages,
the word being typed as a prefix), and supports under concurrency (row locks make counts
exact and budgets unspendable twice). SQLite has neither: these need the real thing."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection

from ideas import selectors, services
from ideas.models import Idea, IdeaVote
from tests.factories import CategoryFactory, UserFactory

pytestmark = [pytest.mark.postgres]


def _titles(ideas) -> list[str]:
    return [idea.topic.title for idea in ideas]


@pytest.mark.django_db
def test_similar_ideas_use_stemming_prefixes_and_both_languages(make_idea, make_members):
    french = CategoryFactory(name="Entraide", slug="entraide", language="fr")
    make_idea(title="Keep the kettles warm after boiling", body="Warmth for tea lovers.")
    make_idea(title="A matte black toaster", body="Toast in style.")
    make_idea(
        title="Des bouilloires silencieuses la nuit",
        body="Couper les bips.",
        category=french,
    )
    found = selectors.similar_ideas(user=None, query="kettle that keeps water warm")
    assert _titles(found)[0] == "Keep the kettles warm after boiling"
    assert "A matte black toaster" not in _titles(found)
    # The last word is being typed: "toas" already finds the toaster.
    assert _titles(selectors.similar_ideas(user=None, query="black toas")) == [
        "A matte black toaster"
    ]
    assert _titles(selectors.similar_ideas(user=None, query="une bouilloire silencieuse")) == [
        "Des bouilloires silencieuses la nuit"
    ]
    assert selectors.similar_ideas(user=None, query="the and of") == []  # stop words only
    # tsquery operators typed by a member are words, not syntax.
    assert selectors.similar_ideas(user=None, query="zzq:* | !(yyx) & 'wwv' <-> (") == []


@pytest.mark.django_db
def test_board_search_is_full_text(make_idea):
    make_idea(title="Keep the kettles warm", body="A keep-warm mode.")
    make_idea(title="Two coffee profiles", body="Ristretto and lungo.")
    board = selectors.idea_board(user=None, filters={"q": "kettle"})
    assert _titles(board) == ["Keep the kettles warm"]
    assert _titles(selectors.idea_board(user=None, filters={"q": "lungo"})) == [
        "Two coffee profiles"
    ]


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


@pytest.mark.django_db(transaction=True)
def test_twenty_members_supporting_at_once_give_an_exact_count(settings):
    settings.COMMUNITY_DAILY_LIMITS = {}
    category = CategoryFactory()
    idea = services.idea_create(
        actor=UserFactory(), category=category, title="A popular kettle idea", body="Yes."
    )
    voters = [UserFactory() for _ in range(20)]
    calls = [
        (lambda voter=voter: services.idea_vote_cast(actor=voter, idea=Idea(pk=idea.pk), value=1))
        for voter in voters
    ]
    results, errors = _at_once(calls)
    assert errors == []
    assert len(results) == 20
    idea.refresh_from_db()
    assert idea.vote_count == 20 == IdeaVote.objects.filter(idea=idea).count()


@pytest.mark.django_db(transaction=True)
def test_a_budget_cannot_be_overspent_by_quick_clicks(settings):
    settings.COMMUNITY_DAILY_LIMITS = {}
    staff = UserFactory(brand_staff=True)
    category = CategoryFactory()
    services.idea_category_settings_set(
        actor=staff, category=category, vote_budget=1, roadmap_public=True
    )
    ideas = [
        services.idea_create(
            actor=UserFactory(), category=category, title=f"Kettle idea {n}", body=f"Idea {n}."
        )
        for n in range(6)
    ]
    member = UserFactory()
    calls = [
        (lambda idea=idea: services.idea_vote_cast(actor=member, idea=Idea(pk=idea.pk), value=1))
        for idea in ideas
    ]
    results, errors = _at_once(calls)
    assert len(results) == 1
    assert len(errors) == 5
    assert all(isinstance(e, ValidationError) for e in errors)
    assert IdeaVote.objects.filter(user=member).count() == 1


@pytest.mark.django_db(transaction=True)
def test_a_merge_and_supports_at_once_lose_nothing(settings):
    settings.COMMUNITY_DAILY_LIMITS = {}
    staff = UserFactory(brand_staff=True)
    category = CategoryFactory()
    target = services.idea_create(
        actor=UserFactory(), category=category, title="The original idea", body="Original."
    )
    source = services.idea_create(
        actor=UserFactory(), category=category, title="The duplicate idea", body="Duplicate."
    )
    early = [UserFactory() for _ in range(5)]
    for voter in early:
        services.idea_vote_cast(actor=voter, idea=source, value=1)
    late = [UserFactory() for _ in range(8)]
    calls = [lambda: services.idea_merge(actor=staff, source=source, target=target)] + [
        (lambda voter=voter: services.idea_vote_cast(actor=voter, idea=Idea(pk=source.pk), value=1))
        for voter in late
    ]
    _results, errors = _at_once(calls)
    # Supports that came before the merge moved; those after it were refused (merged idea).
    assert all(isinstance(e, PermissionDenied) for e in errors)
    target.refresh_from_db()
    source.refresh_from_db()
    assert source.vote_count == 0 and source.merged_into_id == target.pk
    assert target.vote_count == IdeaVote.objects.filter(idea=target).count()
    assert target.vote_count == 5 + (len(late) - len(errors))
