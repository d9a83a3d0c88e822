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


def test_seeding_again_after_members_up_voted_a_challenge_entry():
    """A load test up-votes the opening post of entries the jury did not shortlist; seeding
    the demo again must not turn those votes into supports the challenge refuses."""
    from community import services as community_services
    from demo.seed import seed_community, seed_people

    said: list[str] = []
    seed_people(size="small", progress=said.append)
    seed_community(size="small", progress=said.append)
    seed_ideas(size="small", progress=said.append)
    entry = Idea.objects.filter(challenge__isnull=False, shortlisted=False, vote_count=0).first()
    voter = next(u for u in _demo_members() if u.pk != entry.topic.author_id)
    community_services.vote_cast(actor=voter, post=entry.topic.posts.get(number=1), value=1)

    seed_ideas(size="small", progress=said.append)

    assert not entry.votes.exists()


def _demo_members():
    from accounts.models import User
    from ideas.demo import DEMO_MEMBERS

    return User.objects.filter(username__in=DEMO_MEMBERS)
