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
    "promote-trust-levels": {
        "task": "accounts.trust_levels_promote",
        "schedule": crontab(minute=17, hour="*/6"),
    },
}


@app.task(name="causerie.ping")
def ping() -> str:
    """Answer "pong": lets health checks and tests prove a worker consumes the broker."""
    return "pong"
