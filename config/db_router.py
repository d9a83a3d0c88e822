"""Read replica routing: safe web requests read from ``replica``, everything else uses the primary.

Switched on by ``DATABASE_REPLICA_URL`` (config/settings.py adds the ``replica`` alias, this
router and :class:`ReplicaMiddleware`); without it nothing here runs and every query goes to
``default``. docs/deploy.md tells when a replica is worth it.

The rules, chosen so that nobody ever reads data older than their own writes:

* **Writes** always go to the primary (``default``).
* **Reads** go to the replica only inside a web request that the middleware *opened for the
  replica*: a safe method (GET, HEAD, OPTIONS), from a client that has not written in the last
  ``DATABASE_REPLICA_PIN_SECONDS`` (5 s by default; the pin cookie below). Celery tasks,
  management commands, the shell and the tests read the primary: a task runs right after the
  commit that scheduled it, when a replica may not have it yet.
* **Pinned after a write**: the first write of a request (a view count written through, a
  member's first visit of the day) pins the rest of that request to the primary, and inside a
  transaction on the primary every read stays there.
* **Reads after a write in the next requests**: a request that wrote (every POST, PUT, PATCH,
  DELETE counts as one) answers with a ``causerie_primary`` cookie lasting
  ``DATABASE_REPLICA_PIN_SECONDS``; requests carrying it read the primary, so the page a member
  is redirected to after posting shows the post even if the replica lags. Set the pin longer
  than the replica's usual lag (``pg_stat_replication.replay_lag``).

Migrations run on the primary only (the replica receives them through replication). Relations
between objects of the two aliases are allowed: they are the same database.
"""

from __future__ import annotations

import contextvars
from collections.abc import Callable

from django.conf import settings
from django.db import connections
from django.http import HttpRequest, HttpResponse

PRIMARY = "default"
REPLICA = "replica"
PIN_COOKIE = "causerie_primary"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

# None outside a request opened by the middleware: read the primary.
_request_state: contextvars.ContextVar[dict | None] = contextvars.ContextVar(
    "causerie_replica_request", default=None
)


def pin_seconds() -> int:
    return int(getattr(settings, "DATABASE_REPLICA_PIN_SECONDS", 5))


def replica_configured() -> bool:
    return REPLICA in connections.settings


class PrimaryReplicaRouter:
    """Django database router: see the module docstring for the rules."""

    def db_for_read(self, model, **hints) -> str:
        state = _request_state.get()
        if (
            state is not None
            and state["replica"]
            and replica_configured()
            and not connections[PRIMARY].in_atomic_block
        ):
            return REPLICA
        return PRIMARY

    def db_for_write(self, model, **hints) -> str:
        state = _request_state.get()
        if state is not None:
            state["replica"] = False  # the rest of this request reads its own write
            state["wrote"] = True
        return PRIMARY

    def allow_relation(self, obj1, obj2, **hints) -> bool | None:
        aliases = {PRIMARY, REPLICA}
        if obj1._state.db in aliases and obj2._state.db in aliases:
            return True
        return None

    def allow_migrate(self, db, app_label, model_name=None, **hints) -> bool:
        return db == PRIMARY


class ReplicaMiddleware:
    """Open each request for the router: replica reads for safe requests from clients that
    have not written lately; the pin cookie on every answer to a request that wrote."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        safe = request.method in SAFE_METHODS
        state = {"replica": safe and PIN_COOKIE not in request.COOKIES, "wrote": not safe}
        token = _request_state.set(state)
        try:
            response = self.get_response(request)
        finally:
            _request_state.reset(token)
        if state["wrote"]:
            response.set_cookie(
                PIN_COOKIE,
                "1",
                max_age=pin_seconds(),
                httponly=True,
                samesite="Lax",
                secure=request.is_secure(),
            )
        return response


def reads_from_replica() -> bool:
    """True when a read made now would be routed to the replica (for tests and diagnostics)."""
    return PrimaryReplicaRouter().db_for_read(None) == REPLICA
