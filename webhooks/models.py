"""Webhook endpoints registered by administrators, and the deliveries made to them.

A delivery is one event for one endpoint. It carries its payload, frozen when the event
happened (see ``webhooks.payloads``), and the outcome of its last attempt; it is retried with
back-off until it succeeds or is given up. Idempotency lives in the constraints and in the
claim (``claimed_at``, see ``webhooks.services.delivery_attempt``): a succeeded delivery is
never sent again, and two workers never send the same delivery at once.

Life of a delivery::

    pending ──attempt──> succeeded
       │                     ▲
       └──> failed (retry at next_attempt_at) ──attempt──┘
                 │
                 └──> given_up (the schedule is spent, or the endpoint was disabled)
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class WebhookEvent(models.TextChoices):
    """The events an endpoint may subscribe to (their names are part of the public contract)."""

    TOPIC_CREATED = "topic.created", _("Topic created")
    POST_CREATED = "post.created", _("Reply posted")
    IDEA_CREATED = "idea.created", _("Idea proposed")
    IDEA_STATUS_CHANGED = "idea.status_changed", _("Idea status changed")
    CONTENT_FLAGGED = "content.flagged", _("Content flagged")
    DECISION_MADE = "decision.made", _("Moderation decision made")


#: The test event sent by "Send a test ping"; nobody subscribes to it.
PING_EVENT = "ping"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed, will retry")
    GIVEN_UP = "given_up", _("Given up")


#: Statuses that still expect an attempt (they have a ``next_attempt_at``).
OPEN_STATUSES = (DeliveryStatus.PENDING, DeliveryStatus.FAILED)


class WebhookEndpoint(models.Model):
    url = models.URLField(_("payload URL"), max_length=2000)
    # Kept in clear: every delivery is signed with it. Only administrators see it.
    secret = models.CharField(_("secret"), max_length=200)
    events = models.JSONField(_("events"), default=list, blank=True)
    active = models.BooleanField(_("active"), default=True)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("owner"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # A snapshot: the log still says who registered it after the account is gone.
    owner_name = models.CharField(max_length=150, blank=True)
    description = models.CharField(_("description"), max_length=200, blank=True)
    # Failed attempts in a row, across deliveries; only changed by F() updates in services.
    consecutive_failures = models.PositiveIntegerField(default=0)
    disabled_at = models.DateTimeField(null=True, blank=True)
    disabled_reason = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")
        ordering = ["pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(url__startswith="http://") | Q(url__startswith="https://"),
                name="webhook_endpoint_http_url",
            ),
            # Active ⇔ not disabled: a disabled endpoint always says when (and why).
            models.CheckConstraint(
                condition=Q(active=True, disabled_at__isnull=True)
                | Q(active=False, disabled_at__isnull=False),
                name="webhook_endpoint_disabled_consistent",
            ),
        ]

    def __str__(self) -> str:
        return self.description or self.url

    def get_absolute_url(self) -> str:
        return reverse("webhooks:endpoint", kwargs={"endpoint_id": self.pk})

    def subscribes_to(self, event: str) -> bool:
        return event in (self.events or [])

    @property
    def event_labels(self) -> list[str]:
        labels = dict(WebhookEvent.choices)
        return [str(labels.get(name, name)) for name in self.events or []]


class WebhookDelivery(models.Model):
    # The delivery's identity, sent as X-Causerie-Delivery (a redelivery gets a new one).
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries"
    )
    event = models.CharField(max_length=40)
    # The event's identity, the payload's "id": the same for every endpoint and redelivery,
    # so a receiver can recognise an event it already processed.
    event_id = models.UUIDField()
    payload = models.JSONField()
    status = models.CharField(
        max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    response_excerpt = models.TextField(blank=True)
    last_duration_ms = models.PositiveIntegerField(null=True, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # Set by the attempt that holds the delivery (see services.delivery_attempt).
    claimed_at = models.DateTimeField(null=True, blank=True)
    redelivery_of = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="redeliveries"
    )
    # Who asked for a redelivery or a ping (empty for deliveries of events).
    requested_by_name = models.CharField(max_length=150, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        constraints = [
            # One original delivery per endpoint and event: recording an event twice (a
            # handler run twice) sends nothing twice. Redeliveries are extra rows.
            models.UniqueConstraint(
                fields=["endpoint", "event_id"],
                condition=Q(redelivery_of__isnull=True),
                name="webhook_delivery_once_per_endpoint",
            ),
            models.CheckConstraint(
                condition=Q(status__in=DeliveryStatus.values),
                name="webhook_delivery_status_valid",
            ),
            # Open deliveries know when to try next; finished ones do not.
            models.CheckConstraint(
                condition=Q(status__in=OPEN_STATUSES, next_attempt_at__isnull=False)
                | Q(
                    ~Q(status__in=OPEN_STATUSES),
                    next_attempt_at__isnull=True,
                ),
                name="webhook_delivery_next_attempt_when_open",
            ),
            models.CheckConstraint(
                condition=~Q(status=DeliveryStatus.SUCCEEDED) | Q(delivered_at__isnull=False),
                name="webhook_delivery_succeeded_has_time",
            ),
        ]
        indexes = [
            # The delivery log of one endpoint, newest first.
            models.Index(fields=["endpoint", "-created_at"], name="webhook_delivery_log"),
            # The sweep: open deliveries by due time.
            models.Index(
                fields=["next_attempt_at"],
                name="webhook_delivery_due",
                condition=Q(status__in=OPEN_STATUSES),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.endpoint_id} ({self.status})"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES
