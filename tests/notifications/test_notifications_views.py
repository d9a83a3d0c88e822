"""The bell, the notifications page, marking read, e-mail settings: through the test client."""

from __future__ import annotations

import pytest

from notifications import services
from notifications.models import EmailPreference, MemberMute, Notification, NotificationKind
from tests.factories import CategoryFactory, TopicFactory, UserFactory

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
# The page and the bell cost the same whatever the number of notifications. Bell: session,
# user, unread count. Page: session, user, number of groups, the page of groups, their latest
# notifications, and the bell's count in the header. Measured after a first request, which
# also records the day's visit (accounts' middleware, once a day).
PAGE_BUDGET = 6
BELL_BUDGET = 3


@pytest.fixture(autouse=True)
def no_daily_limits(settings):
    settings.COMMUNITY_DAILY_LIMITS = {}


def make_notifications(recipient, *, count: int, topics: int = 1, category=None, actor=None):
    """`count` notifications spread over `topics` topics (so `topics` groups)."""
    actor = actor or UserFactory()
    category = category or CategoryFactory()
    made = []
    topic_list = [TopicFactory(category=category, author=actor) for _ in range(topics)]
    for n in range(count):
        topic = topic_list[n % topics]
        subject = services.Subject(
            dedupe_key=f"test:{n}",
            topic_id=topic.pk,
            post_id=topic.posts.get(number=1).pk,
            actor_id=actor.pk,
            actor_name=actor.username,
            data={"title": topic.title, "number": 1, "excerpt": f"excerpt {n}"},
        )
        made += services.notifications_create(
            recipient_kinds={recipient.pk: NotificationKind.POSTED}, subject=subject
        )
    return made


@pytest.mark.parametrize("count", [3, 50])
def test_notifications_page_costs_the_same_with_3_or_50(
    count, bystander, login, django_assert_max_num_queries
):
    make_notifications(bystander, count=count, topics=count)
    client = login(bystander)
    client.get("/notifications/bell/")
    # A first page warms the per-member caches (permissions for the site navigation).
    client.get("/latest/")

    with django_assert_max_num_queries(PAGE_BUDGET):
        response = client.get("/notifications/")

    assert response.status_code == 200
    assert response.content.count(b'class="notification notification--unread"') == min(count, 30)


@pytest.mark.parametrize("count", [3, 50])
def test_bell_costs_the_same_with_3_or_50(count, bystander, login, django_assert_max_num_queries):
    make_notifications(bystander, count=count)
    client = login(bystander)
    client.get("/notifications/bell/")

    with django_assert_max_num_queries(BELL_BUDGET):
        response = client.get("/notifications/bell/", **HTMX)

    assert response.status_code == 200
    assert f'data-unread-count="{count}"'.encode() in response.content
    assert b'hx-trigger="every 60s' in response.content


def test_bell_shows_99_plus_and_nothing_when_all_is_read(bystander, login):
    make_notifications(bystander, count=100)
    client = login(bystander)
    assert b">99+<" in client.get("/notifications/bell/").content

    services.notifications_mark_all_read(actor=bystander)

    assert b"data-unread-count" not in client.get("/notifications/bell/").content


def test_bell_tells_htmx_to_stop_polling_after_sign_out(client):
    assert client.get("/notifications/bell/", **HTMX).status_code == 286


def test_page_groups_notifications_of_one_topic(bystander, login):
    make_notifications(bystander, count=3, topics=1)

    response = login(bystander).get("/notifications/")

    assert response.content.count(b'class="notification notification--unread"') == 1
    assert "3 new posts in “".encode() in response.content


def test_mark_read_with_htmx_returns_the_row_and_refreshes_the_bell(bystander, login):
    ids = make_notifications(bystander, count=2, topics=1)
    client = login(bystander)

    response = client.post(f"/notifications/{ids[-1]}/read/", **HTMX)

    assert response.status_code == 200
    assert response["HX-Trigger"] == "notifications-changed"
    assert b"notification--unread" not in response.content
    assert not Notification.objects.filter(recipient=bystander, read_at__isnull=True).exists()


def test_mark_all_read_without_javascript_redirects_with_a_message(bystander, login):
    make_notifications(bystander, count=3, topics=3)
    client = login(bystander)

    response = client.post("/notifications/read-all/", follow=True)

    assert b"3 notifications marked read." in response.content
    assert not Notification.objects.filter(recipient=bystander, read_at__isnull=True).exists()


def test_mark_all_read_with_htmx_returns_the_list(bystander, login):
    make_notifications(bystander, count=3, topics=3)

    response = login(bystander).post("/notifications/read-all/", **HTMX)

    assert response["HX-Trigger"] == "notifications-changed"
    assert b"notification--unread" not in response.content


def test_opening_a_notification_marks_it_read_and_goes_to_the_post(bystander, login):
    (notification_id,) = make_notifications(bystander, count=1)
    notification = Notification.objects.get(pk=notification_id)

    response = login(bystander).get(f"/notifications/{notification_id}/")

    assert response.status_code == 302
    assert response["Location"] == f"/p/{notification.post_id}/"
    notification.refresh_from_db()
    assert notification.read_at is not None


def test_someone_elses_notification_is_neither_shown_nor_marked(bystander, login):
    (notification_id,) = make_notifications(bystander, count=1)
    intruder = UserFactory()
    client = login(intruder)

    opened = client.get(f"/notifications/{notification_id}/", follow=True)
    marked = client.post(f"/notifications/{notification_id}/read/")

    assert opened.status_code == 200
    assert b"This notification no longer exists." in opened.content
    assert marked.status_code == 302
    assert Notification.objects.get(pk=notification_id).read_at is None


def test_pages_need_a_signed_in_member(client):
    assert client.get("/notifications/")["Location"].startswith("/accounts/login/")
    assert client.get("/notifications/settings/")["Location"].startswith("/accounts/login/")
    response = client.post("/notifications/read-all/", **HTMX)
    assert response.status_code == 204
    assert response["HX-Redirect"].startswith("/accounts/login/")


def test_bad_page_number_is_not_an_error(bystander, login):
    client = login(bystander)
    for page in ("abc", "-1", "99999"):
        assert client.get(f"/notifications/?page={page}").status_code == 200


def test_preferences_page_saves_each_kind_and_the_digest_schedule(bystander, login):
    client = login(bystander)
    assert client.get("/notifications/settings/").status_code == 200
    data = {f"email-kind_{kind}": "immediately" for kind in NotificationKind.values}
    data["email-kind_posted"] = "weekly"
    data.update({"digest-daily": "on", "digest-hour": "19", "digest-weekday": "4"})

    response = client.post("/notifications/settings/", data, follow=True)

    assert b"Your e-mail preferences are saved." in response.content
    assert EmailPreference.objects.get(user=bystander, kind="posted").frequency == "weekly"
    # Choosing a default stores nothing (defaults can change later for everybody).
    assert not EmailPreference.objects.filter(user=bystander, kind="reply").exists()
    schedule = bystander.digest_schedule
    assert (schedule.daily, schedule.weekly, schedule.hour, schedule.weekday) == (
        True,
        False,
        19,
        4,
    )


def test_preferences_page_shows_errors_for_bad_input(bystander, login):
    data = {f"email-kind_{kind}": "immediately" for kind in NotificationKind.values}
    data.update({"email-kind_reply": "hourly", "digest-hour": "25", "digest-weekday": "9"})

    response = login(bystander).post("/notifications/settings/", data)

    assert response.status_code == 200
    assert b"Select a valid choice" in response.content
    assert not EmailPreference.objects.filter(user=bystander).exists()


def test_mute_and_unmute_a_member(bystander, replier, login):
    client = login(bystander)

    client.post("/notifications/settings/mute/", {"username": "@BOB"})
    assert MemberMute.objects.filter(user=bystander, muted=replier).exists()
    response = client.post("/notifications/settings/mute/", {"username": "nobody"}, follow=True)
    assert "No member is called “nobody”.".encode() in response.content
    response = client.post("/notifications/settings/mute/", {"username": "dave"}, follow=True)
    assert b"You cannot mute yourself." in response.content

    client.post(f"/notifications/settings/unmute/{replier.pk}/")
    assert not MemberMute.objects.exists()


def test_failed_deliveries_are_listed_for_administrators(bystander, admin_client):
    from notifications.models import Delivery, DeliveryStatus

    (notification_id,) = make_notifications(bystander, count=1)
    Delivery.objects.filter(notification_id=notification_id).update(
        status=DeliveryStatus.FAILED, last_error="SMTPServerDisconnected: gone"
    )

    response = admin_client.get("/admin/notifications/delivery/?status__exact=failed")

    assert response.status_code == 200
    assert b"SMTPServerDisconnected: gone" in response.content
    for path in ("digest", "outbox", "notification", "emailpreference", "digestschedule"):
        assert admin_client.get(f"/admin/notifications/{path}/").status_code == 200


@pytest.mark.parametrize(
    ("url", "current"),
    [
        ("/settings/", "Profile"),
        ("/accounts/email/", "E-mail addresses"),
        ("/accounts/password/change/", "Password"),
        ("/accounts/2fa/", "Two-factor authentication"),
        ("/notifications/settings/", "Notifications by e-mail"),
    ],
)
def test_every_settings_page_links_the_notification_settings_and_marks_itself_current(
    client, url, current
):
    import re

    client.force_login(UserFactory())
    html = client.get(url).content.decode()

    nav = re.search(r'<nav class="card settings-nav"[^>]*>(.*?)</nav>', html, re.S)
    assert nav, f"no settings navigation on {url}"
    links = dict(re.findall(r'<a href="([^"]+)"[^>]*>([^<]+)</a>', nav.group(1)))
    assert links.get("/notifications/settings/") == "Notifications by e-mail"
    marked = re.findall(r'<a [^>]*aria-current="page"[^>]*>([^<]+)</a>', nav.group(1))
    assert marked == [current]
