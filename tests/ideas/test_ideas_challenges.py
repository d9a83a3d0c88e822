"""Challenges in stages: submission, optional jury shortlist, community vote, announcement.
Only what the phase allows is possible, and each phase opening is announced once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from ideas import selectors, services, tasks
from ideas.models import Challenge, ChallengePhase, IdeaVote

pytestmark = pytest.mark.django_db

DAY = timedelta(days=1)


def _dates(phase: str, *, jury: bool = True) -> dict:
    """Dates that put a challenge in ``phase`` now."""
    now = timezone.now()
    offsets = {
        "upcoming": (1, 2, 3, 3, 4, 5),
        "submission": (-1, 1, 2, 2, 3, 4),
        "shortlist": (-3, -1, 1, 1, 2, 3),
        "vote": (-5, -3, -1, -1, 1, 2),
        "deliberation": (-6, -4, -3, -3, -0.5, 1),
        "announcement": (-7, -5, -4, -4, -2, -1),
    }[phase]
    start, end, shortlist, vote_start, vote_end, announcement = (now + DAY * o for o in offsets)
    return {
        "submission_start": start,
        "submission_end": end,
        "shortlist_end": shortlist if jury else None,
        "vote_start": vote_start if jury else end,
        "vote_end": vote_end,
        "announcement_at": announcement,
    }


def _move(challenge: Challenge, phase: str) -> Challenge:
    """Time travel for tests: move the challenge's dates (bypassing the services)."""
    Challenge.objects.filter(pk=challenge.pk).update(**_dates(phase, jury=challenge.has_jury))
    challenge.refresh_from_db()
    return challenge


@pytest.fixture
def jury_member(make_members):
    return make_members(1)[0]


@pytest.fixture
def challenge(staff, category, jury_member):
    return services.challenge_create(
        actor=staff,
        title="Design our next kettle",
        description="Submit your **concept**; the jury shortlists; the community votes.",
        category=category,
        jury=[jury_member],
        **_dates("submission"),
    )


def test_staff_open_a_challenge_and_its_submission_phase_is_announced(
    staff, category, captured_events
):
    challenge = services.challenge_create(
        actor=staff,
        title="Design our next kettle",
        description="Tell us.",
        category=category,
        **_dates("submission", jury=False),
    )
    assert challenge.phase == ChallengePhase.SUBMISSION
    assert not challenge.has_jury
    assert "<p>Tell us.</p>" in challenge.description_html
    assert captured_events["challenge_phase_opened"] == [
        {"challenge_id": challenge.pk, "phase": "submission"}
    ]


def test_members_cannot_open_challenges(member, category):
    with pytest.raises(PermissionDenied):
        services.challenge_create(
            actor=member,
            title="Design our next kettle",
            description="x",
            category=category,
            **_dates("submission"),
        )


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"submission_end": -2}, "submission_end"),
        ({"shortlist_end": 0.5}, "shortlist_end"),
        ({"vote_start": 1.5}, "vote_start"),
        ({"vote_end": 1}, "vote_end"),
        ({"announcement_at": 2}, "announcement_at"),
    ],
)
def test_challenge_dates_must_follow_each_other(staff, category, change, field):
    dates = _dates("submission")
    now = timezone.now()
    for name, offset in change.items():
        dates[name] = now + DAY * offset
    with pytest.raises(ValidationError) as caught:
        services.challenge_create(
            actor=staff,
            title="Design our next kettle",
            description="x",
            category=category,
            **dates,
        )
    assert field in caught.value.message_dict
    assert not Challenge.objects.exists()


def test_challenge_refuses_missing_title_and_dates(staff, category):
    with pytest.raises(ValidationError) as caught:
        services.challenge_create(
            actor=staff,
            title="x",
            description="",
            category=category,
            submission_start=None,
            submission_end="tomorrow",
            vote_start=None,
            vote_end=None,
            announcement_at=None,
        )
    assert {"title", "description", "submission_start", "submission_end"} <= set(
        caught.value.message_dict
    )


def test_no_supports_during_submission(challenge, make_idea, other_member):
    entry = make_idea(challenge=challenge)
    assert entry.challenge_id == challenge.pk
    with pytest.raises(PermissionDenied, match="opens on"):
        services.idea_vote_cast(actor=other_member, idea=entry, value=1)


def test_entries_go_to_the_challenge_category(challenge, make_idea, other_category):
    entry = make_idea(challenge=challenge, category=other_category)
    assert entry.topic.category_id == challenge.category_id


def test_the_jury_shortlists_during_the_shortlist_phase_only(
    challenge, make_idea, jury_member, other_member
):
    entry = make_idea(challenge=challenge)
    with pytest.raises(ValidationError):
        services.challenge_entry_shortlist(actor=jury_member, idea=entry)  # still submitting
    _move(challenge, "shortlist")
    with pytest.raises(PermissionDenied):
        services.challenge_entry_shortlist(actor=other_member, idea=entry)
    entry = services.challenge_entry_shortlist(actor=jury_member, idea=entry)
    assert entry.shortlisted


def test_no_new_entries_during_the_vote_and_only_shortlisted_entries_are_voted(
    challenge, make_idea, make_members, jury_member
):
    kept, dropped = make_idea(challenge=challenge), make_idea(challenge=challenge)
    _move(challenge, "shortlist")
    services.challenge_entry_shortlist(actor=jury_member, idea=kept)
    _move(challenge, "vote")
    with pytest.raises(ValidationError) as caught:
        make_idea(challenge=challenge)
    assert "challenge" in caught.value.message_dict
    voter, other = make_members(2)
    assert services.idea_vote_cast(actor=voter, idea=kept, value=1).vote_count == 1
    with pytest.raises(PermissionDenied, match="shortlisted"):
        services.idea_vote_cast(actor=other, idea=dropped, value=1)
    _move(challenge, "deliberation")
    with pytest.raises(PermissionDenied, match="closed"):
        services.idea_vote_cast(actor=voter, idea=kept, value=0)
    assert IdeaVote.objects.filter(idea=kept).count() == 1


def test_challenge_supports_do_not_spend_the_category_budget(
    challenge, make_idea, make_members, staff, category
):
    services.idea_category_settings_set(
        actor=staff, category=category, vote_budget=1, roadmap_public=True
    )
    (voter,) = make_members(1)
    services.idea_vote_cast(actor=voter, idea=make_idea(), value=1)
    entry = make_idea(challenge=challenge)
    Challenge.objects.filter(pk=challenge.pk).update(
        shortlist_end=None, vote_start=challenge.submission_end
    )
    challenge.refresh_from_db()
    _move(challenge, "vote")
    assert services.idea_vote_cast(actor=voter, idea=entry, value=1).vote_count == 1


def test_winner_after_the_vote_and_announced_once(
    captured_events, challenge, make_idea, jury_member, staff
):
    entry = make_idea(challenge=challenge)
    _move(challenge, "shortlist")
    services.challenge_entry_shortlist(actor=jury_member, idea=entry)
    _move(challenge, "vote")
    with pytest.raises(ValidationError):
        services.challenge_winner_set(actor=staff, challenge=challenge, idea=entry)
    _move(challenge, "deliberation")
    with pytest.raises(PermissionDenied):
        services.challenge_winner_set(actor=jury_member, challenge=challenge, idea=entry)
    challenge = services.challenge_winner_set(actor=staff, challenge=challenge, idea=entry)
    assert challenge.phase == ChallengePhase.DELIBERATION  # shown from the announcement date
    _move(challenge, "announcement")
    assert services.challenge_phases_announce() == [(challenge.pk, "announcement")]
    assert services.challenge_phases_announce() == []  # once
    with pytest.raises(ValidationError):
        services.challenge_winner_set(actor=staff, challenge=challenge, idea=entry)
    phases = [e["phase"] for e in captured_events["challenge_phase_opened"]]
    assert phases == ["submission", "announcement"]


def test_the_sweep_announces_each_phase_once_and_the_task_runs_it(captured_events, challenge):
    _move(challenge, "shortlist")
    assert tasks.challenge_phases_announce.delay().get() == 1
    assert services.challenge_phases_announce() == []
    _move(challenge, "vote")
    assert services.challenge_phases_announce() == [(challenge.pk, "vote")]
    _move(challenge, "shortlist")  # dates moved back: never announced again
    assert services.challenge_phases_announce() == []
    phases = [e["phase"] for e in captured_events["challenge_phase_opened"]]
    assert phases == ["submission", "shortlist", "vote"]


def test_staff_open_the_next_phase_early_forward_only(captured_events, challenge, staff, member):
    with pytest.raises(PermissionDenied):
        services.challenge_phase_open(actor=member, challenge=challenge, phase="shortlist")
    with pytest.raises(ValidationError):
        services.challenge_phase_open(actor=staff, challenge=challenge, phase="vote")  # jury first
    challenge = services.challenge_phase_open(actor=staff, challenge=challenge, phase="shortlist")
    assert challenge.phase == ChallengePhase.SHORTLIST
    challenge = services.challenge_phase_open(actor=staff, challenge=challenge, phase="vote")
    assert challenge.phase == ChallengePhase.VOTE
    with pytest.raises(ValidationError):
        services.challenge_phase_open(actor=staff, challenge=challenge, phase="submission")
    with pytest.raises(ValidationError):
        services.challenge_phase_open(actor=staff, challenge=challenge, phase="announcement")
    phases = [e["phase"] for e in captured_events["challenge_phase_opened"]]
    assert phases == ["submission", "shortlist", "vote"]


def test_challenge_audience_is_its_participants(
    challenge, make_idea, make_members, jury_member, member, category
):
    from community import services as community_services

    follower, muted, voter, _stranger = make_members(4)
    community_services.category_subscribe(actor=follower, category=category, level=3)
    community_services.category_subscribe(actor=muted, category=category, level=0)
    entry = make_idea(author=member, challenge=challenge)
    Challenge.objects.filter(pk=challenge.pk).update(
        shortlist_end=None, vote_start=challenge.submission_end
    )
    challenge.refresh_from_db()
    _move(challenge, "vote")
    services.idea_vote_cast(actor=voter, idea=entry, value=1)
    audience = selectors.challenge_audience(challenge.pk)
    assert audience == {jury_member.pk, member.pk, follower.pk, voter.pk}
    assert selectors.challenge_audience(999999) == set()


@pytest.mark.parametrize(
    ("phase", "jury", "winner", "openable"),
    [
        ("upcoming", True, False, ["submission"]),
        ("submission", True, False, ["shortlist"]),
        ("submission", False, False, ["vote"]),
        ("shortlist", True, False, ["vote"]),
        ("vote", True, False, []),
        ("deliberation", True, False, []),
        ("deliberation", True, True, ["announcement"]),
    ],
)
def test_openable_phases_match_what_the_service_accepts(
    staff, category, make_idea, phase, jury, winner, openable
):
    challenge = services.challenge_create(
        actor=staff,
        title="Design our next kettle",
        description="x",
        category=category,
        **_dates("upcoming", jury=jury),
    )
    if winner:
        _move(challenge, "submission")
        entry = make_idea(challenge=challenge)
        Challenge.objects.filter(pk=challenge.pk).update(winner=entry)
    challenge = _move(challenge, phase)
    assert challenge.openable_phases() == openable
    for candidate in ("submission", "shortlist", "vote", "announcement"):
        fresh = Challenge.objects.get(pk=challenge.pk)
        if candidate in openable:
            services.challenge_phase_open(actor=staff, challenge=fresh, phase=candidate)
            _move(fresh, phase)
            if winner:
                Challenge.objects.filter(pk=challenge.pk).update(winner=entry)
        else:
            with pytest.raises(ValidationError):
                services.challenge_phase_open(actor=staff, challenge=fresh, phase=candidate)
