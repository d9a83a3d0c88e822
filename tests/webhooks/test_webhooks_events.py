"""Domain events become deliveries — to subscribed endpoints only — with the payload of each
of the six events. Content is created through the services, as the site creates it."""

from __future__ import annotations

import json

import pytest

from community import services as community_services
from community.models import ContentState, Post
from ideas import services as idea_services
from moderation import services as moderation_services
from moderation.models import FlagReason, ReviewItem
from webhooks.models import WebhookDelivery, WebhookEvent


def _payloads(receiver, event: str) -> list[dict]:
    return [r.json for r in receiver.requests if r.headers["X-Causerie-Event"] == event]


def _one(receiver, event: str) -> dict:
    (payload,) = _payloads(receiver, event)
    assert set(payload) == {"id", "event", "created_at", "data"}
    assert payload["event"] == event
    return payload["data"]


def _no_email_anywhere(receiver) -> None:
    for request in receiver.requests:
        assert "@example.org" not in request.body.decode()
        assert "email" not in request.body.decode()


def test_events_go_only_to_endpoints_subscribed_to_them(
    receiver, make_endpoint, make_topic, member, on_commit
):
    topics_only = make_endpoint(events=["topic.created"], description="topics")
    posts_only = make_endpoint(events=["post.created"], description="posts")
    with on_commit():
        topic = make_topic()
    with on_commit():
        community_services.post_create(actor=member, topic=topic, body="Descale it monthly.")

    by_endpoint = dict(
        WebhookDelivery.objects.values_list("endpoint__description", "event").order_by("pk")
    )
    assert by_endpoint == {"topics": "topic.created", "posts": "post.created"}
    assert WebhookDelivery.objects.filter(endpoint=topics_only).count() == 1
    assert WebhookDelivery.objects.filter(endpoint=posts_only).count() == 1
    assert sorted(r.headers["X-Causerie-Event"] for r in receiver.requests) == [
        "post.created",
        "topic.created",
    ]


def test_without_subscribers_nothing_is_recorded_and_no_query_is_spent(
    make_endpoint, make_topic, member, django_assert_max_num_queries, on_commit
):
    """A community without webhooks pays nothing: the receivers ask a cached set."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    make_endpoint(events=["decision.made"])
    topic = make_topic()
    with CaptureQueriesContext(connection) as queries:
        community_services.post_create(
            actor=member, topic=topic, body="Just a reply, nothing more."
        )
    assert not [q for q in queries.captured_queries if "webhooks_" in q["sql"]]
    assert not WebhookDelivery.objects.exists()


def test_topic_created_payload(receiver, make_endpoint, category, author, on_commit):
    make_endpoint(events=["topic.created"])
    with on_commit():
        topic = community_services.topic_create(
            actor=author,
            category=category,
            title="The Aurora whistles",
            body="It **whistles** at 80°C. Normal?",
            kind="question",
            tags=["noise", "aurora"],
        )
    data = _one(receiver, "topic.created")
    facts = data["topic"]
    assert facts["id"] == topic.pk
    assert facts["title"] == "The Aurora whistles"
    assert facts["kind"] == "question"
    assert facts["url"].endswith(topic.get_absolute_url())
    assert facts["url"].startswith("http")
    assert facts["category"]["slug"] == "aurora" and facts["category"]["name"] == "Aurora kettles"
    assert facts["tags"] == ["aurora", "noise"]
    first = facts["post"]
    assert first["number"] == 1 and first["body"] == "It **whistles** at 80°C. Normal?"
    assert first["author"]["username"] == "author_al"
    assert first["author"]["display_name"] == "Al the Author"
    assert first["author"]["url"].endswith("/u/author_al/")
    _no_email_anywhere(receiver)


def test_post_created_payload_is_for_replies(
    receiver, make_endpoint, make_topic, member, on_commit
):
    make_endpoint(events=["post.created"])
    with on_commit():
        topic = make_topic()
    assert receiver.requests == []  # the first post travels with topic.created
    first = Post.objects.get(topic=topic, number=1)
    with on_commit():
        reply = community_services.post_create(
            actor=member, topic=topic, body="Try citric acid.", reply_to=first
        )
    data = _one(receiver, "post.created")
    assert data["post"]["id"] == reply.pk
    assert data["post"]["number"] == 2
    assert data["post"]["body"] == "Try citric acid."
    assert data["post"]["reply_to_post_id"] == first.pk
    assert data["post"]["author"]["username"] == "member_mia"
    assert data["post"]["url"].endswith(reply.get_absolute_url())
    assert data["topic"]["id"] == topic.pk and data["topic"]["title"] == topic.title
    _no_email_anywhere(receiver)


def test_idea_created_payload(receiver, make_endpoint, category, author, on_commit):
    make_endpoint(events=["idea.created", "topic.created"])
    with on_commit():
        idea = idea_services.idea_create(
            actor=author,
            category=category,
            title="A quieter whistle",
            body="Let us choose the whistle's volume.",
        )
    data = _one(receiver, "idea.created")
    assert data["idea"]["id"] == idea.pk
    assert data["idea"]["title"] == "A quieter whistle"
    assert data["idea"]["kind"] == "idea"
    assert data["idea"]["status"] == idea.status
    assert data["idea"]["vote_count"] == 0
    assert data["idea"]["url"].endswith(idea.get_absolute_url())
    assert data["idea"]["post"]["body"] == "Let us choose the whistle's volume."
    # An idea is a topic too: both events, one delivery each.
    assert _one(receiver, "topic.created")["topic"]["id"] == idea.pk


def test_idea_status_changed_payload(
    receiver, make_endpoint, category, author, brand_staff, on_commit
):
    idea = idea_services.idea_create(
        actor=author, category=category, title="A quieter whistle", body="Volume knob, please."
    )
    make_endpoint(events=["idea.status_changed"])
    with on_commit():
        idea_services.idea_status_set(
            actor=brand_staff, idea=idea, status="planned", response="Coming in the spring."
        )
    data = _one(receiver, "idea.status_changed")
    assert data["idea"]["id"] == idea.pk
    assert data["idea"]["status"] == "planned"
    assert data["old_status"] == idea.status
    assert data["new_status"] == "planned"
    assert data["response"] == "Coming in the spring."
    assert data["changed_by"]["username"] == "staff_sue"
    _no_email_anywhere(receiver)


def test_content_flagged_payload_hides_the_flagger(
    receiver, make_endpoint, make_topic, member, on_commit
):
    topic = make_topic()
    post = Post.objects.get(topic=topic, number=1)
    make_endpoint(events=["content.flagged"])
    with on_commit():
        flag = moderation_services.flag_create(
            actor=member, post=post, reason=FlagReason.SPAM, note="My secret note about it"
        )
    data = _one(receiver, "content.flagged")
    assert data["flag"] == {"id": flag.pk, "reason": "spam"}
    assert data["target"]["type"] == "topic"
    assert data["target"]["post_id"] == post.pk and data["target"]["topic_id"] == topic.pk
    assert data["review_item_id"] == ReviewItem.objects.get(post=post).pk
    assert data["routed_to"] == "moderators"
    assert isinstance(data["hidden"], bool) and data["score"] > 0
    body = receiver.requests[0].body.decode()
    assert "member_mia" not in body and "secret note" not in body
    _no_email_anywhere(receiver)


def test_decision_made_payload(receiver, make_endpoint, make_topic, member, moderator, on_commit):
    topic = make_topic()
    post = Post.objects.get(topic=topic, number=1)
    moderation_services.flag_create(actor=member, post=post, reason=FlagReason.ABUSIVE)
    item = ReviewItem.objects.get(post=post)
    make_endpoint(events=["decision.made"])
    with on_commit():
        moderation_services.item_decide(
            actor=moderator, item=item, action="remove", reason="Rule 2: be kind"
        )
    data = _one(receiver, "decision.made")
    assert data["review_item_id"] == item.pk
    assert data["action"] == "remove"
    assert data["actor_role"] == "moderator"
    assert data["reason"] == "Rule 2: be kind"
    assert data["flag_outcome"] == "agreed"
    assert (data["old_state"], data["new_state"]) == ("visible", "removed")
    assert data["target"]["post_id"] == post.pk
    assert data["target"]["url"] is None  # removed content is not linked
    body = receiver.requests[0].body.decode()
    assert "moderator_mo" not in body and "member_mia" not in body


def test_held_content_is_announced_only_once_approved(
    receiver, make_endpoint, make_topic, newcomer, moderator, on_commit
):
    topic = make_topic()
    make_endpoint(events=["post.created"])
    links = "https://a.example https://b.example https://c.example"
    with on_commit():
        held = community_services.post_create(actor=newcomer, topic=topic, body=links)
    assert held.state == ContentState.HELD
    assert receiver.requests == []
    with on_commit():
        moderation_services.item_decide(
            actor=moderator, item=ReviewItem.objects.get(post=held), action="keep"
        )
    data = _one(receiver, "post.created")
    assert data["post"]["id"] == held.pk and data["post"]["body"] == links


def test_a_rolled_back_post_sends_nothing(receiver, make_endpoint, make_topic, member):
    from django.db import transaction

    topic = make_topic()
    make_endpoint(events=["post.created"])

    class Oops(Exception):
        pass

    with pytest.raises(Oops), transaction.atomic():
        community_services.post_create(actor=member, topic=topic, body="Never mind, gone.")
        raise Oops
    assert not WebhookDelivery.objects.exists()
    assert receiver.requests == []


def test_every_event_name_is_the_documented_one():
    assert WebhookEvent.values == [
        "topic.created",
        "post.created",
        "idea.created",
        "idea.status_changed",
        "content.flagged",
        "decision.made",
    ]


def test_the_payload_is_frozen_when_the_event_happens(
    receiver, make_endpoint, make_topic, administrator, on_commit
):
    """A later edit does not change what a retry or a redelivery sends."""
    from webhooks import services

    make_endpoint(events=["topic.created"])
    with on_commit():
        topic = make_topic(title="Before the edit")
    delivery = WebhookDelivery.objects.get()
    topic.title = "After the edit"
    topic.save()
    with on_commit():
        services.delivery_redeliver(actor=administrator, delivery=delivery)
    first, second = (json.loads(r.body) for r in receiver.requests)
    assert first == second
    assert second["data"]["topic"]["title"] == "Before the edit"


def test_a_webhook_failure_never_breaks_the_members_post(
    receiver, make_endpoint, make_topic, member, monkeypatch, on_commit
):
    from webhooks import payloads

    topic = make_topic()
    make_endpoint(events=["post.created"])

    def broken(**kwargs):
        Post.objects.raw("SELECT no_such_column FROM community_post")[0]  # a failing query

    monkeypatch.setattr(payloads, "post_created", broken)
    with on_commit():
        reply = community_services.post_create(actor=member, topic=topic, body="Still posted.")
    assert Post.objects.filter(pk=reply.pk).exists()  # the transaction is still usable
    assert not WebhookDelivery.objects.exists()
    assert receiver.requests == []


@pytest.mark.parametrize("endpoints", [1, 5])
def test_recording_an_event_costs_the_same_for_1_or_5_endpoints(
    endpoints, make_endpoint, make_topic, member, receiver
):
    """Inside the member's request: the snapshot once, one INSERT for all deliveries."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for _ in range(endpoints):
        make_endpoint(events=["post.created"])
    topic = make_topic()
    community_services.post_create(actor=member, topic=topic, body="Warm the caches up.")
    with CaptureQueriesContext(connection) as queries:
        community_services.post_create(actor=member, topic=topic, body="Measured reply.")
    ours = [q["sql"] for q in queries.captured_queries if "webhooks_" in q["sql"]]
    assert len(ours) == 2, ours  # the subscribed endpoints, the deliveries' INSERT
    assert WebhookDelivery.objects.filter(event="post.created").count() == 2 * endpoints
