"""The search page: results with highlighted snippets, filters, and friendly messages for
empty or absurd queries."""

from __future__ import annotations

import pytest

from tests.factories import CategoryFactory, PostFactory, TopicFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def corpus(category, member, other_member):
    toasters = CategoryFactory(name="Toasters", slug="toasters")
    kettle = TopicFactory(
        category=category,
        author=member,
        title="Descaling the kettle every month",
        body="I descale my kettle with citric acid <b>every</b> month.",
        kind="question",
        tags=["descaling"],
    )
    PostFactory(topic=kettle, author=other_member, body="Citric acid is gentle on the element.")
    TopicFactory(
        category=toasters, author=other_member, title="Toaster crumbs everywhere", body="Crumbs!"
    )
    return kettle


def test_search_finds_posts_and_highlights_the_words(client, corpus):
    response = client.get("/search/?q=citric")

    html = response.content.decode()
    assert response.status_code == 200
    assert len(response.context["results"]) == 2
    assert "<mark>" in html.lower()
    assert corpus.title in html
    assert "&lt;b&gt;" not in html or "<b>every</b>" not in html  # member text stays escaped


def test_search_filters_by_category_kind_tag_and_author(client, corpus, other_member):
    assert len(client.get("/search/?q=citric&category=toasters").context["results"]) == 0
    assert len(client.get("/search/?q=citric&kind=question").context["results"]) == 2
    assert len(client.get("/search/?q=citric&tag=descaling").context["results"]) == 2
    by_author = client.get(f"/search/?q=citric&author={other_member.username}")
    assert len(by_author.context["results"]) == 1


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("", "Type a few words"),
        ("   ", "Type a few words"),
        ("a", "at least two letters"),
        ("?!%", "Nothing found"),
        ("zzzzqqqq", "Nothing found"),
    ],
)
def test_empty_or_absurd_queries_get_a_friendly_message(client, corpus, query, message):
    response = client.get("/search/", {"q": query})
    assert response.status_code == 200
    assert message in response.content.decode()


def test_overlong_query_is_a_friendly_message(client):
    response = client.get("/search/", {"q": "kettle " * 100})
    assert response.status_code == 200
    assert "too long" in response.content.decode()


def test_invalid_filters_are_shown_and_left_out_of_the_search(client, corpus):
    response = client.get("/search/?q=citric&category=nope&kind=poem&tag=%25%25")

    assert response.status_code == 200
    assert len(response.context["results"]) == 2
    assert response.context["form"].errors.keys() == {"category", "kind", "tag"}
    assert "errorlist" in response.content.decode()


def test_search_box_is_in_every_page_header(client):
    html = client.get("/").content.decode()
    assert 'role="search"' in html
    assert 'action="/search/"' in html


def test_search_paginates(client, category, member, no_daily_limits):
    topic = TopicFactory(category=category, author=member, title="Many kettle replies here")
    for number in range(21):
        PostFactory(topic=topic, author=member, body=f"kettle reply {number}")

    first = client.get("/search/?q=kettle")
    second = client.get("/search/?q=kettle&page=2")

    assert len(first.context["results"]) == 20
    assert 'rel="next"' in first.content.decode()
    assert len(second.context["results"]) == 2
