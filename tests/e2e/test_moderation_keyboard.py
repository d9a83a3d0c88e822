"""Moderation in Chromium: a community manager clears the review queue with the keyboard
only (the time it takes is printed for the record), and a member whose post was hidden by
flags reads why and appeals from the topic page."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import Page, expect

from community.models import ContentState, Post
from moderation import services as moderation
from moderation.models import Appeal, FlagReason, ItemKind, ItemStatus, ReviewItem
from tests.factories import TEST_PASSWORD, CategoryFactory, PostFactory, TopicFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

QUEUE_SIZE = 20
ALWAYS_ON_DUTY = {day: [("00:00", "24:00")] for day in range(7)}


@pytest.fixture(autouse=True)
def _fast_site(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.COMMUNITY_DAILY_LIMITS = {}


def sign_in(page: Page, user) -> None:
    """Through the sign-in form, typing and pressing Enter."""
    page.goto("/accounts/login/")
    page.locator("input[name=login]").fill(user.username)
    page.locator("input[name=password]").fill(TEST_PASSWORD)
    page.locator("input[name=password]").press("Enter")
    expect(page.locator(".user-menu__name")).to_be_visible()


def _flagged_queue(settings) -> tuple[list[Post], UserFactory]:
    """QUEUE_SIZE replies, each flagged once, through the services (nothing is hidden: the
    moderators are on duty and one flag is far below the threshold)."""
    settings.MODERATION_DEFAULT_COVERAGE = ALWAYS_ON_DUTY
    category = CategoryFactory(name="Aurora kettles", slug="aurora")
    authors = [UserFactory(username=f"writer{n}") for n in range(4)]
    topic = TopicFactory(category=category, author=authors[0], title="The kettle thread")
    posts = [
        PostFactory(topic=topic, author=authors[n % 4], body=f"Reply {n} worth a look, maybe.")
        for n in range(QUEUE_SIZE)
    ]
    flaggers = [UserFactory(username=f"flagger{n}", trust_level=2) for n in range(4)]
    reasons = [FlagReason.SPAM, FlagReason.OFF_TOPIC, FlagReason.INAPPROPRIATE]
    for n, post in enumerate(posts):
        moderation.flag_create(actor=flaggers[n % 4], post=post, reason=reasons[n % 3])
    return posts


def test_a_community_manager_clears_the_queue_with_the_keyboard(
    page: Page, settings, browser_watch
):
    posts = _flagged_queue(settings)
    manager = UserFactory(username="camille", moderator=True)
    moderation.removal_reason_create(
        actor=manager, title="Advertising", message="This post advertises.", position=0
    )
    moderation.removal_reason_create(
        actor=manager, title="Off-topic", message="Not the place for this.", position=10
    )
    assert ReviewItem.objects.filter(status=ItemStatus.PENDING).count() == QUEUE_SIZE

    sign_in(page, manager)
    page.goto("/mod/queue/")
    rows = page.locator(".queue-row")
    expect(rows).to_have_count(QUEUE_SIZE)
    keyboard = page.keyboard
    remaining = QUEUE_SIZE

    def act(*keys: str, decided: int = 1) -> None:
        nonlocal remaining
        for key in keys:
            keyboard.press(key)
        remaining -= decided
        if remaining:
            expect(rows).to_have_count(remaining)
            expect(page.locator(".queue-row.is-current a")).to_be_focused()

    started = time.perf_counter()

    # The help dialog: "?" opens it with the focus inside, Esc closes it and gives it back.
    keyboard.press("?")
    help_dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(help_dialog).to_be_visible()
    expect(help_dialog.get_by_role("button", name="Close")).to_be_focused()
    browser_watch.screenshot(page, "help-dialog")
    keyboard.press("Escape")
    expect(help_dialog).to_be_hidden()

    keyboard.press("j")
    expect(page.locator(".queue-row.is-current a")).to_be_focused()
    first_title = page.locator(".queue-row.is-current a").inner_text()

    # o opens the current item; back in the queue, nothing was decided.
    keyboard.press("o")
    expect(page).to_have_url(re.compile(r"/mod/items/\d+/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("The kettle thread")
    page.go_back()
    expect(rows).to_have_count(QUEUE_SIZE)

    keyboard.press("j")
    act("a")  # keep
    act("h")  # hide
    keyboard.press("r")
    remove_dialog = page.get_by_role("dialog", name="Remove: why?")
    expect(remove_dialog).to_be_visible()
    browser_watch.screenshot(page, "remove-dialog")
    act("Enter")  # the first removal reason
    act("r", "2")  # the second one
    keyboard.press("c")  # claim: the item stays, claimed by me
    expect(page.locator(".queue-row.is-current")).to_contain_text("claimed by camille")
    act("a")
    # x selects three items, h hides the selection at once.
    act("x", "j", "x", "j", "x", "h", decided=3)
    browser_watch.screenshot(page, "after-bulk")
    # The rest: keep, hide and remove in turn.
    keys = [("a",), ("h",), ("r", "Enter")]
    turn = 0
    while remaining:
        act(*keys[turn % 3])
        turn += 1

    expect(page.get_by_text("Nothing waits for review.")).to_be_visible()
    elapsed = time.perf_counter() - started
    print(f"\nKEYBOARD: cleared {QUEUE_SIZE} review items without the mouse in {elapsed:.2f} s")

    assert not ReviewItem.objects.filter(status=ItemStatus.PENDING).exists()
    states = {post.pk: post.state for post in Post.objects.filter(pk__in=[p.pk for p in posts])}
    assert set(states.values()) == {
        ContentState.VISIBLE,
        ContentState.HIDDEN,
        ContentState.REMOVED,
    }
    reasons = set(
        Post.objects.filter(state=ContentState.REMOVED).values_list("state_reason", flat=True)
    )
    assert reasons == {"This post advertises.", "Not the place for this."}
    assert first_title.startswith("The kettle thread")


def test_a_member_sees_why_their_post_is_hidden_and_appeals(page: Page, settings):
    settings.MODERATION_DEFAULT_COVERAGE = {}  # nobody on duty: three flags hide a post
    author = UserFactory(username="dora")
    topic = TopicFactory(author=UserFactory(), title="Descaling with vinegar")
    reply = PostFactory(topic=topic, author=author, body="Vinegar ruins the seals, trust me.")
    for n in range(3):
        flagger = UserFactory(username=f"reader{n}", trust_level=1)
        moderation.flag_create(actor=flagger, post=reply, reason=FlagReason.OFF_TOPIC)
    reply.refresh_from_db()
    assert reply.state == ContentState.HIDDEN

    sign_in(page, author)
    page.goto(topic.get_absolute_url())
    notice = page.locator(f"#post-{reply.number} .notice--danger")
    expect(notice).to_contain_text("Hidden: members flagged this post")
    notice.get_by_role("link", name="Appeal").click()

    expect(page.get_by_role("heading", name="Appeal a moderation decision")).to_be_visible()
    page.get_by_label("Why should the moderators look again?").fill(
        "It is on topic: the question was about descaling, and vinegar is how people do it."
    )
    page.get_by_role("button", name="Send the appeal").click()

    expect(page).to_have_url(re.compile(r"/my/moderation/$"))
    expect(page.locator("#messages")).to_contain_text("Your appeal was sent.")
    expect(page.locator("main")).to_contain_text("You appealed")
    appeal = Appeal.objects.get()
    assert appeal.item.post_id == reply.pk
    assert appeal.item.kind == ItemKind.APPEAL


def test_the_watched_words_test_box_answers_in_place(page: Page):
    manager = UserFactory(username="camille", moderator=True)
    moderation.watched_word_create(actor=manager, pattern="darn*", action="replace")
    sign_in(page, manager)
    page.goto("/mod/watched-words/")

    page.get_by_label("Text to test").fill("Darned kettle, darn it.")
    with page.expect_response("**/mod/watched-words/test/"):
        page.get_by_role("button", name="Test", exact=True).click()

    result = page.locator("#watched-words-test-result")
    expect(result).to_contain_text("would be published with the words replaced")
    expect(result.locator("pre")).to_have_text("■■■ kettle, ■■■ it.")
    expect(page).to_have_url(re.compile(r"/mod/watched-words/$"))  # no page load
    expect(page.get_by_label("Text to test")).to_have_value("Darned kettle, darn it.")
