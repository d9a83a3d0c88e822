"""Ideas: a status change reaches who proposed, supported or follows the idea (the ideas app's
audience), in chunks; a merge tells the duplicate's audience where its supports went."""

from __future__ import annotations

import pytest

from community import services as community
from community.models import NotificationLevel
from ideas import services as ideas
from notifications.models import Notification, NotificationKind
from notifications.texts import describe
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def no_daily_limits(settings):
    settings.COMMUNITY_DAILY_LIMITS = {}


@pytest.fixture
def staff(db):
    return UserFactory(username="stella", brand_staff=True)


@pytest.fixture
def idea(category, author, on_commit):
    with on_commit():
        return ideas.idea_create(
            actor=author,
            category=category,
            title="A kettle that sings the hour",
            body="It would make mornings better.",
        )


def idea_notices(user) -> list[Notification]:
    return list(Notification.objects.filter(recipient=user, kind=NotificationKind.IDEA_STATUS))


def test_status_change_reaches_proposer_supporters_and_followers_not_the_muted(
    idea, author, staff, on_commit, settings
):
    settings.NOTIFICATIONS_FANOUT_CHUNK = 2
    supporters = [UserFactory() for _ in range(3)]
    follower, muted = UserFactory(username="fred"), UserFactory(username="muriel")
    with on_commit():
        for voter in [*supporters, muted]:
            idea = ideas.idea_vote_cast(actor=voter, idea=idea, value=1)
        community.topic_subscribe(
            actor=follower, topic=idea.topic, level=NotificationLevel.TRACKING
        )
        community.topic_subscribe(actor=muted, topic=idea.topic, level=NotificationLevel.MUTED)

    with on_commit():
        ideas.idea_status_set(
            actor=staff, idea=idea, status="planned", response="We are on it for the spring."
        )

    for user in [author, *supporters, follower]:
        (notice,) = idea_notices(user)
        assert describe(notice) == "The idea “A kettle that sings the hour” is now: Planned"
        assert notice.data["excerpt"] == "We are on it for the spring."
    assert idea_notices(muted) == []
    assert idea_notices(staff) == []


def test_merge_tells_the_duplicates_supporters_where_it_went(
    idea, category, staff, on_commit, replier
):
    with on_commit():
        duplicate = ideas.idea_create(
            actor=replier,
            category=category,
            title="Kettle announcing the time",
            body="Same thing, other words.",
        )
        voter = UserFactory(username="vera")
        ideas.idea_vote_cast(actor=voter, idea=duplicate, value=1)

    with on_commit():
        ideas.idea_merge(actor=staff, source=duplicate, target=idea, response="Same idea.")

    (notice,) = idea_notices(voter)
    assert describe(notice) == (
        "The idea “Kettle announcing the time” was merged into “A kettle that sings the hour”"
    )
    assert notice.topic_id == idea.topic_id  # following it leads to where the supports went
    assert idea_notices(replier)


def test_challenge_phase_reaches_the_jury_and_category_followers(category, on_commit):
    from datetime import timedelta

    from django.db import transaction
    from django.utils import timezone

    from ideas import events
    from ideas.models import Challenge

    now = timezone.now()
    challenge = Challenge.objects.create(
        title="The quietest kettle",
        description="Ideas for a silent morning.",
        category=category,
        submission_start=now,
        submission_end=now + timedelta(days=7),
        shortlist_end=now + timedelta(days=8),
        vote_start=now + timedelta(days=9),
        vote_end=now + timedelta(days=14),
        announcement_at=now + timedelta(days=15),
    )
    juror, follower = UserFactory(username="judy"), UserFactory(username="fred")
    challenge.jury.add(juror)
    community.category_subscribe(
        actor=follower, category=category, level=NotificationLevel.WATCHING
    )

    with on_commit(), transaction.atomic():
        events.challenge_phase_opened.send(
            sender=Challenge, challenge_id=challenge.pk, phase="submission"
        )

    for user in (juror, follower):
        (notice,) = Notification.objects.filter(recipient=user, kind=NotificationKind.CHALLENGE)
        assert describe(notice) == "Challenge “The quietest kettle”: Submissions open"
        assert notice.data["url"] == f"/challenges/{challenge.pk}/"


def test_planned_then_shipped_reaches_all_51_once_each_and_lands_in_the_changelog(
    idea, author, staff, on_commit, settings, client
):
    """The ideas issue's acceptance: 1 proposer + 50 supporters, one notification each per
    status change, and the shipped idea in the changelog."""
    settings.NOTIFICATIONS_FANOUT_CHUNK = 7  # several chunks, as in production
    supporters = [UserFactory() for _ in range(50)]
    with on_commit():
        for voter in supporters:
            idea = ideas.idea_vote_cast(actor=voter, idea=idea, value=1)
    assert idea.vote_count == 50

    with on_commit():
        ideas.idea_status_set(
            actor=staff, idea=idea, status="planned", response="Planned for the autumn range."
        )
    audience = [author, *supporters]
    assert Notification.objects.filter(kind=NotificationKind.IDEA_STATUS).count() == 51
    for user in audience:
        assert len(idea_notices(user)) == 1

    with on_commit():
        ideas.idea_status_set(
            actor=staff,
            idea=idea,
            status="shipped",
            response="Shipped in the 2027 Aurora.",
            release_note="Aurora 2027: the kettle sings the hour.",
        )
    assert Notification.objects.filter(kind=NotificationKind.IDEA_STATUS).count() == 102
    changelog = client.get("/changelog/").content.decode()
    assert "A kettle that sings the hour" in changelog


def test_following_a_status_notification_opens_the_idea_page_with_the_response(
    idea, author, staff, on_commit, client
):
    with on_commit():
        ideas.idea_status_set(actor=staff, idea=idea, status="planned", response="Spring range.")
    notice = idea_notices(author)[0]
    client.force_login(author)

    response = client.get(notice.get_absolute_url())

    assert response.status_code == 302
    assert response["Location"] == f"/ideas/{idea.pk}/"
    assert "Spring range." in client.get(response["Location"]).content.decode()
