"""Query budgets of the idea pages (ARCHITECTURE.md: the same budget with 3 items and with
50, at most 12), measured anonymous, as a member and as brand staff."""

from __future__ import annotations

import pytest
from django.test import Client

from ideas import services
from tests.factories import TEST_PASSWORD, CategoryFactory, PostFactory, UserFactory

pytestmark = pytest.mark.django_db

BUDGET = 12
SIZES = [3, 50]


@pytest.fixture(params=["anonymous", "member", "staff"])
def reader(request, db):
    client = Client()
    if request.param != "anonymous":
        user = UserFactory(username="reader", brand_staff=request.param == "staff")
        client.login(username=user.username, password=TEST_PASSWORD)
        client.get("/")  # the first request of the day records the visit: not the page's cost
    return client


@pytest.fixture
def board_data(staff):
    def build(size: int):
        categories = [CategoryFactory() for _ in range(3)]
        services.idea_category_settings_set(
            actor=staff, category=categories[0], vote_budget=10, roadmap_public=True
        )
        authors = [UserFactory() for _ in range(5)]
        voters = [UserFactory() for _ in range(3)]
        statuses = ["planned", "in_progress", "shipped", "under_review", "declined"]
        ideas = []
        for number in range(size):
            idea = services.idea_create(
                actor=authors[number % 5],
                category=categories[number % 3],
                title=f"Idea number {number} for the kettle",
                body=f"Body of idea {number}: the kettle could whistle a tune.",
                tags=[f"tag{number % 4}", "kettle"],
            )
            for voter in voters[: number % 4]:
                services.idea_vote_cast(actor=voter, idea=idea, value=1)
            if number % 2:
                services.idea_status_set(
                    actor=staff,
                    idea=idea,
                    status=statuses[number % 5],
                    response=f"Response {number}",
                )
            ideas.append(idea)
        return categories, ideas

    return build


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize(
    "url",
    [
        "/ideas/",
        "/ideas/?ordering=top",
        "/ideas/?ordering=new&status=planned",
        "/ideas/?ordering=updated&q=kettle&tag=kettle",
        "CATEGORY",
        "/roadmap/",
        "/changelog/",
    ],
)
def test_board_roadmap_and_changelog_stay_within_budget(
    reader, board_data, django_assert_max_num_queries, size, url
):
    categories, _ideas = board_data(size)
    if url == "CATEGORY":
        url = f"/ideas/c/{categories[0].slug}/"
    with django_assert_max_num_queries(BUDGET):
        response = reader.get(url)
    assert response.status_code == 200


@pytest.fixture
def busy_idea(staff, category):
    def build(size: int):
        services.idea_category_settings_set(
            actor=staff, category=category, vote_budget=10, roadmap_public=True
        )
        author = UserFactory()
        idea = services.idea_create(
            actor=author, category=category, title="The busiest idea of all", body="Busy."
        )
        for number in range(size):
            services.idea_vote_cast(actor=UserFactory(), idea=idea, value=1)
            PostFactory(topic=idea.topic, author=author, body=f"Comment number {number}")
            status = ["under_review", "planned"][number % 2]
            services.idea_status_set(
                actor=staff, idea=idea, status=status, response=f"Response {number}"
            )
            duplicate = services.idea_create(
                actor=author,
                category=category,
                title=f"A duplicate of the busiest idea {number}",
                body=f"Duplicate {number}.",
            )
            services.idea_merge(actor=staff, source=duplicate, target=idea)
        return idea

    return build


@pytest.mark.parametrize("size", SIZES)
def test_idea_page_stays_within_budget(reader, busy_idea, django_assert_max_num_queries, size):
    idea = busy_idea(size)
    with django_assert_max_num_queries(BUDGET):
        response = reader.get(f"/ideas/{idea.pk}/")
    assert response.status_code == 200
    assert "Comment number" in response.content.decode()


@pytest.mark.parametrize("size", SIZES)
def test_insight_stays_within_budget(login, staff, busy_idea, django_assert_max_num_queries, size):
    idea = busy_idea(size)
    client = login(staff)
    with django_assert_max_num_queries(BUDGET):
        response = client.get(f"/ideas/{idea.pk}/insight/")
    assert response.status_code == 200


@pytest.mark.parametrize("size", SIZES)
def test_challenge_page_stays_within_budget(
    reader, staff, category, django_assert_max_num_queries, size
):
    from datetime import timedelta

    from django.utils import timezone

    now = timezone.now()
    challenge = services.challenge_create(
        actor=staff,
        title="Design our next kettle",
        description="Entries welcome.",
        category=category,
        submission_start=now - timedelta(days=1),
        submission_end=now + timedelta(days=1),
        vote_start=now + timedelta(days=1),
        vote_end=now + timedelta(days=2),
        announcement_at=now + timedelta(days=3),
        jury=[UserFactory()],
    )
    for number in range(size):
        services.idea_create(
            actor=UserFactory(),
            category=category,
            title=f"Entry number {number} of the challenge",
            body=f"Entry {number}.",
            tags=["challenge"],
            challenge=challenge,
        )
    with django_assert_max_num_queries(BUDGET):
        response = reader.get(f"/challenges/{challenge.pk}/")
    assert response.status_code == 200
    with django_assert_max_num_queries(BUDGET):
        assert reader.get("/challenges/").status_code == 200
