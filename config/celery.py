"""The Celery application. Tasks live in each app's `tasks.py` and are found by autodiscovery.

The one beat schedule of the project is declared here so that an operator reads every periodic
job in one place.
"""

import os

from celery import Celery
from celery.schedules import crontab

from config import celery_redis

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

# A worker must outlive a Redis outage while it holds unacknowledged messages (see the module).
celery_redis.install()

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
    # Webhook safety net: due deliveries whose task was lost or outlived the broker's
    # visibility timeout are published again (retries themselves are countdown tasks).
    "webhooks-sweep": {
        "task": "webhooks.sweep",
        "schedule": 60.0,
    },
    # Daily and weekly digests, each at the hour its member chose in their own time zone.
    "notifications-send-digests": {
        "task": "notifications.send_digests",
        "schedule": crontab(minute=2),
    },
    # Insights: yesterday's metrics once it is over, today's hourly for a fresh dashboard, and
    # the weekly report to the chosen staff on Monday mornings.
    "insights-metrics-yesterday": {
        "task": "insights.metrics_compute_day",
        "schedule": crontab(minute=20, hour=0),
    },
    "insights-metrics-today": {
        "task": "insights.metrics_compute_day",
        "schedule": crontab(minute=40),
        "kwargs": {"today": True},
    },
    "insights-weekly-report": {
        "task": "insights.weekly_report_send",
        "schedule": crontab(minute=0, hour=7, day_of_week="mon"),
    },
    # E-reputation watch: a watched term's mentions or a category's flags far above their
    # baseline raise one alert per spike (insights/watch.py).
    "insights-watch-spikes": {
        "task": "insights.watch_spikes_check",
        "schedule": crontab(minute="*/15"),
    },
}


@app.task(name="causerie.ping")
def ping() -> str:
    """Answer "pong": lets health checks and tests prove a worker consumes the broker."""
    return "pong"
