"""Webhook settings, each with its default.

Each value is read from Django settings first, then from an environment variable of the same
name (so that a Celery worker started by a test gets the test's values without a settings
module of its own), then falls back to the default.

WEBHOOKS_ALLOW_PRIVATE_TARGETS (False)
    Allow endpoints whose host is, or resolves to, a private, loopback, link-local, reserved
    or otherwise non-public address. Off by default and in production: a webhook is a request
    the server makes on an administrator's behalf, and must not reach the database, the cache,
    a cloud metadata service or anything else on the inside (SSRF). Tests turn it on to use a
    receiver on 127.0.0.1.
WEBHOOKS_RETRY_SCHEDULE ((60, 300, 1800, 7200, 21600, 54000))
    Seconds to wait before each retry after a failed attempt: 1 min, 5 min, 30 min, 2 h, 6 h,
    15 h — seven attempts over about a day; after the last one the delivery is given up.
WEBHOOKS_DISABLE_AFTER_FAILURES (15)
    Failed attempts in a row, across deliveries, after which an endpoint is disabled and its
    owner told. One success resets the count.
WEBHOOKS_TIMEOUT_SECONDS (5)
    Connect and read timeout of one attempt.
WEBHOOKS_CLAIM_STALE_SECONDS (300)
    An attempt that claimed a delivery and did not record an outcome within this time (its
    worker died) no longer holds it: the sweep publishes the delivery again.
WEBHOOKS_MAX_COUNTDOWN_SECONDS (1800)
    A retry due within this time is published at once as a countdown task; a later one is
    left to the sweep, which publishes it when due. Keep it well under the Redis broker's
    ``visibility_timeout`` (3600 s): a countdown task waiting longer is handed to another
    worker every hour, and copies pile up until it runs.
WEBHOOKS_SWEEP_GRACE_SECONDS (60)
    The sweep leaves alone deliveries due for less than this: their task is normally on its
    way already (published on commit, or with a countdown).
"""

from __future__ import annotations

import os
from typing import Any

from django.conf import settings

DEFAULTS: dict[str, Any] = {
    "WEBHOOKS_ALLOW_PRIVATE_TARGETS": False,
    "WEBHOOKS_RETRY_SCHEDULE": (60, 300, 1800, 7200, 21600, 54000),
    "WEBHOOKS_DISABLE_AFTER_FAILURES": 15,
    "WEBHOOKS_TIMEOUT_SECONDS": 5,
    "WEBHOOKS_CLAIM_STALE_SECONDS": 300,
    "WEBHOOKS_SWEEP_GRACE_SECONDS": 60,
    "WEBHOOKS_MAX_COUNTDOWN_SECONDS": 1800,
}

_TRUE = {"1", "true", "yes", "on"}


def _raw(name: str) -> Any:
    configured = getattr(settings, name, None)
    if configured is None:
        configured = os.environ.get(name)
    if configured is None or configured == "":
        return DEFAULTS[name]
    return configured


def allow_private_targets() -> bool:
    value = _raw("WEBHOOKS_ALLOW_PRIVATE_TARGETS")
    if isinstance(value, str):
        return value.strip().lower() in _TRUE
    return bool(value)


def retry_schedule() -> tuple[int, ...]:
    """The waits before each retry, in seconds ("60,300" in the environment)."""
    value = _raw("WEBHOOKS_RETRY_SCHEDULE")
    if isinstance(value, str):
        value = [part for part in value.split(",") if part.strip()]
    return tuple(max(0, int(float(part))) for part in value)


def integer(name: str) -> int:
    return int(float(_raw(name)))


def timeout() -> float:
    return float(_raw("WEBHOOKS_TIMEOUT_SECONDS"))
