"""Who gets which in-app notification: reasons, muting, milestones, moderation, idempotency.

Tasks run eagerly here (no REDIS_URL); the real worker runs in test_notifications_worker.py."""

from __future__ import annotations

import pytest

from community import services as community
from community.models import NotificationLevel
from notifications import services
from notifications.models import Notification, NotificationKind, Outbox, OutboxStatus
from tests.factories import PostFactory, UserFactory

pytestmark = pytest.mark.django_db


def kinds_of(user) -> list[str]:
    return list(Notification.objects.filter(recipient=user).values_list("kind", flat=True))


def test_reply_notifies_topic_author_and_watcher_once_each_and_not_the_replier(
    topic, author, replier, watcher, bystander, reply
):
    reply(topic, replier)

    assert kinds_of(author) == [NotificationKind.REPLY]
    assert kinds_of(watcher) == [NotificationKind.POSTED]
    assert kinds_of(replier) == []
    assert kinds_of(bystander) == []


def test_new_topic_notifies_category_watchers(category, author, watcher, on_commit):
    from tests.factories import TopicFactory

    with on_commit():
        TopicFactory(category=category, author=author, title="Which filter for hard water?")

    assert kinds_of(watcher) == [NotificationKind.NEW_TOPIC]
    assert kinds_of(author) == []


def test_mention_of_a_watcher_gives_one_notification_of_the_strongest_kind(
    topic, replier, watcher, bystander, reply
):
    reply(topic, replier, body="@carol and @dave, have you tried vinegar?")

    assert kinds_of(watcher) == [NotificationKind.MENTION]
    assert kinds_of(bystander) == [NotificationKind.MENTION]


def test_reply_to_a_post_notifies_its_author(topic, author, replier, bystander, reply):
    first = reply(topic, bystander, body="Mine does that too.")
    reply(topic, replier, body="Same here.", reply_to=first)

    assert kinds_of(bystander) == [NotificationKind.REPLY]
    # The topic author watches the topic: told about both posts, one line each.
    assert sorted(kinds_of(author)) == [NotificationKind.POSTED, NotificationKind.REPLY]


def test_quote_notifies_the_quoted_author(topic, author, replier, bystander, reply):
    quoted = reply(topic, bystander, body="Use citric acid.")
    reply(
        topic,
        replier,
        body=f"[quote=dave post={quoted.pk}]\nUse citric acid.\n[/quote]\n\nIt worked, thanks!",
    )

    assert kinds_of(bystander) == [NotificationKind.QUOTE]


def test_muted_topic_wins_over_watching_and_mention(topic, replier, watcher, reply):
    community.topic_subscribe(actor=watcher, topic=topic, level=NotificationLevel.MUTED)

    reply(topic, replier, body="@carol look at this")

    assert kinds_of(watcher) == []


def test_muted_category_wins_unless_the_member_chose_a_level_for_the_topic(
    category, topic, replier, bystander, reply
):
    community.category_subscribe(actor=bystander, category=category, level=NotificationLevel.MUTED)
    reply(topic, replier, body="@dave you will not hear of this")
    assert kinds_of(bystander) == []

    community.topic_subscribe(actor=bystander, topic=topic, level=NotificationLevel.WATCHING)
    reply(topic, replier, body="now you will")
    assert kinds_of(bystander) == [NotificationKind.POSTED]


def test_muted_member_wins_over_everything(topic, replier, watcher, reply):
    services.member_mute(actor=watcher, member=replier)

    reply(topic, replier, body="@carol hello")

    assert kinds_of(watcher) == []


def test_post_held_for_review_notifies_nobody_until_approved(
    topic, replier, watcher, bystander, moderator_user, on_commit
):
    with on_commit():
        post = PostFactory(topic=topic, author=replier, body="@dave look")
        community.post_hold(actor=None, post=post, reason="check")
    assert kinds_of(watcher) == []
    assert kinds_of(bystander) == []

    with on_commit():
        community.post_approve(actor=moderator_user, post=post)

    assert kinds_of(watcher) == [NotificationKind.POSTED]
    assert kinds_of(bystander) == [NotificationKind.MENTION]


@pytest.fixture
def moderator_user(db):
    return UserFactory(moderator=True)


def test_upvote_milestones_notify_at_1_10_and_100_once_each(topic, author, on_commit, settings):
    settings.COMMUNITY_DAILY_LIMITS = {}
    post = topic.posts.get(number=1)
    voters = [UserFactory() for _ in range(11)]

    with on_commit():
        for voter in voters[:10]:
            community.vote_cast(actor=voter, post=post, value=1)
    milestones = sorted(n.data["milestone"] for n in Notification.objects.filter(recipient=author))
    assert milestones == [1, 10]

    # Withdrawing and casting the 10th vote again does not notify a second time.
    with on_commit():
        community.vote_cast(actor=voters[9], post=post, value=0)
        community.vote_cast(actor=voters[9], post=post, value=1)
        community.vote_cast(actor=voters[10], post=post, value=1)
    assert Notification.objects.filter(recipient=author).count() == 2


def test_accepted_answer_notifies_its_author(category, author, replier, on_commit):
    from tests.factories import TopicFactory

    with on_commit():
        question = TopicFactory(category=category, author=author, kind="question")
        answer = PostFactory(topic=question, author=replier)
        community.answer_accept(actor=author, topic=question, post=answer)

    assert NotificationKind.ANSWER_ACCEPTED in kinds_of(replier)


def test_hidden_post_tells_its_author_why(topic, replier, moderator_user, reply, on_commit):
    post = reply(topic, replier)

    with on_commit():
        community.post_hide(actor=moderator_user, post=post, reason="Off-topic")

    notification = Notification.objects.get(
        recipient=replier, kind=NotificationKind.CONTENT_MODERATED
    )
    assert notification.data["new_state"] == "hidden"
    assert notification.data["reason"] == "Off-topic"


def test_fanout_is_chunked_and_a_chunk_run_twice_creates_nothing_twice(
    category, author, replier, on_commit, settings, django_capture_on_commit_callbacks
):
    from unittest import mock

    from notifications import tasks
    from tests.factories import TopicFactory

    settings.NOTIFICATIONS_FANOUT_CHUNK = 2
    watchers = [UserFactory() for _ in range(5)]
    for user in watchers:
        community.category_subscribe(
            actor=user, category=category, level=NotificationLevel.WATCHING
        )
    calls = []
    real_apply = tasks.fanout.apply_async

    def spy(*args, **kwargs):
        calls.append(kwargs.get("args") or args[0])
        return real_apply(*args, **kwargs)

    with mock.patch.object(tasks.fanout, "apply_async", side_effect=spy), on_commit():
        topic = TopicFactory(category=category, author=author)

    assert len(calls) == 3  # 5 watchers, 2 per chunk
    assert Notification.objects.filter(kind=NotificationKind.NEW_TOPIC).count() == 5

    # A redelivered chunk (acks_late) finds every notification already there.
    source, topic_id, actor_id, lo, hi, args = calls[0]
    with on_commit():
        services.fanout_chunk(
            source=source, topic_id=topic_id, actor_id=actor_id, lo=lo, hi=hi, args=args
        )
    assert Notification.objects.filter(kind=NotificationKind.NEW_TOPIC).count() == 5
    assert topic.pk == topic_id


def test_outbox_event_processed_twice_notifies_once(topic, replier, watcher, reply, on_commit):
    reply(topic, replier)
    row = Outbox.objects.filter(event="post_published").latest("pk")
    assert row.status == OutboxStatus.DONE

    Outbox.objects.filter(pk=row.pk).update(status=OutboxStatus.PENDING)
    with on_commit():
        services.outbox_process(outbox_id=row.pk)

    assert kinds_of(watcher) == [NotificationKind.POSTED]


def test_a_failing_receiver_never_breaks_the_members_post(topic, replier, watcher, on_commit):
    from unittest import mock

    with mock.patch.object(services, "outbox_record", side_effect=RuntimeError("bug")), on_commit():
        post = PostFactory(topic=topic, author=replier)

    assert post.pk is not None
    assert kinds_of(watcher) == []


def test_inactive_members_are_not_notified(topic, replier, watcher, reply):
    watcher.is_active = False
    watcher.save()

    reply(topic, replier)

    assert kinds_of(watcher) == []


def test_quote_in_a_held_post_notifies_the_quoted_member_once_when_approved(
    category, topic, bystander, moderator_user, on_commit
):
    """Issue 5: a held post's quotes are re-read on approval (nothing while it is held, one
    notification after approval, none more on a second processing of the approval)."""
    from moderation import services as moderation
    from moderation.models import ReviewItem

    category.pre_moderated = True
    category.save(update_fields=["pre_moderated"])
    quoted = PostFactory(topic=topic, author=bystander, body="Use citric acid.")
    newcomer = UserFactory(username="newbie", trust_level=0)
    body = f"[quote=dave post={quoted.pk}]\nUse citric acid.\n[/quote]\n\nIt worked, thanks!"

    with on_commit():
        post = community.post_create(actor=newcomer, topic=topic, body=body)
    post.refresh_from_db()
    assert post.state == "held"
    assert kinds_of(bystander) == []

    item = ReviewItem.objects.get(post=post)
    with on_commit():
        moderation.item_decide(actor=moderator_user, item=item, action="keep")
    assert kinds_of(bystander) == [NotificationKind.QUOTE]

    # The approval's event processed again (a re-delivered task): still one notification.
    approval = Outbox.objects.filter(event="post_published", payload__approved=True).get()
    Outbox.objects.filter(pk=approval.pk).update(status=OutboxStatus.PENDING)
    with on_commit():
        services.outbox_process(outbox_id=approval.pk)
    assert kinds_of(bystander) == [NotificationKind.QUOTE]
