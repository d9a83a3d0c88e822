"""ideas listens to community: every idea topic gets its :class:`ideas.models.Idea` row.

``community.events.topic_created`` is sent inside ``topic_create``'s transaction, so the row
exists as soon as the topic does, or neither does. Topics started as ideas through the generic
composer (/new-topic/, kind "Idea") join the board this way.
"""

from __future__ import annotations

from community import events as community_events
from community.models import TopicKind


def on_topic_created(sender, *, topic_id: int, kind: str, **kwargs) -> None:
    if kind != TopicKind.IDEA:
        return
    from ideas.services import idea_row_ensure

    idea_row_ensure(topic_id=topic_id)


def connect() -> None:
    community_events.topic_created.connect(on_topic_created, dispatch_uid="ideas.on_topic_created")
