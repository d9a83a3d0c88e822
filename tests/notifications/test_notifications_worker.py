"""Acceptance tests with real Celery workers, a real Redis broker and PostgreSQL.

Each test runs its own redis-server (tests/conftest.py `private_redis`), so killing workers or
stopping Redis cannot disturb anything else. Workers write e-mails with Django's file backend
into the test's own folder (CAUSERIE_VAR_DIR/mail) and run without the merging delay.

* a reply → exactly one notification and one e-mail for a watcher; a muted member gets none;
* kill -9 of the pool process in the middle of the delivery task → requeued (acks_late,
  reject_on_worker_lost), the e-mail goes out once;
* kill -9 of the whole worker → a new worker's sweep sends it once; the original message, when
  Redis finally redelivers it, sends nothing;
* Redis stopped while a member posts → no 500, the post is saved, the event waits in the
  outbox; Redis back → the drain task, on a real worker, delivers the notification once.
"""

from __future__ import annotations

import email
import email.policy
import time
from pathlib import Path

import pytest

from community import services as community
from community.models import NotificationLevel, Post
from notifications import tasks
from notifications.models import (
    Delivery,
    DeliveryChannel,
    DeliveryStatus,
    Notification,
    Outbox,
    OutboxStatus,
)
from tests.conftest import celery_broker, wait_for
from tests.factories import CategoryFactory, PostFactory, TopicFactory, UserFactory

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

PAUSE = 4  # seconds the delivery task sleeps after its claim: the kill lands there


def mails_to(var_dir: Path, address: str) -> list[email.message.EmailMessage]:
    """Messages the file backend wrote for `address` (each file may hold several)."""
    found = []
    for file in sorted((var_dir / "mail").glob("*.log")):
        for chunk in file.read_bytes().split(b"\n" + b"-" * 79 + b"\n"):
            if chunk.strip():
                message = email.message_from_bytes(chunk, policy=email.policy.default)
                if address in str(message["To"]):
                    found.append(message)
    return found


def worker_env(var_dir: Path, **extra: object) -> dict[str, str]:
    return {
        "CAUSERIE_VAR_DIR": str(var_dir),
        "NOTIFICATIONS_EMAIL_DELAY_SECONDS": "0",
        "NOTIFICATIONS_OUTBOX_GRACE_SECONDS": "0",
        "SITE_URL": "https://community.example.org",
        **{name: str(value) for name, value in extra.items()},
    }


def outbox_settled() -> bool:
    return not Outbox.objects.exclude(status=OutboxStatus.DONE).exists()


@pytest.fixture
def scene(private_redis):
    """A topic by alice; carol watches it, mona watches the category but muted the topic.
    The topic's own notifications are settled before the test begins."""

    def build():
        category = CategoryFactory(name="Aurora kettles", slug="aurora")
        author = UserFactory(username="alice")
        topic = TopicFactory(category=category, author=author, title="The Aurora whistles")
        wait_for(outbox_settled, timeout=30, message="the topic's outbox event was not processed")
        watcher = UserFactory(username="carol")
        community.topic_subscribe(actor=watcher, topic=topic, level=NotificationLevel.WATCHING)
        muted = UserFactory(username="mona")
        community.category_subscribe(
            actor=muted, category=category, level=NotificationLevel.WATCHING
        )
        community.topic_subscribe(actor=muted, topic=topic, level=NotificationLevel.MUTED)
        replier = UserFactory(username="bob")
        return topic, watcher, muted, replier

    return build


def delivery_of(user) -> Delivery | None:
    return Delivery.objects.filter(recipient=user, channel=DeliveryChannel.EMAIL).first()


def test_reply_gives_a_watcher_one_notification_and_one_email_and_a_muted_member_none(
    private_redis, worker_factory, var_dir, scene
):
    started = time.monotonic()
    with celery_broker(private_redis.url):
        worker = worker_factory(broker_url=private_redis.url, env=worker_env(var_dir))
        topic, watcher, muted, replier = scene()

        PostFactory(topic=topic, author=replier, body="Descale it with citric acid.")

        wait_for(
            lambda: (d := delivery_of(watcher)) and d.status == DeliveryStatus.SENT,
            timeout=30,
            message="no e-mail sent to the watcher:\n" + worker.log()[-3000:],
        )
        wait_for(outbox_settled, timeout=30)

    assert Notification.objects.filter(recipient=watcher).count() == 1
    assert Notification.objects.filter(recipient=muted).count() == 0
    (message,) = mails_to(var_dir, watcher.email)
    assert "bob posted in" in message["Subject"]
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert mails_to(var_dir, muted.email) == []
    print(
        f"reply → notification + e-mail through a real worker: {time.monotonic() - started:.1f} s"
    )


def test_worker_process_killed_during_delivery_sends_the_email_once(
    private_redis, worker_factory, var_dir, scene
):
    with celery_broker(private_redis.url):
        worker = worker_factory(
            broker_url=private_redis.url,
            env=worker_env(var_dir, NOTIFICATIONS_TEST_PAUSE_BEFORE_SEND=PAUSE),
        )
        topic, watcher, _muted, replier = scene()
        PostFactory(topic=topic, author=replier)

        # The delivery task claimed the e-mail (its own commit) and now sleeps before SMTP.
        wait_for(
            lambda: (d := delivery_of(watcher)) and d.status == DeliveryStatus.SENDING,
            timeout=30,
            message="the delivery was never claimed:\n" + worker.log()[-3000:],
        )
        killed = worker.kill_pool_child()
        assert mails_to(var_dir, watcher.email) == []

        wait_for(
            lambda: delivery_of(watcher).status == DeliveryStatus.SENT,
            timeout=60,
            message="the e-mail was not sent after the kill:\n" + worker.log()[-4000:],
        )

    delivery = delivery_of(watcher)
    assert delivery.attempts == 2  # claimed by the killed run, then by the redelivered one
    assert len(mails_to(var_dir, watcher.email)) == 1
    assert "WorkerLostError" in worker.log()
    assert killed not in worker.pool_children()


def test_whole_worker_killed_during_delivery_sends_the_email_once_after_restart(
    private_redis, worker_factory, var_dir, scene
):
    env = worker_env(
        var_dir, NOTIFICATIONS_TEST_PAUSE_BEFORE_SEND=PAUSE, NOTIFICATIONS_SENDING_STALE_SECONDS=2
    )
    with celery_broker(private_redis.url):
        first = worker_factory(broker_url=private_redis.url, env=env)
        topic, watcher, _muted, replier = scene()
        PostFactory(topic=topic, author=replier)
        wait_for(
            lambda: (d := delivery_of(watcher)) and d.status == DeliveryStatus.SENDING,
            timeout=30,
            message="the delivery was never claimed:\n" + first.log()[-3000:],
        )
        lost_task_id = delivery_of(watcher).claim_token
        first.kill()  # main process and pool: the message stays unacknowledged in Redis
        assert mails_to(var_dir, watcher.email) == []

        second = worker_factory(broker_url=private_redis.url, env=env)
        time.sleep(2.5)  # the claim is now stale (NOTIFICATIONS_SENDING_STALE_SECONDS=2)
        tasks.deliveries_sweep.delay()  # what the beat runs every few minutes
        wait_for(
            lambda: delivery_of(watcher).status == DeliveryStatus.SENT,
            timeout=60,
            message="the e-mail was not sent after the restart:\n" + second.log()[-4000:],
        )
        assert len(mails_to(var_dir, watcher.email)) == 1

        # Redis hands the lost message out again after its visibility timeout (an hour): it
        # carries the same task id, and finds nothing left to send.
        tasks.deliver_email.apply_async(args=[[watcher.pk]], task_id=lost_task_id)
        wait_for(
            lambda: f"[{lost_task_id}] succeeded" in second.log(),
            timeout=30,
            message="the redelivered task did not run:\n" + second.log()[-3000:],
        )

    assert len(mails_to(var_dir, watcher.email)) == 1
    assert Notification.objects.filter(recipient=watcher).count() == 1


def test_redis_stopped_while_a_member_posts_then_the_notification_arrives_once(
    private_redis, worker_factory, var_dir, scene, client, settings
):
    from django.core.cache import caches

    with celery_broker(private_redis.url):
        worker = worker_factory(broker_url=private_redis.url, env=worker_env(var_dir))
        topic, watcher, _muted, replier = scene()
        client.force_login(replier)

        # Redis goes down: the broker and the cache (this process's cache too).
        private_redis.stop()
        settings.CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": private_redis.url,
                "OPTIONS": {"socket_connect_timeout": 0.5, "socket_timeout": 0.5},
            }
        }
        caches._settings = None
        started = time.monotonic()
        response = client.post(f"/t/{topic.pk}/reply/", {"body": "Posted while Redis is down."})
        elapsed = time.monotonic() - started

        assert response.status_code in (200, 302), response.content[:2000]
        post = Post.objects.get(topic=topic, body="Posted while Redis is down.")
        event = Outbox.objects.get(key=f"post:{post.pk}")
        assert event.status == OutboxStatus.PENDING
        assert not Notification.objects.filter(recipient=watcher).exists()
        assert elapsed < 5, f"posting took {elapsed:.1f} s with Redis down"

        # Redis is back; the worker reconnects; the beat's drain runs on it.
        private_redis.start()
        wait_for(
            lambda: _published(tasks.outbox_drain),
            timeout=30,
            message="could not publish the drain",
        )
        wait_for(
            lambda: Notification.objects.filter(recipient=watcher).exists(),
            timeout=60,
            message="no notification after Redis came back:\n" + worker.log()[-4000:],
        )
        wait_for(
            lambda: delivery_of(watcher).status == DeliveryStatus.SENT,
            timeout=30,
            message="no e-mail after Redis came back:\n" + worker.log()[-4000:],
        )
        # Another drain finds nothing to do: the event is processed.
        tasks.outbox_drain.delay()
        time.sleep(2)

    event.refresh_from_db()
    assert event.status == OutboxStatus.DONE
    assert Notification.objects.filter(recipient=watcher).count() == 1
    assert len(mails_to(var_dir, watcher.email)) == 1
    print(f"reply with Redis down: HTTP {response.status_code} in {elapsed:.2f} s")


def _published(task) -> bool:
    try:
        task.apply_async(retry=True, retry_policy={"max_retries": 0})
    except Exception:  # Redis is still starting
        return False
    return True
