"""Domain events of ideas, announced by ``ideas.services`` (see ARCHITECTURE.md).

Downstream apps (notifications, insights) connect receivers in their ``handlers.py``; ``ideas``
never imports them. Events carry ids and facts, never querysets or recipient lists: who hears
of an idea is answered by :func:`ideas.selectors.idea_audience` (and
:func:`ideas.selectors.challenge_audience`), called by the receiver.

When events are sent
    At the end of the service, *inside* its transaction, once every write is done. A receiver
    that starts asynchronous work must schedule it with ``transaction.on_commit``; a receiver
    that raises makes the service fail and roll back.

Events and their keyword arguments (``sender`` is the model class)
    ``idea_status_changed`` (sender=Idea): ``idea_id``, ``old_status``, ``new_status``
    (``ideas.models.IdeaStatus`` values), ``response`` (the official response, Markdown
    source), ``actor_id`` (the staff member). ``idea_id`` is also the topic's id. Sent once per
    real change; a response edited without a status change sends nothing. A merge does not send
    it (see ``idea_merged``).

    ``idea_merged`` (sender=Idea): ``source_id`` (the duplicate, now status "duplicate"),
    ``target_id`` (the idea its supports moved to), ``actor_id``. The source's voters are
    ``idea_audience(source_id)`` (supports that moved keep ``merged_from=source``).

    ``challenge_phase_opened`` (sender=Challenge): ``challenge_id``, ``phase`` (one of
    "submission", "shortlist", "vote", "announcement"). Sent once per phase, by the
    ``ideas.challenge_phases_announce`` sweep (every few minutes, by the beat) or at once when
    staff open a phase early or announce the winner after the announcement date. Audience:
    ``challenge_audience(challenge_id)``.

    ``idea_vote_changed`` (sender=Idea): ``idea_id``, ``actor_id``, ``old_value``,
    ``new_value`` (0 or 1), ``vote_count`` (after the change). For insights; not a notification.
"""

from __future__ import annotations

from django.dispatch import Signal

idea_status_changed = Signal()
idea_merged = Signal()
challenge_phase_opened = Signal()
idea_vote_changed = Signal()
