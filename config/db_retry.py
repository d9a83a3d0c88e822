"""A read that loses its database connection mid-request is answered again, once.

Why: ``CONN_HEALTH_CHECKS`` (config/settings.py) replaces a persistent connection that died
*between* requests, but a request that is *using* its connection when PostgreSQL restarts,
fails over, or a pooler drops it still answered 500 (`make soak`, bench/README.md: one such 500
at each PostgreSQL cut). A safe request (GET, HEAD, OPTIONS) reads; what Causerie's GETs write is
idempotent or harmless to repeat (a reading position, a visit day, one more topic view), so
running it again on a fresh connection gives the visitor the page instead of an error page.

When the stack answers 5xx to a safe request and a database connection that recorded an error
during it no longer answers, the broken connections are closed and the request goes through the
rest of the stack once more. Only once: a database that stays down still answers 500 (and
``/healthz`` says why). Never inside a transaction (``ATOMIC_REQUESTS``, a test's), whose
work is lost with the connection. Django has already logged the first failure as an error;
this logs the retry.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import connections
from django.http import HttpRequest, HttpResponse

from config.db_router import SAFE_METHODS

logger = logging.getLogger(__name__)


def drop_lost_connections() -> bool:
    """Close every connection of this thread that failed and no longer answers; True if one
    did (and none of them was inside a transaction)."""
    lost = False
    for connection in connections.all(initialized_only=True):
        if connection.connection is None or not connection.errors_occurred:
            continue
        if connection.in_atomic_block:
            return False
        if not connection.is_usable():
            connection.close()
            lost = True
    return lost


class RetryReadsOnConnectionLossMiddleware:
    """Place it near the top of ``MIDDLEWARE`` (after ``SecurityMiddleware``), so that the
    retry runs the whole rest of the stack again."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code < 500 or request.method not in SAFE_METHODS:
            return response
        if not drop_lost_connections():
            return response
        logger.warning(
            "database connection lost during %s %s; answering it again on a new connection",
            request.method,
            request.path,
        )
        return self.get_response(request)
