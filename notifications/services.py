"""Every write of the notifications app: the outbox, notifications, e-mail deliveries, digests,
preferences and unsubscribing.

How an event becomes notifications and e-mails (read top to bottom)
=====================================================================

1. **Transactional outbox.** A receiver in ``notifications.handlers`` runs inside the business
   transaction (``post_create``, ``vote_cast``...) and calls :func:`outbox_record`: one
   ``Outbox`` row, written in the same transaction as the post. Either both are committed or
   neither. ``transaction.on_commit`` then tries to publish ``notifications.outbox_process``
   for the row, with a fail-fast publish: when Redis is down the request neither waits nor
   fails, the row just stays ``pending``.
2. **Drain.** The beat runs ``notifications.outbox_drain`` every 30 s: it publishes again the
   rows still pending after ``NOTIFICATIONS_OUTBOX_GRACE_SECONDS``. Nothing is lost while the
   broker is down; events are processed once it is back.
3. **Processing** (:func:`outbox_process`) is idempotent, so a row processed twice (a drain
   racing the on-commit publish, a redelivered task) creates nothing twice: direct recipients
   (mentioned, replied to, quoted) get their notification at once; watchers are split into
   chunks of ``NOTIFICATIONS_FANOUT_CHUNK`` user ids by keyset pagination and each chunk is a
   ``notifications.fanout`` task. The row is marked done only after every chunk was published.
4. **Notifications** are inserted with ``bulk_create(ignore_conflicts=True)`` on the unique
   (recipient, dedupe_key); each gets a ``Delivery`` per the member's e-mail preference
   (immediate e-mail, daily or weekly digest, or none), unique per (notification, channel).
5. **Immediate e-mail** (:func:`email_deliver`): ``notifications.deliver_email`` runs after
   ``NOTIFICATIONS_EMAIL_DELAY_SECONDS``; it waits while notifications keep coming (capped by
   ``NOTIFICATIONS_EMAIL_MAX_DELAY_SECONDS``), then claims every pending delivery of the member
   in its own commit (status ``sending``, claim token = the Celery task id), drops those read on
   the site meanwhile, sends ONE mail for the rest and marks them ``sent``.

The crash window, honestly
--------------------------
Workers acknowledge a task after it ran (``acks_late``) and requeue it when the process dies
(``reject_on_worker_lost``). A task killed after claiming and before the SMTP server accepted
the mail leaves deliveries ``sending``:

* the requeued message carries the same task id, so the next run recognises the claim as its
  own and sends — the mail goes out once;
* if the message itself is lost (the whole worker killed: Redis only restores unacknowledged
  messages after its ``visibility_timeout``), :func:`deliveries_sweep` gives deliveries claimed
  longer than ``NOTIFICATIONS_SENDING_STALE_SECONDS`` back to ``pending`` and they are sent.

The remaining window is between the SMTP server's "250 OK" and the UPDATE that marks the
deliveries sent — one database round trip. A crash exactly there sends the mail a second
time. We chose at-least-once over at-most-once (a lost reply notification is worse than a rare
duplicate), and the resent mail carries the same ``Message-ID`` (derived from the delivery
ids), which lets most mailbox providers fold the duplicate.

Digests follow the same claim/mark protocol per member with the ``Digest`` row (unique per
member, frequency and period) as the key.
"""

from __future__ import annotations

import hashlib
import logging
import smtplib
import time
import uuid
from collections.abc import Collection, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import get_connection
from django.db import connection as db_connection
from django.db import transaction
from django.db.models import Count, F, Max, Min, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from community.models import ContentState, Post, Topic
from notifications import conf, selectors
from notifications.models import (
    DEFAULT_EMAIL_FREQUENCY,
    KIND_PRIORITY,
    Delivery,
    DeliveryChannel,
    DeliveryStatus,
    Digest,
    DigestFrequency,
    DigestSchedule,
    DigestStatus,
    EmailFrequency,
    EmailPreference,
    MemberMute,
    Notification,
    NotificationKind,
    Outbox,
    OutboxStatus,
)

logger = logging.getLogger(__name__)

UPVOTE_MILESTONES = (1, 10, 100)

# A fast-failing publish for code that must not wait on the broker (the request, a drain):
# one attempt, no back-off. Measured: Celery's default publish policy blocks ~0.6 s and
# `retry=False` ~6 s against a closed port; this fails in ~0.1 s.
FAIL_FAST = {"retry": True, "retry_policy": {"max_retries": 0}}

# Errors worth retrying: the mail server or the network hiccuped.
TRANSIENT_MAIL_ERRORS = (smtplib.SMTPException, OSError)


class TransientDeliveryError(Exception):
    """Sending failed for a reason worth retrying (the deliveries went back to pending)."""


def _frequency_channel(frequency: str) -> str | None:
    return {
        EmailFrequency.IMMEDIATELY: DeliveryChannel.EMAIL,
        EmailFrequency.DAILY: DeliveryChannel.DAILY,
        EmailFrequency.WEEKLY: DeliveryChannel.WEEKLY,
    }.get(frequency)


def _celery_eager() -> bool:
    from config.celery import app

    return bool(app.conf.task_always_eager)


def publish(
    task, *, args: Iterable = (), countdown: float | None = None, fail_fast: bool = False
) -> bool:
    """Publish a Celery task. With ``fail_fast`` the broker gets one try and an error is
    logged and swallowed (returns False): callers rely on a periodic task to catch up."""
    options = dict(FAIL_FAST) if fail_fast else {}
    if countdown:
        options["countdown"] = countdown
    if not fail_fast:
        task.apply_async(args=list(args), **options)
        return True
    try:
        task.apply_async(args=list(args), **options)
    except Exception as exc:  # the broker is down, or an eager task failed: never break the caller
        logger.warning(
            "could not publish %s%s (%s: %s); a periodic task will retry",
            task.name,
            list(args),
            type(exc).__name__,
            exc,
        )
        return False
    return True


# --- Outbox ---------------------------------------------------------------------------------------


def outbox_record(*, event: str, key: str, payload: dict) -> Outbox:
    """Store an event to process, in the caller's transaction, and publish it after commit.

    Must be called inside the business transaction: the row commits or rolls back with it."""
    row = Outbox.objects.create(event=event, key=key, payload=payload)
    transaction.on_commit(lambda: outbox_publish(outbox_id=row.pk))
    return row


def outbox_merge_post_event(*, post_id: int, field_name: str, values: Iterable[int]) -> bool:
    """Add mentioned members or quoted posts to the pending "post_published" event of the same
    post, if there is one (the post was created in this very transaction, or its event is still
    waiting for the broker). Return False when there is none."""
    row = (
        Outbox.objects.filter(
            event="post_published", key=f"post:{post_id}", status=OutboxStatus.PENDING
        )
        .order_by("-pk")
        .first()
    )
    if row is None or row.payload.get("edit"):
        return False
    merged = set(row.payload.get(field_name, [])) | set(values)
    row.payload[field_name] = sorted(merged)
    Outbox.objects.filter(pk=row.pk).update(payload=row.payload)
    return True


def outbox_publish(*, outbox_id: int) -> bool:
    """Best effort: publish the processing task of one outbox row (never raises)."""
    from notifications import tasks

    return publish(tasks.outbox_process, args=[outbox_id], fail_fast=True)


def outbox_drain(*, now: datetime | None = None, limit: int = 500) -> int:
    """Publish again the outbox rows still pending after the grace period (the broker was down
    when they were committed, or their task was lost). Return how many were published.

    Each row is re-published at most once per grace period, so a long queue does not collect
    copies of the same event."""
    now = now or timezone.now()
    grace = timedelta(seconds=conf.value("NOTIFICATIONS_OUTBOX_GRACE_SECONDS"))
    rows = list(
        Outbox.objects.filter(status=OutboxStatus.PENDING, created_at__lte=now - grace)
        .filter(Q(published_at__isnull=True) | Q(published_at__lte=now - grace))
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
    )
    published = 0
    for outbox_id in rows:
        if not outbox_publish(outbox_id=outbox_id):
            break  # the broker is still down: the next drain tries again
        Outbox.objects.filter(pk=outbox_id).update(published_at=now)
        published += 1
    _outbox_prune(now=now)
    return published


OUTBOX_KEEP = timedelta(days=7)


def _outbox_prune(*, now: datetime, batch: int = 5000) -> int:
    """Forget processed events after a week (failed ones stay for the administrators)."""
    old = list(
        Outbox.objects.filter(status=OutboxStatus.DONE, processed_at__lt=now - OUTBOX_KEEP)
        .order_by("pk")
        .values_list("pk", flat=True)[:batch]
    )
    if not old:
        return 0
    deleted, _ = Outbox.objects.filter(pk__in=old).delete()
    return deleted


OUTBOX_PROCESSORS: dict[str, str] = {
    "post_published": "post_published_process",
    "upvote_milestone": "upvote_milestone_process",
    "answer_accepted": "answer_accepted_process",
    "post_moderated": "post_moderated_process",
    "idea_status_changed": "idea_status_process",
    "idea_merged": "idea_merged_process",
    "challenge_phase_opened": "challenge_phase_process",
    "moderation_notice": "moderation_notice_process",
}


def outbox_process(*, outbox_id: int) -> str:
    """Process one outbox event; idempotent (see the module's docstring). Return its status.

    An error leaves the row pending (it is retried by the task and by the drain) until
    ``NOTIFICATIONS_OUTBOX_MAX_ATTEMPTS``, then marks it failed for the administrators."""
    claimed = Outbox.objects.filter(pk=outbox_id, status=OutboxStatus.PENDING).update(
        attempts=F("attempts") + 1
    )
    if not claimed:
        return "gone"
    row = Outbox.objects.get(pk=outbox_id)
    processor = globals()[OUTBOX_PROCESSORS[row.event]]
    try:
        processor(**row.payload)
    except Exception as exc:
        failed = row.attempts >= conf.integer("NOTIFICATIONS_OUTBOX_MAX_ATTEMPTS")
        Outbox.objects.filter(pk=outbox_id).update(
            last_error=f"{type(exc).__name__}: {exc}"[:2000],
            status=OutboxStatus.FAILED if failed else OutboxStatus.PENDING,
        )
        if failed:
            logger.error(
                "outbox event %s failed for good after %s attempts",
                outbox_id,
                row.attempts,
                exc_info=True,
            )
        raise
    Outbox.objects.filter(pk=outbox_id).update(
        status=OutboxStatus.DONE, processed_at=timezone.now(), last_error=""
    )
    return "done"


# --- Creating notifications -----------------------------------------------------------------------


@dataclass(frozen=True)
class Subject:
    """What a batch of notifications is about (the same for every recipient of the batch)."""

    dedupe_key: str
    topic_id: int | None = None
    post_id: int | None = None
    actor_id: int | None = None
    actor_name: str = ""
    data: Mapping = field(default_factory=dict)


def _group_key(kind: str, subject: Subject) -> str:
    if kind in (NotificationKind.POSTED, NotificationKind.REPLY) and subject.topic_id:
        return f"{kind}:t{subject.topic_id}"
    if kind == NotificationKind.UPVOTES and subject.post_id:
        return f"upvotes:p{subject.post_id}"
    if kind == NotificationKind.QUEUE:
        return "queue"
    return f"{kind}:{subject.dedupe_key}"[:100]


def notifications_create(*, recipient_kinds: Mapping[int, str], subject: Subject) -> list[int]:
    """Create the notifications of one subject (idempotent), their deliveries per preference,
    and schedule the immediate e-mails. Return the ids of the notifications (new or existing).

    Callers filter recipients first (muting, the actor, inactive members)."""
    if not recipient_kinds:
        return []
    now = timezone.now()
    Notification.objects.bulk_create(
        [
            Notification(
                recipient_id=uid,
                kind=kind,
                actor_id=subject.actor_id,
                actor_name=subject.actor_name,
                topic_id=subject.topic_id,
                post_id=subject.post_id,
                data=dict(subject.data),
                group_key=_group_key(kind, subject),
                dedupe_key=subject.dedupe_key,
                created_at=now,
            )
            for uid, kind in recipient_kinds.items()
        ],
        ignore_conflicts=True,
        batch_size=1000,
    )
    # Re-read, whether inserted now or by an earlier run of the same task: a redelivered task
    # must still create the deliveries and schedule the e-mails a crash left undone.
    rows = list(
        Notification.objects.filter(
            recipient_id__in=list(recipient_kinds), dedupe_key=subject.dedupe_key
        ).values_list("pk", "recipient_id", "kind", "read_at")
    )
    deliveries_create(rows=rows)
    return [pk for pk, *_ in rows]


def deliveries_create(*, rows: Collection[tuple[int, int, str, datetime | None]]) -> None:
    """Give each notification (id, recipient, kind, read_at) its delivery per the member's
    e-mail preference, then schedule the immediate e-mails. Idempotent."""
    unread = [row for row in rows if row[3] is None]
    if not unread:
        return
    user_ids = {uid for _, uid, _, _ in unread}
    kinds = {kind for _, _, kind, _ in unread}
    verified = selectors.verified_user_ids(user_ids)
    frequencies = selectors.email_frequencies(user_ids=verified, kinds=kinds)
    deliveries = []
    for pk, uid, kind, _read_at in unread:
        if uid not in verified:
            continue  # no verified address: no e-mail of any kind (bounce-safe)
        channel = _frequency_channel(frequencies[(uid, kind)])
        if channel:
            deliveries.append(Delivery(notification_id=pk, recipient_id=uid, channel=channel))
    Delivery.objects.bulk_create(deliveries, ignore_conflicts=True, batch_size=1000)
    email_ids = [d.notification_id for d in deliveries if d.channel == DeliveryChannel.EMAIL]
    if not email_ids:
        return
    waiting = sorted(
        set(
            Delivery.objects.filter(
                notification_id__in=email_ids,
                channel=DeliveryChannel.EMAIL,
                status=DeliveryStatus.PENDING,
            ).values_list("recipient_id", flat=True)
        )
    )
    if waiting:
        from notifications import tasks

        delay = 0 if _celery_eager() else conf.value("NOTIFICATIONS_EMAIL_DELAY_SECONDS")
        # One task for the whole batch, not one per member: the broker holds a handful of
        # countdown messages during a 100,000-member fan-out, not 100,000.
        transaction.on_commit(lambda: publish(tasks.deliver_email, args=[waiting], countdown=delay))


def _filter_recipients(
    recipient_kinds: dict[int, str], *, topic: Topic | None, actor_id: int | None
) -> dict[int, str]:
    """Drop the actor, inactive members and those who muted the topic, category or actor."""
    recipient_kinds = {uid: k for uid, k in recipient_kinds.items() if uid and uid != actor_id}
    if not recipient_kinds:
        return {}
    active = selectors.active_user_ids(recipient_kinds)
    muted = selectors.muted_recipient_ids(user_ids=active, topic=topic, actor_id=actor_id)
    return {uid: kind for uid, kind in recipient_kinds.items() if uid in active - muted}


def _post_subject(post: Post, *, dedupe_key: str, **extra) -> Subject:
    topic = post.topic
    return Subject(
        dedupe_key=dedupe_key,
        topic_id=topic.pk,
        post_id=post.pk,
        actor_id=post.author_id,
        actor_name=post.author_name,
        data={
            "title": topic.title,
            "number": post.number,
            "category": topic.category.name,
            "excerpt": selectors.post_excerpt(post),
            **extra,
        },
    )


def _visible_post(post_id: int) -> Post | None:
    post = (
        Post.objects.select_related("topic", "topic__category", "reply_to")
        .filter(pk=post_id)
        .first()
    )
    if post is None or post.state != ContentState.VISIBLE:
        return None
    if post.topic.state != ContentState.VISIBLE:
        return None
    return post


def _strongest(current: str | None, new: str) -> str:
    if current is None or KIND_PRIORITY.get(new, 0) > KIND_PRIORITY.get(current, 0):
        return new
    return current


def post_published_process(
    *,
    post_id: int,
    mentioned_ids: Iterable[int] = (),
    quoted_post_ids: Iterable[int] = (),
    edit: bool = False,
    approved: bool = False,
) -> None:
    """Notify about a post that became visible (created, or approved after review).

    Direct recipients first — the topic's author (a reply to their topic, or an official
    answer), the author of the post replied to, the mentioned, the quoted — each with the
    strongest reason; then the fan-out to watchers in chunks. ``edit``: only the members newly
    mentioned or quoted by an edit, no fan-out."""
    post = _visible_post(post_id)
    if post is None:
        return  # held, hidden or gone: an approval will announce it again
    topic = post.topic
    if approved:
        # A held post's mentions and quotes were announced while nobody could see it (and
        # dropped then): re-read them from the approved text.
        mentioned_ids = _mentioned_ids(post)
        quoted_post_ids = _quoted_post_ids(post)
    kinds: dict[int, str] = {}
    if not edit:
        if not post.is_first and topic.author_id:
            if post.is_official:
                kinds[topic.author_id] = NotificationKind.OFFICIAL_ANSWER
            elif post.reply_to_id is None or post.reply_to.author_id == topic.author_id:
                kinds[topic.author_id] = NotificationKind.REPLY
        if post.reply_to_id and post.reply_to.author_id:
            uid = post.reply_to.author_id
            kinds[uid] = _strongest(kinds.get(uid), NotificationKind.REPLY)
    for uid in mentioned_ids:
        kinds[uid] = _strongest(kinds.get(uid), NotificationKind.MENTION)
    quoted_ids = list(quoted_post_ids)
    if quoted_ids:
        for uid in Post.objects.filter(pk__in=quoted_ids).values_list("author_id", flat=True):
            if uid:
                kinds[uid] = _strongest(kinds.get(uid), NotificationKind.QUOTE)
    kinds = _filter_recipients(kinds, topic=topic, actor_id=post.author_id)
    if edit:
        # Separate keys: a mention added by an edit is news even for a watcher already told
        # about the post.
        for kind in (NotificationKind.MENTION, NotificationKind.QUOTE):
            group = {uid: k for uid, k in kinds.items() if k == kind}
            notifications_create(
                recipient_kinds=group, subject=_post_subject(post, dedupe_key=f"{kind}:p{post.pk}")
            )
        return
    subject = _post_subject(post, dedupe_key=f"post:p{post.pk}")
    notifications_create(recipient_kinds=kinds, subject=subject)
    _fanout_plan(
        source="watchers",
        topic=topic,
        actor_id=post.author_id,
        args={"post_id": post.pk},
    )


def _mentioned_ids(post: Post) -> list[int]:
    """The members a post mentions (outside quotes), re-read from its text: a held post's
    mentions were announced while nobody could see it, so an approval announces them again."""
    from accounts.selectors import usernames_existing
    from community.rendering import extract_mentions

    names = usernames_existing({name for name in extract_mentions(post.body)})
    if not names:
        return []
    return list(User.objects.filter(username__in=names).values_list("pk", flat=True))


def _quoted_post_ids(post: Post) -> list[int]:
    """The other posts a post quotes (outermost quotes), re-read from its text."""
    from community.rendering import render_markdown

    ids = [pk for pk in render_markdown(post.body).quoted_post_ids if pk != post.pk]
    if not ids:
        return []
    return list(Post.objects.filter(pk__in=ids).values_list("pk", flat=True))


FANOUT_SELECTORS = {
    "watchers": (selectors.topic_watcher_ids, selectors.topic_watcher_ids_between),
}
# Fan-outs over a recipient list computed by another app (ids travel with each chunk).
EXPLICIT_SOURCES = frozenset({"idea", "idea_merged", "challenge"})


def _batches(ids: Iterable[int], size: int) -> Iterator[list[int]]:
    batch: list[int] = []
    for uid in ids:
        batch.append(uid)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _fanout_plan(*, source: str, topic: Topic, actor_id: int | None, args: dict) -> int:
    """Split the recipients of ``source`` into chunks of consecutive user ids (one ordered,
    streamed pass) and publish one ``notifications.fanout`` task per chunk. Return the number
    of chunks.

    A chunk carries a user-id range, not the ids: the task re-reads who is in it when it runs,
    so a member who muted the topic in the meantime is honoured."""
    from notifications import tasks

    chunks = 0
    all_ids, _between = FANOUT_SELECTORS[source]
    for ids in _batches(
        all_ids(topic=topic, actor_id=actor_id), conf.integer("NOTIFICATIONS_FANOUT_CHUNK")
    ):
        publish(tasks.fanout, args=[source, topic.pk, actor_id, ids[0], ids[-1], args])
        chunks += 1
    return chunks


def fanout_chunk(
    *, source: str, topic_id: int, actor_id: int | None, lo: int, hi: int, args: dict
) -> int:
    """One chunk of a fan-out: notify the recipients whose id is in [lo, hi]. Idempotent.
    Return the number of recipients in the chunk."""
    topic = Topic.objects.select_related("category").filter(pk=topic_id).first()
    if source in EXPLICIT_SOURCES:
        if source != "challenge" and topic is None:
            return 0
        ids = [uid for uid in args["ids"] if lo <= uid <= hi and uid != actor_id]
        ids = sorted(selectors.active_user_ids(ids))
        muted = selectors.muted_recipient_ids(user_ids=ids, topic=topic, actor_id=actor_id)
        kind, subject = _explicit_subject(source, topic, actor_id, args)
        recipients = {uid: kind for uid in ids if uid not in muted}
        notifications_create(recipient_kinds=recipients, subject=subject)
        return len(recipients)
    if topic is None:
        return 0
    _page, between = FANOUT_SELECTORS[source]
    ids = between(topic=topic, actor_id=actor_id, lo=lo, hi=hi)
    muted = selectors.muted_recipient_ids(user_ids=ids, topic=topic, actor_id=actor_id)
    ids = [uid for uid in ids if uid not in muted]
    post = _visible_post(args["post_id"])
    if post is None:
        return 0
    kind = NotificationKind.NEW_TOPIC if post.is_first else NotificationKind.POSTED
    subject = _post_subject(post, dedupe_key=f"post:p{post.pk}")
    notifications_create(recipient_kinds=dict.fromkeys(ids, kind), subject=subject)
    return len(ids)


def upvote_milestone_process(*, post_id: int, milestone: int, actor_id: int | None = None) -> None:
    """Tell the author their post reached 1, 10 or 100 up-votes (once per milestone)."""
    post = _visible_post(post_id)
    if post is None or not post.author_id:
        return
    actor = User.objects.filter(pk=actor_id).first() if milestone == 1 and actor_id else None
    subject = Subject(
        dedupe_key=f"upvotes:p{post.pk}:{milestone}",
        topic_id=post.topic_id,
        post_id=post.pk,
        actor_id=actor.pk if actor else None,
        actor_name=actor.username if actor else "",
        data={
            "title": post.topic.title,
            "number": post.number,
            "milestone": milestone,
            "excerpt": selectors.post_excerpt(post),
        },
    )
    # The voter is not the actor here for muting purposes: a milestone is about the post.
    recipients = _filter_recipients(
        {post.author_id: NotificationKind.UPVOTES}, topic=post.topic, actor_id=None
    )
    notifications_create(recipient_kinds=recipients, subject=subject)


def answer_accepted_process(
    *, topic_id: int, post_id: int, actor_id: int | None, author_id: int | None
) -> None:
    post = _visible_post(post_id)
    if post is None or not post.author_id:
        return
    actor = User.objects.filter(pk=actor_id).first() if actor_id else None
    subject = Subject(
        dedupe_key=f"accepted:p{post.pk}",
        topic_id=post.topic_id,
        post_id=post.pk,
        actor_id=actor_id,
        actor_name=actor.username if actor else "",
        data={
            "title": post.topic.title,
            "number": post.number,
            "excerpt": selectors.post_excerpt(post),
        },
    )
    recipients = _filter_recipients(
        {post.author_id: NotificationKind.ANSWER_ACCEPTED}, topic=post.topic, actor_id=actor_id
    )
    notifications_create(recipient_kinds=recipients, subject=subject)


def post_moderated_process(
    *,
    post_id: int,
    actor_id: int | None,
    old_state: str,
    new_state: str,
    reason: str = "",
    decision: str = "",
    reason_code: str = "",
    reason_params: dict | None = None,
) -> None:
    """Tell an author their post was hidden, removed or restored by moderation, and why.

    Muting does not apply: a member always hears what moderation did to their content."""
    post = Post.objects.select_related("topic", "topic__category").filter(pk=post_id).first()
    if post is None or not post.author_id or post.author_id == actor_id:
        return
    subject = Subject(
        dedupe_key=f"moderated:p{post.pk}:{new_state}:{decision}"[:100],
        topic_id=post.topic_id,
        post_id=post.pk,
        data={
            "title": post.topic.title,
            "number": post.number,
            "old_state": old_state,
            "new_state": new_state,
            "reason": reason[:500],
            "reason_code": reason_code,
            "reason_params": reason_params or {},
            "decision": decision,
        },
    )
    if User.objects.filter(pk=post.author_id, is_active=True).exists():
        notifications_create(
            recipient_kinds={post.author_id: NotificationKind.CONTENT_MODERATED}, subject=subject
        )


def _explicit_fanout(
    *, source: str, ids: Iterable[int], topic_id: int | None, actor_id: int | None, args: dict
) -> int:
    """Fan out to a recipient list another app computed (an idea's audience): chunks of
    explicit ids, each re-checked by its task (active, muting) when it runs."""
    from notifications import tasks

    chunks = 0
    size = conf.integer("NOTIFICATIONS_FANOUT_CHUNK")
    for batch in _batches(sorted(uid for uid in ids if uid != actor_id), size):
        publish(
            tasks.fanout,
            args=[source, topic_id or 0, actor_id, batch[0], batch[-1], {**args, "ids": batch}],
        )
        chunks += 1
    return chunks


def _actor_name(actor_id: int | None) -> str:
    if not actor_id:
        return ""
    return User.objects.filter(pk=actor_id).values_list("username", flat=True).first() or ""


def _idea_subject(
    topic: Topic,
    *,
    actor_id: int | None,
    status: str,
    old_status: str = "",
    response: str = "",
    **_ignored,
) -> Subject:
    return Subject(
        dedupe_key=f"idea:t{topic.pk}:{status}"[:100],
        topic_id=topic.pk,
        actor_id=actor_id,
        actor_name=_actor_name(actor_id),
        data={
            "title": topic.title,
            "status": status,
            "old_status": old_status,
            "excerpt": " ".join(response.split())[:200],
            # The idea's page, where the official response stands at the top (the topic's
            # page is the discussion, without it).
            "url": reverse("ideas:idea", kwargs={"idea_id": topic.pk}),
        },
    )


def idea_status_process(
    *, topic_id: int, actor_id: int | None, status: str, old_status: str = "", response: str = ""
) -> None:
    """Tell an idea's audience (ideas.selectors.idea_audience: who proposed it, supported it,
    follows its topic, minus who muted it) that its status changed. Chunked."""
    from ideas.selectors import idea_audience

    topic = Topic.objects.filter(pk=topic_id).first()
    if topic is None or topic.state != ContentState.VISIBLE:
        return
    _explicit_fanout(
        source="idea",
        ids=idea_audience(topic_id),
        topic_id=topic_id,
        actor_id=actor_id,
        args={"status": status, "old_status": old_status, "response": response},
    )


def idea_merged_process(*, source_id: int, target_id: int, actor_id: int | None = None) -> None:
    """Tell the audience of a duplicate idea where its supports went."""
    from ideas.selectors import idea_audience

    if not Topic.objects.filter(pk=target_id).exists():
        return
    _explicit_fanout(
        source="idea_merged",
        ids=idea_audience(source_id),
        topic_id=target_id,
        actor_id=actor_id,
        args={"source_id": source_id},
    )


def challenge_phase_process(*, challenge_id: int, phase: str) -> None:
    """Tell a challenge's participants (ideas.selectors.challenge_audience) a phase opened."""
    from ideas.selectors import challenge_audience

    _explicit_fanout(
        source="challenge",
        ids=challenge_audience(challenge_id),
        topic_id=None,
        actor_id=None,
        args={"challenge_id": challenge_id, "phase": phase},
    )


def _explicit_subject(
    source: str, topic: Topic | None, actor_id: int | None, args: dict
) -> tuple[str, Subject]:
    """The kind and subject of one chunk of an explicit fan-out."""
    if source == "idea":
        return NotificationKind.IDEA_STATUS, _idea_subject(topic, actor_id=actor_id, **args)
    if source == "idea_merged":
        source_title = (
            Topic.objects.filter(pk=args["source_id"]).values_list("title", flat=True).first()
        )
        return NotificationKind.IDEA_STATUS, Subject(
            dedupe_key=f"idea:t{args['source_id']}:merged",
            topic_id=topic.pk,
            actor_id=actor_id,
            actor_name=_actor_name(actor_id),
            data={
                "title": source_title or "",
                "status": "duplicate",
                "merged_into": topic.title,
                "url": reverse("ideas:idea", kwargs={"idea_id": topic.pk}),
            },
        )
    from ideas.models import Challenge

    challenge = Challenge.objects.filter(pk=args["challenge_id"]).first()
    return NotificationKind.CHALLENGE, Subject(
        dedupe_key=f"challenge:{args['challenge_id']}:{args['phase']}"[:100],
        data={
            "title": challenge.title if challenge else "",
            "phase": args["phase"],
            "url": reverse("ideas:challenge", kwargs={"challenge_id": args["challenge_id"]}),
        },
    )


def staff_notice_process(
    *,
    kind: str,
    recipient_ids: list[int],
    dedupe_key: str,
    data: dict,
    actor_id: int | None = None,
    topic_id: int | None = None,
    post_id: int | None = None,
) -> None:
    """Moderation outcomes and review-queue notices: explicit recipients, no muting (a member
    always hears what moderation decided about them; staff always hear of their queue)."""
    if kind not in NotificationKind.values:
        raise ValueError(f"unknown notification kind {kind!r}")
    active = selectors.active_user_ids(recipient_ids)
    actor = User.objects.filter(pk=actor_id).first() if actor_id else None
    subject = Subject(
        dedupe_key=dedupe_key[:100],
        topic_id=topic_id if Topic.objects.filter(pk=topic_id).exists() else None,
        post_id=post_id if Post.objects.filter(pk=post_id).exists() else None,
        actor_id=actor.pk if actor else None,
        actor_name=actor.username if actor else "",
        data=data,
    )
    notifications_create(
        recipient_kinds={uid: kind for uid in recipient_ids if uid in active and uid != actor_id},
        subject=subject,
    )


def _queue_url() -> str:
    from django.urls import NoReverseMatch, reverse

    try:
        return reverse("moderation:queue")
    except NoReverseMatch:
        return "/mod/queue/"


def _topic_title(topic_id: int | None) -> str:
    if not topic_id:
        return ""
    return Topic.objects.filter(pk=topic_id).values_list("title", flat=True).first() or ""


def moderation_notice_process(*, notice: str, **event) -> None:
    """Turn one of moderation's events into notifications: the author is told what happened
    to their content and how an appeal went, flaggers the outcome of their flags, members
    their sanctions, moderators (and staff teams) what waits in their queues."""
    handler = {
        "flagged": _notice_flagged,
        "hidden": _notice_hidden,
        "decision": _notice_decision,
        "appeal_filed": _notice_appeal_filed,
        "sanction": _notice_sanction,
        "escalated": _notice_escalated,
        "away_summary": _notice_away_summary,
        "staff_request": _notice_staff_request,
    }.get(notice)
    if handler is None:
        raise ValueError(f"unknown moderation notice {notice!r}")
    handler(**event)


def _notice_flagged(
    *, item_id, post_id=None, topic_id=None, category_id=None, reason="", hidden=False, **_ignored
) -> None:
    staff_notice_process(
        kind=NotificationKind.QUEUE,
        recipient_ids=selectors.moderator_ids(category_id=category_id),
        dedupe_key=f"queue:i{item_id}",
        topic_id=topic_id,
        post_id=post_id,
        data={
            "notice": "flagged",
            "title": _topic_title(topic_id),
            "reason": "",
            "flag_reason": reason,
            "hidden": hidden,
            "url": _queue_url(),
        },
    )


def _author_moderated(
    *,
    post_id: int | None,
    author_id: int | None,
    new_state: str,
    old_state: str = "",
    reason: str = "",
    reason_code: str = "",
    reason_params: dict | None = None,
    **extra,
) -> None:
    if not post_id or not author_id:
        return
    post = Post.objects.select_related("topic").filter(pk=post_id).first()
    if post is None:
        return
    staff_notice_process(
        kind=NotificationKind.CONTENT_MODERATED,
        recipient_ids=[author_id],
        # The same key as post_moderated_process: the community event and moderation's
        # event about one hiding make one notification.
        dedupe_key=f"moderated:p{post_id}:{new_state}:",
        topic_id=post.topic_id,
        post_id=post_id,
        data={
            "title": post.topic.title,
            "number": post.number,
            "old_state": old_state,
            "new_state": new_state,
            "reason": (reason or "")[:500],
            "reason_code": reason_code or "",
            "reason_params": reason_params or {},
            **extra,
        },
    )


def _notice_hidden(
    *,
    post_id,
    author_id,
    reason="",
    reason_code="",
    reason_params=None,
    by_flags=False,
    **_ignored,
) -> None:
    # A moderator's hiding is told by the decision (decision_made); only the community's flags
    # hiding a post on their own need this event.
    if not by_flags:
        return
    _author_moderated(
        post_id=post_id,
        author_id=author_id,
        new_state=ContentState.HIDDEN,
        old_state=ContentState.VISIBLE,
        reason=reason,
        reason_code=reason_code,
        reason_params=reason_params,
        by_flags=by_flags,
    )


def _notice_decision(
    *,
    item_id=None,
    action="",
    actor_id=None,
    author_id=None,
    flagger_ids=None,
    flag_outcome=None,
    post_id=None,
    topic_id=None,
    reason="",
    rule_number=None,
    appeal_id=None,
    appeal_status=None,
    old_state=None,
    new_state=None,
    **_ignored,
) -> None:
    if flagger_ids and flag_outcome:
        staff_notice_process(
            kind=NotificationKind.FLAG_RESOLVED,
            recipient_ids=list(flagger_ids),
            dedupe_key=f"flag:i{item_id}",
            topic_id=topic_id,
            post_id=post_id,
            data={"title": _topic_title(topic_id), "outcome": flag_outcome},
        )
    if appeal_id and appeal_status and author_id:
        staff_notice_process(
            kind=NotificationKind.APPEAL_DECIDED,
            recipient_ids=[author_id],
            dedupe_key=f"appeal:{appeal_id}",
            topic_id=topic_id,
            post_id=post_id,
            data={
                "title": _topic_title(topic_id),
                "outcome": appeal_status,
                "reason": (reason or "")[:500],
            },
        )
    elif old_state != new_state and new_state in (
        ContentState.HIDDEN,
        ContentState.REMOVED,
        ContentState.VISIBLE,
    ):
        _author_moderated(
            post_id=post_id,
            author_id=author_id,
            new_state=new_state,
            old_state=old_state or "",
            reason=reason,
            action=action,
            rule_number=rule_number,
        )


def _notice_appeal_filed(
    *, appeal_id, item_id=None, excluded_moderator_id=None, **_ignored
) -> None:
    recipients = [uid for uid in selectors.moderator_ids() if uid != excluded_moderator_id]
    staff_notice_process(
        kind=NotificationKind.QUEUE,
        recipient_ids=recipients,
        dedupe_key=f"queue:appeal{appeal_id}",
        data={"notice": "appeal_filed", "url": _queue_url()},
    )


def _notice_sanction(
    *,
    member_id,
    kind,
    sanction_id=None,
    warning_id=None,
    ends_at=None,
    reason="",
    reason_code="",
    reason_params=None,
    rule_number=None,
    **_ignored,
) -> None:
    staff_notice_process(
        kind=NotificationKind.SANCTION,
        recipient_ids=[member_id],
        dedupe_key=f"sanction:{sanction_id or ''}:{warning_id or ''}:{kind}",
        data={
            "sanction": kind,
            "ends_at": ends_at,
            "reason": (reason or "")[:500],
            "reason_code": reason_code or "",
            "reason_params": reason_params or {},
            "rule_number": rule_number,
        },
    )


def _notice_escalated(*, item_ids, **_ignored) -> None:
    digest = hashlib.sha256(",".join(map(str, sorted(item_ids))).encode()).hexdigest()[:16]
    staff_notice_process(
        kind=NotificationKind.QUEUE,
        recipient_ids=selectors.moderator_ids(),
        dedupe_key=f"queue:escalated:{digest}",
        data={"notice": "escalated", "count": len(item_ids), "url": _queue_url()},
    )


def _notice_away_summary(*, summary_id, figures=None, **_ignored) -> None:
    staff_notice_process(
        kind=NotificationKind.QUEUE,
        recipient_ids=selectors.moderator_ids(),
        dedupe_key=f"queue:away{summary_id}",
        data={"notice": "away_summary", "figures": figures or {}, "url": _queue_url()},
    )


def _notice_staff_request(*, request_id, topic_id, team_id=None, due_at=None, **_ignored) -> None:
    staff_notice_process(
        kind=NotificationKind.QUEUE,
        recipient_ids=selectors.staff_team_ids(team_id=team_id),
        dedupe_key=f"staff-request:{request_id}",
        topic_id=topic_id,
        data={"notice": "staff_request", "title": _topic_title(topic_id), "due_at": due_at},
    )


# --- Reading --------------------------------------------------------------------------------------


def notification_mark_read(*, actor: User, notification: Notification) -> Notification:
    """Mark one notification (and the rest of its group) read. Only the recipient may."""
    if notification.recipient_id != actor.pk:
        raise PermissionDenied(_("This notification is not yours."))
    now = timezone.now()
    Notification.objects.filter(
        recipient=actor, group_key=notification.group_key, read_at__isnull=True
    ).update(read_at=now)
    notification.read_at = notification.read_at or now
    return notification


def notifications_mark_read(*, actor: User, ids: Collection[int]) -> int:
    """Mark the notifications ``ids`` of ``actor`` read (exactly these, not their groups: the
    API's choice); ids of others' notifications are ignored. Return how many changed."""
    return Notification.objects.filter(
        recipient=actor, pk__in=list(ids), read_at__isnull=True
    ).update(read_at=timezone.now())


def notifications_mark_all_read(*, actor: User) -> int:
    """Mark every unread notification of the member read; return how many."""
    return Notification.objects.filter(recipient=actor, read_at__isnull=True).update(
        read_at=timezone.now()
    )


# --- Immediate e-mail -----------------------------------------------------------------------------


@dataclass
class EmailOutcome:
    """What one run of the immediate e-mail did, for a batch of members."""

    sent: int = 0
    skipped: int = 0
    failed: int = 0
    # Members still inside their merging delay, with the seconds left.
    waiting: dict[int, float] = field(default_factory=dict)
    # Members whose mail server failed for a reason worth retrying (deliveries back to pending).
    retry: list[int] = field(default_factory=list)

    @property
    def wait_seconds(self) -> float | None:
        return min(self.waiting.values()) if self.waiting else None


def _skip(ids: Collection[int], detail: str) -> int:
    if not ids:
        return 0
    return Delivery.objects.filter(pk__in=list(ids)).update(
        status=DeliveryStatus.SKIPPED, detail=detail[:200]
    )


def _message_id(prefix: str, recipient_id: int, ids: Collection[int]) -> str:
    """A Message-ID derived from what the mail holds: a mail re-sent after a crash keeps it,
    so mailbox providers can fold the duplicate."""
    from notifications.emails import message_domain

    digest = hashlib.sha256(",".join(map(str, sorted(ids))).encode()).hexdigest()[:20]
    return f"<{prefix}.{recipient_id}.{digest}@{message_domain()}>"


def email_deliver(
    *, recipient_id: int, claim_token: str, now: datetime | None = None, wait: bool = True
) -> EmailOutcome:
    """:func:`email_deliver_batch` for one member; raise TransientDeliveryError when their
    mail server failed and the deliveries went back to pending."""
    outcome = email_deliver_batch(
        recipient_ids=[recipient_id], claim_token=claim_token, now=now, wait=wait
    )
    if outcome.retry:
        raise TransientDeliveryError(f"sending to member {recipient_id} failed; will retry")
    return outcome


def email_deliver_batch(
    *,
    recipient_ids: Collection[int],
    claim_token: str,
    now: datetime | None = None,
    wait: bool = True,
) -> EmailOutcome:
    """Send each member their pending immediate notifications as ONE e-mail (see the module's
    docstring for the claim protocol). ``wait``: honour the merging delay; off in the embedded
    mode, where no worker comes back later.

    A fixed number of queries for the whole batch, one SMTP connection, then one UPDATE per
    member right after their mail is accepted — the smallest crash window we can have."""
    now = now or timezone.now()
    outcome = EmailOutcome()
    ids = list(dict.fromkeys(recipient_ids))
    mine = Q(status=DeliveryStatus.SENDING, claim_token=claim_token)
    open_rows = Delivery.objects.filter(recipient_id__in=ids, channel=DeliveryChannel.EMAIL).filter(
        Q(status=DeliveryStatus.PENDING) | mine
    )
    delay = timedelta(seconds=conf.value("NOTIFICATIONS_EMAIL_DELAY_SECONDS"))
    max_delay = timedelta(seconds=conf.value("NOTIFICATIONS_EMAIL_MAX_DELAY_SECONDS"))
    ready: list[int] = []
    for row in open_rows.values("recipient_id").annotate(
        newest=Max("created_at"), oldest=Min("created_at"), own=Count("pk", filter=mine)
    ):
        uid = row["recipient_id"]
        # A claim of our own means an earlier run of this very task died: no more waiting.
        ready_at = min(row["newest"] + delay, row["oldest"] + max_delay)
        if not wait or row["own"] or ready_at <= now:
            ready.append(uid)
        else:
            outcome.waiting[uid] = (ready_at - now).total_seconds()
    if not ready:
        return outcome

    # The claim, in its own commit: from here on no other task takes these deliveries.
    with transaction.atomic():
        claimed = list(
            open_rows.filter(recipient_id__in=ready)
            .select_for_update(skip_locked=True)
            .values_list("pk", flat=True)
        )
        if not claimed:
            return outcome
        Delivery.objects.filter(pk__in=claimed).update(
            status=DeliveryStatus.SENDING,
            claim_token=claim_token,
            claimed_at=now,
            attempts=F("attempts") + 1,
        )

    deliveries = list(
        Delivery.objects.filter(pk__in=claimed)
        .select_related("notification", "notification__topic", "notification__post")
        .order_by("recipient_id", "notification__created_at", "pk")
    )
    by_member: dict[int, list[Delivery]] = {}
    for delivery in deliveries:
        by_member.setdefault(delivery.recipient_id, []).append(delivery)
    users = {
        user.pk: user
        for user in User.objects.filter(pk__in=list(by_member), is_active=True).filter(
            selectors.verified_email_q()
        )
    }
    unreachable = [d.pk for uid, ds in by_member.items() if uid not in users for d in ds]
    outcome.skipped += _skip(unreachable, "no verified e-mail address")
    to_send, unwanted, read, gone = _sort_deliveries(
        [d for d in deliveries if d.recipient_id in users]
    )
    outcome.skipped += _skip(unwanted, "e-mail preference changed")
    outcome.skipped += _skip(read, "read on the site")
    outcome.skipped += _skip(gone, "content no longer visible or muted")
    if not to_send:
        return outcome

    from notifications import emails

    pause = conf.test_pause_before_send()
    connection = get_connection()
    links = emails.Links()
    try:
        for uid, member_deliveries in to_send.items():
            delivery_ids = [d.pk for d in member_deliveries]
            message_id = _message_id("n", uid, delivery_ids)
            message = emails.notification_message(
                user=users[uid],
                notifications=[d.notification for d in member_deliveries],
                message_id=message_id,
                connection=connection,
                links=links,
            )
            if pause:
                time.sleep(pause)  # test hook: a test kills the worker here
            try:
                message.send()
            except TRANSIENT_MAIL_ERRORS as exc:
                failed = _send_failed(delivery_ids, exc, permanent=_is_permanent(exc))
                outcome.failed += failed
                if not failed:
                    outcome.retry.append(uid)
                connection.close()  # a broken connection is not reused for the next member
                continue
            # Right after the server accepted the mail: the only window where a crash
            # re-sends it.
            outcome.sent += Delivery.objects.filter(
                pk__in=delivery_ids, claim_token=claim_token
            ).update(
                status=DeliveryStatus.SENT,
                sent_at=timezone.now(),
                message_id=message_id,
                last_error="",
            )
    finally:
        connection.close()
    return outcome


def _sort_deliveries(
    deliveries: list[Delivery],
) -> tuple[dict[int, list[Delivery]], list[int], list[int], list[int]]:
    """Split claimed deliveries into: to send (by member), no longer wanted (preference
    changed), already read on the site, and about content gone or muted since. A fixed number
    of queries whatever the batch."""
    user_ids = {d.recipient_id for d in deliveries}
    frequencies = selectors.email_frequencies(
        user_ids=user_ids, kinds={d.notification.kind for d in deliveries}
    )
    read_numbers = selectors.read_numbers(
        pairs={
            (d.recipient_id, d.notification.topic_id) for d in deliveries if d.notification.topic_id
        }
    )
    muted = selectors.muted_pairs(
        [
            (d.recipient_id, d.notification.topic, d.notification.actor_id)
            for d in deliveries
            if d.notification.topic is not None and d.notification.kind in KIND_PRIORITY
        ]
    )
    to_send: dict[int, list[Delivery]] = {}
    unwanted, read, gone = [], [], []
    for delivery in deliveries:
        notification = delivery.notification
        uid = delivery.recipient_id
        if frequencies[(uid, notification.kind)] != EmailFrequency.IMMEDIATELY:
            unwanted.append(delivery.pk)
            continue
        if notification.read_at is not None:
            read.append(delivery.pk)
            continue
        post = notification.post
        if post is not None and notification.kind != NotificationKind.CONTENT_MODERATED:
            if read_numbers.get((uid, post.topic_id), 0) >= post.number:
                read.append(delivery.pk)
                continue
            if post.state != ContentState.VISIBLE:
                gone.append(delivery.pk)
                continue
        if (
            notification.kind in KIND_PRIORITY
            and (
                uid,
                notification.topic_id,
                notification.actor_id,
            )
            in muted
        ):
            gone.append(delivery.pk)
            continue
        to_send.setdefault(uid, []).append(delivery)
    return to_send, unwanted, read, gone


def _is_permanent(exc: Exception) -> bool:
    """A 5xx answer about the recipient will not get better by retrying (a hard bounce)."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        return True
    return isinstance(exc, smtplib.SMTPResponseException) and 500 <= exc.smtp_code < 600


def _send_failed(ids: list[int], exc: Exception, *, permanent: bool) -> int:
    """Record a failed send. Return the number of deliveries now failed for good (0 when they
    went back to pending for another attempt)."""
    error = f"{type(exc).__name__}: {exc}"[:2000]
    limit = conf.integer("NOTIFICATIONS_MAX_ATTEMPTS")
    rows = Delivery.objects.filter(pk__in=ids)
    final = rows if permanent else rows.filter(attempts__gte=limit)
    failed = final.update(status=DeliveryStatus.FAILED, last_error=error)
    rows.filter(status=DeliveryStatus.SENDING).update(
        status=DeliveryStatus.PENDING, claim_token="", last_error=error
    )
    if failed:
        logger.error("e-mail deliveries %s failed for good: %s", ids, error)
    else:
        logger.warning("e-mail deliveries %s failed, will retry: %s", ids, error)
    return failed


def deliveries_sweep(*, now: datetime | None = None, limit: int = 5000) -> dict[str, int]:
    """The safety net of e-mail: give stalled claims back, re-publish lost e-mail tasks.

    * deliveries and digests claimed longer than NOTIFICATIONS_SENDING_STALE_SECONDS ago by a
      task that never finished go back to pending (at-least-once, see the module docstring);
    * members with immediate deliveries pending long after their delay (their task was lost:
      the broker restarted empty, a publish failed) get a new ``deliver_email`` task."""
    from notifications import tasks

    now = now or timezone.now()
    stale = now - timedelta(seconds=conf.value("NOTIFICATIONS_SENDING_STALE_SECONDS"))
    released = Delivery.objects.filter(status=DeliveryStatus.SENDING, claimed_at__lt=stale).update(
        status=DeliveryStatus.PENDING, claim_token="", detail="released after a stalled attempt"
    )
    digests_released = Digest.objects.filter(
        status=DigestStatus.SENDING, claimed_at__lt=stale
    ).update(status=DigestStatus.PENDING, claim_token="")
    overdue = now - timedelta(
        seconds=conf.value("NOTIFICATIONS_EMAIL_MAX_DELAY_SECONDS")
        + conf.value("NOTIFICATIONS_EMAIL_DELAY_SECONDS")
    )
    recipients = list(
        Delivery.objects.filter(
            channel=DeliveryChannel.EMAIL, status=DeliveryStatus.PENDING, created_at__lte=overdue
        )
        .values_list("recipient_id", flat=True)
        .distinct()
        .order_by("recipient_id")[:limit]
    )
    if released:
        recipients = sorted(
            set(recipients)
            | set(
                Delivery.objects.filter(
                    channel=DeliveryChannel.EMAIL,
                    status=DeliveryStatus.PENDING,
                    detail="released after a stalled attempt",
                ).values_list("recipient_id", flat=True)[:limit]
            )
        )
    for start in range(0, len(recipients), 200):
        publish(tasks.deliver_email, args=[recipients[start : start + 200]])
    return {
        "released": released,
        "digests_released": digests_released,
        "republished": len(recipients),
    }


# --- Digests --------------------------------------------------------------------------------------

PERIOD_LENGTH = {
    DigestFrequency.DAILY: timedelta(days=1),
    DigestFrequency.WEEKLY: timedelta(days=7),
}


def digest_period(frequency: str, local: datetime) -> str:
    if frequency == DigestFrequency.DAILY:
        return local.date().isoformat()
    year, week, _day = local.isocalendar()
    return f"{year}-W{week:02d}"


def _zone(name: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None


@dataclass(frozen=True)
class DigestBatch:
    frequency: str
    period: str
    user_ids: list[int]


def digests_plan(*, frequency: str, now: datetime | None = None) -> Iterable[DigestBatch]:
    """The members whose digest is due now, in batches of NOTIFICATIONS_DIGEST_CHUNK.

    Time zones sharing the same local hour, weekday and period are asked together: one
    streamed query per group of zones, whatever the number of members."""
    now = now or timezone.now()
    if frequency not in DigestFrequency.values:
        raise ValidationError({"frequency": _("Choose daily or weekly.")})
    groups: dict[tuple[int, int, str], list[str]] = {}
    for name in selectors.timezones_in_use():
        zone = _zone(name)
        if zone is None:
            logger.warning("unknown time zone %r: its members get no digest", name)
            continue
        local = now.astimezone(zone)
        key = (local.hour, local.weekday(), digest_period(frequency, local))
        groups.setdefault(key, []).append(name)
    size = conf.integer("NOTIFICATIONS_DIGEST_CHUNK")
    for (hour, weekday, period), zones in sorted(groups.items()):
        due = selectors.digest_due_user_ids(
            frequency=frequency,
            period=period,
            timezones=zones,
            local_hour=hour,
            local_weekday=weekday,
        )
        for ids in _batches(due, size):
            yield DigestBatch(frequency=frequency, period=period, user_ids=ids)


def digests_enqueue(*, frequency: str, now: datetime | None = None) -> int:
    """Publish one ``notifications.send_digest_batch`` task per batch of due members."""
    from notifications import tasks

    now = now or timezone.now()
    batches = 0
    for batch in digests_plan(frequency=frequency, now=now):
        publish(
            tasks.send_digest_batch,
            args=[batch.frequency, batch.period, batch.user_ids, now.isoformat()],
        )
        batches += 1
    return batches


@dataclass
class DigestOutcome:
    sent: int = 0
    empty: int = 0
    skipped: int = 0
    failed: int = 0
    retry_user_ids: list[int] = field(default_factory=list)


def digest_batch_send(
    *,
    frequency: str,
    period: str,
    user_ids: Collection[int],
    claim_token: str,
    now: datetime | None = None,
) -> DigestOutcome:
    """Build and send the digests of a batch of members for ``period``; idempotent per member
    (``Digest`` row, claimed before sending, marked after). A member with nothing new gets no
    mail (status "empty"). One SMTP connection serves the batch."""
    from notifications import emails

    now = now or timezone.now()
    outcome = DigestOutcome()
    Digest.objects.bulk_create(
        [Digest(user_id=uid, frequency=frequency, period=period) for uid in user_ids],
        ignore_conflicts=True,
    )
    mine = Q(status=DigestStatus.SENDING, claim_token=claim_token)
    with transaction.atomic():
        claimed = dict(
            Digest.objects.filter(user_id__in=list(user_ids), frequency=frequency, period=period)
            .filter(Q(status=DigestStatus.PENDING) | mine)
            .select_for_update(skip_locked=True)
            .values_list("user_id", "pk")
        )
        Digest.objects.filter(pk__in=claimed.values()).update(
            status=DigestStatus.SENDING,
            claim_token=claim_token,
            claimed_at=now,
            attempts=F("attempts") + 1,
        )
    if not claimed:
        return outcome
    users = list(
        User.objects.filter(pk__in=list(claimed), is_active=True)
        .filter(selectors.verified_email_q())
        .order_by("pk")
    )
    gone = set(claimed) - {user.pk for user in users}
    if gone:
        Digest.objects.filter(pk__in=[claimed[uid] for uid in gone]).update(
            status=DigestStatus.SKIPPED
        )
        outcome.skipped = len(gone)
    if not users:
        return outcome
    window_start = now - PERIOD_LENGTH[frequency]
    last_sent = selectors.last_digest_times(user_ids=[u.pk for u in users], frequency=frequency)
    sources = selectors.DigestSources(
        user_ids=[u.pk for u in users], frequency=frequency, since=window_start
    )
    moderators = _queue_summaries([u for u in users])
    wanted = selectors.digest_wanted_ids(user_ids=[u.pk for u in users], frequency=frequency)
    empty_ids: list[int] = []
    connection = get_connection()
    links = emails.Links()
    renderer = emails.DigestRenderer()
    pause = conf.test_pause_before_send()
    with _commits_without_waiting_for_disk():
        try:
            for user in users:
                since = max(window_start, last_sent.get(user.pk) or window_start)
                content = sources.content_for(
                    user, since=since, notifications_only=user.pk not in wanted
                )
                if user.pk in wanted:
                    content.queue = moderators.get(user.pk)
                digest_id = claimed[user.pk]
                if content.is_empty:
                    empty_ids.append(digest_id)
                    continue
                message_id = _message_id(f"d.{frequency}.{period}", user.pk, [digest_id])
                message = emails.digest_message(
                    user=user,
                    frequency=frequency,
                    content=content,
                    message_id=message_id,
                    connection=connection,
                    links=links,
                    renderer=renderer,
                )
                if pause:
                    time.sleep(pause)
                try:
                    message.send()
                except TRANSIENT_MAIL_ERRORS as exc:
                    error = f"{type(exc).__name__}: {exc}"[:2000]
                    permanent = _is_permanent(exc)
                    row = Digest.objects.filter(pk=digest_id)
                    if (
                        permanent
                        or row.filter(
                            attempts__gte=conf.integer("NOTIFICATIONS_MAX_ATTEMPTS")
                        ).exists()
                    ):
                        row.update(status=DigestStatus.FAILED, last_error=error)
                        logger.error("digest %s failed for good: %s", digest_id, error)
                        outcome.failed += 1
                    else:
                        row.update(status=DigestStatus.PENDING, claim_token="", last_error=error)
                        outcome.retry_user_ids.append(user.pk)
                        connection.close()
                    continue
                sent_at = timezone.now()
                Digest.objects.filter(pk=digest_id, claim_token=claim_token).update(
                    status=DigestStatus.SENT,
                    sent_at=sent_at,
                    message_id=message_id,
                    item_count=content.item_count,
                    last_error="",
                )
                if content.delivery_ids:
                    Delivery.objects.filter(pk__in=content.delivery_ids).update(
                        status=DeliveryStatus.SENT, sent_at=sent_at, message_id=message_id
                    )
                outcome.sent += 1
        finally:
            connection.close()
    if empty_ids:
        outcome.empty = Digest.objects.filter(pk__in=empty_ids).update(
            status=DigestStatus.EMPTY, sent_at=None
        )
    return outcome


@contextmanager
def _commits_without_waiting_for_disk() -> Iterator[None]:
    """On PostgreSQL, let the commits of this block return without waiting for their WAL to
    reach the disk (``synchronous_commit = off`` for the session, reset on the way out).

    For the "sent" mark written after each digest: one commit per mail, each waiting for an
    fsync, was most of a digest run's time on a busy disk. The marks stay atomic and
    consistent; only a crash of the database server itself (not of a worker) may forget the
    last fraction of a second of marks, whose digests the stale-claim sweep would then send
    again. The mark per mail (rather than per batch) is kept: a worker killed mid-batch still
    re-sends nothing it had marked."""
    relaxed = db_connection.vendor == "postgresql" and not db_connection.in_atomic_block
    if relaxed:
        with db_connection.cursor() as cursor:
            cursor.execute("SET synchronous_commit TO OFF")
    try:
        yield
    finally:
        if relaxed and db_connection.connection is not None:
            with db_connection.cursor() as cursor:
                cursor.execute("RESET synchronous_commit")


def _queue_summaries(users: list[User]) -> dict[int, dict]:
    """The review queue summary for the (global) moderators among ``users``: how many items
    wait. Two queries per batch of digests, whatever its size."""
    moderators = set(selectors.moderator_ids()) & {user.pk for user in users}
    if not moderators:
        return {}
    open_items = selectors.review_queue_open_count()
    if not open_items:
        return {}
    summary = {"open": open_items, "url": _queue_url()}
    return {uid: summary for uid in moderators}


def digest_preview(*, user: User, frequency: str, now: datetime | None = None):
    """What ``user``'s digest would hold now (for ``send_digests --dry-run``). No write."""
    now = now or timezone.now()
    window_start = now - PERIOD_LENGTH[frequency]
    since = max(
        window_start,
        selectors.last_digest_times(user_ids=[user.pk], frequency=frequency).get(user.pk)
        or window_start,
    )
    sources = selectors.DigestSources(user_ids=[user.pk], frequency=frequency, since=window_start)
    wanted = selectors.digest_wanted_ids(user_ids=[user.pk], frequency=frequency)
    content = sources.content_for(user, since=since, notifications_only=user.pk not in wanted)
    if wanted:
        content.queue = _queue_summaries([user]).get(user.pk)
    return content


# --- Preferences, muting and unsubscribing --------------------------------------------------------


def email_preferences_update(*, actor: User, choices: Mapping[str, str]) -> dict[str, str]:
    """Store the member's e-mail frequency for each kind given. Return the full set."""
    errors = {}
    for kind, frequency in choices.items():
        if kind not in NotificationKind.values:
            errors[kind] = _("Unknown kind of notification.")
        elif frequency not in EmailFrequency.values:
            errors[kind] = _("Choose immediately, daily, weekly or never.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        for kind, frequency in choices.items():
            if frequency == DEFAULT_EMAIL_FREQUENCY[kind]:
                EmailPreference.objects.filter(user=actor, kind=kind).delete()
            else:
                EmailPreference.objects.update_or_create(
                    user=actor, kind=kind, defaults={"frequency": frequency}
                )
    return selectors.email_preferences_for(user=actor)


def digest_schedule_update(
    *, actor: User, daily: bool, weekly: bool, hour: int, weekday: int
) -> DigestSchedule:
    errors = {}
    if not isinstance(hour, int) or not 0 <= hour <= 23:
        errors["hour"] = _("Choose an hour between 0 and 23.")
    if not isinstance(weekday, int) or not 0 <= weekday <= 6:
        errors["weekday"] = _("Choose a day of the week.")
    if errors:
        raise ValidationError(errors)
    schedule, _created = DigestSchedule.objects.update_or_create(
        user=actor,
        defaults={"daily": bool(daily), "weekly": bool(weekly), "hour": hour, "weekday": weekday},
    )
    return schedule


def member_mute(*, actor: User, member: User) -> MemberMute:
    if member.pk == actor.pk:
        raise ValidationError({"member": _("You cannot mute yourself.")})
    mute, _created = MemberMute.objects.get_or_create(user=actor, muted=member)
    return mute


def member_unmute(*, actor: User, member: User) -> int:
    deleted, _ = MemberMute.objects.filter(user=actor, muted=member).delete()
    return deleted


UNSUBSCRIBE_SALT = "notifications.unsubscribe"


def unsubscribe_token(*, user: User, scope: str) -> str:
    """A signed, dated token saying "``user`` may stop ``scope``" (a kind, "digest:daily",
    "digest:weekly" or "all"). Anyone holding the link may use it: it is what the mail's
    one-click unsubscribe (RFC 8058) needs, and all it can do is stop e-mails."""
    return signing.TimestampSigner(salt=UNSUBSCRIBE_SALT).sign_object(
        {"u": user.pk, "s": scope}, compress=True
    )


class UnsubscribeError(Exception):
    """The link is forged, damaged or too old. ``expired`` tells which."""

    def __init__(self, message: str, *, expired: bool) -> None:
        super().__init__(message)
        self.expired = expired


DIGEST_SCOPES = ("digest:daily", "digest:weekly")


def _scope_kinds(scope: str) -> list[str]:
    """The kinds a scope covers ("all", "digest:weekly", or kinds joined by commas); empty
    when the scope is not valid."""
    if scope == "all" or scope in DIGEST_SCOPES:
        return [scope]
    kinds = scope.split(",")
    return kinds if all(kind in NotificationKind.values for kind in kinds) else []


@dataclass(frozen=True)
class UnsubscribeRequest:
    user: User
    scope: str

    @property
    def labels(self) -> list[str]:
        """What the link stops, for the confirmation page."""
        if self.scope == "all":
            return [_("Every e-mail from the community")]
        if self.scope == "digest:daily":
            return [_("The daily digest")]
        if self.scope == "digest:weekly":
            return [_("The weekly digest")]
        return [str(NotificationKind(kind).label) for kind in _scope_kinds(self.scope)]


def unsubscribe_check(*, token: str) -> UnsubscribeRequest:
    """Read an unsubscribe token; raise UnsubscribeError when it is not valid."""
    max_age = timedelta(days=conf.value("NOTIFICATIONS_UNSUBSCRIBE_MAX_AGE_DAYS"))
    try:
        data = signing.TimestampSigner(salt=UNSUBSCRIBE_SALT).unsign_object(token, max_age=max_age)
    except signing.SignatureExpired as exc:
        raise UnsubscribeError(_("This unsubscribe link has expired."), expired=True) from exc
    except (signing.BadSignature, ValueError, TypeError) as exc:
        raise UnsubscribeError(_("This unsubscribe link is not valid."), expired=False) from exc
    if not isinstance(data, dict):
        raise UnsubscribeError(_("This unsubscribe link is not valid."), expired=False)
    user = User.objects.filter(pk=data.get("u"), is_active=True).first()
    scope = data.get("s")
    if user is None or not isinstance(scope, str) or not _scope_kinds(scope):
        raise UnsubscribeError(_("This unsubscribe link is not valid."), expired=False)
    return UnsubscribeRequest(user=user, scope=scope)


def unsubscribe(*, token: str) -> UnsubscribeRequest:
    """Stop the e-mails a signed link names. No login: the signature is the authority.
    Idempotent (a mail client may POST twice)."""
    request = unsubscribe_check(token=token)
    user, scope = request.user, request.scope
    with transaction.atomic():
        if scope in DIGEST_SCOPES:
            frequency = scope.split(":")[1]
            DigestSchedule.objects.update_or_create(user=user, defaults={frequency: False})
            # "Stop this digest" means no such e-mail at all: the kinds routed to it stop too.
            routed = [
                kind
                for kind, chosen in selectors.email_preferences_for(user=user).items()
                if chosen == frequency
            ]
            for kind in routed:
                EmailPreference.objects.update_or_create(
                    user=user, kind=kind, defaults={"frequency": EmailFrequency.NEVER}
                )
            Delivery.objects.filter(
                recipient=user, status=DeliveryStatus.PENDING, channel=frequency
            ).update(status=DeliveryStatus.SKIPPED, detail="unsubscribed")
        else:
            kinds = NotificationKind.values if scope == "all" else _scope_kinds(scope)
            for kind in kinds:
                EmailPreference.objects.update_or_create(
                    user=user, kind=kind, defaults={"frequency": EmailFrequency.NEVER}
                )
            if scope == "all":
                DigestSchedule.objects.update_or_create(
                    user=user, defaults={"daily": False, "weekly": False}
                )
            # What was waiting to be mailed is no longer wanted.
            Delivery.objects.filter(
                recipient=user,
                status=DeliveryStatus.PENDING,
                notification__kind__in=kinds,
            ).update(status=DeliveryStatus.SKIPPED, detail="unsubscribed")
    logger.info("member %s unsubscribed from %s", user.pk, scope)
    return request


def new_claim_token() -> str:
    return uuid.uuid4().hex
