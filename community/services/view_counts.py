"""Topic view counts, buffered in the cache and flushed by the beat."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.cache import cache
from django.db.models import F

from accounts.models import User
from community.models import (
    Topic,
)

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
    key = VIEW_COUNTER_KEY.format(topic_id=topic_id)
    try:
        try:
            count = cache.incr(key)
        except ValueError:  # no counter yet
            count = 1 if cache.add(key, 1, timeout=None) else cache.incr(key)
        if count == 1:
            _view_mark_dirty(topic_id)
    except Exception:  # a view counter is not worth a 500
        logger.warning("topic view not counted (cache unavailable)", exc_info=True)


def _view_mark_dirty(topic_id: int) -> None:
    cache.add(VIEW_DIRTY_SEQ_KEY, 0, timeout=None)
    slot = cache.incr(VIEW_DIRTY_SEQ_KEY)
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
