"""Daily and weekly digests: at the member's hour in their time zone, only with news, once per
period, in their language; `manage.py send_digests` and its dry run."""

from __future__ import annotations

from datetime import datetime, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.utils import timezone, translation

from community import services as community
from community.models import NotificationLevel
from notifications import services
from notifications.models import (
    Delivery,
    DeliveryChannel,
    DeliveryStatus,
    Digest,
    DigestStatus,
    EmailFrequency,
    NotificationKind,
)
from tests.factories import TopicFactory, UserFactory

pytestmark = pytest.mark.django_db


def next_local(hour: int, minute: int, zone: str) -> datetime:
    """The next moment (within a day) when it is hour:minute in `zone`."""
    local = timezone.now().astimezone(ZoneInfo(zone))
    target = local.replace(hour=hour, minute=minute, second=0, microsecond=0)
    if target <= local:
        target += timedelta(days=1)
    return target


def schedule(user, *, daily=False, weekly=False, hour=8, weekday=0):
    return services.digest_schedule_update(
        actor=user, daily=daily, weekly=weekly, hour=hour, weekday=weekday
    )


def send(frequency: str, now: datetime) -> services.DigestOutcome:
    total = services.DigestOutcome()
    for batch in services.digests_plan(frequency=frequency, now=now):
        outcome = services.digest_batch_send(
            frequency=frequency,
            period=batch.period,
            user_ids=batch.user_ids,
            claim_token=services.new_claim_token(),
            now=now,
        )
        total.sent += outcome.sent
        total.empty += outcome.empty
    return total


@pytest.fixture
def reader(db, category):
    """A French member in Paris who tracks the category and wants a daily digest at 8:00."""
    user = UserFactory(username="fanny", language="fr", timezone="Europe/Paris")
    community.category_subscribe(actor=user, category=category, level=NotificationLevel.TRACKING)
    schedule(user, daily=True, hour=8)
    return user


def test_digest_with_news_lists_it_in_the_members_language(reader, category, author, mailoutbox):
    TopicFactory(category=category, author=author, title="Descaling the Aurora kettle")
    now = next_local(8, 30, "Europe/Paris")

    outcome = send("daily", now)

    assert outcome.sent == 1
    (message,) = [m for m in mailoutbox if m.to == [reader.email]]
    assert "Descaling the Aurora kettle" in message.body
    with translation.override("fr"):
        assert translation.gettext("New in what you follow") in message.body
        assert message.subject.endswith(translation.gettext("Your daily summary"))
    assert "Your daily summary" not in message.subject  # really French, not the fallback
    html = message.alternatives[0][0]
    assert '<html lang="fr">' in html
    assert "Descaling the Aurora kettle" in html
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert "/notifications/unsubscribe/" in message.extra_headers["List-Unsubscribe"]
    digest = Digest.objects.get(user=reader, frequency="daily")
    assert digest.status == DigestStatus.SENT
    assert digest.period == now.astimezone(ZoneInfo("Europe/Paris")).date().isoformat()


def test_digest_for_a_member_with_nothing_new_is_not_sent(reader, mailoutbox):
    outcome = send("daily", next_local(8, 30, "Europe/Paris"))

    assert outcome.sent == 0
    assert outcome.empty == 1
    assert mailoutbox == []
    assert Digest.objects.get(user=reader).status == DigestStatus.EMPTY


def test_topics_already_read_or_written_by_the_member_are_not_news(
    reader, category, author, mailoutbox
):
    mine = TopicFactory(category=category, author=reader, title="My own question here")
    read = TopicFactory(category=category, author=author, title="Already read this one")
    community.topic_read(actor=reader, topic=read, last_number=1)

    send("daily", next_local(8, 30, "Europe/Paris"))

    assert mailoutbox == []
    assert mine.pk


def test_digest_is_sent_once_per_period_however_often_it_runs(reader, category, author, mailoutbox):
    TopicFactory(category=category, author=author)
    now = next_local(8, 30, "Europe/Paris")

    send("daily", now)
    send("daily", now + timedelta(hours=1))
    # The same batch redelivered to a worker (acks_late): nothing more either.
    services.digest_batch_send(
        frequency="daily",
        period=now.astimezone(ZoneInfo("Europe/Paris")).date().isoformat(),
        user_ids=[reader.pk],
        claim_token="again",
        now=now,
    )

    assert len(mailoutbox) == 1


def test_digest_goes_at_the_hour_chosen_in_the_members_time_zone(category, author, mailoutbox):
    tokyo = UserFactory(username="kenji", timezone="Asia/Tokyo")
    paris = UserFactory(username="pierre", timezone="Europe/Paris")
    for user in (tokyo, paris):
        community.category_subscribe(
            actor=user, category=category, level=NotificationLevel.WATCHING
        )
        schedule(user, daily=True, hour=8)
    TopicFactory(category=category, author=author)
    now = next_local(8, 30, "Asia/Tokyo")  # 0:30 or 1:30 in Paris

    send("daily", now)

    assert [m.to for m in mailoutbox] == [[tokyo.email]]


def test_weekly_digest_defaults_to_monday_8_and_the_unverified_get_none(
    category, author, mailoutbox
):
    member = UserFactory(username="wendy", timezone="Europe/Paris")
    UserFactory(username="victor", timezone="Europe/Paris", verified=False)
    TopicFactory(category=category, author=author, title="A new topic for everyone")
    local = timezone.now().astimezone(ZoneInfo("Europe/Paris"))
    monday = (local + timedelta(days=(7 - local.weekday()) % 7)).replace(
        hour=9, minute=0, second=0, microsecond=0
    )
    if monday < local:
        monday += timedelta(days=7)
    sunday = monday - timedelta(hours=12)

    assert send("weekly", sunday).sent == 0
    outcome = send("weekly", monday)

    # The author has nothing new (their own topic); the unverified member gets nothing at all.
    assert outcome.sent == 1
    assert [m.to for m in mailoutbox] == [[member.email]]
    assert "A new topic for everyone" in mailoutbox[0].body
    assert not Digest.objects.filter(user__username="victor").exists()


def test_notifications_routed_to_the_digest_are_in_it_and_marked_sent(
    reader, topic, replier, reply, mailoutbox
):
    community.topic_subscribe(actor=reader, topic=topic, level=NotificationLevel.WATCHING)
    services.email_preferences_update(
        actor=reader, choices={NotificationKind.POSTED: EmailFrequency.DAILY}
    )
    reply(topic, replier, body="This goes to the digest")
    mailoutbox.clear()
    delivery = Delivery.objects.get(recipient=reader, channel=DeliveryChannel.DAILY)

    send("daily", next_local(8, 30, "Europe/Paris"))

    (message,) = [m for m in mailoutbox if m.to == [reader.email]]
    with translation.override("fr"):  # the reader reads French
        expected = translation.gettext("%(actor)s posted in “%(title)s”") % {
            "actor": "bob",
            "title": topic.title,
        }
    assert expected in message.body
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.SENT


def test_unsubscribe_from_the_digest_stops_it(reader, category, author, mailoutbox, client):
    TopicFactory(category=category, author=author)
    now = next_local(8, 30, "Europe/Paris")
    token = services.unsubscribe_token(user=reader, scope="digest:daily")

    assert client.post(f"/notifications/unsubscribe/{token}/").status_code == 200
    send("daily", now)

    assert mailoutbox == []


def test_send_digests_dry_run_shows_who_would_get_what_and_sends_nothing(
    reader, category, author, mailoutbox
):
    TopicFactory(category=category, author=author)
    out = StringIO()
    now = next_local(8, 30, "Europe/Paris")

    call_command(
        "send_digests", "--dry-run", "--frequency=daily", f"--now={now.isoformat()}", stdout=out
    )

    text = out.getvalue()
    assert "daily: 1 member(s) due" in text
    assert "fanny <fanny@example.org> [fr, Europe/Paris" in text
    assert "1 new in followed" in text
    assert mailoutbox == []
    assert not Digest.objects.exists()


def test_send_digests_in_the_embedded_mode_sends_through_the_configured_backend(
    reader, category, author, mailoutbox
):
    TopicFactory(category=category, author=author)
    out = StringIO()
    now = next_local(8, 30, "Europe/Paris")

    call_command("send_digests", "--frequency=daily", f"--now={now.isoformat()}", stdout=out)

    assert "1 sent" in out.getvalue()
    assert [m.to for m in mailoutbox] == [[reader.email]]


def test_send_digests_refuses_a_bad_date_clearly():
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="not an ISO 8601"):
        call_command("send_digests", "--now=yesterday", stdout=StringIO())


def test_kinds_routed_to_the_daily_digest_make_one_even_without_asking_for_the_digest(
    topic, replier, reply, mailoutbox
):
    """The daily digest is off by default; a kind set to "in the daily digest" still arrives
    (in a digest holding only those notifications)."""
    member = UserFactory(username="gina", timezone="Europe/Paris")
    community.topic_subscribe(actor=member, topic=topic, level=NotificationLevel.WATCHING)
    services.email_preferences_update(
        actor=member, choices={NotificationKind.POSTED: EmailFrequency.DAILY}
    )
    reply(topic, replier, body="Only in the digest")
    mailoutbox.clear()

    send("daily", next_local(8, 30, "Europe/Paris"))

    (message,) = mailoutbox
    assert "bob posted in" in message.body
    assert "Popular in the community" not in message.body  # not asked for the whole digest


def test_unsubscribing_from_a_digest_also_stops_the_kinds_routed_to_it(
    topic, replier, reply, mailoutbox, client
):
    member = UserFactory(username="gina", timezone="Europe/Paris")
    community.topic_subscribe(actor=member, topic=topic, level=NotificationLevel.WATCHING)
    services.email_preferences_update(
        actor=member, choices={NotificationKind.POSTED: EmailFrequency.DAILY}
    )
    reply(topic, replier)
    token = services.unsubscribe_token(user=member, scope="digest:daily")

    assert client.post(f"/notifications/unsubscribe/{token}/").status_code == 200
    mailoutbox.clear()
    send("daily", next_local(8, 30, "Europe/Paris"))

    assert mailoutbox == []
    assert services.selectors.email_preferences_for(user=member)["posted"] == "never"


def test_moderators_digest_has_the_review_queue(category, author, mailoutbox):
    from moderation.models import ReviewItem

    moderator = UserFactory(username="maud", moderator=True, timezone="Europe/Paris")
    schedule(moderator, daily=True, hour=8)
    topic = TopicFactory(category=category, author=author)
    ReviewItem.objects.create(post=topic.posts.get(number=1), topic=topic, category=category)

    send("daily", next_local(8, 30, "Europe/Paris"))

    (message,) = [m for m in mailoutbox if m.to == [moderator.email]]
    assert "1 item waits for review." in message.body


def test_digests_rendered_once_for_several_members_are_each_members_own():
    """Members whose digests differ only by name and unsubscribe link share one rendering per
    language: each still gets their name (escaped in HTML) and their own link, exactly as a
    digest rendered alone."""
    from django.utils.html import escape

    from notifications import emails
    from notifications.selectors import DigestContent, DigestTopic

    topics = [
        DigestTopic(
            topic_id=n,
            title=f"Kettle <news> & more {n}",
            url=f"/t/{n}-kettle/",
            category="Aurora",
            kind="discussion",
            reply_count=0,
            score=0,
        )
        for n in (1, 2)
    ]
    members = [
        UserFactory(username="zoe", display_name="Zoé <Z> & co", language="fr"),
        UserFactory(username="yann", display_name="Yann", language="fr"),
        UserFactory(username="xavier", display_name="Xavier", language="en"),
    ]
    shared = emails.DigestRenderer()
    links = emails.Links()

    def parts(user, renderer):
        message = emails.digest_message(
            user=user,
            frequency="weekly",
            content=DigestContent(popular=list(topics)),
            message_id=f"<{user.pk}@example.org>",
            links=links,
            renderer=renderer,
        )
        link = message.extra_headers["List-Unsubscribe"].strip("<>")
        # The signed link carries a timestamp: compared by where it stands, not its value.
        assert link in message.body and escape(link) in message.alternatives[0][0]
        text = message.body.replace(link, "LINK")
        return text, message.alternatives[0][0].replace(escape(link), "LINK"), link

    for user in members:
        text, html, _link = parts(user, shared)
        alone = parts(user, emails.DigestRenderer())
        assert (text, html) == alone[:2]
        assert user.public_name in text
    assert len(shared._shared) == 2  # one rendering per language
    zoe_html = parts(members[0], shared)[1]
    assert "Zoé &lt;Z&gt; &amp; co" in zoe_html and "<Z>" not in zoe_html
    assert "Bonjour" in zoe_html or "Hello" not in zoe_html
