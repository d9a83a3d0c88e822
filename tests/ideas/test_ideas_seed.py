"""The ideas demo step: realistic, across the lifecycle, with a running challenge; idempotent."""

from __future__ import annotations

import pytest

from ideas.demo import seed_ideas
from ideas.models import Challenge, ChallengePhase, Idea, IdeaStatus

pytestmark = pytest.mark.django_db


def test_seed_ideas_after_the_community_demo_is_idempotent():
    from demo.seed import seed_community, seed_people

    said: list[str] = []
    seed_people(size="small", progress=said.append)
    seed_community(size="small", progress=said.append)
    seed_ideas(size="small", progress=said.append)
    statuses = set(Idea.objects.values_list("status", flat=True))
    assert set(IdeaStatus.values) <= statuses
    challenge = Challenge.objects.get(title="Design our next kettle")
    assert challenge.phase == ChallengePhase.VOTE
    assert challenge.entries.filter(shortlisted=True).count() == 3
    assert Idea.objects.filter(status="shipped").exclude(release_note="").exists()
    counts = (Idea.objects.count(), Challenge.objects.count())
    seed_ideas(size="small", progress=said.append)
    assert (Idea.objects.count(), Challenge.objects.count()) == counts
    # Every idea topic has its row, supports counted.
    for idea in Idea.objects.all():
        assert idea.vote_count == idea.votes.filter(discounted=False).count()


def test_seed_ideas_without_the_community_says_so():
    said: list[str] = []
    seed_ideas(size="small", progress=said.append)
    assert "skipped" in said[0]
