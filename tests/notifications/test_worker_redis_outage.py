"""Redis stops while a real worker holds a countdown task: the worker lives through it.

With acks_late, a worker keeps the countdown/ETA messages it reserved unacknowledged in Redis.
kombu 5.7.0 crashed the worker ("Unrecoverable error: AttributeError: 'NoneType' object has no
attribute 'hostname'") the moment Redis went away in that state; config/celery_redis.py works
around it. Here: a reply schedules the e-mails of the topic's author and of a watcher (countdown
tasks the worker holds), Redis stops for a few seconds and comes back with its data, and each
e-mail goes out exactly once — sent by a task the worker held, put back in the queue, without
restarting the worker.
"""

from __future__ import annotations

import time

import pytest

from notifications.models import DeliveryStatus, Notification
from tests.conftest import celery_broker, wait_for
from tests.factories import CategoryFactory, PostFactory, TopicFactory, UserFactory
from tests.notifications.test_notifications_worker import (
    delivery_of,
    mails_to,
    outbox_settled,
    worker_env,
)

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

DELAY = 8  # s: the e-mail's countdown, still running when Redis stops
DOWN = 6  # s: how long Redis stays stopped


def stop_keeping_data(server) -> None:
    """Stop Redis the way a restart of a persistent Redis does: its data is saved and loaded
    again by the next start (same directory), so the unacknowledged messages are still there."""
    import redis

    redis.Redis.from_url(server.url).shutdown(save=True)
    server.process.wait(timeout=10)
    server.stop()


def held_tasks(broker) -> dict[str, str]:
    """Task id -> task name of the messages in Redis's unacked hash."""
    import json

    held = {}
    for raw in broker.hvals("unacked"):
        headers = json.loads(raw)[0]["headers"]
        held[headers["id"]] = headers["task"]
    return held


def test_redis_stopped_while_the_worker_holds_countdown_emails_then_each_is_sent_once(
    private_redis, worker_factory, var_dir
):
    import redis

    from community import services as community
    from community.models import NotificationLevel

    broker = redis.Redis.from_url(private_redis.url, socket_connect_timeout=1)
    with celery_broker(private_redis.url):
        worker = worker_factory(
            broker_url=private_redis.url,
            env=worker_env(var_dir, NOTIFICATIONS_EMAIL_DELAY_SECONDS=DELAY),
        )
        author = UserFactory(username="alice")  # watches her topic
        topic = TopicFactory(
            category=CategoryFactory(name="Aurora kettles", slug="aurora"),
            author=author,
            title="The Aurora whistles",
        )
        wait_for(outbox_settled, timeout=30, message="the topic's event was not processed")
        watcher = UserFactory(username="carol")
        community.topic_subscribe(actor=watcher, topic=topic, level=NotificationLevel.WATCHING)
        members = [author, watcher]

        PostFactory(topic=topic, author=UserFactory(username="bob"))

        # The worker holds the e-mail tasks until their countdown ends: all that is left in
        # Redis, unacknowledged; nothing else in flight.
        def only_emails_held() -> dict[str, str] | None:
            held = held_tasks(broker)
            pending = all(
                (d := delivery_of(m)) and d.status == DeliveryStatus.PENDING for m in members
            )
            emails_only = held and set(held.values()) == {"notifications.deliver_email"}
            if pending and emails_only and broker.llen("celery") == 0 and outbox_settled():
                return held
            return None

        held = wait_for(
            only_emails_held,
            timeout=30,
            message=f"the worker does not hold the e-mail tasks: {held_tasks(broker)}\n"
            + worker.log()[-3000:],
        )
        for task_id in held:
            assert f"deliver_email[{task_id}] received" in worker.log()

        stop_keeping_data(private_redis)
        time.sleep(DOWN)
        assert worker.process.poll() is None, "the worker died:\n" + worker.log()[-4000:]
        assert all(mails_to(var_dir, m.email) == [] for m in members)

        private_redis.start()
        # Reconnection (back-off 2, 4, 6 s...), the restore pass (every 10 s), the countdown.
        wait_for(
            lambda: all(delivery_of(m).status == DeliveryStatus.SENT for m in members),
            timeout=45,
            message="no e-mail after Redis came back:\n" + worker.log()[-4000:],
        )
        wait_for(
            lambda: broker.hlen("unacked") == 0,
            timeout=10,
            message=f"tasks left unacknowledged: {held_tasks(broker)}",
        )

    assert worker.process.poll() is None
    assert "Unrecoverable error" not in worker.log()
    for member in members:
        delivery = delivery_of(member)
        assert delivery.claim_token in held  # a held task itself ran, put back in the queue
        assert delivery.attempts == 1
        assert len(mails_to(var_dir, member.email)) == 1
        assert Notification.objects.filter(recipient=member).count() == 1
