"""Domain events of moderation, announced by ``moderation.services``.

Like ``community.events``: plain signals carrying ids and facts (never querysets), sent at the
end of the service *inside* its transaction. A receiver that starts asynchronous work (a
notification, an e-mail) schedules it with ``transaction.on_commit``; a receiver must not
raise. ``notifications`` listens to tell authors, flaggers and moderators.

Keyword arguments sent with each (``sender`` is the model class concerned):

``content_flagged`` (sender=Flag)
    flag_id, flagger_id (to tell the flagger their flag was received; never to be shown to the
    author), item_id (None when routed to staff), staff_request_id, post_id, topic_id,
    member_id (profile flags), category_id, reason, score (the item's new score), hidden
    (True when this flag hid the content), routed_to ("moderators" or "staff").

``content_hidden`` (sender=ReviewItem)
    item_id, post_id, topic_id, category_id, author_id, by_flags (True: the community's flags
    crossed the threshold; False: a moderator's decision), on_duty, reason, reason_code,
    reason_params (a system reason: see "Reasons" below).

``decision_made`` (sender=ReviewItem)
    item_id, action, actor_id, actor_role, author_id, flagger_ids (the members whose flags
    this decision resolved), flag_outcome ("agreed", "disagreed", "ignored" or None),
    post_id, topic_id, member_id, category_id, reason, rule_number, appeal_id,
    appeal_status ("granted"/"denied" or None), old_state, new_state.

``appeal_filed`` (sender=Appeal)
    appeal_id, item_id, author_id, sanction_id, excluded_moderator_id.

``member_sanctioned`` (sender=Sanction or MemberWarning)
    member_id, kind ("warning", "probation", "silence", "suspend", or "lifted"),
    sanction_id, warning_id, ends_at (None: for good), actor_id, actor_role, reason,
    reason_code and reason_params (automatic sanctions, a lift on appeal; may be absent),
    rule_number, automatic.

``items_escalated`` (sender=ReviewItem)
    item_ids: pending items that waited longer than ``MODERATION_ESCALATE_AFTER_HOURS``;
    every moderator should be told.

``away_summary_ready`` (sender=AwaySummary)
    summary_id, since, until, figures (counts: hidden, held, flags, pending).

``staff_request_opened`` (sender=StaffRequest)
    request_id, topic_id, team_id, due_at, source.

Reasons: ``reason`` is text — a moderator's words, or a system reason in the source language.
When the system gave it, ``reason_code`` and ``reason_params`` say which (``community.reasons``):
a receiver that shows it to somebody later keeps those and renders it in the reader's language.
"""

from __future__ import annotations

from django.dispatch import Signal

content_flagged = Signal()
content_hidden = Signal()
decision_made = Signal()
appeal_filed = Signal()
member_sanctioned = Signal()
items_escalated = Signal()
away_summary_ready = Signal()
staff_request_opened = Signal()
