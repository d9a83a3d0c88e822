"""API v1, moderation: flags, the review queue (list, claim, decide) and the audit log."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.utils import timezone

from community.models import ContentState
from moderation import services
from moderation.models import AuditEntry, Flag, FlagReason, ItemStatus, ReviewItem
from tests.factories import CategoryFactory, PostFactory, TopicFactory, UserFactory

pytestmark = pytest.mark.django_db

ALWAYS = {day: [("00:00", "24:00")] for day in range(7)}


@pytest.fixture(autouse=True)
def _moderation_settings(settings):
    """Moderators on duty, no posting limits, and a hide threshold no test reaches by
    accident (the tests about hiding set their own)."""
    settings.MODERATION_DEFAULT_COVERAGE = ALWAYS
    settings.COMMUNITY_DAILY_LIMITS = {}
    settings.MODERATION_HIDE_SCORE = 1000.0
    settings.MODERATION_DAILY_FLAG_LIMITS = {}


_numbers = itertools.count(1)


def _flaggable_post(category, author):
    """A reply in a new topic, with texts of its own (the same text twice is held as spam)."""
    n = next(_numbers)
    topic = TopicFactory(
        category=category, author=author, title=f"Kettle topic {n}", body=f"Opening post {n}."
    )
    return PostFactory(topic=topic, author=author, body=f"A reply worth flagging, number {n}.")


@pytest.fixture(autouse=True)
def _english():
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture
def author(db):
    return UserFactory(trust_level=1, username="author")


@pytest.fixture
def post(category, author):
    topic = TopicFactory(category=category, author=author, title="Kettle trouble")
    return PostFactory(topic=topic, author=author, body="Buy my kettles at a discount.")


@pytest.fixture
def item(post, other_member):
    services.flag_create(actor=other_member, post=post, reason=FlagReason.SPAM)
    return ReviewItem.objects.get(post=post)


@pytest.fixture
def category_moderator(db, category):
    user = UserFactory(trust_level=2, username="aurora_mod")
    category.moderators.add(user)
    return user


# --- POST /api/v1/flags/ ----------------------------------------------------------------------


def test_member_flags_a_post(member_api, post):
    response = member_api.post(
        "/api/v1/flags/",
        {"target_type": "post", "target_id": post.pk, "reason": "spam", "note": ""},
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["target_type"] == "post" and body["target_id"] == post.pk
    assert body["reason"] == "spam" and body["status"] == "pending"
    item = ReviewItem.objects.get(post=post)
    assert item.flag_count == 1 and item.score > 0


def test_member_flags_a_topic_through_its_first_post(member_api, category, author):
    topic = TopicFactory(category=category, author=author)
    response = member_api.post(
        "/api/v1/flags/",
        {"target_type": "topic", "target_id": topic.pk, "reason": "off_topic"},
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["target_type"] == "topic"
    assert response.json()["target_id"] == topic.pk
    assert Flag.objects.get().on_topic


def test_member_flags_a_profile_by_id_or_by_username(member_api, api_as, author, other_member):
    by_id = member_api.post(
        "/api/v1/flags/",
        {"target_type": "user", "target_id": author.pk, "reason": "other", "note": "A bot."},
        format="json",
    )
    assert by_id.status_code == 201
    assert by_id.json() | {"created_at": None} == {
        "id": by_id.json()["id"],
        "target_type": "user",
        "target_id": author.pk,
        "reason": "other",
        "note": "A bot.",
        "status": "pending",
        "created_at": None,
    }
    by_name = api_as(other_member).post(
        "/api/v1/flags/",
        {"target_type": "user", "target_id": "AUTHOR", "reason": "spam"},
        format="json",
    )
    assert by_name.status_code == 201
    assert ReviewItem.objects.get(member=author).flag_count == 2


def test_flag_input_errors_are_named(member_api, post):
    response = member_api.post(
        "/api/v1/flags/",
        {"target_type": "comment", "target_id": True, "reason": "meh"},
        format="json",
    )
    assert response.status_code == 400
    assert set(response.json()) == {"target_type", "target_id", "reason"}
    not_numeric = member_api.post(
        "/api/v1/flags/",
        {"target_type": "post", "target_id": "abc", "reason": "spam"},
        format="json",
    )
    assert not_numeric.status_code == 400 and "target_id" in not_numeric.json()


def test_flag_other_without_a_note_is_a_400_from_the_service(member_api, post):
    response = member_api.post(
        "/api/v1/flags/",
        {"target_type": "post", "target_id": post.pk, "reason": "other"},
        format="json",
    )
    assert response.status_code == 400
    assert "note" in response.json()
    assert not Flag.objects.exists()


def test_flag_anonymous_is_401(api, post):
    response = api.post(
        "/api/v1/flags/", {"target_type": "post", "target_id": post.pk, "reason": "spam"}
    )
    assert response.status_code == 401


def test_flag_by_a_newcomer_or_on_ones_own_post_is_403(api_as, newcomer, author, post):
    payload = {"target_type": "post", "target_id": post.pk, "reason": "spam"}
    assert api_as(newcomer).post("/api/v1/flags/", payload, format="json").status_code == 403
    assert api_as(author).post("/api/v1/flags/", payload, format="json").status_code == 403
    assert not Flag.objects.exists()


def test_flag_on_content_the_member_may_not_see_is_404(member_api, post, moderator):
    from community import services as community_services

    community_services.post_hide(actor=moderator, post=post, reason="spam")
    response = member_api.post(
        "/api/v1/flags/",
        {"target_type": "post", "target_id": post.pk, "reason": "spam"},
        format="json",
    )
    assert response.status_code == 404
    missing = member_api.post(
        "/api/v1/flags/",
        {"target_type": "user", "target_id": "nobody-here", "reason": "spam"},
        format="json",
    )
    assert missing.status_code == 404


def test_second_flag_by_the_same_member_is_409(member_api, post):
    payload = {"target_type": "post", "target_id": post.pk, "reason": "spam"}
    assert member_api.post("/api/v1/flags/", payload, format="json").status_code == 201
    again = member_api.post("/api/v1/flags/", payload, format="json")
    assert again.status_code == 409
    assert again.json()["detail"]
    assert Flag.objects.count() == 1


def test_daily_flag_limit_is_429_with_retry_after(settings, member_api, category, author):
    settings.MODERATION_DAILY_FLAG_LIMITS = {1: 1}
    first, second = (_flaggable_post(category, author) for _ in "ab")
    ok = member_api.post(
        "/api/v1/flags/",
        {"target_type": "post", "target_id": first.pk, "reason": "spam"},
        format="json",
    )
    assert ok.status_code == 201
    refused = member_api.post(
        "/api/v1/flags/",
        {"target_type": "post", "target_id": second.pk, "reason": "spam"},
        format="json",
    )
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 24 * 3600
    assert Flag.objects.count() == 1


# --- GET /api/v1/mod/queue/ ------------------------------------------------------------------


def test_moderator_reads_the_queue(moderator_api, item, other_member):
    response = moderator_api.get("/api/v1/mod/queue/")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"next", "previous", "results"}
    (row,) = body["results"]
    assert row["id"] == item.pk
    assert row["target_type"] == "post" and row["target_id"] == item.post_id
    assert row["reasons"] == ["spam"] and row["flag_count"] == 1
    assert row["status"] == "pending" and row["claimed_by"] is None
    assert row["score"] == pytest.approx(item.score)


def test_queue_filters_as_the_web_queue(moderator_api, category, author, other_member):
    other_category = CategoryFactory(name="Toasters", slug="toasters")
    spam = _flaggable_post(category, author)
    rude = _flaggable_post(other_category, author)
    services.flag_create(actor=other_member, post=spam, reason=FlagReason.SPAM)
    services.flag_create(actor=other_member, post=rude, reason=FlagReason.ABUSIVE)
    old = ReviewItem.objects.get(post=rude)
    ReviewItem.objects.filter(pk=old.pk).update(
        pending_since=timezone.now() - dt.timedelta(hours=30)
    )

    def ids(**params):
        response = moderator_api.get("/api/v1/mod/queue/", params)
        assert response.status_code == 200, response.json()
        return [row["target_id"] for row in response.json()["results"]]

    assert ids(reason="abusive") == [rude.pk]
    assert ids(category=category.pk) == [spam.pk]
    assert ids(older_than_hours=24) == [rude.pk]
    assert ids(kind="held") == []
    assert ids(status="resolved") == []
    assert sorted(ids(status="all")) == sorted([spam.pk, rude.pk])
    assert ids(mine="true") == []


def test_queue_bad_filters_are_400(moderator_api):
    response = moderator_api.get(
        "/api/v1/mod/queue/", {"status": "maybe", "category": "x", "older_than_hours": -1}
    )
    assert response.status_code == 400
    assert set(response.json()) == {"status", "category", "older_than_hours"}


def test_queue_is_401_anonymous_and_403_for_members(api, member_api, brand_staff, api_as):
    assert api.get("/api/v1/mod/queue/").status_code == 401
    assert member_api.get("/api/v1/mod/queue/").status_code == 403
    assert api_as(brand_staff).get("/api/v1/mod/queue/").status_code == 403


def test_category_moderator_sees_only_their_categories(
    api_as, category_moderator, item, author, other_member
):
    elsewhere = PostFactory(
        topic=TopicFactory(category=CategoryFactory(slug="toasters"), author=author),
        author=author,
    )
    services.flag_create(actor=other_member, post=elsewhere, reason=FlagReason.SPAM)
    response = api_as(category_moderator).get("/api/v1/mod/queue/")
    assert [row["id"] for row in response.json()["results"]] == [item.pk]


def test_queue_cursor_walks_every_item_once_with_tied_scores(moderator_api, category, author):
    flagger = UserFactory(trust_level=1)
    for _n in range(7):  # every item has the same score: only the tuple orders them
        post = _flaggable_post(category, author)
        services.flag_create(actor=flagger, post=post, reason=FlagReason.SPAM)
    seen, url, pages = [], "/api/v1/mod/queue/?page_size=3", 0
    while url:
        body = moderator_api.get(url).json()
        seen += [row["id"] for row in body["results"]]
        url, pages = body["next"], pages + 1
    assert pages == 3
    assert sorted(seen) == sorted(ReviewItem.objects.values_list("pk", flat=True))
    assert len(seen) == len(set(seen)) == 7
    # And back: the previous link of the last page gives the middle page.
    last = moderator_api.get("/api/v1/mod/queue/?page_size=3").json()
    middle = moderator_api.get(last["next"]).json()
    back = moderator_api.get(moderator_api.get(middle["next"]).json()["previous"]).json()
    assert [row["id"] for row in back["results"]] == [row["id"] for row in middle["results"]]


def test_a_malformed_cursor_is_400_not_500(moderator_api, item):
    for cursor in ("bad", "cD1bMSwyXQ==", "cD1bImEiLCJiIiwiYyJd"):  # p=[1,2], p=["a","b","c"]
        response = moderator_api.get("/api/v1/mod/queue/", {"cursor": cursor})
        assert response.status_code == 400
        assert "cursor" in response.json()


def _fill_queue(count: int, category, author, flaggers):
    for _n in range(count):
        post = _flaggable_post(category, author)
        for flagger in flaggers:
            services.flag_create(actor=flagger, post=post, reason=FlagReason.OFF_TOPIC)


def test_queue_query_budget_is_the_same_for_3_and_50_items(
    api_as, moderator, category, author, django_assert_max_num_queries
):
    flaggers = [UserFactory(trust_level=1) for _ in range(2)]
    client = api_as(moderator)
    client.get("/api/v1/me/")  # the token's first use is recorded once
    counts = []
    for total, more in ((3, 3), (50, 47)):
        _fill_queue(more, category, author, flaggers)
        with django_assert_max_num_queries(8) as captured:
            response = client.get("/api/v1/mod/queue/?page_size=100")
        assert len(response.json()["results"]) == total
        counts.append(len(captured))
    assert counts[0] == counts[1]


# --- POST /api/v1/mod/queue/<id>/claim/ ------------------------------------------------------


def test_moderator_claims_an_item(moderator_api, moderator, item):
    response = moderator_api.post(f"/api/v1/mod/queue/{item.pk}/claim/")
    assert response.status_code == 200
    assert response.json()["claimed_by"] == moderator.username
    assert moderator_api.post(f"/api/v1/mod/queue/{item.pk}/claim/").status_code == 200


def test_item_claimed_by_another_moderator_is_409(api_as, moderator, item):
    services.item_claim(actor=UserFactory(moderator=True), item=item)
    response = api_as(moderator).post(f"/api/v1/mod/queue/{item.pk}/claim/")
    assert response.status_code == 409
    assert "already reviewing" in response.json()["detail"]
    decide = api_as(moderator).post(
        f"/api/v1/mod/queue/{item.pk}/decide/", {"action": "keep"}, format="json"
    )
    assert decide.status_code == 409
    assert ReviewItem.objects.get(pk=item.pk).status == ItemStatus.PENDING


def test_claim_is_401_403_and_404_by_role(api, member_api, api_as, category_moderator, item):
    assert api.post(f"/api/v1/mod/queue/{item.pk}/claim/").status_code == 401
    assert member_api.post(f"/api/v1/mod/queue/{item.pk}/claim/").status_code == 403
    other = UserFactory(trust_level=2)
    CategoryFactory(slug="toasters").moderators.add(other)
    assert api_as(other).post(f"/api/v1/mod/queue/{item.pk}/claim/").status_code == 404
    assert api_as(category_moderator).post(f"/api/v1/mod/queue/{item.pk}/claim/").status_code == 200
    assert api_as(category_moderator).post("/api/v1/mod/queue/999999/claim/").status_code == 404


def test_moderator_releases_their_claim(moderator_api, moderator, item):
    services.item_claim(actor=moderator, item=item)
    response = moderator_api.post(f"/api/v1/mod/queue/{item.pk}/release/")
    assert response.status_code == 200
    assert response.json()["claimed_by"] is None
    assert ReviewItem.objects.get(pk=item.pk).claimed_by_id is None
    assert AuditEntry.objects.filter(action="item.release", item_id=item.pk).exists()


def test_release_is_401_403_and_404_by_role(
    api, member_api, api_as, moderator, category_moderator, item
):
    url = f"/api/v1/mod/queue/{item.pk}/release/"
    services.item_claim(actor=moderator, item=item)
    assert api.post(url).status_code == 401
    assert member_api.post(url).status_code == 403
    # A category moderator may not take a global moderator's claim away.
    assert api_as(category_moderator).post(url).status_code == 403
    outsider = UserFactory(trust_level=2)
    CategoryFactory(name="Mugs", slug="mugs").moderators.add(outsider)
    assert api_as(outsider).post(url).status_code == 404
    assert api_as(moderator).post("/api/v1/mod/queue/999999/release/").status_code == 404
    assert ReviewItem.objects.get(pk=item.pk).claimed_by_id == moderator.pk


def test_releasing_an_unclaimed_item_answers_it_as_it_is(moderator_api, item):
    response = moderator_api.post(f"/api/v1/mod/queue/{item.pk}/release/")
    assert response.status_code == 200
    assert response.json()["status"] == "pending"


def test_claiming_a_decided_item_is_409(moderator_api, moderator, item):
    services.item_decide(actor=moderator, item=item, action="keep")
    assert moderator_api.post(f"/api/v1/mod/queue/{item.pk}/claim/").status_code == 409


# --- POST /api/v1/mod/queue/<id>/decide/ -----------------------------------------------------


def test_moderator_removes_a_post_with_a_reason(moderator_api, item, post):
    response = moderator_api.post(
        f"/api/v1/mod/queue/{item.pk}/decide/",
        {"action": "remove", "reason": "Advertising is not allowed."},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "resolved"
    assert response.json()["resolution"] == "remove"
    post.refresh_from_db()
    assert post.state == ContentState.REMOVED
    assert AuditEntry.objects.filter(action="item.remove", item_id=item.pk).exists()


def test_moderator_silences_the_author_for_some_days(moderator_api, item, author):
    from moderation.models import Sanction

    response = moderator_api.post(
        f"/api/v1/mod/queue/{item.pk}/decide/",
        {"action": "silence", "reason": "Spam, again.", "days": 3},
        format="json",
    )
    assert response.status_code == 200, response.json()
    sanction = Sanction.objects.get(member=author)
    assert sanction.kind == Sanction.Kind.SILENCE
    assert dt.timedelta(days=2, hours=23) < sanction.ends_at - sanction.starts_at


def test_decide_errors_are_400_with_fields_and_nothing_changes(moderator_api, item, post):
    shape = moderator_api.post(
        f"/api/v1/mod/queue/{item.pk}/decide/",
        {"action": "obliterate", "days": 0, "rule": "x"},
        format="json",
    )
    assert shape.status_code == 400
    assert set(shape.json()) == {"action", "days", "rule"}
    service = moderator_api.post(
        f"/api/v1/mod/queue/{item.pk}/decide/", {"action": "remove"}, format="json"
    )
    assert service.status_code == 400
    assert "reason" in service.json()
    unknown = moderator_api.post(
        f"/api/v1/mod/queue/{item.pk}/decide/",
        {"action": "move", "category": 999999},
        format="json",
    )
    assert unknown.status_code == 400 and "category" in unknown.json()
    post.refresh_from_db()
    assert post.state == ContentState.VISIBLE
    assert ReviewItem.objects.get(pk=item.pk).status == ItemStatus.PENDING


def test_deciding_an_already_decided_item_is_409(moderator_api, item):
    url = f"/api/v1/mod/queue/{item.pk}/decide/"
    assert moderator_api.post(url, {"action": "keep"}, format="json").status_code == 200
    again = moderator_api.post(url, {"action": "hide"}, format="json")
    assert again.status_code == 409
    assert "already decided" in again.json()["detail"]


def test_decide_is_401_403_and_404_by_role(api, member_api, api_as, category_moderator, item):
    url = f"/api/v1/mod/queue/{item.pk}/decide/"
    assert api.post(url, {"action": "keep"}, format="json").status_code == 401
    assert member_api.post(url, {"action": "keep"}, format="json").status_code == 403
    outsider = UserFactory(trust_level=2)
    CategoryFactory(slug="toasters").moderators.add(outsider)
    assert api_as(outsider).post(url, {"action": "keep"}, format="json").status_code == 404
    # A category moderator may not sanction: site-wide actions are global moderators'.
    silence = api_as(category_moderator).post(
        url, {"action": "silence", "reason": "no", "days": 1}, format="json"
    )
    assert silence.status_code == 403
    assert ReviewItem.objects.get(pk=item.pk).status == ItemStatus.PENDING


# --- GET /api/v1/mod/log/ ---------------------------------------------------------------------


def test_administrator_reads_and_filters_the_audit_log(api_as, administrator, moderator, item):
    services.item_decide(actor=moderator, item=item, action="keep")
    client = api_as(administrator)
    response = client.get("/api/v1/mod/log/")
    assert response.status_code == 200
    actions = [row["action"] for row in response.json()["results"]]
    assert actions[0] == "item.keep" and "flag.create" in actions
    only = client.get("/api/v1/mod/log/", {"action": "item.", "actor_name": moderator.username})
    assert [row["action"] for row in only.json()["results"]] == ["item.keep"]
    assert only.json()["results"][0]["item_id"] == item.pk


def test_moderation_log_is_401_for_visitors_and_403_for_members(api, member_api, item):
    assert api.get("/api/v1/mod/log/").status_code == 401
    assert member_api.get("/api/v1/mod/log/").status_code == 403


@pytest.fixture
def log_scopes(administrator, moderator, category, author, item):
    """Entries of three kinds: a decision in ``category`` (the item), a flag in another
    category, a sanction about a member alone, and the administrators' coverage hours."""
    other = CategoryFactory(name="Teapots", slug="teapots")
    elsewhere = _flaggable_post(other, author)
    flagger = UserFactory(trust_level=2)
    services.flag_create(actor=flagger, post=elsewhere, reason=FlagReason.SPAM)
    services.item_decide(actor=moderator, item=item, action="keep")
    services.moderator_note_create(actor=moderator, member=author, body="Watch the links.")
    services.coverage_hours_set(actor=administrator, schedule=ALWAYS)
    return {"item": item, "elsewhere": ReviewItem.objects.get(post=elsewhere)}


def _log(client, **params) -> list[dict]:
    response = client.get("/api/v1/mod/log/", {"page_size": 100, **params})
    assert response.status_code == 200, response.content
    return response.json()["results"]


def test_moderation_log_is_scoped_like_the_queue(
    api_as, administrator, moderator, category_moderator, category, log_scopes
):
    everything = _log(api_as(administrator))
    actions = {row["action"] for row in everything}
    assert {"item.keep", "flag.create", "note.create", "coverage.set"} <= actions
    # Global moderators: everything but the administrators' own settings.
    global_view = _log(api_as(moderator))
    assert {row["id"] for row in global_view} == {
        row["id"] for row in everything if not row["action"].startswith("coverage.")
    }
    # Category moderators: their categories' entries only (not a member-only note).
    scoped = _log(api_as(category_moderator))
    assert scoped and {row["category_id"] for row in scoped} == {category.pk}
    assert {row["item_id"] for row in scoped} == {log_scopes["item"].pk}
    assert "note.create" not in {row["action"] for row in scoped}
    # A filter on another category gives nothing, not the other category's entries.
    other_id = log_scopes["elsewhere"].category_id
    assert _log(api_as(category_moderator), category_id=other_id) == []
    assert _log(api_as(moderator), category_id=other_id)


def test_moderation_log_cursor_is_stable_while_entries_arrive(api_as, moderator):
    for n in range(5):
        AuditEntry.objects.create(actor_name="system", actor_role="system", action=f"test.{n}")
    client = api_as(moderator)
    first = client.get("/api/v1/mod/log/", {"page_size": 2}).json()
    for n in range(3):  # newer entries meanwhile
        AuditEntry.objects.create(actor_name="system", actor_role="system", action=f"new.{n}")
    seen = [row["action"] for row in first["results"]]
    url = first["next"]
    while url:
        page = client.get(url).json()
        seen += [row["action"] for row in page["results"]]
        url = page["next"]
    assert seen == [f"test.{n}" for n in reversed(range(5))]


def test_audit_log_bad_filters_are_400(api_as, administrator):
    response = api_as(administrator).get(
        "/api/v1/mod/log/", {"subject_id": "x", "since": "yesterday"}
    )
    assert response.status_code == 400
    assert set(response.json()) == {"subject_id", "since"}


def test_audit_log_query_budget_is_the_same_for_3_and_50_entries(
    api_as, administrator, django_assert_max_num_queries
):
    client = api_as(administrator)
    client.get("/api/v1/me/")  # the token's first use is recorded once
    counts = []
    for wanted in (3, 50):
        while AuditEntry.objects.count() < wanted:
            AuditEntry.objects.create(actor_name="system", actor_role="system", action="test.entry")
        with django_assert_max_num_queries(6) as captured:
            response = client.get("/api/v1/mod/log/?page_size=100")
        assert len(response.json()["results"]) == wanted
        counts.append(len(captured))
    assert counts[0] == counts[1]


@pytest.mark.parametrize("who", ["moderator", "category_moderator"])
def test_moderation_log_query_budget_is_the_same_for_3_and_50_entries_for_moderators(
    api_as, request, category, who, django_assert_max_num_queries
):
    client = api_as(request.getfixturevalue(who))
    client.get("/api/v1/me/")  # the token's first use is recorded once
    counts = []
    for wanted in (3, 50):
        while AuditEntry.objects.count() < wanted:
            AuditEntry.objects.create(
                actor_name="system",
                actor_role="system",
                action="test.entry",
                category_id=category.pk,
            )
        with django_assert_max_num_queries(7) as captured:
            response = client.get("/api/v1/mod/log/?page_size=100")
        assert len(response.json()["results"]) == wanted
        counts.append(len(captured))
    assert counts[0] == counts[1]


def test_item_ids_beyond_any_key_are_404_for_moderators_403_for_members(moderator_api, member_api):
    url = "/api/v1/mod/queue/475771528881837208240128/claim/"
    assert moderator_api.post(url).status_code == 404
    assert member_api.post(url).status_code == 403
