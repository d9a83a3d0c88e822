"""`/healthz`: is each part this process depends on reachable? JSON, 503 when one is down.

Load balancers poll it, so it stays cheap: one trivial query, one cache round trip and one
broker connection with a one-second timeout, and no session or template.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache


def _check_database() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return connection.vendor


def _check_cache() -> str:
    key = f"healthz:{uuid.uuid4().hex}"
    cache.set(key, "1", timeout=5)
    if cache.get(key) != "1":
        raise RuntimeError("value written to the cache could not be read back")
    cache.delete(key)
    return settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1]


def _check_broker() -> str:
    from config.celery import app

    if app.conf.task_always_eager:
        return "eager (tasks run in the web process)"
    with app.connection_for_write() as conn:
        # No retry: a probe must answer fast, the load balancer polls again anyway.
        conn.ensure_connection(max_retries=0, timeout=1)
        return conn.transport.driver_type


CHECKS: dict[str, Callable[[], str]] = {
    "database": _check_database,
    "cache": _check_cache,
    "broker": _check_broker,
}


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    results: dict[str, dict] = {}
    for name, check in CHECKS.items():
        started = time.perf_counter()
        try:
            detail = check()
            results[name] = {"ok": True, "detail": detail}
        except Exception as exc:  # any failure of a dependency is a "down", reported by name
            results[name] = {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:300]}
        results[name]["ms"] = round((time.perf_counter() - started) * 1000, 1)
    healthy = all(result["ok"] for result in results.values())
    down = [name for name, result in results.items() if not result["ok"]]
    return JsonResponse(
        {"status": "ok" if healthy else "down", "down": down, "checks": results},
        status=200 if healthy else 503,
    )
