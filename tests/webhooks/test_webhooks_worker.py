"""Through the broker: a real Celery worker (PostgreSQL + Redis) delivers to the receiver,
and retries after a 500 with a countdown task."""

from __future__ import annotations

import hashlib
import hmac

import pytest
from django.conf import settings

from tests.conftest import wait_for
from webhooks.models import DeliveryStatus, WebhookDelivery

pytestmark = [pytest.mark.worker, pytest.mark.postgres, pytest.mark.redis]

SECRET = "a-very-long-shared-secret-123"


def test_a_worker_delivers_through_the_broker_and_retries_after_a_500(
    worker_factory, receiver, make_endpoint, make_topic
):
    worker = worker_factory(
        broker_url=settings.REDIS_URL,
        env={"WEBHOOKS_ALLOW_PRIVATE_TARGETS": "1", "WEBHOOKS_RETRY_SCHEDULE": "1,1"},
    )
    make_endpoint(events=["topic.created"])
    receiver.answer_next(500)
    topic = make_topic(title="Delivered by a worker")  # committed: transactional test

    wait_for(
        lambda: len(receiver.requests) >= 2,
        timeout=60,
        message=f"no retry reached the receiver:\n{worker.log()[-3000:]}",
    )
    first, second = receiver.requests[:2]
    assert first.headers["X-Causerie-Delivery"] == second.headers["X-Causerie-Delivery"]
    expected = "sha256=" + hmac.new(SECRET.encode(), second.body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(expected, second.headers["X-Causerie-Signature"])
    assert second.json["data"]["topic"]["id"] == topic.pk

    delivery = wait_for(
        lambda: WebhookDelivery.objects.filter(status=DeliveryStatus.SUCCEEDED).first(),
        timeout=30,
        message=f"the delivery was not marked succeeded:\n{worker.log()[-3000:]}",
    )
    assert (delivery.attempts, delivery.last_status_code) == (2, 200)
    assert "webhooks.deliver" in worker.log()
    assert len(receiver.requests) == 2
