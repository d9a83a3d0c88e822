"""The Celery application. Tasks live in each app's `tasks.py` and are found by autodiscovery.

The one beat schedule of the project is declared here so that an operator reads every periodic
job in one place.
"""

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("causerie")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

app.conf.beat_schedule = {
    "ideas-challenge-phases": {
        "task": "ideas.challenge_phases_announce",
        "schedule": crontab(minute="*/5"),
    },
    "promote-trust-levels": {
        "task": "accounts.trust_levels_promote",
        "schedule": crontab(minute=17, hour="*/6"),
    },
    "flush-topic-views": {
        "task": "community.topic_views_flush",
        "schedule": 60.0,
    },
    # Review items waiting longer than MODERATION_ESCALATE_AFTER_HOURS go to every moderator.
    "moderation-escalate-stale": {
        "task": "moderation.escalate_stale",
        "schedule": crontab(minute="*/15"),
    },
    # "What happened while you were away", once at the start of each on-duty period.
    "moderation-away-summary": {
        "task": "moderation.away_summary",
        "schedule": crontab(minute="*/5"),
    },
    # Transactional outbox relay: events committed while the broker was down are published.
    "notifications-outbox-drain": {
        "task": "notifications.outbox_drain",
        "schedule": 30.0,
    },
    # E-mail safety net: stalled claims back to pending, lost delivery tasks published again.
    "notifications-deliveries-sweep": {
        "task": "notifications.deliveries_sweep",
        "schedule": crontab(minute="*/5"),
    },
    # Daily and weekly digests, each at the hour its member chose in their own time zone.
    "notifications-send-digests": {
        "task": "notifications.send_digests",
        "schedule": crontab(minute=2),
    },
}


@app.task(name="causerie.ping")
def ping() -> str:
    """Answer "pong": lets health checks and tests prove a worker consumes the broker."""
    return "pong"
