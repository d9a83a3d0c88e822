"""Celery tasks of the people and e-reputation watch pages (imported by
``InsightsConfig.ready()``: autodiscovery only imports ``insights.tasks``)."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="insights.watch_spikes_check")
def watch_spikes_check() -> int:
    """Compare terms' mentions and categories' flags with their baseline; raise alerts.
    Idempotent: a second run during the same spike raises nothing."""
    from insights.watch import spikes_check

    return len(spikes_check())
