"""In-app notifications, their e-mail deliveries, preferences, digests and the event outbox.

Idempotency lives in the constraints, so a task delivered twice (workers run with acks_late)
creates nothing twice:

* ``Notification``: one per (recipient, dedupe_key) — the fan-out inserts with
  ``ignore_conflicts``;
* ``Delivery``: one per (notification, channel) — an e-mail is sent for a delivery only after
  the delivery was claimed, and a sent delivery is never claimed again;
* ``Digest``: one per (member, frequency, period) — a member gets one weekly digest per ISO
  week and one daily digest per local day;
* ``Outbox``: the events to process, written in the same transaction as the post or vote that
  caused them (transactional outbox, see ``notifications.services``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class NotificationKind(models.TextChoices):
    REPLY = "reply", _("Replies to you")
    MENTION = "mention", _("Mentions of you")
    QUOTE = "quote", _("Quotes of your posts")
    POSTED = "posted", _("New posts in topics you watch")
    NEW_TOPIC = "new_topic", _("New topics in categories you watch")
    UPVOTES = "upvotes", _("Up-votes on your posts")
    ANSWER_ACCEPTED = "answer_accepted", _("Your answer accepted")
    OFFICIAL_ANSWER = "official_answer", _("Official answers on your topics")
    IDEA_STATUS = "idea_status", _("Status changes of ideas you proposed or voted for")
    CHALLENGE = "challenge", _("New phases of idea challenges you take part in")
    CONTENT_MODERATED = "content_moderated", _("Moderation of your posts")
    FLAG_RESOLVED = "flag_resolved", _("Outcome of your flags")
    APPEAL_DECIDED = "appeal_decided", _("Outcome of your appeals")
    SANCTION = "sanction", _("Sanctions on your account")
    QUEUE = "queue", _("Review queue (staff)")
    INSIGHTS_ALERT = "insights_alert", _("Alerts of the e-reputation watch (staff)")
    WEBHOOK = "webhook", _("Webhook endpoints disabled (administrators)")


class EmailFrequency(models.TextChoices):
    IMMEDIATELY = "immediately", _("Immediately")
    DAILY = "daily", _("In the daily digest")
    WEEKLY = "weekly", _("In the weekly digest")
    NEVER = "never", _("Never")


#: What a member gets by e-mail when they have not chosen (Discourse-like: what is addressed
#: to you at once; the rest in the weekly digest).
DEFAULT_EMAIL_FREQUENCY: dict[str, str] = {
    NotificationKind.REPLY: EmailFrequency.IMMEDIATELY,
    NotificationKind.MENTION: EmailFrequency.IMMEDIATELY,
    NotificationKind.QUOTE: EmailFrequency.IMMEDIATELY,
    NotificationKind.POSTED: EmailFrequency.IMMEDIATELY,
    NotificationKind.NEW_TOPIC: EmailFrequency.IMMEDIATELY,
    NotificationKind.UPVOTES: EmailFrequency.WEEKLY,
    NotificationKind.ANSWER_ACCEPTED: EmailFrequency.IMMEDIATELY,
    NotificationKind.OFFICIAL_ANSWER: EmailFrequency.IMMEDIATELY,
    NotificationKind.IDEA_STATUS: EmailFrequency.IMMEDIATELY,
    NotificationKind.CHALLENGE: EmailFrequency.DAILY,
    NotificationKind.CONTENT_MODERATED: EmailFrequency.IMMEDIATELY,
    NotificationKind.FLAG_RESOLVED: EmailFrequency.DAILY,
    NotificationKind.APPEAL_DECIDED: EmailFrequency.IMMEDIATELY,
    NotificationKind.SANCTION: EmailFrequency.IMMEDIATELY,
    NotificationKind.QUEUE: EmailFrequency.DAILY,
    NotificationKind.INSIGHTS_ALERT: EmailFrequency.IMMEDIATELY,
    NotificationKind.WEBHOOK: EmailFrequency.IMMEDIATELY,
}

#: When one post concerns a member for several reasons, the strongest one is kept.
KIND_PRIORITY: dict[str, int] = {
    NotificationKind.OFFICIAL_ANSWER: 50,
    NotificationKind.MENTION: 40,
    NotificationKind.REPLY: 30,
    NotificationKind.QUOTE: 20,
    NotificationKind.NEW_TOPIC: 10,
    NotificationKind.POSTED: 10,
}


class Notification(models.Model):
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=32, choices=NotificationKind.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # A snapshot: the notification still says who did it after the account is gone.
    actor_name = models.CharField(max_length=150, blank=True)
    # db_constraint=False: the fan-out inserts thousands of rows at once; a post deleted in
    # the meantime must not make the batch fail, and notifications of removed content are
    # deleted with it by `on_delete` at the ORM level anyway.
    topic = models.ForeignKey(
        "community.Topic",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        db_constraint=False,
    )
    post = models.ForeignKey(
        "community.Post",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        db_constraint=False,
    )
    # Facts shown in the list and the e-mail (title, excerpt, milestone, status...), so that a
    # page of notifications needs no per-row query.
    data = models.JSONField(default=dict, blank=True)
    # Notifications with the same group key show as one line ("3 new replies in ...").
    group_key = models.CharField(max_length=100)
    # One notification per recipient and key: the idempotency key of the fan-out.
    dedupe_key = models.CharField(max_length=100)
    read_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "dedupe_key"], name="notification_unique_per_recipient"
            ),
        ]
        indexes = [
            # The bell: count of unread notifications of one member, an index-only count.
            models.Index(
                fields=["recipient"],
                name="notification_unread",
                condition=Q(read_at__isnull=True),
            ),
            models.Index(fields=["recipient", "-created_at"], name="notification_recent"),
            models.Index(fields=["recipient", "group_key"], name="notification_group"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} for {self.recipient_id}"

    def get_absolute_url(self) -> str:
        return reverse("notifications:open", kwargs={"notification_id": self.pk})

    @property
    def is_read(self) -> bool:
        return self.read_at is not None


class DeliveryChannel(models.TextChoices):
    EMAIL = "email", _("Immediate e-mail")
    DAILY = "daily", _("Daily digest")
    WEEKLY = "weekly", _("Weekly digest")


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    SKIPPED = "skipped", _("Skipped")
    FAILED = "failed", _("Failed")


class Delivery(models.Model):
    """A notification to be sent by e-mail, immediately or in a digest.

    Life: pending → sending (claimed by one task, in its own commit) → sent | skipped | failed.
    """

    notification = models.ForeignKey(
        Notification, on_delete=models.CASCADE, related_name="deliveries"
    )
    channel = models.CharField(max_length=16, choices=DeliveryChannel.choices)
    # Denormalised from the notification: "the pending e-mails of this member" is one index.
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    status = models.CharField(
        max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    # The task that claimed the delivery (its Celery id: a redelivered message keeps it).
    claim_token = models.CharField(max_length=64, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    message_id = models.CharField(max_length=255, blank=True)
    detail = models.CharField(max_length=200, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("delivery")
        verbose_name_plural = _("deliveries")
        constraints = [
            models.UniqueConstraint(
                fields=["notification", "channel"], name="delivery_unique_per_channel"
            ),
        ]
        indexes = [
            models.Index(
                fields=["recipient", "channel"],
                name="delivery_open",
                condition=Q(status__in=["pending", "sending"]),
            ),
            models.Index(fields=["status", "created_at"], name="delivery_status"),
        ]

    def __str__(self) -> str:
        return f"{self.channel} {self.status} for notification {self.notification_id}"


class EmailPreference(models.Model):
    """A member's choice for one kind; without a row, DEFAULT_EMAIL_FREQUENCY applies."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="email_preferences"
    )
    kind = models.CharField(max_length=32, choices=NotificationKind.choices)
    frequency = models.CharField(max_length=16, choices=EmailFrequency.choices)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("e-mail preference")
        verbose_name_plural = _("e-mail preferences")
        constraints = [
            models.UniqueConstraint(fields=["user", "kind"], name="email_preference_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind}: {self.frequency}"


class Weekday(models.IntegerChoices):
    MONDAY = 0, _("Monday")
    TUESDAY = 1, _("Tuesday")
    WEDNESDAY = 2, _("Wednesday")
    THURSDAY = 3, _("Thursday")
    FRIDAY = 4, _("Friday")
    SATURDAY = 5, _("Saturday")
    SUNDAY = 6, _("Sunday")


class DigestSchedule(models.Model):
    """When a member wants their digests, in their own time zone (User.timezone).

    Without a row: the weekly digest on Monday at 8:00, no daily digest (see DEFAULT_*).
    """

    DEFAULT_DAILY = False
    DEFAULT_WEEKLY = True
    DEFAULT_HOUR = 8
    DEFAULT_WEEKDAY = Weekday.MONDAY

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="digest_schedule",
    )
    daily = models.BooleanField(_("daily digest"), default=DEFAULT_DAILY)
    weekly = models.BooleanField(_("weekly digest"), default=DEFAULT_WEEKLY)
    hour = models.PositiveSmallIntegerField(
        _("hour"), default=DEFAULT_HOUR, choices=[(h, f"{h:02d}:00") for h in range(24)]
    )
    weekday = models.PositiveSmallIntegerField(
        _("day of the weekly digest"), choices=Weekday.choices, default=DEFAULT_WEEKDAY
    )
    last_daily_at = models.DateTimeField(null=True, blank=True)
    last_weekly_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("digest schedule")
        verbose_name_plural = _("digest schedules")
        constraints = [
            models.CheckConstraint(condition=Q(hour__lte=23), name="digest_hour_range"),
            models.CheckConstraint(condition=Q(weekday__lte=6), name="digest_weekday_range"),
        ]

    def __str__(self) -> str:
        return f"digests of {self.user_id}"


class DigestFrequency(models.TextChoices):
    DAILY = "daily", _("Daily")
    WEEKLY = "weekly", _("Weekly")


class DigestStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    EMPTY = "empty", _("Nothing new")
    SKIPPED = "skipped", _("Skipped")
    FAILED = "failed", _("Failed")


class Digest(models.Model):
    """One digest of one member for one period: the idempotency key of the digest run."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    frequency = models.CharField(max_length=8, choices=DigestFrequency.choices)
    # The member's local date ("2026-11-23") for daily digests, ISO week ("2026-W48") weekly.
    period = models.CharField(max_length=16)
    status = models.CharField(
        max_length=16, choices=DigestStatus.choices, default=DigestStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    claim_token = models.CharField(max_length=64, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    item_count = models.PositiveIntegerField(default=0)
    message_id = models.CharField(max_length=255, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("digest")
        verbose_name_plural = _("digests")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "frequency", "period"], name="digest_unique_per_period"
            ),
        ]
        indexes = [models.Index(fields=["status", "claimed_at"], name="digest_status")]

    def __str__(self) -> str:
        return f"{self.frequency} digest {self.period} of {self.user_id}: {self.status}"


class MemberMute(models.Model):
    """A member muted by another: nothing the muted member does notifies the muter."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="member_mutes"
    )
    muted = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("muted member")
        verbose_name_plural = _("muted members")
        constraints = [
            models.UniqueConstraint(fields=["user", "muted"], name="member_mute_unique"),
            models.CheckConstraint(
                condition=~Q(user=models.F("muted")), name="member_mute_not_self"
            ),
        ]
        indexes = [models.Index(fields=["muted"], name="member_mute_muted")]

    def __str__(self) -> str:
        return f"{self.user_id} mutes {self.muted_id}"


class OutboxStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    DONE = "done", _("Processed")
    FAILED = "failed", _("Failed")


class Outbox(models.Model):
    """An event to process, written in the business transaction (transactional outbox).

    The row exists if and only if the post (vote, decision...) was committed. After commit a
    task is published for it; if the broker is down the row simply stays pending, and the
    periodic ``notifications.outbox_drain`` publishes it again once the broker is back.
    """

    event = models.CharField(max_length=40)
    # What the event is about, e.g. "post:42": lets later events of the same transaction
    # (mentions, quotes) join the first one.
    key = models.CharField(max_length=100, db_index=True)
    payload = models.JSONField(default=dict)
    status = models.CharField(
        max_length=16, choices=OutboxStatus.choices, default=OutboxStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    published_at = models.DateTimeField(null=True, blank=True)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("outbox event")
        verbose_name_plural = _("outbox events")
        indexes = [
            models.Index(
                fields=["created_at"], name="outbox_pending", condition=Q(status="pending")
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event} {self.key} ({self.status})"
