"""Periodic work of ideas. Register in the beat schedule (config/celery.py):

"ideas-challenge-phases": {"task": "ideas.challenge_phases_announce",
                           "schedule": crontab(minute="*/5")},
"""

from __future__ import annotations

from celery import shared_task


@shared_task(name="ideas.challenge_phases_announce")
def challenge_phases_announce() -> int:
    """Announce the challenge phases that opened since the last sweep (idempotent)."""
    from ideas.services import challenge_phases_announce as announce

    return len(announce())
