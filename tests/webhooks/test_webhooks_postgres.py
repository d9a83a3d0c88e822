"""Concurrency on PostgreSQL: attempts racing for one delivery send it once."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from webhooks import services
from webhooks.models import DeliveryStatus, WebhookDelivery

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_attempts_racing_for_one_delivery_send_it_once(receiver, make_endpoint, monkeypatch):
    """A duplicate message, the sweep and a countdown retry may all reach workers at the same
    moment: the claim lets exactly one of them send."""
    make_endpoint()
    with monkeypatch.context() as patched:  # recorded and committed, but not published
        patched.setattr(services, "deliveries_publish", lambda **kwargs: 0)
        (delivery,) = services.event_record(event="topic.created", data={})
    assert receiver.requests == []
    racers = 6
    barrier = threading.Barrier(racers)
    outcomes: list[str] = []

    def attempt() -> None:
        try:
            barrier.wait(timeout=10)
            outcomes.append(services.delivery_attempt(delivery_id=delivery.pk))
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt) for _ in range(racers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes) == ["skipped"] * (racers - 1) + ["succeeded"]
    assert len(receiver.requests) == 1
    assert WebhookDelivery.objects.get(pk=delivery.pk).status == DeliveryStatus.SUCCEEDED
