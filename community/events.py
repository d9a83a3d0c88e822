"""Domain events of the community: what happened, announced by ``community.services``.

Downstream apps (moderation, notifications, insights) connect receivers in their
``handlers.py`` from ``AppConfig.ready()``; ``community`` never imports them. Events carry ids
and facts, never querysets. They are plain ``django.dispatch.Signal`` objects, sent with
``sender=`` the model class concerned.

When events are sent
    At the end of the service, *inside* its transaction, once every write is done. A receiver
    that starts asynchronous work (e-mail, a Celery task) must schedule it with
    ``transaction.on_commit`` so that nothing leaves the process for a write that is then
    rolled back. A receiver that raises makes the whole service fail and roll back, so
    receivers of these events should not raise for anything but a programming error.

``content_submitted`` — the moderation hook (synchronous, may refuse or hold)
    Sent by ``topic_create``, ``post_create`` and ``post_edit`` right after the post row is
    written (and, for an edit, after the new text is stored), inside the transaction and
    *before* any other event::

        content_submitted.send(sender=Post, post=post, actor=actor, is_edit=False)

    ``post`` is the saved ``Post`` (its ``topic`` loaded; ``post.is_first`` tells a new topic).
    A receiver may:

    * raise ``django.core.exceptions.ValidationError`` to refuse the content (a watched word
      with the "block" action); the service's transaction rolls back, nothing is saved, and
      the caller receives the error to show to the author;
    * call ``community.services.post_hold(actor=None, post=post, reason=...)`` to put the post
      in the review queue; the service then carries on with a held post (counters and
      notifications treat it as not visible);
    * do nothing.

    ``is_edit`` is True for edits. A pre-moderated category holds the posts of trust-level-0
    members by itself (after this signal, if it left the post visible).

Other events (keyword arguments sent with each)
    ``topic_created``: topic_id, actor_id, category_id, post_id, kind, state.
    ``post_created``: post_id, topic_id, actor_id, reply_to_post_id, is_first, state.
    ``post_edited``: post_id, actor_id, was_hidden (the post was hidden when its author edited
    it: moderation may want to review it again), title_changed.
    ``members_mentioned``: post_id, actor_id, usernames, user_ids (newly mentioned members
    outside quotes, the author excluded; on an edit only those not mentioned before).
    ``post_quoted``: post_id, actor_id, quoted_post_ids (existing posts quoted, outermost only).
    ``post_state_changed``: post_id, topic_id, actor_id (None for automatic actions),
    old_state, new_state, reason (text: a moderator's, or a system reason in the source
    language), reason_code and reason_params (a system reason, see ``community.reasons``:
    keep these to show it later in the reader's language; "" and {} otherwise).
    ``vote_changed``: post_id, actor_id, old_value, new_value (-1, 0, 1), new_score, author_id.
    ``answer_accepted``: topic_id, post_id, actor_id, author_id.
    ``answer_unaccepted``: topic_id, post_id, actor_id, author_id.
    ``topic_moved``: topic_id, actor_id, from_category_id, to_category_id.
    ``topic_status_changed``: topic_id, actor_id, change (one of "locked", "unlocked",
    "closed", "reopened", "pinned", "pinned_globally", "unpinned").

Events about held content are still sent (with ``state``) so that moderation can queue it;
notification receivers should ignore content whose ``state`` is not ``"visible"``.
"""

from __future__ import annotations

from django.dispatch import Signal

content_submitted = Signal()

topic_created = Signal()
post_created = Signal()
post_edited = Signal()
members_mentioned = Signal()
post_quoted = Signal()
post_state_changed = Signal()
vote_changed = Signal()
answer_accepted = Signal()
answer_unaccepted = Signal()
topic_moved = Signal()
topic_status_changed = Signal()
