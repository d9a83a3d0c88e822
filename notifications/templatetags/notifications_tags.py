"""Presentation helpers for notifications: the bell's count and a notification's sentence."""

from __future__ import annotations

from django import template

from notifications import selectors, texts
from notifications.models import Notification

register = template.Library()

_COUNT_ATTR = "_notifications_unread_count"


@register.simple_tag(takes_context=True)
def unread_notifications_count(context) -> int:
    """The member's unread count: one query per request, remembered on the request."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return 0
    if not hasattr(request, _COUNT_ATTR):
        setattr(request, _COUNT_ATTR, selectors.unread_count(user=user))
    return getattr(request, _COUNT_ATTR)


@register.simple_tag
def notification_text(notification: Notification, count: int = 1) -> str:
    return texts.describe(notification, count=count)


@register.simple_tag
def notification_detail(notification: Notification) -> str:
    return texts.detail(notification)


@register.filter
def bell_number(count: int) -> str:
    """What the badge shows: the count, or "99+"."""
    return "99+" if count > 99 else str(count)
