"""Deliveries to a real receiver on 127.0.0.1: signatures, retries, back-off, giving up,
disabling a failing endpoint, redelivery, pings, the sweep, and the SSRF check at delivery."""

from __future__ import annotations

import hashlib
import hmac
import json
import socket
from datetime import timedelta

from django.utils import timezone

from notifications.models import Notification, NotificationKind
from webhooks import services, targets
from webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint

SECRET = "a-very-long-shared-secret-123"


def _record(on_commit, event="topic.created", data=None) -> list[WebhookDelivery]:
    with on_commit():
        deliveries = services.event_record(event=event, data=data or {"topic": {"id": 1}})
    return deliveries


def _fresh(delivery: WebhookDelivery) -> WebhookDelivery:
    return WebhookDelivery.objects.get(pk=delivery.pk)


def _verify(secret: str, body: bytes, header: str) -> bool:
    """What a receiver does (docs/webhooks.md)."""
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header)


def test_a_delivery_arrives_signed_and_the_signature_verifies(receiver, make_endpoint, on_commit):
    endpoint = make_endpoint(events=["topic.created"])
    (delivery,) = _record(on_commit, data={"topic": {"id": 7, "title": "Kettle"}})

    assert len(receiver.requests) == 1
    request = receiver.requests[0]
    assert request.path == "/hooks/causerie"
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["User-Agent"].startswith("Causerie-Webhooks")
    assert request.headers["X-Causerie-Event"] == "topic.created"
    assert request.headers["X-Causerie-Delivery"] == str(delivery.uuid)
    assert request.headers["X-Causerie-Signature"].startswith("sha256=")
    assert _verify(SECRET, request.body, request.headers["X-Causerie-Signature"])
    assert not _verify(
        "another-secret-of-some-length", request.body, request.headers["X-Causerie-Signature"]
    )
    assert not _verify(SECRET, request.body + b" ", request.headers["X-Causerie-Signature"])
    body = request.json
    assert set(body) == {"id", "event", "created_at", "data"}
    assert body["event"] == "topic.created"
    assert body["id"] == str(delivery.event_id)
    assert body["data"] == {"topic": {"id": 7, "title": "Kettle"}}

    delivery = _fresh(delivery)
    assert delivery.status == DeliveryStatus.SUCCEEDED
    assert (delivery.attempts, delivery.last_status_code) == (1, 200)
    assert delivery.delivered_at is not None and delivery.next_attempt_at is None
    assert '"received": true' in delivery.response_excerpt
    assert WebhookEndpoint.objects.get(pk=endpoint.pk).consecutive_failures == 0


def test_a_succeeded_delivery_is_not_sent_again(receiver, make_endpoint, on_commit):
    from webhooks import tasks

    make_endpoint()
    (delivery,) = _record(on_commit)
    assert len(receiver.requests) == 1

    # A redelivered message (acks_late), the sweep, a direct call: nothing goes out twice.
    assert tasks.deliver.apply(args=[delivery.pk]).get() == "skipped"
    WebhookDelivery.objects.filter(pk=delivery.pk).update(claimed_at=None)
    assert services.deliveries_sweep(now=timezone.now() + timedelta(days=2)) == 0
    assert services.delivery_attempt(delivery_id=delivery.pk) == "skipped"
    assert len(receiver.requests) == 1


def test_after_a_500_the_retry_happens_and_succeeds(receiver, make_endpoint, on_commit):
    """Default schedule: the retry is due a minute later; the test moves to that minute."""
    make_endpoint()
    receiver.answer_next(500)
    (delivery,) = _record(on_commit)

    failed = _fresh(delivery)
    assert failed.status == DeliveryStatus.FAILED
    assert (failed.attempts, failed.last_status_code) == (1, 500)
    assert "HTTP 500" in failed.last_error
    assert failed.next_attempt_at - failed.last_attempt_at == timedelta(seconds=60)
    # The retry published at once (eager mode) found the delivery not yet due.
    assert len(receiver.requests) == 1

    assert services.delivery_attempt(delivery_id=delivery.pk, now=failed.next_attempt_at) == (
        "succeeded"
    )
    assert len(receiver.requests) == 2
    first, second = receiver.requests
    # The same delivery: same id, same body, same signature.
    assert first.headers["X-Causerie-Delivery"] == second.headers["X-Causerie-Delivery"]
    assert first.body == second.body
    assert _verify(SECRET, second.body, second.headers["X-Causerie-Signature"])
    done = _fresh(delivery)
    assert (done.status, done.attempts, done.last_status_code) == ("succeeded", 2, 200)


def test_the_retry_is_published_by_the_failed_attempt_itself(
    receiver, make_endpoint, on_commit, settings
):
    """With a zero wait the countdown task (eager) runs at once: 500, then 200, one call."""
    settings.WEBHOOKS_RETRY_SCHEDULE = (0, 0, 0)
    make_endpoint()
    receiver.answer_next(500, 503)
    (delivery,) = _record(on_commit)

    assert [r.headers["X-Causerie-Delivery"] for r in receiver.requests] == [str(delivery.uuid)] * 3
    done = _fresh(delivery)
    assert (done.status, done.attempts, done.last_status_code) == ("succeeded", 3, 200)


def test_retries_follow_the_back_off_schedule_then_give_up(receiver, make_endpoint, on_commit):
    make_endpoint()
    receiver.answer_next(*[500] * 20)
    (delivery,) = _record(on_commit)

    waits = []
    current = _fresh(delivery)
    while current.status == DeliveryStatus.FAILED:
        waits.append((current.next_attempt_at - current.last_attempt_at).total_seconds())
        # Not due yet: an early attempt does nothing.
        assert services.delivery_attempt(delivery_id=delivery.pk) == "skipped"
        services.delivery_attempt(delivery_id=delivery.pk, now=current.next_attempt_at)
        current = _fresh(delivery)

    assert waits == [60, 300, 1800, 7200, 21600, 54000]
    assert 20 * 3600 < sum(waits) < 26 * 3600  # about a day
    assert current.status == DeliveryStatus.GIVEN_UP
    assert current.attempts == 7 and current.next_attempt_at is None
    assert len(receiver.requests) == 7
    assert (
        services.delivery_attempt(delivery_id=delivery.pk, now=timezone.now() + timedelta(days=9))
        == "skipped"
    )


def test_an_endpoint_failing_again_and_again_is_disabled_and_its_owner_told(
    receiver, make_endpoint, on_commit, settings, administrator, mailoutbox
):
    settings.WEBHOOKS_DISABLE_AFTER_FAILURES = 4
    settings.WEBHOOKS_RETRY_SCHEDULE = (60, 60)
    endpoint = make_endpoint(description="Help desk")
    receiver.answer_next(*[500] * 20)
    (first,) = _record(on_commit)
    for _ in range(2):
        with on_commit():
            services.delivery_attempt(delivery_id=first.pk, now=_fresh(first).next_attempt_at)
    assert _fresh(first).status == DeliveryStatus.GIVEN_UP
    assert WebhookEndpoint.objects.get(pk=endpoint.pk).consecutive_failures == 3
    assert WebhookEndpoint.objects.get(pk=endpoint.pk).active

    # Another delivery is recorded while the endpoint is still active, but not attempted.
    with on_commit():
        (waiting,) = services.event_record(event="post.created", data={})
        WebhookDelivery.objects.filter(pk=waiting.pk).update(
            next_attempt_at=timezone.now() + timedelta(hours=1)
        )
    (second,) = _record(on_commit)  # the fourth failure in a row

    endpoint.refresh_from_db()
    assert not endpoint.active
    assert endpoint.disabled_at is not None
    assert "4 failed attempts in a row" in endpoint.disabled_reason
    assert _fresh(second).status == DeliveryStatus.GIVEN_UP
    assert _fresh(waiting).status == DeliveryStatus.GIVEN_UP
    assert len(receiver.requests) == 4

    notice = Notification.objects.get(kind=NotificationKind.WEBHOOK)
    assert notice.recipient == administrator
    assert notice.data["endpoint"] == "Help desk"
    assert notice.data["url"] == endpoint.get_absolute_url()
    assert [m.to for m in mailoutbox] == [[administrator.email]]
    assert "Help desk" in mailoutbox[0].body or "Help desk" in mailoutbox[0].subject

    # Disabled: new events are not recorded for it, nothing is attempted.
    assert _record(on_commit) == []
    assert len(receiver.requests) == 4


def test_one_success_resets_the_failure_count(receiver, make_endpoint, on_commit, settings):
    settings.WEBHOOKS_DISABLE_AFTER_FAILURES = 3
    endpoint = make_endpoint()
    receiver.answer_next(500, 500, 200, 500, 500)
    _record(on_commit)
    _record(on_commit)
    assert WebhookEndpoint.objects.get(pk=endpoint.pk).consecutive_failures == 2
    _record(on_commit)
    assert WebhookEndpoint.objects.get(pk=endpoint.pk).consecutive_failures == 0
    _record(on_commit)
    _record(on_commit)
    endpoint.refresh_from_db()
    assert endpoint.active and endpoint.consecutive_failures == 2


def test_enabling_a_disabled_endpoint_resets_it(make_endpoint, administrator, on_commit):
    endpoint = make_endpoint()
    services.endpoint_disable(actor=administrator, endpoint=endpoint)
    assert not WebhookEndpoint.objects.get(pk=endpoint.pk).active
    assert _record(on_commit) == []
    endpoint = services.endpoint_enable(actor=administrator, endpoint=endpoint)
    assert endpoint.active and endpoint.disabled_at is None and endpoint.consecutive_failures == 0
    assert len(_record(on_commit)) == 1


def test_redeliver_creates_a_new_attempt_with_the_same_event(
    receiver, make_endpoint, administrator, on_commit
):
    make_endpoint()
    (original,) = _record(on_commit)
    with on_commit():
        copy = services.delivery_redeliver(actor=administrator, delivery=original)

    assert copy.pk != original.pk and copy.redelivery_of_id == original.pk
    assert copy.uuid != original.uuid and copy.event_id == original.event_id
    assert copy.requested_by_name == administrator.username
    assert len(receiver.requests) == 2
    first, second = receiver.requests
    assert second.headers["X-Causerie-Delivery"] == str(copy.uuid)
    assert json.loads(first.body) == json.loads(second.body)
    assert _fresh(copy).status == DeliveryStatus.SUCCEEDED
    assert _fresh(original).attempts == 1  # the original's log is left as it was


def test_a_given_up_delivery_can_be_redelivered(
    receiver, make_endpoint, administrator, on_commit, settings
):
    settings.WEBHOOKS_RETRY_SCHEDULE = ()
    make_endpoint()
    receiver.answer_next(500)
    (original,) = _record(on_commit)
    assert _fresh(original).status == DeliveryStatus.GIVEN_UP
    with on_commit():
        copy = services.delivery_redeliver(actor=administrator, delivery=original)
    assert _fresh(copy).status == DeliveryStatus.SUCCEEDED


def test_a_test_ping_is_sent_once_without_retry(receiver, make_endpoint, administrator, on_commit):
    endpoint = make_endpoint(events=["idea.created"])
    with on_commit():
        ping = services.endpoint_ping(actor=administrator, endpoint=endpoint)
    assert receiver.requests[0].headers["X-Causerie-Event"] == "ping"
    assert receiver.requests[0].json["data"]["events"] == ["idea.created"]
    assert _fresh(ping).status == DeliveryStatus.SUCCEEDED

    receiver.answer_next(500)
    with on_commit():
        ping = services.endpoint_ping(actor=administrator, endpoint=endpoint)
    assert _fresh(ping).status == DeliveryStatus.GIVEN_UP


def test_the_sweep_publishes_deliveries_whose_message_was_lost(receiver, make_endpoint):
    """No on_commit here: the publication after commit never happens, as when the broker is
    down; the sweep finds the due delivery and sends it."""
    make_endpoint()
    (delivery,) = services.event_record(event="topic.created", data={})
    assert receiver.requests == []
    assert services.deliveries_sweep() == 0  # still within the grace period
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        next_attempt_at=timezone.now() - timedelta(minutes=5)
    )
    assert services.deliveries_sweep() == 1
    assert len(receiver.requests) == 1
    assert _fresh(delivery).status == DeliveryStatus.SUCCEEDED


def test_a_delivery_claimed_by_a_running_attempt_is_left_alone(receiver, make_endpoint):
    make_endpoint()
    (delivery,) = services.event_record(event="topic.created", data={})
    WebhookDelivery.objects.filter(pk=delivery.pk).update(claimed_at=timezone.now())
    assert services.delivery_attempt(delivery_id=delivery.pk) == "skipped"
    # A claim whose worker died long ago no longer holds it.
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        claimed_at=timezone.now() - timedelta(minutes=30)
    )
    assert services.delivery_attempt(delivery_id=delivery.pk) == "succeeded"
    assert len(receiver.requests) == 1


def test_redirects_are_not_followed(receiver, make_endpoint, on_commit, settings):
    settings.WEBHOOKS_RETRY_SCHEDULE = ()
    receiver.redirect_to = "http://169.254.169.254/latest/meta-data/"
    make_endpoint()
    (delivery,) = _record(on_commit)
    delivery = _fresh(delivery)
    assert len(receiver.requests) == 1
    assert delivery.status == DeliveryStatus.GIVEN_UP
    assert delivery.last_status_code == 302
    assert "Redirects are not followed" in delivery.last_error


def test_an_unreachable_receiver_is_a_failure_not_a_crash(make_endpoint, on_commit):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    make_endpoint(url=f"http://127.0.0.1:{port}/nobody")  # nothing listens there now
    (delivery,) = _record(on_commit)
    delivery = _fresh(delivery)
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.last_status_code is None
    assert "Connection" in delivery.last_error or "refused" in delivery.last_error.lower()


def test_a_name_that_now_resolves_to_loopback_is_refused_at_delivery(
    receiver, make_endpoint, on_commit, settings, monkeypatch
):
    """DNS rebinding: public when registered, 127.0.0.1 when delivered."""
    settings.WEBHOOKS_ALLOW_PRIVATE_TARGETS = False
    answers = {"address": "93.184.215.14"}
    port = int(receiver.url.rsplit(":", 1)[1].split("/")[0])

    def fake_getaddrinfo(host, *args, **kwargs):
        assert host == "hooks.example.com"
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (answers["address"], port))]

    monkeypatch.setattr(targets.socket, "getaddrinfo", fake_getaddrinfo)
    make_endpoint(url=f"http://hooks.example.com:{port}/hooks/causerie")
    answers["address"] = "127.0.0.1"
    (delivery,) = _record(on_commit)

    delivery = _fresh(delivery)
    assert receiver.requests == []
    assert delivery.status == DeliveryStatus.FAILED
    assert "Refused" in delivery.last_error and "127.0.0.1" in delivery.last_error


def test_the_attempt_connects_to_the_address_it_checked(
    receiver, make_endpoint, on_commit, monkeypatch
):
    """The host name is resolved once per attempt: the connection goes to the checked address
    and the Host header still names the host."""
    port = int(receiver.url.rsplit(":", 1)[1].split("/")[0])
    calls = []

    def fake_getaddrinfo(host, *args, **kwargs):
        calls.append(host)
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]

    monkeypatch.setattr(targets.socket, "getaddrinfo", fake_getaddrinfo)
    make_endpoint(url=f"http://hooks.example.com:{port}/in")
    calls.clear()
    _record(on_commit)
    # Resolved once; the connection then goes to the literal address checked (which the
    # socket library "resolves" without asking any DNS server).
    assert [host for host in calls if host != "127.0.0.1"] == ["hooks.example.com"]
    assert receiver.requests[0].headers["Host"] == f"hooks.example.com:{port}"


def test_short_waits_are_countdown_tasks_and_long_ones_wait_for_the_sweep(
    receiver, make_endpoint, on_commit, monkeypatch
):
    """A countdown of hours would outlive Redis's visibility timeout (one hour)."""
    make_endpoint()
    receiver.answer_next(*[500] * 20)
    countdowns = []
    publish = services.deliveries_publish

    def recording_publish(*, delivery_ids, countdown=None):
        if countdown:
            countdowns.append(countdown)
        return publish(delivery_ids=delivery_ids, countdown=countdown)

    monkeypatch.setattr(services, "deliveries_publish", recording_publish)
    (delivery,) = _record(on_commit)
    current = _fresh(delivery)
    while current.status == DeliveryStatus.FAILED:
        services.delivery_attempt(delivery_id=delivery.pk, now=current.next_attempt_at)
        current = _fresh(delivery)
    assert countdowns == [60, 300, 1800]

    # The sweep publishes a long wait once it is due (and not before).
    receiver.answers.clear()  # from now on the receiver answers 200
    (later,) = _record(on_commit)
    WebhookDelivery.objects.filter(pk=later.pk).update(
        status=DeliveryStatus.FAILED,
        delivered_at=None,
        next_attempt_at=timezone.now() + timedelta(hours=2),
    )
    assert services.deliveries_sweep() == 0
    WebhookDelivery.objects.filter(pk=later.pk).update(
        next_attempt_at=timezone.now() - timedelta(minutes=2)
    )
    assert services.deliveries_sweep() == 1
    assert _fresh(later).status == DeliveryStatus.SUCCEEDED
