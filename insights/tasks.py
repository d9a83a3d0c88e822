"""Celery tasks of the insights dashboard. Each imports the service it calls inside the
function and decides nothing of its own.

insights.metrics_compute_day    one local day of metrics (default: yesterday); beat at 00:20
                                for yesterday and hourly for today
insights.weekly_report_send     beat, Mondays 07:00: one delivery task per recipient
insights.weekly_report_deliver  the report of one week to one member (idempotent)
"""

from __future__ import annotations

import datetime as dt
import smtplib

from celery import shared_task
from django.db import InterfaceError, OperationalError

TRANSIENT = (smtplib.SMTPException, ConnectionError, TimeoutError, OperationalError, InterfaceError)


@shared_task(
    name="insights.metrics_compute_day",
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=30,
    max_retries=3,
)
def metrics_compute_day(day: str | None = None, today: bool = False) -> int:
    """Recompute one day: ``day`` (ISO date), else today when ``today``, else yesterday."""
    from insights import metrics, services

    if day:
        when = dt.date.fromisoformat(day)
    else:
        when = metrics.local_today() - dt.timedelta(days=0 if today else 1)
    return services.metrics_day_compute(day=when)


@shared_task(name="insights.weekly_report_send")
def weekly_report_send(week_start: str | None = None) -> int:
    """Queue the weekly report of the last complete week for every recipient."""
    from insights import services

    week = week_start or services.report_week().isoformat()
    recipients = services.weekly_report_recipients()
    for user_id in recipients:
        weekly_report_deliver.delay(user_id, week)
    return len(recipients)


@shared_task(
    name="insights.weekly_report_deliver",
    autoretry_for=TRANSIENT,
    retry_backoff=30,
    retry_jitter=True,
    max_retries=5,
)
def weekly_report_deliver(user_id: int, week_start: str) -> bool:
    from insights import services

    return services.weekly_report_deliver(
        user_id=user_id, week_start=dt.date.fromisoformat(week_start)
    )
