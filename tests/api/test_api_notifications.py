"""API v1: the caller's notifications and marking them read."""

from __future__ import annotations

import itertools

import pytest

from notifications.models import Notification
from notifications.services import Subject, notifications_create

pytestmark = pytest.mark.django_db

NOTIFICATIONS = "/api/v1/notifications/"
READ = "/api/v1/notifications/read/"

_keys = itertools.count()


def _notify(recipient, topic, *, kind="reply", actor=None) -> Notification:
    """A notification made by the service the fan-out uses."""
    post = topic.posts.get(number=1)
    (notification_id,) = notifications_create(
        recipient_kinds={recipient.pk: kind},
        subject=Subject(
            dedupe_key=f"test:{next(_keys)}",
            topic_id=topic.pk,
            post_id=post.pk,
            actor_id=actor.pk if actor else None,
            actor_name=actor.username if actor else "",
            data={"title": topic.title, "excerpt": "Descale it."},
        ),
    )
    return Notification.objects.get(pk=notification_id)


def _ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def test_notifications_list_shows_only_the_callers_newest_first(
    api_as, member, other_member, topic
):
    older = _notify(member, topic, actor=other_member)
    newer = _notify(member, topic, kind="mention", actor=other_member)
    _notify(other_member, topic, actor=member)
    response = api_as(member).get(NOTIFICATIONS)
    assert _ids(response) == [newer.pk, older.pk]
    row = response.json()["results"][0]
    assert row["kind"] == "mention" and row["is_read"] is False and row["read_at"] is None
    assert row["actor_name"] == other_member.username
    assert other_member.username in row["text"] and topic.title in row["text"]
    assert row["topic"] == topic.pk and row["title"] == topic.title
    assert row["excerpt"] == "Descale it."
    assert row["url"] == f"/p/{newer.post_id}/"


def test_notifications_unread_filter(api_as, member, topic):
    read = _notify(member, topic)
    unread = _notify(member, topic)
    client = api_as(member)
    client.post(READ, {"ids": [read.pk]}, format="json")
    assert _ids(client.get(NOTIFICATIONS, {"unread": "true"})) == [unread.pk]
    assert _ids(client.get(NOTIFICATIONS, {"unread": "false"})) == [read.pk]
    response = client.get(NOTIFICATIONS, {"unread": "perhaps"})
    assert response.status_code == 400 and set(response.json()) == {"unread"}


def test_notifications_cursor_is_stable_while_new_ones_arrive(api_as, member, topic):
    before = [_notify(member, topic).pk for _ in range(5)]
    client = api_as(member)
    first = client.get(NOTIFICATIONS, {"page_size": 2})
    seen = _ids(first)
    arrived = [_notify(member, topic).pk for _ in range(3)]
    url = first.json()["next"]
    while url:
        response = client.get(url)
        seen += _ids(response)
        url = response.json()["next"]
    assert seen == before[::-1]
    assert not set(arrived) & set(seen)


@pytest.mark.parametrize("count", [3, 50])
def test_notifications_list_query_budget(
    api_as, member, topic, django_assert_max_num_queries, count
):
    for _ in range(count):
        _notify(member, topic)
    client = api_as(member)
    # Token and its last use (2), the caller's permissions for the throttle (2), the page (1).
    with django_assert_max_num_queries(5):
        response = client.get(NOTIFICATIONS, {"page_size": 50})
    assert len(response.json()["results"]) == count


def test_notifications_need_a_signed_in_caller(api):
    assert api.get(NOTIFICATIONS).status_code == 401
    assert api.post(READ, {"all": True}, format="json").status_code == 401


def test_mark_some_read_leaves_the_rest_and_others_notifications_alone(
    api_as, member, other_member, topic
):
    mine = [_notify(member, topic) for _ in range(3)]
    theirs = _notify(other_member, topic)
    response = api_as(member).post(READ, {"ids": [mine[0].pk, theirs.pk]}, format="json")
    assert response.status_code == 200
    assert response.json() == {"marked": 1, "unread_count": 2}
    assert Notification.objects.get(pk=mine[0].pk).read_at is not None
    assert Notification.objects.get(pk=mine[1].pk).read_at is None
    assert Notification.objects.get(pk=theirs.pk).read_at is None


def test_mark_all_read(api_as, member, other_member, topic):
    for _ in range(3):
        _notify(member, topic)
    theirs = _notify(other_member, topic)
    response = api_as(member).post(READ, {"all": True}, format="json")
    assert response.json() == {"marked": 3, "unread_count": 0}
    assert Notification.objects.get(pk=theirs.pk).read_at is None


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({}, "non_field_errors"),
        ({"all": False}, "non_field_errors"),
        ({"ids": [1], "all": True}, "non_field_errors"),
        ({"ids": []}, "ids"),
        ({"ids": ["x"]}, "ids"),
        ({"ids": 5}, "ids"),
        ({"ids": list(range(1, 502))}, "ids"),
        ({"all": "sure"}, "all"),
    ],
)
def test_mark_read_bad_input_is_400_naming_the_field(api_as, member, topic, payload, field):
    notification = _notify(member, topic)
    response = api_as(member).post(READ, payload, format="json")
    assert response.status_code == 400
    assert set(response.json()) == {field}
    notification.refresh_from_db()
    assert notification.read_at is None
