"""Notification settings, each with its default.

Each value is read from Django settings first, then from an environment variable of the same
name, then falls back to the default. The environment fallback lets a Celery worker started by
a test or a benchmark get short delays without a settings module of its own.

NOTIFICATIONS_EMAIL_DELAY_SECONDS (300)
    An immediate e-mail waits until the member has had no new notification for this long. That
    merges bursts (five replies in ten minutes make one mail), and a notification read on the
    site during the wait is not mailed.
NOTIFICATIONS_EMAIL_MAX_DELAY_SECONDS (900)
    The longest wait, counted from the oldest notification waiting. Keep it well under the
    Redis ``visibility_timeout`` (3600 s): a countdown task that waits longer is delivered twice.
NOTIFICATIONS_FANOUT_CHUNK (1000)
    Recipients per fan-out task.
NOTIFICATIONS_DIGEST_CHUNK (250)
    Members per digest task.
NOTIFICATIONS_MAX_ATTEMPTS (5)
    Sending attempts of one e-mail before its deliveries end as "failed" (shown in the admin).
NOTIFICATIONS_SENDING_STALE_SECONDS (900)
    A delivery claimed ("sending") for longer than this by a task that is not running any more
    is given back to "pending" by the sweep, and sent again (see ``services`` for why).
NOTIFICATIONS_OUTBOX_GRACE_SECONDS (60)
    The outbox drain leaves alone the events younger than this: their on-commit publication is
    normally still on its way. It also re-publishes an event at most once per this period.
NOTIFICATIONS_OUTBOX_MAX_ATTEMPTS (10)
    Processing attempts of one outbox event before it ends as "failed" (shown in the admin).
NOTIFICATIONS_UNSUBSCRIBE_MAX_AGE_DAYS (60)
    How long an unsubscribe link in an e-mail stays valid.
NOTIFICATIONS_TEST_PAUSE_BEFORE_SEND (0)
    Test hook, never set in production: seconds the delivery task sleeps after claiming its
    deliveries and before talking to the mail server, so a test can kill the worker exactly
    there. Ignored when DJANGO_ENV=production.
SITE_URL (derived from SITE_HOST)
    Absolute base of the links in e-mails, e.g. ``https://community.example.com``.
"""

from __future__ import annotations

import os

from django.conf import settings

DEFAULTS: dict[str, float] = {
    "NOTIFICATIONS_EMAIL_DELAY_SECONDS": 300,
    "NOTIFICATIONS_EMAIL_MAX_DELAY_SECONDS": 900,
    "NOTIFICATIONS_FANOUT_CHUNK": 1000,
    "NOTIFICATIONS_DIGEST_CHUNK": 250,
    "NOTIFICATIONS_MAX_ATTEMPTS": 5,
    "NOTIFICATIONS_SENDING_STALE_SECONDS": 900,
    "NOTIFICATIONS_OUTBOX_GRACE_SECONDS": 60,
    "NOTIFICATIONS_OUTBOX_MAX_ATTEMPTS": 10,
    "NOTIFICATIONS_UNSUBSCRIBE_MAX_AGE_DAYS": 60,
    "NOTIFICATIONS_TEST_PAUSE_BEFORE_SEND": 0,
}


def value(name: str) -> float:
    """The setting `name` (one of DEFAULTS), as a number."""
    configured = getattr(settings, name, None)
    if configured is None:
        configured = os.environ.get(name) or DEFAULTS[name]
    return float(configured)


def integer(name: str) -> int:
    return int(value(name))


def test_pause_before_send() -> float:
    if getattr(settings, "PRODUCTION", False):
        return 0.0
    return value("NOTIFICATIONS_TEST_PAUSE_BEFORE_SEND")


def site_url() -> str:
    """The absolute base URL for links in e-mails (no trailing slash)."""
    configured = getattr(settings, "SITE_URL", None) or os.environ.get("SITE_URL")
    if configured:
        return configured.rstrip("/")
    host = getattr(settings, "SITE_HOST", None)
    if host:
        return f"https://{host}"
    return "http://127.0.0.1:8000"
