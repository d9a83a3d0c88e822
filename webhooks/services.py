"""Every write of the webhooks app: endpoints (administrators only), recording events as
deliveries, attempting them, retries, redelivery, and disabling an endpoint that keeps failing.

How an event reaches an endpoint (read top to bottom)
=======================================================

1. **Record.** A receiver in ``webhooks.handlers`` runs inside the business transaction
   (``topic_create``, ``item_decide``...). When an active endpoint subscribes to the event it
   builds the payload (``webhooks.payloads``, a snapshot) and calls :func:`event_record`: one
   ``WebhookDelivery`` row per subscribed endpoint, written in the same transaction — the
   rows are the outbox: they commit or roll back with the post.
2. **Publish.** ``transaction.on_commit`` publishes ``webhooks.deliver`` for each row, with a
   fail-fast publish (a broker that is down neither slows nor breaks the request); the beat's
   ``webhooks.sweep`` publishes whatever is due and was missed.
3. **Attempt** (:func:`delivery_attempt`, idempotent): claim the row (one conditional UPDATE:
   still open, due, endpoint active, not held by another attempt), resolve and check the
   target again (SSRF, DNS rebinding), POST the signed body, record the outcome. A succeeded
   delivery is never claimed again, so a task delivered twice sends once.
4. **Retry.** A failed attempt sets ``next_attempt_at`` from ``WEBHOOKS_RETRY_SCHEDULE`` and
   publishes the task again with that countdown (waits over ``WEBHOOKS_MAX_COUNTDOWN_SECONDS``
   are left to the sweep, which runs every minute); once the schedule is spent the delivery is
   ``given_up``. Each failure adds one to the endpoint's ``consecutive_failures`` (a success
   resets it); at ``WEBHOOKS_DISABLE_AFTER_FAILURES`` the endpoint is disabled, its open
   deliveries given up, and its owner told (in-app notification and e-mail).

A countdown message may still arrive twice (a redelivery after a worker crash); the claim makes
the duplicate harmless, and the sweep bounds the delay of a lost one.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import uuid
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.models import User
from webhooks import conf, payloads, selectors, targets
from webhooks import permissions as perms
from webhooks.models import (
    OPEN_STATUSES,
    PING_EVENT,
    DeliveryStatus,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)

logger = logging.getLogger(__name__)

SECRET_MIN_LENGTH = 16
SECRET_MAX_LENGTH = 200
DESCRIPTION_MAX_LENGTH = 200


# --- Signing -------------------------------------------------------------------------------------


def body_encode(payload: dict[str, Any]) -> bytes:
    """The exact bytes sent (and signed): compact JSON with sorted keys, so that every attempt
    of a delivery sends the same body whatever order the database returns keys in."""
    return json.dumps(payload, separators=(",", ":"), sort_keys=True, ensure_ascii=False).encode()


def signature(secret: str, body: bytes) -> str:
    """The X-Causerie-Signature header: ``sha256=`` and the hex HMAC-SHA256 of the raw body."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def headers_for(delivery: WebhookDelivery, body: bytes) -> dict[str, str]:
    return {
        "Content-Type": "application/json",
        "User-Agent": targets.USER_AGENT,
        "X-Causerie-Event": delivery.event,
        "X-Causerie-Delivery": str(delivery.uuid),
        "X-Causerie-Signature": signature(delivery.endpoint.secret, body),
    }


# --- Endpoints -----------------------------------------------------------------------------------


def _require_admin(actor: Any) -> None:
    if not perms.can_manage_webhooks(actor):
        raise PermissionDenied(_("Only administrators may manage webhooks."))


def _clean_url(url: object, errors: dict[str, list[str]]) -> str:
    try:
        return targets.validate(str(url or ""), allow_private=conf.allow_private_targets())
    except ValidationError as exc:
        errors.setdefault("url", []).extend(exc.messages)
        return ""


def _clean_events(events: object, errors: dict[str, list[str]]) -> list[str]:
    if isinstance(events, str) or not isinstance(events, Iterable):
        errors.setdefault("events", []).append(_("Choose the events to send."))
        return []
    names = [str(name) for name in events]
    unknown = sorted(set(names) - set(WebhookEvent.values))
    if unknown:
        errors.setdefault("events", []).append(
            _("Unknown events: %(names)s.") % {"names": ", ".join(unknown)}
        )
    if not names:
        errors.setdefault("events", []).append(_("Choose at least one event."))
    # Stored in the order of the list of events, without duplicates.
    return [name for name in WebhookEvent.values if name in names]


def _clean_secret(secret: object, errors: dict[str, list[str]]) -> str:
    secret = str(secret or "").strip()
    if not secret:
        return secrets.token_urlsafe(32)
    if len(secret) < SECRET_MIN_LENGTH:
        errors.setdefault("secret", []).append(
            _("Use a secret of at least %(count)d characters, or leave it empty to get one.")
            % {"count": SECRET_MIN_LENGTH}
        )
    elif len(secret) > SECRET_MAX_LENGTH:
        errors.setdefault("secret", []).append(
            _("Use a secret of at most %(count)d characters.") % {"count": SECRET_MAX_LENGTH}
        )
    return secret


def _clean_description(description: object, errors: dict[str, list[str]]) -> str:
    description = " ".join(str(description or "").split())
    if len(description) > DESCRIPTION_MAX_LENGTH:
        errors.setdefault("description", []).append(
            _("At most %(count)d characters.") % {"count": DESCRIPTION_MAX_LENGTH}
        )
    return description


def _raise_if(errors: dict[str, list[str]]) -> None:
    if errors:
        raise ValidationError(errors)


def _subscriptions_changed() -> None:
    """Forget the cached set of subscribed events, now and again after commit (a receiver in
    another process may have refilled it from the old rows in between)."""
    cache.delete(selectors.SUBSCRIBED_EVENTS_CACHE_KEY)
    transaction.on_commit(lambda: cache.delete(selectors.SUBSCRIBED_EVENTS_CACHE_KEY))


@transaction.atomic
def endpoint_create(
    *,
    actor: User,
    url: str,
    events: Iterable[str],
    secret: str = "",
    description: str = "",
) -> WebhookEndpoint:
    """Register an endpoint. Administrators only. An empty ``secret`` gets a random one.

    Raises PermissionDenied, or ValidationError keyed by field: the URL must be http(s) and,
    unless WEBHOOKS_ALLOW_PRIVATE_TARGETS, resolve to public addresses only."""
    _require_admin(actor)
    errors: dict[str, list[str]] = {}
    url = _clean_url(url, errors)
    events = _clean_events(events, errors)
    secret = _clean_secret(secret, errors)
    description = _clean_description(description, errors)
    _raise_if(errors)
    endpoint = WebhookEndpoint.objects.create(
        url=url,
        events=events,
        secret=secret,
        description=description,
        owner=actor,
        owner_name=actor.username,
    )
    _subscriptions_changed()
    return endpoint


@transaction.atomic
def endpoint_update(
    *,
    actor: User,
    endpoint: WebhookEndpoint,
    url: str | None = None,
    events: Iterable[str] | None = None,
    secret: str | None = None,
    description: str | None = None,
) -> WebhookEndpoint:
    """Change an endpoint; arguments left None (and an empty ``secret``) keep their value.
    Deliveries already recorded keep going to the endpoint with their payload as it was."""
    if not perms.can_change_endpoint(actor, endpoint):
        raise PermissionDenied(_("Only administrators may manage webhooks."))
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    errors: dict[str, list[str]] = {}
    fields: dict[str, Any] = {}
    if url is not None and url.strip() != endpoint.url:
        fields["url"] = _clean_url(url, errors)
    if events is not None:
        fields["events"] = _clean_events(events, errors)
    if secret:
        fields["secret"] = _clean_secret(secret, errors)
    if description is not None:
        fields["description"] = _clean_description(description, errors)
    _raise_if(errors)
    if fields:
        fields["updated_at"] = timezone.now()
        WebhookEndpoint.objects.filter(pk=endpoint.pk).update(**fields)
        endpoint.refresh_from_db()
        _subscriptions_changed()
    return endpoint


@transaction.atomic
def endpoint_delete(*, actor: User, endpoint: WebhookEndpoint) -> None:
    """Delete an endpoint and its delivery log. An attempt already running finds nothing to
    record and stops."""
    if not perms.can_change_endpoint(actor, endpoint):
        raise PermissionDenied(_("Only administrators may manage webhooks."))
    WebhookEndpoint.objects.filter(pk=endpoint.pk).delete()
    _subscriptions_changed()


@transaction.atomic
def endpoint_disable(
    *, actor: User, endpoint: WebhookEndpoint, reason: str = ""
) -> WebhookEndpoint:
    """Pause an endpoint by hand: no new delivery is recorded for it, open ones are given up."""
    if not perms.can_change_endpoint(actor, endpoint):
        raise PermissionDenied(_("Only administrators may manage webhooks."))
    reason = " ".join(str(reason or "").split())[:400] or _("Disabled by %(name)s.") % {
        "name": actor.username
    }
    _disable(endpoint_id=endpoint.pk, reason=reason, now=timezone.now(), only_failing=False)
    endpoint.refresh_from_db()
    return endpoint


@transaction.atomic
def endpoint_enable(*, actor: User, endpoint: WebhookEndpoint) -> WebhookEndpoint:
    """Turn a disabled endpoint back on, with its failure count reset. Deliveries given up
    while it was off stay given up (redeliver the ones that matter); new events flow again."""
    if not perms.can_change_endpoint(actor, endpoint):
        raise PermissionDenied(_("Only administrators may manage webhooks."))
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        active=True,
        disabled_at=None,
        disabled_reason="",
        consecutive_failures=0,
        updated_at=timezone.now(),
    )
    endpoint.refresh_from_db()
    _subscriptions_changed()
    return endpoint


# --- Recording events ------------------------------------------------------------------------


def event_envelope(*, event: str, data: dict[str, Any], occurred_at: datetime | None = None):
    """The payload of one event: ``{"id", "event", "created_at", "data"}``."""
    return {
        "id": str(uuid.uuid4()),
        "event": event,
        "created_at": (occurred_at or timezone.now()).isoformat(),
        "data": data,
    }


def _publish_on_commit(delivery_ids: list[int]) -> None:
    if delivery_ids:
        transaction.on_commit(lambda: deliveries_publish(delivery_ids=delivery_ids))


def deliveries_publish(*, delivery_ids: Iterable[int], countdown: float | None = None) -> int:
    """Best effort: publish ``webhooks.deliver`` for each delivery (never raises). What could
    not be published is left to the sweep."""
    from notifications.services import publish
    from webhooks import tasks

    published = 0
    for delivery_id in delivery_ids:
        if publish(tasks.deliver, args=[delivery_id], countdown=countdown, fail_fast=True):
            published += 1
    return published


def event_record(
    *, event: str, data: dict[str, Any], occurred_at: datetime | None = None
) -> list[WebhookDelivery]:
    """Record ``event`` for every active endpoint subscribed to it, in the caller's
    transaction, and publish the deliveries after commit. Return the deliveries (none when
    nobody subscribes)."""
    if event not in WebhookEvent.values:
        raise ValueError(f"unknown webhook event {event!r}")
    endpoints = selectors.endpoints_subscribed(event)
    if not endpoints:
        return []
    payload = event_envelope(event=event, data=data, occurred_at=occurred_at)
    now = timezone.now()
    deliveries = WebhookDelivery.objects.bulk_create(
        [
            WebhookDelivery(
                endpoint_id=endpoint.pk,
                event=event,
                event_id=uuid.UUID(payload["id"]),
                payload=payload,
                next_attempt_at=now,
                created_at=now,
            )
            for endpoint in endpoints
        ]
    )
    ids = [d.pk for d in deliveries if d.pk] or list(
        WebhookDelivery.objects.filter(event_id=payload["id"]).values_list("pk", flat=True)
    )
    _publish_on_commit(ids)
    return deliveries


@transaction.atomic
def delivery_redeliver(*, actor: User, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send a delivery's payload again, as a new delivery (new X-Causerie-Delivery id, same
    event id, fresh attempts), whatever the first one's outcome. The endpoint must be active."""
    if not perms.can_redeliver(actor, delivery):
        raise PermissionDenied(_("Only administrators may redeliver webhooks."))
    original = WebhookDelivery.objects.select_related("endpoint").get(pk=delivery.pk)
    if not original.endpoint.active:
        raise ValidationError(_("This endpoint is disabled: enable it first."), code="disabled")
    now = timezone.now()
    copy = WebhookDelivery.objects.create(
        endpoint=original.endpoint,
        event=original.event,
        event_id=original.event_id,
        payload=original.payload,
        redelivery_of=original,
        requested_by_name=actor.username,
        next_attempt_at=now,
        created_at=now,
    )
    _publish_on_commit([copy.pk])
    return copy


@transaction.atomic
def endpoint_ping(*, actor: User, endpoint: WebhookEndpoint) -> WebhookDelivery:
    """Send a "ping" event to one endpoint, whatever it subscribes to: one attempt, no retry
    (the administrator is watching the log)."""
    if not perms.can_change_endpoint(actor, endpoint):
        raise PermissionDenied(_("Only administrators may manage webhooks."))
    endpoint = WebhookEndpoint.objects.get(pk=endpoint.pk)
    if not endpoint.active:
        raise ValidationError(_("This endpoint is disabled: enable it first."), code="disabled")
    payload = event_envelope(
        event=PING_EVENT, data=payloads.ping(endpoint_id=endpoint.pk, events=endpoint.events)
    )
    now = timezone.now()
    delivery = WebhookDelivery.objects.create(
        endpoint=endpoint,
        event=PING_EVENT,
        event_id=uuid.UUID(payload["id"]),
        payload=payload,
        requested_by_name=actor.username,
        next_attempt_at=now,
        created_at=now,
    )
    _publish_on_commit([delivery.pk])
    return delivery


# --- Attempts ------------------------------------------------------------------------------------


def _claim(delivery_id: int, now: datetime) -> bool:
    """Take the delivery for this attempt, in its own commit. Only one attempt wins; the
    others (a duplicate message, a sweep racing a countdown) find nothing to do.

    The UPDATE filters on the delivery's own columns only (no join), so that on PostgreSQL
    a second claimer blocked on the row lock re-checks them once the first commits, and
    updates nothing."""
    if not WebhookEndpoint.objects.filter(deliveries__pk=delivery_id, active=True).exists():
        return False
    stale = now - timedelta(seconds=conf.integer("WEBHOOKS_CLAIM_STALE_SECONDS"))
    claimed = (
        WebhookDelivery.objects.filter(
            pk=delivery_id, status__in=OPEN_STATUSES, next_attempt_at__lte=now
        )
        .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=stale))
        .update(claimed_at=now)
    )
    return claimed == 1


def retry_delay(attempts: int) -> int | None:
    """Seconds before the next attempt after ``attempts`` failed ones; None: give up."""
    schedule = conf.retry_schedule()
    if attempts < 1 or attempts > len(schedule):
        return None
    return schedule[attempts - 1]


def delivery_attempt(*, delivery_id: int, now: datetime | None = None) -> str:
    """Make one attempt of a delivery if it is open, due and not held by another attempt.

    Return what happened: "skipped" (nothing to do: already succeeded, not due, endpoint
    disabled, claimed elsewhere, deleted), "succeeded", "retry" (failed, retry scheduled) or
    "given_up". Network and HTTP errors are outcomes, not exceptions."""
    now = now or timezone.now()
    if not _claim(delivery_id, now):
        return "skipped"
    delivery = WebhookDelivery.objects.select_related("endpoint").filter(pk=delivery_id).first()
    if delivery is None:
        return "skipped"
    body = body_encode(delivery.payload)
    outcome = targets.post(
        delivery.endpoint.url,
        body=body,
        headers=headers_for(delivery, body),
        timeout=conf.timeout(),
        allow_private=conf.allow_private_targets(),
    )
    return _record_outcome(delivery, outcome)


def _record_outcome(delivery: WebhookDelivery, outcome: targets.Outcome) -> str:
    finished = timezone.now()
    attempts = delivery.attempts + 1
    common = {
        "attempts": attempts,
        "last_status_code": outcome.status_code,
        "last_error": outcome.error[:500],
        "response_excerpt": outcome.excerpt,
        "last_duration_ms": outcome.duration_ms,
        "last_attempt_at": finished,
        "claimed_at": None,
    }
    if outcome.ok:
        with transaction.atomic():
            WebhookDelivery.objects.filter(pk=delivery.pk).update(
                status=DeliveryStatus.SUCCEEDED,
                delivered_at=finished,
                next_attempt_at=None,
                **common,
            )
            WebhookEndpoint.objects.filter(pk=delivery.endpoint_id).update(consecutive_failures=0)
        return "succeeded"

    delay = None if delivery.event == PING_EVENT else retry_delay(attempts)
    # Only while still open: the endpoint may have been disabled (and this delivery given up)
    # while the request was on its way.
    still_open = WebhookDelivery.objects.filter(pk=delivery.pk, status__in=OPEN_STATUSES)
    with transaction.atomic():
        if delay is None:
            updated = still_open.update(
                status=DeliveryStatus.GIVEN_UP, next_attempt_at=None, **common
            )
        else:
            updated = still_open.update(
                status=DeliveryStatus.FAILED,
                next_attempt_at=finished + timedelta(seconds=delay),
                **common,
            )
        if not updated:
            return "skipped"
        WebhookEndpoint.objects.filter(pk=delivery.endpoint_id).update(
            consecutive_failures=F("consecutive_failures") + 1
        )
        limit = conf.integer("WEBHOOKS_DISABLE_AFTER_FAILURES")
        disabled = _disable(
            endpoint_id=delivery.endpoint_id,
            reason=_("Disabled after %(count)d failed attempts in a row. Last error: %(error)s")
            % {"count": limit, "error": outcome.error or "-"},
            now=finished,
            only_failing=True,
        )
    logger.info(
        "webhook delivery %s to endpoint %s failed (attempt %d): %s",
        delivery.uuid,
        delivery.endpoint_id,
        attempts,
        outcome.error,
    )
    if disabled:
        return "given_up"
    if delay is None:
        return "given_up"
    # Published after the outcome is committed: in eager mode (tests, the embedded setup) the
    # task runs at once, finds the delivery not yet due and leaves it to the sweep. Long
    # waits are left to the sweep from the start (see WEBHOOKS_MAX_COUNTDOWN_SECONDS).
    if delay <= conf.integer("WEBHOOKS_MAX_COUNTDOWN_SECONDS"):
        deliveries_publish(delivery_ids=[delivery.pk], countdown=delay)
    return "retry"


def _disable(*, endpoint_id: int, reason: str, now: datetime, only_failing: bool) -> bool:
    """Disable an endpoint (once: a conditional UPDATE), give up its open deliveries and, for
    an automatic disabling, tell its owner after commit. Return True if this call disabled it."""
    endpoints = WebhookEndpoint.objects.filter(pk=endpoint_id, active=True)
    if only_failing:
        endpoints = endpoints.filter(
            consecutive_failures__gte=conf.integer("WEBHOOKS_DISABLE_AFTER_FAILURES")
        )
    if not endpoints.update(active=False, disabled_at=now, disabled_reason=reason[:500]):
        return False
    WebhookDelivery.objects.filter(endpoint_id=endpoint_id, status__in=OPEN_STATUSES).update(
        status=DeliveryStatus.GIVEN_UP,
        next_attempt_at=None,
        claimed_at=None,
        last_error=_("The endpoint was disabled."),
    )
    _subscriptions_changed()
    if only_failing:
        transaction.on_commit(lambda: endpoint_disabled_notify(endpoint_id=endpoint_id))
    return True


def endpoint_disabled_notify(*, endpoint_id: int) -> int:
    """Tell the owner of an endpoint that was disabled (all active administrators when the
    owner's account is gone or no longer an administrator): an in-app notification, and an
    e-mail through the notifications pipeline (immediate by default). Return how many."""
    from django.urls import reverse

    from accounts.permissions import is_administrator
    from notifications.models import NotificationKind
    from notifications.services import staff_notice_process

    endpoint = WebhookEndpoint.objects.select_related("owner").filter(pk=endpoint_id).first()
    if endpoint is None or endpoint.active:
        return 0
    owner = endpoint.owner
    if owner is not None and is_administrator(owner):
        recipient_ids = [owner.pk]
    else:
        recipient_ids = selectors.administrator_ids()
    staff_notice_process(
        kind=NotificationKind.WEBHOOK,
        recipient_ids=recipient_ids,
        dedupe_key=f"webhook:{endpoint.pk}:disabled:{int(endpoint.disabled_at.timestamp())}",
        data={
            "endpoint": endpoint.description or endpoint.url,
            "title": endpoint.description or endpoint.url,
            "reason": endpoint.disabled_reason,
            "url": reverse("webhooks:endpoint", kwargs={"endpoint_id": endpoint.pk}),
        },
    )
    return len(recipient_ids)


def deliveries_sweep(*, now: datetime | None = None, limit: int = 500) -> int:
    """Publish the deliveries that are due and that no attempt holds: their message was lost
    (broker down at commit time, worker killed) or their countdown outlived the broker's
    visibility timeout. Return how many were published. Run by the beat every minute."""
    now = now or timezone.now()
    grace = timedelta(seconds=conf.integer("WEBHOOKS_SWEEP_GRACE_SECONDS"))
    stale = now - timedelta(seconds=conf.integer("WEBHOOKS_CLAIM_STALE_SECONDS"))
    due = list(
        WebhookDelivery.objects.filter(
            status__in=OPEN_STATUSES,
            next_attempt_at__lte=now - grace,
            endpoint__active=True,
        )
        .filter(Q(claimed_at__isnull=True) | Q(claimed_at__lt=stale))
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    return deliveries_publish(delivery_ids=due)
