"""community.selectors: list orderings, visibility, the 404 door, fixed query counts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from community import permissions, selectors, services
from community.filters import TopicFilterSet
from community.models import Topic, TopicKind
from tests.community.fixtures_domain import *  # noqa: F403
from tests.factories import CategoryFactory, PostFactory, TopicFactory, UserFactory

pytestmark = pytest.mark.django_db

NOW = timezone.now()


def titles(queryset) -> list[str]:
    return [topic.title for topic in queryset]


def test_latest_puts_pinned_first_then_last_activity(category, moderator):
    old = TopicFactory(
        category=category, title="Old but pinned", last_activity_at=NOW - timedelta(days=9)
    )
    TopicFactory(
        category=category, title="Recent activity", last_activity_at=NOW - timedelta(hours=1)
    )
    TopicFactory(
        category=category, title="Older activity", last_activity_at=NOW - timedelta(days=2)
    )
    services.topic_pin(actor=moderator, topic=old)
    elsewhere = TopicFactory(title="Pinned everywhere", last_activity_at=NOW - timedelta(days=30))
    services.topic_pin(actor=moderator, topic=elsewhere, globally=True)

    in_category = selectors.topic_list(user=AnonymousUser(), category=category)
    assert titles(in_category) == ["Old but pinned", "Recent activity", "Older activity"]
    everywhere = selectors.topic_list(user=AnonymousUser())
    # A category pin does not lift a topic on the global list; a global pin does.
    assert titles(everywhere) == [
        "Pinned everywhere",
        "Recent activity",
        "Older activity",
        "Old but pinned",
    ]


def test_new_orders_by_creation(category):
    TopicFactory(category=category, title="Born first", created_at=NOW - timedelta(days=3))
    TopicFactory(category=category, title="Born last", created_at=NOW - timedelta(hours=1))
    assert titles(selectors.topic_list(user=None, ordering="new")) == ["Born last", "Born first"]


def test_top_orders_by_score_within_the_period(category):
    TopicFactory(title="Ancient hit", score=50, created_at=NOW - timedelta(days=40))
    TopicFactory(title="Weekly hit", score=9, created_at=NOW - timedelta(days=3))
    TopicFactory(title="Weekly flop", score=-2, created_at=NOW - timedelta(days=2))
    assert titles(selectors.topic_list(user=None, ordering="top", period="week")) == [
        "Weekly hit",
        "Weekly flop",
    ]
    assert titles(selectors.topic_list(user=None, ordering="top", period="all"))[0] == (
        "Ancient hit"
    )
    # An unknown period falls back to "all" rather than failing.
    assert len(selectors.topic_list(user=None, ordering="top", period="decade")) == 3


def test_hot_orders_by_stored_hot_score(category):
    TopicFactory(title="Lukewarm topic", hot=1.0)
    TopicFactory(title="Hot topic here", hot=5.0)
    assert titles(selectors.topic_list(user=None, ordering="hot")) == [
        "Hot topic here",
        "Lukewarm topic",
    ]


def test_unanswered_lists_questions_without_reply_nor_answer(category, other_member):
    TopicFactory(title="Open question", kind=TopicKind.QUESTION)
    answered = TopicFactory(title="Answered question", kind=TopicKind.QUESTION)
    PostFactory(topic=answered, author=other_member)
    TopicFactory(title="Just chatting")
    assert titles(selectors.topic_list(user=None, ordering="unanswered")) == ["Open question"]


def test_unknown_ordering_falls_back_to_latest(category):
    TopicFactory()
    assert len(selectors.topic_list(user=None, ordering="drop table")) == 1


def test_lists_show_visible_topics_only(category, moderator, newcomer):
    TopicFactory(category=category, title="Visible topic")
    hidden = TopicFactory(category=category, title="Hidden topic")
    services.post_hide(actor=moderator, post=hidden.posts.get(), reason="spam")
    premoderated = CategoryFactory(pre_moderated=True)
    services.topic_create(actor=newcomer, category=premoderated, title="Held topic", body="Hi")
    assert titles(selectors.topic_list(user=moderator)) == ["Visible topic"]
    assert titles(selectors.topic_list(user=newcomer)) == ["Visible topic"]


def test_category_list_includes_subcategory_topics(category):
    child = CategoryFactory(parent=category)
    TopicFactory(category=child, title="In the child")
    assert titles(selectors.topic_list(user=None, category=category)) == ["In the child"]


def test_tag_author_kind_and_filters_narrow_the_list(category, member):
    TopicFactory(title="Tagged question", tags=["aurora"], kind=TopicKind.QUESTION, author=member)
    TopicFactory(title="Plain discussion")
    assert titles(selectors.topic_list(user=None, tag="aurora")) == ["Tagged question"]
    assert titles(selectors.topic_list(user=None, author=member)) == ["Tagged question"]
    assert titles(selectors.topic_list(user=None, kind="question")) == ["Tagged question"]
    assert titles(
        selectors.topic_list(user=None, filters={"kind": "discussion", "created_after": "bad"})
    ) == ["Plain discussion"]


def test_unread_counts_show_new_posts_since_last_read(topic, other_member):
    PostFactory(topic=topic)
    topic.refresh_from_db()
    services.topic_read(actor=other_member, topic=topic, last_number=2)
    PostFactory(topic=topic)
    PostFactory(topic=topic)

    listed = selectors.topic_list(user=other_member).get(pk=topic.pk)
    assert (listed.last_read_number, listed.unread_count) == (2, 2)
    never_read = selectors.topic_list(user=UserFactory()).get(pk=topic.pk)
    assert (never_read.last_read_number, never_read.unread_count) == (None, 0)
    anonymous = selectors.topic_list(user=AnonymousUser()).get(pk=topic.pk)
    assert anonymous.unread_count == 0


@pytest.mark.parametrize("count", [3, 30])
def test_topic_list_costs_the_same_whatever_its_length(
    count, django_assert_num_queries, member, category
):
    for number in range(count):
        TopicFactory(category=category, tags=["aurora", f"tag{number % 4}"])
    # The category's subcategories (kept on it: the page lists them too), the page, the tags.
    with django_assert_num_queries(3):
        topics = list(selectors.topic_list(user=member, category=category)[:50])
        for topic in topics:
            assert topic.category.name
            assert topic.author.username
            assert len(topic.tags.all()) == 2
            assert topic.unread_count == 0


@pytest.fixture
def pinned_mix(category, moderator):
    """A category with a subcategory and every kind of pin: in the category, everywhere (from
    the subcategory), in the subcategory only (not pinned on the parent's page), elsewhere."""
    child = CategoryFactory(parent=category)
    elsewhere = CategoryFactory()
    topics = []
    for number in range(40):
        topics.append(
            TopicFactory(
                category=(category, child, elsewhere)[number % 3],
                title=f"Topic number {number:02d}",
                # Ties on purpose: the id breaks them, in both readings.
                last_activity_at=NOW - timedelta(hours=number // 2),
            )
        )
    services.topic_pin(actor=moderator, topic=topics[30])  # in the category
    services.topic_pin(actor=moderator, topic=topics[31], globally=True)  # from the child
    services.topic_pin(actor=moderator, topic=topics[34])  # in the child only
    services.topic_pin(actor=moderator, topic=topics[35], globally=True)  # elsewhere
    return topics


@pytest.mark.parametrize("page_size", [1, 2, 5, 30])
def test_pinned_first_reads_the_same_rows_in_the_same_order_as_one_query(
    pinned_mix, category, member, page_size
):
    single = titles(selectors.topic_list(user=member, category=category))
    split = selectors.topic_list_pinned_first(user=member, category=category)
    assert single[:2] == ["Topic number 31", "Topic number 30"]  # pinned here, by activity
    assert "Topic number 34" in single[2:]  # pinned in the child only: not on top here
    assert len(split) == len(single) == 27
    paged = []
    for start in range(0, len(single) + page_size, page_size):
        paged += titles(split[start : start + page_size])
    assert paged == single
    assert titles(split) == single
    assert split[1].title == single[1] and split[2].title == single[2]
    with pytest.raises(IndexError):
        split[len(single)]
    with pytest.raises(ValueError):
        split[0:10:2]


def test_pinned_first_rows_carry_what_the_list_shows(pinned_mix, category, member):
    topics = selectors.topic_list_pinned_first(user=member, category=category)[:30]
    assert [topic.is_pinned_here for topic in topics[:3]] == [True, True, False]
    assert all(topic.unread_count == 0 and topic.last_read_number is None for topic in topics)


@pytest.mark.parametrize("count", [3, 40])
def test_pinned_first_costs_the_same_whatever_its_length(
    count, django_assert_num_queries, member, category, moderator
):
    for number in range(count):
        topic = TopicFactory(category=category, tags=["aurora", f"tag{number % 4}"])
    services.topic_pin(actor=moderator, topic=topic)
    # Subcategories, the pinned topics, the others of the page, the tags of all its rows.
    with django_assert_num_queries(4):
        topics = selectors.topic_list_pinned_first(user=member, category=category)[0:31]
        assert topics[0].pk == topic.pk
        for topic in topics:
            assert topic.category.name and topic.author.username
            assert len(topic.tags.all()) == 2


def test_pinned_first_is_the_plain_queryset_where_an_index_serves_the_sort(category, member):
    assert isinstance(selectors.topic_list_pinned_first(user=member), QuerySet)
    assert isinstance(
        selectors.topic_list_pinned_first(user=member, category=category, ordering="top"),
        QuerySet,
    )
    assert isinstance(
        selectors.topic_list_pinned_first(user=member, category=category, ordering="bogus"),
        selectors.PinnedFirst,
    )


def test_topic_get_for_user_is_the_404_door(topic, member, moderator, newcomer):
    assert selectors.topic_get_for_user(user=None, topic_id=topic.pk) == topic
    assert selectors.topic_get_for_user(user=None, topic_id=str(topic.pk)) == topic
    for bad in ("abc", None, 10**9):
        with pytest.raises(Http404):
            selectors.topic_get_for_user(user=None, topic_id=bad)

    services.post_hold(actor=None, post=topic.posts.get(), reason="check")
    with pytest.raises(Http404):
        selectors.topic_get_for_user(user=newcomer, topic_id=topic.pk)
    assert selectors.topic_get_for_user(user=member, topic_id=topic.pk) == topic  # the author
    assert selectors.topic_get_for_user(user=moderator, topic_id=topic.pk) == topic


def test_held_reply_is_listed_for_its_author_and_moderators_only(topic, other_member, moderator):
    visible = PostFactory(topic=topic)
    held = PostFactory(topic=topic, author=other_member)
    services.post_hold(actor=None, post=held, reason="check")

    def numbers(user):
        return [post.number for post in selectors.post_list_for_topic(user=user, topic=topic)]

    assert numbers(AnonymousUser()) == [1, visible.number]
    assert numbers(UserFactory()) == [1, visible.number]
    assert numbers(other_member) == [1, visible.number, held.number]
    assert numbers(moderator) == [1, visible.number, held.number]
    own = selectors.post_list_for_topic(user=other_member, topic=topic).get(pk=held.pk)
    assert own.awaiting_review


def test_best_ordering_puts_first_post_then_accepted_then_wilson(member):
    question = TopicFactory(author=member, kind=TopicKind.QUESTION)
    weak = PostFactory(topic=question)
    strong = PostFactory(topic=question)
    accepted = PostFactory(topic=question)
    for _ in range(3):
        services.vote_cast(actor=UserFactory(), post=strong, value=1)
    services.vote_cast(actor=UserFactory(), post=weak, value=-1)
    services.answer_accept(actor=member, topic=question, post=accepted)
    question.refresh_from_db()

    posts = list(selectors.post_list_for_topic(user=member, topic=question, ordering="best"))
    assert [post.pk for post in posts][1:] == [accepted.pk, strong.pk, weak.pk]
    assert posts[0].number == 1
    assert [post.is_accepted for post in posts] == [False, True, False, False]


def test_my_vote_and_reply_to_are_annotated(topic, other_member):
    first = topic.posts.get()
    reply = PostFactory(topic=topic, author=other_member, reply_to=first)
    services.vote_cast(actor=other_member, post=first, value=-1)
    posts = {p.pk: p for p in selectors.post_list_for_topic(user=other_member, topic=topic)}
    assert posts[first.pk].my_vote == -1
    assert posts[reply.pk].my_vote == 0
    assert (posts[reply.pk].reply_to_number, posts[reply.pk].reply_to_author_name) == (
        1,
        first.author_name,
    )


@pytest.mark.parametrize("count", [3, 40])
def test_post_list_costs_one_query(count, topic, django_assert_num_queries, other_member):
    for _ in range(count):
        PostFactory(topic=topic)
    # The viewer's roles are loaded once per request (Django caches them on the user).
    permissions.can_moderate_topic(other_member, topic)
    with django_assert_num_queries(1):
        posts = list(selectors.post_list_for_topic(user=other_member, topic=topic))
        assert all(post.author.username for post in posts)
    assert len(posts) == count + 1


def test_post_get_for_user_and_page_number(topic, moderator):
    posts = [PostFactory(topic=topic) for _ in range(5)]
    services.post_hide(actor=moderator, post=posts[0], reason="rude")
    target = posts[4]  # number 6; the hidden number 2 is not counted for others
    assert selectors.post_page_number(post=target, per_page=2) == 3
    assert selectors.post_page_number(post=target, per_page=2, user=moderator) == 3
    assert selectors.post_page_number(post=posts[3], per_page=2, user=moderator) == 3
    assert selectors.post_page_number(post=posts[3], per_page=2) == 2
    assert selectors.post_get_for_user(user=None, post_id=target.pk) == target
    with pytest.raises(Http404):
        selectors.post_get_for_user(user=None, post_id=posts[0].pk)
    with pytest.raises(Http404):
        selectors.post_get_for_user(user=None, post_id="1;drop")


def test_post_revisions_show_readable_diffs(topic, member):
    post = topic.posts.get()
    services.post_edit(
        actor=member, post=post, body="The Aurora kettle sings when it boils.", note="typo"
    )
    services.post_edit(
        actor=member,
        post=post,
        body="The Aurora kettle sings when it boils.",
        title="A better title for this",
    )
    post.refresh_from_db()
    edits = selectors.post_revisions(user=None, post=post)
    assert [edit.number for edit in edits] == [1, 2]
    assert ("delete", "whistles") in edits[0].chunks
    assert ("insert", "sings") in edits[0].chunks
    assert edits[0].note == "typo"
    assert not edits[0].title_changed
    assert edits[1].title_changed
    assert edits[1].new_title == "A better title for this"


def test_user_recent_posts_show_visible_posts_only(topic, other_member, moderator):
    kept = PostFactory(topic=topic, author=other_member)
    hidden = PostFactory(topic=topic, author=other_member)
    services.post_hide(actor=moderator, post=hidden, reason="rude")
    assert selectors.user_recent_posts(user=other_member, viewer=None) == [kept]


def test_category_list_prefetches_children_with_totals(django_assert_num_queries):
    parent = CategoryFactory(name="Kettles")
    child = CategoryFactory(name="Aurora", parent=parent)
    TopicFactory(category=parent)
    TopicFactory(category=child)
    CategoryFactory(name="Toasters")
    with django_assert_num_queries(2):
        categories = selectors.category_list(user=None)
        assert [c.name for c in categories] == ["Kettles", "Toasters"]
        assert [c.name for c in categories[0].children.all()] == ["Aurora"]
    assert categories[0].total_topic_count == 2


def test_category_and_tag_get_answer_404_for_unknown_slugs(category):
    TopicFactory(category=category, tags=["aurora"])
    assert selectors.category_get(slug="aurora") == category
    assert selectors.tag_get(slug="aurora").topic_count == 1
    assert [tag.slug for tag in selectors.tag_list()] == ["aurora"]
    with pytest.raises(Http404):
        selectors.category_get(slug="nope")
    with pytest.raises(Http404):
        selectors.tag_get(slug="nope")


# --- TopicFilterSet ---------------------------------------------------------------------------


def test_filterset_filters_and_never_raises_on_bad_input(member, moderator):
    question = TopicFactory(
        title="Answered one", kind=TopicKind.QUESTION, author=member, created_at=NOW
    )
    answer = PostFactory(topic=question)
    services.answer_accept(actor=member, topic=question, post=answer)
    closed = TopicFactory(title="Closed one", created_at=NOW - timedelta(days=10))
    services.topic_close(actor=moderator, topic=closed)
    base = Topic.objects.all()

    def filtered(**data):
        filterset = TopicFilterSet(data=data, queryset=base)
        return sorted(titles(filterset.qs)), filterset.errors

    assert filtered(has_accepted_answer="true")[0] == ["Answered one"]
    assert filtered(status="closed")[0] == ["Closed one"]
    assert filtered(status="open")[0] == ["Answered one"]
    assert filtered(author=member.username.upper())[0] == ["Answered one"]
    after = (NOW - timedelta(days=2)).date().isoformat()
    assert filtered(created_after=after)[0] == ["Answered one"]
    assert filtered(unanswered="true")[0] == []
    assert filtered(category=question.category.slug)[0] == ["Answered one"]

    result, errors = filtered(created_before="31/31/2024", status="nonsense")
    assert result == ["Answered one", "Closed one"]  # invalid filters are ignored
    assert set(errors) == {"created_before", "status"}
    assert filtered(tag="no-such-tag")[0] == []
