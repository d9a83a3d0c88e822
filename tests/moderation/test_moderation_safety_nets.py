"""Coverage hours, escalation, the away summary, the audit log, the public log, suspensions
at the door, and the periodic tasks."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404
from django.utils import timezone

from community import services as community_services
from moderation import selectors, services
from moderation.models import AuditEntry, Flag, FlagReason, ReviewItem
from tests.factories import TEST_PASSWORD


def test_administrators_set_coverage_hours_and_the_hide_threshold_follows(
    administrator, moderator, make_members, post
):
    with pytest.raises(PermissionDenied):
        services.coverage_hours_set(actor=moderator, schedule={})
    with pytest.raises(ValidationError):
        services.coverage_hours_set(actor=administrator, schedule={0: [("18:00", "09:00")]})

    services.coverage_hours_set(actor=administrator, schedule={})  # nobody on duty, ever
    assert not selectors.coverage_is_on_duty()
    for flagger in make_members(3):
        services.flag_create(actor=flagger, post=post, reason=FlagReason.OFF_TOPIC)
    post.refresh_from_db()
    assert post.state == "hidden"
    entry = AuditEntry.objects.get(action="coverage.set")
    assert entry.after == {"windows": []}


def test_coverage_round_the_clock_means_on_duty(administrator):
    services.coverage_hours_set(
        actor=administrator, schedule={d: [("00:00", "24:00")] for d in range(7)}
    )
    assert selectors.coverage_is_on_duty()


def test_items_waiting_too_long_are_escalated_once(member, post, moderation_events):
    services.flag_create(actor=member, post=post, reason=FlagReason.SPAM)
    item = ReviewItem.objects.get()
    assert services.escalate_stale_items() == []
    later = timezone.now() + dt.timedelta(hours=49)
    assert services.escalate_stale_items(now=later) == [item.pk]
    assert services.escalate_stale_items(now=later) == []
    assert moderation_events["items_escalated"] == [{"item_ids": [item.pk]}]
    assert ReviewItem.objects.get().escalated_at is not None


def test_the_away_summary_is_recorded_once_at_the_start_of_duty(
    settings, off_duty, make_members, post, newcomer, topic, moderation_events
):
    for flagger in make_members(3):
        services.flag_create(actor=flagger, post=post, reason=FlagReason.OFF_TOPIC)
    community_services.post_create(
        actor=newcomer, topic=topic, body="https://a.example https://b.example https://c.example"
    )
    # Move what happened to last week's Sunday noon; duty is Monday to Friday, 09:00-18:00.
    tz = ZoneInfo(settings.TIME_ZONE)
    today = timezone.localdate()
    monday = today - dt.timedelta(days=today.weekday() + 7)
    start = dt.datetime.combine(monday, dt.time(9), tzinfo=tz)
    sunday_noon = start - dt.timedelta(hours=21)
    Flag.objects.update(created_at=sunday_noon)
    ReviewItem.objects.update(pending_since=sunday_noon)
    ReviewItem.objects.filter(hidden_by_flags_at__isnull=False).update(
        hidden_by_flags_at=sunday_noon
    )
    settings.MODERATION_DEFAULT_COVERAGE = {d: [("09:00", "18:00")] for d in range(5)}

    assert services.away_summary_send_if_due(now=start - dt.timedelta(hours=1)) is None
    summary = services.away_summary_send_if_due(now=start + dt.timedelta(minutes=5))
    assert summary.period_start == start
    assert summary.since == start - dt.timedelta(days=2, hours=15)  # Friday 18:00
    assert (summary.figures["hidden"], summary.figures["held"], summary.figures["flags"]) == (
        1,
        1,
        3,
    )
    assert services.away_summary_send_if_due(now=start + dt.timedelta(minutes=10)) is None
    [sent] = moderation_events["away_summary_ready"]
    assert sent["summary_id"] == summary.pk


def test_away_summary_counts_what_happened_off_duty(off_duty, make_members, post, newcomer, topic):
    for flagger in make_members(3):
        services.flag_create(actor=flagger, post=post, reason=FlagReason.OFF_TOPIC)
    community_services.post_create(
        actor=newcomer, topic=topic, body="https://a.example https://b.example https://c.example"
    )
    now = timezone.now()
    figures = selectors.away_summary_figures(since=now - dt.timedelta(hours=1), until=now)
    assert figures["hidden"] == 1
    assert figures["held"] == 1
    assert figures["flags"] == 3
    assert figures["pending"] == 2


def test_the_audit_log_is_append_only(member, post):
    services.flag_create(actor=member, post=post, reason=FlagReason.SPAM)
    entry = AuditEntry.objects.get()
    entry.reason = "tampered"
    with pytest.raises(TypeError):
        entry.save()
    with pytest.raises(TypeError):
        entry.delete()
    with pytest.raises(TypeError):
        AuditEntry.objects.update(reason="tampered")
    with pytest.raises(TypeError):
        AuditEntry.objects.all().delete()


def test_only_administrators_read_the_audit_log_and_can_filter_it(
    administrator, moderator, member, post
):
    services.flag_create(actor=member, post=post, reason=FlagReason.SPAM)
    services.item_decide(
        actor=moderator, item=ReviewItem.objects.get(), action="remove", reason="Spam"
    )
    with pytest.raises(PermissionDenied):
        selectors.audit_list(user=moderator)
    assert [
        e.action for e in selectors.audit_list(user=administrator, filters={"action": "item."})
    ] == ["item.remove"]
    assert (
        selectors.audit_list(user=administrator, filters={"actor_name": moderator.username}).count()
        == 1
    )


def test_moderation_outside_the_queue_is_audited_too(moderator, post, topic):
    community_services.post_hide(actor=moderator, post=post, reason="Rude")
    community_services.topic_lock(actor=moderator, topic=topic)
    actions = list(AuditEntry.objects.order_by("id").values_list("action", "reason"))
    assert actions == [("post.hidden", "Rude"), ("topic.locked", "")]


def test_an_author_deleting_their_own_post_is_not_moderation(author, post):
    community_services.post_delete(actor=author, post=post)
    assert not AuditEntry.objects.exists()


def test_the_public_log_names_the_team_and_shows_no_content(moderator, member, post, category):
    services.flag_create(actor=member, post=post, reason=FlagReason.SPAM)
    rule = services.community_rule_create(actor=moderator, number=2, title="No advertising")
    services.item_decide(
        actor=moderator, item=ReviewItem.objects.get(), action="remove", reason="Ad", rule=rule
    )
    with pytest.raises(Http404):
        selectors.public_moderation_log(category=category)

    services.category_public_log_set(actor=moderator, category=category, enabled=True)
    [entry] = selectors.public_moderation_log(category=category)
    assert (entry.label, entry.rule_number, entry.rule_title) == (
        "Post removed",
        2,
        "No advertising",
    )
    assert entry.attributed_to == "the moderation team"
    shown = repr(entry)
    assert moderator.username not in shown
    assert post.body not in shown and "Ad" not in entry.label


def test_the_guidelines_list_numbered_active_rules(moderator):
    services.community_rule_create(actor=moderator, number=2, title="Stay on topic")
    first = services.community_rule_create(actor=moderator, number=1, title="Be kind")
    retired = services.community_rule_create(actor=moderator, number=3, title="Old rule")
    services.community_rule_update(actor=moderator, rule=retired, active=False)
    assert [r.title for r in selectors.community_rules_list()] == ["Be kind", "Stay on topic"]
    with pytest.raises(ValidationError):
        services.community_rule_create(actor=moderator, number=1, title="Duplicate")
    services.community_rule_delete(actor=moderator, rule=first)
    assert [r.number for r in selectors.community_rules_list()] == [2]


def test_a_suspended_member_is_signed_out_with_the_reason(settings, client, moderator, author):
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, "moderation.middleware.SuspensionMiddleware"]
    assert client.login(username=author.username, password=TEST_PASSWORD)
    services.sanction_create(
        actor=moderator, member=author, kind="suspend", days=7, reason="Harassment"
    )
    response = client.get("/")
    assert "_auth_user_id" not in client.session
    shown = [str(m) for m in get_messages(response.wsgi_request)]
    assert len(shown) == 1
    assert "suspended until" in shown[0]


def test_a_lifted_suspension_lets_the_member_back_in(settings, client, moderator, author):
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, "moderation.middleware.SuspensionMiddleware"]
    sanction = services.sanction_create(
        actor=moderator, member=author, kind="suspend", days=7, reason="Harassment"
    )
    services.sanction_lift(actor=moderator, sanction=sanction, reason="Appeal")
    assert client.login(username=author.username, password=TEST_PASSWORD)
    client.get("/")
    assert client.session.get("_auth_user_id") == str(author.pk)


def test_periodic_tasks_have_explicit_names_and_are_scheduled():
    from config.celery import app
    from moderation import tasks

    assert tasks.escalate_stale.name == "moderation.escalate_stale"
    assert tasks.away_summary.name == "moderation.away_summary"
    scheduled = {entry["task"] for entry in app.conf.beat_schedule.values()}
    assert {"moderation.escalate_stale", "moderation.away_summary"} <= scheduled


def test_the_escalation_task_runs_the_service(member, post):
    from moderation import tasks

    services.flag_create(actor=member, post=post, reason=FlagReason.SPAM)
    ReviewItem.objects.update(pending_since=timezone.now() - dt.timedelta(hours=72))
    assert tasks.escalate_stale.delay().get() == 1


def test_recount_repairs_scores_and_records(member, post, moderator):
    from django.core.management import call_command

    services.flag_create(actor=member, post=post, reason=FlagReason.SPAM)
    ReviewItem.objects.update(score=99.0, flag_count=7)
    assert services.review_scores_recount() == 1
    call_command("recount_moderation", "--apply", stdout=open("/dev/null", "w"))  # noqa: SIM115
    item = ReviewItem.objects.get()
    assert (item.score, item.flag_count) == (3.0, 1)
    assert services.review_scores_recount() == 0
    assert services.flagger_records_recount() == 0
