"""Topic view counts, buffered in the cache and flushed by the beat."""

from __future__ import annotations

import functools
import logging
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.cache import cache
from django.db.models import F

from accounts.models import User
from community.caching import HitCounter
from community.models import (
    Topic,
)
from config.cache import counter_incr

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    AnyUser = User | AnonymousUser | None

logger = logging.getLogger(__name__)


VIEW_COUNTER_KEY = "community:topic_views:{topic_id}"
VIEW_DIRTY_SEQ_KEY = "community:topic_views:dirty_seq"
VIEW_DIRTY_SLOT_KEY = "community:topic_views:dirty:{slot}"
VIEW_FLUSHED_SEQ_KEY = "community:topic_views:flushed_seq"
VIEW_FLUSH_LOCK_KEY = "community:topic_views:flush_lock"


# --- View counts -------------------------------------------------------------------------------


def topic_view_record(*, topic_id: int) -> None:
    """Count one view of a topic.

    Buffered mode (settings.COMMUNITY_VIEW_COUNTS_BUFFERED, on with real workers): one cache
    increment, no database write; :func:`topic_views_flush` (every minute, by the beat) adds
    the counts to ``Topic.view_count``. The first view since a flush registers the topic in a
    list of dirty topics (atomic slot numbers, so no read-modify-write set is needed). Without
    a beat (the embedded default) the view is written through with an F() update. A cache
    failure loses the view, never the page."""
    if not settings.COMMUNITY_VIEW_COUNTS_BUFFERED:
        Topic.objects.filter(pk=topic_id).update(view_count=F("view_count") + 1)
        return
    try:
        _view_counted(topic_id, counter_incr(VIEW_COUNTER_KEY.format(topic_id=topic_id)))
    except Exception:  # a view counter is not worth a 500
        logger.warning("topic view not counted (cache unavailable)", exc_info=True)


def topic_view_counter(*, topic_id: int) -> HitCounter | None:
    """Count one view of a topic with the anonymous page cache's lookup
    (community/caching.py): the counter to increase in the lookup's round trip, or None when
    the view was written through at once (unbuffered mode)."""
    if not settings.COMMUNITY_VIEW_COUNTS_BUFFERED:
        topic_view_record(topic_id=topic_id)
        return None
    return HitCounter(
        key=VIEW_COUNTER_KEY.format(topic_id=topic_id),
        counted=functools.partial(_view_counted, topic_id),
    )


def _view_counted(topic_id: int, count: int) -> None:
    # The first view since a flush registers the topic for the next one.
    if count == 1:
        _view_mark_dirty(topic_id)


def _view_mark_dirty(topic_id: int) -> None:
    slot = counter_incr(VIEW_DIRTY_SEQ_KEY)
    cache.set(VIEW_DIRTY_SLOT_KEY.format(slot=slot), topic_id, timeout=None)


def topic_views_flush() -> int:
    """Move the buffered view counts into ``Topic.view_count`` (F() updates). Return the number
    of views written. Safe to run concurrently (one flusher at a time) and repeatedly."""
    if not cache.add(VIEW_FLUSH_LOCK_KEY, 1, timeout=120):
        return 0
    written = 0
    try:
        last = cache.get(VIEW_DIRTY_SEQ_KEY) or 0
        start = cache.get(VIEW_FLUSHED_SEQ_KEY) or 0
        slot_keys = [VIEW_DIRTY_SLOT_KEY.format(slot=slot) for slot in range(start + 1, last + 1)]
        topic_ids = set(cache.get_many(slot_keys).values())
        for topic_id in sorted(topic_ids):
            key = VIEW_COUNTER_KEY.format(topic_id=topic_id)
            count = cache.get(key) or 0
            if count <= 0:
                continue
            # decr, not set(0): views counted between the get and now are kept.
            left = cache.decr(key, count)
            Topic.objects.filter(pk=topic_id).update(view_count=F("view_count") + count)
            written += count
            if left > 0:
                _view_mark_dirty(topic_id)
        cache.set(VIEW_FLUSHED_SEQ_KEY, last, timeout=None)
        cache.delete_many(slot_keys)
    finally:
        cache.delete(VIEW_FLUSH_LOCK_KEY)
    return written
