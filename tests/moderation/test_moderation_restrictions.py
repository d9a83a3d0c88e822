"""Sanctions through community's hooks: the member restriction moderation registers (no
composer, no votes, no edits for silenced or suspended members, read at most once per
request), and watched-word replacements through ``community.services.post_body_replace``."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from community import events as community_events
from community import permissions as community_permissions
from community import selectors as community_selectors
from community import services as community_services
from community.models import PostRevision
from moderation import permissions as perms
from moderation import services
from tests.factories import TEST_PASSWORD, PostFactory, UserFactory

pytestmark = pytest.mark.django_db


def client_for(user) -> Client:
    client = Client()
    assert client.login(username=user.username, password=TEST_PASSWORD)
    return client


@pytest.fixture
def silenced(moderator, author, post):
    """`author`, silenced for two days after writing `post` (and `topic`)."""
    services.sanction_create(
        actor=moderator, member=author, kind="silence", days=2, reason="Flame war"
    )
    return author


def _sanction_queries(queries) -> int:
    return sum('"moderation_sanction"' in query["sql"] for query in queries)


def test_moderation_registers_its_restriction_with_community():
    assert perms.member_restriction in community_permissions._member_restrictions


def test_a_silenced_member_may_not_reply_vote_or_edit_and_is_told_until_when(
    silenced, topic, post, member
):
    other = PostFactory(topic=topic, author=member, body="Somebody else's reply here.")
    reason = community_permissions.member_restriction_reason(silenced, "vote")
    assert reason.startswith("You are silenced until ")
    assert not community_permissions.can_reply(silenced, topic)
    assert not community_permissions.can_vote(silenced, other)
    assert not community_permissions.can_edit_post(silenced, post)
    assert community_permissions.member_restriction_reason(member, "vote") is None

    with pytest.raises(PermissionDenied, match="silenced until"):
        community_services.vote_cast(actor=silenced, post=other, value=1)
    with pytest.raises(PermissionDenied, match="silenced until"):
        community_services.post_edit(actor=silenced, post=post, body="Changed my mind.")


def test_a_silenced_member_may_still_withdraw_a_vote(moderator, author, topic, member):
    other = PostFactory(topic=topic, author=member, body="A reply the author upvotes.")
    community_services.vote_cast(actor=author, post=other, value=1)
    services.sanction_create(actor=moderator, member=author, kind="silence", days=1, reason="x")
    assert community_services.vote_cast(actor=author, post=other, value=0).my_vote == 0


def test_vote_changed_receivers_no_longer_refuse(silenced, topic, member):
    other = PostFactory(topic=topic, author=member)
    # Sent as community sends it: nothing in moderation raises any more.
    community_events.vote_changed.send(
        sender=type(other),
        post_id=other.pk,
        actor_id=silenced.pk,
        old_value=0,
        new_value=1,
        new_score=1,
        author_id=member.pk,
    )


def test_the_posting_wall_still_refuses_from_the_database(silenced, topic):
    # Even with a stale "not restricted" answer on the user object, content_submitted reads
    # the sanctions again and refuses.
    perms._remember(silenced, perms.Restrictions())
    with pytest.raises(PermissionDenied, match="silenced"):
        community_services.post_edit(actor=silenced, post=topic.posts.get(number=1), body="Sneaky.")


def test_the_topic_page_of_a_silenced_member_explains_and_offers_no_composer(silenced, topic):
    client = client_for(silenced)
    client.get("/")  # the day's first visit
    with CaptureQueriesContext(connection) as queries:
        html = client.get(topic.get_absolute_url()).content.decode()
    assert "You are silenced until" in html
    assert f'action="/t/{topic.pk}/reply/"' not in html
    assert _sanction_queries(queries) == 0  # answered by the middleware's shared cache


def test_restrictions_are_read_at_most_once_per_request(silenced, topic, make_post, member):
    for _ in range(5):
        make_post(member)
    client = client_for(silenced)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(topic.get_absolute_url()).status_code == 200
    assert _sanction_queries(queries) <= 1


def test_a_sanction_reaches_the_next_request_at_once(moderator, author, topic):
    client = client_for(author)
    assert f'action="/t/{topic.pk}/reply/"' in client.get(topic.get_absolute_url()).content.decode()
    sanction = services.sanction_create(
        actor=moderator, member=author, kind="silence", days=1, reason="Calm down"
    )
    assert "You are silenced until" in client.get(topic.get_absolute_url()).content.decode()
    services.sanction_lift(actor=moderator, sanction=sanction, reason="Calmed down")
    assert f'action="/t/{topic.pk}/reply/"' in client.get(topic.get_absolute_url()).content.decode()


def test_a_silence_racing_a_request_stops_votes_at_once(
    moderator, author, topic, member, monkeypatch, django_capture_on_commit_callbacks
):
    """Issue 4: once silenced, a member may not vote — not even for the minute an answer
    stays in the shared cache. Here a request reads the member's sanctions from the database
    just before the silence commits and caches that old answer just after."""
    post = PostFactory(topic=topic, author=member)
    read_from_database = perms.restrictions_for_member_id

    def read_then_silence(member_id):
        answer = read_from_database(member_id)  # not silenced yet
        with django_capture_on_commit_callbacks(execute=True):
            services.sanction_create(
                actor=moderator, member=author, kind="silence", days=1, reason="Calm down"
            )
        return answer

    monkeypatch.setattr(perms, "restrictions_for_member_id", read_then_silence)
    racing = type(author).objects.get(pk=author.pk)  # the racing request's own user object
    assert not perms.restrictions_for_request(racing).silenced  # cached after the silence
    monkeypatch.setattr(perms, "restrictions_for_member_id", read_from_database)

    next_request = type(author).objects.get(pk=author.pk)
    assert perms.restrictions_for_request(next_request).silenced
    with pytest.raises(PermissionDenied, match="silenced"):
        community_services.vote_cast(actor=next_request, post=post, value=1)
    response = client_for(author).post(f"/p/{post.pk}/vote/", {"value": "1"})
    assert response.status_code in (302, 403)
    post.refresh_from_db()
    assert post.score == 0


def test_a_cached_answer_is_used_until_a_sanction_changes(author):
    assert not perms.restrictions_for_request(author).silenced
    with CaptureQueriesContext(connection) as queries:
        again = type(author).objects.get(pk=author.pk)
        assert not perms.restrictions_for_request(again).silenced
    assert _sanction_queries(queries) == 0  # the shared cache answered


def test_an_ended_sanction_in_the_cache_does_not_restrict():
    import datetime as dt

    from django.utils import timezone

    past = timezone.now() - dt.timedelta(minutes=1)
    stale = perms.Restrictions(silenced=True, silenced_until=past)
    assert not stale.current(timezone.now()).silenced
    assert perms.restriction_message(stale.current(timezone.now())) is None


# --- Watched words replaced through community -----------------------------------------------


def test_a_replacement_keeps_a_revision_only_moderators_can_read(moderator, member, topic):
    services.watched_word_create(
        actor=moderator, pattern="darn*", action="replace", replacement="[redacted]"
    )
    post = community_services.post_create(actor=member, topic=topic, body="Darned kettle, darn.")

    assert post.body == "[redacted] kettle, [redacted]."  # the caller's object is fresh
    revision = PostRevision.objects.get(post=post)
    assert (revision.body, revision.note, revision.edited_by_name) == (
        "Darned kettle, darn.",
        "Watched word replaced.",
        "system",
    )
    reader = UserFactory()
    for user, sees in [(reader, False), (None, False), (moderator, True)]:
        edits = community_selectors.post_revisions(user=user, post=post)
        shown = " ".join(text for edit in edits for _op, text in edit.chunks)
        assert ("Darned" in shown) is sees

    history = client_for(reader).get(f"/p/{post.pk}/history/")
    assert history.status_code == 200
    assert "Watched word replaced." in history.content.decode()
    assert "Darned" not in history.content.decode()
