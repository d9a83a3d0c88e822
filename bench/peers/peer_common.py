"""What both peers' settings share: the database, the cache and the logging the bench gives them.

Imported by the peers' settings modules inside the peer's own virtualenv (bench/peers.py puts
this folder on the path), so it may only use the standard library and Django.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import unquote, urlsplit

# Set by bench/peers.py (var/peers/<name>); the fallback keeps a manual run out of the packages.
VAR_DIR = Path(
    os.environ.get("PEER_VAR_DIR", Path(__file__).resolve().parents[2] / "var" / "peers")
)


def database() -> dict:
    """`PEER_DATABASE_URL` (postgres://user@host:port/name) as Django's DATABASES entry."""
    parts = urlsplit(os.environ["PEER_DATABASE_URL"])
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": parts.path.lstrip("/"),
        "USER": unquote(parts.username or "postgres"),
        "PASSWORD": unquote(parts.password or ""),
        "HOST": parts.hostname or "127.0.0.1",
        "PORT": str(parts.port or 5432),
        # Served like ours: persistent connections (without them the ceiling falls ~8x).
        "CONN_MAX_AGE": int(os.environ.get("PEER_CONN_MAX_AGE", "60")),
    }


def locmem(location: str, **extra: object) -> dict:
    return {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": location,
        **extra,
    }


# Errors go to gunicorn's log (the bench's log file); nothing is written next to the packages.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
SECRET_KEY = os.environ.get("SECRET_KEY", "bench-only-not-secret")
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
