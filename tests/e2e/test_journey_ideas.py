"""Issue 6 walked through in Chromium: a member proposes an idea (similar ideas suggested as
they type), another supports it, brand staff move it under review → planned → shipped with an
official response, the supporter reads the notification, the roadmap and the changelog show it.

The same journey runs in French (the browser asks for fr-FR) and on a phone-sized screen.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from ideas import services as ideas
from ideas.models import Idea
from tests.e2e.journeys import (
    PHONE,
    assert_main_nav_usable,
    assert_no_horizontal_overflow,
    assert_ui_language,
    sign_in,
    tab_to,
)
from tests.factories import CategoryFactory, UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

TEXTS = {
    "en": {
        "locale": "en-GB",
        "propose": "Propose an idea",
        "title_label": "Your idea in one sentence",
        "body_label": "Describe it: the problem it solves, for whom",
        "similar": "Similar ideas already proposed",
        "post": "Post my idea",
        "support": "Support this idea",
        "supported": "Supported",
        "status_label": "New status",
        "response_label": "Official response",
        "release_label": "Release note (when shipped)",
        "save_status": "Save and tell followers",
        "under_review": "Under review",
        "planned": "Planned",
        "shipped": "Shipped",
        "official": "Official response from",
        "notified": "Planned",
        "roadmap": "Roadmap",
        "changelog": "Changelog",
        "nav": ["Latest", "Ideas"],
        "english_leftovers": [],
    },
    "fr": {
        "locale": "fr-FR",
        "propose": "Proposer une idée",
        "title_label": "Votre idée en une phrase",
        "body_label": "Décrivez-la : le problème qu’elle résout, et pour qui",
        "similar": "Idées similaires déjà proposées",
        "post": "Publier mon idée",
        "support": "Soutenir cette idée",
        "supported": "Soutenue",
        "status_label": "Nouveau statut",
        "response_label": "Réponse officielle",
        "release_label": "Note de version (à la livraison)",
        "save_status": "Enregistrer et informer les abonnés",
        "under_review": "À l’étude",
        "planned": "Prévue",
        "shipped": "Livrée",
        "official": "Réponse officielle de",
        "notified": "Prévue",
        "roadmap": "Feuille de route",
        "changelog": "Journal des modifications",
        # English words that must not be left on the main controls of a French page.
        "nav": ["Récents", "Idées"],
        "english_leftovers": ["Latest", "Ideas", "New topic", "Search", "Sign out", "Change"],
    },
}


def _data():
    category = CategoryFactory(name="Aurora kettles", slug="aurora", default_topic_kind="idea")
    proposer = UserFactory(username="ines", trust_level=1)
    supporter = UserFactory(username="victor", trust_level=1)
    staff = UserFactory(username="brandon", brand_staff=True)
    ideas.idea_create(
        actor=staff,
        category=category,
        title="Quieter kettle whistle for night owls",
        body="A softer whistle, or none at all after 22:00.",
    )
    return category, proposer, supporter, staff


def _propose(page: Page, t: dict, *, keyboard: bool = False) -> None:
    page.goto("/ideas/new/")
    expect(page.get_by_role("heading", level=1)).to_have_text(t["propose"])
    title = page.get_by_label(t["title_label"])
    if keyboard:
        tab_to(page, title)
    else:
        title.click()
    # Typed key by key: the similar ideas come by htmx while typing (debounced keyup).
    with page.expect_response(re.compile(r"/ideas/similar/\?")):
        title.press_sequentially("A quieter kettle", delay=20)
    similar = page.locator("#similar-ideas")
    expect(similar).to_contain_text(t["similar"])
    expect(
        similar.get_by_role("link", name="Quieter kettle whistle for night owls")
    ).to_be_visible()
    title.press_sequentially(" with a silent mode", delay=5)
    body = page.get_by_label(t["body_label"])
    if keyboard:
        page.keyboard.press("Tab")  # the category select (one choice here)
        tab_to(page, body)
        page.keyboard.type("Night mode: no whistle, a soft light instead.")
    else:
        body.fill("Night mode: no whistle, a soft light instead.")
    button = page.get_by_role("button", name=t["post"])
    if keyboard:
        tab_to(page, button)
        with page.expect_navigation():
            page.keyboard.press("Enter")
    else:
        with page.expect_navigation():
            button.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("A quieter kettle with a silent mode")


def _set_status(page: Page, t: dict, *, status: str, response: str, release: str = "") -> None:
    page.get_by_label(t["status_label"]).select_option(label=t[status])
    page.get_by_role("textbox", name=t["response_label"], exact=True).fill(response)
    if release:
        page.get_by_label(t["release_label"]).fill(release)
    with page.expect_navigation():
        page.get_by_role("button", name=t["save_status"]).click()
    response_box = page.locator(".idea-response")
    expect(response_box).to_contain_text(t["official"])
    expect(response_box).to_contain_text(response)
    expect(response_box.locator(".status-badge, .idea-status").first).to_have_text(t[status])


def _walkthrough(open_page, live_server, browser_watch, language: str, **context) -> None:
    t = TEXTS[language]
    phone = context.get("is_mobile", False)
    _category, proposer, supporter, staff = _data()

    # 1. The proposer writes the idea; a similar one is suggested while typing the title.
    page = open_page(locale=t["locale"], **context)
    sign_in(page, live_server, proposer)
    _propose(page, t, keyboard=phone)
    idea = Idea.objects.select_related("topic").get(topic__title__startswith="A quieter")
    if phone:
        assert_no_horizontal_overflow(page)
        assert_main_nav_usable(page)
    assert_ui_language(page, expected=t["nav"], leftovers=t["english_leftovers"])

    # 2. Another member supports it (htmx swaps the button in place).
    page = open_page(locale=t["locale"], **context)
    sign_in(page, live_server, supporter)
    page.goto(f"/ideas/{idea.pk}/")
    vote = page.locator(f"#idea-vote-{idea.pk}")
    expect(vote.locator(".idea-vote__count")).to_have_text("0")
    button = vote.get_by_role("button")
    expect(button).to_have_attribute("title", t["support"])
    if phone:
        tab_to(page, button)
        page.keyboard.press("Enter")
    else:
        button.click()
    expect(vote.get_by_role("button")).to_have_attribute("aria-pressed", "true")
    expect(vote.locator(".idea-vote__label")).to_have_text(t["supported"])
    expect(vote.locator(".idea-vote__count")).to_have_text("1")
    if phone:
        assert_no_horizontal_overflow(page)

    # 3. Brand staff: under review, then planned, each with an official response.
    staff_page = open_page(locale=t["locale"], **context)
    sign_in(staff_page, live_server, staff)
    staff_page.goto(f"/ideas/{idea.pk}/")
    _set_status(staff_page, t, status="under_review", response="We are looking into it.")
    _set_status(staff_page, t, status="planned", response="Coming in the spring range.")
    if phone:
        assert_no_horizontal_overflow(staff_page)

    # 4. The supporter's bell counts the news; the notification leads to the idea.
    page.goto("/")
    bell = page.locator("#notification-bell")
    expect(bell.locator(".badge")).to_have_text("2")
    bell.click()
    rows = page.locator(".notification")
    expect(rows.first).to_contain_text("A quieter kettle with a silent mode")
    expect(rows.first).to_contain_text(t["notified"])
    with page.expect_navigation():
        rows.first.locator(".notification__link").click()
    expect(page).to_have_url(re.compile(rf"/ideas/{idea.pk}/$"))
    expect(page.locator("body")).to_contain_text("Coming in the spring range.")

    # 5. The roadmap shows it as planned.
    page.goto("/roadmap/")
    expect(page.get_by_role("heading", level=1)).to_contain_text(t["roadmap"])
    planned = page.locator(".roadmap__column--planned")
    expect(planned.get_by_role("link", name="A quieter kettle with a silent mode")).to_be_visible()
    if phone:
        assert_no_horizontal_overflow(page)

    # 6. Shipped with a release note: out of "planned", into "shipped" and the changelog.
    _set_status(
        staff_page,
        t,
        status="shipped",
        response="Shipped in the Aurora 2.",
        release="Aurora 2: night mode.",
    )
    page.goto("/roadmap/")
    expect(planned.get_by_role("link", name="A quieter kettle")).to_have_count(0)
    shipped = page.locator(".roadmap__column--shipped")
    expect(shipped.get_by_role("link", name="A quieter kettle with a silent mode")).to_be_visible()
    page.goto("/changelog/")
    expect(page.get_by_role("heading", level=1)).to_contain_text(t["changelog"])
    expect(page.locator("main")).to_contain_text("Aurora 2: night mode.")
    browser_watch.screenshot(page, "changelog")


def test_ideas_walkthrough(open_page, live_server, browser_watch):
    _walkthrough(open_page, live_server, browser_watch, "en")


def test_ideas_walkthrough_in_french(open_page, live_server, browser_watch):
    _walkthrough(open_page, live_server, browser_watch, "fr")


def test_ideas_walkthrough_on_a_phone_in_french(open_page, live_server, browser_watch):
    _walkthrough(open_page, live_server, browser_watch, "fr", **PHONE)
