"""A worker survives Redis stopping while it holds unacknowledged messages.

The failure this module works around (kombu 5.7.0, celery 5.7.0; no newer release fixes it):
with ``acks_late`` a worker holds messages unacknowledged — the task it is running, and the
countdown/ETA tasks it keeps reserved until they are due. When Redis stops, the consumer
closes the connection twice (``collect()``, then ``close()``). The first close of the consuming
channel stops early, on the dead BRPOP socket, so the channel is not marked closed; meanwhile
``collect()`` detaches the transport from its connection. The second close then tries to give
the unacknowledged messages back to Redis, builds a new connection pool from that detached
transport and fails with ``AttributeError: 'NoneType' object has no attribute 'hostname'`` —
an "unrecoverable error" that ends the worker. Nothing is lost (the messages stay in Redis's
``unacked`` hash) but no task runs until someone restarts the worker.

Even when the close does not crash, giving the messages back needs Redis, which is down: they
would only come back after the broker's visibility timeout (an hour here). So instead of
failing, a channel that cannot reach Redis when it closes hands its delivery tags over to this
module (the messages themselves are safe in Redis), and once the worker is connected again its
periodic unacked-restore pass settles each of them:

* the task never started (a reserved countdown/ETA task — Celery drops those from memory when
  the connection is lost): the message goes back to its queue, so it runs once, on time;
* the task was running and has finished since: its acknowledgement, which the dead channel
  could not deliver, is delivered now (removed from the ``unacked`` hash), so it does not run
  a second time an hour later;
* the task is still running: nothing yet — its acknowledgement is delivered when it finishes.

Restoring goes through kombu's ``restore_by_tag``: one Redis transaction on the ``unacked``
hash, which pushes the message back only if it is still there. A message restored meanwhile
by another worker's visibility-timeout pass, or already acknowledged, is never pushed twice.

The settling runs on the event loop's restore timer (``unacked_restore_interval``, 10 s), not
at connect time: by then the loop has processed what the pool reported during the outage, so
a task that had just been handed to a pool process counts as running, not as never started.
"""

from __future__ import annotations

import logging
from typing import Any

logger = logging.getLogger(__name__)

# Delivery tag -> what is left to do with that message once Redis is reachable again.
_PENDING = "pending"  # no outcome yet: restore it unless its task is running
_ACK = "ack"  # its task finished: remove it from the unacked hash
_REQUEUE = "requeue"  # its task was rejected with requeue: put it back at the queue's head
_orphans: dict[str, str] = {}


def _adopt(qos: Any, reason: object) -> None:
    tags = list(qos._delivered)
    for tag in tags:
        _orphans.setdefault(tag, _PENDING)
    qos._delivered.clear()
    logger.warning(
        "Redis unreachable (%s): %d unacknowledged message(s) stay in Redis; this worker "
        "requeues or acknowledges them once reconnected (if it stops first, Redis's visibility "
        "timeout hands them out again)",
        reason,
        len(tags),
    )


def _running_tags() -> set[str]:
    from celery.worker.state import active_requests

    tags = set()
    for request in list(active_requests):
        message = getattr(request, "message", None)
        if message is not None:
            tags.add(message.delivery_tag)
    return tags


def _settle(qos: Any) -> None:
    """Settle every orphan that can be settled, through `qos` (a channel that is connected).
    A connection error leaves the rest for the next pass."""
    running = _running_tags()
    restored = acknowledged = 0
    with qos.channel.conn_or_acquire() as client:
        for tag, todo in list(_orphans.items()):
            if todo == _PENDING and tag in running:
                continue
            if todo == _ACK:
                qos._remove_from_indices(tag, client.pipeline()).execute()
                acknowledged += 1
            else:
                qos.restore_by_tag(tag, client=client, leftmost=todo == _REQUEUE)
                restored += 1
            del _orphans[tag]
    if restored or acknowledged:
        logger.info(
            "Redis is back: %d message(s) requeued, %d acknowledgement(s) delivered, %d waiting "
            "for a running task",
            restored,
            acknowledged,
            len(_orphans),
        )


def install() -> None:
    """Wrap kombu's Redis QoS and poller (once per process). Covers redis://, rediss:// and
    sentinel://, which share these classes."""
    from kombu.transport import redis, virtual

    qos_cls, poller_cls = redis.QoS, redis.MultiChannelPoller
    if getattr(qos_cls, "_causerie_outage_safe", False):
        return
    restore_unacked = qos_cls.restore_unacked
    ack, reject = qos_cls.ack, qos_cls.reject
    maybe_restore_messages = poller_cls.maybe_restore_messages

    def safe_restore_unacked(self: Any, client: Any = None) -> None:
        if not self._delivered:
            return None  # kombu would still build a client, through a possibly closed transport
        transport = self.channel.connection
        if transport is None or transport.client is None:
            # The second close after a connection loss: no way to build a connection.
            return _adopt(self, "connection already closed")
        try:
            return restore_unacked(self, client)
        except self.channel.connection_errors as exc:
            return _adopt(self, exc)

    def safe_ack(self: Any, delivery_tag: str) -> None:
        if delivery_tag not in _orphans:
            return ack(self, delivery_tag)
        # Its channel is closed: record the outcome, deliver it when Redis is back.
        _orphans[delivery_tag] = _ACK
        return virtual.QoS.ack(self, delivery_tag)

    def safe_reject(self: Any, delivery_tag: str, requeue: bool = False) -> None:
        if delivery_tag not in _orphans:
            return reject(self, delivery_tag, requeue=requeue)
        _orphans[delivery_tag] = _REQUEUE if requeue else _ACK
        return virtual.QoS.ack(self, delivery_tag)

    def settling_maybe_restore_messages(self: Any) -> Any:
        if _orphans:
            for channel in list(self._channels):
                if channel.active_queues and not channel.closed:
                    try:
                        _settle(channel.qos)
                    except channel.connection_errors:
                        logger.debug("orphaned messages: Redis not reachable yet", exc_info=True)
                    break
        return maybe_restore_messages(self)

    qos_cls.restore_unacked = safe_restore_unacked
    qos_cls.ack = safe_ack
    qos_cls.reject = safe_reject
    poller_cls.maybe_restore_messages = settling_maybe_restore_messages
    qos_cls._causerie_outage_safe = True
