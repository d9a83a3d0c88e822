"""Issue 9's newcomer journey in Chromium: a new member (trust level 0) signs up (or signs in),
quotes a regular in a pre-moderated category, reads that the reply is held and why; a moderator
approves it from the queue with the keyboard; the newcomer is notified and sees it published,
and the quoted member is told of the quote then, once (issue 5).

In English with the sign-up and e-mail verification, in French through the sign-in form, and
in French on a phone-sized screen with the keyboard only.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from accounts.models import User
from community.models import ContentState, Post
from moderation.models import ItemStatus, ReviewItem
from notifications.models import Notification, NotificationKind
from tests.e2e.journeys import (
    PHONE,
    assert_main_nav_usable,
    assert_no_horizontal_overflow,
    assert_ui_language,
    sign_in,
    tab_to,
)
from tests.factories import TEST_PASSWORD, CategoryFactory, TopicFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

ALWAYS_ON_DUTY = {day: [("00:00", "24:00")] for day in range(7)}
TOPIC = "Descaling the Aurora kettle"

TEXTS = {
    "en": {
        "locale": "en-GB",
        "quote": "Quote",
        "reply_label": "Your reply",
        "reply_button": "Reply",
        "held_message": "Thanks! Your reply will appear once a moderator has reviewed it.",
        "held_notice": "Awaiting review: a moderator will check this post before others can",
        "held_reason": "Pre-moderated category: posts of new members are reviewed first.",
        "login": "Sign In",
        "nav": ["Latest", "Ideas"],
        "english_leftovers": [],
        "published": "Your post in “Descaling the Aurora kettle” was approved: everyone can",
    },
    "fr": {
        "locale": "fr-FR",
        "quote": "Citer",
        "reply_label": "Votre réponse",
        "reply_button": "Répondre",
        "held_message": "Merci\xa0! Votre réponse apparaîtra dès qu’un modérateur l’aura validée.",
        "held_notice": "En attente de validation\xa0: un modérateur vérifiera ce message",
        "held_reason": "Catégorie prémodérée\xa0: les messages des nouveaux membres sont d’abord",
        "login": "Connexion",
        "nav": ["Récents", "Idées"],
        "english_leftovers": ["Reply", "Quote", "Flag", "Latest", "New topic", "Sign out"],
        "published": "Descaling the Aurora kettle",
    },
}


@pytest.fixture(autouse=True)
def _site(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.COMMUNITY_DAILY_LIMITS = {}
    settings.MODERATION_DEFAULT_COVERAGE = ALWAYS_ON_DUTY


def _data():
    category = CategoryFactory(name="Aurora kettles", slug="aurora", pre_moderated=True)
    olga = UserFactory(username="olga", trust_level=2)
    topic = TopicFactory(
        category=category, author=olga, title=TOPIC, body="Use citric acid, not vinegar."
    )
    moderator = UserFactory(username="camille", moderator=True)
    return topic, olga, moderator


def _sign_up(page: Page, mail_folder) -> User:
    """Sign up and verify the address from the e-mail (the signup journey tests the texts)."""
    page.goto("/accounts/signup/")
    page.locator("input[name=email]").fill("nadia@example.org")
    page.locator("input[name=username]").fill("nadia")
    page.locator("input[name=password1]").fill("correct-horse-battery-9")
    page.locator("input[name=password2]").fill("correct-horse-battery-9")
    with page.expect_navigation():
        page.locator("input[name=password2]").press("Enter")
    body = mail_folder.text(mail_folder.wait_for_message(to="nadia@example.org"))
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+/", body)
    assert link, body
    page.goto(link.group(0))
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    expect(page.locator(".user-menu__name")).to_have_text("nadia")
    return User.objects.get(username="nadia")


def _sign_in_with_the_form(page: Page, t: dict, user, *, keyboard: bool) -> None:
    page.goto("/accounts/login/")
    login = page.locator("input[name=login]")
    if keyboard:
        tab_to(page, login)
        page.keyboard.type(user.username)
        page.keyboard.press("Tab")
        expect(page.locator("input[name=password]")).to_be_focused()
        page.keyboard.type(TEST_PASSWORD)
    else:
        login.fill(user.username)
        page.locator("input[name=password]").fill(TEST_PASSWORD)
    with page.expect_navigation():
        if keyboard:
            page.keyboard.press("Enter")
        else:
            page.get_by_role("button", name=t["login"], exact=True).click()
    expect(page.locator(".user-menu__name")).to_have_text(user.username)


def _reply_quoting_olga(page: Page, t: dict, topic, *, keyboard: bool) -> Post:
    page.goto(topic.get_absolute_url())
    first_post = page.locator("article.post").first
    quote = first_post.get_by_role("link", name=t["quote"])
    composer = page.get_by_role("textbox", name=t["reply_label"], exact=True)
    with page.expect_response(re.compile(r"/quote")):
        if keyboard:
            tab_to(page, quote, limit=80)
            page.keyboard.press("Enter")
        else:
            quote.click()
    expect(composer).to_have_value(re.compile(r'\[quote="olga" post=\d+\]'))
    expect(composer).to_be_focused()
    page.keyboard.press("Control+End")
    page.keyboard.type("\n\nCitric acid worked for me too, thanks!")
    if keyboard:
        with page.expect_navigation():
            page.keyboard.press("Control+Enter")
    else:
        with page.expect_navigation():
            page.locator("#composer").get_by_role("button", name=t["reply_button"]).click()
    return Post.objects.get(topic=topic, number=2)


def _newcomer_journey(open_page, live_server, browser_watch, language, *, signup=None, **ctx):
    t = TEXTS[language]
    phone = ctx.get("is_mobile", False)
    topic, olga, moderator = _data()

    # 1. The newcomer arrives: signs up (and verifies the address) or signs in.
    page = open_page(locale=t["locale"], **ctx)
    if signup is not None:
        newcomer = _sign_up(page, signup)
    else:
        newcomer = UserFactory(username="nadia", trust_level=0)
        _sign_in_with_the_form(page, t, newcomer, keyboard=phone)
    assert newcomer.trust_level == 0
    assert_ui_language(page, expected=t["nav"], leftovers=t["english_leftovers"])
    if phone:
        assert_main_nav_usable(page)

    # 2. A reply quoting olga: held for review, and the page says so and why.
    post = _reply_quoting_olga(page, t, topic, keyboard=phone)
    assert post.state == ContentState.HELD
    expect(page.locator("#messages")).to_contain_text(t["held_message"])
    held = page.locator(f"#post-{post.number}")
    expect(held).to_contain_text(t["held_notice"])
    expect(held).to_contain_text(t["held_reason"])
    expect(held).to_contain_text("Citric acid worked for me too")
    if phone:
        assert_no_horizontal_overflow(page)
    assert not Notification.objects.filter(recipient=olga).exists()  # nobody sees it yet

    # 3. The moderator approves it from the queue, with the keyboard (j, then a: keep).
    mod_page = open_page()
    sign_in(mod_page, live_server, moderator)
    mod_page.goto("/mod/queue/")
    rows = mod_page.locator(".queue-row")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(TOPIC)
    # The system's reason is shown in the reader's language (the moderator's browser asks
    # for English), whatever the language the newcomer posted in.
    expect(rows.first).to_contain_text(TEXTS["en"]["held_reason"])
    mod_page.keyboard.press("j")
    expect(mod_page.locator(".queue-row.is-current a")).to_be_focused()
    mod_page.keyboard.press("a")
    expect(rows).to_have_count(0)
    assert ReviewItem.objects.get(post=post).status != ItemStatus.PENDING

    # 4. The newcomer is told, follows the notification and sees the reply published.
    page.goto("/")
    bell = page.locator("#notification-bell")
    expect(bell.locator(".badge")).to_have_text("1")
    if phone:
        tab_to(page, bell)
        with page.expect_navigation():
            page.keyboard.press("Enter")
    else:
        bell.click()
    row = page.locator(".notification").first
    expect(row).to_contain_text(t["published"])
    with page.expect_navigation():
        row.locator(".notification__link").click()
    expect(page).to_have_url(re.compile(rf"{re.escape(topic.get_absolute_url())}.*#post-2$"))
    published = page.locator("#post-2")
    expect(published).to_contain_text("Citric acid worked for me too")
    expect(published).not_to_contain_text(t["held_notice"])
    if phone:
        assert_no_horizontal_overflow(page)

    # 5. olga, quoted (and so replied to), hears of it now that it is visible, once, with the
    # strongest reason.
    told = Notification.objects.filter(recipient=olga, post=post)
    assert list(told.values_list("kind", flat=True)) == [NotificationKind.REPLY]
    browser_watch.screenshot(page, "published")


def test_newcomer_signs_up_is_held_then_approved(
    open_page, live_server, browser_watch, mail_folder
):
    _newcomer_journey(open_page, live_server, browser_watch, "en", signup=mail_folder)


def test_newcomer_journey_in_french(open_page, live_server, browser_watch):
    _newcomer_journey(open_page, live_server, browser_watch, "fr")


def test_newcomer_journey_on_a_phone_in_french_with_the_keyboard(
    open_page, live_server, browser_watch
):
    _newcomer_journey(open_page, live_server, browser_watch, "fr", **PHONE)
