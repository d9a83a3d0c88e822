"""API v1: search over visible posts (community.search)."""

from __future__ import annotations

import pytest

from community import services
from tests.factories import CategoryFactory, PostFactory, TopicFactory, UserFactory

pytestmark = pytest.mark.django_db

SEARCH = "/api/v1/search/"


def _posts(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [hit["post"] for hit in response.json()["results"]]


def test_search_finds_visible_posts_with_a_marked_snippet(api, topic, other_member):
    reply = PostFactory(topic=topic, author=other_member, body="Descale the kettle monthly.")
    PostFactory(topic=topic, author=other_member, body="Nothing relevant here.")
    response = api.get(SEARCH, {"q": "descale"})
    assert _posts(response) == [reply.pk]
    (hit,) = response.json()["results"]
    assert hit["topic"]["id"] == topic.pk and hit["topic"]["category"]["slug"] == "aurora"
    assert "<mark>" in hit["snippet_html"].lower()
    assert hit["url"] == reply.get_absolute_url() and hit["number"] == 2
    assert response.json()["next"] is None and response.json()["previous"] is None


def test_search_never_shows_hidden_or_held_posts(api, api_as, topic, other_member, moderator):
    hidden = PostFactory(topic=topic, author=other_member, body="Descale secretly.")
    held = PostFactory(topic=topic, author=other_member, body="Descale on hold.")
    services.post_hide(actor=moderator, post=hidden, reason="Rude")
    services.post_hold(actor=None, post=held, reason="Links")
    assert _posts(api.get(SEARCH, {"q": "descale"})) == []
    assert _posts(api_as(other_member).get(SEARCH, {"q": "descale"})) == []


def test_search_filters(api, member, other_member):
    kettles = CategoryFactory(slug="kettles")
    toasters = CategoryFactory(slug="toasters")
    question = TopicFactory(
        category=kettles, author=member, kind="question", tags=["aurora"], body="Descale how?"
    )
    TopicFactory(category=toasters, author=other_member, body="Descale a toaster?")
    first = question.posts.get(number=1).pk
    assert _posts(api.get(SEARCH, {"q": "descale", "category": "kettles"})) == [first]
    assert _posts(api.get(SEARCH, {"q": "descale", "category": str(kettles.pk)})) == [first]
    assert _posts(api.get(SEARCH, {"q": "descale", "tag": "aurora"})) == [first]
    assert _posts(api.get(SEARCH, {"q": "descale", "kind": "question"})) == [first]
    assert _posts(api.get(SEARCH, {"q": "descale", "author": member.username})) == [first]
    assert _posts(api.get(SEARCH, {"q": "descale", "category": "nope"})) == []


@pytest.mark.parametrize(
    ("params", "fields"),
    [
        ({}, {"q"}),
        ({"q": ""}, {"q"}),
        ({"q": "?!…"}, {"q"}),
        ({"q": "x" * 201}, {"q"}),
        ({"q": "descale", "kind": "poem"}, {"kind"}),
    ],
)
def test_search_bad_input_is_400_naming_the_field(api, params, fields):
    response = api.get(SEARCH, params)
    assert response.status_code == 400
    assert set(response.json()) == fields


def test_search_pages_with_cursors(api, topic):
    writer = UserFactory(trust_level=4)
    posts = [
        PostFactory(topic=topic, author=writer, body=f"Descale tip number {index}.").pk
        for index in range(5)
    ]
    first = api.get(SEARCH, {"q": "descale", "page_size": 2})
    seen = _posts(first)
    url = first.json()["next"]
    second = api.get(url)
    seen += _posts(second)
    seen += _posts(api.get(second.json()["next"]))
    assert sorted(seen) == sorted(posts) and len(seen) == 5
    assert _posts(api.get(second.json()["previous"])) == _posts(first)


def test_search_tampered_cursor_is_400(api, topic):
    response = api.get(SEARCH, {"q": "kettle", "cursor": "eyJvIjo1fQ:bad:sig"})
    assert response.status_code == 400 and set(response.json()) == {"cursor"}


@pytest.mark.parametrize("count", [3, 50])
def test_search_query_budget(api_as, topic, member, django_assert_max_num_queries, count):
    writer = UserFactory(trust_level=4)
    for index in range(count):
        PostFactory(topic=topic, author=writer, body=f"Descale tip number {index}.")
    client = api_as(member)
    # Token and its last use (2), the caller's permissions for the throttle (2), the hits (1),
    # and on PostgreSQL their headlines (1).
    with django_assert_max_num_queries(6):
        response = client.get(SEARCH, {"q": "descale", "page_size": 50})
    assert len(response.json()["results"]) == count


@pytest.mark.postgres
def test_search_on_postgresql_stems_and_ranks_title_hits_first(api, category, member):
    in_body = TopicFactory(
        category=category, author=member, title="Morning routine", body="I descaled kettles."
    )
    in_title = TopicFactory(
        category=category, author=member, title="Descaling kettles properly", body="How often?"
    )
    response = api.get(SEARCH, {"q": "kettle descale"})
    assert _posts(response) == [
        in_title.posts.get(number=1).pk,
        in_body.posts.get(number=1).pk,
    ]
    assert response.json()["results"][0]["rank"] > response.json()["results"][1]["rank"]
