"""Helpers shared by the browser journeys (tests/e2e/test_journey_*.py)."""

from __future__ import annotations

import pytest
from django.conf import settings
from playwright.sync_api import Locator, Page, expect

PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True, "has_touch": True}


def sign_in(page: Page, live_server, user) -> None:
    """Give the browser a session of `user` (the sign-in form has its own journeys)."""
    from django.test import Client

    client = Client()
    client.force_login(user)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME]
    page.context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])


def tab_to(page: Page, target: Locator, *, limit: int = 60) -> None:
    """Press Tab until `target` has the focus (fails after `limit` presses): the control is
    reachable with the keyboard."""
    for _ in range(limit):
        if target.evaluate("element => element === document.activeElement"):
            return
        page.keyboard.press("Tab")
    pytest.fail(f"Tab never reached {target} in {limit} presses")


def assert_no_horizontal_overflow(page: Page) -> None:
    """Nothing sticks out sideways: the page is not wider than the screen. With is_mobile,
    Chromium widens the layout viewport (window.innerWidth) to wide content, so the page is
    measured against the screen's width too."""
    width, inner = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    screen = page.viewport_size["width"]
    assert width <= inner, f"{page.url}: the page is {width}px wide on a {inner}px screen"
    assert inner <= screen + 1, f"{page.url}: the layout viewport grew to {inner}px"


def assert_main_nav_usable(page: Page) -> None:
    """Every link of the main navigation can be brought on screen (the bar scrolls sideways on
    a phone, the page does not) and is big enough to tap."""
    links = page.locator(".site-nav a")
    expect(links.first).to_be_visible()
    inner = page.evaluate("() => window.innerWidth")
    for index in range(links.count()):
        link = links.nth(index)
        link.scroll_into_view_if_needed()
        box = link.bounding_box()
        assert box is not None, f"main navigation link {index} is not displayed"
        assert box["x"] >= -0.5 and box["x"] + box["width"] <= inner + 0.5, (
            f"main navigation link {index} cannot be brought on screen: {box}"
        )
        assert box["height"] >= 24, f"main navigation link {index} is too small to tap: {box}"
    links.first.scroll_into_view_if_needed()
    assert_no_horizontal_overflow(page)


def assert_ui_language(page: Page, *, expected: list[str], leftovers: list[str]) -> None:
    """The main navigation reads `expected`, and no button or link of the page is named with
    one of `leftovers` (words of another language)."""
    nav = page.locator(".site-nav")
    for word in expected:
        expect(nav.get_by_role("link", name=word, exact=True)).to_be_visible()
    for word in leftovers:
        expect(page.get_by_role("button", name=word, exact=True)).to_have_count(0)
        expect(page.get_by_role("link", name=word, exact=True)).to_have_count(0)
