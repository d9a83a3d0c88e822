"""Celery tasks of the webhooks app. Each takes ids, imports the service it calls inside the
function and decides nothing of its own (see ``webhooks.services``).

webhooks.deliver   one attempt of one delivery (idempotent: a succeeded delivery is skipped)
webhooks.sweep     beat, every minute: publish due deliveries whose message was missed

Retries of a failed attempt are not Celery retries: the service records the outcome, sets
``next_attempt_at`` from the back-off schedule and publishes ``webhooks.deliver`` again with
that countdown (or, for waits of hours, lets ``webhooks.sweep`` publish it when due), so the
schedule, the attempt count and the "given up" end live in the database (visible in the
delivery log) and survive a lost message. Database and broker errors (not the receiver's) are
retried by Celery a few times.
"""

from __future__ import annotations

from celery import shared_task
from django.db import InterfaceError, OperationalError
from kombu.exceptions import OperationalError as BrokerError

RETRY = {
    "autoretry_for": (OperationalError, InterfaceError, BrokerError),
    "retry_backoff": 5,
    "retry_backoff_max": 300,
    "retry_jitter": True,
    "max_retries": 5,
}


@shared_task(name="webhooks.deliver", **RETRY)
def deliver(delivery_id: int) -> str:
    from webhooks import services

    return services.delivery_attempt(delivery_id=delivery_id)


@shared_task(name="webhooks.sweep")
def sweep() -> int:
    from webhooks import services

    return services.deliveries_sweep()
