"""Immediate e-mails: one per burst, never for what was read on the site, never to an
unverified address; claims that survive a crash; retries; one-click unsubscribe."""

from __future__ import annotations

import smtplib
from datetime import timedelta
from unittest import mock

import pytest
from django.core import mail, signing
from django.utils import timezone, translation

from community import services as community
from notifications import services
from notifications.models import (
    Delivery,
    DeliveryChannel,
    DeliveryStatus,
    EmailFrequency,
    Notification,
    NotificationKind,
)
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def email_deliveries(user):
    return Delivery.objects.filter(recipient=user, channel=DeliveryChannel.EMAIL)


def test_reply_sends_one_email_to_a_watcher_with_text_html_and_unsubscribe_headers(
    topic, replier, watcher, reply, mailoutbox
):
    post = reply(topic, replier, body="Descale it with citric acid.")

    to_watcher = [m for m in mailoutbox if m.to == [watcher.email]]
    assert len(to_watcher) == 1
    message = to_watcher[0]
    assert "bob posted in “The Aurora kettle whistles”" in message.subject
    assert "Descale it with citric acid." in message.body
    html, mimetype = message.alternatives[0]
    assert mimetype == "text/html"
    assert "Descale it with citric acid." in html
    unsubscribe = message.extra_headers["List-Unsubscribe"]
    assert unsubscribe.startswith("<https://community.example.org/notifications/unsubscribe/")
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message.extra_headers["Message-ID"].startswith("<n.")
    notification = Notification.objects.get(recipient=watcher)
    assert f"/notifications/{notification.pk}/" in message.body
    assert email_deliveries(watcher).get().status == DeliveryStatus.SENT
    assert post.pk == notification.post_id


def test_member_without_a_verified_address_gets_the_notification_but_no_email(
    topic, replier, category, reply, mailoutbox
):
    from community.models import NotificationLevel

    unverified = UserFactory(username="erin", verified=False)
    community.category_subscribe(
        actor=unverified, category=category, level=NotificationLevel.WATCHING
    )

    reply(topic, replier)

    assert Notification.objects.filter(recipient=unverified).count() == 1
    assert not Delivery.objects.filter(recipient=unverified).exists()
    assert not [m for m in mailoutbox if unverified.email in m.to]


def test_preference_never_and_digest_route_the_notification_away_from_immediate_mail(
    topic, replier, watcher, author, reply, mailoutbox
):
    services.email_preferences_update(
        actor=watcher, choices={NotificationKind.POSTED: EmailFrequency.NEVER}
    )
    services.email_preferences_update(
        actor=author, choices={NotificationKind.REPLY: EmailFrequency.DAILY}
    )

    reply(topic, replier)

    assert not Delivery.objects.filter(recipient=watcher).exists()
    assert list(Delivery.objects.filter(recipient=author).values_list("channel", flat=True)) == [
        DeliveryChannel.DAILY
    ]
    assert mailoutbox == []


@pytest.fixture
def waiting_notifications(topic, replier, watcher, reply, settings):
    """Three replies whose e-mail is still waiting (as with real workers and a delay)."""
    with mock.patch("notifications.tasks.deliver_email.apply_async"):
        posts = [reply(topic, replier, body=f"Reply {n}") for n in range(3)]
    assert email_deliveries(watcher).filter(status=DeliveryStatus.PENDING).count() == 3
    return posts


def test_several_notifications_waiting_are_merged_into_one_email(
    waiting_notifications, watcher, mailoutbox
):
    outcome = services.email_deliver(recipient_id=watcher.pk, claim_token="t1", wait=False)

    assert outcome.sent == 3
    assert len(mailoutbox) == 1
    assert mailoutbox[0].subject.endswith("3 new notifications")
    for n in range(3):
        assert f"Reply {n}" in mailoutbox[0].body


def test_email_waits_while_notifications_keep_coming_then_goes_at_once(
    waiting_notifications, watcher, mailoutbox, settings
):
    settings.NOTIFICATIONS_EMAIL_DELAY_SECONDS = 300
    settings.NOTIFICATIONS_EMAIL_MAX_DELAY_SECONDS = 900
    now = timezone.now()

    early = services.email_deliver(recipient_id=watcher.pk, claim_token="t1", now=now)
    assert early.sent == 0
    assert 290 < early.wait_seconds <= 300
    assert mailoutbox == []

    later = services.email_deliver(
        recipient_id=watcher.pk, claim_token="t2", now=now + timedelta(seconds=301)
    )
    assert later.sent == 3
    assert len(mailoutbox) == 1


def test_email_is_not_sent_for_what_the_member_already_read_on_the_site(
    waiting_notifications, topic, watcher, mailoutbox
):
    topic.refresh_from_db()
    community.topic_read(actor=watcher, topic=topic, last_number=topic.highest_post_number)

    outcome = services.email_deliver(recipient_id=watcher.pk, claim_token="t1", wait=False)

    assert outcome.sent == 0
    assert outcome.skipped == 3
    assert mailoutbox == []
    assert set(email_deliveries(watcher).values_list("detail", flat=True)) == {"read on the site"}


def test_email_is_not_sent_for_a_notification_marked_read(
    waiting_notifications, watcher, mailoutbox
):
    services.notifications_mark_all_read(actor=watcher)

    services.email_deliver(recipient_id=watcher.pk, claim_token="t1", wait=False)

    assert mailoutbox == []


def test_a_redelivered_task_sends_nothing_twice(waiting_notifications, watcher, mailoutbox):
    services.email_deliver(recipient_id=watcher.pk, claim_token="task-1", wait=False)
    again = services.email_deliver(recipient_id=watcher.pk, claim_token="task-1", wait=False)

    assert again.sent == 0
    assert len(mailoutbox) == 1


def test_a_task_killed_after_its_claim_sends_once_when_redelivered(
    waiting_notifications, watcher, mailoutbox
):
    # The first run claimed the deliveries, then its worker died before the SMTP call.
    email_deliveries(watcher).update(
        status=DeliveryStatus.SENDING, claim_token="task-1", claimed_at=timezone.now()
    )

    # Another task does not touch a fresh claim...
    other = services.email_deliver(recipient_id=watcher.pk, claim_token="task-2", wait=False)
    assert other.sent == 0
    # ...the redelivered message (same task id) knows the claim is its own and sends.
    redelivered = services.email_deliver(recipient_id=watcher.pk, claim_token="task-1", wait=False)
    assert redelivered.sent == 3
    assert len(mailoutbox) == 1


def test_the_sweep_gives_a_stalled_claim_back_and_the_mail_goes_once(
    waiting_notifications, watcher, mailoutbox, settings, on_commit
):
    settings.NOTIFICATIONS_SENDING_STALE_SECONDS = 900
    email_deliveries(watcher).update(
        status=DeliveryStatus.SENDING,
        claim_token="lost-task",
        claimed_at=timezone.now() - timedelta(seconds=1000),
    )

    with on_commit():
        result = services.deliveries_sweep()

    assert result["released"] == 3
    assert len(mailoutbox) == 1
    assert email_deliveries(watcher).filter(status=DeliveryStatus.SENT).count() == 3


def test_transient_smtp_failure_returns_deliveries_to_pending_then_fails_for_good(
    waiting_notifications, watcher, settings, caplog
):
    settings.NOTIFICATIONS_MAX_ATTEMPTS = 2
    error = smtplib.SMTPServerDisconnected("connection lost")
    with mock.patch("django.core.mail.EmailMultiAlternatives.send", side_effect=error):
        with pytest.raises(services.TransientDeliveryError):
            services.email_deliver(recipient_id=watcher.pk, claim_token="t1", wait=False)
        assert set(email_deliveries(watcher).values_list("status", "attempts")) == {
            (DeliveryStatus.PENDING, 1)
        }
        outcome = services.email_deliver(recipient_id=watcher.pk, claim_token="t2", wait=False)

    assert outcome.failed == 3
    rows = email_deliveries(watcher)
    assert set(rows.values_list("status", flat=True)) == {DeliveryStatus.FAILED}
    assert "SMTPServerDisconnected" in rows.first().last_error
    assert "failed for good" in caplog.text


def test_hard_bounce_fails_at_once_without_retry(waiting_notifications, watcher):
    error = smtplib.SMTPRecipientsRefused({watcher.email: (550, b"no such user")})
    with mock.patch("django.core.mail.EmailMultiAlternatives.send", side_effect=error):
        outcome = services.email_deliver(recipient_id=watcher.pk, claim_token="t1", wait=False)

    assert outcome.failed == 3


def test_deliver_email_task_retries_with_backoff_on_smtp_errors(
    waiting_notifications, watcher, settings
):
    from celery.exceptions import Retry

    from notifications import tasks

    error = smtplib.SMTPServerDisconnected("down")
    with (
        mock.patch("django.core.mail.EmailMultiAlternatives.send", side_effect=error),
        mock.patch.object(tasks.deliver_email, "retry", side_effect=Retry()) as retry,
        pytest.raises(Retry),
    ):
        tasks.deliver_email.run([watcher.pk])

    assert retry.call_args.kwargs["args"] == [[watcher.pk]]
    assert retry.call_args.kwargs["countdown"] == 10


def test_email_is_in_the_members_language(topic, replier, category, reply, mailoutbox):
    from community.models import NotificationLevel

    french = UserFactory(username="fanny", language="fr")
    community.category_subscribe(actor=french, category=category, level=NotificationLevel.WATCHING)

    reply(topic, replier)

    message = next(m for m in mailoutbox if m.to == [french.email])
    assert '<html lang="fr">' in message.alternatives[0][0]
    with translation.override("fr"):
        posted = translation.gettext("%(actor)s posted in “%(title)s”") % {
            "actor": "bob",
            "title": topic.title,
        }
    assert posted in message.subject


# --- Unsubscribe --------------------------------------------------------------------------------


def _token_in(message) -> str:
    header = message.extra_headers["List-Unsubscribe"].strip("<>")
    return header.rstrip("/").rsplit("/", 1)[1]


def test_unsubscribe_link_works_without_login_and_is_kept(
    topic, replier, watcher, reply, mailoutbox, client
):
    from django.test import Client

    reply(topic, replier)
    token = _token_in(mailoutbox[-1])
    url = f"/notifications/unsubscribe/{token}/"

    page = client.get(url)
    assert page.status_code == 200
    assert b"New posts in topics you watch" in page.content
    assert services.selectors.email_preferences_for(user=watcher)["posted"] == "immediately"

    # Our own button: a plain POST, no session; CSRF checks on, as in production.
    done = Client(enforce_csrf_checks=True).post(url)
    assert done.status_code == 200
    assert b"You are unsubscribed" in done.content
    assert services.selectors.email_preferences_for(user=watcher)["posted"] == "never"

    mailoutbox.clear()
    reply(topic, replier, body="Another one")
    assert not [m for m in mailoutbox if m.to == [watcher.email]]
    assert Notification.objects.filter(recipient=watcher).count() == 2  # still on the site


def test_rfc8058_one_click_post_from_a_mail_provider_unsubscribes(
    topic, replier, watcher, reply, mailoutbox
):
    from django.test import Client

    reply(topic, replier)
    token = _token_in(mailoutbox[-1])

    response = Client(enforce_csrf_checks=True).post(
        f"/notifications/unsubscribe/{token}/",
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )

    assert response.status_code == 200
    assert services.selectors.email_preferences_for(user=watcher)["posted"] == "never"


def test_forged_unsubscribe_link_is_refused_with_a_clear_page(watcher, client):
    token = services.unsubscribe_token(user=watcher, scope="posted")
    forged = token[:-3] + ("aaa" if not token.endswith("aaa") else "bbb")

    for response in (
        client.get(f"/notifications/unsubscribe/{forged}/"),
        client.post(f"/notifications/unsubscribe/{forged}/"),
        client.post("/notifications/unsubscribe/nonsense/"),
    ):
        assert response.status_code == 400
        assert b"This unsubscribe link is not valid." in response.content
    assert services.selectors.email_preferences_for(user=watcher)["posted"] == "immediately"


def test_expired_unsubscribe_link_is_refused_with_a_clear_page(watcher, client):
    token = services.unsubscribe_token(user=watcher, scope="posted")
    later = timezone.now().timestamp() + 61 * 24 * 3600
    with mock.patch("django.core.signing.time.time", return_value=later):
        response = client.post(f"/notifications/unsubscribe/{token}/")

    assert response.status_code == 400
    assert b"This unsubscribe link has expired." in response.content
    assert services.selectors.email_preferences_for(user=watcher)["posted"] == "immediately"


def test_unsubscribe_token_of_one_member_cannot_be_turned_into_another(watcher, bystander):
    token = services.unsubscribe_token(user=watcher, scope="posted")
    value, _, _ = token.rpartition(":")
    tampered = signing.TimestampSigner(salt="other").sign_object({"u": bystander.pk, "s": "all"})

    with pytest.raises(services.UnsubscribeError):
        services.unsubscribe_check(token=tampered)
    assert value  # the genuine token has a payload and a signature


@pytest.mark.parametrize("members", [2, 12])
def test_a_batch_of_members_costs_fixed_queries_plus_one_update_per_mail(
    members, topic, replier, category, reply, django_assert_max_num_queries
):
    from community.models import NotificationLevel

    watchers = [UserFactory() for _ in range(members)]
    for user in watchers:
        community.category_subscribe(
            actor=user, category=category, level=NotificationLevel.WATCHING
        )
    with mock.patch("notifications.tasks.deliver_email.apply_async"):
        reply(topic, replier)
        reply(topic, replier, body="A second reply")
    mail.outbox.clear()

    # Waiting check, claim (3), load, users, preferences, read positions, mutes (3), then
    # one UPDATE per member.
    with django_assert_max_num_queries(14 + members):
        outcome = services.email_deliver_batch(
            recipient_ids=[u.pk for u in watchers], claim_token="batch", wait=False
        )

    assert outcome.sent == 2 * members
    assert sorted(m.to[0] for m in mail.outbox) == sorted(u.email for u in watchers)


def test_a_title_with_line_breaks_cannot_break_the_mail_headers(watcher, topic, replier):
    from notifications import emails

    notification = Notification(
        recipient=watcher,
        kind=NotificationKind.POSTED,
        actor_name="bob",
        data={"title": "Evil\r\nBcc: victim@example.org", "excerpt": "x"},
        pk=1,
    )

    message = emails.notification_message(
        user=watcher, notifications=[notification], message_id="<x@example.org>"
    )

    assert "\n" not in message.subject
    assert message.message()["Bcc"] is None  # the title stayed text, not a header
