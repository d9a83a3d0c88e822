"""Spike alerts of the e-reputation watch: one alert per spike, for terms and flag rates."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from insights import tasks_people, watch
from insights.models import Alert, AlertKind
from notifications.models import Delivery, Notification
from tests.factories import PostFactory, TopicFactory, UserFactory
from tests.insights.fixtures_people import *  # noqa: F403

pytestmark = pytest.mark.django_db

BASELINE = [2, 1, 3, 2, 2, 1, 3, 2]  # about two mentions an hour


@pytest.fixture
def cms(moderator, brand_staff, administrator):
    return [moderator, brand_staff, administrator]


@pytest.fixture
def aurora(moderator):
    return watch.watched_term_create(actor=moderator, term="Aurora", kind="brand")


def _baseline(term, *, before, hours=7 * 24 + 1):
    """~2 mentions in each of the ``hours`` hours before the hour of ``before``."""
    start = watch.hour_of(before)
    for i in range(1, hours + 1):
        watch.mention_hour_add(
            term_id=term.pk, hour=start - timedelta(hours=i), count=BASELINE[i % len(BASELINE)]
        )


def _alerts_of(user):
    return Notification.objects.filter(recipient=user, kind="insights_alert")


def test_thirty_mentions_in_an_hour_after_a_baseline_of_two_raise_exactly_one_alert(
    aurora, cms, member, other_member, say
):
    _baseline(aurora, before=timezone.now())
    topic = say(member, "Opening a thread about kettles").topic
    runs = 0
    for number in range(30):
        say(other_member, f"The Aurora kettle leaks again, case {number}", topic=topic)
        if number % 5 == 4:  # the beat runs the check several times during the hour
            tasks_people.watch_spikes_check.delay()
            runs += 1
    tasks_people.watch_spikes_check.delay()
    assert runs == 6
    alert = Alert.objects.get()
    assert alert.kind == AlertKind.TERM and alert.term == aurora and alert.is_open
    assert 1.5 < alert.baseline < 2.5
    assert alert.threshold == 10  # the floor: mean + 3 sigma is lower
    assert alert.observed >= 30 and alert.peak >= 30
    for cm in cms:
        assert _alerts_of(cm).count() == 1
    assert not _alerts_of(member).exists()
    assert not _alerts_of(other_member).exists()


def test_no_alert_at_baseline(aurora, cms, member, say):
    _baseline(aurora, before=timezone.now())
    say(member, "Aurora here")
    say(member, "Aurora there")
    for _ in range(3):
        assert watch.spikes_check() == []
    assert not Alert.objects.exists()
    assert not Notification.objects.filter(kind="insights_alert").exists()


def test_a_quiet_term_needs_the_minimum_number_of_mentions(aurora, settings):
    """No baseline at all: three mentions are not a spike, ten are."""
    now = timezone.now()
    watch.mention_hour_add(term_id=aurora.pk, hour=now, count=3)
    assert watch.spikes_check(now=now) == []
    watch.mention_hour_add(term_id=aurora.pk, hour=now, count=7)
    assert len(watch.spikes_check(now=now)) == 1


def test_alert_ends_with_the_spike_and_the_cooldown_keeps_quiet(aurora, cms):
    now = timezone.now().replace(minute=30)
    watch.mention_hour_add(term_id=aurora.pk, hour=now, count=40)
    (first,) = watch.spikes_check(now=now)
    # Two hours later nothing new: the spike is over, the alert ends.
    later = now + timedelta(hours=2)
    assert watch.spikes_check(now=later) == []
    first.refresh_from_db()
    assert first.ended_at == later
    # A new burst within the cool-down: no second alert, nobody disturbed again.
    watch.mention_hour_add(term_id=aurora.pk, hour=now + timedelta(hours=3), count=40)
    assert watch.spikes_check(now=now + timedelta(hours=3)) == []
    assert _alerts_of(cms[0]).count() == 1
    # After the cool-down a new spike is a new alert.
    watch.mention_hour_add(term_id=aurora.pk, hour=now + timedelta(hours=10), count=60)
    assert len(watch.spikes_check(now=now + timedelta(hours=10))) == 1
    assert Alert.objects.count() == 2
    assert _alerts_of(cms[0]).count() == 2


def test_one_open_alert_per_term_even_when_two_checks_race(aurora):
    now = timezone.now()
    window = watch.Window.at(now)
    measure = watch.Measure(observed=30, mean=2, stddev=1, threshold=10)
    first = watch._alert_open(
        kind=AlertKind.TERM, subject_obj=aurora, name="Aurora", m=measure, window=window
    )
    second = watch._alert_open(
        kind=AlertKind.TERM, subject_obj=aurora, name="Aurora", m=measure, window=window
    )
    assert first is not None and second is None
    assert Alert.objects.count() == 1


def test_alert_reaches_the_cms_by_email(aurora, moderator, on_commit):
    now = timezone.now()
    watch.mention_hour_add(term_id=aurora.pk, hour=now, count=25)
    with on_commit():
        watch.spikes_check(now=now)
    notification = _alerts_of(moderator).get()
    assert Delivery.objects.filter(notification=notification, channel="email").exists()
    sent = [m for m in mail.outbox if moderator.email in m.to]
    assert len(sent) == 1
    assert "Aurora" in sent[0].subject + sent[0].body


def _flag_posts(category, count, *, when=None):
    from moderation import services as moderation_services
    from moderation.models import Flag

    author = UserFactory(trust_level=2)
    topic = TopicFactory(category=category, author=author)
    flags = []
    for number in range(count):
        post = PostFactory(topic=topic, author=author, body=f"Rude reply number {number}")
        flagger = UserFactory(trust_level=2)
        flags.append(moderation_services.flag_create(actor=flagger, post=post, reason="abusive").pk)
    if when is not None:
        Flag.objects.filter(pk__in=flags).update(created_at=when)
    return flags


def test_flag_rate_spike_in_a_category_raises_one_alert(category, cms):
    now = timezone.now()
    for day in range(1, 7):  # about one flag a day before
        _flag_posts(category, 1, when=now - timedelta(days=day, hours=3))
    _flag_posts(category, 7)
    (alert,) = watch.spikes_check(now=now)
    assert alert.kind == AlertKind.FLAG_RATE
    assert alert.category == category
    assert alert.observed == 7
    assert alert.subject == category.name
    assert watch.spikes_check(now=now + timedelta(minutes=15)) == []
    assert Alert.objects.count() == 1
    assert _alerts_of(cms[0]).get().data["alert_kind"] == "flag_rate"


def test_flags_at_their_usual_rate_raise_nothing(category, cms):
    now = timezone.now()
    _flag_posts(category, 2)
    assert watch.spikes_check(now=now) == []


def test_acknowledge_an_alert_records_who_and_when(aurora, moderator, brand_staff, member):
    now = timezone.now()
    watch.mention_hour_add(term_id=aurora.pk, hour=now, count=25)
    (alert,) = watch.spikes_check(now=now)
    with pytest.raises(PermissionDenied):
        watch.alert_acknowledge(actor=member, alert=alert)
    alert = watch.alert_acknowledge(actor=brand_staff, alert=alert)
    assert alert.acknowledged_by == brand_staff
    assert alert.acknowledged_by_name == "sophie"
    first_time = alert.acknowledged_at
    assert first_time is not None
    alert = watch.alert_acknowledge(actor=moderator, alert=alert)
    assert alert.acknowledged_by == brand_staff and alert.acknowledged_at == first_time


def test_the_check_is_scheduled_and_registered():
    from config.celery import app

    entries = {entry["task"] for entry in app.conf.beat_schedule.values()}
    assert "insights.watch_spikes_check" in entries
    assert "insights.watch_spikes_check" in app.tasks


@pytest.mark.parametrize("size", [3, 50])
def test_the_check_costs_the_same_queries_for_3_and_50_terms(
    size, moderator, django_assert_num_queries
):
    now = timezone.now()
    for number in range(size):
        term = watch.watched_term_create(actor=moderator, term=f"Product {number}", kind="product")
        _baseline(term, before=now, hours=3)
    with django_assert_num_queries(5):
        assert watch.spikes_check(now=now) == []


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_racing_checks_on_postgres_raise_one_alert_and_tell_each_cm_once(moderator, brand_staff):
    import threading

    from django.db import connection

    aurora = watch.watched_term_create(actor=moderator, term="Aurora", kind="brand")
    now = timezone.now()
    watch.mention_hour_add(term_id=aurora.pk, hour=now, count=30)
    barrier = threading.Barrier(4)
    created, errors = [], []

    def run():
        try:
            barrier.wait(timeout=10)
            created.extend(watch.spikes_check(now=now))
        except Exception as exc:  # reported by the assertion below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert len(created) == 1
    assert Alert.objects.count() == 1
    assert _alerts_of(moderator).count() == 1
    assert _alerts_of(brand_staff).count() == 1
