"""The notification bell and the notifications page, in Chromium: the unread count, its
refresh by htmx polling (no page reload), grouping, mark read and mark all read."""

from __future__ import annotations

import pytest
from django.conf import settings
from playwright.sync_api import Page, expect

from community import services as community
from community.models import NotificationLevel
from tests.factories import CategoryFactory, PostFactory, TopicFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def sign_in(page: Page, live_server, user) -> None:
    """Give the browser a session of `user` (the sign-in form has its own tests)."""
    from django.test import Client

    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])


def test_bell_counts_refreshes_by_itself_and_the_page_marks_read(
    open_page, live_server, browser_watch, settings
):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    category = CategoryFactory(name="Aurora kettles", slug="aurora")
    topic = TopicFactory(category=category, title="The Aurora kettle whistles")
    carol = UserFactory(username="carol")
    community.topic_subscribe(actor=carol, topic=topic, level=NotificationLevel.WATCHING)
    bob = UserFactory(username="bob")
    PostFactory(topic=topic, author=bob, body="Descale it.")
    PostFactory(topic=topic, author=bob, body="With citric acid.")

    page = open_page()
    page.clock.install()  # the bell's 60-second poll, fast-forwarded below
    sign_in(page, live_server, carol)
    page.goto("/")

    bell = page.locator("#notification-bell")
    expect(bell).to_have_attribute("aria-label", "Notifications, 2 unread")
    expect(bell.locator(".badge")).to_have_text("2")

    # A new reply while the page is open: the bell catches up on its next poll.
    PostFactory(topic=topic, author=bob, body="And rinse twice.")
    with page.expect_response("**/notifications/bell/"):
        page.clock.run_for(61_000)
    expect(bell.locator(".badge")).to_have_text("3")
    browser_watch.screenshot(page, "bell-after-poll")

    bell.click()
    expect(page).to_have_url(f"{live_server.url}/notifications/")
    rows = page.locator(".notification")
    expect(rows).to_have_count(1)  # three posts in one topic: one line
    expect(rows.first).to_contain_text("3 new posts in “The Aurora kettle whistles”")
    expect(rows.first).to_have_class("notification notification--unread")

    rows.first.get_by_role("button", name="Mark read").click()
    expect(page.locator(".notification--unread")).to_have_count(0)
    # The bell refreshes at once (HX-Trigger: notifications-changed), without a reload.
    expect(page.locator("#notification-bell .badge")).to_have_count(0)
    expect(page.locator("#notification-bell")).to_have_attribute("aria-label", "Notifications")
    browser_watch.screenshot(page, "all-read")

    # Another reply, then "Mark all read" (htmx swaps the list in place).
    PostFactory(topic=topic, author=bob, body="One more thing.")
    page.reload()
    expect(page.locator(".notification--unread")).to_have_count(1)
    page.get_by_role("button", name="Mark all read").click()
    expect(page.locator(".notification--unread")).to_have_count(0)
    expect(page.locator("#notification-bell .badge")).to_have_count(0)

    # Following the notification goes to the post.
    page.locator(".notification__link").first.click()
    expect(page).to_have_url(f"{live_server.url}{topic.get_absolute_url()}#post-5")
