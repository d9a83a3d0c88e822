"""Periodic safety nets. Tasks take no decisions: they call the services, which are
idempotent (an item is escalated once; one away summary per on-duty period)."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="moderation.escalate_stale")
def escalate_stale() -> int:
    """Escalate items waiting longer than MODERATION_ESCALATE_AFTER_HOURS; return how many."""
    from moderation.services import escalate_stale_items

    return len(escalate_stale_items())


@shared_task(name="moderation.away_summary")
def away_summary() -> int | None:
    """At the start of an on-duty period, record and announce the away summary once."""
    from moderation.services import away_summary_send_if_due

    summary = away_summary_send_if_due()
    return summary.pk if summary is not None else None
