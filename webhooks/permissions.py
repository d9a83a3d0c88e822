"""Who may do what with webhooks: administrators only, for every question. One function per
question, ``(user, obj) -> bool``, accepting anonymous users and None."""

from __future__ import annotations

from typing import TYPE_CHECKING

from accounts.permissions import is_administrator

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from accounts.models import User
    from webhooks.models import WebhookDelivery, WebhookEndpoint

    AnyUser = User | AnonymousUser | None


def can_manage_webhooks(user: AnyUser) -> bool:
    """Open the webhook pages, register endpoints. Webhooks send the community's events to
    outside systems with a secret of their own: an administrator's decision."""
    return is_administrator(user)


def can_change_endpoint(user: AnyUser, endpoint: WebhookEndpoint) -> bool:
    return is_administrator(user)


def can_redeliver(user: AnyUser, delivery: WebhookDelivery) -> bool:
    return is_administrator(user)
