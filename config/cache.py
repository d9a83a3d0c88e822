"""A Redis cache that degrades instead of failing: the site keeps serving while Redis is down.

Django's built-in ``RedisCache`` raises ``redis.ConnectionError`` / ``TimeoutError`` from every
call when Redis is unreachable, and it has no equivalent of django-redis's
``IGNORE_EXCEPTIONS``. Causerie's own cache users already catch those errors (the anonymous page
cache, view counts, visit days, sanction lookups), but third-party code does not: allauth's rate
limits (login, signup, password reset) and DRF's throttle call the cache on every request
and would answer 500 for as long as Redis is away.

:class:`TolerantRedisCache` is Django's ``RedisCache`` with connection and timeout errors turned
into the answer of an empty cache, and a short per-process pause after each failure so that a
*hanging* Redis (timeouts, not refusals) does not add its socket timeout to every call:

=====================================  ==========================================================
call                                   while Redis is unreachable
=====================================  ==========================================================
``get``, ``get_many``, ``has_key``     a miss (the default, ``{}``, ``False``)
``set``, ``set_many``, ``touch``,      dropped (``set_many`` returns every key as not stored,
``delete``, ``delete_many``, ``clear`` ``touch``/``delete`` return ``False``)
``add``                                ``False``: nothing was stored. Code that uses ``add`` as a
                                       lock does not get it: allauth's rate limits then answer
                                       "too many attempts" (429) — logins *fail closed* during
                                       an outage rather than lose their brute-force limit
``incr``, ``decr``                     **raise** as before: a counter's value cannot be made up
                                       (callers such as ``topic_view_record`` catch it)
=====================================  ==========================================================

Other errors (a bad value, a wrong type, a Redis ``ResponseError``) still raise. Every outage is
logged once per pause at WARNING on ``config.cache``. ``/healthz`` still reports the cache as
down: its write-then-read check reads back nothing.

Two additions for speed, measured on the anonymous page cache's hits (bench/README.md):

* one redis-py client object per connection pool, reused by every call. Django builds a new
  ``redis.Redis`` for each cache call, and redis-py 8's constructor costs more than the
  round trip it wraps (~0.1 ms: it copies its response callbacks and retry settings). The
  client holds no connection of its own — it borrows one from the pool for each command — so
  one object serves every thread, and the pool already re-creates its connections after a
  fork.
* :meth:`TolerantRedisCache.incr_counter`: a plain ``INCR``, one round trip, creating the
  counter at 0 when missing. Django's ``incr`` asks ``EXISTS`` first (two round trips) to
  raise on a missing key, which a hit counter does not want.
  :meth:`TolerantRedisCache.get_many_and_incr` pipelines it with a ``get_many``: a topic
  page served from the anonymous cache reads the page and counts the view in one round trip.

Settings (``CACHES["default"]["OPTIONS"]``, besides redis-py's own):
``pause_after_error`` seconds (default 5; 0 disables the pause).
"""

from __future__ import annotations

import logging
import time

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache, RedisCacheClient

logger = logging.getLogger(__name__)

try:  # redis is a runtime dependency, but keep the module importable for tooling without it
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError

    UNREACHABLE: tuple[type[BaseException], ...] = (
        RedisConnectionError,
        RedisTimeoutError,
        ConnectionError,
        TimeoutError,
    )
except ImportError:  # pragma: no cover
    RedisConnectionError = ConnectionError
    UNREACHABLE = (ConnectionError, TimeoutError)


class ReusedClientRedisCacheClient(RedisCacheClient):
    """Django's Redis cache client, keeping one redis-py client per connection pool."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._clients: dict[object, object] = {}  # connection pool -> its client

    def get_client(self, key=None, *, write=False):
        pool = self._get_connection_pool(write)  # Django's: picks the server, makes its pool
        client = self._clients.get(pool)
        if client is None:
            # A race between threads builds two clients for one pool: harmless, one is kept.
            client = self._clients.setdefault(pool, self._client(connection_pool=pool))
        return client

    def get_many_and_incr(self, keys: list[str], counter: str) -> tuple[dict, int]:
        """MGET of ``keys`` and INCR of ``counter`` in one pipeline: one round trip."""
        pipe = self.get_client(None, write=True).pipeline(transaction=False)
        pipe.mget(keys)
        pipe.incr(counter)
        values, count = pipe.execute()
        found = {
            k: self._serializer.loads(v) for k, v in zip(keys, values, strict=True) if v is not None
        }
        return found, count


class TolerantRedisCache(RedisCache):
    """Django's RedisCache answering like an empty cache while Redis is unreachable."""

    def __init__(self, server, params):
        params = dict(params)
        options = dict(params.get("OPTIONS") or {})
        self.pause_after_error = float(options.pop("pause_after_error", 5.0))
        params["OPTIONS"] = options
        super().__init__(server, params)
        self._class = ReusedClientRedisCacheClient  # RedisCache.__init__ sets its own
        self._paused_until = 0.0

    # --- failure handling -----------------------------------------------------------------------

    @property
    def unreachable(self) -> bool:
        """True while this process leaves Redis alone after a failure."""
        return time.monotonic() < self._paused_until

    def _failed(self, operation: str, exc: BaseException) -> None:
        first = not self.unreachable
        self._paused_until = time.monotonic() + self.pause_after_error
        if first:
            logger.warning(
                "cache unreachable (%s: %s: %s); answering as an empty cache for %.0f s",
                operation,
                type(exc).__name__,
                exc,
                self.pause_after_error,
            )

    def _call(self, operation: str, fallback, call):
        if self.unreachable:
            return fallback
        try:
            return call()
        except UNREACHABLE as exc:
            self._failed(operation, exc)
            return fallback

    # --- reads: a miss ----------------------------------------------------------------------------

    def get(self, key, default=None, version=None):
        return self._call("get", default, lambda: RedisCache.get(self, key, default, version))

    def get_many(self, keys, version=None):
        return self._call("get_many", {}, lambda: RedisCache.get_many(self, keys, version))

    def has_key(self, key, version=None):
        return self._call("has_key", False, lambda: RedisCache.has_key(self, key, version))

    # --- writes: dropped (add: not stored) -----------------------------------------------------

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        self._call("set", None, lambda: RedisCache.set(self, key, value, timeout, version))

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call(
            "set_many", list(data), lambda: RedisCache.set_many(self, data, timeout, version)
        )

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("add", False, lambda: RedisCache.add(self, key, value, timeout, version))

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        return self._call("touch", False, lambda: RedisCache.touch(self, key, timeout, version))

    def delete(self, key, version=None):
        return self._call("delete", False, lambda: RedisCache.delete(self, key, version))

    def delete_many(self, keys, version=None):
        self._call("delete_many", None, lambda: RedisCache.delete_many(self, keys, version))

    def clear(self):
        return self._call("clear", False, lambda: RedisCache.clear(self))

    # --- counters: raise (fast while paused) ---------------------------------------------------

    def _count(self, operation: str, call):
        if self.unreachable:
            raise RedisConnectionError(f"cache unreachable: {operation} not attempted")
        try:
            return call()
        except UNREACHABLE as exc:
            self._failed(operation, exc)
            raise

    def incr(self, key, delta=1, version=None):
        return self._count("incr", lambda: RedisCache.incr(self, key, delta, version))

    def decr(self, key, delta=1, version=None):
        return self._count("decr", lambda: RedisCache.decr(self, key, delta, version))

    def get_many_and_incr(
        self, keys: list[str], counter: str, version: int | None = None
    ) -> tuple[dict, int | None]:
        """``get_many(keys)`` and ``incr_counter(counter)`` in one round trip. While Redis is
        unreachable: ``({}, None)``, a miss and a count lost."""
        made = {self.make_and_validate_key(key, version=version): key for key in keys}
        counter = self.make_and_validate_key(counter, version=version)

        def call() -> tuple[dict, int]:
            found, count = self._cache.get_many_and_incr(list(made), counter)
            return {made[key]: value for key, value in found.items()}, count

        return self._call("get_many_and_incr", ({}, None), call)

    def incr_counter(self, key: str, delta: int = 1, version: int | None = None) -> int:
        """Add ``delta`` to the counter at ``key`` and return the new value, in one round
        trip: a missing counter starts at 0 and never expires. Raises while Redis is
        unreachable, like :meth:`incr`."""
        key = self.make_and_validate_key(key, version=version)
        client = self._cache.get_client(key, write=True)
        return self._count("incr", lambda: client.incr(key, delta))


def counter_incr(key: str) -> int:
    """Add 1 to the counter at ``key`` in the default cache and return its value; a missing
    counter starts at 0 and never expires. One round trip on Redis
    (:meth:`TolerantRedisCache.incr_counter`), Django's ``incr``/``add`` elsewhere."""
    from django.core.cache import cache

    incr_counter = getattr(cache, "incr_counter", None)
    if incr_counter is not None:
        return incr_counter(key)
    try:
        return cache.incr(key)
    except ValueError:  # no counter yet
        return 1 if cache.add(key, 1, timeout=None) else cache.incr(key)
