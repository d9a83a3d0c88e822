"""community.search.search_posts on SQLite (LIKE fallback) and PostgreSQL (full text)."""

from __future__ import annotations

import pytest
from django.db import connection

from community import services
from community.search import excerpt_with_marks, normalise_query, search_posts
from tests.community.fixtures_domain import *  # noqa: F403
from tests.factories import CategoryFactory, PostFactory, TopicFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def kettle_topic(category, member):
    return TopicFactory(
        category=category,
        author=member,
        title="Descaling the Aurora kettle",
        body="Use citric acid to descale the Aurora. <script>alert('x')</script> works **fine**.",
        tags=["aurora"],
    )


def test_finds_visible_posts_by_a_word_of_their_body(kettle_topic):
    PostFactory(topic=kettle_topic, body="Vinegar works too, but it smells.")
    TopicFactory(title="Crisp toaster crumbs tray", body="Empty the crumb tray weekly.")

    results = search_posts(user=None, query="citric")
    assert [hit.post.number for hit in results] == [1]
    hit = results.hits[0]
    assert hit.topic == kettle_topic
    assert not results.has_more
    assert results.query == "citric"


def test_snippet_marks_the_match_and_carries_no_raw_html(kettle_topic):
    (hit,) = search_posts(user=None, query="citric").hits
    assert "<mark>" in hit.snippet_html and "</mark>" in hit.snippet_html
    assert "citric" in hit.snippet_html.lower()
    assert "<script>" not in hit.snippet_html
    assert "<strong>" not in hit.snippet_html
    stripped = hit.snippet_html.replace("<mark>", "").replace("</mark>", "")
    assert "<" not in stripped


def test_hidden_and_held_posts_are_not_found(kettle_topic, moderator, other_member):
    reply = PostFactory(topic=kettle_topic, author=other_member, body="Secret zanzibar recipe")
    services.post_hide(actor=moderator, post=reply, reason="spam")
    assert not search_posts(user=moderator, query="zanzibar")
    services.post_hold(actor=None, post=kettle_topic.posts.get(number=1), reason="check")
    assert not search_posts(user=moderator, query="citric")


@pytest.mark.parametrize("query", ["", "   \n\t ", "?!...;;--", "\x00\x00", None, "@#$%^&*()"])
def test_empty_or_punctuation_only_queries_answer_empty_without_a_query(
    query, kettle_topic, django_assert_num_queries
):
    with django_assert_num_queries(0):
        results = search_posts(user=None, query=query)
    assert not results
    assert results.query == ""


def test_an_absurdly_long_query_is_cut_and_answers_cleanly(kettle_topic):
    results = search_posts(user=None, query="citric " + "x" * 10_000)
    assert len(results.query) <= 200
    assert list(results) == []  # "xxxx…" is not in the post: no match, no error
    assert len(normalise_query("a" * 10_000)) == 200


def test_odd_limits_and_offsets_are_bounded(kettle_topic):
    assert len(search_posts(user=None, query="citric", limit="abc", offset=-4)) == 1
    assert search_posts(user=None, query="citric", limit=10_000).limit == 100
    assert not search_posts(user=None, query="citric", offset=5)


def test_filters_by_category_tag_kind_and_author(kettle_topic, member):
    other_category = CategoryFactory()
    TopicFactory(category=other_category, title="Citric acid for toasters?", body="citric")
    assert len(search_posts(user=None, query="citric")) == 2
    assert len(search_posts(user=None, query="citric", category=kettle_topic.category)) == 1
    assert len(search_posts(user=None, query="citric", tag="aurora")) == 1
    assert len(search_posts(user=None, query="citric", author=member)) == 1
    assert len(search_posts(user=None, query="citric", author=member.username)) == 1
    assert len(search_posts(user=None, query="citric", kind="question")) == 0


def test_paging_reports_has_more(category, member):
    topic = TopicFactory(category=category, body="limescale everywhere")
    for _ in range(4):
        PostFactory(topic=topic, body="more limescale here")
    first = search_posts(user=None, query="limescale", limit=3)
    second = search_posts(user=None, query="limescale", limit=3, offset=3)
    assert (len(first), first.has_more, len(second), second.has_more) == (3, True, 2, False)
    assert {hit.post.pk for hit in first}.isdisjoint({hit.post.pk for hit in second})


def test_search_page_costs_a_fixed_number_of_queries(category, django_assert_max_num_queries):
    topic = TopicFactory(category=category, body="limescale everywhere")
    for _ in range(12):
        PostFactory(topic=topic, body="more limescale here")
    with django_assert_max_num_queries(2):
        results = search_posts(user=None, query="limescale", limit=10)
        assert all(hit.topic.category.name and hit.post.author.username for hit in results)


def test_excerpt_escapes_text_and_marks_every_term():
    text = "Before <b>bold</b> " + "filler " * 50 + "the Kettle & the kettle."
    html = excerpt_with_marks(text, ["kettle"])
    assert html.startswith("…")
    assert "<mark>Kettle</mark> &amp; the <mark>kettle</mark>" in html
    assert "<b>" not in html
    assert excerpt_with_marks("<i>no match</i>", ["zzz"]) == "&lt;i&gt;no match&lt;/i&gt;"


# --- PostgreSQL full text ---------------------------------------------------------------------


@pytest.mark.postgres
def test_postgres_stems_french_words(member):
    assert connection.vendor == "postgresql"
    french = CategoryFactory(name="Entraide en français", language="fr")
    TopicFactory(
        category=french,
        author=member,
        title="Ma bouilloire siffle",
        body="La bouilloire Aurora fait un bruit étrange quand l'eau chauffe.",
    )
    hits = search_posts(user=None, query="bouilloires").hits
    assert [hit.post.number for hit in hits] == [1]
    assert "<mark>" in hits[0].snippet_html
    # Verbs too: "chauffer" and "chauffe" share a stem.
    assert search_posts(user=None, query="chauffer")


@pytest.mark.postgres
def test_postgres_stems_english_words_and_ranks_title_hits_first(category, member):
    body_only = TopicFactory(
        category=category,
        author=member,
        title="A question about water",
        body="My kettles are noisy when boiling water.",
    )
    in_title = TopicFactory(
        category=category, author=member, title="Kettle noise at boiling point", body="Why?"
    )
    hits = search_posts(user=None, query="kettle boiling").hits
    assert [hit.topic for hit in hits] == [in_title, body_only]
    assert hits[0].rank > hits[1].rank


@pytest.mark.postgres
def test_postgres_websearch_syntax_and_edits_update_the_index(category, member):
    topic = TopicFactory(category=category, author=member, title="Toaster browning levels")
    post = topic.posts.get()
    assert not search_posts(user=None, query="bagel")
    services.post_edit(actor=member, post=post, body="The bagel setting toasts one side.")
    assert search_posts(user=None, query="bagel")
    assert search_posts(user=None, query='"bagel setting"')
    assert not search_posts(user=None, query="bagel -toasts")
    assert search_posts(user=None, query="croissant or bagel")


@pytest.mark.postgres
def test_postgres_snippet_is_escaped_apart_from_marks(category, member):
    TopicFactory(
        category=category,
        author=member,
        title="Markup in a post",
        body="Type `<img src=x onerror=alert(1)>` to break the descaler. **Descaler** rocks.",
    )
    (hit,) = search_posts(user=None, query="descaler").hits
    assert "<mark>" in hit.snippet_html
    assert "<img" not in hit.snippet_html
    assert "&lt;img" in hit.snippet_html
    stripped = hit.snippet_html.replace("<mark>", "").replace("</mark>", "")
    assert "<" not in stripped


@pytest.mark.postgres
@pytest.mark.parametrize(
    "query", ["x" * 10_000, "!!! ??? ...", "&|!:*()", "' OR 1=1 --", "\\", "a & b | !c"]
)
def test_postgres_absurd_queries_answer_cleanly(query, category, member):
    TopicFactory(category=category, author=member, title="Anything at all here")
    results = search_posts(user=None, query=query)
    assert isinstance(results.hits, list)
