"""Reads of the webhooks app, each a fixed number of queries whatever the number of rows."""

from __future__ import annotations

import contextlib

from django.core.cache import cache
from django.db.models import Count, Max, Q, QuerySet

from webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint

SUBSCRIBED_EVENTS_CACHE_KEY = "webhooks:subscribed-events"
SUBSCRIBED_EVENTS_CACHE_SECONDS = 300


def subscribed_events() -> frozenset[str]:
    """The events at least one active endpoint subscribes to.

    Asked by every event receiver, inside the member's request: cached, so that a community
    with no webhook pays no query for posting. The webhook services empty the cache whenever
    an endpoint changes (``webhooks.services._subscriptions_changed``)."""
    try:
        cached = cache.get(SUBSCRIBED_EVENTS_CACHE_KEY)
    except Exception:  # a cache outage must not refuse a member's post: ask the database
        cached = None
    if cached is not None:
        return frozenset(cached)
    events: set[str] = set()
    for names in WebhookEndpoint.objects.filter(active=True).values_list("events", flat=True):
        events.update(names or [])
    with contextlib.suppress(Exception):
        cache.set(SUBSCRIBED_EVENTS_CACHE_KEY, sorted(events), SUBSCRIBED_EVENTS_CACHE_SECONDS)
    return frozenset(events)


def endpoints_subscribed(event: str) -> list[WebhookEndpoint]:
    """Active endpoints subscribed to ``event``. Filtered in Python: there are a handful of
    endpoints, and SQLite has no JSON containment lookup."""
    return [
        endpoint
        for endpoint in WebhookEndpoint.objects.filter(active=True).only("pk", "events")
        if endpoint.subscribes_to(event)
    ]


def endpoint_list() -> QuerySet[WebhookEndpoint]:
    """Every endpoint with its delivery figures (one query)."""
    return (
        WebhookEndpoint.objects.select_related("owner")
        .annotate(
            delivery_count=Count("deliveries"),
            failed_count=Count(
                "deliveries",
                filter=Q(deliveries__status__in=[DeliveryStatus.FAILED, DeliveryStatus.GIVEN_UP]),
            ),
            last_delivery_at=Max("deliveries__created_at"),
        )
        .order_by("pk")
    )


def endpoint_deliveries(endpoint: WebhookEndpoint) -> QuerySet[WebhookDelivery]:
    """The delivery log of one endpoint, newest first (for a paginator)."""
    return (
        WebhookDelivery.objects.filter(endpoint=endpoint)
        .defer("payload", "response_excerpt")
        .order_by("-created_at", "-pk")
    )


def delivery_get(delivery_id: int) -> WebhookDelivery | None:
    return WebhookDelivery.objects.select_related("endpoint").filter(pk=delivery_id).first()


def administrator_ids() -> list[int]:
    """Active administrators (the ``accounts.administer`` permission, or superusers)."""
    from accounts.models import User

    with_permission = (
        Q(is_superuser=True)
        | Q(
            groups__permissions__codename="administer",
            groups__permissions__content_type__app_label="accounts",
        )
        | Q(
            user_permissions__codename="administer",
            user_permissions__content_type__app_label="accounts",
        )
    )
    return sorted(
        User.objects.filter(is_active=True)
        .filter(with_permission)
        .values_list("pk", flat=True)
        .distinct()
    )
