"""The hooks community offers moderation without knowing it: text replacement
(`post_body_replace`), member restrictions, deleted/removed placeholders in a thread, the flag
link, and a first read of a topic that costs two or three statements."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import UserStats
from community import permissions, selectors, services
from community.models import ContentState, PostRevision, ReadPosition, Topic
from tests.community.conftest import *  # noqa: F403
from tests.factories import CategoryFactory, PostFactory, TopicFactory, UserFactory

pytestmark = pytest.mark.django_db


# --- post_body_replace ----------------------------------------------------------------------


def test_post_body_replace_renders_keeps_a_revision_and_leaves_edited_at(topic, other_member):
    post = PostFactory(topic=topic, author=other_member, body="A **darn** good kettle, darn.")

    replaced = services.post_body_replace(
        post=post, body="A **■■■** good kettle, ■■■.", reason="Watched word replaced."
    )

    assert replaced.body == "A **■■■** good kettle, ■■■."
    assert "<strong>■■■</strong>" in replaced.body_html
    assert "darn" not in replaced.body_html
    assert replaced.edit_count == 1
    revision = PostRevision.objects.get(post=post)
    assert (revision.number, revision.body, revision.note) == (
        1,
        "A **darn** good kettle, darn.",
        "Watched word replaced.",
    )
    assert (revision.edited_by, revision.edited_by_name) == (None, "system")
    post.refresh_from_db()
    assert post.edited_at is None  # the author's last edit, which they never made


def test_post_body_replace_with_the_same_text_stores_nothing(topic):
    post = topic.posts.get()
    services.post_body_replace(post=post, body=post.body, reason="nothing")
    assert not PostRevision.objects.exists()


def test_post_body_replace_is_for_the_system_and_moderators(topic, other_member, moderator):
    post = PostFactory(topic=topic, author=other_member, body="Some text to correct here.")
    with pytest.raises(PermissionDenied):
        services.post_body_replace(
            actor=other_member, post=post, body="Corrected by me.", reason="x"
        )
    services.post_body_replace(actor=moderator, post=post, body="Corrected text.", reason="typo")
    assert PostRevision.objects.get(post=post).edited_by == moderator


def test_a_later_author_edit_numbers_its_revision_after_the_replacement(topic, other_member):
    post = PostFactory(topic=topic, author=other_member, body="First version of the reply.")
    services.post_body_replace(post=post, body="First ■■■ of the reply.", reason="word")
    services.post_edit(actor=other_member, post=post, body="Second version of the reply.")
    assert list(PostRevision.objects.values_list("number", flat=True)) == [1, 2]


def test_only_moderators_see_the_words_an_automatic_replacement_removed(
    topic, other_member, moderator, member
):
    post = PostFactory(topic=topic, author=other_member, body="This darn kettle again.")
    services.post_body_replace(post=post, body="This ■■■ kettle again.", reason="Watched word")
    post = services.post_edit(actor=other_member, post=post, body="This ■■■ kettle, once more.")

    def texts(user):
        edits = selectors.post_revisions(user=user, post=post)
        return ["".join(text for op, text in edit.chunks if op != "equal") for edit in edits]

    member_view = selectors.post_revisions(user=member, post=post)
    assert [edit.note for edit in member_view] == ["Watched word", ""]
    assert all("darn" not in text for text in texts(member))
    assert all("darn" not in text for text in texts(AnonymousUser()))
    assert any("darn" in text for text in texts(moderator))


# --- Member restrictions --------------------------------------------------------------------


@pytest.fixture
def restricted():
    """`restricted(user, actions)`: register a restriction forbidding `actions` to `user`."""
    registered = []

    def restrict(user, actions=permissions.RESTRICTABLE_ACTIONS):
        def restriction(candidate, action):
            if candidate.pk == user.pk and action in actions:
                return f"Restricted from {action} for the test."
            return None

        permissions.register_member_restriction(restriction)
        registered.append(restriction)

    yield restrict
    for restriction in registered:
        permissions.unregister_member_restriction(restriction)


def test_a_restriction_answers_false_and_says_why(restricted, topic, other_member, category):
    post = PostFactory(topic=topic, author=UserFactory())
    own = PostFactory(topic=topic, author=other_member)
    assert permissions.can_reply(other_member, topic)
    restricted(other_member)

    assert not permissions.can_reply(other_member, topic)
    assert not permissions.can_start_topic(other_member, category)
    assert not permissions.can_vote(other_member, post)
    assert not permissions.can_edit_post(other_member, own)
    assert permissions.can_withdraw_vote(other_member, post)
    assert (
        permissions.member_restriction_reason(other_member, "vote")
        == "Restricted from vote for the test."
    )
    assert permissions.member_restriction_reason(AnonymousUser(), "reply") is None
    assert permissions.can_reply(UserFactory(), topic)  # others are not concerned
    with pytest.raises(ValueError):
        permissions.member_restriction_reason(other_member, "dance")


def test_services_refuse_with_the_restrictions_reason(restricted, topic, other_member, category):
    post = PostFactory(topic=topic, author=UserFactory())
    own = PostFactory(topic=topic, author=other_member)
    services.vote_cast(actor=other_member, post=post, value=1)
    restricted(other_member)

    for call, action in [
        (lambda: services.post_create(actor=other_member, topic=topic, body="Let me in."), "reply"),
        (
            lambda: services.topic_create(
                actor=other_member, category=category, title="A new topic here", body="Hello all"
            ),
            "start_topic",
        ),
        (lambda: services.vote_cast(actor=other_member, post=post, value=-1), "vote"),
        (lambda: services.post_edit(actor=other_member, post=own, body="Changed text."), "edit"),
    ]:
        with pytest.raises(PermissionDenied, match=f"Restricted from {action}"):
            call()
    # Taking a vote back is always possible.
    assert services.vote_cast(actor=other_member, post=post, value=0).my_vote == 0


def test_registering_twice_registers_once(restricted, other_member, topic):
    def restriction(user, action):
        return "no"

    permissions.register_member_restriction(restriction)
    permissions.register_member_restriction(restriction)
    try:
        assert permissions._member_restrictions.count(restriction) == 1
    finally:
        permissions.unregister_member_restriction(restriction)
    assert permissions.can_reply(other_member, topic)


def test_the_topic_page_explains_a_restriction_and_hides_the_composer(
    restricted, login, topic, other_member
):
    restricted(other_member, {"reply"})
    html = login(other_member).get(topic.get_absolute_url()).content.decode()
    assert "Restricted from reply for the test." in html
    assert f'action="/t/{topic.pk}/reply/"' not in html


# --- Placeholders for deleted and removed posts -------------------------------------------


@pytest.fixture
def thread(topic, other_member, moderator):
    """Posts 2-5: visible, deleted by its author, removed (by other_member), visible."""
    kept = PostFactory(topic=topic, body="A kept reply about descaling.")
    deleted = PostFactory(topic=topic, author=other_member, body="Deleted words, never shown.")
    services.post_delete(actor=other_member, post=deleted)
    removed = PostFactory(topic=topic, author=other_member, body="Removed words, never shown.")
    services.post_remove(actor=moderator, post=removed, reason="Rule 1")
    last = PostFactory(topic=topic, body="The last reply of the thread.")
    return kept, deleted, removed, last


def _rows(user, topic, **kwargs):
    return [
        (post.number, post.collapsed)
        for post in selectors.post_list_for_topic(user=user, topic=topic, **kwargs)
    ]


def test_placeholders_are_listed_collapsed_in_the_oldest_ordering(
    thread, topic, member, other_member, moderator
):
    everyone = [(1, False), (2, False), (3, True), (4, True), (5, False)]
    assert _rows(AnonymousUser(), topic, placeholders=True) == everyone
    assert _rows(member, topic, placeholders=True) == everyone
    # The author of a removed post reads it in full (with the reason); moderators read all.
    assert _rows(other_member, topic, placeholders=True)[3] == (4, False)
    assert _rows(moderator, topic, placeholders=True) == [(n, False) for n in range(1, 6)]
    # Without placeholders, and in the "best" ordering, gone posts are left out.
    assert _rows(member, topic) == [(1, False), (2, False), (5, False)]
    assert [n for n, _ in _rows(member, topic, ordering="best", placeholders=True)] == [1, 2, 5]


def test_placeholders_cost_no_extra_query(thread, topic, member, django_assert_num_queries):
    permissions.can_moderate_topic(member, topic)  # roles load once per request
    with django_assert_num_queries(1):
        assert len(list(selectors.post_list_for_topic(user=member, topic=topic, placeholders=True)))


def test_page_numbers_count_placeholders(thread, topic, member):
    last = thread[3]
    assert selectors.post_page_number(post=last, per_page=2, user=member) == 2
    assert selectors.post_page_number(post=last, per_page=2, user=member, placeholders=True) == 3


def test_the_topic_page_shows_one_line_placeholders(thread, client, topic):
    html = client.get(topic.get_absolute_url()).content.decode()
    assert "Post #3 was deleted by its author." in html
    assert "Post #4 was removed by the moderators." in html
    assert "never shown" not in html
    assert "The last reply of the thread." in html


# --- The flag link --------------------------------------------------------------------------


def test_members_get_a_flag_link_on_others_visible_posts(login, client, topic, other_member):
    reply = PostFactory(topic=topic, author=other_member)
    mine = PostFactory(topic=topic, author=UserFactory(username="reader"))

    html = login(mine.author).get(topic.get_absolute_url()).content.decode()
    assert f'href="/t/{topic.pk}/flag/"' in html  # the first post flags the topic
    assert f'href="/p/{reply.pk}/flag/"' in html
    assert f'href="/p/{mine.pk}/flag/"' not in html  # never one's own post

    assert "/flag/" not in client.get(topic.get_absolute_url()).content.decode()


# --- Reading positions ----------------------------------------------------------------------


def _statements(call) -> int:
    with CaptureQueriesContext(connection) as queries:
        call()
    return len(queries)


def test_a_first_read_costs_at_most_three_statements(topic, other_member, no_daily_limits):
    for _ in range(3):
        PostFactory(topic=topic)
    topic = Topic.objects.select_related("category").get(pk=topic.pk)  # no annotation
    assert UserStats.objects.filter(user=other_member).exists()

    assert (
        _statements(lambda: services.topic_read(actor=other_member, topic=topic, last_number=2))
        <= 3
    )
    assert (
        _statements(lambda: services.topic_read(actor=other_member, topic=topic, last_number=4))
        <= 3
    )
    stats = UserStats.objects.get(user=other_member)
    assert (stats.topics_entered, stats.posts_read) == (1, 4)


def test_with_the_selectors_annotation_a_first_read_is_two_statements(topic, other_member):
    PostFactory(topic=topic)
    annotated = selectors.topic_get_for_user(user=other_member, topic_id=topic.pk)
    assert annotated.last_read_number is None
    assert (
        _statements(lambda: services.topic_read(actor=other_member, topic=annotated, last_number=2))
        == 2
    )
    assert ReadPosition.objects.get(user=other_member, topic=topic).last_read_number == 2


def test_a_stale_annotation_neither_moves_back_nor_counts_twice(topic, other_member):
    for _ in range(4):
        PostFactory(topic=topic)
    topic.refresh_from_db()
    stale = selectors.topic_get_for_user(user=other_member, topic_id=topic.pk)  # never read
    services.topic_read(actor=other_member, topic=topic, last_number=4)  # another tab

    assert services.topic_read(actor=other_member, topic=stale, last_number=2) == 4
    assert ReadPosition.objects.get(user=other_member, topic=topic).last_read_number == 4
    assert services.topic_read(actor=other_member, topic=stale, last_number=5) == 5

    stats = UserStats.objects.get(user=other_member)
    assert (stats.topics_entered, stats.posts_read) == (1, 5)


def test_a_member_without_statistics_row_is_counted_all_the_same(topic, other_member):
    UserStats.objects.filter(user=other_member).delete()
    assert services.topic_read(actor=other_member, topic=topic, last_number=1) == 1
    stats = UserStats.objects.get(user=other_member)
    assert (stats.topics_entered, stats.posts_read) == (1, 1)


def test_topic_get_for_user_remembers_whether_the_viewer_moderates_the_category(
    topic, django_assert_num_queries
):
    category_moderator = UserFactory(username="aurora_mod")
    topic.category.moderators.add(category_moderator)
    elsewhere = TopicFactory(category=CategoryFactory())
    member = UserFactory()
    for user, expected in [(category_moderator, True), (member, False)]:
        found = selectors.topic_get_for_user(user=user, topic_id=topic.pk)
        user.has_perm("accounts.moderate")  # roles load once per request
        with django_assert_num_queries(0):
            assert permissions.can_moderate_topic(user, found) is expected
    # Another category still asks (the full list, once).
    assert not permissions.can_moderate_topic(category_moderator, elsewhere)
    assert selectors.topic_get_for_user(user=member, topic_id=topic.pk).follow_level is None
    assert (
        selectors.topic_get_for_user(user=topic.author, topic_id=topic.pk).follow_level
        == topic.author.topic_subscriptions.get(topic=topic).level
    )
    assert topic.state == ContentState.VISIBLE
