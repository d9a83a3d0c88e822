"""API v1, ideas: the board (filters, rankings, cursors), supports, statuses, the roadmap."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.utils import timezone

from community.models import ContentState
from ideas import services
from ideas.models import Idea, IdeaCategorySettings, IdeaStatus, IdeaVote
from tests.factories import CategoryFactory, UserFactory

pytestmark = pytest.mark.django_db

_numbers = itertools.count(1)


@pytest.fixture(autouse=True)
def _no_limits(settings):
    settings.COMMUNITY_DAILY_LIMITS = {}


@pytest.fixture(autouse=True)
def _english():
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture
def make_idea(category, other_member):
    def make(*, author=None, category_=None, tags=(), votes=0):
        n = next(_numbers)
        idea = services.idea_create(
            actor=author or other_member,
            category=category_ or category,
            title=f"An idea for the kettle number {n}",
            body=f"Idea number {n}: it would make mornings better.",
            tags=tags,
        )
        for _ in range(votes):
            services.idea_vote_cast(actor=UserFactory(trust_level=1), idea=idea, value=1)
        return Idea.objects.get(pk=idea.pk)

    return make


def _ids(response) -> list[int]:
    assert response.status_code == 200, response.json()
    return [row["id"] for row in response.json()["results"]]


# --- GET /api/v1/ideas/ -----------------------------------------------------------------------


def test_anybody_lists_ideas_with_my_vote(api, member_api, member, make_idea):
    idea = make_idea(votes=2)
    services.idea_vote_cast(actor=member, idea=idea, value=1)
    anonymous = api.get("/api/v1/ideas/")
    (row,) = anonymous.json()["results"]
    assert row["id"] == idea.pk and row["vote_count"] == 3 and row["my_vote"] == 0
    assert row["status"] == "open" and row["category"] == "aurora"
    assert set(anonymous.json()) == {"next", "previous", "results"}
    assert member_api.get("/api/v1/ideas/").json()["results"][0]["my_vote"] == 1


def test_ideas_filters_and_orderings(api, make_idea, brand_staff):
    toasters = CategoryFactory(name="Toasters", slug="toasters")
    few = make_idea(votes=1)
    many = make_idea(votes=3)
    elsewhere = make_idea(category_=toasters)
    services.idea_status_set(actor=brand_staff, idea=many, status="planned", response="Yes.")
    Idea.objects.filter(pk=few.pk).update(created_at=timezone.now() - dt.timedelta(days=30))
    assert _ids(api.get("/api/v1/ideas/", {"ordering": "top"})) == [many.pk, few.pk, elsewhere.pk]
    assert _ids(api.get("/api/v1/ideas/", {"ordering": "new"}))[-1] == few.pk
    assert _ids(api.get("/api/v1/ideas/", {"status": "planned"})) == [many.pk]
    assert _ids(api.get("/api/v1/ideas/", {"category": "toasters"})) == [elsewhere.pk]
    assert _ids(api.get("/api/v1/ideas/", {"tag": "no-such-tag"})) == []
    assert _ids(api.get("/api/v1/ideas/", {"q": "nothing-matches-this"})) == []
    assert few.pk in _ids(api.get("/api/v1/ideas/", {"ordering": "trending"}))


def test_ideas_bad_filters_are_400(api):
    response = api.get(
        "/api/v1/ideas/", {"status": "someday", "ordering": "best", "challenge": "x"}
    )
    assert response.status_code == 400
    assert set(response.json()) == {"status", "ordering", "challenge"}


def test_held_ideas_are_not_listed(api, make_idea):
    idea = make_idea()
    from community.models import Topic

    Topic.objects.filter(pk=idea.pk).update(state=ContentState.HELD)
    assert _ids(api.get("/api/v1/ideas/")) == []


@pytest.mark.parametrize("ordering", ["top", "trending", "new", "updated"])
def test_ideas_cursor_walks_every_idea_once_despite_ties(api, make_idea, ordering):
    ideas = [make_idea(votes=1 if n % 2 else 0) for n in range(7)]
    same_time = timezone.now()
    Idea.objects.update(created_at=same_time)  # ties everywhere but the id
    seen, url = [], f"/api/v1/ideas/?ordering={ordering}&page_size=3"
    while url:
        body = api.get(url).json()
        seen += [row["id"] for row in body["results"]]
        url = body["next"]
    assert sorted(seen) == sorted(idea.pk for idea in ideas)
    assert len(seen) == len(set(seen))


@pytest.mark.parametrize("ordering", ["new", "top", "trending"])
def test_ideas_cursor_is_stable_while_new_ideas_arrive(api, make_idea, ordering):
    before = [make_idea().pk for _ in range(7)]
    first = api.get(f"/api/v1/ideas/?ordering={ordering}&page_size=3").json()
    seen = [row["id"] for row in first["results"]]
    arrived = [make_idea().pk for _ in range(3)]  # newer ideas, the same supports
    url = first["next"]
    while url:
        body = api.get(url).json()
        seen += [row["id"] for row in body["results"]]
        url = body["next"]
    assert len(seen) == len(set(seen)), "an idea came twice"
    assert set(seen) == set(before) and not set(arrived) & set(seen)


def test_ideas_query_budget_is_the_same_for_3_and_50(
    api_as, member, make_idea, django_assert_max_num_queries
):
    client = api_as(member)
    client.get("/api/v1/me/")  # the token's first use is recorded once
    counts = []
    for total, more in ((3, 3), (50, 47)):
        for _ in range(more):
            make_idea(tags=("kettle",))
        for ordering in ("trending", "top", "new"):
            with django_assert_max_num_queries(8) as captured:
                response = client.get(f"/api/v1/ideas/?ordering={ordering}&page_size=100")
            assert len(response.json()["results"]) == total
            counts.append((ordering, len(captured)))
    assert counts[:3] == counts[3:]


# --- POST /api/v1/ideas/<id>/vote/ ------------------------------------------------------------


def test_member_supports_and_withdraws(member_api, member, make_idea):
    idea = make_idea()
    url = f"/api/v1/ideas/{idea.pk}/vote/"
    supported = member_api.post(url, {"value": 1}, format="json")
    assert supported.status_code == 200
    assert supported.json() == {"id": idea.pk, "vote_count": 1, "my_vote": 1}
    withdrawn = member_api.post(url, {"value": 0}, format="json")
    assert withdrawn.json() == {"id": idea.pk, "vote_count": 0, "my_vote": 0}
    assert not IdeaVote.objects.filter(user=member).exists()


def test_vote_value_must_be_1_or_0(member_api, make_idea):
    idea = make_idea()
    for value in (2, -1, "yes", True, None):
        response = member_api.post(
            f"/api/v1/ideas/{idea.pk}/vote/", {"value": value}, format="json"
        )
        assert response.status_code == 400, value
        assert "value" in response.json()


def test_vote_anonymous_401_own_idea_403_hidden_404(
    api, api_as, member_api, other_member, make_idea
):
    idea = make_idea()
    assert (
        api.post(f"/api/v1/ideas/{idea.pk}/vote/", {"value": 1}, format="json").status_code == 401
    )
    own = api_as(other_member).post(f"/api/v1/ideas/{idea.pk}/vote/", {"value": 1}, format="json")
    assert own.status_code == 403
    from community.models import Topic

    Topic.objects.filter(pk=idea.pk).update(state=ContentState.HIDDEN)
    hidden = member_api.post(f"/api/v1/ideas/{idea.pk}/vote/", {"value": 1}, format="json")
    assert hidden.status_code == 404
    assert (
        member_api.post("/api/v1/ideas/999999/vote/", {"value": 1}, format="json").status_code
        == 404
    )
    assert not IdeaVote.objects.exists()


def test_spent_vote_budget_is_a_400_on_value(member_api, category, make_idea):
    IdeaCategorySettings.objects.create(category=category, vote_budget=1)
    first, second = make_idea(), make_idea()
    assert (
        member_api.post(f"/api/v1/ideas/{first.pk}/vote/", {"value": 1}, format="json").status_code
        == 200
    )
    spent = member_api.post(f"/api/v1/ideas/{second.pk}/vote/", {"value": 1}, format="json")
    assert spent.status_code == 400
    assert "value" in spent.json()


def test_daily_support_limit_is_429_with_retry_after(settings, member_api, make_idea):
    settings.COMMUNITY_DAILY_LIMITS = {"votes": {1: 1}}
    first, second = make_idea(), make_idea()
    assert (
        member_api.post(f"/api/v1/ideas/{first.pk}/vote/", {"value": 1}, format="json").status_code
        == 200
    )
    limited = member_api.post(f"/api/v1/ideas/{second.pk}/vote/", {"value": 1}, format="json")
    assert limited.status_code == 429
    assert int(limited["Retry-After"]) > 0


# --- POST /api/v1/ideas/<id>/status/ ----------------------------------------------------------


def test_brand_staff_set_a_status_with_a_response(api_as, brand_staff, make_idea):
    idea = make_idea()
    response = api_as(brand_staff).post(
        f"/api/v1/ideas/{idea.pk}/status/",
        {"status": "planned", "response": "Coming in the spring firmware."},
        format="json",
    )
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["status"] == "planned"
    assert body["official_response"] == "Coming in the spring firmware."
    assert body["responded_by"] == brand_staff.username
    assert Idea.objects.get(pk=idea.pk).status == IdeaStatus.PLANNED


def test_status_errors_are_400_with_fields(api_as, brand_staff, make_idea):
    idea = make_idea()
    client = api_as(brand_staff)
    shape = client.post(f"/api/v1/ideas/{idea.pk}/status/", {"status": "someday"}, format="json")
    assert shape.status_code == 400
    assert set(shape.json()) == {"status", "response"}
    duplicate = client.post(
        f"/api/v1/ideas/{idea.pk}/status/",
        {"status": "duplicate", "response": "Merged."},
        format="json",
    )
    assert duplicate.status_code == 400 and "status" in duplicate.json()
    note = client.post(
        f"/api/v1/ideas/{idea.pk}/status/",
        {"status": "planned", "response": "Yes.", "release_note": "v2"},
        format="json",
    )
    assert note.status_code == 400 and "release_note" in note.json()
    assert Idea.objects.get(pk=idea.pk).status == IdeaStatus.OPEN


def test_status_is_401_anonymous_403_for_members_and_moderators(
    api, member_api, moderator_api, make_idea
):
    idea = make_idea()
    payload = {"status": "planned", "response": "Yes."}
    url = f"/api/v1/ideas/{idea.pk}/status/"
    assert api.post(url, payload, format="json").status_code == 401
    assert member_api.post(url, payload, format="json").status_code == 403
    assert moderator_api.post(url, payload, format="json").status_code == 403
    assert Idea.objects.get(pk=idea.pk).status == IdeaStatus.OPEN


# --- GET /api/v1/roadmap/ ---------------------------------------------------------------------


def test_roadmap_has_three_columns(api, brand_staff, make_idea):
    planned, shipped = make_idea(votes=1), make_idea()
    services.idea_status_set(actor=brand_staff, idea=planned, status="planned", response="Yes.")
    services.idea_status_set(actor=brand_staff, idea=shipped, status="shipped", response="Done.")
    response = api.get("/api/v1/roadmap/")
    assert response.status_code == 200
    columns = {column["status"]: column for column in response.json()}
    assert list(columns) == ["planned", "in_progress", "shipped"]
    assert [i["id"] for i in columns["planned"]["ideas"]] == [planned.pk]
    assert [i["id"] for i in columns["shipped"]["ideas"]] == [shipped.pk]
    assert columns["shipped"]["ideas"][0]["shipped_at"]


def test_roadmap_category_filter_and_members_only_roadmaps(
    api, member_api, brand_staff, category, make_idea
):
    idea = make_idea()
    services.idea_status_set(actor=brand_staff, idea=idea, status="planned", response="Yes.")
    assert api.get("/api/v1/roadmap/", {"category": "no-such"}).status_code == 404
    assert api.get("/api/v1/roadmap/", {"category": "a b"}).status_code == 400
    IdeaCategorySettings.objects.create(category=category, roadmap_public=False)
    assert api.get("/api/v1/roadmap/", {"category": "aurora"}).json()[0]["ideas"] == []
    member_view = member_api.get("/api/v1/roadmap/", {"category": "aurora"}).json()
    assert [i["id"] for i in member_view[0]["ideas"]] == [idea.pk]


def test_roadmap_query_budget_is_the_same_for_3_and_50(
    api, brand_staff, make_idea, django_assert_max_num_queries
):
    counts = []
    for more in (3, 47):
        for _ in range(more):
            idea = make_idea()
            services.idea_status_set(actor=brand_staff, idea=idea, status="planned", response="Y")
        with django_assert_max_num_queries(5) as captured:
            response = api.get("/api/v1/roadmap/")
        assert response.status_code == 200
        counts.append(len(captured))
    assert len(response.json()[0]["ideas"]) == 50
    assert counts[0] == counts[1]


def test_ids_beyond_any_key_or_negative_are_json_404s(member_api):
    for url in ("/api/v1/ideas/475771528881837208240128/vote/", "/api/v1/ideas/-3/vote/"):
        response = member_api.post(url, {"value": 1}, format="json")
        assert response.status_code == 404
        assert response.json() == {"detail": "Not found."}
