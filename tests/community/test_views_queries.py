"""Query budgets of the community pages (ARCHITECTURE.md: the same budget with 3 items and
with 50). Each page is measured anonymous and signed in."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from community import services
from community.models import ReadPosition
from tests.factories import TEST_PASSWORD, CategoryFactory, PostFactory, TopicFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("no_daily_limits")]

#: The goal from shared/PERFORMANCE.md: a fixed number of queries per page, at most 12.
BUDGET = 12
SIZES = [3, 50]


@pytest.fixture(params=["anonymous", "member"])
def reader(request, db):
    client = Client()
    if request.param == "member":
        user = UserFactory(username="reader")
        client.login(username=user.username, password=TEST_PASSWORD)
        client.get("/")  # the first request of the day records the visit: not the page's cost
    return client


def _authors(count: int) -> list:
    return [UserFactory() for _ in range(count)]


@pytest.fixture
def many_topics():
    def build(size: int):
        categories = [CategoryFactory() for _ in range(3)]
        authors = _authors(5)
        topics = []
        for number in range(size):
            topic = TopicFactory(
                category=categories[number % 3],
                author=authors[number % 5],
                tags=[f"tag{number % 4}", "kettle"],
                body=f"Topic number {number}: the kettle whistles.",
                kind="question" if number % 2 else None,
            )
            topics.append(topic)
        return categories, topics

    return build


@pytest.fixture
def long_topic():
    def build(size: int):
        authors = _authors(5)
        topic = TopicFactory(author=authors[0], kind="question", tags=["kettle"])
        replies = [
            PostFactory(topic=topic, author=authors[number % 5], body=f"Kettle answer {number}")
            for number in range(size)
        ]
        voter = UserFactory()
        for reply in replies[:3]:
            services.vote_cast(actor=voter, post=reply, value=1)
        services.answer_accept(actor=authors[0], topic=topic, post=replies[-1])
        return topic

    return build


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("url", ["/", "/latest/", "/new/", "/top/?period=all", "/hot/"])
def test_topic_lists_stay_within_budget(
    reader, many_topics, django_assert_max_num_queries, size, url
):
    many_topics(size)
    with django_assert_max_num_queries(BUDGET):
        response = reader.get(url)
    assert response.status_code == 200
    assert len(response.context["topics"]) == min(size, 30)


@pytest.mark.parametrize("size", SIZES)
def test_filtered_list_stays_within_budget(
    reader, many_topics, django_assert_max_num_queries, size
):
    many_topics(size)
    with django_assert_max_num_queries(BUDGET):
        response = reader.get("/latest/?kind=question&tag=kettle&status=open")
    assert response.status_code == 200


@pytest.mark.parametrize("size", SIZES)
def test_category_list_stays_within_budget(
    reader, many_topics, django_assert_max_num_queries, size
):
    categories, _ = many_topics(size)
    for parent in categories:
        CategoryFactory(parent=parent)
    with django_assert_max_num_queries(BUDGET):
        response = reader.get(reverse("community:categories"))
    assert response.status_code == 200


@pytest.mark.parametrize("size", SIZES)
def test_category_page_stays_within_budget(
    reader, many_topics, django_assert_max_num_queries, size
):
    categories, _ = many_topics(size)
    with django_assert_max_num_queries(BUDGET):
        response = reader.get(categories[0].get_absolute_url())
    assert response.status_code == 200


@pytest.mark.parametrize("size", SIZES)
def test_topic_page_stays_within_budget(
    reader, long_topic, django_assert_max_num_queries, size, settings
):
    settings.COMMUNITY_ANON_CACHE = False  # the budget is about a rendered page
    topic = long_topic(size)
    reader.get(topic.get_absolute_url())  # a member has read this page before: no write now
    with django_assert_max_num_queries(BUDGET):
        response = reader.get(topic.get_absolute_url())
    assert response.status_code == 200
    assert len(response.context["posts"]) == min(size + 1, 20)


@pytest.mark.parametrize("size", SIZES)
def test_first_read_of_a_topic_stays_within_budget(long_topic, django_assert_max_num_queries, size):
    """The first read writes the reading position and the member's statistics (two
    statements: `services.topic_read` starts from the topic's annotation) within the same
    budget as any page."""
    topic = long_topic(size)
    client = Client()
    reader = UserFactory()
    client.login(username=reader.username, password=TEST_PASSWORD)
    client.get("/")
    with django_assert_max_num_queries(BUDGET):
        response = client.get(topic.get_absolute_url())
    assert response.status_code == 200
    assert ReadPosition.objects.filter(user=reader, topic=topic).exists()


@pytest.mark.parametrize("size", SIZES)
def test_search_results_stay_within_budget(reader, long_topic, django_assert_max_num_queries, size):
    long_topic(size)
    with django_assert_max_num_queries(BUDGET):
        response = reader.get("/search/?q=kettle+answer")
    assert response.status_code == 200
    assert len(response.context["results"]) == min(size, 20)


@pytest.mark.parametrize("size", SIZES)
def test_profile_with_recent_posts_stays_within_budget(reader, django_assert_max_num_queries, size):
    author = UserFactory(username="prolific")
    topic = TopicFactory(author=author)
    for number in range(size):
        PostFactory(topic=topic, author=author, body=f"Post number {number} of a prolific member")
    with django_assert_max_num_queries(BUDGET):
        response = reader.get(reverse("accounts:profile", args=[author.username]))
    assert response.status_code == 200
    assert "Recent posts" in response.content.decode()
    assert response.content.decode().count('class="profile-posts__item"') == min(size + 1, 10)
