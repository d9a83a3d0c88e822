"""Celery tasks of the notifications app. Each takes ids, imports the service it calls inside
the function and decides nothing of its own (see ``notifications.services``).

Names, as the beat schedule and the logs show them:

notifications.outbox_process      process one outbox event (direct notifications + fan-out plan)
notifications.outbox_drain        beat, every 30 s: re-publish events the broker missed
notifications.fanout              one chunk of recipients (user-id range) of a fan-out
notifications.deliver_email       immediate e-mails of a list of members (one mail each)
notifications.deliveries_sweep    beat, every 5 min: stalled claims back to pending, lost tasks
notifications.send_digests        beat, hourly: plan the due daily and weekly digests
notifications.send_digest_batch   the digests of one batch of members

Every task runs with acks_late and reject_on_worker_lost (settings), so it may run twice; each
is idempotent through the unique keys described in ``notifications.models``. Transient errors
(mail server, broker, database connection) retry with exponential back-off and jitter, a
bounded number of times; what still fails is recorded (status "failed", visible in the admin)
and logged, never retried forever.
"""

from __future__ import annotations

import logging
import smtplib

from celery import shared_task
from django.db import InterfaceError, OperationalError
from kombu.exceptions import OperationalError as BrokerError

logger = logging.getLogger(__name__)

TRANSIENT = (
    smtplib.SMTPException,
    ConnectionError,
    TimeoutError,
    BrokerError,
    OperationalError,
    InterfaceError,
)
RETRY = {
    "autoretry_for": TRANSIENT,
    "retry_backoff": 5,
    "retry_backoff_max": 300,
    "retry_jitter": True,
    "max_retries": 5,
}


def _token(task) -> str:
    """The claim token of this run: the Celery task id, which a message redelivered after a
    crash keeps (so the task recognises its own claim), or a fresh one when called directly."""
    from notifications.services import new_claim_token

    return task.request.id or new_claim_token()


def _is_eager(task) -> bool:
    return bool(task.request.is_eager or task.app.conf.task_always_eager)


@shared_task(bind=True, name="notifications.outbox_process", **RETRY)
def outbox_process(self, outbox_id: int) -> str:
    from notifications import services

    return services.outbox_process(outbox_id=outbox_id)


@shared_task(name="notifications.outbox_drain")
def outbox_drain() -> int:
    from notifications import services

    return services.outbox_drain()


@shared_task(bind=True, name="notifications.fanout", **RETRY)
def fanout(
    self, source: str, topic_id: int, actor_id: int | None, lo: int, hi: int, args: dict
) -> int:
    from notifications import services

    return services.fanout_chunk(
        source=source, topic_id=topic_id, actor_id=actor_id, lo=lo, hi=hi, args=args
    )


@shared_task(bind=True, name="notifications.deliver_email", max_retries=5)
def deliver_email(self, recipient_ids: list[int]) -> dict:
    """Send each member their pending immediate notifications, merged into one mail.

    Members still inside their merging delay are re-scheduled together; members whose mail
    server failed are retried with back-off (the others are done and not sent again)."""
    from notifications import services

    outcome = services.email_deliver_batch(
        recipient_ids=recipient_ids, claim_token=_token(self), wait=not _is_eager(self)
    )
    if outcome.waiting:
        services.publish(
            deliver_email, args=[sorted(outcome.waiting)], countdown=outcome.wait_seconds + 1
        )
    if outcome.retry:
        # Back-off 10 s, 20 s, 40 s... The deliveries went back to pending: if the retries run
        # out, the sweep re-publishes them until their attempts reach the limit.
        countdown = min(10 * 2**self.request.retries, 600)
        raise self.retry(args=[outcome.retry], countdown=countdown)
    return {"sent": outcome.sent, "skipped": outcome.skipped, "failed": outcome.failed}


@shared_task(name="notifications.deliveries_sweep")
def deliveries_sweep() -> dict:
    from notifications import services

    return services.deliveries_sweep()


@shared_task(name="notifications.send_digests")
def send_digests(frequency: str | None = None) -> dict:
    """Plan the digests due now (both frequencies unless one is given)."""
    from notifications import services

    frequencies = [frequency] if frequency else ["daily", "weekly"]
    return {f: services.digests_enqueue(frequency=f) for f in frequencies}


@shared_task(
    bind=True,
    name="notifications.send_digest_batch",
    max_retries=5,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=5,
)
def send_digest_batch(
    self, frequency: str, period: str, user_ids: list[int], now: str | None = None
) -> dict:
    from datetime import datetime

    from notifications import services

    outcome = services.digest_batch_send(
        frequency=frequency,
        period=period,
        user_ids=user_ids,
        claim_token=_token(self),
        now=datetime.fromisoformat(now) if now else None,
    )
    if outcome.retry_user_ids:
        countdown = min(30 * 2**self.request.retries, 900)
        raise self.retry(args=[frequency, period, outcome.retry_user_ids, now], countdown=countdown)
    return {"sent": outcome.sent, "empty": outcome.empty, "failed": outcome.failed}
