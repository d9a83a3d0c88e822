"""Receivers of ``community.events`` for the e-reputation watch, connected in
``InsightsConfig.ready()``.

``post_created`` (sent inside the posting transaction, for replies and for the first post of a
new topic) counts the watched terms the post names: synchronously, so the count commits or
rolls back with the post, exactly once. It costs one cache read when no term is watched.
"""

from __future__ import annotations

import logging

from community import events as community_events

logger = logging.getLogger(__name__)


def on_post_created(sender, *, post_id: int, **kwargs) -> None:
    from insights.watch import post_mentions_record

    post_mentions_record(post_id=post_id)


def connect() -> None:
    community_events.post_created.connect(
        on_post_created, dispatch_uid="insights.watch.on_post_created"
    )
