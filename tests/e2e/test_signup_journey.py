"""A newcomer's first steps in the browser: sign up, verify the e-mail address, be signed in;
and what a visitor sees after too many wrong passwords."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.factories import UserFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

# What the newcomer reads, per language. The site's own strings come from locale/fr; allauth's
# pages (headings, buttons) from allauth's French catalogue.
TEXTS = {
    "en": {
        "sign_up_link": "Sign up",
        "sign_up_heading": "Sign Up",
        "sign_up_button": "Sign Up",
        "verify_heading": "Verify Your Email Address",
        "mail_subject": "[Causerie] Please Confirm Your Email Address",
        "confirm_heading": "Confirm Email Address",
        "confirm_button": "Confirm",
        "signed_in": "Successfully signed in as {username}.",
        "sign_out": "Sign out",
    },
    "fr": {
        "sign_up_link": "S’inscrire",
        "sign_up_heading": "Création de compte",
        "sign_up_button": "Création de compte",
        "verify_heading": "Vérifiez votre adresse e-mail",
        "mail_subject": "[Causerie] Confirmez votre adresse e-mail",
        "confirm_heading": "Confirmer l'adresse e-mail",
        "confirm_button": "Confirmer",
        "signed_in": "Connexion avec {username} réussie.",
        "sign_out": "Se déconnecter",
    },
}


def switch_language_with_keyboard(page: Page, language_name: str) -> None:
    """Reach the footer's language select with Tab only, pick the language, then Tab to the
    switcher's button and press Enter (the select does not submit by itself: WCAG 3.2.2)."""
    select = page.locator("#language-select")
    for _ in range(40):
        page.keyboard.press("Tab")
        if select.evaluate("element => element === document.activeElement"):
            break
    else:
        pytest.fail("Tab never reached the language select in the footer")
    select.select_option(label=language_name)
    page.keyboard.press("Tab")
    with page.expect_navigation():
        page.keyboard.press("Enter")


@pytest.mark.parametrize("language", ["en", "fr"])
def test_signup_verify_login(page: Page, mail_folder, language):
    texts = TEXTS[language]
    username = f"newcomer_{language}"
    address = f"{username}@example.org"
    page.goto("/")
    if language == "fr":
        switch_language_with_keyboard(page, "Français")
        expect(page.locator("html")).to_have_attribute("lang", "fr")

    page.get_by_role("link", name=texts["sign_up_link"], exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(texts["sign_up_heading"])
    page.locator("input[name=email]").fill(address)
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password1]").fill("correct-horse-battery-9")
    page.locator("input[name=password2]").fill("correct-horse-battery-9")
    page.get_by_role("button", name=texts["sign_up_button"], exact=True).click()

    expect(page.get_by_role("heading", level=1)).to_have_text(texts["verify_heading"])
    message = mail_folder.wait_for_message(to=address)
    assert message["Subject"] == texts["mail_subject"]  # in the language the newcomer used
    body = mail_folder.text(message)
    link = re.search(r"https?://\S+/accounts/confirm-email/\S+/", body)
    assert link, f"no confirmation link in:\n{body}"

    page.goto(link.group(0))
    expect(page.get_by_role("heading", level=1)).to_have_text(texts["confirm_heading"])
    page.get_by_role("button", name=texts["confirm_button"], exact=True).click()

    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.locator(".messages")).to_contain_text(texts["signed_in"].format(username=username))
    menu = page.locator("header details.menu")
    expect(menu.locator("summary")).to_have_text(username)
    menu.locator("summary").click()
    expect(menu.get_by_role("button", name=texts["sign_out"])).to_be_visible()
    if language == "fr":
        expect(page.locator("html")).to_have_attribute("lang", "fr")


def test_login_rate_limit_message(page: Page):
    UserFactory(username="alice", email="alice@example.org")
    page.goto("/accounts/login/")

    for attempt in range(1, 7):
        page.locator("input[name=login]").fill("alice")
        page.locator("input[name=password]").fill("not-her-password")
        with page.expect_navigation():
            page.get_by_role("button", name="Sign In", exact=True).click()
        if attempt < 6:  # allauth allows 5 failures per account in 5 minutes
            expect(page.locator("main")).to_contain_text("password you specified are not correct")

    expect(page.locator("main")).to_contain_text("Too many failed login attempts")
    expect(page.locator("main")).not_to_contain_text("password you specified are not correct")
