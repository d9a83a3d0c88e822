"""Cutting Django's PostgreSQL connection from the server side, between or during requests
(tests/core/test_faults.py), and a URLconf whose ``/cut-then-read/`` cuts its own connection
the first time it runs, as a PostgreSQL restart would in the middle of a request."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from config.urls import urlpatterns as site_urlpatterns

#: How many times each view below ran (tests reset it).
calls: list[str] = []


def terminate_django_connection() -> None:
    """Cut this thread's PostgreSQL connection from the server side, as a PostgreSQL restart
    or a failover does (pg_terminate_backend from a second connection)."""
    import psycopg
    from django.db import connection

    connection.ensure_connection()
    pid = connection.connection.info.backend_pid
    db = connection.settings_dict
    with psycopg.connect(
        host=db["HOST"] or "127.0.0.1",
        port=db["PORT"] or 5432,
        user=db["USER"],
        password=db["PASSWORD"] or None,
        dbname=db["NAME"],
        autocommit=True,
    ) as other:
        other.execute("SELECT pg_terminate_backend(%s)", [pid])


@csrf_exempt  # the POST case must reach the view
def cut_then_read(request: HttpRequest) -> HttpResponse:
    from accounts.models import User

    calls.append(request.method)
    if len(calls) == 1:
        terminate_django_connection()
    return HttpResponse(f"{User.objects.count()} members")


urlpatterns = [
    path("cut-then-read/", cut_then_read),
    *site_urlpatterns,
]
