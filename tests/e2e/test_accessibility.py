"""Keyboard, small screens and no-JavaScript use of the foundation's pages."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PHONE = {
    "viewport": {"width": 390, "height": 844},
    "device_scale_factor": 3,
    "is_mobile": True,
    "has_touch": True,
}


def test_keyboard_skip_link_and_focus(page: Page, browser_watch):
    page.goto("/")

    page.keyboard.press("Tab")

    skip_link = page.locator("a.skip-link")
    expect(skip_link).to_be_focused()
    expect(skip_link).to_be_in_viewport()
    box = skip_link.bounding_box()
    assert box is not None and box["x"] >= 0 and box["y"] >= 0, box
    browser_watch.screenshot(page, "skip-link-focused")
    page.keyboard.press("Enter")
    expect(page.locator("main#main")).to_be_focused()


@pytest.mark.parametrize(
    "path", ["/", "/accounts/signup/", "/accounts/login/"], ids=["home", "signup", "login"]
)
def test_phone_viewport(open_page, path):
    page = open_page(**PHONE)
    page.goto(path)

    widths = page.evaluate(
        "() => ({scroll: document.documentElement.scrollWidth, inner: window.innerWidth})"
    )
    assert widths["scroll"] <= widths["inner"], f"{path} scrolls sideways on a phone: {widths}"


def test_language_switch_works_without_javascript(open_page):
    page = open_page(java_script_enabled=False)
    page.goto("/")

    page.locator("#language-select").select_option("fr")
    page.get_by_role("button", name="Change").click()

    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_role("link", name="Aller au contenu")).to_be_attached()


def test_static_files_load_on_the_live_server(page: Page):
    """The stylesheet and both scripts load (the watch fails the test on any 404)."""
    responses = []
    page.on("response", lambda response: responses.append(response.url))
    page.goto("/")
    page.wait_for_load_state("load")

    assert any(url.endswith("/static/css/causerie.css") for url in responses), responses
    assert any("/static/django-htmx/" in url or "htmx" in url for url in responses), responses
    assert page.evaluate("() => typeof window.htmx") == "object"
    background = page.evaluate("() => getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(246, 247, 249)", "causerie.css is not applied"
