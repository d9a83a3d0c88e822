"""Tests against the real services CI provides: PostgreSQL, Redis and a Celery worker."""

import pytest
from django.db import IntegrityError, connection, transaction

from accounts.models import User, UserStats
from tests.conftest import wait_for
from tests.factories import UserFactory


@pytest.mark.postgres
@pytest.mark.django_db
def test_database_is_postgresql_and_enforces_constraints():
    with connection.cursor() as cursor:
        cursor.execute("SELECT version()")
        assert cursor.fetchone()[0].startswith("PostgreSQL")
    member = UserFactory()
    with pytest.raises(IntegrityError), transaction.atomic():
        User.objects.filter(pk=member.pk).update(trust_level=7)


@pytest.mark.redis
def test_cache_is_redis_and_round_trips():
    from django.core.cache import cache, caches
    from django.core.cache.backends.redis import RedisCache

    # config.cache.TolerantRedisCache: Django's RedisCache that degrades while Redis is down.
    assert isinstance(caches["default"], RedisCache)
    cache.set("real-redis-check", {"a": 1}, 30)
    assert cache.get("real-redis-check") == {"a": 1}


@pytest.mark.worker
def test_real_worker_runs_a_task_through_redis(celery_worker):
    from accounts.tasks import trust_levels_promote

    member = UserFactory(trust_level=0)
    # The worker process reads its own settings (the defaults): give the member every figure
    # of level 1 there.
    UserStats.objects.filter(user=member).update(
        topics_entered=50, time_read_seconds=3600, posts_read=500
    )

    trust_levels_promote.delay()

    wait_for(
        lambda: User.objects.get(pk=member.pk).trust_level >= 1,
        timeout=60,
        message="the worker did not promote the member:\n"
        + celery_worker.log_path.read_text()[-3000:],
    )
    assert "accounts.trust_levels_promote" in celery_worker.log_path.read_text()
