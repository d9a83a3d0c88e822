"""Receivers of moderation's domain events (``moderation.events``).

Same rules as ``notifications.handlers``: inside the moderation service's transaction each
receiver only writes an outbox row; recipients (moderators, a team, flaggers) are worked out
later by the task, from ids. Author-facing notifications never name the moderator (moderation
attributes decisions to "the moderation team")."""

from __future__ import annotations

import logging
from datetime import datetime

from notifications.handlers import _never_raise, _record

logger = logging.getLogger(__name__)


def _json(value):
    """Event values as JSON: datetimes as ISO 8601, the rest as is."""
    return value.isoformat() if isinstance(value, datetime) else value


@_never_raise
def on_content_flagged(sender, *, item_id=None, staff_request_id=None, routed_to="", **kwargs):
    if routed_to != "moderators" or not item_id:
        return  # flags routed to staff arrive as staff_request_opened
    _record(
        "moderation_notice",
        f"item:{item_id}",
        {
            "notice": "flagged",
            "item_id": item_id,
            "post_id": kwargs.get("post_id"),
            "topic_id": kwargs.get("topic_id"),
            "category_id": kwargs.get("category_id"),
            "reason": kwargs.get("reason") or "",
            "hidden": bool(kwargs.get("hidden")),
        },
    )


@_never_raise
def on_content_hidden(sender, *, item_id=None, post_id=None, author_id=None, **kwargs):
    if not post_id or not author_id:
        return
    _record(
        "moderation_notice",
        f"post:{post_id}",
        {
            "notice": "hidden",
            "item_id": item_id,
            "post_id": post_id,
            "topic_id": kwargs.get("topic_id"),
            "category_id": kwargs.get("category_id"),
            "author_id": author_id,
            "by_flags": bool(kwargs.get("by_flags")),
            "reason": kwargs.get("reason") or "",
            "reason_code": kwargs.get("reason_code") or "",
            "reason_params": kwargs.get("reason_params") or {},
        },
    )


@_never_raise
def on_decision_made(sender, **kwargs):
    _record(
        "moderation_notice",
        f"item:{kwargs.get('item_id')}",
        {
            "notice": "decision",
            **{
                key: _json(kwargs.get(key))
                for key in (
                    "item_id",
                    "action",
                    "actor_id",
                    "author_id",
                    "flagger_ids",
                    "flag_outcome",
                    "post_id",
                    "topic_id",
                    "member_id",
                    "category_id",
                    "reason",
                    "rule_number",
                    "appeal_id",
                    "appeal_status",
                    "old_state",
                    "new_state",
                )
            },
        },
    )


@_never_raise
def on_appeal_filed(sender, *, appeal_id, item_id=None, **kwargs):
    _record(
        "moderation_notice",
        f"appeal:{appeal_id}",
        {
            "notice": "appeal_filed",
            "appeal_id": appeal_id,
            "item_id": item_id,
            "author_id": kwargs.get("author_id"),
            "excluded_moderator_id": kwargs.get("excluded_moderator_id"),
        },
    )


@_never_raise
def on_member_sanctioned(sender, *, member_id, kind, **kwargs):
    _record(
        "moderation_notice",
        f"member:{member_id}",
        {
            "notice": "sanction",
            "member_id": member_id,
            "kind": kind,
            "sanction_id": kwargs.get("sanction_id"),
            "warning_id": kwargs.get("warning_id"),
            "ends_at": _json(kwargs.get("ends_at")),
            "actor_id": kwargs.get("actor_id"),
            "reason": kwargs.get("reason") or "",
            "reason_code": kwargs.get("reason_code") or "",
            "reason_params": kwargs.get("reason_params") or {},
            "rule_number": kwargs.get("rule_number"),
        },
    )


@_never_raise
def on_items_escalated(sender, *, item_ids, **kwargs):
    if not item_ids:
        return
    _record(
        "moderation_notice",
        "queue",
        {"notice": "escalated", "item_ids": sorted(item_ids)},
    )


@_never_raise
def on_away_summary_ready(sender, *, summary_id, figures=None, **kwargs):
    _record(
        "moderation_notice",
        f"away:{summary_id}",
        {
            "notice": "away_summary",
            "summary_id": summary_id,
            "figures": figures or {},
            "since": _json(kwargs.get("since")),
            "until": _json(kwargs.get("until")),
        },
    )


@_never_raise
def on_staff_request_opened(sender, *, request_id, topic_id, team_id=None, **kwargs):
    _record(
        "moderation_notice",
        f"staff-request:{request_id}",
        {
            "notice": "staff_request",
            "request_id": request_id,
            "topic_id": topic_id,
            "team_id": team_id,
            "due_at": _json(kwargs.get("due_at")),
            "source": kwargs.get("source") or "",
        },
    )


RECEIVERS = {
    "content_flagged": on_content_flagged,
    "content_hidden": on_content_hidden,
    "decision_made": on_decision_made,
    "appeal_filed": on_appeal_filed,
    "member_sanctioned": on_member_sanctioned,
    "items_escalated": on_items_escalated,
    "away_summary_ready": on_away_summary_ready,
    "staff_request_opened": on_staff_request_opened,
}


def connect() -> None:
    try:
        from moderation import events
    except ImportError:  # moderation not installed: nothing to listen to
        return
    for name, receiver in RECEIVERS.items():
        signal = getattr(events, name, None)
        if signal is None:
            logger.warning("moderation.events.%s is missing: not notified", name)
            continue
        signal.connect(receiver, dispatch_uid=f"notifications.moderation.{name}")
