"""Celery tasks of the community. Each takes ids, calls a service and decides nothing."""

from celery import shared_task


@shared_task(name="community.topic_views_flush")
def topic_views_flush() -> int:
    """Move the topic view counts buffered in the cache to the database (beat: every minute)."""
    from community import services

    return services.topic_views_flush()
